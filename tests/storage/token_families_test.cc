// TokenFamilies (SPEC §4) at explicit clock values, without a write log or events: every row of the
// ROTATE decision table as its own test, then ISSUE's cap, REVOKEALL, LIST, IsLive, active expiry,
// counters, loading records, and 16 threads rotating one token at once.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <latch>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "storage/family_record.h"
#include "storage/refresh_token.h"
#include "storage/secrets.h"
#include "storage/token_families.h"
#include "storage/token_keyring.h"
#include "storage/write_log.h"

namespace latchkey {

using Outcome = TokenFamilies::Outcome;

// Internal linkage, found by argument-dependent lookup: outcomes print by name.
static void PrintTo(Outcome o, std::ostream* os) {
  static constexpr const char* kNames[] = {"kRotated", "kReplayed", "kBadToken", "kNotFound",
                                           "kRevoked", "kExpired",  "kMismatch", "kReused"};
  *os << kNames[static_cast<int>(o)];
}

namespace {

constexpr int64_t kNow = 1'700'000'000'000;
constexpr int64_t kSecond = 1000, kMinute = 60 * kSecond, kHour = 60 * kMinute;

std::string Describe(const TokenFamilies::View& v) {
  std::ostringstream o;
  o << v.family << " sub=" << v.sub << " client=" << v.client << " session=" << v.session
    << " data=" << v.data << " reason=" << v.reason << " state=" << v.state << " gen=" << v.gen
    << " created=" << v.created_ms << " rotated=" << v.last_rotated_ms << " idle=" << v.idle_deadline_ms
    << " abs=" << v.abs_deadline_ms << " grace=" << v.grace_deadline_ms << " uses=" << v.grace_uses;
  return o.str();
}

FamilyId RandomFamily() {
  const std::string raw = RandomBytes(kFamilyIdBytes);
  FamilyId id;
  std::copy(raw.begin(), raw.end(), id.begin());
  return id;
}

// `text` with one bit of its body flipped, re-encoded.
std::string FlipBit(const std::string& text, size_t bit) {
  std::string body = Base64UrlDecode(text.substr(3)).value();
  body[bit / 8] = static_cast<char>(body[bit / 8] ^ (1 << (bit % 8)));
  return RefreshTokenText(body);
}

class NoCommitLog : public WriteLog {
 public:
  void Notify() override {}
};

class TokenFamiliesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(TokenKeyring::Parse("3:" + std::string(64, 'c'), &keys_).ok());
    store_ = std::make_unique<TokenFamilies>(nullptr, nullptr, keys_.get());
  }
  // ABS 24 h, IDLE 1 h, GRACE 10 s, GRACEUSES 3.
  static TokenFamilies::IssueOptions Options(std::string_view sub = "alice",
                                             std::string_view client = "web") {
    return {.sub = sub,
            .client = client,
            .abs_ms = 24 * kHour,
            .idle_ms = kHour,
            .grace_ms = 10 * kSecond,
            .grace_uses = 3,
            .session = "sess-handle",
            .data = "{\"scope\":\"x\"}"};
  }
  TokenFamilies::Issued Issue(int64_t now, std::string_view sub = "alice", std::string_view client = "web") {
    return store_->Issue(now, Options(sub, client));
  }
  Outcome Rotate(int64_t now, std::string_view token, std::optional<std::string_view> client = std::nullopt,
                 TokenFamilies::Rotated* out = nullptr) {
    TokenFamilies::Rotated r;
    return store_->Rotate(now, token, client, out != nullptr ? out : &r);
  }
  // Rotates (or replays) and returns the head token it answers with.
  std::string Expect(Outcome expected, int64_t now, std::string_view token) {
    TokenFamilies::Rotated r;
    EXPECT_EQ(store_->Rotate(now, token, std::nullopt, &r), expected);
    return r.token;
  }
  TokenFamilies::View Inspect(int64_t now, std::string_view token) {
    TokenFamilies::View v;
    EXPECT_EQ(Lookup(now, token), TokenFamilies::Lookup::kFound);
    store_->Inspect(now, token, &v, &presented_);
    return v;
  }
  // INSPECT's answer, and what it calls the token ("head", "grace", "stale").
  TokenFamilies::Lookup Lookup(int64_t now, std::string_view token) {
    TokenFamilies::View v;
    return store_->Inspect(now, token, &v, &presented_);
  }
  std::string_view PresentedAs(int64_t now, std::string_view token) {
    Inspect(now, token);
    return presented_;
  }
  std::vector<std::string> ListFamilies(int64_t now, std::string_view sub,
                                        std::optional<std::string_view> client = std::nullopt) {
    std::vector<std::string> out;
    for (const auto& v : store_->List(now, sub, client)) out.push_back(v.family + ":" + std::string(v.state));
    return out;
  }
  // Everything observable about `tokens` and their subject, to compare before and after.
  std::string Snapshot(int64_t now, const std::vector<std::string>& tokens, std::string_view sub = "alice") {
    return SnapshotOf(*store_, now, tokens, sub);
  }
  // With `counters` false, only what Load restores (the live and tombstone counts).
  static std::string SnapshotOf(TokenFamilies& store, int64_t now, const std::vector<std::string>& tokens,
                                std::string_view sub, bool counters = true) {
    std::ostringstream o;
    for (const auto& token : tokens) {
      TokenFamilies::View v;
      std::string_view as;
      o << static_cast<int>(store.Inspect(now, token, &v, &as)) << " " << as << " " << Describe(v) << "\n";
    }
    for (const auto& v : store.List(now, sub, std::nullopt)) o << Describe(v) << "\n";
    const auto c = store.counters();
    o << "live=" << c.live << " tombstones=" << c.tombstones;
    if (counters) o << " " << CountersText(store);
    return o.str();
  }
  static std::string CountersText(TokenFamilies& store) {
    const auto c = store.counters();
    std::ostringstream o;
    o << "issued=" << c.issued << " rotations=" << c.rotations << " replays=" << c.grace_replays
      << " rejections=" << c.grace_rejections << " reuse=" << c.reuse_detections << " revoked=" << c.revoked
      << " evictions=" << c.evictions << " expired=" << c.expired;
    return o.str();
  }
  // A genuine (keyring-signed) token of `family` with any generation and a fresh secret.
  std::string Genuine(std::string_view family, uint32_t generation) {
    return RefreshTokenText(
        RefreshTokenBody(NewRefreshToken(*keys_, ParseFamily(family).value(), generation), *keys_));
  }

