#include "storage/numbers.h"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace latchkey {

bool ParseInt64(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  size_t i = 0;
  bool negative = false;
  if (s[0] == '-') {
    negative = true;
    i = 1;
    if (s.size() == 1) return false;
  }
  if (s[i] == '0') {
    if (s.size() == 1) {
      *out = 0;
      return true;
    }
    return false;  // leading zero, or "-0"
  }
  uint64_t magnitude = 0;
  // Up to 19 digits cannot overflow 64 bits (10^19 < 2^64), so only a 20th digit needs a check.
  const bool may_overflow = s.size() - i > 19;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c < '0' || c > '9') return false;
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (may_overflow && magnitude > (UINT64_MAX - digit) / 10) return false;
    magnitude = magnitude * 10 + digit;
  }
  if (negative) {
    if (magnitude > static_cast<uint64_t>(INT64_MAX) + 1) return false;
    *out = static_cast<int64_t>(0 - magnitude);
  } else {
    if (magnitude > static_cast<uint64_t>(INT64_MAX)) return false;
    *out = static_cast<int64_t>(magnitude);
  }
  return true;
}

// Copies `s` into a NUL-terminated buffer for the C parsing functions. Redis caps the text at 5 KiB.
static bool CopyForStrto(std::string_view s, char* buf, size_t cap) {
  if (s.empty() || s.size() >= cap) return false;
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  return !std::isspace(static_cast<unsigned char>(buf[0]));
}

bool ParseLongDouble(std::string_view s, long double* out) {
  char buf[5 * 1024];
  if (!CopyForStrto(s, buf, sizeof(buf))) return false;
  char* end = nullptr;
  errno = 0;
  long double value = std::strtold(buf, &end);
  if (end != buf + s.size()) return false;  // also rejects an embedded NUL
  if (errno == ERANGE && (value == HUGE_VALL || value == -HUGE_VALL || std::fpclassify(value) == FP_ZERO)) {
    return false;
  }
  if (std::isnan(value)) return false;
  *out = value;
  return true;
}

bool ParseDouble(std::string_view s, double* out) {
  char buf[5 * 1024];
  if (!CopyForStrto(s, buf, sizeof(buf))) return false;
  char* end = nullptr;
  errno = 0;
  double value = std::strtod(buf, &end);
  if (end != buf + s.size()) return false;  // also rejects an embedded NUL
  if (errno == ERANGE && (value == HUGE_VAL || value == -HUGE_VAL || std::fpclassify(value) == FP_ZERO)) {
    return false;
  }
  if (std::isnan(value)) return false;
  *out = value;
  return true;
}

std::string FormatLongDoubleHuman(long double value) {
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buf[5 * 1024 + 64];
  int len = std::snprintf(buf, sizeof(buf), "%.17Lf", value);
  if (len <= 0 || static_cast<size_t>(len) >= sizeof(buf)) return "0";
  if (std::memchr(buf, '.', static_cast<size_t>(len)) != nullptr) {
    while (buf[len - 1] == '0') --len;
    if (buf[len - 1] == '.') --len;
  }
  if (len == 2 && buf[0] == '-' && buf[1] == '0') return "0";
  return std::string(buf, static_cast<size_t>(len));
}

std::string FormatDouble(double value) {
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (std::isnan(value)) return "nan";
  char buf[64];
  int len = std::snprintf(buf, sizeof(buf), "%.17g", value);
  return std::string(buf, static_cast<size_t>(len));
}

void AppendInt64(std::string* out, int64_t value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  (void)ec;
  out->append(buf, static_cast<size_t>(end - buf));
}

}  // namespace latchkey
