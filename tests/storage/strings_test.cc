// Tests for the string commands' semantics (strings.h) with explicit clock values: SET's conditions and
// deadline rules, GETEX/GETDEL, MGET/MSET, INCRBY(FLOAT), APPEND/SETRANGE limits, GETRANGE indexes,
// WRONGTYPE, and atomic INCR under concurrency.
#include "storage/strings.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "storage/keys.h"
#include "tests/storage/storage_test_util.h"

namespace latchkey {
namespace {

using test_util::Get;
using test_util::Key;
using test_util::kNow;
using test_util::MakeHash;
using test_util::Set;
using test_util::ShardOfKey;

constexpr std::string_view kTooBig = "string exceeds maximum allowed size (proto-max-bulk-len)";

Status SetWith(Database& db, std::string_view key, std::string_view value, const SetParams& params,
               SetOutcome* outcome, int64_t now_ms = kNow) {
  return StringSet(db, now_ms, key, value, params, outcome);
}

// --- SET: NX/XX decide whether to write; GET reports the old value; a write clears the deadline unless
// --- KEEPTTL or a new deadline is given.

TEST(StringSetTest, OverwritesAnyType) {
  Database db;
  MakeHash(db, kNow, "k");
  SetOutcome outcome;
  ASSERT_TRUE(SetWith(db, "k", "v", {}, &outcome).ok());
  EXPECT_TRUE(outcome.applied);
  EXPECT_EQ(TypeOfKey(db, kNow, "k"), ValueType::kString);
  EXPECT_EQ(Get(db, kNow, "k"), "v");
}

TEST(StringSetTest, NxAndXx) {
  Database db;
  SetParams nx;
  nx.condition = SetParams::Condition::kIfAbsent;
  SetParams xx;
  xx.condition = SetParams::Condition::kIfPresent;
  SetOutcome outcome;
  ASSERT_TRUE(SetWith(db, "k", "1", xx, &outcome).ok());
  EXPECT_FALSE(outcome.applied);
  EXPECT_EQ(TypeOfKey(db, kNow, "k"), std::nullopt);  // XX does not create
  outcome = {};
  ASSERT_TRUE(SetWith(db, "k", "2", nx, &outcome).ok());
  EXPECT_TRUE(outcome.applied);
  outcome = {};
  ASSERT_TRUE(SetWith(db, "k", "3", nx, &outcome).ok());
  EXPECT_FALSE(outcome.applied);
  EXPECT_EQ(Get(db, kNow, "k"), "2");
  outcome = {};
  ASSERT_TRUE(SetWith(db, "k", "4", xx, &outcome).ok());
  EXPECT_TRUE(outcome.applied);
  EXPECT_EQ(Get(db, kNow, "k"), "4");
}

TEST(StringSetTest, ExpiredKeyCountsAsAbsent) {
  Database db;
  Set(db, kNow, "k", "old", kNow + 1);
  SetParams xx;
  xx.condition = SetParams::Condition::kIfPresent;
  SetOutcome outcome;
  ASSERT_TRUE(SetWith(db, "k", "x", xx, &outcome, kNow + 2).ok());
  EXPECT_FALSE(outcome.applied);
  SetParams nx;
  nx.condition = SetParams::Condition::kIfAbsent;
  ASSERT_TRUE(SetWith(db, "k", "y", nx, &outcome, kNow + 2).ok());
  EXPECT_TRUE(outcome.applied);
  EXPECT_EQ(Get(db, kNow + 100, "k"), "y");  // and without the old deadline
}

TEST(StringSetTest, GetReturnsOldValue) {
  Database db;
  SetParams get;
  get.return_old = true;
  SetOutcome outcome;
  ASSERT_TRUE(SetWith(db, "k", "1", get, &outcome).ok());
  EXPECT_TRUE(outcome.applied);
  EXPECT_FALSE(outcome.had_old);
  outcome = {};
  ASSERT_TRUE(SetWith(db, "k", "2", get, &outcome).ok());
  EXPECT_TRUE(outcome.had_old);
  EXPECT_EQ(outcome.old_value, "1");
  // NX GET on an existing key: reports the value, writes nothing.
  get.condition = SetParams::Condition::kIfAbsent;
  outcome = {};
  ASSERT_TRUE(SetWith(db, "k", "3", get, &outcome).ok());
  EXPECT_FALSE(outcome.applied);
  EXPECT_TRUE(outcome.had_old);
  EXPECT_EQ(outcome.old_value, "2");
  EXPECT_EQ(Get(db, kNow, "k"), "2");
}

TEST(StringSetTest, GetOnWrongTypeWritesNothing) {
  Database db;
  MakeHash(db, kNow, "h");
  SetParams get;
  get.return_old = true;
  SetOutcome outcome;
  Status s = SetWith(db, "h", "v", get, &outcome);
  EXPECT_EQ(s.code(), Status::Code::kWrongType);
  EXPECT_EQ(s.message(), "Operation against a key holding the wrong kind of value");
  EXPECT_FALSE(outcome.applied);
  EXPECT_EQ(TypeOfKey(db, kNow, "h"), ValueType::kHash);
}

TEST(StringSetTest, DeadlineRules) {
  Database db;
  Set(db, kNow, "k", "1", kNow + 100);
  EXPECT_EQ(KeyDeadlineMs(db, kNow, "k"), kNow + 100);
  SetParams keep;
  keep.keep_ttl = true;
  SetOutcome outcome;
  ASSERT_TRUE(SetWith(db, "k", "2", keep, &outcome).ok());
  EXPECT_EQ(KeyDeadlineMs(db, kNow, "k"), kNow + 100);  // KEEPTTL
  Set(db, kNow, "k", "3", kNow + 500);
  EXPECT_EQ(KeyDeadlineMs(db, kNow, "k"), kNow + 500);  // a new deadline replaces the old
  Set(db, kNow, "k", "4");
  EXPECT_EQ(KeyDeadlineMs(db, kNow, "k"), -1);  // a plain SET clears it
  EXPECT_EQ(ShardOfKey(db, "k").expiry.size(), 0u);
  EXPECT_EQ(Get(db, kNow + 1000, "k"), "4");
  ASSERT_TRUE(SetWith(db, "k", "5", keep, &outcome).ok());
  EXPECT_EQ(KeyDeadlineMs(db, kNow, "k"), -1);  // KEEPTTL without a deadline keeps none
}

// --- GETEX, GETDEL, MGET, MSET(NX). ---

TEST(StringGetExTest, Actions) {
  Database db;
  auto getex = [&](std::string_view key, GetExAction action, int64_t now_ms = kNow) {
    std::optional<std::string> seen;
    Status s = StringGetEx(db, now_ms, key, action, [&](const std::string* v) {
      if (v != nullptr) seen = *v;
    });
    EXPECT_TRUE(s.ok());
    return seen;
  };
  EXPECT_EQ(getex("missing", {}), std::nullopt);
  Set(db, kNow, "k", "v", kNow + 100);
  EXPECT_EQ(getex("k", {}), "v");
  EXPECT_EQ(KeyDeadlineMs(db, kNow, "k"), kNow + 100);  // plain GETEX changes nothing
  EXPECT_EQ(getex("k", {GetExAction::Kind::kPersist, kNoExpiry}), "v");
  EXPECT_EQ(KeyDeadlineMs(db, kNow, "k"), -1);
  EXPECT_EQ(ShardOfKey(db, "k").expiry.size(), 0u);
  EXPECT_EQ(getex("k", {GetExAction::Kind::kSetDeadline, kNow + 50}), "v");
  EXPECT_EQ(KeyDeadlineMs(db, kNow, "k"), kNow + 50);
  EXPECT_EQ(db.RemoveExpired(kNow + 51, SIZE_MAX), 1u);
  // A deadline at or before now returns the value, then deletes the key.
  for (int64_t deadline : {kNow, kNow - 1}) {
    Set(db, kNow, "k", "w");
    EXPECT_EQ(getex("k", {GetExAction::Kind::kSetDeadline, deadline}), "w");
    EXPECT_EQ(TypeOfKey(db, kNow, "k"), std::nullopt);
  }
}

TEST(StringGetExTest, WrongType) {
  Database db;
  MakeHash(db, kNow, "h");
  bool called = false;
  Status s = StringGetEx(db, kNow, "h", {GetExAction::Kind::kPersist, kNoExpiry},
                         [&](const std::string*) { called = true; });
  EXPECT_EQ(s.code(), Status::Code::kWrongType);
  EXPECT_FALSE(called);
}

TEST(StringGetDelTest, ReturnsAndDeletes) {
  Database db;
  Set(db, kNow, "k", "v", kNow + 10);
  std::optional<std::string> seen;
  ASSERT_TRUE(StringGetDel(db, kNow, "k", [&](const std::string* v) {
                if (v != nullptr) seen = *v;
              }).ok());
  EXPECT_EQ(seen, "v");
  EXPECT_EQ(db.Size(kNow), 0u);
  EXPECT_EQ(db.ExpiringSize(kNow), 0u);
  MakeHash(db, kNow, "h");
  EXPECT_EQ(StringGetDel(db, kNow, "h", [](const std::string*) {}).code(), Status::Code::kWrongType);
  EXPECT_EQ(TypeOfKey(db, kNow, "h"), ValueType::kHash);
}

TEST(StringMultiTest, MultiGetAndMultiSet) {
  Database db;
  Set(db, kNow, "a", "old", kNow + 100);
  MakeHash(db, kNow, "h");
  const std::string_view pairs[] = {"a", "1", "b", "2"};
  EXPECT_TRUE(StringMultiSet(db, kNow, pairs, false));
  EXPECT_EQ(KeyTtlMs(db, kNow, "a"), -1);  // MSET clears deadlines
  std::vector<std::string> seen;
  const std::string_view keys[] = {"a", "h", "missing", "b", "a"};
  StringMultiGet(db, kNow, keys, [&](const std::string* v) { seen.push_back(v ? *v : "<nil>"); });
  EXPECT_EQ(seen, (std::vector<std::string>{"1", "<nil>", "<nil>", "2", "1"}));
  // MSETNX writes nothing if any key exists.
  const std::string_view nx_pairs[] = {"c", "3", "b", "x"};
  EXPECT_FALSE(StringMultiSet(db, kNow, nx_pairs, true));
  EXPECT_EQ(Get(db, kNow, "c"), std::nullopt);
  EXPECT_EQ(Get(db, kNow, "b"), "2");
  const std::string_view fresh_pairs[] = {"c", "3", "d", "4"};
  EXPECT_TRUE(StringMultiSet(db, kNow, fresh_pairs, true));
  EXPECT_EQ(Get(db, kNow, "d"), "4");
}

// --- INCRBY: 64-bit arithmetic with overflow and not-an-integer errors; the deadline survives. ---

TEST(StringIncrByTest, Arithmetic) {
  Database db;
  int64_t result = 0;
  ASSERT_TRUE(StringIncrBy(db, kNow, "n", 5, &result).ok());
  EXPECT_EQ(result, 5);
  ASSERT_TRUE(StringIncrBy(db, kNow, "n", -8, &result).ok());
  EXPECT_EQ(result, -3);
  EXPECT_EQ(Get(db, kNow, "n"), "-3");
  Set(db, kNow, "big", "9223372036854775806");
  ASSERT_TRUE(StringIncrBy(db, kNow, "big", 1, &result).ok());
  EXPECT_EQ(result, INT64_MAX);
}

TEST(StringIncrByTest, Overflow) {
  Database db;
  int64_t result = 42;
  Set(db, kNow, "max", "9223372036854775807");
  Status s = StringIncrBy(db, kNow, "max", 1, &result);
  EXPECT_EQ(s.code(), Status::Code::kErr);
  EXPECT_EQ(s.message(), "increment or decrement would overflow");
  EXPECT_EQ(Get(db, kNow, "max"), "9223372036854775807");
  Set(db, kNow, "min", "-9223372036854775808");
  EXPECT_EQ(StringIncrBy(db, kNow, "min", -1, &result).message(), "increment or decrement would overflow");
  EXPECT_EQ(StringIncrBy(db, kNow, "missing", INT64_MIN, &result).code(), Status::Code::kOk);
  EXPECT_EQ(StringIncrBy(db, kNow, "missing", -1, &result).message(),
            "increment or decrement would overflow");
  EXPECT_EQ(result, INT64_MIN);
}

TEST(StringIncrByTest, NotAnInteger) {
  Database db;
  for (const char* value : {"abc", "1.5", " 1", "1 ", "01", "+1", "", "9223372036854775808"}) {
    SCOPED_TRACE(value);
    Set(db, kNow, "k", value);
    int64_t result = 42;
    Status s = StringIncrBy(db, kNow, "k", 1, &result);
    EXPECT_EQ(s.code(), Status::Code::kErr);
    EXPECT_EQ(s.message(), "value is not an integer or out of range");
    EXPECT_EQ(Get(db, kNow, "k"), value);
    EXPECT_EQ(result, 42);
  }
  MakeHash(db, kNow, "h");
  int64_t result = 0;
  EXPECT_EQ(StringIncrBy(db, kNow, "h", 1, &result).code(), Status::Code::kWrongType);
}

TEST(StringIncrByTest, KeepsDeadline) {
  Database db;
  Set(db, kNow, "n", "1", kNow + 100);
  int64_t result = 0;
  ASSERT_TRUE(StringIncrBy(db, kNow, "n", 1, &result).ok());
  EXPECT_EQ(KeyDeadlineMs(db, kNow, "n"), kNow + 100);
  // An expired counter starts again from zero.
  ASSERT_TRUE(StringIncrBy(db, kNow + 101, "n", 1, &result).ok());
  EXPECT_EQ(result, 1);
  EXPECT_EQ(KeyTtlMs(db, kNow + 101, "n"), -1);
}

// --- INCRBYFLOAT: long double arithmetic, stored in Redis's human form. ---

TEST(StringIncrByFloatTest, Arithmetic) {
  Database db;
  std::string result;
  Set(db, kNow, "f", "10.5");
  ASSERT_TRUE(StringIncrByFloat(db, kNow, "f", 0.1L, &result).ok());
  EXPECT_EQ(result, "10.6");
  EXPECT_EQ(Get(db, kNow, "f"), "10.6");
  Set(db, kNow, "e", "5.0e3");
  ASSERT_TRUE(StringIncrByFloat(db, kNow, "e", 2.0e2L, &result).ok());
  EXPECT_EQ(result, "5200");
  ASSERT_TRUE(StringIncrByFloat(db, kNow, "new", 3.0e3L, &result).ok());
  EXPECT_EQ(result, "3000");
  Set(db, kNow, "int", "7");
  ASSERT_TRUE(StringIncrByFloat(db, kNow, "int", 0.5L, &result).ok());
  EXPECT_EQ(result, "7.5");
}

TEST(StringIncrByFloatTest, Errors) {
  Database db;
  std::string result = "untouched";
  Set(db, kNow, "s", "abc");
  Status s = StringIncrByFloat(db, kNow, "s", 1, &result);
  EXPECT_EQ(s.code(), Status::Code::kErr);
  EXPECT_EQ(s.message(), "value is not a valid float");
  Set(db, kNow, "max", "1e4932");
  s = StringIncrByFloat(db, kNow, "max", 1e4932L, &result);
  EXPECT_EQ(s.message(), "increment would produce NaN or Infinity");
  EXPECT_EQ(Get(db, kNow, "max"), "1e4932");
  s = StringIncrByFloat(db, kNow, "max", std::numeric_limits<long double>::infinity(), &result);
  EXPECT_EQ(s.message(), "increment would produce NaN or Infinity");
  EXPECT_EQ(result, "untouched");
  MakeHash(db, kNow, "h");
  EXPECT_EQ(StringIncrByFloat(db, kNow, "h", 1, &result).code(), Status::Code::kWrongType);
}

TEST(StringIncrByFloatTest, KeepsDeadline) {
  Database db;
  Set(db, kNow, "f", "1", kNow + 100);
  std::string result;
  ASSERT_TRUE(StringIncrByFloat(db, kNow, "f", 1.5L, &result).ok());
  EXPECT_EQ(KeyDeadlineMs(db, kNow, "f"), kNow + 100);
}

// --- APPEND and SETRANGE: proto-max-bulk-len bounds the result; SETRANGE pads with zero bytes. ---

TEST(StringAppendTest, AppendsAndLimits) {
  Database db;
  uint64_t len = 0;
  ASSERT_TRUE(StringAppend(db, kNow, "k", "Hello", 10, &len).ok());
  EXPECT_EQ(len, 5u);
  ASSERT_TRUE(StringAppend(db, kNow, "k", " Wor", 10, &len).ok());
  EXPECT_EQ(len, 9u);
  Status s = StringAppend(db, kNow, "k", "ld", 10, &len);
  EXPECT_EQ(s.code(), Status::Code::kErr);
  EXPECT_EQ(s.message(), kTooBig);
  EXPECT_EQ(Get(db, kNow, "k"), "Hello Wor");
  ASSERT_TRUE(StringAppend(db, kNow, "k", "l", 10, &len).ok());  // exactly at the limit
  EXPECT_EQ(len, 10u);
  ASSERT_TRUE(StringAppend(db, kNow, "k", "", 10, &len).ok());
  EXPECT_EQ(len, 10u);
  MakeHash(db, kNow, "h");
  EXPECT_EQ(StringAppend(db, kNow, "h", "x", 10, &len).code(), Status::Code::kWrongType);
}

TEST(StringAppendTest, KeepsDeadline) {
  Database db;
  Set(db, kNow, "k", "a", kNow + 100);
  uint64_t len = 0;
  ASSERT_TRUE(StringAppend(db, kNow, "k", "b", 100, &len).ok());
  EXPECT_EQ(KeyDeadlineMs(db, kNow, "k"), kNow + 100);
}

TEST(StringSetRangeTest, OverwritesAndPads) {
  Database db;
  uint64_t len = 0;
  Set(db, kNow, "k", "Hello World");
  ASSERT_TRUE(StringSetRange(db, kNow, "k", 6, "Redis", 100, &len).ok());
  EXPECT_EQ(len, 11u);
  EXPECT_EQ(Get(db, kNow, "k"), "Hello Redis");
  ASSERT_TRUE(StringSetRange(db, kNow, "pad", 3, "ab", 100, &len).ok());
  EXPECT_EQ(len, 5u);
  EXPECT_EQ(Get(db, kNow, "pad"), std::string("\0\0\0ab", 5));
  ASSERT_TRUE(StringSetRange(db, kNow, "k", 9, "xyz", 100, &len).ok());  // overlaps the end
  EXPECT_EQ(Get(db, kNow, "k"), "Hello Redxyz");
}

TEST(StringSetRangeTest, EmptyValueAndLimits) {
  Database db;
  uint64_t len = 99;
  ASSERT_TRUE(StringSetRange(db, kNow, "missing", 5, "", 100, &len).ok());
  EXPECT_EQ(len, 0u);
  EXPECT_EQ(TypeOfKey(db, kNow, "missing"), std::nullopt);  // not created
  Set(db, kNow, "k", "abc");
  ASSERT_TRUE(StringSetRange(db, kNow, "k", 1000, "", 10, &len).ok());  // no limit check when empty
  EXPECT_EQ(len, 3u);
  Status s = StringSetRange(db, kNow, "k", 8, "xyz", 10, &len);
  EXPECT_EQ(s.code(), Status::Code::kErr);
  EXPECT_EQ(s.message(), kTooBig);
  EXPECT_EQ(Get(db, kNow, "k"), "abc");
  EXPECT_EQ(StringSetRange(db, kNow, "new", 10, "x", 10, &len).message(), kTooBig);
  EXPECT_EQ(TypeOfKey(db, kNow, "new"), std::nullopt);
  ASSERT_TRUE(StringSetRange(db, kNow, "k", 7, "xyz", 10, &len).ok());
  EXPECT_EQ(len, 10u);
  MakeHash(db, kNow, "h");
  EXPECT_EQ(StringSetRange(db, kNow, "h", 0, "x", 10, &len).code(), Status::Code::kWrongType);
}

// --- GETRANGE and STRLEN: Redis's index rules (negative from the end, clamped, empty when crossed). ---

TEST(StringGetRangeTest, IndexRules) {
  Database db;
  Set(db, kNow, "k", "Hello World");  // 11 bytes
  struct Case {
    int64_t start;
    int64_t end;
    std::string expected;
  };
  const Case cases[] = {
      {0, 3, "Hell"},   {-3, -1, "rld"},  {0, -1, "Hello World"},
      {10, 100, "d"},   {5, 3, ""},       {-1, -5, ""},
      {-100, -200, ""}, {-100, 2, "Hel"}, {-100, -100, "H"},
      {20, 30, ""},     {0, 0, "H"},      {11, 11, ""},
      {-1, -1, "d"},    {3, -9, ""},      {INT64_MIN, INT64_MAX, "Hello World"},
  };
  for (const Case& c : cases) {
    std::string got = "unset";
    ASSERT_TRUE(StringGetRange(db, kNow, "k", c.start, c.end, [&](std::string_view r) { got = r; }).ok());
    EXPECT_EQ(got, c.expected) << c.start << ".." << c.end;
  }
  std::string got = "unset";
  ASSERT_TRUE(StringGetRange(db, kNow, "missing", 0, -1, [&](std::string_view r) { got = r; }).ok());
  EXPECT_EQ(got, "");
  Set(db, kNow, "empty", "");
  got = "unset";
  ASSERT_TRUE(StringGetRange(db, kNow, "empty", 0, -1, [&](std::string_view r) { got = r; }).ok());
  EXPECT_EQ(got, "");
  MakeHash(db, kNow, "h");
  EXPECT_EQ(StringGetRange(db, kNow, "h", 0, -1, [](std::string_view) {}).code(), Status::Code::kWrongType);
}

TEST(StringLengthTest, Lengths) {
  Database db;
  uint64_t len = 99;
  ASSERT_TRUE(StringLength(db, kNow, "missing", &len).ok());
  EXPECT_EQ(len, 0u);
  Set(db, kNow, "k", std::string("a\0b", 3));
  ASSERT_TRUE(StringLength(db, kNow, "k", &len).ok());
  EXPECT_EQ(len, 3u);
  MakeHash(db, kNow, "h");
  EXPECT_EQ(StringLength(db, kNow, "h", &len).code(), Status::Code::kWrongType);
}

// --- Concurrency: each call is atomic, so concurrent INCRs on shared keys lose no update, even while
// --- multi-key commands lock several shards at once.

TEST(StringConcurrencyTest, ConcurrentIncrementsAreExact) {
  Database db;
  constexpr int kThreads = 4;
  constexpr int kIterations = 20000;
  constexpr int kKeys = 8;
  std::vector<std::string> keys;
  for (int i = 0; i < kKeys; ++i) keys.push_back(Key("counter:", i));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kIterations; ++i) {
        int64_t result = 0;
        const std::string& key = keys[(i + t) % kKeys];
        if (!StringIncrBy(db, kNow, key, 1, &result).ok()) ADD_FAILURE() << "INCR failed";
      }
    });
  }
  // A reader locking every counter's shard at once, in the other threads' way.
  threads.emplace_back([&] {
    std::vector<std::string_view> views(keys.begin(), keys.end());
    for (int i = 0; i < 2000; ++i) {
      StringMultiGet(db, kNow, views, [](const std::string*) {});
    }
  });
  for (auto& thread : threads) thread.join();
  for (const auto& key : keys) EXPECT_EQ(Get(db, kNow, key), std::to_string(kThreads * kIterations / kKeys));
}

}  // namespace
}  // namespace latchkey
