// Refresh-token primitives (SPEC §4): the keyring (token_keyring.h: `rtoken-keys` parsing, the generated
// key file), the token text and its tag (refresh_token.h: round trip, every bit flip, truncation and
// extension, unknown kid, another key under the same kid), the sealed successor, and family ids in text.
// TokenFamilies itself is in token_families_test.cc.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>

#include "storage/refresh_token.h"
#include "storage/secrets.h"
#include "storage/token_keyring.h"

namespace latchkey {
namespace {

// 32 bytes in hex, made of one repeated byte (distinct keys for distinct bytes).
std::string HexKey(char byte_hex_digit, size_t hex_digits = 64) {
  return std::string(hex_digits, byte_hex_digit);
}

std::string Word(int kid, std::string_view hex) {
  return std::to_string(kid) + ":" + std::string(hex);
}

std::unique_ptr<TokenKeyring> MustParse(std::string_view words) {
  std::unique_ptr<TokenKeyring> keys;
  const Status s = TokenKeyring::Parse(words, &keys);
  EXPECT_TRUE(s.ok()) << words << ": " << s.message();
  return keys;
}

// Whether Parse refuses `words` (and leaves *out untouched).
bool Refuses(std::string_view words) {
  std::unique_ptr<TokenKeyring> keys;
  const Status s = TokenKeyring::Parse(words, &keys);
  EXPECT_EQ(keys, nullptr) << words;
  return !s.ok() && !s.message().empty();
}

FamilyId RandomFamily() {
  const std::string raw = RandomBytes(kFamilyIdBytes);
  FamilyId id;
  std::copy(raw.begin(), raw.end(), id.begin());
  return id;
}

void ExpectSameToken(const RefreshToken& a, const RefreshToken& b) {
  EXPECT_EQ(a.kid, b.kid);
  EXPECT_EQ(a.family, b.family);
  EXPECT_EQ(a.generation, b.generation);
  EXPECT_EQ(a.secret, b.secret);
}

class RefreshTokenTest : public ::testing::Test {
 protected:
  void SetUp() override { keys_ = MustParse(Word(7, HexKey('a'))); }
  std::unique_ptr<TokenKeyring> keys_;
};

// ---- TokenKeyring::Parse ----

TEST(RefreshTokenKeyring, ParsesOneKeyWhichSigns) {
  auto keys = MustParse(Word(42, HexKey('0')));
  ASSERT_NE(keys, nullptr);
  EXPECT_EQ(keys->signing_kid(), 42);
  EXPECT_TRUE(keys->Has(42));
  EXPECT_FALSE(keys->Has(41));
  EXPECT_FALSE(keys->Has(0));
}

TEST(RefreshTokenKeyring, SeveralKeysAllVerifyAndTheFirstSigns) {
  // Spaces and newlines both separate; upper-case hex; kids 0 and 255 at the edges.
  auto keys = MustParse("  9:" + HexKey('A') + "\n0:" + HexKey('b') + "  \n 255:" + HexKey('c', 128) + "\n");
  ASSERT_NE(keys, nullptr);
  EXPECT_EQ(keys->signing_kid(), 9);
  EXPECT_TRUE(keys->Has(9));
  EXPECT_TRUE(keys->Has(0));
  EXPECT_TRUE(keys->Has(255));
  EXPECT_FALSE(keys->Has(1));
  // Tokens signed by the first key carry its kid; every listed key verifies.
  const RefreshToken token = NewRefreshToken(*keys, RandomFamily(), 3);
  EXPECT_EQ(token.kid, 9);
  for (uint8_t kid : {uint8_t{9}, uint8_t{0}, uint8_t{255}}) {
    RefreshToken t = token;
    t.kid = kid;
    const auto parsed = ParseRefreshToken(RefreshTokenText(RefreshTokenBody(t, *keys)), *keys);
    ASSERT_TRUE(parsed.has_value()) << int{kid};
    ExpectSameToken(*parsed, t);
  }
}

TEST(RefreshTokenKeyring, DifferentKeysGiveDifferentTags) {
  auto keys = MustParse(Word(1, HexKey('1')) + " " + Word(2, HexKey('2')));
  uint8_t a[16], b[16], a2[16];
  keys->Tag(1, "data", a);
  keys->Tag(2, "data", b);
  keys->Tag(1, "data", a2);
  EXPECT_NE(std::string_view(reinterpret_cast<char*>(a), 16),
            std::string_view(reinterpret_cast<char*>(b), 16));
  EXPECT_EQ(std::string_view(reinterpret_cast<char*>(a), 16),
            std::string_view(reinterpret_cast<char*>(a2), 16));
}

TEST(RefreshTokenKeyring, KeyLengthBoundsAre32To128HexDigits) {
  EXPECT_NE(MustParse(Word(1, HexKey('f', 32))), nullptr);
  EXPECT_NE(MustParse(Word(1, HexKey('f', 128))), nullptr);
  EXPECT_TRUE(Refuses(Word(1, HexKey('f', 30))));   // 15 bytes
  EXPECT_TRUE(Refuses(Word(1, HexKey('f', 130))));  // 65 bytes
  EXPECT_TRUE(Refuses(Word(1, "")));                // no key at all
}

TEST(RefreshTokenKeyring, RefusesBadKids) {
  for (const std::string& word :
       {Word(256, HexKey('a')), Word(1000, HexKey('a')), "-1:" + HexKey('a'), ":" + HexKey('a'),
        "x1:" + HexKey('a'), "1x:" + HexKey('a'), "0007:" + HexKey('a'), HexKey('a'), " 1 :" + HexKey('a')}) {
    EXPECT_TRUE(Refuses(word)) << word;
  }
  // Leading zeros within three digits are the same kid.
  auto keys = MustParse("007:" + HexKey('a'));
  ASSERT_NE(keys, nullptr);
  EXPECT_EQ(keys->signing_kid(), 7);
}

TEST(RefreshTokenKeyring, RefusesOddOrNonHexDigits) {
  EXPECT_TRUE(Refuses(Word(1, HexKey('a', 63))));
  EXPECT_TRUE(Refuses(Word(1, HexKey('a', 65))));
  EXPECT_TRUE(Refuses(Word(1, HexKey('a', 62) + "g0")));
  EXPECT_TRUE(Refuses(Word(1, HexKey('a', 62) + "0x")));
  EXPECT_TRUE(Refuses(Word(1, HexKey('a', 30) + ":" + HexKey('a', 33))));
}

TEST(RefreshTokenKeyring, RefusesADuplicateKid) {
  EXPECT_TRUE(Refuses(Word(3, HexKey('a')) + " " + Word(3, HexKey('b'))));
  EXPECT_TRUE(Refuses(Word(3, HexKey('a')) + " " + Word(3, HexKey('a'))));
  EXPECT_TRUE(Refuses(Word(3, HexKey('a')) + " 03:" + HexKey('b')));
  // One bad word anywhere spoils the list.
  EXPECT_TRUE(Refuses(Word(3, HexKey('a')) + " " + Word(4, HexKey('b', 3))));
}

TEST(RefreshTokenKeyring, RefusesAnEmptyList) {
  EXPECT_TRUE(Refuses(""));
  EXPECT_TRUE(Refuses("   \n\t \n"));
}

// ---- TokenKeyring::LoadOrCreate ----

class RefreshTokenKeyFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/latchkey-rtoken-keys-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = (std::filesystem::path(dir_) / TokenKeyring::kFileName).string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string ReadFile() {
    std::ifstream in(path_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  std::string dir_, path_;
};

TEST_F(RefreshTokenKeyFile, CreatesAPrivateFileWithOneKeyUnderKid1) {
  ASSERT_FALSE(std::filesystem::exists(path_));
  std::unique_ptr<TokenKeyring> keys;
  const Status s = TokenKeyring::LoadOrCreate(dir_, true, &keys);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_NE(keys, nullptr);
  EXPECT_EQ(keys->signing_kid(), 1);
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string text = ReadFile();
  ASSERT_EQ(text.size(), 2u + 64u + 1u) << text;  // "1:" + 32 bytes in hex + "\n"
  EXPECT_EQ(text.substr(0, 2), "1:");
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(text.find_first_not_of("0123456789abcdef", 2), text.size() - 1);
}

TEST_F(RefreshTokenKeyFile, LoadsTheSameKeyTheSecondTime) {
  std::unique_ptr<TokenKeyring> first, second;
  ASSERT_TRUE(TokenKeyring::LoadOrCreate(dir_, true, &first).ok());
  const std::string text = ReadFile();
  ASSERT_TRUE(TokenKeyring::LoadOrCreate(dir_, true, &second).ok());
  EXPECT_EQ(ReadFile(), text);  // not regenerated
  const std::string token =
      RefreshTokenText(RefreshTokenBody(NewRefreshToken(*first, RandomFamily(), 0), *first));
  EXPECT_TRUE(ParseRefreshToken(token, *second).has_value());
  // The file holds exactly that key.
  EXPECT_TRUE(ParseRefreshToken(token, *MustParse(text)).has_value());
}

TEST_F(RefreshTokenKeyFile, TwoDataDirsGetDifferentKeys) {
  char tmpl[] = "/tmp/latchkey-rtoken-keys-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string other = tmpl;
  std::unique_ptr<TokenKeyring> a, b;
  ASSERT_TRUE(TokenKeyring::LoadOrCreate(dir_, true, &a).ok());
  ASSERT_TRUE(TokenKeyring::LoadOrCreate(other, true, &b).ok());
  const std::string token = RefreshTokenText(RefreshTokenBody(NewRefreshToken(*a, RandomFamily(), 0), *a));
  EXPECT_FALSE(ParseRefreshToken(token, *b).has_value());
  std::filesystem::remove_all(other);
}

TEST_F(RefreshTokenKeyFile, UsesAnExistingFileAndReportsABadOne) {
  {
    std::ofstream out(path_);
    out << Word(5, HexKey('d')) << "\n" << Word(6, HexKey('e')) << "\n";
  }
  std::unique_ptr<TokenKeyring> keys;
  ASSERT_TRUE(TokenKeyring::LoadOrCreate(dir_, true, &keys).ok());
  EXPECT_EQ(keys->signing_kid(), 5);
  EXPECT_TRUE(keys->Has(6));
  {
    std::ofstream out(path_, std::ios::trunc);
    out << "5:abc\n";
  }
  std::unique_ptr<TokenKeyring> bad;
  const Status s = TokenKeyring::LoadOrCreate(dir_, true, &bad);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(path_), std::string::npos) << s.message();
  EXPECT_EQ(bad, nullptr);
}

TEST_F(RefreshTokenKeyFile, FailsInAMissingDirectory) {
  std::unique_ptr<TokenKeyring> keys;
  EXPECT_FALSE(TokenKeyring::LoadOrCreate(dir_ + "/missing/sub", true, &keys).ok());
  EXPECT_EQ(keys, nullptr);
}

// ---- Token text ----

TEST_F(RefreshTokenTest, RoundTripThroughBodyAndText) {
  for (uint32_t generation : {0u, 1u, 255u, 256u, 65536u, 0x01020304u, 0xffffffffu}) {
    const FamilyId family = RandomFamily();
    const RefreshToken token = NewRefreshToken(*keys_, family, generation);
    EXPECT_EQ(token.kid, 7);
    EXPECT_EQ(token.family, family);
    EXPECT_EQ(token.generation, generation);
    const std::string body = RefreshTokenBody(token, *keys_);
    ASSERT_EQ(body.size(), kTokenBodyBytes);
    EXPECT_EQ(static_cast<uint8_t>(body[0]), 7);
    EXPECT_EQ(body.substr(1, kFamilyIdBytes), std::string(family.data(), family.size()));
    EXPECT_EQ(static_cast<uint8_t>(body[13]), generation >> 24);  // big-endian
    EXPECT_EQ(static_cast<uint8_t>(body[16]), generation & 0xff);
    EXPECT_EQ(body.substr(17, kTokenSecretBytes), std::string(token.secret_bytes()));
    EXPECT_EQ(RefreshTokenBody(token, *keys_), body);  // deterministic
    const std::string text = RefreshTokenText(body);
    ASSERT_EQ(text.size(), 3u + 66u);
    EXPECT_EQ(text.substr(0, 3), "r1_");
    EXPECT_EQ(Base64UrlDecode(text.substr(3)), body);
    const auto parsed = ParseRefreshToken(text, *keys_);
    ASSERT_TRUE(parsed.has_value()) << text;
    ExpectSameToken(*parsed, token);
  }
}

TEST_F(RefreshTokenTest, NewTokensHaveFreshSecrets) {
  const FamilyId family = RandomFamily();
  std::set<std::string> secrets;
  for (int i = 0; i < 1000; ++i)
    secrets.insert(std::string(NewRefreshToken(*keys_, family, 0).secret_bytes()));
  EXPECT_EQ(secrets.size(), 1000u);
}

TEST_F(RefreshTokenTest, EverySingleBitFlipOfTheBodyIsRejected) {
  const std::string body = RefreshTokenBody(NewRefreshToken(*keys_, RandomFamily(), 12), *keys_);
  ASSERT_TRUE(ParseRefreshToken(RefreshTokenText(body), *keys_).has_value());
  for (size_t bit = 0; bit < body.size() * 8; ++bit) {
    std::string flipped = body;
    flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
    EXPECT_FALSE(ParseRefreshToken(RefreshTokenText(flipped), *keys_).has_value()) << "bit " << bit;
  }
}

TEST_F(RefreshTokenTest, EverySingleBitFlipIsRejectedAlsoWithTheFlippedKidKnown) {
  // A keyring holding kid 7 and every kid one bit away: a flipped kid names a known key, and the tag
  // still refuses it.
  std::string words = Word(7, HexKey('a'));
  for (int bit = 0; bit < 8; ++bit) words.append(" ").append(Word(7 ^ (1 << bit), HexKey('a')));
  auto keys = MustParse(words);
  const std::string body = RefreshTokenBody(NewRefreshToken(*keys, RandomFamily(), 0), *keys);
  for (int bit = 0; bit < 8; ++bit) {
    std::string flipped = body;
    flipped[0] = static_cast<char>(flipped[0] ^ (1 << bit));
    EXPECT_FALSE(ParseRefreshToken(RefreshTokenText(flipped), *keys).has_value()) << "bit " << bit;
  }
}

TEST_F(RefreshTokenTest, EveryTruncationAndExtensionIsRejected) {
  const std::string body = RefreshTokenBody(NewRefreshToken(*keys_, RandomFamily(), 1), *keys_);
  const std::string text = RefreshTokenText(body);
  for (size_t n = 0; n < text.size(); ++n) {
    EXPECT_FALSE(ParseRefreshToken(text.substr(0, n), *keys_).has_value()) << "text prefix " << n;
  }
  for (size_t n = 0; n < body.size(); ++n) {
    EXPECT_FALSE(ParseRefreshToken(RefreshTokenText(body.substr(0, n)), *keys_).has_value()) << "body " << n;
    EXPECT_FALSE(ParseRefreshToken(RefreshTokenText(body.substr(n + 1)), *keys_).has_value()) << "body " << n;
  }
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ \n";
  for (char c : alphabet) {
    EXPECT_FALSE(ParseRefreshToken(text + c, *keys_).has_value()) << "appended " << c;
    EXPECT_FALSE(ParseRefreshToken(c + text, *keys_).has_value()) << "prepended " << c;
  }
  for (const std::string& extra : {std::string(1, '\0'), std::string("\xff"), std::string("tail")}) {
    EXPECT_FALSE(ParseRefreshToken(RefreshTokenText(body + extra), *keys_).has_value());
  }
  EXPECT_FALSE(ParseRefreshToken(text + text, *keys_).has_value());
}

TEST_F(RefreshTokenTest, RejectsAnotherPrefixAndNonCanonicalText) {
  const std::string text =
      RefreshTokenText(RefreshTokenBody(NewRefreshToken(*keys_, RandomFamily(), 1), *keys_));
  for (std::string_view prefix : {"r2_", "R1_", "r1-", "s1_", "r1 "}) {
    EXPECT_FALSE(ParseRefreshToken(std::string(prefix) + text.substr(3), *keys_).has_value()) << prefix;
  }
  // Every other last character: its low 4 bits are padding, so only the same character is canonical.
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (char c : alphabet) {
    if (c == text.back()) continue;
    std::string other = text;
    other.back() = c;
    EXPECT_FALSE(ParseRefreshToken(other, *keys_).has_value()) << other;
  }
  // Standard base64's characters are not base64url's.
  std::string standard = text;
  standard[10] = '+';
  EXPECT_FALSE(ParseRefreshToken(standard, *keys_).has_value());
}

TEST_F(RefreshTokenTest, UnknownKidIsRejected) {
  auto other = MustParse(Word(8, HexKey('a')));  // the same key bytes, another kid
  const std::string text =
      RefreshTokenText(RefreshTokenBody(NewRefreshToken(*keys_, RandomFamily(), 0), *keys_));
  EXPECT_TRUE(ParseRefreshToken(text, *keys_).has_value());
  EXPECT_FALSE(ParseRefreshToken(text, *other).has_value());
}

TEST_F(RefreshTokenTest, AnotherKeyUnderTheSameKidDoesNotVerify) {
  auto other = MustParse(Word(7, HexKey('b')));
  const RefreshToken token = NewRefreshToken(*keys_, RandomFamily(), 4);
  const std::string mine = RefreshTokenText(RefreshTokenBody(token, *keys_));
  const std::string theirs = RefreshTokenText(RefreshTokenBody(token, *other));
  EXPECT_NE(mine, theirs);
  EXPECT_TRUE(ParseRefreshToken(mine, *keys_).has_value());
  EXPECT_FALSE(ParseRefreshToken(mine, *other).has_value());
  EXPECT_FALSE(ParseRefreshToken(theirs, *keys_).has_value());
  EXPECT_TRUE(ParseRefreshToken(theirs, *other).has_value());
}

TEST_F(RefreshTokenTest, KeyRotationKeepsOldTokensValid) {
  auto rotated = MustParse(Word(8, HexKey('c')) + " " + Word(7, HexKey('a')));
  const std::string old_token =
      RefreshTokenText(RefreshTokenBody(NewRefreshToken(*keys_, RandomFamily(), 0), *keys_));
  EXPECT_TRUE(ParseRefreshToken(old_token, *rotated).has_value());
  const RefreshToken fresh = NewRefreshToken(*rotated, RandomFamily(), 0);
  EXPECT_EQ(fresh.kid, 8);
  EXPECT_FALSE(ParseRefreshToken(RefreshTokenText(RefreshTokenBody(fresh, *rotated)), *keys_).has_value());
}

// ---- The sealed successor ----

class RefreshTokenSealTest : public RefreshTokenTest {
 protected:
  void SetUp() override {
    RefreshTokenTest::SetUp();
    family_ = RandomFamily();
    predecessor_ = NewRefreshToken(*keys_, family_, 5);
    successor_ = NewRefreshToken(*keys_, family_, 6);
    body_ = RefreshTokenBody(successor_, *keys_);
    sealed_ = SealSuccessor(predecessor_, 6, body_);
  }
  FamilyId family_{};
  RefreshToken predecessor_, successor_;
  std::string body_, sealed_;
};

TEST_F(RefreshTokenSealTest, UnsealRoundTrip) {
  EXPECT_EQ(sealed_.size(), 12u + kTokenBodyBytes + 16u);  // nonce, ciphertext, GCM tag
  EXPECT_EQ(sealed_.find(std::string(successor_.secret_bytes())), std::string::npos);
  EXPECT_EQ(sealed_.find(body_.substr(1, kFamilyIdBytes)), std::string::npos);
  const auto opened = UnsealSuccessor(predecessor_, 6, sealed_);
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(*opened, body_);
  // The predecessor as parsed from its text opens it just the same.
  const auto parsed = ParseRefreshToken(RefreshTokenText(RefreshTokenBody(predecessor_, *keys_)), *keys_);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(UnsealSuccessor(*parsed, 6, sealed_), body_);
}

TEST_F(RefreshTokenSealTest, EachSealIsFreshlyRandomized) {
  const std::string again = SealSuccessor(predecessor_, 6, body_);
  EXPECT_NE(again, sealed_);
  EXPECT_EQ(UnsealSuccessor(predecessor_, 6, again), body_);
}

TEST_F(RefreshTokenSealTest, AnotherPredecessorSecretFails) {
  RefreshToken other = NewRefreshToken(*keys_, family_, 5);  // same family and generation
  ASSERT_NE(other.secret, predecessor_.secret);
  EXPECT_FALSE(UnsealSuccessor(other, 6, sealed_).has_value());
  // The successor itself (the head) cannot open its own seal either.
  EXPECT_FALSE(UnsealSuccessor(successor_, 6, sealed_).has_value());
}

TEST_F(RefreshTokenSealTest, AnotherGenerationOrFamilyFails) {
  for (uint32_t generation : {0u, 5u, 7u, 0x80000006u}) {
    EXPECT_FALSE(UnsealSuccessor(predecessor_, generation, sealed_).has_value()) << generation;
  }
  RefreshToken moved = predecessor_;
  moved.family[11] = static_cast<char>(moved.family[11] ^ 1);
  EXPECT_FALSE(UnsealSuccessor(moved, 6, sealed_).has_value());
}

TEST_F(RefreshTokenSealTest, TamperedOrResizedSealFails) {
  for (size_t bit = 0; bit < sealed_.size() * 8; bit += 7) {
    std::string flipped = sealed_;
    flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
    EXPECT_FALSE(UnsealSuccessor(predecessor_, 6, flipped).has_value()) << "bit " << bit;
  }
  EXPECT_FALSE(UnsealSuccessor(predecessor_, 6, sealed_.substr(1)).has_value());
  EXPECT_FALSE(UnsealSuccessor(predecessor_, 6, sealed_ + "x").has_value());
  EXPECT_FALSE(UnsealSuccessor(predecessor_, 6, "").has_value());
}

// ---- Family ids in text ----

TEST(RefreshTokenFamilyText, RoundTrip) {
  for (int i = 0; i < 100; ++i) {
    const FamilyId id = RandomFamily();
    const std::string text = FamilyText(id);
    ASSERT_EQ(text.size(), 16u);
    EXPECT_EQ(text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos);
    const auto parsed = ParseFamily(text);
    ASSERT_TRUE(parsed.has_value()) << text;
    EXPECT_EQ(*parsed, id);
  }
  FamilyId zeros{};
  EXPECT_EQ(FamilyText(zeros), "AAAAAAAAAAAAAAAA");
  EXPECT_EQ(ParseFamily("AAAAAAAAAAAAAAAA"), zeros);
}

TEST(RefreshTokenFamilyText, RejectsWhatIsNotAFamilyId) {
  const std::string text = FamilyText(RandomFamily());
  for (const std::string& bad : {std::string(), text.substr(0, 15), text + "A", text.substr(0, 12),
                                 text + text, text.substr(0, 15) + "=", text.substr(0, 15) + "+",
                                 text.substr(0, 15) + "/", std::string("AAAAAAAAAAAAAAA.")}) {
    EXPECT_FALSE(ParseFamily(bad).has_value()) << bad;
  }
  // A whole token is not a family id.
  auto keys = MustParse(Word(1, HexKey('a')));
  EXPECT_FALSE(
      ParseFamily(RefreshTokenText(RefreshTokenBody(NewRefreshToken(*keys, RandomFamily(), 0), *keys)))
          .has_value());
}

}  // namespace
}  // namespace latchkey
