// Tests for the active expiry engine (active_expiry.h) and its statistics (expiry_stats.h), with explicit
// clock values: the lag histogram's bucket edges and quantiles; a cycle reclaims exactly the overdue keys
// (deadline before now) of every database and shard; a cycle out of budget stops after one batch, reports
// it, and later cycles resume and finish; lags land in the right bucket; sessions expire through the same
// cycle.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "storage/active_expiry.h"
#include "storage/expiry_stats.h"
#include "storage/keyspace.h"
#include "storage/session_store.h"
#include "tests/storage/storage_test_util.h"

namespace latchkey {
namespace {

using test_util::Get;
using test_util::Key;
using test_util::kNow;
using test_util::Set;

// A budget no batch can fit in: every cycle stops after its first batch.
constexpr int64_t kNoBudget = 0;
// A budget no test cycle exhausts.
constexpr int64_t kAmpleBudget = int64_t{60} * 1000 * 1000;

// Keys physically present in `db` (expired or not). Reads without locks: only while nothing else runs.
size_t RawSize(Database& db) {
  size_t n = 0;
  for (size_t i = 0; i < Database::kShards; ++i) n += db.shard(i).table.size();
  return n;
}

// Entries in `db`'s expiry indexes (unlocked, as RawSize).
size_t RawExpiringSize(Database& db) {
  size_t n = 0;
  for (size_t i = 0; i < Database::kShards; ++i) n += db.shard(i).expiry.size();
  return n;
}

// The histogram's answer for a single sample of `lag_ms`: the upper bound of its bucket.
int64_t BucketBoundOf(int64_t lag_ms) {
  LagHistogram h;
  h.Add(lag_ms);
  return h.Quantile(1.0);
}

// --- LagHistogram: bucket 0 holds 0 ms, bucket b holds [2^(b-1), 2^b) ms; Quantile answers the upper
// --- bound of the bucket holding the quantile.

TEST(LagHistogramTest, EmptyHistogramAnswersZero) {
  LagHistogram h;
  EXPECT_EQ(h.Quantile(0.5), 0);
  EXPECT_EQ(h.Quantile(0.99), 0);
  EXPECT_EQ(h.Quantile(1.0), 0);
}

TEST(LagHistogramTest, ExactBucketEdges) {
  EXPECT_EQ(BucketBoundOf(0), 0);
  EXPECT_EQ(BucketBoundOf(1), 1);  // [1, 2)
  EXPECT_EQ(BucketBoundOf(2), 3);  // [2, 4)
  EXPECT_EQ(BucketBoundOf(3), 3);
  EXPECT_EQ(BucketBoundOf(4), 7);  // [4, 8)
  EXPECT_EQ(BucketBoundOf(7), 7);
  EXPECT_EQ(BucketBoundOf(8), 15);  // [8, 16)
  EXPECT_EQ(BucketBoundOf(511), 511);
  EXPECT_EQ(BucketBoundOf(512), 1023);  // [512, 1024)
  EXPECT_EQ(BucketBoundOf(1023), 1023);
  EXPECT_EQ(BucketBoundOf(1024), 2047);
  // Every power of two opens a new bucket; the value just below it closes the previous one.
  for (int b = 1; b < LagHistogram::kBuckets - 1; ++b) {
    const int64_t low = int64_t{1} << (b - 1);
    const int64_t high = (int64_t{1} << b) - 1;
    EXPECT_EQ(BucketBoundOf(low), high) << "bucket " << b;
    EXPECT_EQ(BucketBoundOf(high), high) << "bucket " << b;
  }
}

TEST(LagHistogramTest, OutOfRangeLagsAreClamped) {
  EXPECT_EQ(BucketBoundOf(-5), 0);  // a clock step backwards counts as no lag
  const int64_t last_bound = (int64_t{1} << (LagHistogram::kBuckets - 1)) - 1;
  EXPECT_EQ(BucketBoundOf(int64_t{1} << 30), last_bound);  // the last bucket is open-ended
  EXPECT_EQ(BucketBoundOf(int64_t{1} << 40), last_bound);
}

TEST(LagHistogramTest, QuantilesPickTheBucketWhereTheCountIsReached) {
  LagHistogram h;
  for (int i = 0; i < 50; ++i) h.Add(0);
  for (int i = 0; i < 49; ++i) h.Add(100);  // bucket [64, 128)
  h.Add(5000);                              // bucket [4096, 8192)
  EXPECT_EQ(h.Quantile(0.01), 0);
  EXPECT_EQ(h.Quantile(0.5), 0);  // 50 of 100 in bucket 0
  EXPECT_EQ(h.Quantile(0.51), 127);
  EXPECT_EQ(h.Quantile(0.99), 127);  // 99 of 100 by the [64, 128) bucket
  EXPECT_EQ(h.Quantile(0.995), 8191);
  EXPECT_EQ(h.Quantile(1.0), 8191);
  h.Reset();
  EXPECT_EQ(h.Quantile(1.0), 0);
  h.Add(3);
  EXPECT_EQ(h.Quantile(0.5), 3);
}

// --- RunCycle with an ample budget: reclaims exactly the keys whose deadline is before now, in every
// --- database and shard; a deadline equal to now is still live.

TEST(ActiveExpiryTest, ReclaimsExactlyTheOverdueKeysOfEveryDatabase) {
  constexpr int kDbs = 3;
  constexpr int kPerKind = 500;  // per database: enough to touch every one of the 64 shards
  Keyspace keyspace(kDbs);
  ActiveExpiry expiry(keyspace, nullptr);
  const int64_t created = kNow - 10'000;
  for (int d = 0; d < kDbs; ++d) {
    Database& db = keyspace.db(d);
    for (int i = 0; i < kPerKind; ++i) {
      Set(db, created, Key("past", i), "v", kNow - 1 - i);  // overdue by 1..kPerKind ms
      Set(db, created, Key("now", i), "v", kNow);           // deadline == now: live
      Set(db, created, Key("future", i), "v", kNow + 1 + i);
      Set(db, created, Key("forever", i), "v");
    }
    ASSERT_EQ(RawSize(db), 4u * kPerKind);
  }

  const ActiveExpiry::CycleResult result = expiry.RunCycle(kNow, kAmpleBudget);
  EXPECT_EQ(result.reclaimed, size_t{kDbs} * kPerKind);
  EXPECT_FALSE(result.time_cap_reached);
  for (int d = 0; d < kDbs; ++d) {
    Database& db = keyspace.db(d);
    EXPECT_EQ(RawSize(db), 3u * kPerKind) << "db " << d;
    EXPECT_EQ(RawExpiringSize(db), 2u * kPerKind) << "db " << d;
    EXPECT_EQ(db.ExpiredKeys(), size_t{kPerKind}) << "db " << d;
    for (size_t s = 0; s < Database::kShards; ++s) {
      Shard& shard = db.shard(s);
      shard.table.ForEach([&](const KeyNode& node) {
        if (node.has_expiry()) {
          EXPECT_GE(node.expire_at_ms, kNow) << "db " << d << " shard " << s;
        }
      });
    }
  }
  // The survivors read back (reading them at now reclaims nothing more).
  for (int i = 0; i < kPerKind; i += 97) {
    EXPECT_EQ(Get(keyspace.db(1), kNow, Key("now", i)), "v");
    EXPECT_EQ(Get(keyspace.db(2), kNow, Key("future", i)), "v");
    EXPECT_EQ(Get(keyspace.db(0), kNow, Key("forever", i)), "v");
    EXPECT_EQ(Get(keyspace.db(0), kNow, Key("past", i)), std::nullopt);
  }
  EXPECT_EQ(keyspace.db(0).ExpiredKeys(), size_t{kPerKind});

  // A cycle at the same instant finds nothing; one a millisecond later takes the deadline == now keys.
  EXPECT_EQ(expiry.RunCycle(kNow, kAmpleBudget).reclaimed, 0u);
  EXPECT_EQ(expiry.RunCycle(kNow + 1, kAmpleBudget).reclaimed, size_t{kDbs} * kPerKind);
  for (int d = 0; d < kDbs; ++d) EXPECT_EQ(RawSize(keyspace.db(d)), 2u * kPerKind);
  // Each "future" key (deadline kNow + 1 + i) goes at kNow + 2 + i, not before.
  EXPECT_EQ(expiry.RunCycle(kNow + 1, kAmpleBudget).reclaimed, 0u);
  EXPECT_EQ(expiry.RunCycle(kNow + 2, kAmpleBudget).reclaimed, size_t{kDbs});
  EXPECT_EQ(expiry.RunCycle(kNow + 11, kAmpleBudget).reclaimed, size_t{kDbs} * 9);
  EXPECT_EQ(expiry.RunCycle(kNow + 1 + kPerKind, kAmpleBudget).reclaimed, size_t{kDbs} * (kPerKind - 10));
  for (int d = 0; d < kDbs; ++d) {
    EXPECT_EQ(RawSize(keyspace.db(d)), size_t{kPerKind});  // only the keys without a deadline
    EXPECT_EQ(RawExpiringSize(keyspace.db(d)), 0u);
    EXPECT_EQ(keyspace.db(d).ExpiredKeys(), 3u * kPerKind);
  }
  EXPECT_EQ(expiry.stats().time_cap_reached.load(), 0u);
}

TEST(ActiveExpiryTest, EmptyKeyspaceCycleIsANoOp) {
  Keyspace keyspace(2);
  ActiveExpiry expiry(keyspace, nullptr);
  const ActiveExpiry::CycleResult result = expiry.RunCycle(kNow, kAmpleBudget);
  EXPECT_EQ(result.reclaimed, 0u);
  EXPECT_FALSE(result.time_cap_reached);
  EXPECT_EQ(expiry.stats().cycles.load(), 1u);
  EXPECT_EQ(expiry.stats().time_cap_reached.load(), 0u);
  EXPECT_EQ(expiry.stats().stale_perc_x100.load(), 0u);
  EXPECT_EQ(expiry.stats().lags.Quantile(1.0), 0);
}

// --- A tiny budget: a cycle stops after one batch, reports the time cap, and the next cycles resume where
// --- it stopped until every overdue key is gone (none of the live ones).

TEST(ActiveExpiryTest, TinyBudgetStopsEarlyAndLaterCyclesFinish) {
  constexpr int kDbs = 2;
  constexpr size_t kOverdue = 10'000;
  constexpr size_t kLive = 300;
  Keyspace keyspace(kDbs);
  ActiveExpiry expiry(keyspace, nullptr);
  for (size_t i = 0; i < kOverdue; ++i) {
    Set(keyspace.db(static_cast<int>(i % kDbs)), kNow - 1000, Key("k", static_cast<int64_t>(i)), "v",
        kNow - 1);
  }
  for (size_t i = 0; i < kLive; ++i) {
    Set(keyspace.db(static_cast<int>(i % kDbs)), kNow - 1000, Key("live", static_cast<int64_t>(i)), "v",
        kNow + 1000);
  }

  const ActiveExpiry::CycleResult first = expiry.RunCycle(kNow, kNoBudget);
  EXPECT_TRUE(first.time_cap_reached);
  EXPECT_LE(first.reclaimed, ActiveExpiry::kBatch);
  EXPECT_LT(first.reclaimed, kOverdue);
  EXPECT_EQ(expiry.stats().time_cap_reached.load(), 1u);
  EXPECT_EQ(expiry.stats().cycles.load(), 1u);

  size_t total = first.reclaimed;
  size_t cycles = 1;
  // Every shard of every database needs at most ceil(its keys / kBatch) + 1 cycles; bound generously so a
  // cycle that does not resume (always restarting at the first shard) fails instead of looping forever.
  const size_t max_cycles = kOverdue / ActiveExpiry::kBatch + 2 * kDbs * Database::kShards + 10;
  while (total < kOverdue && cycles < max_cycles) {
    const ActiveExpiry::CycleResult r = expiry.RunCycle(kNow, kNoBudget);
    EXPECT_LE(r.reclaimed, ActiveExpiry::kBatch) << "cycle " << cycles;
    total += r.reclaimed;
    ++cycles;
  }
  EXPECT_EQ(total, kOverdue) << "after " << cycles << " cycles";
  EXPECT_GE(cycles, kOverdue / ActiveExpiry::kBatch);
  EXPECT_EQ(expiry.stats().cycles.load(), cycles);
  EXPECT_GT(expiry.stats().time_cap_reached.load(), 1u);

  // Nothing overdue is left, the live keys are untouched, and each key was counted once.
  EXPECT_EQ(expiry.RunCycle(kNow, kAmpleBudget).reclaimed, 0u);
  uint64_t expired = 0;
  size_t present = 0;
  for (int d = 0; d < kDbs; ++d) {
    expired += keyspace.db(d).ExpiredKeys();
    present += RawSize(keyspace.db(d));
  }
  EXPECT_EQ(expired, kOverdue);
  EXPECT_EQ(present, kLive);
  EXPECT_EQ(Get(keyspace.db(1), kNow, "live1"), "v");
}

TEST(ActiveExpiryTest, AmpleBudgetAfterTinyOnesFinishesInOneCycle) {
  Keyspace keyspace(1);
  ActiveExpiry expiry(keyspace, nullptr);
  for (int i = 0; i < 5000; ++i) Set(keyspace.db(0), kNow - 1000, Key("k", i), "v", kNow - 1);
  size_t total = 0;
  for (int i = 0; i < 3; ++i) {
    const ActiveExpiry::CycleResult r = expiry.RunCycle(kNow, kNoBudget);
    EXPECT_TRUE(r.time_cap_reached);
    total += r.reclaimed;
  }
  EXPECT_LE(total, 3 * ActiveExpiry::kBatch);
  const ActiveExpiry::CycleResult rest = expiry.RunCycle(kNow, kAmpleBudget);
  EXPECT_FALSE(rest.time_cap_reached);
  EXPECT_EQ(total + rest.reclaimed, 5000u);
  EXPECT_EQ(RawSize(keyspace.db(0)), 0u);
  EXPECT_EQ(expiry.stats().time_cap_reached.load(), 3u);
}

// --- Statistics: lags (now - deadline) in the right bucket, counters, staleness estimate.

TEST(ActiveExpiryTest, LagsLandInTheRightBucket) {
  Keyspace keyspace(1);
  ActiveExpiry expiry(keyspace, nullptr);
  Database& db = keyspace.db(0);
  // 99 keys overdue by 1 ms, one by 600 ms: p50 and p99 in [1, 2), p100 in [512, 1024).
  for (int i = 0; i < 99; ++i) Set(db, kNow - 1000, Key("a", i), "v", kNow - 1);
  Set(db, kNow - 1000, "slow", "v", kNow - 600);
  ASSERT_EQ(expiry.RunCycle(kNow, kAmpleBudget).reclaimed, 100u);
  EXPECT_EQ(expiry.stats().lags.Quantile(0.5), 1);
  EXPECT_EQ(expiry.stats().lags.Quantile(0.99), 1);
  EXPECT_EQ(expiry.stats().lags.Quantile(1.0), 1023);

  // Exact edges: a key overdue by 2^k ms lands in [2^k, 2^(k+1)); by 2^k - 1 ms, in the bucket below.
  for (int64_t lag : {2, 3, 4, 7, 8, 15, 16, 1023, 1024}) {
    expiry.stats().lags.Reset();
    Set(db, kNow - 5000, "edge", "v", kNow - lag);
    ASSERT_EQ(expiry.RunCycle(kNow, kAmpleBudget).reclaimed, 1u) << lag;
    EXPECT_EQ(expiry.stats().lags.Quantile(1.0), BucketBoundOf(lag)) << "lag " << lag;
  }
  EXPECT_EQ(BucketBoundOf(16), 31);

  // Lazy expiry (a read) reclaims without going through the engine: no lag recorded there.
  expiry.stats().lags.Reset();
  Set(db, kNow - 1000, "lazy", "v", kNow - 1);
  EXPECT_EQ(Get(db, kNow, "lazy"), std::nullopt);
  EXPECT_EQ(expiry.RunCycle(kNow, kAmpleBudget).reclaimed, 0u);
  EXPECT_EQ(expiry.stats().lags.Quantile(1.0), 0);
}

TEST(ActiveExpiryTest, CountersMove) {
  Keyspace keyspace(1);
  ActiveExpiry expiry(keyspace, nullptr);
  ExpiryStats& stats = expiry.stats();
  for (int i = 0; i < 20'000; ++i) Set(keyspace.db(0), kNow - 1000, Key("k", i), "v", kNow - 1);

  // Every expiring key is overdue: the staleness estimate rises from 0 (a running average, so only part
  // of the way), and a capped cycle counts as such.
  EXPECT_TRUE(expiry.RunCycle(kNow, kNoBudget).time_cap_reached);
  EXPECT_EQ(stats.cycles.load(), 1u);
  EXPECT_EQ(stats.time_cap_reached.load(), 1u);
  const uint32_t stale_after_one = stats.stale_perc_x100.load();
  EXPECT_GT(stale_after_one, 0u);
  EXPECT_LE(stale_after_one, 10'000u);
  EXPECT_TRUE(expiry.RunCycle(kNow, kNoBudget).time_cap_reached);
  EXPECT_GT(stats.stale_perc_x100.load(), stale_after_one);
  EXPECT_EQ(stats.time_cap_reached.load(), 2u);

  const uint64_t cpu_before = stats.cpu_us.load();
  EXPECT_FALSE(expiry.RunCycle(kNow, kAmpleBudget).time_cap_reached);
  EXPECT_EQ(stats.cycles.load(), 3u);
  EXPECT_EQ(stats.time_cap_reached.load(), 2u);
  EXPECT_GE(stats.cpu_us.load(), cpu_before);
  EXPECT_GT(stats.cpu_us.load(), 0u);  // ~20k removals take well over a microsecond of CPU

  // Nothing overdue any more: the estimate decays towards 0.
  const uint32_t stale_peak = stats.stale_perc_x100.load();
  for (int i = 0; i < 10; ++i) expiry.RunCycle(kNow, kAmpleBudget);
  EXPECT_LT(stats.stale_perc_x100.load(), stale_peak);
  EXPECT_EQ(stats.cycles.load(), 13u);
  EXPECT_EQ(stats.time_cap_reached.load(), 2u);
}

TEST(ActiveExpiryTest, StalenessIsZeroWhenNothingIsOverdue) {
  Keyspace keyspace(1);
  ActiveExpiry expiry(keyspace, nullptr);
  for (int i = 0; i < 2000; ++i) Set(keyspace.db(0), kNow, Key("k", i), "v", kNow + 1000);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(expiry.RunCycle(kNow, kAmpleBudget).reclaimed, 0u);
  EXPECT_EQ(expiry.stats().stale_perc_x100.load(), 0u);
  EXPECT_EQ(RawSize(keyspace.db(0)), 2000u);
}

// --- Sessions expire through the same cycle (store without log or events).

TEST(ActiveExpiryTest, SessionsExpireThroughTheCycle) {
  Keyspace keyspace(1);
  SessionStore sessions(nullptr, nullptr);
  ActiveExpiry expiry(keyspace, &sessions);
  constexpr int kSessions = 300;
  constexpr int64_t kIdle = 1000;
  std::vector<std::string> ids;
  for (int i = 0; i < kSessions; ++i) {
    const std::string sub = Key("user", i % 7);  // CreateOptions holds views
    SessionStore::CreateOptions o;
    o.sub = sub;
    o.idle_ms = kIdle + (i % 2);  // half end at kNow + 1000, half at kNow + 1001
    o.abs_ms = 3600 * 1000;
    o.client = "web";
    o.data = "{}";
    SessionStore::Created created;
    ASSERT_EQ(sessions.Create(kNow, o, &created), SessionStore::CreateResult::kOk);
    ids.push_back(created.id);
  }
  Set(keyspace.db(0), kNow, "key", "v", kNow + kIdle);  // a key ending with the first half

  // At the deadline they are all still live.
  EXPECT_EQ(expiry.RunCycle(kNow + kIdle, kAmpleBudget).reclaimed, 0u);
  EXPECT_EQ(sessions.counters().live, size_t{kSessions});
  // One millisecond later the first half (and the key) go; the second half one more millisecond later.
  EXPECT_EQ(expiry.RunCycle(kNow + kIdle + 1, kAmpleBudget).reclaimed, size_t{kSessions} / 2 + 1);
  SessionStore::Counters c = sessions.counters();
  EXPECT_EQ(c.live, size_t{kSessions} / 2);
  EXPECT_EQ(c.expired, size_t{kSessions} / 2);
  EXPECT_TRUE(sessions.Get(kNow + kIdle + 1, ids[1], /*touch=*/false, nullptr));
  EXPECT_EQ(expiry.RunCycle(kNow + kIdle + 2, kAmpleBudget).reclaimed, size_t{kSessions} / 2);
  c = sessions.counters();
  EXPECT_EQ(c.live, 0u);
  EXPECT_EQ(c.expired, size_t{kSessions});
  EXPECT_FALSE(sessions.Get(kNow + kIdle + 2, ids[1], /*touch=*/false, nullptr));
  EXPECT_EQ(RawSize(keyspace.db(0)), 0u);
}

TEST(ActiveExpiryTest, ManySessionsAreReclaimedBeyondOneBatchPerShard) {
  Keyspace keyspace(1);
  SessionStore sessions(nullptr, nullptr);
  ActiveExpiry expiry(keyspace, &sessions);
  // One subject: every session in one shard, far more than one batch of it.
  constexpr int kSessions = 5 * ActiveExpiry::kBatch + 3;
  for (int i = 0; i < kSessions; ++i) {
    SessionStore::CreateOptions o;
    o.sub = "alice";
    o.idle_ms = 100;
    o.abs_ms = 1000;
    SessionStore::Created created;
    ASSERT_EQ(sessions.Create(kNow, o, &created), SessionStore::CreateResult::kOk);
  }
  EXPECT_EQ(expiry.RunCycle(kNow + 101, kAmpleBudget).reclaimed, size_t{kSessions});
  EXPECT_EQ(sessions.counters().live, 0u);
  EXPECT_EQ(sessions.counters().expired, size_t{kSessions});
}

}  // namespace
}  // namespace latchkey
