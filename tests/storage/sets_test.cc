// Tests for the set commands' semantics (sets.h) with explicit clock values: every function, the
// deletion of emptied sets, WRONGTYPE, Redis's member order for integer sets, SSCAN's guarantee while
// the set changes between calls, SPOP/SRANDMEMBER picks, the set algebra, encodings, and that every
// in-place edit is recorded for RocksDB. Also the scan-step selection (element_scan.h) on its own.
#include "storage/sets.h"

#include <gtest/gtest.h>

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
using Members = std::vector<std::string>;

size_t SAdd(Database& db, std::string_view key, std::vector<std::string_view> members) {
  size_t added = 0;
  EXPECT_TRUE(SetAdd(db, kNow, key, members, &added).ok());
  return added;
}

size_t SRem(Database& db, std::string_view key, std::vector<std::string_view> members) {
  size_t removed = 0;
  EXPECT_TRUE(SetRemove(db, kNow, key, members, &removed).ok());
  return removed;
}

Members Collect(std::span<const std::string* const> members) {
  Members out;
  for (const std::string* m : members) out.push_back(*m);
  return out;
}

Members SMembers(Database& db, std::string_view key) {
  Members out;
  EXPECT_TRUE(
      SetMembers(db, kNow, key, [&](std::span<const std::string* const> m) { out = Collect(m); }).ok());
  return out;
}

std::set<std::string> Sorted(const Members& m) {
  return std::set<std::string>(m.begin(), m.end());
}

Members Combine(Database& db, SetOp op, std::vector<std::string_view> keys) {
  Members out;
  EXPECT_TRUE(
      SetCombine(db, kNow, op, keys, [&](std::span<const std::string* const> m) { out = Collect(m); }).ok());
  return out;
}

Members Pop(Database& db, std::string_view key, uint64_t count) {
  Members out;
  EXPECT_TRUE(
      SetPop(db, kNow, key, count, [&](std::span<const std::string* const> m) { out = Collect(m); }).ok());
  return out;
}

uint64_t SScanStep(Database& db, std::string_view key, uint64_t cursor, size_t count, Members* out,
                   std::string_view pattern = "") {
  uint64_t next = 0;
  EXPECT_TRUE(
      SetScan(db, kNow, key, cursor, count, pattern, [&](uint64_t n, std::span<const std::string* const> m) {
        next = n;
        for (const std::string* s : m) out->push_back(*s);
      }).ok());
  return next;
}

// --- SADD / SREM / SCARD / membership ---

TEST(SetAddTest, CountsNewMembersAndRemovalDeletesTheEmptiedKey) {
  Database db;
  EXPECT_EQ(SAdd(db, "s", {"a", "b", "a"}), 2u);
  EXPECT_EQ(SAdd(db, "s", {"b", "c", ""}), 2u);
  size_t size = 0;
  ASSERT_TRUE(SetCardinality(db, kNow, "s", &size).ok());
  EXPECT_EQ(size, 4u);
  EXPECT_EQ(SRem(db, "s", {"a", "a", "zz"}), 1u);
  EXPECT_EQ(SRem(db, "nokey", {"a"}), 0u);
  EXPECT_EQ(SRem(db, "s", {"b", "c", ""}), 3u);
  EXPECT_EQ(TypeOfKey(db, kNow, "s"), std::nullopt);
  ASSERT_TRUE(SetCardinality(db, kNow, "s", &size).ok());
  EXPECT_EQ(size, 0u);
}

TEST(SetAddTest, ContainsInOrder) {
  Database db;
  SAdd(db, "s", {"a", std::string_view("\0b", 2)});
  std::vector<bool> got;
  const std::string_view probe[] = {"a", "x", std::string_view("\0b", 2), "a"};
  ASSERT_TRUE(SetContains(db, kNow, "s", probe, [&](bool p) { got.push_back(p); }).ok());
  EXPECT_EQ(got, (std::vector<bool>{true, false, true, true}));
  got.clear();
  ASSERT_TRUE(SetContains(db, kNow, "nokey", probe, [&](bool p) { got.push_back(p); }).ok());
  EXPECT_EQ(got, (std::vector<bool>{false, false, false, false}));
}