  std::unique_ptr<TokenKeyring> keys_;
  std::unique_ptr<TokenFamilies> store_;
  std::string_view presented_;
};

// ---- ISSUE ----

TEST_F(TokenFamiliesTest, IssueMintsGenerationZeroWithItsFields) {
  const auto issued = Issue(kNow);
  EXPECT_EQ(issued.gen, 0u);
  EXPECT_EQ(issued.idle_deadline_ms, kNow + kHour);
  EXPECT_EQ(issued.abs_deadline_ms, kNow + 24 * kHour);
  const auto token = ParseRefreshToken(issued.token, *keys_);
  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(token->generation, 0u);
  EXPECT_EQ(FamilyText(token->family), issued.family);
  const auto v = Inspect(kNow + kSecond, issued.token);
  EXPECT_EQ(presented_, "head");
  EXPECT_EQ(Describe(v),
            issued.family +
                " sub=alice client=web session=sess-handle data={\"scope\":\"x\"} reason= state=live "
                "gen=0 created=" +
                std::to_string(kNow) + " rotated=" + std::to_string(kNow) +
                " idle=" + std::to_string(kNow + kHour) + " abs=" + std::to_string(kNow + 24 * kHour) +
                " grace=0 uses=0");
  auto o = Options();
  o.idle_ms = 48 * kHour;  // idle longer than absolute: clamped
  EXPECT_EQ(store_->Issue(kNow, o).idle_deadline_ms, kNow + 24 * kHour);
}

// ---- ROTATE, row by row ----

TEST_F(TokenFamiliesTest, Row1ForgedOrBitFlippedTokensAreBadTokenAndChangeNothing) {
  const auto issued = Issue(kNow);
  const std::string t1 = Expect(Outcome::kRotated, kNow + kSecond, issued.token);
  const int64_t at = kNow + 2 * kSecond;
  const std::string before = Snapshot(at, {issued.token, t1});
  for (const std::string* token : {&issued.token, &t1}) {  // the predecessor and the head
    for (size_t bit = 0; bit < kTokenBodyBytes * 8; ++bit) {
      ASSERT_EQ(Rotate(at, FlipBit(*token, bit)), Outcome::kBadToken) << bit;
    }
    for (size_t n = 0; n < token->size(); ++n) ASSERT_EQ(Rotate(at, token->substr(0, n)), Outcome::kBadToken);
    EXPECT_EQ(Rotate(at, *token + "A"), Outcome::kBadToken);
  }
  // Signed with another key under the same kid, for this very family, at the head and the predecessor.
  std::unique_ptr<TokenKeyring> forger;
  ASSERT_TRUE(TokenKeyring::Parse("3:" + std::string(64, 'd'), &forger).ok());
  for (uint32_t gen : {0u, 1u, 2u}) {
    const auto forged = NewRefreshToken(*forger, ParseFamily(issued.family).value(), gen);
    EXPECT_EQ(Rotate(at, RefreshTokenText(RefreshTokenBody(forged, *forger)), "web"), Outcome::kBadToken);
  }
  EXPECT_EQ(Rotate(at, "r1_garbage"), Outcome::kBadToken);
  EXPECT_EQ(Rotate(at, ""), Outcome::kBadToken);
  EXPECT_EQ(Lookup(at, FlipBit(t1, 100)), TokenFamilies::Lookup::kBadToken);
  bool revoked = true;
  EXPECT_EQ(store_->Revoke(at, FlipBit(t1, 100), "x", &revoked), TokenFamilies::Lookup::kBadToken);
  EXPECT_EQ(Snapshot(at, {issued.token, t1}), before);
  EXPECT_TRUE(store_->IsLive(at, issued.family));
  EXPECT_EQ(Expect(Outcome::kReplayed, at, issued.token), t1);  // the window is untouched too
  EXPECT_NE(Expect(Outcome::kRotated, at, t1), "");
}

TEST_F(TokenFamiliesTest, Row2GenuineTokenOfAFamilyThatNeverExistedIsNotFound) {
  const auto issued = Issue(kNow);
  const std::string before = Snapshot(kNow, {issued.token});
  for (int i = 0; i < 20; ++i) {
    const std::string token = Genuine(FamilyText(RandomFamily()), static_cast<uint32_t>(i));
    EXPECT_EQ(Rotate(kNow, token), Outcome::kNotFound);
    EXPECT_EQ(Rotate(kNow, token, "web"), Outcome::kNotFound);
    EXPECT_EQ(Lookup(kNow, token), TokenFamilies::Lookup::kNotFound);
  }
  EXPECT_EQ(Snapshot(kNow, {issued.token}), before);
}

