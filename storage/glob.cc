#include "storage/glob.h"

#include <cctype>

namespace latchkey {
namespace {

char Fold(char c, bool nocase) {
  return nocase ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : c;
}

// Matches a bracket class starting just after '['. Advances `p` past the closing ']' (or to the end of an
// unterminated class, which Redis treats as closed there). Returns whether `c` is in the class.
bool MatchClass(std::string_view pattern, size_t* p, char c, bool nocase) {
  size_t i = *p;
  bool negate = false;
  if (i < pattern.size() && pattern[i] == '^') {
    negate = true;
    ++i;
  }
  bool matched = false;
  while (i < pattern.size() && pattern[i] != ']') {
    if (pattern[i] == '\\' && i + 1 < pattern.size()) {
      ++i;
      if (Fold(pattern[i], nocase) == Fold(c, nocase)) matched = true;
    } else if (i + 2 < pattern.size() && pattern[i + 1] == '-') {
      char start = Fold(pattern[i], nocase);
      char end = Fold(pattern[i + 2], nocase);
      if (start > end) std::swap(start, end);
      char folded = Fold(c, nocase);
      if (folded >= start && folded <= end) matched = true;
      i += 2;
    } else if (Fold(pattern[i], nocase) == Fold(c, nocase)) {
      matched = true;
    }
    ++i;
  }
  // Redis leaves the pattern index on the ']' (or the last byte of an unterminated class).
  *p = i < pattern.size() ? i : pattern.size() - 1;
  return negate ? !matched : matched;
}

bool Match(std::string_view pattern, std::string_view text, bool nocase, int depth) {
  if (depth > 1000) return false;  // bound the recursion on hostile patterns
  size_t p = 0;
  size_t t = 0;
  while (p < pattern.size() && t < text.size()) {
    switch (pattern[p]) {
      case '*':
        while (p + 1 < pattern.size() && pattern[p + 1] == '*') ++p;
        if (p + 1 == pattern.size()) return true;
        for (size_t start = t; start <= text.size(); ++start) {
          if (Match(pattern.substr(p + 1), text.substr(start), nocase, depth + 1)) return true;
        }
        return false;
      case '?':
        ++t;
        break;
      case '[': {
        ++p;
        if (!MatchClass(pattern, &p, text[t], nocase)) return false;
        ++t;
        break;
      }
      case '\\':
        if (p + 1 < pattern.size()) ++p;
        [[fallthrough]];
      default:
        if (Fold(pattern[p], nocase) != Fold(text[t], nocase)) return false;
        ++t;
        break;
    }
    ++p;
    if (t == text.size()) {
      while (p < pattern.size() && pattern[p] == '*') ++p;
      break;
    }
  }
  return p == pattern.size() && t == text.size();
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view text, bool nocase) {
  if (text.empty()) {
    for (char c : pattern) {
      if (c != '*') return false;
    }
    return true;
  }
  return Match(pattern, text, nocase, 0);
}

}  // namespace latchkey
