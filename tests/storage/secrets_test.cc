// Tests for secrets.h: base64url without padding (RFC 4648 §5) both ways, including what the decoder
// must refuse, SHA-256 against the FIPS 180-2 vectors, and the CSPRNG's output shape.
#include "storage/secrets.h"

#include <gtest/gtest.h>

#include <cctype>
#include <random>
#include <set>
#include <string>

namespace latchkey {
namespace {

std::string Hex(const Digest& d) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : d) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

// RFC 4648 §10 test vectors, with the padding removed as base64url without padding requires.
TEST(SecretsBase64Url, EncodesRfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64UrlEncode(plain), encoded) << plain;
    EXPECT_EQ(Base64UrlDecode(encoded), plain) << encoded;
  }
}

// The URL-safe alphabet: 62 is '-' and 63 is '_' (never '+' and '/').
TEST(SecretsBase64Url, UsesUrlSafeAlphabet) {
  EXPECT_EQ(Base64UrlEncode("\xfb\xff\xbf"), "-_-_");
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(Base64UrlDecode("-_-_"), "\xfb\xff\xbf");
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  const std::string encoded = Base64UrlEncode(all);
  for (char c : encoded) {
    EXPECT_TRUE(isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << c;
  }
}

// Every length 0..100 of random bytes (and all 256 byte values) round-trips, with ceil(4n/3) chars.
TEST(SecretsBase64Url, RoundTripsEveryLength) {
  std::mt19937 rng(42);
  for (size_t n = 0; n <= 100; ++n) {
    for (int trial = 0; trial < 8; ++trial) {
      std::string bytes(n, '\0');
      for (char& c : bytes) c = static_cast<char>(rng());
      const std::string encoded = Base64UrlEncode(bytes);
      EXPECT_EQ(encoded.size(), (4 * n + 2) / 3) << n;
      EXPECT_EQ(Base64UrlDecode(encoded), bytes) << n;
    }
  }
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  EXPECT_EQ(Base64UrlDecode(Base64UrlEncode(all)), all);
}

TEST(SecretsBase64Url, RejectsPadding) {
  for (const char* text : {"Zg==", "Zm8=", "Zg=", "=", "Zm9v====", "Zm9vYg=="}) {
    EXPECT_FALSE(Base64UrlDecode(text).has_value()) << text;
  }
}

TEST(SecretsBase64Url, RejectsCharactersOutsideTheAlphabet) {
  for (const std::string& text :
       {std::string("Zm9+"), std::string("Zm9/"), std::string("Zm 9v"), std::string("Zm9v\n"),
        std::string("Zm9v."), std::string("Zm\0v", 4), std::string("Zm9\xc3\xa9"), std::string("Zm9*")}) {
    EXPECT_FALSE(Base64UrlDecode(text).has_value()) << text;
  }
}

// A length of 4k+1 cannot come from any byte string.
TEST(SecretsBase64Url, RejectsImpossibleLengths) {
  for (const char* text : {"Z", "Zm9vY", "Zm9vYmFyZ"}) {
    EXPECT_FALSE(Base64UrlDecode(text).has_value()) << text;
  }
}

// Unused low bits of the last character must be zero: one encoding per byte string, so a handle or
// token cannot be presented in several spellings.
TEST(SecretsBase64Url, RejectsNonCanonicalTails) {
  EXPECT_EQ(Base64UrlDecode("Zg"), "f");
  for (const char* text : {"Zh", "Zi", "Zv", "Zm9", "Zm-", "Zm9vYh", "Zm9vYmF"}) {
    EXPECT_FALSE(Base64UrlDecode(text).has_value()) << text;
  }
  // Exhaustively: of the 64 possible second characters after 'Z', only the 4 with zero low bits decode.
  int accepted = 0;
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (char c : alphabet) accepted += Base64UrlDecode(std::string("Z") + c).has_value() ? 1 : 0;
  EXPECT_EQ(accepted, 4);
}

// FIPS 180-2 appendix B vectors and the empty string.
TEST(SecretsSha256, MatchesKnownVectors) {
  EXPECT_EQ(Hex(Sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Hex(Sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Hex(Sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Hex(Sha256(std::string(1000000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(SecretsSha256, DigestBytesViewsAll32Bytes) {
  const Digest d = Sha256("abc");
  const std::string_view bytes = DigestBytes(d);
  ASSERT_EQ(bytes.size(), 32u);
  EXPECT_EQ(static_cast<uint8_t>(bytes[0]), 0xba);
  EXPECT_EQ(static_cast<uint8_t>(bytes[31]), 0xad);
}

TEST(SecretsRandomBytes, HasTheRequestedLengthAndDiffers) {
  EXPECT_EQ(RandomBytes(0).size(), 0u);
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string bytes = RandomBytes(16);
    ASSERT_EQ(bytes.size(), 16u);
    EXPECT_TRUE(seen.insert(bytes).second) << "a 128-bit random value repeated";
  }
}

// Small requests come from a per-thread pool: across refills, with odd sizes and large requests in
// between, no bytes are handed out twice and the output is not stuck (every byte value shows up).
TEST(SecretsRandomBytes, ThePoolNeverRepeatsAcrossRefills) {
  std::set<std::string> seen;
  std::set<unsigned char> values;
  for (int i = 0; i < 3000; ++i) {
    const size_t n = i % 7 == 0 ? 200 : 12 + static_cast<size_t>(i % 5);
    const std::string bytes = RandomBytes(n);
    ASSERT_EQ(bytes.size(), n);
    EXPECT_TRUE(seen.insert(bytes).second) << "random bytes repeated at request " << i;
    for (unsigned char c : bytes) values.insert(c);
  }
  EXPECT_EQ(values.size(), 256u);
}

}  // namespace
}  // namespace latchkey