TEST(SetAddTest, KeepsTheDeadline) {
  Database db;
  SAdd(db, "s", {"a"});
  ASSERT_TRUE(ExpireKey(db, kNow, "s", kNow + 1000, 0));
  SAdd(db, "s", {"b"});
  SRem(db, "s", {"a"});
  EXPECT_EQ(KeyTtlMs(db, kNow, "s"), 1000);
}

// --- Redis's order: an intset lists its members in ascending numeric order ---

TEST(SetOrderTest, IntegerSetsAreSortedNumerically) {
  Database db;
  SAdd(db, "s", {"10", "-5", "3", "9223372036854775807", "-9223372036854775808", "0"});
  EXPECT_EQ(SMembers(db, "s"),
            (Members{"-9223372036854775808", "-5", "0", "3", "10", "9223372036854775807"}));
  Members scanned;
  EXPECT_EQ(SScanStep(db, "s", 0, 1, &scanned), 0u);
  EXPECT_EQ(scanned, SMembers(db, "s"));
  EXPECT_EQ(SMembers(db, "nokey"), Members{});
}

TEST(SetOrderTest, SortLikeIntsetLeavesOtherSetsAlone) {
  const std::string a = "10", b = "9", c = "01", d = "x";
  std::vector<const std::string*> v = {&a, &b};
  SortLikeIntset(&v);
  EXPECT_EQ(*v[0], "9");
  v = {&a, &c};  // "01" is no canonical integer: not an intset
  SortLikeIntset(&v);
  EXPECT_EQ(*v[0], "10");
  v = {&a, &d};
  SortLikeIntset(&v);
  EXPECT_EQ(*v[0], "10");
}

// --- SPOP ---

TEST(SetPopTest, PopsDistinctMembersAndDeletesTheEmptiedKey) {
  Database db;
  SAdd(db, "s", {"a", "b", "c", "d", "e"});
  Members one = Pop(db, "s", 1);
  ASSERT_EQ(one.size(), 1u);
  Members two = Pop(db, "s", 2);
  ASSERT_EQ(two.size(), 2u);
  Members left = SMembers(db, "s");
  EXPECT_EQ(left.size(), 2u);
  std::set<std::string> all = Sorted(one);
  all.insert(two.begin(), two.end());
  all.insert(left.begin(), left.end());
  EXPECT_EQ(all, (std::set<std::string>{"a", "b", "c", "d", "e"}));  // nothing popped twice or lost
  EXPECT_EQ(Pop(db, "s", 0), Members{});
  EXPECT_EQ(SMembers(db, "s").size(), 2u);
  EXPECT_EQ(Sorted(Pop(db, "s", 10)), Sorted(left));
  EXPECT_EQ(TypeOfKey(db, kNow, "s"), std::nullopt);
  EXPECT_EQ(Pop(db, "s", 1), Members{});
}

TEST(SetPopTest, WholeIntsetComesSorted) {
  Database db;
  SAdd(db, "s", {"3", "1", "2"});
  EXPECT_EQ(Pop(db, "s", 3), (Members{"1", "2", "3"}));
}

TEST(SetPopTest, SinglePopsReachEveryMember) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    Database db;
    SAdd(db, "s", {"a", "b", "c"});
    seen.insert(Pop(db, "s", 1).at(0));
  }
  EXPECT_EQ(seen, (std::set<std::string>{"a", "b", "c"}));
}

// --- SRANDMEMBER ---

