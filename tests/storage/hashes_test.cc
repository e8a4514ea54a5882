// Tests for the hash commands' semantics (hashes.h) with explicit clock values: every function, the
// deletion of emptied hashes, WRONGTYPE, HSCAN's guarantee while the hash changes between calls, random
// picks, encodings, atomic counters under concurrency, and that every in-place edit is recorded for
// RocksDB.
#include "storage/hashes.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "storage/container_info.h"
#include "storage/element_scan.h"
#include "storage/keys.h"
#include "tests/storage/container_test_util.h"
#include "tests/storage/storage_test_util.h"

namespace latchkey {
namespace {

using test_util::Get;
using test_util::Key;
using test_util::kNow;
using test_util::LoggedDatabase;
using test_util::Set;

constexpr std::string_view kWrongType = "Operation against a key holding the wrong kind of value";

// HSET key pairs...; returns how many fields were new.
size_t HSet(Database& db, std::string_view key, std::vector<std::string_view> pairs, int64_t now = kNow) {
  size_t added = 0;
  EXPECT_TRUE(HashSet(db, now, key, pairs, &added).ok());
  return added;
}

std::optional<std::string> HGet(Database& db, std::string_view key, std::string_view field,
                                int64_t now = kNow) {
  std::optional<std::string> out;
  EXPECT_TRUE(HashGet(db, now, key, field, [&](const std::string* v) {
                if (v != nullptr) out = *v;
              }).ok());
  return out;
}

// The whole hash as an ordered map (empty for a missing key).
std::map<std::string, std::string> HGetAll(Database& db, std::string_view key) {
  std::map<std::string, std::string> out;
  EXPECT_TRUE(HashRead(db, kNow, key, [&](const HashValue* hash) {
                if (hash != nullptr) out.insert(hash->begin(), hash->end());
              }).ok());
  return out;
}

// One HSCAN call: appends the step's fields to *fields and returns the next cursor.
uint64_t HScanStep(Database& db, std::string_view key, uint64_t cursor, size_t count,
                   std::vector<std::string>* fields, std::string_view pattern = "") {
  uint64_t next = 0;
  EXPECT_TRUE(HashScan(db, kNow, key, cursor, count, pattern,
                       [&](uint64_t n, std::span<const HashEntry* const> entries) {
                         next = n;
                         for (const HashEntry* e : entries) fields->push_back(e->first);
                       })
                  .ok());
  return next;
}

HashValue Hash(std::initializer_list<std::pair<const std::string, std::string>> entries) {
  return HashValue(entries);
}

// --- HSET / HSETNX ---

TEST(HashSetTest, CountsNewFieldsAndLaterPairsWin) {
  Database db;
  EXPECT_EQ(HSet(db, "h", {"a", "1", "b", "2"}), 2u);
  EXPECT_EQ(HSet(db, "h", {"a", "x", "c", "3", "c", "4"}), 1u);
  EXPECT_EQ(HGetAll(db, "h"), (std::map<std::string, std::string>{{"a", "x"}, {"b", "2"}, {"c", "4"}}));
  EXPECT_EQ(TypeOfKey(db, kNow, "h"), ValueType::kHash);
}

TEST(HashSetTest, BinaryAndEmptyFieldsAndValues) {
  Database db;
  const std::string field("\0\xff", 2), value("\r\n\0", 3);
  EXPECT_EQ(HSet(db, "h", {field, value, "", ""}), 2u);
  EXPECT_EQ(HGet(db, "h", field), value);
  EXPECT_EQ(HGet(db, "h", ""), "");
}

TEST(HashSetTest, KeepsTheDeadlineAndTreatsExpiredKeysAsMissing) {
  Database db;
  HSet(db, "h", {"a", "1"});
  ASSERT_TRUE(ExpireKey(db, kNow, "h", kNow + 1000, 0));
  HSet(db, "h", {"b", "2"});
  EXPECT_EQ(KeyTtlMs(db, kNow, "h"), 1000);
  // Past the deadline the old fields are gone and the new hash has no deadline.
  EXPECT_EQ(HSet(db, "h", {"c", "3"}, kNow + 2000), 1u);
  EXPECT_EQ(HGet(db, "h", "a", kNow + 2000), std::nullopt);
  EXPECT_EQ(KeyTtlMs(db, kNow + 2000, "h"), -1);
}

TEST(HashSetTest, SetIfAbsent) {
  Database db;
  bool applied = false;
  ASSERT_TRUE(HashSetIfAbsent(db, kNow, "h", "f", "1", &applied).ok());
  EXPECT_TRUE(applied);
  ASSERT_TRUE(HashSetIfAbsent(db, kNow, "h", "f", "2", &applied).ok());
  EXPECT_FALSE(applied);
  EXPECT_EQ(HGet(db, "h", "f"), "1");
}

// --- reads ---

TEST(HashReadTest, MissingKeysAndFields) {
  Database db;
  HSet(db, "h", {"a", "1", "b", "22"});
  EXPECT_EQ(HGet(db, "h", "zz"), std::nullopt);
  EXPECT_EQ(HGet(db, "nokey", "a"), std::nullopt);
  std::vector<std::optional<std::string>> got;
  const std::string_view fields[] = {"b", "zz", "a"};
  ASSERT_TRUE(HashMultiGet(db, kNow, "h", fields, [&](const std::string* v) {
                got.push_back(v ? std::optional<std::string>(*v) : std::nullopt);
              }).ok());
  EXPECT_EQ(got, (std::vector<std::optional<std::string>>{"22", std::nullopt, "1"}));
  got.clear();
  ASSERT_TRUE(HashMultiGet(db, kNow, "nokey", fields, [&](const std::string* v) {
                got.push_back(v ? std::optional<std::string>(*v) : std::nullopt);
              }).ok());
  EXPECT_EQ(got.size(), 3u);
  bool called_with_null = false;
  ASSERT_TRUE(HashRead(db, kNow, "nokey", [&](const HashValue* h) { called_with_null = h == nullptr; }).ok());
  EXPECT_TRUE(called_with_null);

  bool exists = true;
  size_t len = 99;
  ASSERT_TRUE(HashExists(db, kNow, "h", "a", &exists).ok());
  EXPECT_TRUE(exists);
  ASSERT_TRUE(HashExists(db, kNow, "h", "zz", &exists).ok());
  EXPECT_FALSE(exists);
  ASSERT_TRUE(HashExists(db, kNow, "nokey", "a", &exists).ok());
  EXPECT_FALSE(exists);
  ASSERT_TRUE(HashLength(db, kNow, "h", &len).ok());
  EXPECT_EQ(len, 2u);
  ASSERT_TRUE(HashLength(db, kNow, "nokey", &len).ok());
  EXPECT_EQ(len, 0u);
  ASSERT_TRUE(HashValueLength(db, kNow, "h", "b", &len).ok());
  EXPECT_EQ(len, 2u);
  ASSERT_TRUE(HashValueLength(db, kNow, "h", "zz", &len).ok());
  EXPECT_EQ(len, 0u);
  ASSERT_TRUE(HashValueLength(db, kNow, "nokey", "a", &len).ok());
  EXPECT_EQ(len, 0u);
}

// --- HDEL: the last field takes the key with it ---

TEST(HashDeleteTest, CountsOnceAndDeletesTheEmptiedKey) {
  Database db;
  HSet(db, "h", {"a", "1", "b", "2", "c", "3"});
  size_t removed = 0;
  const std::string_view twice[] = {"a", "a", "zz"};
  ASSERT_TRUE(HashDelete(db, kNow, "h", twice, &removed).ok());
  EXPECT_EQ(removed, 1u);
  const std::string_view rest[] = {"b", "c"};
  ASSERT_TRUE(HashDelete(db, kNow, "h", rest, &removed).ok());
  EXPECT_EQ(removed, 2u);
  EXPECT_EQ(TypeOfKey(db, kNow, "h"), std::nullopt);
  ASSERT_TRUE(HashDelete(db, kNow, "h", rest, &removed).ok());
  EXPECT_EQ(removed, 0u);
}

// --- HINCRBY / HINCRBYFLOAT ---

TEST(HashIncrTest, IntegerRulesAndOverflow) {
  Database db;
  int64_t result = 0;
  ASSERT_TRUE(HashIncrBy(db, kNow, "h", "n", 5, &result).ok());
  EXPECT_EQ(result, 5);
  ASSERT_TRUE(HashIncrBy(db, kNow, "h", "n", -7, &result).ok());
  EXPECT_EQ(HGet(db, "h", "n"), "-2");
  HSet(db, "h", {"m", std::to_string(INT64_MAX - 1)});
  ASSERT_TRUE(HashIncrBy(db, kNow, "h", "m", 1, &result).ok());
  Status s = HashIncrBy(db, kNow, "h", "m", 1, &result);
  EXPECT_EQ(s.message(), kErrOverflow);
  EXPECT_EQ(HGet(db, "h", "m"), std::to_string(INT64_MAX));
  ASSERT_TRUE(HashIncrBy(db, kNow, "h", "low", INT64_MIN, &result).ok());
  EXPECT_EQ(HashIncrBy(db, kNow, "h", "low", -1, &result).message(), kErrOverflow);
  for (std::string_view bad : {"abc", "01", "-0", " 1", "1.0", ""}) {
    HSet(db, "h", {"s", bad});
    EXPECT_EQ(HashIncrBy(db, kNow, "h", "s", 1, &result).message(), "hash value is not an integer") << bad;
    EXPECT_EQ(HGet(db, "h", "s"), std::string(bad));
  }
}

TEST(HashIncrTest, FloatRulesAndLimits) {
  Database db;
  std::string result;
  ASSERT_TRUE(HashIncrByFloat(db, kNow, "h", "x", 10.5L, &result).ok());
  EXPECT_EQ(result, "10.5");
  ASSERT_TRUE(HashIncrByFloat(db, kNow, "h", "x", 0.1L, &result).ok());
  EXPECT_EQ(result, "10.6");
  EXPECT_EQ(HGet(db, "h", "x"), "10.6");
  HSet(db, "h", {"i", "007"});
  ASSERT_TRUE(HashIncrByFloat(db, kNow, "h", "i", 1, &result).ok());
  EXPECT_EQ(result, "8");
  HSet(db, "h", {"s", "abc"});
  EXPECT_EQ(HashIncrByFloat(db, kNow, "h", "s", 1, &result).message(), "hash value is not a float");
  HSet(db, "h", {"big", "1.18e4932"});
  EXPECT_EQ(HashIncrByFloat(db, kNow, "h", "big", 1.18e4932L, &result).message(),
            "increment would produce NaN or Infinity");
  EXPECT_EQ(HGet(db, "h", "big"), "1.18e4932");
}

TEST(HashIncrTest, ConcurrentIncrementsAreAtomic) {
  Database db;
  constexpr int kThreads = 4, kPerThread = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      int64_t result = 0;
      for (int i = 0; i < kPerThread; ++i) ASSERT_TRUE(HashIncrBy(db, kNow, "h", "n", 1, &result).ok());
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(HGet(db, "h", "n"), std::to_string(kThreads * kPerThread));
}

// --- WRONGTYPE: every function refuses another type and changes nothing ---

TEST(HashWrongTypeTest, EveryFunction) {
  Database db;
  Set(db, kNow, "s", "v");
  size_t n = 0;
  bool b = false;
  int64_t i = 0;
  std::string str;
  const std::string_view pairs[] = {"f", "v"};
  const std::string_view fields[] = {"f"};
  auto ignore_value = [](const std::string*) { ADD_FAILURE(); };
  const Status results[] = {
      HashSet(db, kNow, "s", pairs, &n),
      HashSetIfAbsent(db, kNow, "s", "f", "v", &b),
      HashGet(db, kNow, "s", "f", ignore_value),
      HashMultiGet(db, kNow, "s", fields, ignore_value),
      HashRead(db, kNow, "s", [](const HashValue*) { ADD_FAILURE(); }),
      HashDelete(db, kNow, "s", fields, &n),
      HashExists(db, kNow, "s", "f", &b),
      HashLength(db, kNow, "s", &n),
      HashValueLength(db, kNow, "s", "f", &n),
      HashIncrBy(db, kNow, "s", "f", 1, &i),
      HashIncrByFloat(db, kNow, "s", "f", 1, &str),
      HashScan(db, kNow, "s", 0, 10, "", [](uint64_t, std::span<const HashEntry* const>) { ADD_FAILURE(); }),
      HashRandomFields(
          db, kNow, "s", 1, true, [](uint64_t) { ADD_FAILURE(); },
          [](const HashEntry&) {
            ADD_FAILURE();
            return true;
          }),
  };
  for (const Status& s : results) {
    EXPECT_EQ(s.code(), Status::Code::kWrongType);
    EXPECT_EQ(s.message(), kWrongType);
  }
  EXPECT_EQ(Get(db, kNow, "s"), "v");
}

// --- HSCAN ---

TEST(HashScanTest, SmallHashComesWholeWithCursorZeroWhateverTheCursor) {
  Database db;
  HSet(db, "h", {"a1", "1", "a2", "2", "b1", "3"});
  for (uint64_t cursor : {uint64_t{0}, uint64_t{12345}, UINT64_MAX}) {
    std::vector<std::string> fields;
    EXPECT_EQ(HScanStep(db, "h", cursor, 1, &fields), 0u);
    EXPECT_EQ(std::set<std::string>(fields.begin(), fields.end()), (std::set<std::string>{"a1", "a2", "b1"}));
  }
  std::vector<std::string> fields;
  EXPECT_EQ(HScanStep(db, "h", 0, 10, &fields, "a*"), 0u);
  EXPECT_EQ(std::set<std::string>(fields.begin(), fields.end()), (std::set<std::string>{"a1", "a2"}));
  fields.clear();
  EXPECT_EQ(HScanStep(db, "nokey", 0, 10, &fields), 0u);
  EXPECT_TRUE(fields.empty());
}

// A hash past the listpack limits is walked in steps; a full walk returns every field exactly once.
TEST(HashScanTest, LargeHashIsWalkedInStepsOnce) {
  Database db;
  constexpr int kFields = 3000;
  for (int i = 0; i < kFields; ++i) HSet(db, "h", {Key("f", i), "v"});
  ASSERT_EQ(DescribeObject(db, kNow, "h")->encoding, "hashtable");
  std::multiset<std::string> seen;
  uint64_t cursor = 0;
  int steps = 0;
  do {
    std::vector<std::string> fields;
    cursor = HScanStep(db, "h", cursor, 10, &fields);
    EXPECT_LE(fields.size(), kFields / kScanStepsPerPass + 2);  // COUNT 10 is raised to N/64, not more
    seen.insert(fields.begin(), fields.end());
    ++steps;
  } while (cursor != 0);
  EXPECT_GT(steps, 10);
  EXPECT_EQ(seen.size(), static_cast<size_t>(kFields));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), static_cast<size_t>(kFields));
}

