// Tests for RequestParser: multibulk and inline framing, incremental parsing at every byte boundary,
// empty requests, protocol limits with Redis's exact error texts, and binary safety.
#include "protocol/request_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace latchkey {
namespace {

using namespace std::string_literals;

using Args = std::vector<std::string>;
using Result = RequestParser::Result;

Args Copy(const std::vector<std::string_view>& args) {
  return Args(args.begin(), args.end());
}

// Plays the connection's part of the buffer contract: keeps unconsumed input, hands the parser a fresh
// copy of it on every call (so the parser can rely on offsets only, never on addresses), removes
// `consumed` bytes after every call, and records the requests and the error.
class Feeder {
 public:
  explicit Feeder(const ParserLimits* limits, bool authenticated = true)
      : parser_(limits), authenticated_(authenticated) {}

  // Appends `bytes` and parses every complete request. Returns the last result.
  Result Feed(std::string_view bytes) {
    pending_.append(bytes);
    while (true) {
      std::vector<char> moved(pending_.begin(), pending_.end());  // a new address every call
      size_t consumed = 0;
      Result r = parser_.Parse(moved.data(), moved.size(), authenticated_, &consumed);
      EXPECT_LE(consumed, moved.size());
      if (r == Result::kError) {
        error_ = parser_.error();
        return r;
      }
      if (r == Result::kRequest) requests_.push_back(Copy(parser_.args()));
      pending_.erase(0, consumed);
      if (r == Result::kNeedMore) return r;
    }
  }

  const std::vector<Args>& requests() const { return requests_; }
  const std::string& error() const { return error_; }
  size_t pending() const { return pending_.size(); }

