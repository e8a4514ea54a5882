// Tests for jwt_claims.h: what DecodeJwtClaims takes from a compact JWS and every way a token is
// malformed (shape, base64url, bounds, JSON, claim types, nesting, UTF-8), then a deterministic
// mutation run standing in for the fuzzer.
#include "storage/jwt_claims.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "storage/secrets.h"

namespace latchkey {

// Readable failures for EXPECT_EQ on claims.
void PrintTo(const JwtClaims& claims, std::ostream* os) {
  using ::testing::PrintToString;
  *os << "{iss=" << PrintToString(claims.iss) << " jti=" << PrintToString(claims.jti)
      << " sub=" << PrintToString(claims.sub) << " client_id=" << PrintToString(claims.client_id)
      << " sid=" << PrintToString(claims.sid) << " iat=" << PrintToString(claims.iat) << "}";
}

namespace {

using namespace std::string_literals;

constexpr std::string_view kHeader = R"({"alg":"RS256","typ":"JWT","kid":"k1"})";
constexpr std::string_view kMinimalPayload = R"({"iss":"a","jti":"b"})";
// Longest segment that decodes to at most kMaxJwtPayloadBytes bytes.
constexpr size_t kMaxSegmentChars = (4 * kMaxJwtPayloadBytes + 2) / 3;

std::string Token(std::string_view header_json, std::string_view payload_json,
                  std::string_view signature = "c2ln") {
  return Base64UrlEncode(header_json) + "." + Base64UrlEncode(payload_json) + "." + std::string(signature);
}
std::string TokenWithPayload(std::string_view payload_json) {
  return Token(kHeader, payload_json);
}

// A JSON object of exactly `size` bytes holding iss and jti, padded with an unknown claim.
std::string JsonOfSize(size_t size, std::string_view head = R"({"iss":"a","jti":"b","pad":")") {
  std::string json(head);
  json.append(size - json.size() - 2, 'x');
  json += "\"}";
  return json;
}

// {"iss":"a","jti":"b","x":<depth arrays>}: the whole document is nested depth + 1 deep.
std::string PayloadNestedArrays(size_t depth) {
  return R"({"iss":"a","jti":"b","x":)" + std::string(depth, '[') + std::string(depth, ']') + "}";
}

// --- What a well-formed token yields ---

TEST(JwtClaims, DecodesEveryClaim) {
  const auto claims = DecodeJwtClaims(TokenWithPayload(
      R"({"iss":"https://idp.example","jti":"4f1c","sub":"user-7","iat":1700000000,)"
      R"("client_id":"web","sid":"h-42","exp":1700003600,"aud":["api"],"nested":{"iss":5}})"));
  ASSERT_TRUE(claims.has_value());
  EXPECT_EQ(*claims, (JwtClaims{"https://idp.example", "4f1c", "user-7", "web", "h-42", 1700000000}));
}

TEST(JwtClaims, OnlyIssAndJti) {
  const auto claims = DecodeJwtClaims(TokenWithPayload(kMinimalPayload));
  ASSERT_TRUE(claims.has_value());
  EXPECT_EQ(*claims, (JwtClaims{"a", "b", std::nullopt, std::nullopt, std::nullopt, std::nullopt}));
}

TEST(JwtClaims, EmptySignatureAndAnyHeaderObjectAccepted) {
  EXPECT_TRUE(DecodeJwtClaims(Token(R"({"alg":"none"})", kMinimalPayload, "")).has_value());
  EXPECT_TRUE(DecodeJwtClaims(Token("{}", kMinimalPayload)).has_value());
  EXPECT_TRUE(DecodeJwtClaims(Token(R"({"alg":7,"crit":[{}]})", kMinimalPayload)).has_value());
  EXPECT_TRUE(DecodeJwtClaims(Token(kHeader, kMinimalPayload, "-_09azAZ")).has_value());
}

TEST(JwtClaims, OptionalStringsMayBeEmptyButIssAndJtiMayNot) {
  const auto claims =
      DecodeJwtClaims(TokenWithPayload(R"({"iss":"a","jti":"b","sub":"","client_id":"","sid":""})"));
  ASSERT_TRUE(claims.has_value());
  EXPECT_EQ(claims->sub, "");
  EXPECT_EQ(claims->client_id, "");
  EXPECT_EQ(claims->sid, "");
  EXPECT_FALSE(DecodeJwtClaims(TokenWithPayload(R"({"iss":"","jti":"b"})")));
  EXPECT_FALSE(DecodeJwtClaims(TokenWithPayload(R"({"iss":"a","jti":""})")));
}

TEST(JwtClaims, WhitespaceAroundTheObjectAccepted) {
  EXPECT_TRUE(DecodeJwtClaims(TokenWithPayload(" \n\t{ \"iss\" : \"a\" ,\r\n\"jti\":\"b\" } \n")));
}

// --- iat ---

TEST(JwtClaims, IatInteger) {
  for (const auto& [json, seconds] :
       {std::pair{"0"s, int64_t{0}}, std::pair{"-0"s, int64_t{0}},
        std::pair{"1700000000"s, int64_t{1700000000}}, std::pair{"9223372036854775807"s, INT64_MAX}}) {
    SCOPED_TRACE(json);
    const auto claims = DecodeJwtClaims(TokenWithPayload(R"({"iss":"a","jti":"b","iat":)" + json + "}"));
    ASSERT_TRUE(claims.has_value());
    EXPECT_EQ(claims->iat, seconds);
  }
}

TEST(JwtClaims, IatFractionFloored) {
  for (const auto& [json, seconds] :
       {std::pair{"1700000000.9"s, int64_t{1700000000}}, std::pair{"0.5"s, int64_t{0}},
        std::pair{"1e3"s, int64_t{1000}}, std::pair{"1.0"s, int64_t{1}}, std::pair{"-0.0"s, int64_t{0}},
        std::pair{"9007199254740992.0"s, int64_t{9007199254740992}}}) {
    SCOPED_TRACE(json);
    const auto claims = DecodeJwtClaims(TokenWithPayload(R"({"iss":"a","jti":"b","iat":)" + json + "}"));
    ASSERT_TRUE(claims.has_value());
    EXPECT_EQ(claims->iat, seconds);
  }
}

TEST(JwtClaims, IatOutOfRangeOrNotANumberRefused) {
  for (const std::string json : {"-1", "-0.5", "-1e3", "-9223372036854775808", "9223372036854775808",
                                 "18446744073709551615", "18446744073709551616", "9007199254740994.0",
                                 "1e300", "1e400", R"("1700000000")", "null", "true", "[1]", "{}"}) {
    SCOPED_TRACE(json);
    EXPECT_FALSE(DecodeJwtClaims(TokenWithPayload(R"({"iss":"a","jti":"b","iat":)" + json + "}")));
  }
}

// --- Required and typed claims ---

TEST(JwtClaims, MissingOrMistypedIssOrJtiRefused) {
  for (const std::string payload :
       {R"({"jti":"b"})", R"({"iss":"a"})", R"({})", R"({"iss":"a","jti":""})", R"({"iss":"a","jti":5})",
        R"({"iss":"a","jti":null})", R"({"iss":"a","jti":["b"]})", R"({"iss":true,"jti":"b"})",
        R"({"iss":{"v":"a"},"jti":"b"})", R"({"ISS":"a","jti":"b"})"}) {
    SCOPED_TRACE(payload);
    EXPECT_FALSE(DecodeJwtClaims(TokenWithPayload(payload)));
  }
}

TEST(JwtClaims, OptionalClaimOfWrongTypeRefused) {
  for (const std::string name : {"sub", "client_id", "sid"}) {
    for (const std::string value : {"5", "null", "false", "[]", R"(["x"])", R"({"v":"x"})", "1.5"}) {
      const std::string payload = R"({"iss":"a","jti":"b",")" + name + "\":" + value + "}";
      SCOPED_TRACE(payload);
      EXPECT_FALSE(DecodeJwtClaims(TokenWithPayload(payload)));
    }
  }
}