// The guarantee: fields present for the whole scan are returned, even as others come and go between
// calls and the table rehashes.
TEST(HashScanTest, StableFieldsSurviveInsertsAndDeletesBetweenCalls) {
  Database db;
  constexpr int kStable = 1000;
  for (int i = 0; i < kStable; ++i) HSet(db, "h", {Key("stable", i), "v"});
  for (int i = 0; i < 1000; ++i) HSet(db, "h", {Key("doomed", i), "v"});
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int step = 0, added = 0;
  do {
    std::vector<std::string> fields;
    cursor = HScanStep(db, "h", cursor, 20, &fields);
    seen.insert(fields.begin(), fields.end());
    // Between calls: delete 30 doomed fields and add 200 new ones (the table grows and rehashes).
    std::vector<std::string> doomed;
    for (int i = step * 30; i < step * 30 + 30 && i < 1000; ++i) doomed.push_back(Key("doomed", i));
    std::vector<std::string_view> views(doomed.begin(), doomed.end());
    size_t removed = 0;
    ASSERT_TRUE(HashDelete(db, kNow, "h", views, &removed).ok());
    for (int i = 0; i < 200; ++i) HSet(db, "h", {Key("new", added++), "v"});
    ++step;
  } while (cursor != 0);
  for (int i = 0; i < kStable; ++i) EXPECT_TRUE(seen.count(Key("stable", i))) << i;
}

