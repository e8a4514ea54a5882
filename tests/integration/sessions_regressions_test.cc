// Regression tests for SESSION.* bugs found while writing sessions_test.cc: creation-order ties within
// one millisecond (eviction and LIST), and session writes waiting for the committer's timer under
// fsync always.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "server_process.h"

namespace latchkey::testing {
namespace {

std::string Str(const redisReply* r) {
  return r == nullptr || r->str == nullptr ? std::string() : std::string(r->str, r->len);
}

std::string Numbered(const char* prefix, int64_t n) {
  return std::string(prefix).append(std::to_string(n));
}

// Creates `n` sessions for `sub` in one pipelined burst (so several share a creation millisecond) and
// returns their handles in creation order.
std::vector<std::string> CreateBurst(redisContext* c, const std::string& sub, int n) {
  for (int i = 0; i < n; ++i) AppendCommand(c, {"SESSION.CREATE", sub, "IDLE", "600", "ABS", "3600"});
  std::vector<std::string> handles;
  for (int i = 0; i < n; ++i) {
    auto r = NextReply(c);
    EXPECT_EQ(r->elements, 8u);
    handles.push_back(Str(r->element[3]));
  }
  return handles;
}

std::vector<std::string> ListHandles(redisContext* c, const std::string& sub) {
  std::vector<std::string> handles;
  auto r = Command(c, {"SESSION.LIST", sub});
  for (size_t i = 0; i < r->elements; ++i) handles.push_back(Str(r->element[i]->element[3]));
  return handles;
}

// SPEC §3: over MAXPERSUB, EVICT OLDEST evicts the oldest session. Sessions created within the same
// millisecond are ordered by their random handle (SessionStore::Create sorts (created_ms, raw handle)),
// so an older session can survive while a newer one is evicted.
TEST(SessionsRegression, EvictOldestEvictsTheOldestEvenWithinOneMillisecond) {
  ServerProcess server;
  auto c = server.Connect();
  int wrong = 0;
  std::string example;
  for (int trial = 0; trial < 20; ++trial) {
    const std::string sub = Numbered("burst", trial);
    const auto handles = CreateBurst(c.get(), sub, 2);
    Command(c.get(),
            {"SESSION.CREATE", sub, "IDLE", "600", "ABS", "3600", "MAXPERSUB", "2", "EVICT", "OLDEST"});
    const auto left = ListHandles(c.get(), sub);
    if (std::find(left.begin(), left.end(), handles[0]) != left.end()) {
      ++wrong;
      if (example.empty())
        example = "created " + handles[0] + " then " + handles[1] + "; evicted " + handles[1];
    }
  }
  EXPECT_EQ(wrong, 0) << "the older session survived an EVICT OLDEST in " << wrong << " of 20 trials, e.g. "
                      << example;
}

// SPEC §3 / session_store.h: LIST returns the subject's sessions oldest first. std::sort on created_ms
// alone reorders sessions of the same millisecond (40 in a burst: the order differs every time).
TEST(SessionsRegression, ListIsOldestFirstEvenWithinOneMillisecond) {
  ServerProcess server;
  auto c = server.Connect();
  int wrong = 0;
  for (int trial = 0; trial < 5; ++trial) {
    const std::string sub = Numbered("list", trial);
    const auto handles = CreateBurst(c.get(), sub, 40);
    if (ListHandles(c.get(), sub) != handles) ++wrong;
  }
  EXPECT_EQ(wrong, 0) << "LIST was not in creation order in " << wrong << " of 5 trials";
}

// With `fsync always`, every SESSION.* mutation answers ~100 ms late (SET: ~1 ms): SessionStore
// records its writes but never calls WriteLog::Notify(), so the committer only picks them up when its
// 100 ms wait in CommitPipeline::Run times out.
TEST(SessionsRegression, SessionWritesUnderFsyncAlwaysAreNotHeldBackByTheCommitterTimer) {
  ServerProcess server({"--fsync", "always"});
  auto c = server.Connect();
  auto median_ms = [&](const std::vector<std::string>& args) {
    std::vector<double> ms;
    for (int i = 0; i < 7; ++i) {
      const auto start = std::chrono::steady_clock::now();
      Command(c.get(), args);
      ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
  };
  const double set_ms = median_ms({"SET", "k", "v"});
  const double create_ms = median_ms({"SESSION.CREATE", "u", "IDLE", "600", "ABS", "3600"});
  // Both wait for the same WAL sync; the bug added the committer's 100 ms timer on top.
  EXPECT_LT(create_ms, set_ms + 50) << "median SESSION.CREATE " << create_ms << " ms vs SET " << set_ms
                                    << " ms";
}

// REVOKEALL EXCEPT with something that is not a handle used to revoke everything (nothing matched)
// while its event claimed an exception; now it is refused and nothing is revoked.
TEST(SessionsRegression, RevokeAllRefusesAnExceptThatIsNotAHandle) {
  ServerProcess server;
  auto c = server.Connect();
  CreateBurst(c.get(), "erin", 2);
  auto r = Command(c.get(), {"SESSION.REVOKEALL", "erin", "EXCEPT", "not-a-handle!"});
  ASSERT_EQ(r->type, REDIS_REPLY_ERROR);
  EXPECT_EQ(Str(r.get()), "ERR EXCEPT expects a session handle");
  EXPECT_EQ(ListHandles(c.get(), "erin").size(), 2u);
}

}  // namespace
}  // namespace latchkey::testing