TEST(JwtClaims, DuplicateClaimRefused) {
  for (const std::string payload : {
           R"({"iss":"a","jti":"b","jti":"c"})", R"({"iss":"a","iss":"a","jti":"b"})",
           R"({"iss":"a","jti":"b","sub":"s","sub":"t"})",
           R"({"iss":"a","jti":"b","client_id":"c","client_id":"c"})",
           R"({"iss":"a","jti":"b","sid":"s","sid":"t"})", R"({"iss":"a","jti":"b","iat":1,"iat":2})",
           R"({"iss":"a","jti":"b","\u006a\u0074\u0069":"c"})",  // jti, escaped
       }) {
    SCOPED_TRACE(payload);
    EXPECT_FALSE(DecodeJwtClaims(TokenWithPayload(payload)));
  }
  // Unknown claims may repeat.
  EXPECT_TRUE(DecodeJwtClaims(TokenWithPayload(R"({"iss":"a","jti":"b","exp":1,"exp":2})")));
}

TEST(JwtClaims, NamesAndStringsUnescaped) {
  const auto claims = DecodeJwtClaims(
      TokenWithPayload(R"({"\u0069ss":"caf\u00e9 \ud83d\ude00","jti":"a\"b\\c\/d","sub":"\u00e9"})"));
  ASSERT_TRUE(claims.has_value());
  EXPECT_EQ(claims->iss, "caf\xc3\xa9 \xf0\x9f\x98\x80");
  EXPECT_EQ(claims->jti, "a\"b\\c/d");
  EXPECT_EQ(claims->sub, "\xc3\xa9");
  // A name that only looks like a claim after a NUL is another name.
  EXPECT_FALSE(DecodeJwtClaims(TokenWithPayload(R"({"iss":"a","jti\u0000":"b"})")));
}

