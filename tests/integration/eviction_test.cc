// maxmemory-policy as a client sees it: over `maxmemory` (set a few MB above the memory the server
// uses before the test writes anything), allkeys-* evict generic keys so every write goes through,
// noeviction and volatile-* without volatile keys refuse writes with Redis's OOM error, volatile-ttl
// leaves persistent keys alone, domain state (sessions, denylist, watermarks, refresh-token families)
// is never evicted, and evicted keys stay gone after a restart.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "rtoken_test_helpers.h"
#include "server_process.h"

namespace latchkey::testing {
namespace {

constexpr const char* kOomError = "OOM command not allowed when used memory > 'maxmemory'.";
constexpr int64_t kHeadroom = 8 << 20;  // maxmemory = the server's own use + this
constexpr size_t kFloodKeys = 60'000;
constexpr size_t kValueBytes = 1024;

const std::vector<std::string> kRtokenKeys = {
    "--rtoken-keys", "7:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"};

// Sets maxmemory to what the server counts now plus kHeadroom, and the policy; returns the limit.
int64_t LimitMemory(redisContext* c, const std::string& policy) {
  const int64_t used = InfoField(c, "memory", "used_memory_for_maxmemory");
  EXPECT_GT(used, 0) << "INFO memory has no used_memory_for_maxmemory";
  const int64_t limit = used + kHeadroom;
  EXPECT_EQ(Str(Command(c, {"CONFIG", "SET", "maxmemory-policy", policy}).get()), "OK");
  EXPECT_EQ(Str(Command(c, {"CONFIG", "SET", "maxmemory", std::to_string(limit)}).get()), "OK");
  EXPECT_EQ(InfoField(c, "memory", "maxmemory"), limit);
  return limit;
}

struct FloodResult {
  size_t ok = 0;
  size_t errors = 0;
  std::vector<std::string> error_texts;  // the distinct error texts seen
  int64_t first_error_at = -1;           // index of the first refused SET
};

// SET prefix<i> <kValueBytes bytes> <extra...> for i in [0, n), pipelined in chunks.
FloodResult Flood(redisContext* c, const std::string& prefix, size_t n,
                  const std::vector<std::string>& extra = {}) {
  constexpr size_t kChunk = 500;
  const std::string value(kValueBytes, 'v');
  FloodResult result;
  for (size_t start = 0; start < n; start += kChunk) {
    const size_t end = std::min(n, start + kChunk);
    for (size_t i = start; i < end; ++i) {
      std::vector<std::string> args = {"SET", Numbered(prefix.c_str(), static_cast<int64_t>(i)), value};
      args.insert(args.end(), extra.begin(), extra.end());
      AppendCommand(c, args);
    }
    for (size_t i = start; i < end; ++i) {
      Reply r = NextReply(c);
      if (r == nullptr) {
        ADD_FAILURE() << "transport error at SET " << i;
        return result;
      }
      if (r->type == REDIS_REPLY_STATUS && Str(r.get()) == "OK") {
        ++result.ok;
        continue;
      }
      ++result.errors;
      if (result.first_error_at < 0) result.first_error_at = static_cast<int64_t>(i);
      const std::string text = Str(r.get());
      if (std::find(result.error_texts.begin(), result.error_texts.end(), text) == result.error_texts.end()) {
        result.error_texts.push_back(text);
      }
    }
  }
  return result;
}

// Which of prefix<0..n-1> exist (pipelined EXISTS).
std::vector<bool> Existing(redisContext* c, const std::string& prefix, size_t n) {
  constexpr size_t kChunk = 1000;
  std::vector<bool> exists(n, false);
  for (size_t start = 0; start < n; start += kChunk) {
    const size_t end = std::min(n, start + kChunk);
    for (size_t i = start; i < end; ++i)
      AppendCommand(c, {"EXISTS", Numbered(prefix.c_str(), static_cast<int64_t>(i))});
    for (size_t i = start; i < end; ++i) {
      Reply r = NextReply(c);
      if (r == nullptr) return exists;
      EXPECT_EQ(r->type, REDIS_REPLY_INTEGER);
      exists[i] = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
    }
  }
  return exists;
}

int64_t DbSize(redisContext* c) {
  return Int(Command(c, {"DBSIZE"}));
}

int64_t EvictedKeys(redisContext* c) {
  return InfoField(c, "stats", "evicted_keys");
}

// Polls `ok` every 20 ms for up to `seconds`; whether it became true.
bool Eventually(const std::function<bool()>& ok, double seconds = 10) {
  const double give_up = Now() + seconds;
  while (!ok()) {
    if (Now() > give_up) return false;
    Sleep(0.02);
  }
  return true;
}

// Waits until the background cycle has brought the counted memory back under the limit.
void ExpectBackUnderLimit(redisContext* c, int64_t limit) {
  int64_t used = -1;
  EXPECT_TRUE(Eventually([&] {
    used = InfoField(c, "memory", "used_memory_for_maxmemory");
    return used >= 0 && used <= limit;
  })) << "used_memory_for_maxmemory "
      << used << " stayed over maxmemory " << limit;
}

// --- allkeys-*: every write succeeds, older keys make room.

class AllKeysEvictionTest : public ::testing::TestWithParam<const char*> {};

TEST_P(AllKeysEvictionTest, FloodSucceedsAndEvicts) {
  ServerProcess server;
  auto c = server.Connect();
  EXPECT_EQ(EvictedKeys(c.get()), 0);
  const int64_t limit = LimitMemory(c.get(), GetParam());
  EXPECT_EQ(Str(Command(c.get(), {"CONFIG", "GET", "maxmemory-policy"})->element[1]), GetParam());

  const FloodResult flood = Flood(c.get(), "k", kFloodKeys);
  EXPECT_EQ(flood.ok, kFloodKeys);
  EXPECT_EQ(flood.errors, 0u) << "first at " << flood.first_error_at << ": "
                              << (flood.error_texts.empty() ? "" : flood.error_texts[0]);

  const int64_t evicted = EvictedKeys(c.get());
  EXPECT_GT(evicted, 0);
  const int64_t keys = DbSize(c.get());
  EXPECT_LT(keys, static_cast<int64_t>(kFloodKeys) / 2) << "60 MB of values under an 8 MB headroom";
  EXPECT_GT(keys, 0);
  // Nothing else removes keys here: every missing key was evicted (or still is being: the counter
  // only grows).
  EXPECT_GE(EvictedKeys(c.get()), static_cast<int64_t>(kFloodKeys) - keys);
  ExpectBackUnderLimit(c.get(), limit);
  // The keyspace stays usable: a write and a read of a new key.
  EXPECT_EQ(Str(Command(c.get(), {"SET", "fresh", "1"}).get()), "OK");
  EXPECT_EQ(Str(Command(c.get(), {"GET", "fresh"}).get()), "1");
  EXPECT_EQ(Str(Command(c.get(), {"CONFIG", "SET", "maxmemory", "0"}).get()), "OK");
}

INSTANTIATE_TEST_SUITE_P(Policies, AllKeysEvictionTest, ::testing::Values("allkeys-lru", "allkeys-random"),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// --- Nothing to evict: Redis's OOM error.

// Floods persistent keys until the server refuses; checks every refusal is the OOM error and nothing
// was evicted.
void ExpectOomOnceFull(redisContext* c) {
  const FloodResult flood = Flood(c, "p", kFloodKeys);
  ASSERT_GT(flood.errors, 0u) << "60 MB of values went under an 8 MB headroom";
  EXPECT_GT(flood.ok, 0u) << "refused before the limit was reached";
  ASSERT_EQ(flood.error_texts.size(), 1u) << flood.error_texts[0];
  EXPECT_EQ(flood.error_texts[0], kOomError);
  EXPECT_EQ(EvictedKeys(c), 0);
  EXPECT_EQ(DbSize(c), static_cast<int64_t>(flood.ok)) << "a refused SET stored its key, or a key went";

  // Still full: a single SET is refused with exactly Redis's text, reads and DEL still work.
  EXPECT_TRUE(IsError(Command(c, {"SET", "another", "x"}), kOomError));
  EXPECT_EQ(Int(Command(c, {"EXISTS", "another"})), 0);
  EXPECT_EQ(Str(Command(c, {"GET", "p0"}).get()), std::string(kValueBytes, 'v'));
  EXPECT_EQ(Int(Command(c, {"DEL", "p0"})), 1);
  // Lifting the limit lets writes through again.
  EXPECT_EQ(Str(Command(c, {"CONFIG", "SET", "maxmemory", "0"}).get()), "OK");
  EXPECT_EQ(Str(Command(c, {"SET", "another", "x"}).get()), "OK");
}

TEST(EvictionOomTest, NoEvictionRefusesWritesOverTheLimit) {
  ServerProcess server;
  auto c = server.Connect();
  LimitMemory(c.get(), "noeviction");
  ExpectOomOnceFull(c.get());
}

TEST(EvictionOomTest, VolatileLruWithOnlyPersistentKeysRefusesWrites) {
  ServerProcess server;
  auto c = server.Connect();
  LimitMemory(c.get(), "volatile-lru");
  ExpectOomOnceFull(c.get());
}

// --- volatile-ttl: only keys with a deadline go.

TEST(EvictionVolatileTest, VolatileTtlKeepsEveryPersistentKey) {
  ServerProcess server;
  auto c = server.Connect();
  LimitMemory(c.get(), "volatile-ttl");
  constexpr size_t kPersistent = 1000;  // ~1 MB, well under the headroom
  const FloodResult persistent = Flood(c.get(), "P", kPersistent);
  ASSERT_EQ(persistent.ok, kPersistent);

  const FloodResult flood = Flood(c.get(), "V", kFloodKeys, {"EX", "3600"});
  EXPECT_EQ(flood.ok, kFloodKeys);
  EXPECT_EQ(flood.errors, 0u) << (flood.error_texts.empty() ? "" : flood.error_texts[0]);
  EXPECT_GT(EvictedKeys(c.get()), 0);

  const std::vector<bool> exists = Existing(c.get(), "P", kPersistent);
  EXPECT_EQ(static_cast<size_t>(std::count(exists.begin(), exists.end(), true)), kPersistent)
      << "volatile-ttl evicted persistent keys";
  const int64_t volatile_left = Int(Command(c.get(), {"DBSIZE"})) - static_cast<int64_t>(kPersistent);
  EXPECT_LT(volatile_left, static_cast<int64_t>(kFloodKeys) / 2);
  EXPECT_EQ(Str(Command(c.get(), {"CONFIG", "SET", "maxmemory", "0"}).get()), "OK");
}

// --- Domain state is never evicted.

TEST(EvictionDomainTest, SessionsDenylistWatermarksAndFamiliesSurviveAFlood) {
  ServerProcess server(kRtokenKeys);
  auto c = server.Connect();
  const int64_t now = NowS();
  std::vector<Session> sessions;
  std::vector<IssuedFamily> families;
  for (int i = 0; i < 3; ++i) {
    sessions.push_back(Create(c.get(), Numbered("user-", i), 3600, 7200));
    ASSERT_FALSE(sessions.back().id.empty());
    ASSERT_EQ(DenyAdd(c.get(), kIss, Numbered("jti-", i), now + 3600), 1);
    families.push_back(IssueFamily(c.get(), Numbered("user-", i), "web", 7200, 3600));
    ASSERT_FALSE(families.back().token.empty());
  }
  ASSERT_EQ(Int(Command(c.get(), {"NOTBEFORE.SET", "SUB", "alice", std::to_string(now)})), now);

  LimitMemory(c.get(), "allkeys-lru");
  const FloodResult flood = Flood(c.get(), "k", kFloodKeys);
  EXPECT_EQ(flood.errors, 0u) << (flood.error_texts.empty() ? "" : flood.error_texts[0]);
  EXPECT_GT(EvictedKeys(c.get()), 0);
  EXPECT_LT(DbSize(c.get()), static_cast<int64_t>(kFloodKeys) / 2);

  for (const Session& s : sessions) EXPECT_TRUE(Live(c.get(), s.id)) << s.handle;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(DenyCheck(c.get(), kIss, Numbered("jti-", i)), 1) << i;
  EXPECT_EQ(NotBeforeGet(c.get(), "SUB", "alice"), now);
  for (const IssuedFamily& f : families) {
    auto view = Inspect(c.get(), f.token);
    ASSERT_TRUE(view.has_value()) << f.family;
    EXPECT_EQ(view->str("state"), "live") << f.family;
    EXPECT_EQ(view->str("family"), f.family);
  }
  EXPECT_EQ(Str(Command(c.get(), {"CONFIG", "SET", "maxmemory", "0"}).get()), "OK");
}

// --- Transactions over the limit: the queued writes run inside EXEC's TransactionScope, which holds
// --- the shards of the keys they name; making room there must not lock other shards out of order.

TEST(EvictionTransactionTest, ConcurrentTransactionsOverTheLimitDoNotDeadlock) {
  ServerProcess server;
  auto admin = server.Connect();
  LimitMemory(admin.get(), "allkeys-lru");
  // Fill to the limit first, so every transaction below runs over it.
  const FloodResult fill = Flood(admin.get(), "fill", 20'000);
  ASSERT_EQ(fill.errors, 0u) << (fill.error_texts.empty() ? "" : fill.error_texts[0]);

  constexpr int kClients = 4, kTransactions = 2000, kKeysPerTransaction = 8;
  std::atomic<int> done{0}, failures{0}, errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&, t] {
      RedisConn c = server.Connect();
      const timeval timeout{20, 0};  // a deadlocked server answers nothing: fail instead of hanging
      redisSetTimeout(c.get(), timeout);
      const std::string value(kValueBytes, 't');
      for (int i = 0; i < kTransactions; ++i) {
        AppendCommand(c.get(), {"MULTI"});
        for (int k = 0; k < kKeysPerTransaction; ++k) {
          AppendCommand(
              c.get(),
              {"SET", Numbered(Numbered("t", t).append(":").append(std::to_string(i)).append(":").c_str(), k),
               value});
        }
        AppendCommand(c.get(), {"EXEC"});
        for (int r = 0; r < kKeysPerTransaction + 2; ++r) {
          void* raw = nullptr;
          if (redisGetReply(c.get(), &raw) != REDIS_OK) {
            ++failures;
            return;
          }
          const auto* reply = static_cast<redisReply*>(raw);
          if (r == kKeysPerTransaction + 1) {  // EXEC: every queued SET answered +OK
            if (reply->type != REDIS_REPLY_ARRAY) {
              ++errors;
            } else {
              for (size_t e = 0; e < reply->elements; ++e)
                errors += reply->element[e]->type == REDIS_REPLY_ERROR;
            }
          }
          freeReplyObject(raw);
        }
      }
      ++done;
    });
  }
  // INFO memory re-measures without evicting, so the transactions see the server over the limit and
  // make room themselves (the background cycle would otherwise evict first, after its own measure).
  std::atomic<bool> stop{false};
  std::thread measurer([&] {
    RedisConn c = server.Connect();
    const timeval timeout{20, 0};
    redisSetTimeout(c.get(), timeout);
    while (!stop.load()) {
      void* raw = redisCommand(c.get(), "INFO memory");
      if (raw == nullptr) return;
      freeReplyObject(raw);
    }
  });
  for (auto& th : threads) th.join();
  stop = true;
  measurer.join();
  EXPECT_EQ(failures.load(), 0) << "a client got no reply within 20 s: the server is stuck";
  EXPECT_EQ(done.load(), kClients);
  EXPECT_EQ(errors.load(), 0) << "allkeys-lru refused a write inside EXEC";
  EXPECT_EQ(Str(Command(admin.get(), {"CONFIG", "SET", "maxmemory", "0"}).get()), "OK");
}

// --- Evictions are durable.

TEST(EvictionDurabilityTest, EvictedKeysStayGoneAfterRestart) {
  DataDir dir;
  int64_t limit = 0;
  std::vector<bool> before;
  int64_t size_before = 0;
  {
    ServerProcess server(dir.path(), {});
    auto c = server.Connect();
    limit = LimitMemory(c.get(), "allkeys-lru");
    const FloodResult flood = Flood(c.get(), "k", kFloodKeys);
    EXPECT_EQ(flood.errors, 0u) << (flood.error_texts.empty() ? "" : flood.error_texts[0]);
    ASSERT_GT(EvictedKeys(c.get()), 0);
    before = Existing(c.get(), "k", kFloodKeys);
    size_before = DbSize(c.get());  // after the EXISTS pass: eviction may only have removed more since
    ASSERT_LT(size_before, static_cast<int64_t>(kFloodKeys) / 2);
    ASSERT_GT(std::count(before.begin(), before.end(), false), 0);
    RawClient raw(server.port());
    raw.Send("SHUTDOWN\r\n");
    EXPECT_TRUE(raw.ClosedByPeer(10));
    EXPECT_EQ(WEXITSTATUS(server.WaitExit(10)), 0);
  }
  ServerProcess server(dir.path(),
                       {"--maxmemory", std::to_string(limit), "--maxmemory-policy", "allkeys-lru"});
  auto c = server.Connect();
  EXPECT_EQ(InfoField(c.get(), "memory", "maxmemory"), limit);
  const std::vector<bool> after = Existing(c.get(), "k", kFloodKeys);
  size_t came_back = 0;
  std::string first;
  for (size_t i = 0; i < kFloodKeys; ++i) {
    if (!before[i] && after[i]) {
      if (came_back++ == 0) first = Numbered("k", static_cast<int64_t>(i));
    }
  }
  EXPECT_EQ(came_back, 0u) << "evicted keys restored by the restart, e.g. " << first;
  EXPECT_LE(DbSize(c.get()), size_before);
  EXPECT_GT(std::count(after.begin(), after.end(), true), 0) << "the keys that were kept were lost";
}

}  // namespace
}  // namespace latchkey::testing
