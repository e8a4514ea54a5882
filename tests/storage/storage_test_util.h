// Small helpers shared by the keyspace and string tests: they call the public storage APIs with an
// explicit clock value and return plain values, so a test reads as a sequence of commands.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "storage/key_access.h"
#include "storage/keyspace.h"
#include "storage/strings.h"

namespace latchkey::test_util {

// A fixed "now" far from zero, so deadlines never collide with kNoExpiry.
inline constexpr int64_t kNow = 1'700'000'000'000;

// prefix + decimal i (spelled out because GCC 12 warns falsely on `"k" + std::to_string(i)`).
inline std::string Key(std::string_view prefix, int64_t i) {
  std::string key(prefix);
  key.append(std::to_string(i));
  return key;
}

// SET key value [PXAT deadline].
inline void Set(Database& db, int64_t now_ms, std::string_view key, std::string_view value,
                int64_t deadline_ms = kNoExpiry) {
  SetParams params;
  params.deadline_ms = deadline_ms;
  SetOutcome outcome;
  ASSERT_TRUE(StringSet(db, now_ms, key, value, params, &outcome).ok());
  ASSERT_TRUE(outcome.applied);
}

// GET: the value, or nullopt when missing. Fails the test on a non-string.
inline std::optional<std::string> Get(Database& db, int64_t now_ms, std::string_view key) {
  std::optional<std::string> result;
  Status s = StringGet(db, now_ms, key, [&](const std::string* value) {
    if (value != nullptr) result = *value;
  });
  EXPECT_TRUE(s.ok()) << s.message();
  return result;
}

// Creates `key` holding a one-field hash (a non-string type for WRONGTYPE checks).
inline void MakeHash(Database& db, int64_t now_ms, std::string_view key) {
  KeyAccess access(db, now_ms, key);
  ASSERT_EQ(access.Find(key), nullptr);
  KeyNode* node = access.Create(key);
  node->value.emplace<HashValue>().emplace("field", "value");
}

// The shard that owns `key`.
inline Shard& ShardOfKey(Database& db, std::string_view key) {
  return db.shard(Database::ShardOf(Database::HashKey(key)));
}

// Keys physically present in the shard that owns `key` (expired or not); reads without the lock, so
// only call it while no other thread uses `db`.
inline size_t RawShardSize(Database& db, std::string_view key) {
  return ShardOfKey(db, key).table.size();
}

}  // namespace latchkey::test_util
