// Tests for the generic key commands (keys.h) with explicit clock values: RENAME, KEYS, SCAN, EXISTS,
// DEL, TYPE, RANDOMKEY and OBJECT.
#include "storage/keys.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <set>
#include <string>
#include <vector>

#include "storage/keyspace.h"
#include "storage/strings.h"
#include "tests/storage/storage_test_util.h"

namespace latchkey {
namespace {

using test_util::Get;
using test_util::Key;
using test_util::kNow;
using test_util::MakeHash;
using test_util::Set;

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// --- RENAME: value, type, form and deadline move together; the target's own deadline is dropped. ---

TEST(RenameKeyTest, MovesValueAndDeadline) {
  Database db;
  Set(db, kNow, "from", "v", kNow + 100);
  bool renamed = false;
  ASSERT_TRUE(RenameKey(db, kNow, "from", "to", false, &renamed).ok());
  EXPECT_TRUE(renamed);
  EXPECT_EQ(Get(db, kNow, "from"), std::nullopt);
  EXPECT_EQ(Get(db, kNow, "to"), "v");
  EXPECT_EQ(KeyDeadlineMs(db, kNow, "to"), kNow + 100);
  EXPECT_EQ(db.ExpiringSize(kNow), 1u);
  EXPECT_EQ(db.RemoveExpired(kNow + 101, SIZE_MAX), 1u);  // the expiry index follows the new node
  EXPECT_EQ(db.Size(kNow + 101), 0u);
}

TEST(RenameKeyTest, OverwritesTargetAndItsDeadline) {
  Database db;
  Set(db, kNow, "from", "new");
  Set(db, kNow, "to", "old", kNow + 100);
  bool renamed = false;
  ASSERT_TRUE(RenameKey(db, kNow, "from", "to", false, &renamed).ok());
  EXPECT_TRUE(renamed);
  EXPECT_EQ(Get(db, kNow + 1000, "to"), "new");
  EXPECT_EQ(KeyTtlMs(db, kNow, "to"), -1);
  EXPECT_EQ(db.ExpiringSize(kNow), 0u);
  EXPECT_EQ(db.Size(kNow), 1u);
}

TEST(RenameKeyTest, RenameNxLeavesExistingTarget) {
  Database db;
  Set(db, kNow, "from", "a");
  Set(db, kNow, "to", "b");
  bool renamed = true;
  ASSERT_TRUE(RenameKey(db, kNow, "from", "to", true, &renamed).ok());
  EXPECT_FALSE(renamed);
  EXPECT_EQ(Get(db, kNow, "from"), "a");
  EXPECT_EQ(Get(db, kNow, "to"), "b");
  // An expired target counts as absent.
  Set(db, kNow, "gone", "x", kNow + 1);
  ASSERT_TRUE(RenameKey(db, kNow + 5, "from", "gone", true, &renamed).ok());
  EXPECT_TRUE(renamed);
  EXPECT_EQ(Get(db, kNow + 5, "gone"), "a");
}

TEST(RenameKeyTest, MissingOrExpiredSourceIsNoSuchKey) {
  Database db;
  bool renamed = false;
  Status s = RenameKey(db, kNow, "missing", "to", false, &renamed);
  EXPECT_EQ(s.code(), Status::Code::kNotFound);
  EXPECT_EQ(s.message(), "no such key");
  Set(db, kNow, "short", "v", kNow + 1);
  EXPECT_EQ(RenameKey(db, kNow + 2, "short", "to", false, &renamed).code(), Status::Code::kNotFound);
  EXPECT_EQ(RenameKey(db, kNow, "missing", "missing", false, &renamed).code(), Status::Code::kNotFound);
  EXPECT_EQ(db.Size(kNow + 2), 0u);
}

TEST(RenameKeyTest, SameKey) {
  Database db;
  Set(db, kNow, "k", "v", kNow + 100);
  bool renamed = false;
  ASSERT_TRUE(RenameKey(db, kNow, "k", "k", false, &renamed).ok());
  EXPECT_TRUE(renamed);
  ASSERT_TRUE(RenameKey(db, kNow, "k", "k", true, &renamed).ok());
  EXPECT_FALSE(renamed);
  EXPECT_EQ(Get(db, kNow, "k"), "v");
  EXPECT_EQ(KeyDeadlineMs(db, kNow, "k"), kNow + 100);
}

TEST(RenameKeyTest, KeepsTypeAndEncoding) {
  Database db;
  MakeHash(db, kNow, "h");
  uint64_t len = 0;
  ASSERT_TRUE(StringAppend(db, kNow, "s", "1", 1024, &len).ok());
  ASSERT_TRUE(StringAppend(db, kNow, "s", "2", 1024, &len).ok());  // edited: raw
  bool renamed = false;
  ASSERT_TRUE(RenameKey(db, kNow, "h", "h2", false, &renamed).ok());
  ASSERT_TRUE(RenameKey(db, kNow, "s", "s2", false, &renamed).ok());
  EXPECT_EQ(TypeOfKey(db, kNow, "h2"), ValueType::kHash);
  EXPECT_EQ(DescribeObject(db, kNow, "s2")->encoding, "raw");
}

// --- KEYS, SCAN, EXISTS, DEL, TYPE, RANDOMKEY over a whole database. ---

TEST(KeysTest, KeysMatchingFiltersByPattern) {
  Database db;
  for (const char* key : {"user:1", "user:2", "user:10", "session:1"}) Set(db, kNow, key, "v");
  Set(db, kNow, "user:3", "v", kNow + 1);
  EXPECT_EQ(Sorted(KeysMatching(db, kNow + 5, "user:?")), (std::vector<std::string>{"user:1", "user:2"}));
  EXPECT_EQ(Sorted(KeysMatching(db, kNow + 5, "*")),
            (std::vector<std::string>{"session:1", "user:1", "user:10", "user:2"}));
  EXPECT_TRUE(KeysMatching(db, kNow + 5, "nothing*").empty());
}

TEST(KeysTest, ScanReturnsEveryKeyOnceWithFilters) {
  Database db;
  for (int i = 0; i < 1000; ++i) Set(db, kNow, Key("s", i), "v");
  for (int i = 0; i < 10; ++i) MakeHash(db, kNow, Key("h", i));
  std::vector<std::string> all;
  std::vector<std::string> hashes;
  std::vector<std::string> matched;
  uint64_t cursor = 0;
  int steps = 0;
  do {
    cursor = ScanKeys(db, kNow, cursor, 10, {}, &all);
    ++steps;
  } while (cursor != 0);
  EXPECT_GT(steps, 50);  // COUNT bounds the work per step
  do cursor = ScanKeys(db, kNow, cursor, 100, {"", ValueType::kHash}, &hashes);
  while (cursor != 0);
  do cursor = ScanKeys(db, kNow, cursor, 100, {"s1?", std::nullopt}, &matched);
  while (cursor != 0);
  EXPECT_EQ(all.size(), 1010u);
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), 1010u);
  EXPECT_EQ(hashes.size(), 10u);
  EXPECT_EQ(Sorted(matched).size(), 10u);  // s10 .. s19
}