TEST_F(TokenFamiliesTest, Row3RevokedFamilyIsRevoked) {
  const auto issued = Issue(kNow);
  const std::string t1 = Expect(Outcome::kRotated, kNow + kSecond, issued.token);
  EXPECT_TRUE(store_->RevokeFamily(kNow + 2 * kSecond, issued.family, "logout"));
  EXPECT_FALSE(store_->RevokeFamily(kNow + 2 * kSecond, issued.family, "again"));  // idempotent
  EXPECT_EQ(Rotate(kNow + 3 * kSecond, t1), Outcome::kRevoked);
  EXPECT_EQ(Rotate(kNow + 3 * kSecond, issued.token), Outcome::kRevoked);  // in the old window: still REVOKED
  EXPECT_EQ(Rotate(kNow + 3 * kSecond, t1, "other"), Outcome::kRevoked);
  const auto v = Inspect(kNow + 3 * kSecond, t1);
  EXPECT_EQ(v.state, "revoked");
  EXPECT_EQ(v.reason, "logout");
  EXPECT_EQ(v.grace_deadline_ms, 0);
  EXPECT_FALSE(store_->IsLive(kNow + 3 * kSecond, issued.family));
  // Revoking by token works the same; an unknown family answers false.
  const auto other = Issue(kNow);
  bool revoked = false;
  EXPECT_EQ(store_->Revoke(kNow, other.token, "r", &revoked), TokenFamilies::Lookup::kFound);
  EXPECT_TRUE(revoked);
  EXPECT_EQ(Rotate(kNow, other.token), Outcome::kRevoked);
  EXPECT_FALSE(store_->RevokeFamily(kNow, "AAAAAAAAAAAAAAAA", "r"));
  EXPECT_FALSE(store_->RevokeFamily(kNow, "not a family", "r"));
}

TEST_F(TokenFamiliesTest, Row4PastTheIdleDeadlineIsExpired) {
  const auto a = Issue(kNow), b = Issue(kNow);
  EXPECT_EQ(Rotate(kNow + kHour, a.token), Outcome::kRotated);  // the deadline itself is still live
  const std::string t1 = Expect(Outcome::kRotated, kNow + 2 * kSecond, b.token);
  const int64_t late = kNow + 2 * kSecond + kHour + 1;
  EXPECT_EQ(Rotate(late, t1), Outcome::kExpired);
  EXPECT_EQ(Rotate(late, b.token), Outcome::kExpired);  // row 4 comes before reuse detection
  EXPECT_EQ(Rotate(late, t1, "other"), Outcome::kExpired);
  EXPECT_EQ(Rotate(late, t1), Outcome::kExpired);
  const auto v = Inspect(late, t1);
  EXPECT_EQ(v.state, "expired");
  EXPECT_EQ(v.reason, "");
  EXPECT_FALSE(store_->IsLive(late, b.family));
  EXPECT_EQ(store_->counters().reuse_detections, 0u);
}

TEST_F(TokenFamiliesTest, Row4PastTheAbsoluteDeadlineIsExpiredUntilPurged) {
  auto o = Options();
  o.idle_ms = kHour;
  o.abs_ms = 2 * kHour;
  const auto issued = store_->Issue(kNow, o);
  std::string head = issued.token;
  for (int64_t t = kNow + 50 * kMinute; t <= kNow + 2 * kHour; t += 50 * kMinute)
    head = Expect(Outcome::kRotated, t, head);
  EXPECT_EQ(Rotate(kNow + 2 * kHour + 1, head), Outcome::kExpired);
  EXPECT_EQ(Inspect(kNow + 2 * kHour + 1, head).state, "expired");  // kept, not NOTFOUND
}

TEST_F(TokenFamiliesTest, Row5ClientMismatchRevokesNothing) {
  const auto issued = Issue(kNow);
  const std::string before = Snapshot(kNow, {issued.token});
  EXPECT_EQ(Rotate(kNow, issued.token, "mobile"), Outcome::kMismatch);
  EXPECT_EQ(Rotate(kNow, issued.token, ""), Outcome::kMismatch);
  EXPECT_EQ(Snapshot(kNow, {issued.token}), before);
  TokenFamilies::Rotated r;
  EXPECT_EQ(Rotate(kNow, issued.token, "web", &r), Outcome::kRotated);
  // A stale token from the wrong client: MISMATCH, not reuse.
  const std::string t2 = Expect(Outcome::kRotated, kNow + kSecond, r.token);
  EXPECT_EQ(Rotate(kNow + 2 * kSecond, issued.token, "mobile"), Outcome::kMismatch);
  EXPECT_TRUE(store_->IsLive(kNow + 2 * kSecond, issued.family));
  EXPECT_EQ(Rotate(kNow + 2 * kSecond, t2, "web"), Outcome::kRotated);
}

TEST_F(TokenFamiliesTest, Row6RotateMintsTheNextGeneration) {
  const auto issued = Issue(kNow);
  TokenFamilies::Rotated r;
  ASSERT_EQ(Rotate(kNow + kMinute, issued.token, "web", &r), Outcome::kRotated);
  EXPECT_NE(r.token, issued.token);
  const auto next = ParseRefreshToken(r.token, *keys_);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->generation, 1u);
  EXPECT_EQ(FamilyText(next->family), issued.family);
  EXPECT_NE(next->secret, ParseRefreshToken(issued.token, *keys_)->secret);
  const int64_t t = kNow + kMinute;
  EXPECT_EQ(Describe(r.view), issued.family +
                                  " sub=alice client=web session=sess-handle data={\"scope\":\"x\"} reason= "
                                  "state=live gen=1 created=" +
                                  std::to_string(kNow) + " rotated=" + std::to_string(t) + " idle=" +
                                  std::to_string(t + kHour) + " abs=" + std::to_string(kNow + 24 * kHour) +
                                  " grace=" + std::to_string(t + 10 * kSecond) + " uses=0");
  EXPECT_EQ(PresentedAs(kNow + kMinute, r.token), "head");
  EXPECT_EQ(PresentedAs(kNow + kMinute, issued.token), "grace");
}

