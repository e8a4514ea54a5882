// Active expiry as a client sees it: every expiring key is reclaimed shortly after its deadline (INFO
// stats expired_keys, expire_lag_p*), an expired key is invisible to every read the instant its deadline
// passes even when active expiry is slow, a mass expiry does not stall other clients, and hz /
// active-expire-effort change live.
#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "server_process.h"

namespace latchkey::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// prefix + decimal i (spelled out because GCC 12 warns falsely on `"k" + std::to_string(i)`).
std::string Key(std::string_view prefix, int64_t i) {
  std::string key(prefix);
  key.append(std::to_string(i));
  return key;
}

int64_t WallMs() {
  return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// An integer field of INFO `section` (-1 if absent).
int64_t InfoField(redisContext* c, const std::string& section, const std::string& field) {
  Reply r = Command(c, {"INFO", section});
  if (r == nullptr || r->type != REDIS_REPLY_STRING) return -1;
  std::string text(r->str, r->len);
  size_t at = text.find("\r\n" + field + ":");
  if (at == std::string::npos) return -1;
  return std::stoll(text.substr(at + field.size() + 3));
}

int64_t ExpiredKeys(redisContext* c) {
  return InfoField(c, "stats", "expired_keys");
}
int64_t ExpireCycles(redisContext* c) {
  return InfoField(c, "stats", "expire_cycles");
}

// Sends every command of `commands` pipelined (in chunks) and checks each reply is +OK.
void Pipeline(redisContext* c, const std::vector<std::vector<std::string>>& commands) {
  constexpr size_t kChunk = 4096;
  for (size_t start = 0; start < commands.size(); start += kChunk) {
    const size_t end = std::min(commands.size(), start + kChunk);
    for (size_t i = start; i < end; ++i) {
      std::vector<const char*> argv;
      std::vector<size_t> lens;
      for (const auto& a : commands[i]) {
        argv.push_back(a.data());
        lens.push_back(a.size());
      }
      ASSERT_EQ(redisAppendCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()), REDIS_OK);
    }
    for (size_t i = start; i < end; ++i) {
      void* raw = nullptr;
      ASSERT_EQ(redisGetReply(c, &raw), REDIS_OK) << c->errstr;
      Reply r(static_cast<redisReply*>(raw));
      ASSERT_EQ(r->type, REDIS_REPLY_STATUS) << "command " << i << ": " << (r->str ? r->str : "");
    }
  }
}

// Polls `read` until it returns `want` or `seconds` pass; returns the last value read.
template <typename Read>
int64_t PollUntil(Read read, int64_t want, double seconds) {
  const auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  int64_t value = read();
  while (value != want && Clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
    value = read();
  }
  return value;
}

// (a) Exactness: every key whose deadline passed is reclaimed by the engine alone (nothing here reads
// the keyspace), soon after its deadline.
TEST(ActiveExpiry, ReclaimsEveryKeyShortlyAfterItsDeadline) {
  ServerProcess server;
  auto c = server.Connect();
  constexpr int kKeys = 2000;
  constexpr int64_t kSpreadMs = 1500;
  ASSERT_EQ(ExpiredKeys(c.get()), 0);
  const auto start = Clock::now();
  std::vector<std::vector<std::string>> commands;
  for (int i = 0; i < kKeys; ++i) {
    commands.push_back({"SET", Key("k", i), "v", "PX", std::to_string(1 + i * kSpreadMs / kKeys)});
  }
  Pipeline(c.get(), commands);
  std::this_thread::sleep_until(start + milliseconds(kSpreadMs + 500));

  // INFO only: DBSIZE, KEYS or SCAN would reclaim lazily and hide a slow engine.
  EXPECT_EQ(ExpiredKeys(c.get()), kKeys);
  const int64_t p50 = InfoField(c.get(), "stats", "expire_lag_p50_ms");
  const int64_t p99 = InfoField(c.get(), "stats", "expire_lag_p99_ms");
  EXPECT_GE(p50, 0);
  EXPECT_LE(p50, p99);
  RecordProperty("lag_p50_ms", std::to_string(p50));
  RecordProperty("lag_p99_ms", std::to_string(p99));
  EXPECT_LT(p99, 1000);
  EXPECT_GT(ExpireCycles(c.get()), 0);
  EXPECT_GE(InfoField(c.get(), "stats", "expire_cycle_cpu_milliseconds"), 0);
  EXPECT_GE(InfoField(c.get(), "stats", "expired_time_cap_reached_count"), 0);
  EXPECT_EQ(InfoField(c.get(), "stats", "evicted_keys"), 0);
  EXPECT_EQ(Command(c.get(), {"DBSIZE"})->integer, 0);
  EXPECT_EQ(ExpiredKeys(c.get()), kKeys);  // DBSIZE found nothing left to reclaim
}

