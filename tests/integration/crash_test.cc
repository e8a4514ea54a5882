// Crash consistency: every acknowledged write survives kill -9, and nothing unacknowledged is
// half-applied.
//
// The server runs with `--fsync always`. kThreads client threads (one hiredis connection each, every
// thread owning its own keys, so a key's history is that thread's command order) send pipelined batches
// of kBatch commands -- SET, INCR, DEL, EXPIRE, and MSET of a pair of keys that must always be equal --
// and check every reply against the model. At a random moment 100-700 ms after the writes start the
// test kill -9s the server, restarts it on the same --dir and reads every key back (GET, TTL).
//
// Model, per thread: the commands sent this round and how many were acknowledged (a reply arrived
// before the connection broke). The state read back must equal the state of the round's start after
// exactly the first p commands, for some acked <= p <= sent: acknowledged writes are all there and the
// batch in flight applied as a prefix. The pair is equal (or absent) at all times. The next round
// starts from the state read back.
//
// Rounds (= kills): 5 by default, to keep `make test` fast. LATCHKEY_CRASH_ROUNDS=N overrides it for
// release runs, e.g. LATCHKEY_CRASH_ROUNDS=300 build/tests/integration_tests --gtest_filter='Crash.*'
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "server_process.h"

namespace latchkey::testing {
namespace {

constexpr int kThreads = 4;
constexpr int kBatch = 16;
constexpr int kDefaultRounds = 5;
constexpr int kTtlSeconds = 1000;  // long enough that nothing expires during the test

using Argv = std::vector<std::string>;

struct Entry {
  std::string value;
  bool ttl = false;  // has a deadline (only ever kTtlSeconds away)
  bool operator==(const Entry&) const = default;
};
using State = std::map<std::string, Entry>;  // absent keys are not in the map

// One thread's keys: strings (SET/DEL/EXPIRE), counters (INCR, SET to an integer), and the MSET pair.
struct Keys {
  explicit Keys(int thread) {
    const std::string prefix = "crash:t" + std::to_string(thread) + ":";
    for (int i = 0; i < 4; ++i) strings.push_back(prefix + "s" + std::to_string(i));
    for (int i = 0; i < 2; ++i) counters.push_back(prefix + "n" + std::to_string(i));
    pair_a = prefix + "pa";
    pair_b = prefix + "pb";
  }
  std::vector<std::string> All() const {
    std::vector<std::string> all = strings;
    all.insert(all.end(), counters.begin(), counters.end());
    all.push_back(pair_a);
    all.push_back(pair_b);
    return all;
  }
  std::vector<std::string> strings;
  std::vector<std::string> counters;
  std::string pair_a;
  std::string pair_b;
};

// Applies one command to the model and returns the reply it must get ("+OK", ":3").
std::string Apply(State& state, const Argv& argv) {
  const std::string& name = argv[0];
  if (name == "SET" || name == "MSET") {
    for (size_t i = 1; i + 1 < argv.size(); i += 2) state[argv[i]] = Entry{argv[i + 1], false};
    return "+OK";
  }
  if (name == "INCR") {
    auto it = state.find(argv[1]);
    if (it == state.end()) it = state.emplace(argv[1], Entry{"0", false}).first;
    it->second.value = std::to_string(std::stoll(it->second.value) + 1);
    return ":" + it->second.value;
  }
  if (name == "DEL") {
    int64_t removed = 0;
    for (size_t i = 1; i < argv.size(); ++i) removed += static_cast<int64_t>(state.erase(argv[i]));
    return ":" + std::to_string(removed);
  }
  if (name == "EXPIRE") {
    auto it = state.find(argv[1]);
    if (it == state.end()) return ":0";
    it->second.ttl = true;
    return ":1";
  }
  return "?unknown command " + name;
}

std::string ReplyText(const redisReply* r) {
  switch (r->type) {
    case REDIS_REPLY_STATUS:
      return "+" + std::string(r->str, r->len);
    case REDIS_REPLY_ERROR:
      return "-" + std::string(r->str, r->len);
    case REDIS_REPLY_INTEGER:
      return ":" + std::to_string(r->integer);
    case REDIS_REPLY_STRING:
      return "$" + std::string(r->str, r->len);
    case REDIS_REPLY_NIL:
      return "(nil)";
    default:
      return "?type " + std::to_string(r->type);
  }
}

std::string Join(const Argv& argv) {
  std::string out;
  for (const auto& a : argv) out += (out.empty() ? "" : " ") + a;
  return out;
}

std::string Show(const State& state, const std::string& key) {
  auto it = state.find(key);
  if (it == state.end()) return "(absent)";
  return "'" + it->second.value + "'" + (it->second.ttl ? " +ttl" : "");
}

// One thread's command stream; values are unique across the whole test, so a stale value is detected.
class Generator {
 public:
  Generator(int thread, uint64_t seed) : thread_(thread), keys_(thread), rng_(seed) {}