TEST_F(TokenFamiliesTest, Row6RotationNeverExtendsTheAbsoluteDeadline) {
  auto o = Options();
  o.abs_ms = 2 * kHour;
  o.idle_ms = kHour;
  const auto issued = store_->Issue(kNow, o);
  const int64_t abs = kNow + 2 * kHour;
  std::string head = issued.token;
  uint32_t gen = 0;
  for (int64_t t = kNow + 30 * kMinute; t <= abs; t += 5 * kMinute) {
    TokenFamilies::Rotated r;
    ASSERT_EQ(Rotate(t, head, std::nullopt, &r), Outcome::kRotated) << t - kNow;
    head = r.token;
    EXPECT_EQ(r.view.gen, ++gen);
    EXPECT_EQ(r.view.abs_deadline_ms, abs);
    EXPECT_EQ(r.view.idle_deadline_ms, std::min(t + kHour, abs));
  }
  EXPECT_EQ(gen, 19u);  // the last one at the absolute deadline itself
  EXPECT_EQ(Rotate(abs + 1, head), Outcome::kExpired);
}

TEST_F(TokenFamiliesTest, Row7ReplayInsideTheWindowReturnsTheSameSuccessor) {
  const auto issued = Issue(kNow);
  const std::string t1 = Expect(Outcome::kRotated, kNow, issued.token);
  for (uint32_t use = 1; use <= 3; ++use) {
    TokenFamilies::Rotated r;
    ASSERT_EQ(Rotate(kNow + use * kSecond, issued.token, "web", &r), Outcome::kReplayed) << use;
    EXPECT_EQ(r.token, t1);
    EXPECT_EQ(r.view.gen, 1u);
    EXPECT_EQ(r.view.grace_uses, use);
    EXPECT_EQ(r.view.last_rotated_ms, kNow);  // nothing minted, nothing slid
  }
  EXPECT_EQ(PresentedAs(kNow + 4 * kSecond, t1), "head");
  EXPECT_EQ(PresentedAs(kNow + 4 * kSecond, issued.token), "stale");  // uses exhausted
  EXPECT_EQ(Rotate(kNow + 4 * kSecond, issued.token), Outcome::kReused);
  const auto v = Inspect(kNow + 4 * kSecond, t1);
  EXPECT_EQ(v.state, "revoked");
  EXPECT_EQ(v.reason, "reuse");
  EXPECT_EQ(Rotate(kNow + 4 * kSecond, t1), Outcome::kRevoked);
}

TEST_F(TokenFamiliesTest, Row7ReplayAtTheGraceDeadlineItselfIsAccepted) {
  const auto issued = Issue(kNow);
  const std::string t1 = Expect(Outcome::kRotated, kNow, issued.token);
  EXPECT_EQ(Expect(Outcome::kReplayed, kNow + 10 * kSecond, issued.token), t1);
}

TEST_F(TokenFamiliesTest, Row7TheNewPredecessorReplaysAfterTheHeadRotates) {
  const auto issued = Issue(kNow);
  const std::string t1 = Expect(Outcome::kRotated, kNow, issued.token);
  const std::string t2 = Expect(Outcome::kRotated, kNow + kSecond, t1);
  EXPECT_EQ(Expect(Outcome::kReplayed, kNow + 2 * kSecond, t1), t2);
  EXPECT_EQ(Inspect(kNow + 2 * kSecond, t2).grace_deadline_ms, kNow + 11 * kSecond);
}

TEST_F(TokenFamiliesTest, Row8ReplayAfterTheWindowIsReuse) {
  const auto issued = Issue(kNow);
  const std::string t1 = Expect(Outcome::kRotated, kNow, issued.token);
  EXPECT_EQ(Rotate(kNow + 10 * kSecond + 1, issued.token), Outcome::kReused);
  EXPECT_EQ(Inspect(kNow + 11 * kSecond, t1).reason, "reuse");
  EXPECT_EQ(Rotate(kNow + 11 * kSecond, t1), Outcome::kRevoked);
}

TEST_F(TokenFamiliesTest, Row8AnOlderGenerationIsReuseEvenInsideAWindow) {
  const auto issued = Issue(kNow);
  const std::string t1 = Expect(Outcome::kRotated, kNow, issued.token);
  const std::string t2 = Expect(Outcome::kRotated, kNow, t1);
  EXPECT_EQ(Rotate(kNow + 1, issued.token), Outcome::kReused);  // T0 after T0→T1→T2
  EXPECT_EQ(Rotate(kNow + 1, t2), Outcome::kRevoked);
  EXPECT_EQ(Rotate(kNow + 1, t1), Outcome::kRevoked);
}

