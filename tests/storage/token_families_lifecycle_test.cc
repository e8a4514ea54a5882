// TokenFamilies beyond the ROTATE table: ISSUE's cap, REVOKEALL, LIST, IsLive, active expiry,
// counters, loading records, and 16 threads rotating one token at once.
#include "tests/storage/token_families_test_util.h"

namespace latchkey {
namespace {

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

// Each rotation slides the idle deadline: the timing wheel re-arms in O(1) and keeps a copy only when
// the deadline crosses a slot, so a family rotated every 10 s for 12 hours holds at most one copy per
// slot between now and its deadline an hour ahead (level-3 slots of 64^3 ms: about 14), not 4,320.
TEST_F(TokenFamiliesTest, RotationsDoNotPileUpExpiryEntries) {
  std::string token = Issue(kNow).token;
  int64_t now = kNow;
  for (int i = 1; i <= 4320; ++i) {
    now = kNow + i * 10 * kSecond;
    token = Expect(Outcome::kRotated, now, token);
    if (i % 60 == 0) {
      EXPECT_EQ(store_->RemoveExpired(now, 100), 0u);
    }
  }
  EXPECT_LE(store_->counters().expiry_entries, 16u);
  EXPECT_EQ(store_->RemoveExpired(now + kHour, 100), 0u);  // idle deadline: now + 1 h, still live
  EXPECT_EQ(store_->RemoveExpired(now + kHour + 1, 100), 1u);
  EXPECT_EQ(store_->counters().tombstones, 1u);
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