// A scan that started on a large hash still sees every stable field when the hash shrinks under the
// listpack limits mid-scan (it is then answered whole).
TEST(HashScanTest, ShrinkingBelowTheLimitsMidScan) {
  Database db;
  for (int i = 0; i < 100; ++i) HSet(db, "h", {Key("stable", i), "v"});
  for (int i = 0; i < 1000; ++i) HSet(db, "h", {Key("doomed", i), "v"});
  std::vector<std::string> fields;
  uint64_t cursor = HScanStep(db, "h", 0, 10, &fields);
  ASSERT_NE(cursor, 0u);
  std::vector<std::string> doomed;
  for (int i = 0; i < 1000; ++i) doomed.push_back(Key("doomed", i));
  std::vector<std::string_view> views(doomed.begin(), doomed.end());
  size_t removed = 0;
  ASSERT_TRUE(HashDelete(db, kNow, "h", views, &removed).ok());
  EXPECT_EQ(HScanStep(db, "h", cursor, 10, &fields), 0u);
  std::set<std::string> seen(fields.begin(), fields.end());
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(seen.count(Key("stable", i))) << i;
}

// --- HRANDFIELD ---

struct Picks {
  uint64_t announced = UINT64_MAX;
  std::vector<std::string> fields;
};
Picks RandomFields(Database& db, std::string_view key, uint64_t count, bool distinct,
                   size_t stop_after = SIZE_MAX) {
  Picks p;
  EXPECT_TRUE(HashRandomFields(
                  db, kNow, key, count, distinct, [&](uint64_t n) { p.announced = n; },
                  [&](const HashEntry& e) {
                    p.fields.push_back(e.first);
                    return p.fields.size() < stop_after;
                  })
                  .ok());
  return p;
}