TEST_F(TokenFamiliesTest, Row8ReplayIsRefusedOnceTheHeadWasUsed) {
  const auto issued = Issue(kNow);
  const std::string t1 = Expect(Outcome::kRotated, kNow, issued.token);
  EXPECT_EQ(Expect(Outcome::kReplayed, kNow + 1, issued.token), t1);
  Expect(Outcome::kRotated, kNow + 2, t1);                      // the client used its successor
  EXPECT_EQ(Rotate(kNow + 3, issued.token), Outcome::kReused);  // T0's window would still be open
}

TEST_F(TokenFamiliesTest, Row8GraceZeroMakesThePredecessorReuseAtOnce) {
  auto o = Options();
  o.grace_ms = 0;
  const auto a = store_->Issue(kNow, o);
  TokenFamilies::Rotated r;
  ASSERT_EQ(Rotate(kNow, a.token, std::nullopt, &r), Outcome::kRotated);
  EXPECT_EQ(r.view.grace_deadline_ms, 0);
  EXPECT_EQ(Rotate(kNow, a.token), Outcome::kReused);
  EXPECT_EQ(Rotate(kNow, r.token), Outcome::kRevoked);
  o.grace_ms = 10 * kSecond;  // a window but no uses: the same
  o.grace_uses = 0;
  const auto b = store_->Issue(kNow, o);
  Expect(Outcome::kRotated, kNow, b.token);
  EXPECT_EQ(Rotate(kNow, b.token), Outcome::kReused);
}

TEST_F(TokenFamiliesTest, Row8AfterReuseTheHeadAndTheReplayedTokenAreRevoked) {
  const auto issued = Issue(kNow);
  const std::string t1 = Expect(Outcome::kRotated, kNow, issued.token);
  const std::string t2 = Expect(Outcome::kRotated, kNow + 1, t1);
  EXPECT_EQ(Expect(Outcome::kReplayed, kNow + 2, t1), t2);
  EXPECT_EQ(Rotate(kNow + 3, issued.token), Outcome::kReused);
  for (const std::string& t : {t2, t1, issued.token}) EXPECT_EQ(Rotate(kNow + 4, t), Outcome::kRevoked);
  EXPECT_FALSE(store_->IsLive(kNow + 4, issued.family));
  EXPECT_EQ(ListFamilies(kNow + 4, "alice"), std::vector<std::string>{issued.family + ":revoked"});
  EXPECT_EQ(SnapshotOf(*store_, kNow, {}, "", false), "live=0 tombstones=1");
  EXPECT_EQ(store_->counters().reuse_detections, 1u);
}

TEST_F(TokenFamiliesTest, Row8AnyOtherGenuineTokenOfTheFamilyIsReuse) {
  const auto a = Issue(kNow), b = Issue(kNow);
  EXPECT_EQ(Rotate(kNow, Genuine(a.family, 0)), Outcome::kReused);  // the head's generation, another secret
  EXPECT_EQ(Rotate(kNow, a.token), Outcome::kRevoked);
  EXPECT_EQ(Rotate(kNow, Genuine(b.family, 5)), Outcome::kReused);  // a generation never minted
  EXPECT_EQ(store_->counters().grace_rejections, 0u);
}

// ---- ISSUE's cap, REVOKEALL, LIST, IsLive ----

TEST_F(TokenFamiliesTest, IssueCapRevokesTheOldestFamilyOfTheSameSubjectAndClientOnly) {
  auto o = Options();
  o.max_families = 2;
  const auto w1 = store_->Issue(kNow, o);
  const auto w2 = store_->Issue(kNow, o);  // same millisecond: creation order decides
  const auto m1 = Issue(kNow, "alice", "mobile");
  const auto b1 = Issue(kNow, "bob", "web");
  const auto w3 = store_->Issue(kNow, o);
  EXPECT_EQ(Rotate(kNow, w1.token), Outcome::kRevoked);
  EXPECT_EQ(Inspect(kNow, w1.token).reason, "evicted");
  for (const auto* live : {&w2, &m1, &b1, &w3}) EXPECT_TRUE(store_->IsLive(kNow, live->family));
  EXPECT_EQ(store_->counters().evictions, 1u);
  // Revoked and idle-expired families do not count against the cap.
  EXPECT_TRUE(store_->RevokeFamily(kNow, w2.family, "x"));
  const auto w4 = store_->Issue(kNow + 1, o);
  EXPECT_TRUE(store_->IsLive(kNow + 1, w3.family));
  const int64_t later = kNow + 1 + kHour + 1;  // w3, w4 idle-expired
  const auto w5 = store_->Issue(later, o), w6 = store_->Issue(later, o);
  EXPECT_EQ(store_->counters().evictions, 1u);
  const auto w7 = store_->Issue(later, o);
  EXPECT_EQ(Inspect(later, w5.token).state, "revoked");
  EXPECT_TRUE(store_->IsLive(later, w6.family) && store_->IsLive(later, w7.family));
  EXPECT_EQ(Inspect(later, w4.token).state, "expired");
  EXPECT_EQ(store_->counters().evictions, 2u);
}

TEST_F(TokenFamiliesTest, RevokeAllWithAndWithoutClient) {
  const auto w1 = Issue(kNow), w2 = Issue(kNow), m = Issue(kNow, "alice", "mobile"), b = Issue(kNow, "bob");
  auto o = Options();
  o.idle_ms = kMinute;
  const auto idle = store_->Issue(kNow, o);
  const int64_t at = kNow + 2 * kMinute;  // `idle` has expired: neither counted nor revoked
  EXPECT_EQ(store_->RevokeAll(at, "alice", "web", "password-change"), 2u);
  EXPECT_EQ(store_->RevokeAll(at, "alice", "web", "again"), 0u);
  EXPECT_EQ(Inspect(at, w1.token).reason, "password-change");
  EXPECT_EQ(Rotate(at, w2.token), Outcome::kRevoked);
  EXPECT_EQ(Inspect(at, idle.token).state, "expired");
  EXPECT_TRUE(store_->IsLive(at, m.family));
  EXPECT_EQ(store_->RevokeAll(at, "alice", std::nullopt, "all"), 1u);
  EXPECT_EQ(Inspect(at, m.token).reason, "all");
  EXPECT_TRUE(store_->IsLive(at, b.family));
  EXPECT_EQ(store_->RevokeAll(at, "nobody", std::nullopt, "all"), 0u);
  EXPECT_EQ(store_->counters().revoked, 3u);
}

