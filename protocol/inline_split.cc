#include "protocol/inline_split.h"

#include <cctype>
#include <utility>

namespace latchkey {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsSpace(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}

char Unescape(char c) {
  switch (c) {
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case 'b':
      return '\b';
    case 'a':
      return '\a';
    default:
      return c;
  }
}

}  // namespace

bool SplitInlineArgs(std::string_view line, std::string* scratch, std::vector<std::string_view>* args) {
  scratch->clear();
  scratch->reserve(line.size());  // no reallocation below, so offsets stay valid
  std::vector<std::pair<size_t, size_t>> spans;
  size_t i = 0;
  while (true) {
    while (i < line.size() && IsSpace(line[i])) ++i;
    if (i >= line.size()) break;
    const size_t begin = scratch->size();
    bool in_double = false;
    bool in_single = false;
    bool done = false;
    while (!done) {
      if (in_double) {
        if (i >= line.size()) return false;
        if (line[i] == '\\' && i + 3 < line.size() && line[i + 1] == 'x' && HexValue(line[i + 2]) >= 0 &&
            HexValue(line[i + 3]) >= 0) {
          scratch->push_back(static_cast<char>(HexValue(line[i + 2]) * 16 + HexValue(line[i + 3])));
          i += 3;
        } else if (line[i] == '\\' && i + 1 < line.size()) {
          ++i;
          scratch->push_back(Unescape(line[i]));
        } else if (line[i] == '"') {
          if (i + 1 < line.size() && !IsSpace(line[i + 1])) return false;
          done = true;
        } else {
          scratch->push_back(line[i]);
        }
      } else if (in_single) {
        if (i >= line.size()) return false;
        if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == '\'') {
          ++i;
          scratch->push_back('\'');
        } else if (line[i] == '\'') {
          if (i + 1 < line.size() && !IsSpace(line[i + 1])) return false;
          done = true;
        } else {
          scratch->push_back(line[i]);
        }
      } else {
        if (i >= line.size()) break;
        switch (line[i]) {
          case ' ':
          case '\n':
          case '\r':
          case '\t':
          case '\0':
            done = true;
            break;
          case '"':
            in_double = true;
            break;
          case '\'':
            in_single = true;
            break;
          default:
            scratch->push_back(line[i]);
            break;
        }
      }
      if (i < line.size()) ++i;
    }
    spans.emplace_back(begin, scratch->size() - begin);
  }
  args->clear();
  for (auto [offset, length] : spans) args->emplace_back(scratch->data() + offset, length);
  return true;
}

}  // namespace latchkey