TEST(SetRandomTest, DistinctRepeatsWholeAndMissing) {
  Database db;
  for (int i = 0; i < 40; ++i) SAdd(db, "s", {Key("m", i)});
  auto picks = [&](std::string_view key, uint64_t count, bool distinct) {
    Members out;
    uint64_t announced = UINT64_MAX;
    EXPECT_TRUE(SetRandomMembers(
                    db, kNow, key, count, distinct, [&](uint64_t n) { announced = n; },
                    [&](const std::string& m) {
                      out.push_back(m);
                      return true;
                    })
                    .ok());
    EXPECT_EQ(announced, out.size());
    return out;
  };
  EXPECT_EQ(Sorted(picks("s", 10, true)).size(), 10u);
  EXPECT_EQ(Sorted(picks("s", 100, true)).size(), 40u);
  Members repeats = picks("s", 400, false);
  EXPECT_EQ(repeats.size(), 400u);
  EXPECT_GT(Sorted(repeats).size(), 30u);
  EXPECT_TRUE(picks("s", 0, true).empty());
  EXPECT_TRUE(picks("nokey", 3, false).empty());
  SAdd(db, "ints", {"5", "-1", "3"});
  EXPECT_EQ(picks("ints", 3, true), (Members{"-1", "3", "5"}));
}

// --- SSCAN ---

TEST(SetScanTest, LargeSetIsWalkedInStepsOnceWithMatch) {
  Database db;
  for (int i = 0; i < 2000; ++i) SAdd(db, "s", {Key(i % 2 ? "odd" : "even", i)});
  Members all, odd;
  uint64_t cursor = 0;
  do cursor = SScanStep(db, "s", cursor, 25, &all);
  while (cursor != 0);
  EXPECT_EQ(all.size(), 2000u);
  EXPECT_EQ(Sorted(all).size(), 2000u);
  do cursor = SScanStep(db, "s", cursor, 25, &odd, "odd*");
  while (cursor != 0);
  EXPECT_EQ(odd.size(), 1000u);
}

// node-redis v4 holds cursors in a JavaScript Number: a cursor at or above 2^53 would be rounded and
// the scan would skip members (it did, before cursors were narrowed).
TEST(SetScanTest, CursorsStayExactInADouble) {
  Database db;
  for (int i = 0; i < 3000; ++i) SAdd(db, "s", {Key("m", i)});
  Members all;
  uint64_t cursor = 0;
  do {
    cursor = SScanStep(db, "s", cursor, 50, &all);
    EXPECT_LT(cursor, uint64_t{1} << 53);
    EXPECT_EQ(static_cast<uint64_t>(static_cast<double>(cursor)), cursor);
  } while (cursor != 0);
  EXPECT_EQ(Sorted(all).size(), 3000u);
}

TEST(SetScanTest, StableMembersSurviveInsertsAndDeletesBetweenCalls) {
  Database db;
  for (int i = 0; i < 500; ++i) SAdd(db, "s", {Key("stable", i), Key("doomed", i)});
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int step = 0, added = 0;
  do {
    Members got;
    cursor = SScanStep(db, "s", cursor, 10, &got);
    seen.insert(got.begin(), got.end());
    for (int i = step * 20; i < step * 20 + 20 && i < 500; ++i) SRem(db, "s", {Key("doomed", i)});
    for (int i = 0; i < 100; ++i) SAdd(db, "s", {Key("new", added++)});
    ++step;
  } while (cursor != 0);
  for (int i = 0; i < 500; ++i) EXPECT_TRUE(seen.count(Key("stable", i))) << i;
}

// --- SINTER / SUNION / SDIFF ---

