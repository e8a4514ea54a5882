// Tests for ReplyWriter: the exact bytes of every encoder in RESP2 and RESP3, including the RESP2
// downgrades (map, set, double, bool, big number, verbatim, push) and error-text sanitizing.
#include "protocol/reply_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>

namespace latchkey {
namespace {

using namespace std::string_literals;

// Encodes with `write` under protocol `version` and returns the bytes.
std::string Encode(int version, const std::function<void(ReplyWriter&)>& write) {
  std::string out;
  ReplyWriter writer(&out);
  writer.set_protocol(version);
  write(writer);
  return out;
}

// Checks the RESP2 and RESP3 encodings of one reply.
void ExpectBoth(const std::function<void(ReplyWriter&)>& write, const std::string& resp2,
                const std::string& resp3) {
  EXPECT_EQ(Encode(2, write), resp2);
  EXPECT_EQ(Encode(3, write), resp3);
}

// --- Protocol selection. ---

TEST(ReplyWriterTest, ProtocolVersionSelectsResp3) {
  std::string out;
  ReplyWriter writer(&out);
  EXPECT_FALSE(writer.resp3());  // RESP2 by default, as a fresh Redis connection
  writer.set_protocol(3);
  EXPECT_TRUE(writer.resp3());
  writer.set_protocol(2);
  EXPECT_FALSE(writer.resp3());
  EXPECT_EQ(writer.buffer(), &out);
}

TEST(ReplyWriterTest, AppendsToExistingBuffer) {
  std::string out = "+OK\r\n";
  ReplyWriter writer(&out);
  writer.Integer(7);
  EXPECT_EQ(out, "+OK\r\n:7\r\n");
}

// --- Types that are the same in both protocols. ---

TEST(ReplyWriterTest, SimpleStrings) {
  ExpectBoth([](ReplyWriter& w) { w.Ok(); }, "+OK\r\n", "+OK\r\n");
  ExpectBoth([](ReplyWriter& w) { w.Simple("PONG"); }, "+PONG\r\n", "+PONG\r\n");
  ExpectBoth([](ReplyWriter& w) { w.Simple(""); }, "+\r\n", "+\r\n");
}

TEST(ReplyWriterTest, Integers) {
  ExpectBoth([](ReplyWriter& w) { w.Integer(0); }, ":0\r\n", ":0\r\n");
  ExpectBoth([](ReplyWriter& w) { w.Integer(-1); }, ":-1\r\n", ":-1\r\n");
  ExpectBoth([](ReplyWriter& w) { w.Integer(INT64_MAX); }, ":9223372036854775807\r\n",
             ":9223372036854775807\r\n");
  ExpectBoth([](ReplyWriter& w) { w.Integer(INT64_MIN); }, ":-9223372036854775808\r\n",
             ":-9223372036854775808\r\n");
}

TEST(ReplyWriterTest, BulkStrings) {
  ExpectBoth([](ReplyWriter& w) { w.Bulk("hello"); }, "$5\r\nhello\r\n", "$5\r\nhello\r\n");
  ExpectBoth([](ReplyWriter& w) { w.Bulk(""); }, "$0\r\n\r\n", "$0\r\n\r\n");
  const std::string binary = "a\r\n\0b"s;
  ExpectBoth([&](ReplyWriter& w) { w.Bulk(binary); }, "$5\r\na\r\n\0b\r\n"s, "$5\r\na\r\n\0b\r\n"s);
}

TEST(ReplyWriterTest, ArraysAndNestedElements) {
  ExpectBoth([](ReplyWriter& w) { w.Array(0); }, "*0\r\n", "*0\r\n");
  ExpectBoth(
      [](ReplyWriter& w) {
        w.Array(3);
        w.Bulk("a");
        w.Integer(1);
        w.Array(1);
        w.Null();
      },
      "*3\r\n$1\r\na\r\n:1\r\n*1\r\n$-1\r\n", "*3\r\n$1\r\na\r\n:1\r\n*1\r\n_\r\n");
}

// --- Errors: the message is written verbatim except that CR and LF become spaces. ---

TEST(ReplyWriterTest, ErrorText) {
  ExpectBoth([](ReplyWriter& w) { w.Error("ERR syntax error"); }, "-ERR syntax error\r\n",
             "-ERR syntax error\r\n");
}

TEST(ReplyWriterTest, ErrorNewlinesBecomeSpaces) {
  ExpectBoth([](ReplyWriter& w) { w.Error("ERR bad\r\nthing\n"); }, "-ERR bad  thing \r\n",
             "-ERR bad  thing \r\n");
}

TEST(ReplyWriterTest, ErrorSanitizingLeavesEarlierRepliesAlone) {
  std::string out;
  ReplyWriter writer(&out);
  writer.Bulk("x\r\ny");
  writer.Error("ERR a\nb");
  EXPECT_EQ(out, "$4\r\nx\r\ny\r\n-ERR a b\r\n");
}

// --- Nulls: RESP2 distinguishes a null bulk from a null array; RESP3 has one null. ---

TEST(ReplyWriterTest, Nulls) {
  ExpectBoth([](ReplyWriter& w) { w.Null(); }, "$-1\r\n", "_\r\n");
  ExpectBoth([](ReplyWriter& w) { w.NullArray(); }, "*-1\r\n", "_\r\n");
}

// --- Aggregates RESP3 added: RESP2 gets arrays (a map as 2n flat elements). ---

TEST(ReplyWriterTest, MapIsFlatArrayInResp2) {
  auto write = [](ReplyWriter& w) {
    w.Map(2);
    w.Bulk("server");
    w.Bulk("latchkey");
    w.Bulk("proto");
    w.Integer(3);
  };
  ExpectBoth(write, "*4\r\n$6\r\nserver\r\n$8\r\nlatchkey\r\n$5\r\nproto\r\n:3\r\n",
             "%2\r\n$6\r\nserver\r\n$8\r\nlatchkey\r\n$5\r\nproto\r\n:3\r\n");
  ExpectBoth([](ReplyWriter& w) { w.Map(0); }, "*0\r\n", "%0\r\n");
}

TEST(ReplyWriterTest, SetIsArrayInResp2) {
  ExpectBoth(
      [](ReplyWriter& w) {
        w.Set(2);
        w.Bulk("a");
        w.Bulk("b");
      },
      "*2\r\n$1\r\na\r\n$1\r\nb\r\n", "~2\r\n$1\r\na\r\n$1\r\nb\r\n");
}

TEST(ReplyWriterTest, PushIsArrayInResp2) {
  ExpectBoth(
      [](ReplyWriter& w) {
        w.Push(3);
        w.Bulk("message");
        w.Bulk("ch");
        w.Bulk("hi");
      },
      "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n", ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
}

// --- Scalars RESP3 added: RESP2 gets a bulk (double, big number, verbatim) or an integer (bool). ---

TEST(ReplyWriterTest, Doubles) {
  ExpectBoth([](ReplyWriter& w) { w.Double(1.5); }, "$3\r\n1.5\r\n", ",1.5\r\n");
  ExpectBoth([](ReplyWriter& w) { w.Double(-2); }, "$2\r\n-2\r\n", ",-2\r\n");
  ExpectBoth([](ReplyWriter& w) { w.Double(0.1); }, "$19\r\n0.10000000000000001\r\n",
             ",0.10000000000000001\r\n");
  ExpectBoth([](ReplyWriter& w) { w.Double(1e300); }, "$23\r\n1.0000000000000001e+300\r\n",
             ",1.0000000000000001e+300\r\n");
}

TEST(ReplyWriterTest, InfiniteDoubles) {
  const double inf = std::numeric_limits<double>::infinity();
  ExpectBoth([&](ReplyWriter& w) { w.Double(inf); }, "$3\r\ninf\r\n", ",inf\r\n");
  ExpectBoth([&](ReplyWriter& w) { w.Double(-inf); }, "$4\r\n-inf\r\n", ",-inf\r\n");
  ExpectBoth([](ReplyWriter& w) { w.Double(std::nan("")); }, "$3\r\nnan\r\n", ",nan\r\n");
}

TEST(ReplyWriterTest, Bools) {
  ExpectBoth([](ReplyWriter& w) { w.Bool(true); }, ":1\r\n", "#t\r\n");
  ExpectBoth([](ReplyWriter& w) { w.Bool(false); }, ":0\r\n", "#f\r\n");
}

TEST(ReplyWriterTest, BigNumber) {
  ExpectBoth([](ReplyWriter& w) { w.BigNumber("3492890328409238509324850943850943825024385"); },
             "$43\r\n3492890328409238509324850943850943825024385\r\n",
             "(3492890328409238509324850943850943825024385\r\n");
  ExpectBoth([](ReplyWriter& w) { w.BigNumber("-1"); }, "$2\r\n-1\r\n", "(-1\r\n");
}

TEST(ReplyWriterTest, Verbatim) {
  ExpectBoth([](ReplyWriter& w) { w.Verbatim("Some string"); }, "$11\r\nSome string\r\n",
             "=15\r\ntxt:Some string\r\n");
  ExpectBoth([](ReplyWriter& w) { w.Verbatim("# x\r\n", "mkd"); }, "$5\r\n# x\r\n\r\n",
             "=9\r\nmkd:# x\r\n\r\n");
  ExpectBoth([](ReplyWriter& w) { w.Verbatim(""); }, "$0\r\n\r\n", "=4\r\ntxt:\r\n");
}

}  // namespace
}  // namespace latchkey