TEST(JwtClaims, RawUnicodeAccepted) {
  const auto claims = DecodeJwtClaims(
      TokenWithPayload("{\"iss\":\"\xe6\x97\xa5\xe6\x9c\xac\",\"jti\":\"\xf0\x9f\x94\x91\"}"));
  ASSERT_TRUE(claims.has_value());
  EXPECT_EQ(claims->iss, "\xe6\x97\xa5\xe6\x9c\xac");
  EXPECT_EQ(claims->jti, "\xf0\x9f\x94\x91");
}

TEST(JwtClaims, InvalidUtf8Refused) {
  // A lone continuation byte, a truncated sequence, an overlong NUL, an encoded surrogate, > U+10FFFF.
  for (const std::string& bad :
       {"\x80"s, "\xff"s, "\xe6\x97"s, "\xc0\x80"s, "\xed\xa0\x80"s, "\xf4\x90\x80\x80"s}) {
    SCOPED_TRACE(::testing::PrintToString(bad));
    EXPECT_FALSE(DecodeJwtClaims(TokenWithPayload(R"({"iss":"a","jti":"b)" + bad + "\"}")));
    EXPECT_FALSE(DecodeJwtClaims(TokenWithPayload(R"({"iss":"a","jti":"b","x":")" + bad + "\"}")));
    EXPECT_FALSE(DecodeJwtClaims(TokenWithPayload(R"({"iss":"a","jti":"b",")" + bad + "\":1}")));
    EXPECT_FALSE(DecodeJwtClaims(Token(R"({"alg":")" + bad + "\"}", kMinimalPayload)));
  }
  // An escaped lone surrogate is no character either.
  EXPECT_FALSE(DecodeJwtClaims(TokenWithPayload(R"({"iss":"a","jti":"\ud800"})")));
}