TEST(SetCombineTest, AlgebraWithMissingKeys) {
  Database db;
  SAdd(db, "a", {"1", "2", "3", "4"});
  SAdd(db, "b", {"3", "4", "5"});
  SAdd(db, "c", {"x", "4"});
  EXPECT_EQ(Combine(db, SetOp::kIntersection, {"a", "b"}), (Members{"3", "4"}));
  EXPECT_EQ(Combine(db, SetOp::kIntersection, {"a", "b", "c"}), (Members{"4"}));
  EXPECT_EQ(Combine(db, SetOp::kIntersection, {"a", "nokey"}), Members{});
  EXPECT_EQ(Combine(db, SetOp::kIntersection, {"a", "a"}), (Members{"1", "2", "3", "4"}));
  EXPECT_EQ(Combine(db, SetOp::kUnion, {"a", "b"}), (Members{"1", "2", "3", "4", "5"}));
  EXPECT_EQ(Sorted(Combine(db, SetOp::kUnion, {"a", "c", "nokey"})),
            (std::set<std::string>{"1", "2", "3", "4", "x"}));
  EXPECT_EQ(Combine(db, SetOp::kUnion, {"nokey"}), Members{});
  EXPECT_EQ(Combine(db, SetOp::kDifference, {"a", "b"}), (Members{"1", "2"}));
  EXPECT_EQ(Combine(db, SetOp::kDifference, {"a", "b", "c"}), (Members{"1", "2"}));
  EXPECT_EQ(Combine(db, SetOp::kDifference, {"a", "a"}), Members{});
  EXPECT_EQ(Combine(db, SetOp::kDifference, {"nokey", "a"}), Members{});
  EXPECT_EQ(Combine(db, SetOp::kDifference, {"a", "nokey"}), (Members{"1", "2", "3", "4"}));
}

// A wrong type anywhere fails the command, even after a missing key.
TEST(SetCombineTest, WrongTypeAnywhere) {
  Database db;
  SAdd(db, "a", {"1"});
  Set(db, kNow, "str", "v");
  for (SetOp op : {SetOp::kIntersection, SetOp::kUnion, SetOp::kDifference}) {
    for (std::vector<std::string_view> keys :
         {std::vector<std::string_view>{"a", "str"}, std::vector<std::string_view>{"nokey", "str"},
          std::vector<std::string_view>{"str", "nokey"}}) {
      Status s = SetCombine(db, kNow, op, keys, [](std::span<const std::string* const>) { ADD_FAILURE(); });
      EXPECT_EQ(s.code(), Status::Code::kWrongType);
    }
  }
}

// --- WRONGTYPE: every function refuses another type and changes nothing ---

TEST(SetWrongTypeTest, EveryFunction) {
  Database db;
  Set(db, kNow, "k", "v");
  size_t n = 0;
  const std::string_view members[] = {"m"};
  auto no_members = [](std::span<const std::string* const>) { ADD_FAILURE(); };
  const Status results[] = {
      SetAdd(db, kNow, "k", members, &n),
      SetRemove(db, kNow, "k", members, &n),
      SetMembers(db, kNow, "k", no_members),
      SetContains(db, kNow, "k", members, [](bool) { ADD_FAILURE(); }),
      SetCardinality(db, kNow, "k", &n),
      SetPop(db, kNow, "k", 1, no_members),
      SetPop(db, kNow, "k", 0, no_members),
      SetRandomMembers(
          db, kNow, "k", 1, true, [](uint64_t) { ADD_FAILURE(); },
          [](const std::string&) {
            ADD_FAILURE();
            return true;
          }),
      SetScan(db, kNow, "k", 0, 10, "", [](uint64_t, std::span<const std::string* const>) { ADD_FAILURE(); }),
  };
  for (const Status& s : results) EXPECT_EQ(s.code(), Status::Code::kWrongType);
  EXPECT_EQ(Get(db, kNow, "k"), "v");
}

// --- encodings ---