  const Keys& keys() const { return keys_; }

  Argv Next() {
    const int r = Pick(100);
    ++seq_;
    const std::string value = "t" + std::to_string(thread_) + "-" + std::to_string(seq_);
    if (r < 30) return {"SET", keys_.strings[Pick(keys_.strings.size())], value};
    if (r < 50) return {"INCR", keys_.counters[Pick(keys_.counters.size())]};
    if (r < 55) {
      return {"SET", keys_.counters[Pick(keys_.counters.size())], std::to_string(seq_ * 1000000)};
    }
    if (r < 65) {
      const bool counter = Pick(3) == 0;
      const auto& pool = counter ? keys_.counters : keys_.strings;
      return {"DEL", pool[Pick(pool.size())]};
    }
    if (r < 70) return {"DEL", keys_.pair_a, keys_.pair_b};
    if (r < 85) {
      const std::vector<std::string> all = keys_.All();
      return {"EXPIRE", all[Pick(all.size())], std::to_string(kTtlSeconds)};
    }
    return {"MSET", keys_.pair_a, value, keys_.pair_b, value};
  }

 private:
  size_t Pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }

  int thread_;
  Keys keys_;
  std::mt19937_64 rng_;
  uint64_t seq_ = 0;
};

// One thread's round: filled by the writer thread, read by the test after join.
struct ThreadRound {
  State start;  // the state read back after the previous kill (empty at first)
  State live;   // start + the acknowledged commands
  std::vector<Argv> sent;
  size_t acked = 0;
  std::string error;  // a wrong reply
};

// Sends batches of kBatch pipelined commands and checks each reply until the connection breaks.
void Write(Generator* gen, ThreadRound* run, redisContext* c) {
  while (true) {
    const size_t batch_start = run->sent.size();
    for (int i = 0; i < kBatch; ++i) {
      run->sent.push_back(gen->Next());
      const Argv& argv = run->sent.back();
      std::vector<const char*> ptrs;
      std::vector<size_t> lens;
      for (const auto& a : argv) {
        ptrs.push_back(a.data());
        lens.push_back(a.size());
      }
      if (redisAppendCommandArgv(c, static_cast<int>(argv.size()), ptrs.data(), lens.data()) != REDIS_OK) {
        run->sent.pop_back();
        return;
      }
    }
    for (size_t i = batch_start; i < run->sent.size(); ++i) {
      void* raw = nullptr;
      if (redisGetReply(c, &raw) != REDIS_OK || raw == nullptr) return;  // the server is gone
      Reply reply(static_cast<redisReply*>(raw));
      ++run->acked;
      const std::string expected = Apply(run->live, run->sent[i]);
      const std::string got = ReplyText(reply.get());
      if (got != expected) {
        run->error = "command #" + std::to_string(i) + " '" + Join(run->sent[i]) + "' replied " + got +
                     ", model expected " + expected;
        return;
      }
    }
  }
}

// Reads one thread's keys back; returns false (with `error`) if GET and TTL disagree or a TTL is wrong.
bool ReadState(redisContext* c, const Keys& keys, State* out, std::string* error) {
  out->clear();
  for (const std::string& key : keys.All()) {
    Reply get = Command(c, {"GET", key});
    Reply ttl = Command(c, {"TTL", key});
    if (get == nullptr || ttl == nullptr) {
      *error = "transport error reading " + key;
      return false;
    }
    if (ttl->type != REDIS_REPLY_INTEGER) {
      *error = "TTL " + key + " replied " + ReplyText(ttl.get());
      return false;
    }
    if (get->type == REDIS_REPLY_NIL) {
      if (ttl->integer != -2) {
        *error = "GET " + key + " is nil but TTL is " + std::to_string(ttl->integer);
        return false;
      }
      continue;
    }
    if (get->type != REDIS_REPLY_STRING) {
      *error = "GET " + key + " replied " + ReplyText(get.get());
      return false;
    }
    if (ttl->integer != -1 && (ttl->integer < 1 || ttl->integer > kTtlSeconds)) {
      *error = key + " has TTL " + std::to_string(ttl->integer) + ", outside (0, " +
               std::to_string(kTtlSeconds) + "]";
      return false;
    }
    (*out)[key] = Entry{std::string(get->str, get->len), ttl->integer > 0};
  }
  return true;
}

// The p in [acked, sent] with start + sent[0, p) == observed, or nullopt.
std::optional<size_t> MatchingPrefix(const ThreadRound& run, const State& observed) {
  State model = run.start;
  for (size_t i = 0; i < run.acked; ++i) Apply(model, run.sent[i]);
  for (size_t p = run.acked;; ++p) {
    if (model == observed) return p;
    if (p == run.sent.size()) return std::nullopt;
    Apply(model, run.sent[p]);
  }
}

// Why no prefix matches. Takes the prefix p in [acked, sent] closest to what was read back (fewest keys
// differ) and lists each differing key: observed, the model after p commands, the last command before p
// that wrote the key (acknowledged or in flight), and the model after the acknowledged commands.
std::string Explain(const ThreadRound& run, const Keys& keys, const State& observed) {
  const std::vector<std::string> all = keys.All();
  auto differing = [&](const State& model) {
    std::vector<std::string> out;
    for (const std::string& key : all) {
      if (Show(model, key) != Show(observed, key)) out.push_back(key);
    }
    return out;
  };
  State model = run.start;
  for (size_t i = 0; i < run.acked; ++i) Apply(model, run.sent[i]);
  const State after_acked = model;
  size_t best_p = run.acked;
  State best = model;
  std::vector<std::string> best_diff = differing(model);
  for (size_t p = run.acked; p < run.sent.size(); ++p) {
    Apply(model, run.sent[p]);
    std::vector<std::string> diff = differing(model);
    if (diff.size() < best_diff.size()) {
      best_p = p + 1;
      best = model;
      best_diff = std::move(diff);
    }
  }
  std::ostringstream out;
  out << "acked=" << run.acked << " sent=" << run.sent.size() << "; closest prefix p=" << best_p << ", "
      << best_diff.size() << " key(s) differ:\n";
  for (const std::string& key : best_diff) {
    out << "  " << key << ": observed " << Show(observed, key) << ", model(p) " << Show(best, key)
        << ", model(acked) " << Show(after_acked, key) << ", round start " << Show(run.start, key);
    for (size_t i = best_p; i-- > 0;) {
      const Argv& argv = run.sent[i];
      if (std::find(argv.begin() + 1, argv.end(), key) != argv.end()) {
        out << "; last command on it: #" << i << " " << Join(argv)
            << (i < run.acked ? " (acked)" : " (in flight)");
        break;
      }
    }
    out << "\n";
  }
  for (size_t i = run.acked; i < run.sent.size(); ++i) {
    out << "  in flight #" << i << " " << Join(run.sent[i]) << "\n";
  }
  return out.str();
}

int RoundsFromEnv() {
  const char* text = std::getenv("LATCHKEY_CRASH_ROUNDS");
  if (text == nullptr || *text == '\0') return kDefaultRounds;
  const int rounds = std::atoi(text);
  return rounds > 0 ? rounds : kDefaultRounds;
}

// The checker must be able to fail: a lost acknowledged write, a stale value and a half-applied MSET
// are all rejected, and an applied in-flight prefix is accepted.
void CheckerSelfTest() {
  const Keys keys(0);
  ThreadRound run;
  run.start[keys.strings[0]] = Entry{"old", false};
  run.sent = {{"SET", keys.strings[0], "new"},
              {"EXPIRE", keys.strings[0], "1000"},
              {"MSET", keys.pair_a, "x", keys.pair_b, "x"}};
  run.acked = 1;
  State acked_only = {{keys.strings[0], {"new", false}}};
  State with_ttl = {{keys.strings[0], {"new", true}}};
  State all = {{keys.strings[0], {"new", true}}, {keys.pair_a, {"x", false}}, {keys.pair_b, {"x", false}}};
  State lost = {{keys.strings[0], {"old", false}}};
  State half = {{keys.strings[0], {"new", true}}, {keys.pair_a, {"x", false}}};
  State skipped = {
      {keys.strings[0], {"new", false}}, {keys.pair_a, {"x", false}}, {keys.pair_b, {"x", false}}};
  EXPECT_EQ(MatchingPrefix(run, acked_only), std::optional<size_t>(1));
  EXPECT_EQ(MatchingPrefix(run, with_ttl), std::optional<size_t>(2));
  EXPECT_EQ(MatchingPrefix(run, all), std::optional<size_t>(3));
  EXPECT_EQ(MatchingPrefix(run, lost), std::nullopt);
  EXPECT_EQ(MatchingPrefix(run, half), std::nullopt);
  EXPECT_EQ(MatchingPrefix(run, skipped), std::nullopt);  // not a prefix: EXPIRE lost, MSET applied
}

TEST(Crash, AcknowledgedWritesSurviveKill9) {
  signal(SIGPIPE, SIG_IGN);  // hiredis writes to a socket the kill just closed
  CheckerSelfTest();
  ASSERT_FALSE(::testing::Test::HasFailure()) << "the checker itself is broken";

  const int rounds = RoundsFromEnv();
  const uint64_t seed = std::random_device{}();
  std::mt19937_64 rng(seed);
  char tmpl[] = "/tmp/latchkey-crash-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::vector<std::string> args = {"--fsync", "always"};
  SCOPED_TRACE("seed " + std::to_string(seed) + ", dir " + dir);

  std::vector<std::unique_ptr<Generator>> gens;
  for (int t = 0; t < kThreads; ++t) gens.push_back(std::make_unique<Generator>(t, seed + t + 1));
  std::vector<State> states(kThreads);  // each thread's keys as last read back

  const auto begin = std::chrono::steady_clock::now();
  uint64_t total_acked = 0, total_sent = 0, inflight_applied = 0;
  auto server = std::make_unique<ServerProcess>(dir, args);
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::vector<RedisConn> conns;
    for (int t = 0; t < kThreads; ++t) {
      conns.push_back(server->Connect());
      ASSERT_TRUE(conns.back() != nullptr && conns.back()->err == 0);
      redisSetTimeout(conns.back().get(), timeval{10, 0});
    }
    std::vector<ThreadRound> runs(kThreads);
    std::vector<std::thread> writers;
    for (int t = 0; t < kThreads; ++t) {
      runs[t].start = runs[t].live = states[t];
      writers.emplace_back(Write, gens[t].get(), &runs[t], conns[t].get());
    }
    const int delay_ms = std::uniform_int_distribution<int>(100, 700)(rng);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    const int status = server->Kill9();
    for (auto& w : writers) w.join();
    conns.clear();
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the server was not running when killed (status " << status << ")";

    server = std::make_unique<ServerProcess>(dir, args);
    RedisConn c = server->Connect();
    ASSERT_TRUE(c != nullptr && c->err == 0);
    size_t round_acked = 0;
    size_t keys_present = 0;
    for (int t = 0; t < kThreads; ++t) {
      const ThreadRound& run = runs[t];
      ASSERT_TRUE(run.error.empty()) << "thread " << t << ": " << run.error;
      const Keys& keys = gens[t]->keys();
      State observed;
      std::string error;
      ASSERT_TRUE(ReadState(c.get(), keys, &observed, &error)) << "thread " << t << ": " << error;
      const bool a = observed.count(keys.pair_a) != 0, b = observed.count(keys.pair_b) != 0;
      ASSERT_TRUE(a == b && (!a || observed[keys.pair_a].value == observed[keys.pair_b].value))
          << "thread " << t << ": MSET pair differs: " << Show(observed, keys.pair_a) << " vs "
          << Show(observed, keys.pair_b) << "\n"
          << Explain(run, keys, observed);
      const std::optional<size_t> p = MatchingPrefix(run, observed);
      ASSERT_TRUE(p.has_value()) << "thread " << t << " (delay " << delay_ms
                                 << " ms): the state read back after kill -9 is not the model after any "
                                    "prefix of the commands sent that includes every acknowledged one\n"
                                 << Explain(run, keys, observed);
      if (*p > run.acked) ++inflight_applied;
      round_acked += run.acked;
      total_sent += run.sent.size();
      keys_present += observed.size();
      states[t] = std::move(observed);
    }
    total_acked += round_acked;
    ASSERT_GT(round_acked, 0u) << "no write was acknowledged in " << delay_ms
                               << " ms: the test tested nothing";
    Reply dbsize = Command(c.get(), {"DBSIZE"});
    ASSERT_TRUE(dbsize != nullptr && dbsize->type == REDIS_REPLY_INTEGER);
    EXPECT_EQ(static_cast<size_t>(dbsize->integer), keys_present) << "keys nobody wrote appeared";
  }
  server.reset();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  std::printf(
      "[crash] %d kills, %llu commands acknowledged of %llu sent, %llu thread-rounds with an "
      "unacknowledged command applied, %.1f s\n",
      rounds, static_cast<unsigned long long>(total_acked), static_cast<unsigned long long>(total_sent),
      static_cast<unsigned long long>(inflight_applied), seconds);
  if (::testing::Test::HasFailure()) {
    std::printf("[crash] data directory kept for inspection: %s\n", dir.c_str());
  } else {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
}

}  // namespace
}  // namespace latchkey::testing
