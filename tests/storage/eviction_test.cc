// Tests for maxmemory-policy eviction (eviction.h): EvictOne over a one-database keyspace without a
// write log. Every key of a test lives in one shard and EvictOne samples 64 keys, so each sample sees
// every key of that shard (with overwhelming probability) and the choice is deterministic.
#include "storage/eviction.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/keys.h"
#include "storage/keyspace.h"
#include "tests/storage/storage_test_util.h"

namespace latchkey {
namespace {

using test_util::Get;
using test_util::Key;
using test_util::kNow;
using test_util::Set;

constexpr size_t kSamples = 64;
constexpr size_t kShard = 17;

// `n` distinct keys (prefix + number) that all map to shard kShard.
std::vector<std::string> KeysInOneShard(std::string_view prefix, size_t n) {
  std::vector<std::string> keys;
  for (int64_t i = 0; keys.size() < n; ++i) {
    std::string key = Key(prefix, i);
    if (Database::ShardOf(Database::HashKey(key)) == kShard) keys.push_back(std::move(key));
  }
  return keys;
}

// Whether `key` is physically present (expired or not), without touching its access time or
// reclaiming it.
bool Present(Database& db, const std::string& key) {
  const uint64_t hash = Database::HashKey(key);
  return db.shard(Database::ShardOf(hash)).table.Find(key, hash) != nullptr;
}

size_t ShardSize(Database& db) {
  return db.shard(kShard).table.size();
}

TEST(EvictionPolicyTest, ParsesTheEightRedisNames) {
  const std::pair<std::string_view, EvictionPolicy> names[] = {
      {"noeviction", EvictionPolicy::kNoEviction},
      {"allkeys-lru", EvictionPolicy::kAllKeysLru},
      {"volatile-lru", EvictionPolicy::kVolatileLru},
      {"allkeys-lfu", EvictionPolicy::kAllKeysLfu},
      {"volatile-lfu", EvictionPolicy::kVolatileLfu},
      {"allkeys-random", EvictionPolicy::kAllKeysRandom},
      {"volatile-random", EvictionPolicy::kVolatileRandom},
      {"volatile-ttl", EvictionPolicy::kVolatileTtl},
  };
  for (const auto& [name, want] : names) {
    EvictionPolicy policy = EvictionPolicy::kNoEviction;
    if (want == EvictionPolicy::kNoEviction) policy = EvictionPolicy::kAllKeysLru;  // must be overwritten
    EXPECT_TRUE(ParseEvictionPolicy(name, &policy)) << name;
    EXPECT_EQ(policy, want) << name;
  }
}

TEST(EvictionPolicyTest, RejectsOtherNames) {
  for (std::string_view name :
       {"", "lru", "allkeys", "ALLKEYS-LRU", "allkeys-lru ", "volatile_ttl", "no-eviction", "allkeys-ttl"}) {
    EvictionPolicy policy = EvictionPolicy::kVolatileTtl;
    EXPECT_FALSE(ParseEvictionPolicy(name, &policy)) << "'" << name << "'";
    EXPECT_EQ(policy, EvictionPolicy::kVolatileTtl) << "a rejected name changed the policy";
  }
}

TEST(EvictOneTest, NoEvictionNeverEvicts) {
  Keyspace keyspace(1);
  Database& db = keyspace.db(0);
  const auto keys = KeysInOneShard("k", 4);
  for (const auto& key : keys) Set(db, kNow, key, "v", kNow + 60'000);
  EXPECT_EQ(EvictOne(keyspace, EvictionPolicy::kNoEviction, kNow, kSamples), std::nullopt);
  // Not even a key past its deadline is touched.
  EXPECT_EQ(EvictOne(keyspace, EvictionPolicy::kNoEviction, kNow + 120'000, kSamples), std::nullopt);
  EXPECT_EQ(ShardSize(db), keys.size());
}

TEST(EvictOneTest, EmptyKeyspaceHasNothingToEvict) {
  Keyspace keyspace(1);
  for (EvictionPolicy policy :
       {EvictionPolicy::kAllKeysLru, EvictionPolicy::kVolatileLru, EvictionPolicy::kAllKeysLfu,
        EvictionPolicy::kVolatileLfu, EvictionPolicy::kAllKeysRandom, EvictionPolicy::kVolatileRandom,
        EvictionPolicy::kVolatileTtl}) {
    EXPECT_EQ(EvictOne(keyspace, policy, kNow, kSamples), std::nullopt) << static_cast<int>(policy);
  }
}

TEST(EvictOneTest, VolatilePoliciesIgnorePersistentKeys) {
  Keyspace keyspace(1);
  Database& db = keyspace.db(0);
  const auto keys = KeysInOneShard("p", 5);
  for (const auto& key : keys) Set(db, kNow, key, "v");
  for (EvictionPolicy policy : {EvictionPolicy::kVolatileLru, EvictionPolicy::kVolatileLfu,
                                EvictionPolicy::kVolatileRandom, EvictionPolicy::kVolatileTtl}) {
    EXPECT_EQ(EvictOne(keyspace, policy, kNow, kSamples), std::nullopt) << static_cast<int>(policy);
  }
  for (const auto& key : keys) EXPECT_TRUE(Present(db, key)) << key;
}

TEST(EvictOneTest, VolatileTtlEvictsTheNearestDeadlineAndOnlyVolatileKeys) {
  Keyspace keyspace(1);
  Database& db = keyspace.db(0);
  const auto keys = KeysInOneShard("t", 7);
  // keys[0..2] persistent; keys[3..6] with deadlines in this order: +50 s, +20 s, +90 s, +40 s.
  for (size_t i = 0; i < 3; ++i) Set(db, kNow, keys[i], "v");
  Set(db, kNow, keys[3], "v", kNow + 50'000);
  Set(db, kNow, keys[4], "v", kNow + 20'000);
  Set(db, kNow, keys[5], "v", kNow + 90'000);
  Set(db, kNow, keys[6], "v", kNow + 40'000);

  const std::vector<size_t> order = {4, 6, 3, 5};  // nearest deadline first
  for (size_t step = 0; step < order.size(); ++step) {
    auto evicted = EvictOne(keyspace, EvictionPolicy::kVolatileTtl, kNow, kSamples);
    ASSERT_TRUE(evicted.has_value()) << "step " << step;
    EXPECT_FALSE(evicted->expired);
    EXPECT_GT(evicted->bytes, 0u);
    EXPECT_FALSE(Present(db, keys[order[step]])) << "step " << step << ": " << keys[order[step]];
    for (size_t later = step + 1; later < order.size(); ++later) {
      EXPECT_TRUE(Present(db, keys[order[later]])) << "step " << step << " evicted " << keys[order[later]];
    }
  }
  // Only the persistent keys are left: volatile-ttl has nothing more to evict.
  EXPECT_EQ(EvictOne(keyspace, EvictionPolicy::kVolatileTtl, kNow, kSamples), std::nullopt);
  EXPECT_EQ(ShardSize(db), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(Get(db, kNow, keys[i]), "v");
  EXPECT_EQ(db.ExpiredKeys(), 0u) << "evictions are not expirations";
}

TEST(EvictOneTest, AllKeysLruEvictsTheOldestAccess) {
  Keyspace keyspace(1);
  Database& db = keyspace.db(0);
  const auto keys = KeysInOneShard("l", 4);
  // Created one second apart: keys[0] is the least recently accessed...
  for (size_t i = 0; i < keys.size(); ++i) Set(db, kNow + static_cast<int64_t>(i) * 1000, keys[i], "v");
  // ...until a read at a later second refreshes it: keys[1] becomes the oldest.
  const int64_t later = kNow + 10'000;
  ASSERT_EQ(Get(db, later, keys[0]), "v");

  auto evicted = EvictOne(keyspace, EvictionPolicy::kAllKeysLru, later, kSamples);
  ASSERT_TRUE(evicted.has_value());
  EXPECT_FALSE(evicted->expired);
  EXPECT_GT(evicted->bytes, 0u);
  EXPECT_FALSE(Present(db, keys[1]));
  EXPECT_TRUE(Present(db, keys[0]));
  EXPECT_TRUE(Present(db, keys[2]));
  EXPECT_TRUE(Present(db, keys[3]));

  // Then keys[2], keys[3], and keys[0] (read last) goes last.
  for (size_t want : {2u, 3u, 0u}) {
    ASSERT_TRUE(EvictOne(keyspace, EvictionPolicy::kAllKeysLru, later, kSamples).has_value());
    EXPECT_FALSE(Present(db, keys[want])) << keys[want];
  }
  EXPECT_EQ(ShardSize(db), 0u);
  EXPECT_EQ(EvictOne(keyspace, EvictionPolicy::kAllKeysLru, later, kSamples), std::nullopt);
}

TEST(EvictOneTest, VolatileLruConsidersOnlyKeysWithADeadline) {
  Keyspace keyspace(1);
  Database& db = keyspace.db(0);
  const auto keys = KeysInOneShard("v", 4);
  // keys[0] persistent and the oldest; keys[1..3] volatile, keys[1] the oldest of those.
  for (size_t i = 0; i < keys.size(); ++i) {
    Set(db, kNow + static_cast<int64_t>(i) * 1000, keys[i], "v", i == 0 ? kNoExpiry : kNow + 3'600'000);
  }
  const int64_t later = kNow + 10'000;
  ASSERT_TRUE(EvictOne(keyspace, EvictionPolicy::kVolatileLru, later, kSamples).has_value());
  EXPECT_TRUE(Present(db, keys[0])) << "volatile-lru evicted a persistent key";
  EXPECT_FALSE(Present(db, keys[1]));
  EXPECT_TRUE(Present(db, keys[2]));
  EXPECT_TRUE(Present(db, keys[3]));
}

TEST(EvictOneTest, RandomPoliciesEvictOneQualifyingKey) {
  Keyspace keyspace(1);
  Database& db = keyspace.db(0);
  const auto keys = KeysInOneShard("r", 6);
  for (size_t i = 0; i < keys.size(); ++i) Set(db, kNow, keys[i], "v", i < 3 ? kNoExpiry : kNow + 60'000);
  // volatile-random: exactly the three volatile keys go, one per call.
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(EvictOne(keyspace, EvictionPolicy::kVolatileRandom, kNow, kSamples).has_value());
    EXPECT_EQ(ShardSize(db), keys.size() - 1 - static_cast<size_t>(i));
  }
  EXPECT_EQ(EvictOne(keyspace, EvictionPolicy::kVolatileRandom, kNow, kSamples), std::nullopt);
  for (size_t i = 0; i < 3; ++i) EXPECT_TRUE(Present(db, keys[i])) << keys[i];
  // allkeys-random takes the persistent ones as well.
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(EvictOne(keyspace, EvictionPolicy::kAllKeysRandom, kNow, kSamples).has_value());
  }
  EXPECT_EQ(ShardSize(db), 0u);
  EXPECT_EQ(EvictOne(keyspace, EvictionPolicy::kAllKeysRandom, kNow, kSamples), std::nullopt);
}

TEST(EvictOneTest, KeyPastItsDeadlineIsReclaimedAsExpired) {
  for (EvictionPolicy policy : {EvictionPolicy::kAllKeysLru, EvictionPolicy::kVolatileTtl,
                                EvictionPolicy::kVolatileLru, EvictionPolicy::kAllKeysRandom}) {
    SCOPED_TRACE(static_cast<int>(policy));
    Keyspace keyspace(1);
    Database& db = keyspace.db(0);
    const auto keys = KeysInOneShard("e", 4);
    // keys[0] expires at +10 ms; the others live for an hour (volatile, so volatile-* see them too).
    Set(db, kNow, keys[0], "v", kNow + 10);
    for (size_t i = 1; i < keys.size(); ++i) Set(db, kNow, keys[i], "v", kNow + 3'600'000);

    auto evicted = EvictOne(keyspace, policy, kNow + 5'000, kSamples);
    ASSERT_TRUE(evicted.has_value());
    EXPECT_TRUE(evicted->expired);
    EXPECT_GT(evicted->bytes, 0u);
    EXPECT_FALSE(Present(db, keys[0]));
    for (size_t i = 1; i < keys.size(); ++i) EXPECT_TRUE(Present(db, keys[i])) << keys[i];
    EXPECT_EQ(db.ExpiredKeys(), 1u) << "counted as expired";
  }
}

TEST(EvictOneTest, EvictedKeyIsGoneForReads) {
  Keyspace keyspace(1);
  Database& db = keyspace.db(0);
  const auto keys = KeysInOneShard("g", 1);
  Set(db, kNow, keys[0], "value");
  auto evicted = EvictOne(keyspace, EvictionPolicy::kAllKeysLru, kNow, kSamples);
  ASSERT_TRUE(evicted.has_value());
  EXPECT_FALSE(evicted->expired);
  EXPECT_EQ(Get(db, kNow, keys[0]), std::nullopt);
  EXPECT_EQ(db.Size(kNow), 0u);
  EXPECT_EQ(db.ExpiredKeys(), 0u);
}

}  // namespace
}  // namespace latchkey