TEST_F(TokenFamiliesTest, ListIsOldestFirstWithLiveAndRevokedButNotExpired) {
  const auto a1 = Issue(kNow + 5);
  const auto a2 = Issue(kNow + 7, "alice", "mobile");
  const auto a3 = Issue(kNow + 7);  // same millisecond as a2, created after it
  auto o = Options();
  o.idle_ms = kMinute;
  const auto a4 = store_->Issue(kNow + 8, o);
  Issue(kNow, "bob");
  EXPECT_TRUE(store_->RevokeFamily(kNow + 9, a2.family, "x"));
  EXPECT_EQ(ListFamilies(kNow + 10, "alice"),
            (std::vector<std::string>{a1.family + ":live", a2.family + ":revoked", a3.family + ":live",
                                      a4.family + ":live"}));
  const int64_t later = kNow + 2 * kMinute;  // a4 idle-expired
  EXPECT_EQ(ListFamilies(later, "alice"),
            (std::vector<std::string>{a1.family + ":live", a2.family + ":revoked", a3.family + ":live"}));
  EXPECT_EQ(ListFamilies(later, "alice", "web"),
            (std::vector<std::string>{a1.family + ":live", a3.family + ":live"}));
  EXPECT_EQ(ListFamilies(later, "alice", "mobile"), std::vector<std::string>{a2.family + ":revoked"});
  EXPECT_TRUE(ListFamilies(later, "alice", "tv").empty());
  EXPECT_TRUE(ListFamilies(later, "carol").empty());
  const auto views = store_->List(later, "alice", "web");
  ASSERT_EQ(views.size(), 2u);
  EXPECT_EQ(Describe(views[0]), Describe(Inspect(later, a1.token)));
  // Past the absolute deadline a revoked family is expired too, purged or not.
  EXPECT_TRUE(ListFamilies(kNow + 24 * kHour + 10, "alice", "mobile").empty());
}

TEST_F(TokenFamiliesTest, IsLive) {
  const auto a = Issue(kNow), b = Issue(kNow);
  EXPECT_TRUE(store_->IsLive(kNow + kHour, a.family));
  EXPECT_FALSE(store_->IsLive(kNow + kHour + 1, a.family));
  EXPECT_TRUE(store_->RevokeFamily(kNow, b.family, "x"));
  EXPECT_FALSE(store_->IsLive(kNow, b.family));
  EXPECT_FALSE(store_->IsLive(kNow, "AAAAAAAAAAAAAAAA"));
  EXPECT_FALSE(store_->IsLive(kNow, a.token));
  EXPECT_FALSE(store_->IsLive(kNow, ""));
}

// ---- Active expiry ----

TEST_F(TokenFamiliesTest, RemoveExpiredMarksIdleExpiredThenPurgesAtTheAbsoluteDeadline) {
  auto o = Options();
  o.idle_ms = kMinute;
  o.abs_ms = kHour;
  const auto issued = store_->Issue(kNow, o);
  const auto revoked = store_->Issue(kNow, o);
  const std::string t1 = Expect(Outcome::kRotated, kNow, issued.token);
  EXPECT_TRUE(store_->RevokeFamily(kNow, revoked.family, "x"));
  EXPECT_EQ(SnapshotOf(*store_, kNow, {}, "", false), "live=1 tombstones=1");
  EXPECT_EQ(store_->RemoveExpired(kNow + kMinute, 100), 0u);  // the deadline itself is live
  EXPECT_EQ(store_->RemoveExpired(kNow + kMinute + 1, 100), 1u);
  EXPECT_EQ(SnapshotOf(*store_, kNow, {}, "", false), "live=0 tombstones=2");
  EXPECT_EQ(store_->counters().expired, 1u);
  EXPECT_EQ(Rotate(kNow + kMinute + 1, t1), Outcome::kExpired);
  EXPECT_EQ(Rotate(kNow + kMinute + 1, issued.token), Outcome::kExpired);
  const auto v = Inspect(kNow + kMinute + 1, t1);
  EXPECT_EQ(v.state, "expired");
  EXPECT_EQ(v.grace_deadline_ms, 0);
  EXPECT_EQ(Rotate(kNow + kMinute + 1, revoked.token), Outcome::kRevoked);
  EXPECT_EQ(store_->RemoveExpired(kNow + kHour, 100), 0u);
  EXPECT_EQ(store_->RemoveExpired(kNow + kHour + 1, 100), 2u);
  EXPECT_EQ(SnapshotOf(*store_, kNow, {}, "", false), "live=0 tombstones=0");
  EXPECT_EQ(store_->counters().expired, 1u);
  for (const std::string& t : {t1, issued.token, revoked.token}) {
    EXPECT_EQ(Rotate(kNow + kHour + 1, t), Outcome::kNotFound);
  }
  EXPECT_EQ(Lookup(kNow + kHour + 1, t1), TokenFamilies::Lookup::kNotFound);
  EXPECT_TRUE(store_->List(kNow + kHour + 1, "alice", std::nullopt).empty());
}