TEST(KeysTest, ScanGuaranteeWhileKeysAreAddedAndRemoved) {
  Database db;
  std::vector<std::string> stable;
  for (int i = 0; i < 300; ++i) stable.push_back(Key("stable", i));
  for (const auto& key : stable) Set(db, kNow, key, "v");
  std::set<std::string> seen;
  std::vector<std::string> out;
  uint64_t cursor = 0;
  int step = 0;
  do {
    cursor = ScanKeys(db, kNow, cursor, 5, {}, &out);
    // Alternate bursts of growth and shrinkage so shard tables resize under the cursor.
    const bool grow = (step / 20) % 2 == 0;
    for (int i = 0; i < 100; ++i) {
      const std::string key = Key("other", (step % 20) * 100 + i);
      if (grow) {
        Set(db, kNow, key, "v");
      } else {
        const std::string_view keys[] = {key};
        DeleteKeys(db, kNow, keys);
      }
    }
    ++step;
    ASSERT_LT(step, 100000);
  } while (cursor != 0);
  seen.insert(out.begin(), out.end());
  for (const auto& key : stable) EXPECT_TRUE(seen.count(key)) << "missed " << key;
}

TEST(KeysTest, ExistsAndDeleteCountRepeatedKeys) {
  Database db;
  Set(db, kNow, "a", "1");
  Set(db, kNow, "b", "2");
  const std::string_view exists[] = {"a", "a", "b", "missing"};
  EXPECT_EQ(CountExisting(db, kNow, exists), 3u);
  const std::string_view del[] = {"a", "a", "b", "missing"};
  EXPECT_EQ(DeleteKeys(db, kNow, del), 2u);
  EXPECT_EQ(db.Size(kNow), 0u);
}

TEST(KeysTest, TypeOfKey) {
  Database db;
  Set(db, kNow, "s", "v");
  MakeHash(db, kNow, "h");
  EXPECT_EQ(TypeOfKey(db, kNow, "s"), ValueType::kString);
  EXPECT_EQ(TypeOfKey(db, kNow, "h"), ValueType::kHash);
  EXPECT_EQ(TypeOfKey(db, kNow, "missing"), std::nullopt);
  EXPECT_EQ(TypeName(ValueType::kString), "string");
  EXPECT_EQ(TypeName(ValueType::kHash), "hash");
  EXPECT_EQ(TypeName(ValueType::kSet), "set");
}