TEST(HashRandomTest, DistinctRepeatsWholeAndMissing) {
  Database db;
  for (int i = 0; i < 50; ++i) HSet(db, "h", {Key("f", i), "v"});
  Picks p = RandomFields(db, "h", 10, true);
  EXPECT_EQ(p.announced, 10u);
  EXPECT_EQ(std::set<std::string>(p.fields.begin(), p.fields.end()).size(), 10u);
  p = RandomFields(db, "h", 49, true);
  EXPECT_EQ(std::set<std::string>(p.fields.begin(), p.fields.end()).size(), 49u);
  p = RandomFields(db, "h", 500, true);
  EXPECT_EQ(p.announced, 50u);
  EXPECT_EQ(std::set<std::string>(p.fields.begin(), p.fields.end()).size(), 50u);
  p = RandomFields(db, "h", 1000, false);
  EXPECT_EQ(p.announced, 1000u);
  EXPECT_EQ(p.fields.size(), 1000u);
  std::set<std::string> distinct(p.fields.begin(), p.fields.end());
  EXPECT_GT(distinct.size(), 40u);  // 1000 uniform picks out of 50 miss a field with odds ~50 * e^-20
  for (const auto& f : distinct) EXPECT_TRUE(HGet(db, "h", f).has_value());
  p = RandomFields(db, "h", 1000, false, 5);  // the caller may stop early
  EXPECT_EQ(p.fields.size(), 5u);
  p = RandomFields(db, "h", 0, true);
  EXPECT_EQ(p.announced, 0u);
  p = RandomFields(db, "nokey", 5, false);
  EXPECT_EQ(p.announced, 0u);
  EXPECT_TRUE(p.fields.empty());
}