TEST_F(TokenFamiliesTest, RemoveExpiredHonoursItsLimitPerShard) {
  auto o = Options();
  o.idle_ms = kMinute;
  for (int i = 0; i < 5; ++i) store_->Issue(kNow + i, o);  // one subject: one shard
  EXPECT_EQ(store_->RemoveExpired(kNow + kHour, 2), 2u);
  EXPECT_EQ(store_->RemoveExpired(kNow + kHour, 2), 2u);
  EXPECT_EQ(store_->RemoveExpired(kNow + kHour, 2), 1u);
  EXPECT_EQ(store_->RemoveExpired(kNow + kHour, 2), 0u);
  EXPECT_EQ(store_->counters().tombstones, 5u);
}

// A command's clock, read before active expiry's, may be a little earlier: a family active expiry has
// already marked idle-expired must not rotate (it would come back counted as a tombstone, with its data
// cleared by the expiry and that loss written by the rotation).
TEST_F(TokenFamiliesTest, AFamilyMarkedExpiredDoesNotRotateWithAnEarlierClock) {
  const auto issued = Issue(kNow);
  EXPECT_EQ(store_->RemoveExpired(kNow + kHour + 1, 100), 1u);
  TokenFamilies::Rotated r;
  EXPECT_EQ(Rotate(kNow + kHour, issued.token, std::nullopt, &r), Outcome::kExpired);
  EXPECT_EQ(store_->counters().live + store_->counters().tombstones, 1u);
}

// ---- Counters ----

TEST_F(TokenFamiliesTest, CountersFollowEveryOutcome) {
  auto o = Options();
  o.max_families = 1;
  o.grace_uses = 1;
  const auto a = store_->Issue(kNow, o);
  Expect(Outcome::kRotated, kNow, a.token);
  Expect(Outcome::kReplayed, kNow, a.token);
  EXPECT_EQ(Rotate(kNow, a.token), Outcome::kReused);  // uses exhausted: a rejected replay
  const auto b = Issue(kNow, "bob");
  const std::string b1 = Expect(Outcome::kRotated, kNow, b.token);
  Expect(Outcome::kRotated, kNow, b1);
  EXPECT_EQ(Rotate(kNow, b.token), Outcome::kReused);  // two generations back: no replay refused
  const auto c1 = store_->Issue(kNow, Options("carol"));
  const auto d = Issue(kNow, "dave");
  Expect(Outcome::kRotated, kNow, d.token);
  EXPECT_EQ(Rotate(kNow + 11 * kSecond, d.token), Outcome::kReused);  // after the window: rejected replay
  auto carol = Options("carol");
  carol.max_families = 1;
  store_->Issue(kNow, carol);  // evicts c1
  EXPECT_EQ(Inspect(kNow, c1.token).reason, "evicted");
  EXPECT_EQ(CountersText(*store_),
            "issued=5 rotations=4 replays=1 rejections=2 reuse=3 revoked=4 evictions=1 expired=0");
  EXPECT_EQ(store_->counters().live, 1u);
  EXPECT_EQ(store_->counters().tombstones, 4u);
}

// ---- Loading records ----

TEST_F(TokenFamiliesTest, LoadOfAnEncodedFamilyRoundTrips) {
  const FamilyId id = ParseFamily(Issue(kNow, "carol").family).value();  // an id in carol's shard
  FamilyId fresh = id;
  fresh[5] = static_cast<char>(fresh[5] ^ 0x5a);
  const RefreshToken prev = NewRefreshToken(*keys_, fresh, 6), head = NewRefreshToken(*keys_, fresh, 7);
  const std::string head_body = RefreshTokenBody(head, *keys_);
  const StoredFamily f{.id = fresh,
                       .sub = "carol",
                       .client = "cli",
                       .session = "h",
                       .data = std::string("d\0ata", 5),
                       .reason = {},
                       .revoked = false,
                       .created_ms = kNow - kHour,
                       .created_seq = 1000,
                       .abs_deadline_ms = kNow + kHour,
                       .idle_ms = 30 * kMinute,
                       .last_rotated_ms = kNow - kSecond,
                       .head_gen = 7,
                       .head_hash = Sha256(head.secret_bytes()),
                       .grace_ms = 10 * kSecond,
                       .grace_uses_allowed = 2,
                       .prev_hash = Sha256(prev.secret_bytes()),
                       .sealed = SealSuccessor(prev, 7, head_body),
                       .grace_deadline_ms = kNow + 9 * kSecond,
                       .grace_uses = 1};
  const std::string key(fresh.data(), fresh.size()), value = EncodeFamily(f);
  StoredFamily decoded;
  ASSERT_TRUE(DecodeFamily(key, value, &decoded));
  EXPECT_EQ(EncodeFamily(decoded), value);
  EXPECT_EQ(decoded.data, f.data);
  EXPECT_EQ(decoded.sealed, f.sealed);
  EXPECT_EQ(decoded.head_hash, f.head_hash);
  EXPECT_EQ(decoded.prev_hash, f.prev_hash);
  EXPECT_EQ(decoded.grace_uses, 1u);
  EXPECT_FALSE(DecodeFamily(key.substr(1), value, &decoded));
  EXPECT_FALSE(DecodeFamily(key, value.substr(0, value.size() - 1), &decoded));
  EXPECT_FALSE(store_->Load(key, value, kNow + kHour + 1));  // past its absolute deadline
  EXPECT_FALSE(store_->Load(key, "junk", kNow));
  ASSERT_TRUE(store_->Load(key, value, kNow));
  const std::string prev_text = RefreshTokenText(RefreshTokenBody(prev, *keys_));
  const std::string head_text = RefreshTokenText(head_body);
  EXPECT_EQ(ListFamilies(kNow, "carol", "cli"), std::vector<std::string>{FamilyText(fresh) + ":live"});
  EXPECT_EQ(Expect(Outcome::kReplayed, kNow, prev_text), head_text);  // the second and last use
  EXPECT_EQ(Inspect(kNow, head_text).grace_uses, 2u);
  TokenFamilies::Rotated r;
  ASSERT_EQ(Rotate(kNow, head_text, "cli", &r), Outcome::kRotated);
  EXPECT_EQ(r.view.gen, 8u);
  EXPECT_EQ(r.view.data, f.data);
  EXPECT_EQ(r.view.idle_deadline_ms, kNow + 30 * kMinute);
  // A family created in the same millisecond afterwards takes a later creation number than the loaded one.
  const auto later = Issue(kNow - kHour, "carol", "cli");
  EXPECT_EQ(ListFamilies(kNow, "carol", "cli"),
            (std::vector<std::string>{FamilyText(fresh) + ":live", later.family + ":live"}));
}

