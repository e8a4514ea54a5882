// TokenFamilies (SPEC §4) at explicit clock values, without a write log or events: every row of the
// ROTATE decision table as its own test, and ISSUE.
#include "tests/storage/token_families_test_util.h"

namespace latchkey {
namespace {

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
}  // namespace
}  // namespace latchkey