TEST(HashRandomTest, SinglePicksReachEveryField) {
  Database db;
  HSet(db, "h", {"a", "1", "b", "2", "c", "3"});
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) seen.insert(RandomFields(db, "h", 1, true).fields.at(0));
  EXPECT_EQ(seen, (std::set<std::string>{"a", "b", "c"}));
}

// --- encodings and memory ---

TEST(HashEncodingTest, ListpackLimits) {
  HashValue hash;
  hash.emplace(std::string(64, 'f'), std::string(64, 'v'));
  EXPECT_EQ(HashEncoding(hash), "listpack");
  hash.emplace("g", std::string(65, 'v'));
  EXPECT_EQ(HashEncoding(hash), "hashtable");
  hash.clear();
  hash.emplace(std::string(65, 'f'), "v");
  EXPECT_EQ(HashEncoding(hash), "hashtable");
  hash.clear();
  for (size_t i = 0; i < kHashMaxListpackEntries; ++i) hash.emplace(Key("f", static_cast<int64_t>(i)), "v");
  EXPECT_EQ(HashEncoding(hash), "listpack");
  hash.emplace("one more", "v");
  EXPECT_EQ(HashEncoding(hash), "hashtable");
}

TEST(HashEncodingTest, ObjectEncodingAndMemoryUsage) {
  Database db;
  HSet(db, "h", {"f", "v"});
  EXPECT_EQ(DescribeObject(db, kNow, "h")->encoding, "listpack");
  const size_t small = *KeyMemoryUsage(db, kNow, "h");
  HSet(db, "h", {"long", std::string(1000, 'x')});
  EXPECT_EQ(DescribeObject(db, kNow, "h")->encoding, "hashtable");
  EXPECT_GE(*KeyMemoryUsage(db, kNow, "h"), small + 1000);
}