// (b) Invisibility: with active expiry at one cycle a second, a key is gone for every read right after
// its deadline. Each check has its own key or database, so one read reclaiming lazily cannot make the
// next one pass.
TEST(ActiveExpiry, ExpiredKeyIsInvisibleEvenWhenActiveExpiryIsSlow) {
  ServerProcess server({"--enable-debug-command", "yes"});
  auto c = server.Connect();
  ASSERT_STREQ(Command(c.get(), {"DEBUG", "SET-ACTIVE-EXPIRE", "0"})->str, "OK");
  // Let a cycle that may have been running finish.
  std::this_thread::sleep_for(milliseconds(50));
  const int64_t cycles_before = ExpireCycles(c.get());

  const std::vector<std::string> per_key = {"get", "exists", "type", "ttl", "pttl"};
  for (const auto& k : per_key) ASSERT_STREQ(Command(c.get(), {"SET", k, "v", "PX", "100"})->str, "OK");
  // Databases 1-4 hold an expiring key beside a live one; database 5 only an expiring key.
  for (int db = 1; db <= 5; ++db) {
    ASSERT_STREQ(Command(c.get(), {"SELECT", std::to_string(db)})->str, "OK");
    ASSERT_STREQ(Command(c.get(), {"SET", "gone", "v", "PX", "100"})->str, "OK");
    if (db != 5) {
      ASSERT_STREQ(Command(c.get(), {"SET", "alive", "v"})->str, "OK");
    }
  }
  ASSERT_STREQ(Command(c.get(), {"SELECT", "0"})->str, "OK");
  EXPECT_STREQ(Command(c.get(), {"GET", "get"})->str, "v");  // not yet (nor reclaimed by this read)
  std::this_thread::sleep_for(milliseconds(130));

  EXPECT_EQ(Command(c.get(), {"GET", "get"})->type, REDIS_REPLY_NIL);
  EXPECT_EQ(Command(c.get(), {"EXISTS", "exists"})->integer, 0);
  EXPECT_STREQ(Command(c.get(), {"TYPE", "type"})->str, "none");
  EXPECT_EQ(Command(c.get(), {"TTL", "ttl"})->integer, -2);
  EXPECT_EQ(Command(c.get(), {"PTTL", "pttl"})->integer, -2);

  ASSERT_STREQ(Command(c.get(), {"SELECT", "1"})->str, "OK");
  std::set<std::string> scanned;
  std::string cursor = "0";
  do {
    Reply r = Command(c.get(), {"SCAN", cursor, "COUNT", "1000"});
    ASSERT_EQ(r->type, REDIS_REPLY_ARRAY);
    ASSERT_EQ(r->elements, 2u);
    cursor = r->element[0]->str;
    for (size_t i = 0; i < r->element[1]->elements; ++i) scanned.insert(r->element[1]->element[i]->str);
  } while (cursor != "0");
  EXPECT_EQ(scanned, std::set<std::string>{"alive"});

  ASSERT_STREQ(Command(c.get(), {"SELECT", "2"})->str, "OK");
  Reply keys = Command(c.get(), {"KEYS", "*"});
  ASSERT_EQ(keys->type, REDIS_REPLY_ARRAY);
  ASSERT_EQ(keys->elements, 1u);
  EXPECT_STREQ(keys->element[0]->str, "alive");

  ASSERT_STREQ(Command(c.get(), {"SELECT", "3"})->str, "OK");
  for (int i = 0; i < 20; ++i) EXPECT_STREQ(Command(c.get(), {"RANDOMKEY"})->str, "alive");

  ASSERT_STREQ(Command(c.get(), {"SELECT", "4"})->str, "OK");
  EXPECT_EQ(Command(c.get(), {"DBSIZE"})->integer, 1);

  ASSERT_STREQ(Command(c.get(), {"SELECT", "5"})->str, "OK");
  EXPECT_EQ(Command(c.get(), {"RANDOMKEY"})->type, REDIS_REPLY_NIL);

  // All of the above ran between two cycles of the engine (else the test proved less than it claims).
  EXPECT_LE(ExpireCycles(c.get()) - cycles_before, 1);
}