TEST(KeysTest, RandomKeyReturnsOnlyLiveKeys) {
  Database db;
  bool found = true;
  EXPECT_EQ(db.RandomKey(kNow, &found), "");
  EXPECT_FALSE(found);
  for (int i = 0; i < 20; ++i) Set(db, kNow, Key("k", i), "v", i < 10 ? kNow + 1 : kNoExpiry);
  std::set<std::string> drawn;
  for (int i = 0; i < 2000; ++i) {
    std::string key = db.RandomKey(kNow + 5, &found);
    ASSERT_TRUE(found);
    ASSERT_GE(std::stoi(key.substr(1)), 10) << key;
    drawn.insert(key);
  }
  EXPECT_EQ(drawn.size(), 10u);
}

// --- OBJECT ENCODING/REFCOUNT/IDLETIME: Redis's string encodings; reads through OBJECT do not touch
// --- the access time, other reads do.

TEST(DescribeObjectTest, EncodingsAsWritten) {
  struct Case {
    std::string value;
    std::string encoding;
    int64_t refcount;
  };
  const Case cases[] = {
      {"123", "int", INT_MAX},  // a shared integer
      {"0", "int", INT_MAX},
      {"9999", "int", INT_MAX},
      {"10000", "int", 1},
      {"-1", "int", 1},
      {"9223372036854775807", "int", 1},
      {"01", "embstr", 1},
      {"+1", "embstr", 1},
      {"1.5", "embstr", 1},
      {"abc", "embstr", 1},
      {std::string(44, 'x'), "embstr", 1},
      {std::string(45, 'x'), "raw", 1},
      {"", "embstr", 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.value);
    Database db;
    Set(db, kNow, "k", c.value);
    auto info = DescribeObject(db, kNow, "k");
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->encoding, c.encoding);
    EXPECT_EQ(info->refcount, c.refcount);
  }
  Database db;
  EXPECT_EQ(DescribeObject(db, kNow, "missing"), std::nullopt);
  MakeHash(db, kNow, "h");
  EXPECT_EQ(DescribeObject(db, kNow, "h")->encoding, "listpack");  // one short field, as Redis 7.0 holds it
}

TEST(DescribeObjectTest, EncodingsAfterEditsAndArithmetic) {
  Database db;
  uint64_t len = 0;
  Set(db, kNow, "appended", "1");
  ASSERT_TRUE(StringAppend(db, kNow, "appended", "2", 1 << 20, &len).ok());
  EXPECT_EQ(DescribeObject(db, kNow, "appended")->encoding, "raw");  // kEdited, even though "12"
  ASSERT_TRUE(StringSetRange(db, kNow, "ranged", 0, "7", 1 << 20, &len).ok());
  EXPECT_EQ(DescribeObject(db, kNow, "ranged")->encoding, "raw");
  std::string result;
  ASSERT_TRUE(StringIncrByFloat(db, kNow, "float", 3.0L, &result).ok());
  ASSERT_EQ(result, "3");
  EXPECT_EQ(DescribeObject(db, kNow, "float")->encoding, "embstr");  // kComputed: never int
  int64_t n = 0;
  ASSERT_TRUE(StringIncrBy(db, kNow, "appended", 1, &n).ok());
  EXPECT_EQ(DescribeObject(db, kNow, "appended")->encoding, "int");  // INCR writes a fresh integer
  Set(db, kNow, "ranged", "5");
  EXPECT_EQ(DescribeObject(db, kNow, "ranged")->encoding, "int");  // SET resets the form
  // APPEND to a missing key stores the argument as written.
  ASSERT_TRUE(StringAppend(db, kNow, "fresh", "42", 1 << 20, &len).ok());
  EXPECT_EQ(DescribeObject(db, kNow, "fresh")->encoding, "int");
}

TEST(DescribeObjectTest, IdleTime) {
  Database db;
  Set(db, kNow, "k", "v");
  EXPECT_EQ(DescribeObject(db, kNow + 5000, "k")->idle_seconds, 5);
  EXPECT_EQ(DescribeObject(db, kNow + 7000, "k")->idle_seconds, 7);  // OBJECT did not refresh it
  EXPECT_EQ(Get(db, kNow + 8000, "k"), "v");                         // GET did
  EXPECT_EQ(DescribeObject(db, kNow + 10000, "k")->idle_seconds, 2);
  EXPECT_EQ(DescribeObject(db, kNow - 5000, "k")->idle_seconds, 0);  // a clock step back: never negative
}

}  // namespace
}  // namespace latchkey