TEST(JwtClaims, NulBytes) {
  // Escaped, NUL is a character like any other, kept in the string.
  const auto claims = DecodeJwtClaims(TokenWithPayload(R"({"iss":"a","jti":"x\u0000y"})"));
  ASSERT_TRUE(claims.has_value());
  EXPECT_EQ(claims->jti, "x\0y"s);
  // Raw inside a string, after the object, or before it: not JSON.
  EXPECT_FALSE(DecodeJwtClaims(TokenWithPayload("{\"iss\":\"a\",\"jti\":\"x\0y\"}"s)));
  EXPECT_FALSE(DecodeJwtClaims(TokenWithPayload("{\"iss\":\"a\",\"jti\":\"b\"}\0"s)));
  EXPECT_FALSE(DecodeJwtClaims(TokenWithPayload("\0{\"iss\":\"a\",\"jti\":\"b\"}"s)));
  EXPECT_FALSE(DecodeJwtClaims(Token("{}\0"s, kMinimalPayload)));
  // In the compact form itself: not base64url, whichever segment.
  const std::string token = TokenWithPayload(kMinimalPayload);
  const size_t first_dot = token.find('.');
  const size_t second_dot = token.find('.', first_dot + 1);
  for (size_t at : {size_t{0}, first_dot, first_dot + 1, second_dot, token.size()}) {
    SCOPED_TRACE(at);
    std::string with_nul = token;
    with_nul.insert(at, 1, '\0');
    EXPECT_FALSE(DecodeJwtClaims(with_nul));
  }
}

// --- Shape and base64url ---

TEST(JwtClaims, WrongNumberOfSegmentsRefused) {
  const std::string header = Base64UrlEncode(kHeader);
  const std::string payload = Base64UrlEncode(kMinimalPayload);
  ASSERT_TRUE(DecodeJwtClaims(header + "." + payload + ".c2ln"));
  for (const std::string& token : {
           header + "." + payload,                     // two
           header + payload + "c2ln",                  // one
           header + "." + payload + ".c2ln.c2ln",      // four
           header + "." + payload + ".c2ln.",          // four, the last empty
           header + ".a2V5." + payload + ".aXY.dGFn",  // five (JWE shape)
           header + "." + payload + "..",              // four
           "." + header + "." + payload,               // empty header
           header + ".." + payload,                    // empty payload
           ""s,
           "."s,
           ".."s,
           "..."s,
           "...."s,
       }) {
    SCOPED_TRACE(token);
    EXPECT_FALSE(DecodeJwtClaims(token));
  }
}

TEST(JwtClaims, BadBase64Refused) {
  const std::string header = Base64UrlEncode(kHeader);
  const std::string payload = Base64UrlEncode(R"({"iss":"a","jti":"bc"})");
  ASSERT_EQ(payload.size() % 4, 2u);  // so that "==" is the padding a base64 encoder would add
  ASSERT_TRUE(DecodeJwtClaims(header + "." + payload + ".c2ln"));
  std::string stray_bits = payload;  // "}" is "fQ"; "fR" sets a bit past the last byte
  ASSERT_EQ(stray_bits.back(), 'Q');
  stray_bits.back() = 'R';
  std::string header_one_mod_four = header;
  while (header_one_mod_four.size() % 4 != 1) header_one_mod_four += 'A';
  std::string header_star = header;
  header_star.front() = '*';
  for (const std::string& token : {
           header + "." + payload + "==.c2ln",           // padding
           header + "." + payload + "=.c2ln",            // padding, one character
           header + "." + payload + "AAA.c2ln",          // length ≡ 1 mod 4
           header + "." + stray_bits + ".c2ln",          // non-canonical last character
           header + ".+" + payload.substr(1) + ".c2ln",  // standard alphabet
           header + "./" + payload.substr(1) + ".c2ln",  // standard alphabet
           header + "." + payload.substr(0, 4) + " " + payload.substr(4) + ".c2ln",
           header + "." + payload.substr(0, 4) + "\n" + payload.substr(4) + ".c2ln",
           header_star + "." + payload + ".c2ln",          // in the header
           header + "=." + payload + ".c2ln",              // padding in the header
           header_one_mod_four + "." + payload + ".c2ln",  // header length ≡ 1 mod 4
           header + "." + payload + ".c2ln=",              // signature: base64url characters only
           header + "." + payload + ".c2+n",               // signature, standard alphabet
           header + "." + payload + ".c2/n",               // signature, standard alphabet
           header + "." + payload + ".c2 n",               // signature, a space
       }) {
    SCOPED_TRACE(token);
    EXPECT_FALSE(DecodeJwtClaims(token));
  }
}