// (c) Mass expiry: 200k keys sharing one deadline are reclaimed in bounded batches; another client's
// GETs never wait long meanwhile, and every key ends up reclaimed.
TEST(ActiveExpiry, MassExpiryDoesNotStallClients) {
  ServerProcess server;
  auto loader = server.Connect();
  auto reader = server.Connect();
  constexpr int kKeys = 200'000;
  ASSERT_STREQ(Command(loader.get(), {"SET", "probe", "p"})->str, "OK");
  const int64_t deadline_ms = WallMs() + 1500;
  const auto deadline = Clock::now() + milliseconds(1500);
  const std::string pxat = std::to_string(deadline_ms);
  std::vector<std::vector<std::string>> commands;
  commands.reserve(kKeys);
  for (int i = 0; i < kKeys; ++i) commands.push_back({"SET", Key("mass:", i), "v", "PXAT", pxat});
  Pipeline(loader.get(), commands);
  RecordProperty("load_ms_left_before_deadline",
                 std::to_string(std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count()));
  ASSERT_LT(Clock::now(), deadline - milliseconds(100)) << "loading took too long for the test to mean much";

  // GETs from just before the deadline until well after it.
  std::this_thread::sleep_until(deadline - milliseconds(100));
  const auto stop = deadline + milliseconds(1900);
  int64_t worst_us = 0;
  int gets = 0;
  for (int i = 0; Clock::now() < stop; ++i) {
    const bool probe = i % 2 == 0;
    const auto t0 = Clock::now();
    Reply r = Command(reader.get(), {"GET", probe ? std::string("probe") : Key("mass:", (i * 7919) % kKeys)});
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
    worst_us = std::max<int64_t>(worst_us, us);
    ++gets;
    ASSERT_NE(r, nullptr);
    if (probe) {
      EXPECT_STREQ(r->str, "p");
    }
    if (!probe && t0 > deadline + milliseconds(5)) {
      EXPECT_EQ(r->type, REDIS_REPLY_NIL);
    }
  }
  RecordProperty("worst_get_us", std::to_string(worst_us));
  RecordProperty("gets", std::to_string(gets));
  EXPECT_LT(worst_us, 500'000) << "over " << gets << " GETs";
  EXPECT_GT(gets, 100);

  EXPECT_EQ(PollUntil([&] { return ExpiredKeys(loader.get()); }, kKeys, 5.0), kKeys);
  RecordProperty("all_reclaimed_ms_after_deadline",
                 std::to_string(std::chrono::duration_cast<milliseconds>(Clock::now() - deadline).count()));
  RecordProperty("time_cap_reached",
                 std::to_string(InfoField(loader.get(), "stats", "expired_time_cap_reached_count")));
  EXPECT_EQ(Command(loader.get(), {"DBSIZE"})->integer, 1);
  EXPECT_EQ(ExpiredKeys(loader.get()), kKeys);
}

// (d) hz and active-expire-effort change live: the cycle rate follows hz.
TEST(ActiveExpiry, HzAndEffortChangeLive) {
  ServerProcess server;
  auto c = server.Connect();
  EXPECT_STREQ(Command(c.get(), {"CONFIG", "GET", "hz"})->element[1]->str, "10");
  EXPECT_STREQ(Command(c.get(), {"CONFIG", "GET", "active-expire-effort"})->element[1]->str, "1");
  EXPECT_EQ(Command(c.get(), {"CONFIG", "SET", "active-expire-effort", "11"})->type, REDIS_REPLY_ERROR);
  EXPECT_EQ(Command(c.get(), {"CONFIG", "SET", "active-expire-effort", "0"})->type, REDIS_REPLY_ERROR);

  // hz 1: a period of one second cut into 20 ms slices, one cycle each (docs/expiry.md): about 25
  // cycles in half a second, never the hundreds of hz 100 below.
  ASSERT_STREQ(Command(c.get(), {"CONFIG", "SET", "hz", "1"})->str, "OK");
  std::this_thread::sleep_for(milliseconds(150));
  const int64_t slow_start = ExpireCycles(c.get());
  std::this_thread::sleep_for(milliseconds(500));
  EXPECT_LE(ExpireCycles(c.get()) - slow_start, 40);
  EXPECT_GE(ExpireCycles(c.get()) - slow_start, 5);

  // hz 100 and full effort: many cycles a second once the current one-second wait ends.
  ASSERT_STREQ(Command(c.get(), {"CONFIG", "SET", "hz", "100"})->str, "OK");
  ASSERT_STREQ(Command(c.get(), {"CONFIG", "SET", "active-expire-effort", "10"})->str, "OK");
  EXPECT_STREQ(Command(c.get(), {"CONFIG", "GET", "hz"})->element[1]->str, "100");
  EXPECT_STREQ(Command(c.get(), {"CONFIG", "GET", "active-expire-effort"})->element[1]->str, "10");
  const int64_t fast_start = ExpireCycles(c.get());
  const auto t0 = Clock::now();
  int64_t now_cycles = fast_start;
  while (now_cycles - fast_start < 20 && Clock::now() < t0 + milliseconds(3000)) {
    std::this_thread::sleep_for(milliseconds(20));
    now_cycles = ExpireCycles(c.get());
  }
  EXPECT_GE(now_cycles - fast_start, 20);
  // 20 cycles at hz 100 take 0.2 s.
  EXPECT_LT(Clock::now() - t0, milliseconds(1800));

  // Keys still expire through the engine at the new settings.
  ASSERT_STREQ(Command(c.get(), {"SET", "k", "v", "PX", "20"})->str, "OK");
  EXPECT_EQ(PollUntil([&] { return ExpiredKeys(c.get()); }, 1, 2.0), 1);
  const int64_t later = ExpireCycles(c.get());
  std::this_thread::sleep_for(milliseconds(100));
  EXPECT_GT(ExpireCycles(c.get()), later);
}

}  // namespace
}  // namespace latchkey::testing