 private:
  RequestParser parser_;
  bool authenticated_;
  std::string pending_;
  std::vector<Args> requests_;
  std::string error_;
};

// Parses `input` as one whole buffer and returns the first result.
Result ParseOnce(std::string_view input, bool authenticated, const ParserLimits& limits, Args* args,
                 std::string* error, size_t* consumed) {
  RequestParser parser(&limits);
  Result r = parser.Parse(input.data(), input.size(), authenticated, consumed);
  if (r == Result::kRequest) *args = Copy(parser.args());
  if (r == Result::kError) *error = parser.error();
  return r;
}

// The error text a complete buffer produces, or "" if it produced none.
std::string ErrorOf(std::string_view input, bool authenticated = true, ParserLimits limits = {}) {
  Args args;
  std::string error;
  size_t consumed = 0;
  Result r = ParseOnce(input, authenticated, limits, &args, &error, &consumed);
  return r == Result::kError ? error : "";
}

Result ResultOf(std::string_view input, bool authenticated = true, ParserLimits limits = {}) {
  Args args;
  std::string error;
  size_t consumed = 0;
  return ParseOnce(input, authenticated, limits, &args, &error, &consumed);
}

// --- Basic framing: one complete multibulk or inline request, and what `consumed` covers. ---

TEST(RequestParserTest, MultibulkRequest) {
  ParserLimits limits;
  RequestParser parser(&limits);
  const std::string input = "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\nextra";
  size_t consumed = 0;
  ASSERT_EQ(parser.Parse(input.data(), input.size(), true, &consumed), Result::kRequest);
  EXPECT_EQ(consumed, input.size() - 5);
  EXPECT_EQ(Copy(parser.args()), (Args{"GET", "key"}));
}

TEST(RequestParserTest, MultibulkArgsViewIntoTheCallersBuffer) {
  ParserLimits limits;
  RequestParser parser(&limits);
  const std::string input = "*1\r\n$4\r\nPING\r\n";
  size_t consumed = 0;
  ASSERT_EQ(parser.Parse(input.data(), input.size(), true, &consumed), Result::kRequest);
  ASSERT_EQ(parser.args().size(), 1u);
  EXPECT_EQ(parser.args()[0].data(), input.data() + 8);  // no copy
}

TEST(RequestParserTest, InlineRequest) {
  Args args;
  std::string error;
  size_t consumed = 0;
  const std::string input = "SET key value\r\nGET key\r\n";
  ASSERT_EQ(ParseOnce(input, true, {}, &args, &error, &consumed), Result::kRequest);
  EXPECT_EQ(args, (Args{"SET", "key", "value"}));
  EXPECT_EQ(consumed, 15u);
}

TEST(RequestParserTest, InlineRequestEndingInBareNewline) {
  Args args;
  std::string error;
  size_t consumed = 0;
  ASSERT_EQ(ParseOnce("PING  hello\n", true, {}, &args, &error, &consumed), Result::kRequest);
  EXPECT_EQ(args, (Args{"PING", "hello"}));
  EXPECT_EQ(consumed, 12u);
}

TEST(RequestParserTest, IncompleteRequestsNeedMore) {
  for (std::string_view input :
       {"", "*", "*2\r", "*2\r\n$3\r\nGET\r\n$3\r\nke", "*1\r\n$3\r\nGET\r", "PING"}) {
    SCOPED_TRACE(input);
    EXPECT_EQ(ResultOf(input), Result::kNeedMore);
  }
}

// --- Incremental parsing: any split of a pipelined stream yields the same requests. ---

const std::string kPipeline =
    "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nva\r\nl\r\n"  // value with CRLF inside
    "PING\r\n"
    "*0\r\n"
    "*2\r\n$3\r\nGET\r\n$0\r\n\r\n"  // empty argument
    "\r\n"
    "SET k \"a b\\x41\"\r\n"
    "*-1\r\n"
    "*1\r\n$4\r\nQUIT\r\n";

const std::vector<Args> kPipelineRequests = {
    {"SET", "key", "va\r\nl"}, {"PING"}, {"GET", ""}, {"SET", "k", "a bA"}, {"QUIT"}};

TEST(RequestParserTest, WholePipelineInOneBuffer) {
  ParserLimits limits;
  Feeder feeder(&limits);
  EXPECT_EQ(feeder.Feed(kPipeline), Result::kNeedMore);
  EXPECT_EQ(feeder.requests(), kPipelineRequests);
  EXPECT_EQ(feeder.pending(), 0u);
}

TEST(RequestParserTest, PipelineSplitAtEveryByteBoundary) {
  ParserLimits limits;
  for (size_t split = 1; split < kPipeline.size(); ++split) {
    SCOPED_TRACE("split at " + std::to_string(split));
    Feeder feeder(&limits);
    EXPECT_EQ(feeder.Feed(std::string_view(kPipeline).substr(0, split)), Result::kNeedMore);
    EXPECT_EQ(feeder.Feed(std::string_view(kPipeline).substr(split)), Result::kNeedMore);
    EXPECT_EQ(feeder.requests(), kPipelineRequests);
    EXPECT_EQ(feeder.pending(), 0u);
  }
}

TEST(RequestParserTest, PipelineFedOneByteAtATime) {
  ParserLimits limits;
  Feeder feeder(&limits);
  for (char c : kPipeline) EXPECT_EQ(feeder.Feed(std::string_view(&c, 1)), Result::kNeedMore);
  EXPECT_EQ(feeder.requests(), kPipelineRequests);
  EXPECT_EQ(feeder.pending(), 0u);
}

TEST(RequestParserTest, EveryPrefixOfOneRequestNeedsMoreWithoutConsuming) {
  ParserLimits limits;
  const std::string input = "*3\r\n$3\r\nSET\r\n$10\r\n0123456789\r\n$1\r\nv\r\n";
  for (size_t split = 0; split < input.size(); ++split) {
    SCOPED_TRACE("split at " + std::to_string(split));
    RequestParser parser(&limits);
    std::string buffer = input.substr(0, split);
    size_t consumed = 99;
    ASSERT_EQ(parser.Parse(buffer.data(), buffer.size(), true, &consumed), Result::kNeedMore);
    EXPECT_EQ(consumed, 0u);
    buffer = input;  // the same start, grown
    ASSERT_EQ(parser.Parse(buffer.data(), buffer.size(), true, &consumed), Result::kRequest);
    EXPECT_EQ(consumed, input.size());
    EXPECT_EQ(Copy(parser.args()), (Args{"SET", "0123456789", "v"}));
  }
}

TEST(RequestParserTest, ResetForgetsPartialRequest) {
  ParserLimits limits;
  RequestParser parser(&limits);
  const std::string partial = "*2\r\n$3\r\nGET\r\n$3\r\nk";
  size_t consumed = 0;
  ASSERT_EQ(parser.Parse(partial.data(), partial.size(), true, &consumed), Result::kNeedMore);
  parser.Reset();
  const std::string fresh = "*1\r\n$4\r\nPING\r\n";
  ASSERT_EQ(parser.Parse(fresh.data(), fresh.size(), true, &consumed), Result::kRequest);
  EXPECT_EQ(Copy(parser.args()), (Args{"PING"}));
  EXPECT_EQ(consumed, fresh.size());
}

// --- Empty requests (`*0`, `*-1`, negative counts, blank inline lines) are consumed silently. ---

TEST(RequestParserTest, EmptyRequestsAreSkipped) {
  Args args;
  std::string error;
  size_t consumed = 0;
  const std::string input = "*0\r\n*-1\r\n*-7\r\n\r\n   \r\n\n\t\r\nPING\r\n";
  ASSERT_EQ(ParseOnce(input, true, {}, &args, &error, &consumed), Result::kRequest);
  EXPECT_EQ(args, (Args{"PING"}));
  EXPECT_EQ(consumed, input.size());
}

TEST(RequestParserTest, OnlyEmptyRequestsNeedMoreAndConsumeThem) {
  ParserLimits limits;
  RequestParser parser(&limits);
  const std::string input = "*0\r\n\r\n*-1\r\n";
  size_t consumed = 0;
  EXPECT_EQ(parser.Parse(input.data(), input.size(), true, &consumed), Result::kNeedMore);
  EXPECT_EQ(consumed, input.size());
}

TEST(RequestParserTest, PartialRequestAfterEmptyOnesReportsTheSkippedBytes) {
  ParserLimits limits;
  RequestParser parser(&limits);
  std::string buffer = "*0\r\n\r\n*1\r\n$4\r\nPI";
  size_t consumed = 0;
  ASSERT_EQ(parser.Parse(buffer.data(), buffer.size(), true, &consumed), Result::kNeedMore);
  ASSERT_EQ(consumed, 6u);
  buffer = buffer.substr(consumed) + "NG\r\n";
  ASSERT_EQ(parser.Parse(buffer.data(), buffer.size(), true, &consumed), Result::kRequest);
  EXPECT_EQ(consumed, buffer.size());
  EXPECT_EQ(Copy(parser.args()), (Args{"PING"}));
}

TEST(RequestParserTest, QuotedEmptyStringIsNotAnEmptyRequest) {
  Args args;
  std::string error;
  size_t consumed = 0;
  ASSERT_EQ(ParseOnce("\"\"\r\n", true, {}, &args, &error, &consumed), Result::kRequest);
  EXPECT_EQ(args, (Args{""}));
}

// --- Limits: each violation gives Redis's exact error text; the value just under it is accepted. ---

TEST(RequestParserTest, TooBigInlineRequest) {
  const std::string at_limit(64 * 1024, 'a');
  EXPECT_EQ(ResultOf(at_limit), Result::kNeedMore);
  EXPECT_EQ(ErrorOf(at_limit + "a"), "Protocol error: too big inline request");
  // A long line is fine once its newline is there.
  EXPECT_EQ(ResultOf(at_limit + "aaaa\r\n"), Result::kRequest);
}

TEST(RequestParserTest, TooBigInlineRequestWhenFedInChunks) {
  ParserLimits limits;
  Feeder feeder(&limits);
  const std::string chunk(4096, 'x');
  for (int i = 0; i < 16; ++i) ASSERT_EQ(feeder.Feed(chunk), Result::kNeedMore);
  EXPECT_EQ(feeder.Feed("x"), Result::kError);
  EXPECT_EQ(feeder.error(), "Protocol error: too big inline request");
}

TEST(RequestParserTest, TooBigMultibulkCountString) {
  const std::string at_limit = "*" + std::string(64 * 1024 - 1, '1');
  EXPECT_EQ(ResultOf(at_limit), Result::kNeedMore);
  EXPECT_EQ(ErrorOf(at_limit + "1"), "Protocol error: too big mbulk count string");
}

TEST(RequestParserTest, InvalidMultibulkLength) {
  const std::string kText = "Protocol error: invalid multibulk length";
  EXPECT_EQ(ErrorOf("*abc\r\n"), kText);
  EXPECT_EQ(ErrorOf("*1x\r\n"), kText);
  EXPECT_EQ(ErrorOf("* 1\r\n"), kText);
  EXPECT_EQ(ErrorOf("*\r\n"), kText);
  EXPECT_EQ(ErrorOf("*99999999999999999999\r\n"), kText);
  EXPECT_EQ(ErrorOf("*2147483648\r\n"), kText);  // INT32_MAX + 1
  EXPECT_EQ(ResultOf("*2147483647\r\n"), Result::kNeedMore);
  ParserLimits small;
  small.max_multibulk_len = 5;
  EXPECT_EQ(ErrorOf("*6\r\n", true, small), kText);
  EXPECT_EQ(ResultOf("*5\r\n", true, small), Result::kNeedMore);
}

// Before AUTH: at most 10 elements and 16384-byte bulks. The texts are pinned separately below.
TEST(RequestParserTest, UnauthenticatedMultibulkLimit) {
  EXPECT_EQ(ResultOf("*11\r\n", false), Result::kError);
  EXPECT_EQ(ErrorOf("*11\r\n", false).rfind("Protocol error: ", 0), 0u);
  EXPECT_EQ(ResultOf("*10\r\n", false), Result::kNeedMore);
  EXPECT_EQ(ResultOf("*11\r\n", true), Result::kNeedMore);
}

TEST(RequestParserTest, TooBigBulkCountString) {
  const std::string prefix = "*1\r\n";
  const std::string at_limit = prefix + "$" + std::string(64 * 1024 - 1, '1');
  EXPECT_EQ(ResultOf(at_limit), Result::kNeedMore);
  EXPECT_EQ(ErrorOf(at_limit + "1"), "Protocol error: too big bulk count string");
}

TEST(RequestParserTest, ExpectedDollar) {
  EXPECT_EQ(ErrorOf("*1\r\nx3\r\nfoo\r\n"), "Protocol error: expected '$', got 'x'");
  EXPECT_EQ(ErrorOf("*2\r\n$1\r\na\r\n:1\r\n"), "Protocol error: expected '$', got ':'");
}

TEST(RequestParserTest, InvalidBulkLength) {
  const std::string kText = "Protocol error: invalid bulk length";
  EXPECT_EQ(ErrorOf("*1\r\n$-1\r\n"), kText);
  EXPECT_EQ(ErrorOf("*1\r\n$abc\r\n"), kText);
  EXPECT_EQ(ErrorOf("*1\r\n$\r\n"), kText);
  EXPECT_EQ(ErrorOf("*1\r\n$03\r\nfoo\r\n"), kText);
  EXPECT_EQ(ErrorOf("*1\r\n$536870913\r\n"), kText);  // proto-max-bulk-len + 1
  EXPECT_EQ(ResultOf("*1\r\n$536870912\r\n"), Result::kNeedMore);
  ParserLimits small;
  small.max_bulk_len = 100;
  EXPECT_EQ(ErrorOf("*1\r\n$101\r\n", true, small), kText);
  EXPECT_EQ(ResultOf("*1\r\n$100\r\n", true, small), Result::kNeedMore);
}

TEST(RequestParserTest, UnauthenticatedBulkLimit) {
  EXPECT_EQ(ResultOf("*1\r\n$16385\r\n", false), Result::kError);
  EXPECT_EQ(ErrorOf("*1\r\n$16385\r\n", false).rfind("Protocol error: ", 0), 0u);
  EXPECT_EQ(ResultOf("*1\r\n$16384\r\n", false), Result::kNeedMore);
  EXPECT_EQ(ResultOf("*1\r\n$16385\r\n", true), Result::kNeedMore);
  // A bulk over the limit that is also malformed reports the malformation.
  EXPECT_EQ(ErrorOf("*1\r\n$-1\r\n", false), "Protocol error: invalid bulk length");
}

// Redis (since 6.2.6) names the pre-AUTH limits in its error texts.
TEST(RequestParserTest, UnauthenticatedLimitTextsMatchRedis) {
  EXPECT_EQ(ErrorOf("*11\r\n", false), "Protocol error: unauthenticated multibulk length");
  EXPECT_EQ(ErrorOf("*1\r\n$16385\r\n", false), "Protocol error: unauthenticated bulk length");
}

TEST(RequestParserTest, ErrorAfterCompleteRequestsInTheSameBuffer) {
  ParserLimits limits;
  Feeder feeder(&limits);
  EXPECT_EQ(feeder.Feed("PING\r\n*1\r\n#4\r\n"), Result::kError);
  EXPECT_EQ(feeder.requests(), (std::vector<Args>{{"PING"}}));
  EXPECT_EQ(feeder.error(), "Protocol error: expected '$', got '#'");
}

// --- Inline quoting: sdssplitargs rules for double and single quotes. ---

Args InlineArgs(std::string_view line) {
  Args args;
  std::string error;
  size_t consumed = 0;
  EXPECT_EQ(ParseOnce(line, true, {}, &args, &error, &consumed), Result::kRequest) << error;
  return args;
}

TEST(RequestParserTest, InlineDoubleQuotesAndEscapes) {
  EXPECT_EQ(InlineArgs("SET k \"hello world\"\r\n"), (Args{"SET", "k", "hello world"}));
  EXPECT_EQ(InlineArgs("\"a\\nb\\rc\\td\\\\e\\\"f\"\r\n"), (Args{"a\nb\rc\td\\e\"f"}));
  EXPECT_EQ(InlineArgs("\"\\x41\\x4a\\x7e\\x00z\"\r\n"), (Args{std::string("AJ~\0z", 5)}));
  EXPECT_EQ(InlineArgs("\"\\xZZ\\q\"\r\n"), (Args{"xZZq"}));  // not a hex escape: the char itself
  EXPECT_EQ(InlineArgs("a \"\" b\r\n"), (Args{"a", "", "b"}));
  EXPECT_EQ(InlineArgs("ab\"c d\"\r\n"), (Args{"abc d"}));  // a quote may open mid-word
}

TEST(RequestParserTest, InlineSingleQuotes) {
  EXPECT_EQ(InlineArgs("'it\\'s'\r\n"), (Args{"it's"}));
  EXPECT_EQ(InlineArgs("'a\\nb \"c\"'\r\n"), (Args{"a\\nb \"c\""}));  // no other escapes
  EXPECT_EQ(InlineArgs("''\r\n"), (Args{""}));
}

TEST(RequestParserTest, InlineSeparators) {
  EXPECT_EQ(InlineArgs("  a\t\tb   c  \r\n"), (Args{"a", "b", "c"}));
  EXPECT_EQ(InlineArgs("\"a\" 'b'\r\n"), (Args{"a", "b"}));
}

TEST(RequestParserTest, UnbalancedQuotes) {
  const std::string kText = "Protocol error: unbalanced quotes in request";
  EXPECT_EQ(ErrorOf("SET k \"abc\r\n"), kText);
  EXPECT_EQ(ErrorOf("SET k 'abc\r\n"), kText);
  EXPECT_EQ(ErrorOf("SET k \"abc\\\"\r\n"), kText);  // the closing quote is escaped
  EXPECT_EQ(ErrorOf("SET k \"a\"b\r\n"), kText);     // closing quote must be followed by a space
  EXPECT_EQ(ErrorOf("SET k 'a'b\r\n"), kText);
}

// --- Binary safety and large values. ---

TEST(RequestParserTest, BulkValuesAreBinarySafe) {
  const std::string value("a\r\n\0b\n\r\0", 8);
  const std::string input = "*3\r\n$3\r\nSET\r\n$2\r\n\0k\r\n$8\r\n"s + value + "\r\n";
  Args args;
  std::string error;
  size_t consumed = 0;
  ASSERT_EQ(ParseOnce(std::string_view(input.data(), input.size()), true, {}, &args, &error, &consumed),
            Result::kRequest);
  EXPECT_EQ(args, (Args{"SET", std::string("\0k", 2), value}));
  EXPECT_EQ(consumed, input.size());
}

TEST(RequestParserTest, LargeBulkArrivingInManyChunks) {
  std::string value(1 << 20, '\0');
  for (size_t i = 0; i < value.size(); ++i) value[i] = static_cast<char>(i * 131 % 251);
  const std::string input = "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$" + std::to_string(value.size()) + "\r\n" +
                            value + "\r\n*1\r\n$4\r\nPING\r\n";
  ParserLimits limits;
  Feeder feeder(&limits);
  const size_t kChunk = 4093;  // not a divisor of anything above
  for (size_t at = 0; at < input.size(); at += kChunk) {
    ASSERT_EQ(feeder.Feed(std::string_view(input).substr(at, kChunk)), Result::kNeedMore);
    if (at + kChunk < input.size() - 16) {
      ASSERT_TRUE(feeder.requests().empty());
    }
  }
  ASSERT_EQ(feeder.requests().size(), 2u);
  EXPECT_EQ(feeder.requests()[0], (Args{"SET", "big", value}));
  EXPECT_EQ(feeder.requests()[1], (Args{"PING"}));
}

TEST(RequestParserTest, LargeBulkRejectedBeforeAuthentication) {
  ParserLimits limits;
  Feeder feeder(&limits, /*authenticated=*/false);
  EXPECT_EQ(feeder.Feed("*2\r\n$4\r\nAUTH\r\n$20000\r\n"), Result::kError);
  EXPECT_TRUE(feeder.requests().empty());
}

}  // namespace
}  // namespace latchkey