// --- JSON ---

TEST(JwtClaims, PayloadNotAJsonObjectRefused) {
  for (const std::string payload : {
           "not json", "iss=a&jti=b", R"([{"iss":"a","jti":"b"}])", R"("{\"iss\":\"a\",\"jti\":\"b\"}")",
           "42", "null", "true",
           R"({"iss":"a","jti":"b")",                    // truncated
           R"({"iss":"a","jti":"b)",                     // truncated in a string
           R"({"iss":"a","jti":)",                       // truncated after a name
           R"({"iss":"a","jti":"b"}x)",                  // trailing garbage
           R"({"iss":"a","jti":"b"}{})",                 // two documents
           R"({"iss":"a","jti":"b"},)",                  // a comma after the object
           R"({"iss":"a","jti":"b",})",                  // trailing comma
           R"({'iss':'a','jti':'b'})",                   // single quotes
           R"({iss:"a",jti:"b"})",                       // bare names
           "\xef\xbb\xbf{\"iss\":\"a\",\"jti\":\"b\"}",  // byte order mark
       }) {
    SCOPED_TRACE(payload);
    EXPECT_FALSE(DecodeJwtClaims(TokenWithPayload(payload)));
  }
}

TEST(JwtClaims, HeaderNotAJsonObjectRefused) {
  for (const std::string header : {"not json", R"(["alg"])", R"("alg")", "7", R"({"alg":"RS256")",
                                   R"({"alg":"RS256"}x)", R"({"alg":RS256})"}) {
    SCOPED_TRACE(header);
    EXPECT_FALSE(DecodeJwtClaims(Token(header, kMinimalPayload)));
  }
}

// --- Nesting: at most kMaxJwtJsonDepth levels, the payload object counting as one ---

TEST(JwtClaims, NestingUpToTheDepthLimitAccepted) {
  ASSERT_EQ(kMaxJwtJsonDepth, 64u);
  EXPECT_TRUE(DecodeJwtClaims(TokenWithPayload(PayloadNestedArrays(60))));
  EXPECT_TRUE(DecodeJwtClaims(TokenWithPayload(PayloadNestedArrays(kMaxJwtJsonDepth - 1))));
  EXPECT_TRUE(DecodeJwtClaims(
      Token(R"({"x":)" + std::string(63, '[') + std::string(63, ']') + "}", kMinimalPayload)));
}

TEST(JwtClaims, NestingBeyondTheDepthLimitRefused) {
  EXPECT_FALSE(DecodeJwtClaims(TokenWithPayload(PayloadNestedArrays(kMaxJwtJsonDepth))));
  EXPECT_FALSE(DecodeJwtClaims(TokenWithPayload(PayloadNestedArrays(1000))));
  EXPECT_FALSE(DecodeJwtClaims(
      Token(R"({"x":)" + std::string(64, '[') + std::string(64, ']') + "}", kMinimalPayload)));
  std::string objects = R"({"iss":"a","jti":"b","x":)";
  for (int i = 0; i < 1000; ++i) objects += R"({"y":)";
  objects += '1';
  objects.append(1001, '}');
  EXPECT_FALSE(DecodeJwtClaims(TokenWithPayload(objects)));
  // Unbalanced nesting is refused as well, and a refusal leaves the parser fit for the next token.
  EXPECT_FALSE(
      DecodeJwtClaims(TokenWithPayload(R"({"iss":"a","jti":"b","x":)" + std::string(1000, '[') + "}")));
  EXPECT_TRUE(DecodeJwtClaims(TokenWithPayload(kMinimalPayload)));
}