// --- durability: every change, including in-place edits, is recorded; reads and no-ops are not ---

TEST(HashDurabilityTest, EveryChangeIsRecorded) {
  LoggedDatabase logged;
  Database& db = logged.db();
  HSet(db, "h", {"a", "1", "b", "2"});
  EXPECT_EQ(logged.Recorded("h"), Value(Hash({{"a", "1"}, {"b", "2"}})));
  HSet(db, "h", {"a", "9"});
  EXPECT_EQ(logged.Recorded("h"), Value(Hash({{"a", "9"}, {"b", "2"}})));
  bool applied = false;
  ASSERT_TRUE(HashSetIfAbsent(db, kNow, "h", "c", "3", &applied).ok());
  EXPECT_EQ(logged.Recorded("h"), Value(Hash({{"a", "9"}, {"b", "2"}, {"c", "3"}})));
  int64_t i = 0;
  ASSERT_TRUE(HashIncrBy(db, kNow, "h", "a", 1, &i).ok());
  EXPECT_EQ(logged.Recorded("h"), Value(Hash({{"a", "10"}, {"b", "2"}, {"c", "3"}})));
  std::string f;
  ASSERT_TRUE(HashIncrByFloat(db, kNow, "h", "b", 0.5L, &f).ok());
  EXPECT_EQ(logged.Recorded("h"), Value(Hash({{"a", "10"}, {"b", "2.5"}, {"c", "3"}})));
  size_t removed = 0;
  const std::string_view ab[] = {"a", "b"};
  ASSERT_TRUE(HashDelete(db, kNow, "h", ab, &removed).ok());
  EXPECT_EQ(logged.Recorded("h"), Value(Hash({{"c", "3"}})));

  // Reads, misses and refused writes add no record.
  const size_t records = logged.RecordCount("h");
  ASSERT_TRUE(HashSetIfAbsent(db, kNow, "h", "c", "other", &applied).ok());
  ASSERT_TRUE(HashDelete(db, kNow, "h", ab, &removed).ok());
  HGet(db, "h", "c");
  HGetAll(db, "h");
  HSet(db, "h", {"s", "abc"});
  EXPECT_FALSE(HashIncrBy(db, kNow, "h", "s", 1, &i).ok());
  EXPECT_EQ(logged.RecordCount("h"), records + 1);  // only the HSET of "s"

  const std::string_view cs[] = {"c", "s"};
  ASSERT_TRUE(HashDelete(db, kNow, "h", cs, &removed).ok());
  EXPECT_EQ(logged.Recorded("h"), std::nullopt);  // the emptied hash is deleted on disk too
}

}  // namespace
}  // namespace latchkey