TEST_F(TokenFamiliesTest, RecordsFromAStoreLoadIntoAFreshOneWithTheSameAnswers) {
  NoCommitLog log;
  TokenFamilies source(&log, nullptr, keys_.get());
  auto o = Options();
  const auto a = source.Issue(kNow, o);
  TokenFamilies::Rotated a1;
  ASSERT_EQ(source.Rotate(kNow, a.token, std::nullopt, &a1), Outcome::kRotated);
  const auto b = source.Issue(kNow, o);
  ASSERT_TRUE(source.RevokeFamily(kNow, b.family, "bye"));
  std::vector<PendingWrite> writes;
  source.Drain(UINT64_MAX, &writes);
  std::stable_sort(writes.begin(), writes.end(), [](const auto& x, const auto& y) { return x.seq < y.seq; });
  ASSERT_EQ(writes.size(), 4u);                // issue, rotate, issue, revoke
  std::map<std::string, std::string> on_disk;  // as RocksDB keeps them: the newest record per family
  for (const auto& w : writes) {
    EXPECT_EQ(w.column, Column::kFamilies);
    EXPECT_EQ(w.value.find(std::string(ParseRefreshToken(a1.token, *keys_)->secret_bytes())),
              std::string::npos);
    on_disk[w.key] = w.value;
  }
  ASSERT_EQ(on_disk.size(), 2u);
  for (const auto& [key, value] : on_disk) ASSERT_TRUE(store_->Load(key, value, kNow));
  const std::vector<std::string> tokens = {a.token, a1.token, b.token};
  EXPECT_EQ(SnapshotOf(*store_, kNow, tokens, "alice", false),
            SnapshotOf(source, kNow, tokens, "alice", false));
  EXPECT_EQ(Expect(Outcome::kReplayed, kNow + 1, a.token), a1.token);
  EXPECT_EQ(Rotate(kNow + 1, b.token), Outcome::kRevoked);
}

// ---- Concurrency ----

// 16 threads present the same fresh token at the same instant, over many rounds: one rotation, the
// allowed replays (all of the same successor), one reuse detection, and REVOKED for the rest.
TEST_F(TokenFamiliesTest, ConcurrentRotationsOfOneTokenMintOneSuccessor) {
  constexpr int kThreads = 16, kRounds = 150;
  for (int round = 0; round < kRounds; ++round) {
    auto o = Options();
    o.grace_uses = static_cast<uint32_t>(round % 6);
    const int64_t now = kNow + round;
    const auto issued = store_->Issue(now, o);
    std::vector<Outcome> outcomes(kThreads);
    std::vector<std::string> tokens(kThreads);
    std::latch start(1);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        start.wait();
        TokenFamilies::Rotated r;
        outcomes[i] = store_->Rotate(now, issued.token, "web", &r);
        tokens[i] = r.token;
      });
    }
    start.count_down();
    for (auto& t : threads) t.join();
    std::set<std::string> successors;
    int counts[8] = {};
    for (int i = 0; i < kThreads; ++i) {
      ++counts[static_cast<int>(outcomes[i])];
      if (outcomes[i] == Outcome::kRotated || outcomes[i] == Outcome::kReplayed) successors.insert(tokens[i]);
    }
    ASSERT_EQ(counts[static_cast<int>(Outcome::kRotated)], 1) << "round " << round;
    ASSERT_EQ(counts[static_cast<int>(Outcome::kReplayed)], static_cast<int>(o.grace_uses)) << round;
    ASSERT_EQ(counts[static_cast<int>(Outcome::kReused)], 1) << round;
    ASSERT_EQ(counts[static_cast<int>(Outcome::kRevoked)], kThreads - 2 - static_cast<int>(o.grace_uses));
    ASSERT_EQ(successors.size(), 1u) << round;
    ASSERT_EQ(Rotate(now, *successors.begin()), Outcome::kRevoked);
  }
  const auto c = store_->counters();
  EXPECT_EQ(c.rotations, static_cast<uint64_t>(kRounds));
  EXPECT_EQ(c.reuse_detections, static_cast<uint64_t>(kRounds));
  EXPECT_EQ(c.live, 0u);
}

}  // namespace
}  // namespace latchkey