TEST(JwtClaims, HugeNestingRefusedBySize) {
  EXPECT_FALSE(DecodeJwtClaims(TokenWithPayload(std::string(100000, '['))));
  EXPECT_FALSE(DecodeJwtClaims(TokenWithPayload(PayloadNestedArrays(100000))));
}

// --- Size bounds ---

TEST(JwtClaims, PayloadAtTheBoundAcceptedOneByteOverRefused) {
  const std::string at_bound = JsonOfSize(kMaxJwtPayloadBytes);
  ASSERT_EQ(at_bound.size(), kMaxJwtPayloadBytes);
  ASSERT_EQ(Base64UrlEncode(at_bound).size(), kMaxSegmentChars);
  EXPECT_TRUE(DecodeJwtClaims(TokenWithPayload(at_bound)));
  EXPECT_FALSE(DecodeJwtClaims(TokenWithPayload(JsonOfSize(kMaxJwtPayloadBytes + 1))));
  EXPECT_FALSE(DecodeJwtClaims(TokenWithPayload(JsonOfSize(kMaxJwtPayloadBytes + 3))));
}

TEST(JwtClaims, HeaderAtTheBoundAcceptedOneByteOverRefused) {
  const std::string head = R"({"alg":"RS256","pad":")";
  EXPECT_TRUE(DecodeJwtClaims(Token(JsonOfSize(kMaxJwtPayloadBytes, head), kMinimalPayload)));
  EXPECT_FALSE(DecodeJwtClaims(Token(JsonOfSize(kMaxJwtPayloadBytes + 1, head), kMinimalPayload)));
}

TEST(JwtClaims, SignatureAtTheBoundAcceptedOneCharOverRefused) {
  EXPECT_TRUE(DecodeJwtClaims(Token(kHeader, kMinimalPayload, std::string(kMaxSegmentChars, 'A'))));
  EXPECT_FALSE(DecodeJwtClaims(Token(kHeader, kMinimalPayload, std::string(kMaxSegmentChars + 1, 'A'))));
}

TEST(JwtClaims, TenMegabyteInputRefused) {
  constexpr size_t kTenMb = 10 << 20;
  EXPECT_FALSE(DecodeJwtClaims(TokenWithPayload(JsonOfSize(kTenMb))));
  EXPECT_FALSE(DecodeJwtClaims(Token(JsonOfSize(kTenMb, R"({"alg":")"), kMinimalPayload)));
  EXPECT_FALSE(DecodeJwtClaims(Token(kHeader, kMinimalPayload, std::string(kTenMb, 'A'))));
  EXPECT_FALSE(DecodeJwtClaims(std::string(kTenMb, '.')));
  EXPECT_FALSE(DecodeJwtClaims(std::string(kTenMb, 'A')));
}

// --- Concurrency: each thread has its own parser ---

TEST(JwtClaims, ConcurrentCallersGetTheirOwnClaims) {
  // Tokens of different shapes, so that a parser shared by mistake would mix up their documents.
  constexpr int kThreads = 4;
  std::vector<std::string> tokens;
  std::vector<JwtClaims> expected;
  for (int t = 0; t < kThreads; ++t) {
    std::string payload = "{";
    for (int field = 0; field < 40 * t; ++field) {
      payload += "\"f" + std::to_string(field) + "\":[1,{\"x\":\"y\"}],";
    }
    const std::string jti = "thread-" + std::to_string(t);
    payload += R"("iss":"a","jti":")" + jti + R"(","iat":)" + std::to_string(t) + "}";
    tokens.push_back(TokenWithPayload(payload));
    expected.push_back(JwtClaims{"a", jti, std::nullopt, std::nullopt, std::nullopt, t});
  }
  std::atomic<bool> start{false};
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      while (!start.load()) std::this_thread::yield();
      for (int i = 0; i < 20000; ++i) {
        if (DecodeJwtClaims(tokens[t]) != expected[t]) ++mismatches[t];
      }
    });
  }
  start = true;
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(mismatches, std::vector<int>(kThreads, 0));
}

