// Tests for the keyspace (keyspace.h, key_access.h) and the expiry side of keys.h with explicit clock
// values: visibility of expired keys, lazy and active expiry, TTL/PERSIST, EXPIRE conditions, SWAPDB and
// FLUSHALL.
#include <gtest/gtest.h>

#include <climits>
#include <functional>
#include <string>
#include <vector>

#include "storage/expire_options.h"
#include "storage/keys.h"
#include "storage/keyspace.h"
#include "tests/storage/storage_test_util.h"

namespace latchkey {
namespace {

using test_util::Get;
using test_util::Key;
using test_util::kNow;
using test_util::RawShardSize;
using test_util::Set;
using test_util::ShardOfKey;

// --- Visibility: a deadline equal to now is live, one before now is gone; lazy expiry on lookup removes
// --- the key and counts it in its shard's expired_keys exactly once.

TEST(KeyspaceTtlTest, DeadlineEqualToNowIsStillLive) {
  Database db;
  Set(db, kNow, "k", "v", kNow + 100);
  EXPECT_EQ(Get(db, kNow + 100, "k"), "v");
  EXPECT_EQ(KeyTtlMs(db, kNow + 100, "k"), 0);
  EXPECT_EQ(KeyDeadlineMs(db, kNow + 100, "k"), kNow + 100);
  EXPECT_EQ(Get(db, kNow + 101, "k"), std::nullopt);
  EXPECT_EQ(KeyTtlMs(db, kNow + 101, "k"), -2);
}

TEST(KeyspaceTtlTest, LazyExpiryRemovesAndCounts) {
  Database db;
  Set(db, kNow, "k", "v", kNow + 10);
  Shard& shard = ShardOfKey(db, "k");
  ASSERT_EQ(shard.table.size(), 1u);
  ASSERT_EQ(shard.expiry.size(), 1u);
  EXPECT_EQ(Get(db, kNow + 11, "k"), std::nullopt);
  EXPECT_EQ(shard.table.size(), 0u);
  EXPECT_EQ(shard.expiry.size(), 0u);
  EXPECT_EQ(shard.expired_keys, 1u);
  EXPECT_EQ(Get(db, kNow + 12, "k"), std::nullopt);
  EXPECT_EQ(shard.expired_keys, 1u);  // counted once
  EXPECT_EQ(db.ExpiredKeys(), 1u);
}

TEST(KeyspaceTtlTest, ExpiredKeyIsHiddenFromEveryPath) {
  const int64_t later = kNow + 2;
  using Check = std::function<void(Database&)>;
  const std::vector<std::pair<std::string, Check>> checks = {
      {"GET", [&](Database& db) { EXPECT_EQ(Get(db, later, "k"), std::nullopt); }},
      {"EXISTS",
       [&](Database& db) {
         const std::string_view keys[] = {"k"};
         EXPECT_EQ(CountExisting(db, later, keys), 0u);
       }},
      {"TYPE", [&](Database& db) { EXPECT_EQ(TypeOfKey(db, later, "k"), std::nullopt); }},
      {"PTTL", [&](Database& db) { EXPECT_EQ(KeyTtlMs(db, later, "k"), -2); }},
      {"PEXPIRETIME", [&](Database& db) { EXPECT_EQ(KeyDeadlineMs(db, later, "k"), -2); }},
      {"PERSIST", [&](Database& db) { EXPECT_FALSE(PersistKey(db, later, "k")); }},
      {"DEL",
       [&](Database& db) {
         const std::string_view keys[] = {"k"};
         EXPECT_EQ(DeleteKeys(db, later, keys), 0u);
       }},
      {"KEYS", [&](Database& db) { EXPECT_TRUE(KeysMatching(db, later, "*").empty()); }},
      {"SCAN",
       [&](Database& db) {
         std::vector<std::string> out;
         uint64_t cursor = 0;
         do cursor = ScanKeys(db, later, cursor, 10, {}, &out);
         while (cursor != 0);
         EXPECT_TRUE(out.empty());
       }},
      {"RANDOMKEY",
       [&](Database& db) {
         bool found = true;
         db.RandomKey(later, &found);
         EXPECT_FALSE(found);
       }},
      {"OBJECT", [&](Database& db) { EXPECT_EQ(DescribeObject(db, later, "k"), std::nullopt); }},
      {"DBSIZE", [&](Database& db) { EXPECT_EQ(db.Size(later), 0u); }},
      {"EXPIRE", [&](Database& db) { EXPECT_FALSE(ExpireKey(db, later, "k", later + 1000, 0)); }},
  };
  for (const auto& [name, check] : checks) {
    SCOPED_TRACE(name);
    Database db;
    Set(db, kNow, "k", "v", kNow + 1);
    check(db);
  }
}

TEST(KeyspaceTtlTest, SizeSkipsExpiredKeys) {
  Database db;
  Set(db, kNow, "a", "1");
  Set(db, kNow, "b", "2", kNow + 10);
  Set(db, kNow, "c", "3", kNow + 20);
  EXPECT_EQ(db.Size(kNow), 3u);
  EXPECT_EQ(db.ExpiringSize(kNow), 2u);
  EXPECT_EQ(db.Size(kNow + 10), 3u);
  EXPECT_EQ(db.Size(kNow + 15), 2u);
  EXPECT_EQ(db.ExpiringSize(kNow + 15), 1u);
  EXPECT_EQ(db.Size(kNow + 21), 1u);
  EXPECT_EQ(db.ExpiringSize(kNow + 21), 0u);
  EXPECT_EQ(db.ExpiredKeys(), 2u);
}

TEST(KeyspaceTtlTest, TtlAndDeadlineAnswers) {
  Database db;
  EXPECT_EQ(KeyTtlMs(db, kNow, "missing"), -2);
  EXPECT_EQ(KeyDeadlineMs(db, kNow, "missing"), -2);
  Set(db, kNow, "plain", "v");
  EXPECT_EQ(KeyTtlMs(db, kNow, "plain"), -1);
  EXPECT_EQ(KeyDeadlineMs(db, kNow, "plain"), -1);
  Set(db, kNow, "timed", "v", kNow + 5000);
  EXPECT_EQ(KeyTtlMs(db, kNow + 1234, "timed"), 5000 - 1234);
  EXPECT_EQ(KeyDeadlineMs(db, kNow + 1234, "timed"), kNow + 5000);
}

TEST(KeyspaceTtlTest, PersistRemovesDeadline) {
  Database db;
  Set(db, kNow, "k", "v", kNow + 10);
  EXPECT_TRUE(PersistKey(db, kNow, "k"));
  EXPECT_EQ(KeyTtlMs(db, kNow, "k"), -1);
  EXPECT_EQ(ShardOfKey(db, "k").expiry.size(), 0u);
  EXPECT_FALSE(PersistKey(db, kNow, "k"));
  EXPECT_EQ(Get(db, kNow + 1000, "k"), "v");
  EXPECT_FALSE(PersistKey(db, kNow, "missing"));
}

// --- EXPIRE: conditions decide, a deadline at or before now deletes the key, and the expiry index
// --- follows every change.

TEST(ExpireKeyTest, SetsAndReplacesDeadline) {
  Database db;
  EXPECT_FALSE(ExpireKey(db, kNow, "missing", kNow + 10, 0));
  EXPECT_EQ(KeyTtlMs(db, kNow, "missing"), -2);
  Set(db, kNow, "k", "v");
  EXPECT_TRUE(ExpireKey(db, kNow, "k", kNow + 10, 0));
  EXPECT_EQ(KeyDeadlineMs(db, kNow, "k"), kNow + 10);
  EXPECT_TRUE(ExpireKey(db, kNow, "k", kNow + 50, 0));
  EXPECT_EQ(KeyDeadlineMs(db, kNow, "k"), kNow + 50);
  EXPECT_EQ(db.RemoveExpired(kNow + 11, SIZE_MAX), 0u);  // the old deadline is forgotten
  EXPECT_EQ(db.RemoveExpired(kNow + 51, SIZE_MAX), 1u);
  EXPECT_EQ(RawShardSize(db, "k"), 0u);
}

TEST(ExpireKeyTest, Conditions) {
  struct Case {
    int conditions;
    int64_t current;  // kNoExpiry or an offset from kNow
    int64_t when;     // offset from kNow
    bool applied;
  };
  const Case cases[] = {
      {kExpireNx, kNoExpiry, 100, true},
      {kExpireNx, 200, 100, false},
      {kExpireXx, kNoExpiry, 100, false},
      {kExpireXx, 200, 100, true},
      {kExpireGt, kNoExpiry, 100, false},
      {kExpireGt, 200, 100, false},
      {kExpireGt, 200, 200, false},
      {kExpireGt, 200, 300, true},
      {kExpireLt, kNoExpiry, 100, true},
      {kExpireLt, 200, 100, true},
      {kExpireLt, 200, 200, false},
      {kExpireLt, 200, 300, false},
      {kExpireXx | kExpireLt, kNoExpiry, 100, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("conditions=" + std::to_string(c.conditions) + " current=" + std::to_string(c.current) +
                 " when=" + std::to_string(c.when));
    Database db;
    const int64_t current = c.current == kNoExpiry ? kNoExpiry : kNow + c.current;
    Set(db, kNow, "k", "v", current);
    EXPECT_EQ(ExpireKey(db, kNow, "k", kNow + c.when, c.conditions), c.applied);
    const int64_t expected = c.applied ? kNow + c.when : (current == kNoExpiry ? -1 : current);
    EXPECT_EQ(KeyDeadlineMs(db, kNow, "k"), expected);
  }
}

TEST(ExpireKeyTest, PastOrPresentDeadlineDeletesKey) {
  for (int64_t deadline : {kNow - 1000, kNow - 1, kNow}) {
    SCOPED_TRACE(deadline - kNow);
    Database db;
    Set(db, kNow, "k", "v", kNow + 500);
    EXPECT_TRUE(ExpireKey(db, kNow, "k", deadline, 0));
    EXPECT_EQ(RawShardSize(db, "k"), 0u);
    EXPECT_EQ(ShardOfKey(db, "k").expiry.size(), 0u);
    EXPECT_EQ(Get(db, kNow, "k"), std::nullopt);
  }
}

TEST(ExpireKeyTest, FailedConditionKeepsKeyEvenWithPastDeadline) {
  Database db;
  Set(db, kNow, "k", "v");
  EXPECT_FALSE(ExpireKey(db, kNow, "k", kNow - 1, kExpireGt));  // GT against "never" fails
  EXPECT_EQ(Get(db, kNow, "k"), "v");
  EXPECT_TRUE(ExpireKey(db, kNow, "k", kNow - 1, kExpireLt));  // LT against "never" holds
  EXPECT_EQ(Get(db, kNow, "k"), std::nullopt);
}

// --- Whole-keyspace operations: SWAPDB moves keys with their expiry index, FLUSHALL empties all. ---

TEST(KeyspaceTest, SwapDatabases) {
  Keyspace ks(4);
  Set(ks.db(0), kNow, "a", "1", kNow + 10);
  Set(ks.db(1), kNow, "b", "2");
  ks.SwapDatabases(0, 1);
  EXPECT_EQ(Get(ks.db(0), kNow, "a"), std::nullopt);
  EXPECT_EQ(Get(ks.db(0), kNow, "b"), "2");
  EXPECT_EQ(Get(ks.db(1), kNow, "a"), "1");
  EXPECT_EQ(KeyDeadlineMs(ks.db(1), kNow, "a"), kNow + 10);
  EXPECT_EQ(ks.db(0).RemoveExpired(kNow + 11, SIZE_MAX), 0u);
  EXPECT_EQ(ks.db(1).RemoveExpired(kNow + 11, SIZE_MAX), 1u);  // the index moved with the keys
  ks.SwapDatabases(1, 0);                                      // either argument order
  EXPECT_EQ(Get(ks.db(1), kNow, "b"), "2");
  EXPECT_EQ(ks.db(0).Size(kNow), 0u);
  ks.SwapDatabases(1, 1);  // no-op
  EXPECT_EQ(Get(ks.db(1), kNow, "b"), "2");
  EXPECT_EQ(ks.db(2).Size(kNow), 0u);
}

TEST(KeyspaceTest, FlushAllAndFlush) {
  Keyspace ks(3);
  for (int d = 0; d < 3; ++d) {
    for (int i = 0; i < 100; ++i) {
      Set(ks.db(d), kNow, Key("k", i), "v", i % 2 ? kNow + 1000 : kNoExpiry);
    }
  }
  ks.db(2).Flush();
  EXPECT_EQ(ks.db(2).Size(kNow), 0u);
  EXPECT_EQ(ks.db(1).Size(kNow), 100u);
  ks.FlushAll();
  for (int d = 0; d < 3; ++d) {
    EXPECT_EQ(ks.db(d).Size(kNow), 0u);
    EXPECT_EQ(ks.db(d).ExpiringSize(kNow), 0u);
    EXPECT_EQ(ks.db(d).RemoveExpired(kNow + 5000, SIZE_MAX), 0u);
  }
  Set(ks.db(0), kNow, "again", "v", kNow + 10);  // usable afterwards
  EXPECT_EQ(ks.db(0).RemoveExpired(kNow + 11, SIZE_MAX), 1u);
}

// --- Active expiry removes exactly the keys whose deadline is before now, within the per-shard limit.

TEST(KeyspaceTest, RemoveExpiredRemovesExactlyTheExpired) {
  Database db;
  for (int i = 0; i < 200; ++i) Set(db, kNow, Key("t", i), "v", kNow + i);
  for (int i = 0; i < 50; ++i) Set(db, kNow, Key("p", i), "v");
  EXPECT_EQ(db.RemoveExpired(kNow + 100, 0), 0u);
  EXPECT_EQ(db.RemoveExpired(kNow + 100, SIZE_MAX), 100u);  // deadlines kNow+0 .. kNow+99
  EXPECT_EQ(db.ExpiredKeys(), 100u);
  EXPECT_EQ(db.RemoveExpired(kNow + 100, SIZE_MAX), 0u);
  size_t physically_present = 0;
  for (size_t i = 0; i < Database::kShards; ++i) physically_present += db.shard(i).table.size();
  EXPECT_EQ(physically_present, 150u);
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(KeyTtlMs(db, kNow + 100, Key("t", i)), i < 100 ? -2 : i - 100) << i;
  }
  EXPECT_EQ(db.ExpiredKeys(), 100u);  // the lookups above found nothing stale
}

TEST(KeyspaceTest, RemoveExpiredHonoursPerShardLimit) {
  Database db;
  for (int i = 0; i < 1000; ++i) Set(db, kNow, Key("t", i), "v", kNow + 1);
  const size_t first = db.RemoveExpired(kNow + 2, 1);
  EXPECT_LE(first, Database::kShards);
  EXPECT_GT(first, Database::kShards / 2);
  EXPECT_EQ(first + db.RemoveExpired(kNow + 2, SIZE_MAX), 1000u);
}

}  // namespace
}  // namespace latchkey
