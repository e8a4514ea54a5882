// Number parsing and formatting with Redis's exact rules, so replies and errors match byte for byte.
//
// All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace latchkey {

// Parses a signed 64-bit decimal integer the way Redis's string2ll does: an optional '-', then digits,
// no leading zeros (except "0" itself), no spaces or '+', no overflow. Returns false if `s` is not such a
// number; `*out` is untouched then.
bool ParseInt64(std::string_view s, int64_t* out);

// Parses a long double the way Redis's string2ld does (strtold over the whole string; no leading space,
// no NaN, no overflow). Returns false if `s` is not such a number.
bool ParseLongDouble(std::string_view s, long double* out);

// Parses a double the way Redis's string2d does (strtod over the whole string; no leading space, no NaN).
bool ParseDouble(std::string_view s, double* out);

// Formats `value` as Redis's ld2string(LD_STR_HUMAN): "%.17Lf" with trailing zeros removed.
std::string FormatLongDoubleHuman(long double value);

// Formats `value` as Redis formats a double reply ("%.17g", "inf", "-inf", "nan").
std::string FormatDouble(double value);

// Appends the decimal form of `value` to `out`.
void AppendInt64(std::string* out, int64_t value);

}  // namespace latchkey