// --- Mutation run: random damage must never crash, and what leaves the claims alone changes nothing ---

constexpr std::string_view kBase64UrlChars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Any byte, biased towards those that keep a token half-plausible.
char RandomByte(std::mt19937& rng) {
  switch (rng() % 4) {
    case 0:
      return '.';
    case 1:
      return kBase64UrlChars[rng() % kBase64UrlChars.size()];
    default:
      return static_cast<char>(rng() & 0xff);
  }
}

// One flip, insertion, deletion or truncation at a random place in [begin, token->size()).
void Mutate(std::string* token, size_t begin, std::mt19937& rng, bool base64url_only) {
  const size_t span = token->size() - begin;
  const char byte = base64url_only ? kBase64UrlChars[rng() % kBase64UrlChars.size()] : RandomByte(rng);
  switch (rng() % 4) {
    case 0:
      if (span > 0) (*token)[begin + rng() % span] = byte;
      break;
    case 1:
      token->insert(begin + rng() % (span + 1), 1, byte);
      break;
    case 2:
      if (span > 0) token->erase(begin + rng() % span, 1);
      break;
    default:
      token->resize(begin + rng() % (span + 1));
      break;
  }
}

// `token` split at every '.'.
std::vector<std::string_view> SplitAtDots(std::string_view token) {
  std::vector<std::string_view> segments;
  for (size_t begin = 0;;) {
    const size_t dot = token.find('.', begin);
    segments.push_back(token.substr(begin, dot - begin));
    if (dot == std::string_view::npos) return segments;
    begin = dot + 1;
  }
}

TEST(JwtClaims, SurvivesRandomMutations) {
  const std::string original =
      TokenWithPayload(R"({"iss":"https://idp.example","jti":"4f1c","sub":"user-7","iat":1700000000.5,)"
                       R"("client_id":"web","sid":"h-42","scope":["a",{"b":[1,2.5,null,true]}]})");
  const auto expected = DecodeJwtClaims(original);
  ASSERT_TRUE(expected.has_value());
  const std::vector<std::string_view> original_segments = SplitAtDots(original);
  const size_t signature_begin = original.size() - original_segments[2].size();

  std::mt19937 rng(20240611);
  int accepted = 0, refused = 0, signature_only = 0, payload_kept = 0, payload_kept_accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string token = original;
    // Every fourth run damages only the signature, keeping it base64url: that must change nothing.
    const bool signature_only_run = i % 4 == 0;
    const int mutations = 1 + static_cast<int>(rng() % 3);
    for (int m = 0; m < mutations; ++m) {
      Mutate(&token, signature_only_run ? signature_begin : 0, rng, signature_only_run);
    }
    const auto claims = DecodeJwtClaims(token);
    claims ? ++accepted : ++refused;
    const std::vector<std::string_view> segments = SplitAtDots(token);
    if (signature_only_run) {
      ++signature_only;
      ASSERT_EQ(claims, expected) << "run " << i << ": " << token;
    } else if (segments.size() == 3 && segments[1] == original_segments[1]) {
      // Only the header or the signature was damaged: refused, or the very same claims.
      ++payload_kept;
      if (claims) {
        ++payload_kept_accepted;
        ASSERT_EQ(claims, expected) << "run " << i << ": " << token;
      }
    }
  }
  // The run explored both sides of each decision, not just one.
  SCOPED_TRACE(::testing::Message() << "accepted " << accepted << ", refused " << refused << ", payload kept "
                                    << payload_kept << " (" << payload_kept_accepted << " accepted)");
  EXPECT_EQ(signature_only, 5000);
  EXPECT_GT(accepted, signature_only);
  EXPECT_GT(refused, 5000);
  EXPECT_GT(payload_kept_accepted, 50);
  EXPECT_GT(payload_kept - payload_kept_accepted, 50);
}

}  // namespace
}  // namespace latchkey