TEST(SetEncodingTest, IntsetLimits) {
  Database db;
  SAdd(db, "s", {"1", "-2"});
  EXPECT_EQ(DescribeObject(db, kNow, "s")->encoding, "intset");
  SAdd(db, "s", {"01"});
  EXPECT_EQ(DescribeObject(db, kNow, "s")->encoding, "hashtable");
  SetValue set;
  for (size_t i = 0; i < kSetMaxIntsetEntries; ++i) set.insert(std::to_string(i));
  EXPECT_EQ(SetEncoding(set), "intset");
  set.insert("512");
  EXPECT_EQ(SetEncoding(set), "hashtable");
  EXPECT_GT(SetMemoryUsage(set), 512 * sizeof(std::string));
}

// --- durability: every change is recorded; reads and no-ops are not ---

TEST(SetDurabilityTest, EveryChangeIsRecorded) {
  LoggedDatabase logged;
  Database& db = logged.db();
  SAdd(db, "s", {"a", "b", "c"});
  EXPECT_EQ(logged.Recorded("s"), Value(SetValue{"a", "b", "c"}));
  SAdd(db, "s", {"d"});
  EXPECT_EQ(logged.Recorded("s"), Value(SetValue{"a", "b", "c", "d"}));
  SRem(db, "s", {"a"});
  EXPECT_EQ(logged.Recorded("s"), Value(SetValue{"b", "c", "d"}));
  Members popped = Pop(db, "s", 2);
  SetValue left{"b", "c", "d"};
  for (const auto& m : popped) left.erase(m);
  EXPECT_EQ(logged.Recorded("s"), Value(left));

  const size_t records = logged.RecordCount("s");
  SAdd(db, "s", {*left.begin()});  // already there
  SRem(db, "s", {"zz"});
  Pop(db, "s", 0);
  SMembers(db, "s");
  Combine(db, SetOp::kUnion, {"s"});
  EXPECT_EQ(logged.RecordCount("s"), records);

  Pop(db, "s", 1);
  EXPECT_EQ(logged.Recorded("s"), std::nullopt);  // popping the last member deletes the key on disk
}

// --- the scan step on its own ---

TEST(ElementScanTest, StepsNeverSplitEqualHashesAndCoverEverything) {
  const std::string e[] = {"a", "b", "c", "d", "e", "f"};
  // Hashes with ties: 5, 5, 7, 7, 7, 9.
  const uint64_t hashes[] = {7, 5, 9, 7, 5, 7};
  auto from = [&](uint64_t cursor) {
    std::vector<HashedEntry<std::string>> items;
    for (size_t i = 0; i < 6; ++i) {
      if (hashes[i] >= cursor) items.push_back({hashes[i], &e[i]});
    }
    return items;
  };
  auto items = from(0);
  uint64_t next = 0;
  size_t n = SelectScanStep(&items, 1, 6, &next);
  EXPECT_EQ(n, 2u);  // both entries hashing to 5
  EXPECT_EQ(next, 7u);
  items = from(next);
  n = SelectScanStep(&items, 2, 6, &next);
  EXPECT_EQ(n, 3u);  // all three 7s, though COUNT is 2
  EXPECT_EQ(next, 9u);
  items = from(next);
  n = SelectScanStep(&items, 2, 6, &next);
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(next, 0u);
  EXPECT_EQ(*items[0].entry, "c");
  items = from(0);
  EXPECT_EQ(SelectScanStep(&items, 100, 6, &next), 6u);
  EXPECT_EQ(next, 0u);
  for (size_t i = 1; i < 6; ++i) EXPECT_LE(items[i - 1].hash, items[i].hash);  // sorted
}

TEST(ElementScanTest, LargeContainersTakeBiggerSteps) {
  std::vector<std::string> elements;
  for (int i = 0; i < 6400; ++i) elements.push_back(Key("e", i));
  std::vector<HashedEntry<std::string>> items;
  for (const auto& s : elements) items.push_back({ElementHash(s), &s});
  uint64_t next = 0;
  EXPECT_EQ(SelectScanStep(&items, 1, elements.size(), &next), 6400 / kScanStepsPerPass);
  EXPECT_NE(next, 0u);
}

}  // namespace
}  // namespace latchkey
