// Tests for numbers.h (Redis's string2ll/string2ld/ld2string rules) and glob.h (stringmatchlen rules).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "storage/glob.h"
#include "storage/numbers.h"

namespace latchkey {
namespace {

using namespace std::string_literals;

// --- ParseInt64: canonical decimal only; everything else is rejected and leaves *out alone. ---

TEST(ParseInt64Test, AcceptsCanonicalIntegers) {
  struct Case {
    std::string text;
    int64_t value;
  };
  for (const Case& c :
       {Case{"0", 0}, Case{"1", 1}, Case{"-1", -1}, Case{"10", 10}, Case{"1234567890", 1234567890},
        Case{"9223372036854775807", INT64_MAX}, Case{"-9223372036854775808", INT64_MIN}}) {
    SCOPED_TRACE(c.text);
    int64_t out = 42;
    ASSERT_TRUE(ParseInt64(c.text, &out));
    EXPECT_EQ(out, c.value);
  }
}

TEST(ParseInt64Test, RejectsNonCanonicalAndOutOfRange) {
  for (const std::string& text : {""s,
                                  "-"s,
                                  "-0"s,
                                  "01"s,
                                  "-01"s,
                                  "00"s,
                                  "+1"s,
                                  " 1"s,
                                  "1 "s,
                                  "1a"s,
                                  "a1"s,
                                  "1.0"s,
                                  "1e3"s,
                                  "0x10"s,
                                  "9223372036854775808"s,
                                  "-9223372036854775809"s,
                                  "18446744073709551616"s,
                                  "99999999999999999999"s,
                                  "123456789012345678901"s,
                                  "1\0"s,
                                  "--1"s}) {
    SCOPED_TRACE(text);
    int64_t out = 42;
    EXPECT_FALSE(ParseInt64(text, &out));
    EXPECT_EQ(out, 42);
  }
}

// --- ParseLongDouble / ParseDouble: strtold/strtod over the whole string, no space, no NaN, no overflow.

TEST(ParseLongDoubleTest, AcceptsNumbers) {
  struct Case {
    std::string text;
    long double value;
  };
  for (const Case& c : {Case{"1.5", 1.5L}, Case{"-2", -2.0L}, Case{"10", 10.0L}, Case{"5.0e3", 5000.0L},
                        Case{".5", 0.5L}, Case{"+3", 3.0L}, Case{"0x10", 16.0L}}) {
    SCOPED_TRACE(c.text);
    long double out = 0;
    ASSERT_TRUE(ParseLongDouble(c.text, &out));
    EXPECT_EQ(out, c.value);
  }
  long double out = 0;
  ASSERT_TRUE(ParseLongDouble("inf", &out));  // string2ld accepts infinity; INCRBYFLOAT rejects the sum
  EXPECT_TRUE(std::isinf(out));
}

TEST(ParseLongDoubleTest, RejectsGarbageSpacesNanAndOverflow) {
  for (const std::string& text : {""s, " 1"s, "1 "s, "\t1"s, "abc"s, "1.5x"s, "nan"s, "-nan"s, "1e99999"s,
                                  "-1e99999"s, "1e-99999"s, std::string(5 * 1024, '1')}) {
    SCOPED_TRACE(text.substr(0, 16));
    long double out = 7;
    EXPECT_FALSE(ParseLongDouble(text, &out));
    EXPECT_EQ(out, 7);
  }
}

TEST(ParseDoubleTest, AcceptsAndRejects) {
  double out = 0;
  ASSERT_TRUE(ParseDouble("3.25", &out));
  EXPECT_EQ(out, 3.25);
  ASSERT_TRUE(ParseDouble("-1e3", &out));
  EXPECT_EQ(out, -1000);
  for (const std::string& text : {""s, " 1"s, "1 "s, "x"s, "nan"s, "1e400"s}) {
    SCOPED_TRACE(text);
    out = 7;
    EXPECT_FALSE(ParseDouble(text, &out));
    EXPECT_EQ(out, 7);
  }
}

// As Redis's string2ld/string2d, every byte must be part of the number: an embedded NUL is not.
TEST(ParseLongDoubleTest, RejectsEmbeddedNul) {
  long double ld = 7;
  EXPECT_FALSE(ParseLongDouble("1\0"s, &ld));
  EXPECT_FALSE(ParseLongDouble("1\0junk"s, &ld));
  EXPECT_EQ(ld, 7);
  double d = 7;
  EXPECT_FALSE(ParseDouble("1\0"s, &d));
  EXPECT_EQ(d, 7);
}

// --- FormatLongDoubleHuman: "%.17Lf" with trailing zeros (and a bare point) removed; -0 is "0". ---

TEST(FormatLongDoubleHumanTest, Formats) {
  EXPECT_EQ(FormatLongDoubleHuman(10.5L + 0.1L), "10.6");
  EXPECT_EQ(FormatLongDoubleHuman(3.0e3L), "3000");
  EXPECT_EQ(FormatLongDoubleHuman(10.5L + 5.0e3L), "5010.5");
  EXPECT_EQ(FormatLongDoubleHuman(0.0L), "0");
  EXPECT_EQ(FormatLongDoubleHuman(-0.0L), "0");
  EXPECT_EQ(FormatLongDoubleHuman(-1.5L), "-1.5");
  EXPECT_EQ(FormatLongDoubleHuman(1e20L), "100000000000000000000");
  EXPECT_EQ(FormatLongDoubleHuman(static_cast<long double>(0.1)), "0.10000000000000001");  // a double's 0.1
  EXPECT_EQ(FormatLongDoubleHuman(std::numeric_limits<long double>::infinity()), "inf");
  EXPECT_EQ(FormatLongDoubleHuman(-std::numeric_limits<long double>::infinity()), "-inf");
}

// --- FormatDouble: "%.17g", and inf/-inf/nan spelled as Redis spells them. ---

TEST(FormatDoubleTest, Formats) {
  EXPECT_EQ(FormatDouble(1.5), "1.5");
  EXPECT_EQ(FormatDouble(3), "3");
  EXPECT_EQ(FormatDouble(-0.0), "-0");
  EXPECT_EQ(FormatDouble(0.1), "0.10000000000000001");
  EXPECT_EQ(FormatDouble(1e300), "1.0000000000000001e+300");
  EXPECT_EQ(FormatDouble(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(FormatDouble(-std::numeric_limits<double>::infinity()), "-inf");
  EXPECT_EQ(FormatDouble(std::nan("")), "nan");
}

TEST(AppendInt64Test, Appends) {
  std::string out = "x";
  AppendInt64(&out, 0);
  AppendInt64(&out, INT64_MIN);
  AppendInt64(&out, INT64_MAX);
  EXPECT_EQ(out, "x0-92233720368547758089223372036854775807");
}

// --- GlobMatch: *, ?, classes, ranges, negation, escapes, nocase, binary text. ---

TEST(GlobTest, StarAndQuestionMark) {
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("*", "anything"));
  EXPECT_TRUE(GlobMatch("a*", "a"));
  EXPECT_TRUE(GlobMatch("a*", "abc"));
  EXPECT_FALSE(GlobMatch("a*", "ba"));
  EXPECT_TRUE(GlobMatch("*c", "abc"));
  EXPECT_FALSE(GlobMatch("*c", "abcd"));
  EXPECT_TRUE(GlobMatch("a*c", "ac"));
  EXPECT_TRUE(GlobMatch("a*c", "abbbcbc"));
  EXPECT_FALSE(GlobMatch("a*c", "abbbcb"));
  EXPECT_TRUE(GlobMatch("a**b", "axxb"));
  EXPECT_TRUE(GlobMatch("*a*b*", "xxaxxbxx"));
  EXPECT_FALSE(GlobMatch("*a*b*", "xxbxxaxx"));
  EXPECT_TRUE(GlobMatch("h?llo", "hello"));
  EXPECT_TRUE(GlobMatch("h?llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h?llo", "hllo"));
  EXPECT_FALSE(GlobMatch("h?llo", "heello"));
  EXPECT_TRUE(GlobMatch("*?", "a"));
  EXPECT_FALSE(GlobMatch("?", ""));
}

TEST(GlobTest, WholeTextMustMatch) {
  EXPECT_TRUE(GlobMatch("", ""));
  EXPECT_FALSE(GlobMatch("", "a"));
  EXPECT_FALSE(GlobMatch("a", ""));
  EXPECT_TRUE(GlobMatch("abc", "abc"));
  EXPECT_FALSE(GlobMatch("abc", "abcd"));
  EXPECT_FALSE(GlobMatch("abcd", "abc"));
}

TEST(GlobTest, Classes) {
  EXPECT_TRUE(GlobMatch("h[ae]llo", "hello"));
  EXPECT_TRUE(GlobMatch("h[ae]llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h[ae]llo", "hillo"));
  EXPECT_FALSE(GlobMatch("h[ae]llo", "hllo"));
  EXPECT_TRUE(GlobMatch("h[^e]llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h[^e]llo", "hello"));
  EXPECT_TRUE(GlobMatch("h[a-b]llo", "hbllo"));
  EXPECT_FALSE(GlobMatch("h[a-b]llo", "hcllo"));
  EXPECT_TRUE(GlobMatch("[^a-c]", "d"));
  EXPECT_FALSE(GlobMatch("[^a-c]", "b"));
  EXPECT_TRUE(GlobMatch("[0-9][0-9]", "42"));
  EXPECT_FALSE(GlobMatch("[0-9][0-9]", "4x"));
  EXPECT_TRUE(GlobMatch("[abc", "a"));  // an unterminated class ends at the pattern's end
  EXPECT_FALSE(GlobMatch("[abc", "d"));
}

TEST(GlobTest, ReversedRange) {
  for (char c : std::string("bcdef")) EXPECT_TRUE(GlobMatch("[f-b]", std::string(1, c))) << c;
  EXPECT_FALSE(GlobMatch("[f-b]", "a"));
  EXPECT_FALSE(GlobMatch("[f-b]", "g"));
}

TEST(GlobTest, Escapes) {
  EXPECT_TRUE(GlobMatch("a\\*b", "a*b"));
  EXPECT_FALSE(GlobMatch("a\\*b", "axb"));
  EXPECT_TRUE(GlobMatch("\\?", "?"));
  EXPECT_FALSE(GlobMatch("\\?", "a"));
  EXPECT_TRUE(GlobMatch("\\[a]", "[a]"));
  EXPECT_TRUE(GlobMatch("[\\]]", "]"));
  EXPECT_TRUE(GlobMatch("[\\^a]", "^"));
  EXPECT_FALSE(GlobMatch("[\\^a]", "b"));
  EXPECT_TRUE(GlobMatch("a\\", "a\\"));  // a trailing backslash matches itself
}

TEST(GlobTest, NoCase) {
  EXPECT_FALSE(GlobMatch("HELLO", "hello"));
  EXPECT_TRUE(GlobMatch("HELLO", "hello", true));
  EXPECT_TRUE(GlobMatch("h*O", "HellO", true));
  EXPECT_TRUE(GlobMatch("[A-C]x", "bX", true));
  EXPECT_FALSE(GlobMatch("[A-C]x", "bx"));
  EXPECT_TRUE(GlobMatch("[^A]", "b", true));
  EXPECT_FALSE(GlobMatch("[^A]", "a", true));
}

TEST(GlobTest, BinaryText) {
  EXPECT_TRUE(GlobMatch("a?b", "a\0b"s));
  EXPECT_TRUE(GlobMatch("a*", "a\0\r\n"s));
  EXPECT_FALSE(GlobMatch("a", "a\0"s));
}

}  // namespace
}  // namespace latchkey
