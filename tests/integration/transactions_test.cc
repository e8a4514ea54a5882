// MULTI/EXEC as clients see it: no reader ever sees half a transaction, even when it spans many shards;
// WATCH sees other clients' writes and expiry; a transaction is on disk all or nothing across kill -9;
// and a very long transaction runs and answers in full.
#include <signal.h>
#include <sys/time.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "server_process.h"

namespace latchkey::testing {
namespace {

// prefix + decimal n. (GCC 12 warns falsely on `"k" + std::to_string(n)` under -O2: -Wrestrict.)
std::string Numbered(const char* prefix, int64_t n) {
  return std::string(prefix).append(std::to_string(n));
}

std::string Str(const redisReply* r) {
  return r == nullptr || r->str == nullptr ? std::string() : std::string(r->str, r->len);
}

class DataDir {
 public:
  DataDir() {
    char tmpl[] = "/tmp/latchkey-txn-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~DataDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Writers increment every key of `keys` in one transaction, over and over; readers MGET them all and
// must always see one value. Runs for `seconds`; then the keys hold exactly the number of EXECs.
void CheckExecAtomicUnderConcurrency(const std::vector<std::string>& keys, double seconds) {
  ServerProcess server({"--io-threads", "2"});
  constexpr int kWriters = 3, kReaders = 2;
  std::atomic<bool> stop{false};
  std::atomic<int64_t> execs{0}, reads{0}, torn_execs{0}, torn_reads{0}, backwards{0};
  std::mutex mu;
  std::string first_torn;

  std::vector<std::vector<std::string>> incrs;
  for (const auto& k : keys) incrs.push_back({"INCR", k});
  std::vector<std::string> mget = {"MGET"};
  mget.insert(mget.end(), keys.begin(), keys.end());

  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&] {
      auto c = server.Connect();
      while (!stop) {
        auto r = RunTransaction(c.get(), incrs);
        if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements != keys.size()) {
          ++torn_execs;
          return;
        }
        // The keys are always equal, so one EXEC's INCRs all return the same number.
        for (size_t i = 1; i < r->elements; ++i) {
          if (r->element[i]->integer != r->element[0]->integer) ++torn_execs;
        }
        ++execs;
      }
    });
  }
  for (int rd = 0; rd < kReaders; ++rd) {
    threads.emplace_back([&] {
      auto c = server.Connect();
      int64_t last = 0;
      while (!stop) {
        auto r = Command(c.get(), mget);
        if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements != keys.size()) {
          ++torn_reads;
          return;
        }
        const std::string first = Str(r->element[0]);
        bool equal = true;
        for (size_t i = 1; i < r->elements; ++i) equal &= Str(r->element[i]) == first;
        if (!equal) {
          ++torn_reads;
          std::lock_guard lock(mu);
          if (first_torn.empty()) {
            for (size_t i = 0; i < r->elements; ++i) {
              first_torn +=
                  keys[i] + "=" + (r->element[i]->type == REDIS_REPLY_NIL ? "nil" : Str(r->element[i])) + " ";
            }
          }
        }
        const int64_t now = first.empty() ? 0 : std::stoll(first);
        if (now < last) ++backwards;
        last = now;
        ++reads;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& th : threads) th.join();

  EXPECT_EQ(torn_execs.load(), 0) << "an EXEC reply held different counts for keys that move together";
  EXPECT_EQ(torn_reads.load(), 0) << "MGET saw half a transaction, first: " << first_torn;
  EXPECT_EQ(backwards.load(), 0) << "a reader saw the counters go back";
  EXPECT_GT(execs.load(), 100);
  EXPECT_GT(reads.load(), 100);
  auto c = server.Connect();
  auto final_values = Command(c.get(), mget);
  ASSERT_EQ(final_values->elements, keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(Str(final_values->element[i]), std::to_string(execs.load())) << keys[i];
  }
}

TEST(Transactions, ReadersNeverSeeHalfAnExecOnTwoKeys) {
  CheckExecAtomicUnderConcurrency({"a", "b"}, 1.0);
}

TEST(Transactions, ReadersNeverSeeHalfAnExecAcrossShards) {
  std::vector<std::string> keys;
  for (int i = 0; i < 8; ++i) keys.push_back(Numbered("k:", i));
  CheckExecAtomicUnderConcurrency(keys, 1.0);
}

TEST(Transactions, WatchSeesOtherClientsWrites) {
  ServerProcess server;
  auto a = server.Connect();
  auto b = server.Connect();

  // B writes the watched key between WATCH and MULTI: EXEC answers a null array and runs nothing.
  Command(b.get(), {"SET", "k", "0"});
  EXPECT_STREQ(Command(a.get(), {"WATCH", "k"})->str, "OK");
  EXPECT_STREQ(Command(b.get(), {"SET", "k", "from-b"})->str, "OK");
  auto aborted = RunTransaction(a.get(), {{"SET", "k", "from-a"}, {"INCR", "side"}});
  ASSERT_NE(aborted, nullptr);
  EXPECT_EQ(aborted->type, REDIS_REPLY_NIL);
  EXPECT_EQ(Str(Command(a.get(), {"GET", "k"}).get()), "from-b");
  EXPECT_EQ(Command(a.get(), {"EXISTS", "side"})->integer, 0);

  // EXEC ended the WATCH: the same transaction now runs.
  auto ran = RunTransaction(a.get(), {{"SET", "k", "from-a"}, {"INCR", "side"}});
  ASSERT_EQ(ran->type, REDIS_REPLY_ARRAY);
  ASSERT_EQ(ran->elements, 2u);
  EXPECT_STREQ(ran->element[0]->str, "OK");
  EXPECT_EQ(ran->element[1]->integer, 1);

  // Watched and untouched (B writes another key): EXEC runs.
  EXPECT_STREQ(Command(a.get(), {"WATCH", "k"})->str, "OK");
  Command(b.get(), {"SET", "unrelated", "1"});
  ran = RunTransaction(a.get(), {{"GET", "k"}});
  ASSERT_EQ(ran->type, REDIS_REPLY_ARRAY);
  EXPECT_EQ(Str(ran->element[0]), "from-a");

  // B writes while A's commands are already queued.
  EXPECT_STREQ(Command(a.get(), {"WATCH", "k"})->str, "OK");
  EXPECT_STREQ(Command(a.get(), {"MULTI"})->str, "OK");
  EXPECT_STREQ(Command(a.get(), {"SET", "k", "late-a"})->str, "QUEUED");
  Command(b.get(), {"APPEND", "k", "+b"});
  EXPECT_EQ(Command(a.get(), {"EXEC"})->type, REDIS_REPLY_NIL);
  EXPECT_EQ(Str(Command(a.get(), {"GET", "k"}).get()), "from-a+b");

  // As in Redis: rewriting the same value counts as a change; so does creating a watched missing key
  // and flushing the database; deleting a key that does not exist does not.
  EXPECT_STREQ(Command(a.get(), {"WATCH", "k"})->str, "OK");
  Command(b.get(), {"SET", "k", "from-a+b"});
  EXPECT_EQ(RunTransaction(a.get(), {{"GET", "k"}})->type, REDIS_REPLY_NIL);
  EXPECT_STREQ(Command(a.get(), {"WATCH", "missing"})->str, "OK");
  Command(b.get(), {"INCR", "missing"});
  EXPECT_EQ(RunTransaction(a.get(), {{"GET", "missing"}})->type, REDIS_REPLY_NIL);
  EXPECT_STREQ(Command(a.get(), {"WATCH", "never"})->str, "OK");
  EXPECT_EQ(Command(b.get(), {"DEL", "never"})->integer, 0);
  EXPECT_EQ(RunTransaction(a.get(), {{"GET", "never"}})->type, REDIS_REPLY_ARRAY);
  EXPECT_STREQ(Command(a.get(), {"WATCH", "k"})->str, "OK");
  Command(b.get(), {"FLUSHDB"});
  EXPECT_EQ(RunTransaction(a.get(), {{"GET", "k"}})->type, REDIS_REPLY_NIL);

  // UNWATCH forgets: B's write no longer matters.
  Command(b.get(), {"SET", "k", "1"});
  EXPECT_STREQ(Command(a.get(), {"WATCH", "k"})->str, "OK");
  EXPECT_STREQ(Command(a.get(), {"UNWATCH"})->str, "OK");
  Command(b.get(), {"SET", "k", "2"});
  EXPECT_EQ(RunTransaction(a.get(), {{"GET", "k"}})->type, REDIS_REPLY_ARRAY);
}

TEST(Transactions, WatchedKeyThatExpiresAbortsExec) {
  ServerProcess server;
  auto c = server.Connect();
  EXPECT_STREQ(Command(c.get(), {"SET", "k", "v", "PX", "100"})->str, "OK");
  EXPECT_STREQ(Command(c.get(), {"WATCH", "k"})->str, "OK");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto r = RunTransaction(c.get(), {{"GET", "k"}, {"SET", "after", "1"}});
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->type, REDIS_REPLY_NIL) << "EXEC ran although its watched key expired after WATCH";
  EXPECT_EQ(Command(c.get(), {"EXISTS", "after"})->integer, 0);

  // A key already expired when WATCHed did not change afterwards (Redis runs this one).
  EXPECT_STREQ(Command(c.get(), {"SET", "gone", "v", "PX", "20"})->str, "OK");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_STREQ(Command(c.get(), {"WATCH", "gone"})->str, "OK");
  r = RunTransaction(c.get(), {{"GET", "gone"}});
  ASSERT_EQ(r->type, REDIS_REPLY_ARRAY);
  ASSERT_EQ(r->elements, 1u);
  EXPECT_EQ(r->element[0]->type, REDIS_REPLY_NIL);
}

// kill -9 at a random moment while a client runs MULTI; SET a i; SET b i; INCR c; EXEC in a loop under
// fsync always: after the restart a, b and c agree, and no acknowledged transaction is missing.
TEST(Transactions, KillNineKeepsTransactionsWholeAndAcknowledgedOnes) {
  DataDir dir;
  std::mt19937 rng(std::random_device{}());
  int64_t next = 1;  // i of the next transaction; c counts transactions, so c == i after each
  for (int round = 0; round < 3; ++round) {
    auto server = std::make_unique<ServerProcess>(dir.path(), std::vector<std::string>{"--fsync", "always"});
    const int kill_after_ms = std::uniform_int_distribution<int>(100, 350)(rng);
    std::thread killer([&server, kill_after_ms] {
      std::this_thread::sleep_for(std::chrono::milliseconds(kill_after_ms));
      server->Kill9();
    });
    int64_t last_acked = next - 1, last_sent = next - 1;
    {
      RedisConn c(redisConnect("127.0.0.1", server->port()));
      ASSERT_TRUE(c != nullptr && c->err == 0);
      timeval tv{5, 0};
      redisSetTimeout(c.get(), tv);
      for (int64_t i = next;; ++i) {
        const std::string v = std::to_string(i);
        last_sent = i;
        auto r = RunTransaction(c.get(), {{"SET", "a", v}, {"SET", "b", v}, {"INCR", "c"}});
        if (r == nullptr) break;  // the server is gone
        ASSERT_EQ(r->type, REDIS_REPLY_ARRAY) << Str(r.get());
        ASSERT_EQ(r->elements, 3u);
        ASSERT_EQ(r->element[2]->integer, i) << "c does not count the transactions";
        last_acked = i;
      }
    }
    killer.join();
    server.reset();
    EXPECT_GT(last_acked, next - 1) << "round " << round << ": nothing acknowledged in " << kill_after_ms
                                    << " ms";

    ServerProcess restarted(dir.path(), {"--fsync", "always"});
    auto c = restarted.Connect();
    auto r = Command(c.get(), {"MGET", "a", "b", "c"});
    ASSERT_EQ(r->elements, 3u);
    const std::string a = Str(r->element[0]), b = Str(r->element[1]), cv = Str(r->element[2]);
    SCOPED_TRACE("round " + std::to_string(round) + ", killed after " + std::to_string(kill_after_ms) +
                 " ms; last acknowledged " + std::to_string(last_acked) + ", last sent " +
                 std::to_string(last_sent) + "; a=" + a + " b=" + b + " c=" + cv);
    ASSERT_FALSE(a.empty());
    EXPECT_EQ(a, b);
    EXPECT_EQ(a, cv);
    const int64_t recovered = std::stoll(a);
    EXPECT_GE(recovered, last_acked) << "an acknowledged transaction was lost";
    EXPECT_LE(recovered, last_sent);
    next = recovered + 1;
    restarted.Terminate(SIGTERM);
  }
}

TEST(Transactions, FlushdbInsideExecReplaysInOrderAfterKillNine) {
  DataDir dir;
  {
    ServerProcess server(dir.path(), {"--fsync", "always"});
    auto c = server.Connect();
    Command(c.get(), {"SET", "x", "0"});
    Command(c.get(), {"SET", "z", "old"});
    Command(c.get(), {"SELECT", "1"});
    Command(c.get(), {"SET", "other-db", "kept"});
    Command(c.get(), {"SELECT", "0"});
    auto r = RunTransaction(c.get(), {{"SET", "x", "1"}, {"FLUSHDB"}, {"SET", "y", "2"}});
    ASSERT_EQ(r->type, REDIS_REPLY_ARRAY);
    ASSERT_EQ(r->elements, 3u);
    for (size_t i = 0; i < 3; ++i) EXPECT_STREQ(r->element[i]->str, "OK");
    EXPECT_EQ(Command(c.get(), {"EXISTS", "x"})->integer, 0);
    EXPECT_EQ(Str(Command(c.get(), {"GET", "y"}).get()), "2");
    server.Kill9();
  }
  ServerProcess server(dir.path(), {});
  auto c = server.Connect();
  EXPECT_EQ(Command(c.get(), {"EXISTS", "x"})->integer, 0)
      << "x came back: " << Str(Command(c.get(), {"GET", "x"}).get());
  EXPECT_EQ(Command(c.get(), {"EXISTS", "z"})->integer, 0);
  EXPECT_EQ(Str(Command(c.get(), {"GET", "y"}).get()), "2");
  EXPECT_EQ(Command(c.get(), {"DBSIZE"})->integer, 1);
  Command(c.get(), {"SELECT", "1"});
  EXPECT_EQ(Str(Command(c.get(), {"GET", "other-db"}).get()), "kept");
}

TEST(Transactions, TenThousandQueuedCommands) {
  ServerProcess server;
  auto c = server.Connect();
  constexpr int kCommands = 10000;
  std::vector<std::vector<std::string>> commands;
  for (int i = 0; i < kCommands; ++i) {
    if (i % 2 == 0) {
      commands.push_back({"INCR", "n"});
    } else {
      commands.push_back({"SET", Numbered("k", i), Numbered("v", i)});
    }
  }
  auto r = RunTransaction(c.get(), commands);
  ASSERT_NE(r, nullptr);
  ASSERT_EQ(r->type, REDIS_REPLY_ARRAY);
  ASSERT_EQ(r->elements, static_cast<size_t>(kCommands));
  int wrong = 0;
  for (int i = 0; i < kCommands; ++i) {
    const redisReply* e = r->element[i];
    const bool ok = i % 2 == 0 ? e->type == REDIS_REPLY_INTEGER && e->integer == i / 2 + 1
                               : e->type == REDIS_REPLY_STATUS && Str(e) == "OK";
    if (!ok && wrong++ < 5) ADD_FAILURE() << "element " << i << ": type " << e->type << " " << Str(e);
  }
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(Command(c.get(), {"DBSIZE"})->integer, kCommands / 2 + 1);
  EXPECT_EQ(Str(Command(c.get(), {"GET", "n"}).get()), std::to_string(kCommands / 2));
  EXPECT_EQ(Str(Command(c.get(), {"GET", "k9999"}).get()), "v9999");
  EXPECT_STREQ(Command(c.get(), {"PING"})->str, "PONG");
}

}  // namespace
}  // namespace latchkey::testing
