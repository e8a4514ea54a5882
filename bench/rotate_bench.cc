// rotate_bench: refresh-token rotation, end to end, closed loop. Each of --clients connections owns
// one refresh-token family and rotates it as fast as replies come back, each rotation presenting the
// token the previous one returned (as a client refreshing its access token does); reports ops/s and
// latency percentiles over --seconds after --warmup seconds.
//
// --target latchkey: RTOKEN.ISSUE once per connection, then RTOKEN.ROTATE <token>.
// --target redis:    the least a plain-Redis store must do for the same step, as one Lua script (so
//                    it is atomic): compare SHA-1(presented secret) with the stored head, mark the
//                    family revoked on mismatch, else store the new head's hash. No HMAC, no sealed
//                    successor, no grace window, no events: this favours Redis.
//
// Usage: rotate_bench --port P [--target latchkey|redis] [--clients 50] [--seconds 10] [--warmup 2]
#include <hiredis/hiredis.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr const char* kRedisRotate = R"(
local head = redis.call('HGET', KEYS[1], 'head')
if not head then return redis.error_reply('NOTFOUND unknown family') end
if head ~= redis.sha1hex(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'revoked', 'reuse')
  return redis.error_reply('REUSED refresh token reuse detected')
end
redis.call('HSET', KEYS[1], 'prev', head, 'head', redis.sha1hex(ARGV[2]))
redis.call('HINCRBY', KEYS[1], 'gen', 1)
return ARGV[2]
)";

struct Options {
  int port = 6379;
  bool redis = false;
  int clients = 50;
  double seconds = 10, warmup = 2;
};

using Clock = std::chrono::steady_clock;

std::string RandomHex(std::mt19937_64& rng) {
  char buf[33];
  std::snprintf(buf, sizeof(buf), "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return buf;
}

// The "token" field of a map reply (RESP2: flat array).
std::string TokenOf(const redisReply* r) {
  for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2) {
    if (std::strcmp(r->element[i]->str, "token") == 0) return r->element[i + 1]->str;
  }
  return {};
}

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "rotate_bench: %s\n", what.c_str());
  std::exit(1);
}

void Client(const Options& o, int index, std::atomic<bool>& measuring, std::atomic<bool>& stop,
            std::vector<double>* latencies_ms) {
  redisContext* c = redisConnect("127.0.0.1", o.port);
  if (c == nullptr || c->err) Fail("cannot connect");
  std::mt19937_64 rng(static_cast<uint64_t>(index) * 7919 + 1);
  std::string token, sha, key = "rt:bench:" + std::to_string(index);
  if (o.redis) {
    auto* r = static_cast<redisReply*>(redisCommand(c, "SCRIPT LOAD %s", kRedisRotate));
    if (r == nullptr || r->type != REDIS_REPLY_STRING) Fail("SCRIPT LOAD failed");
    sha = r->str;
    freeReplyObject(r);
    token = RandomHex(rng);
    r = static_cast<redisReply*>(redisCommand(
        c, "EVAL %s 1 %s %s", "return redis.call('HSET', KEYS[1], 'head', redis.sha1hex(ARGV[1]), 'gen', 0)",
        key.c_str(), token.c_str()));
    if (r == nullptr || r->type == REDIS_REPLY_ERROR) Fail("seeding the family failed");
    freeReplyObject(r);
  } else {
    auto* r =
        static_cast<redisReply*>(redisCommand(c, "RTOKEN.ISSUE bench-%d web ABS 86400 IDLE 86400", index));
    if (r == nullptr || (token = TokenOf(r)).empty()) Fail("RTOKEN.ISSUE failed");
    freeReplyObject(r);
  }
  while (!stop.load(std::memory_order_relaxed)) {
    const auto start = Clock::now();
    redisReply* r;
    std::string next;
    if (o.redis) {
      next = RandomHex(rng);
      r = static_cast<redisReply*>(
          redisCommand(c, "EVALSHA %s 1 %s %s %s", sha.c_str(), key.c_str(), token.c_str(), next.c_str()));
    } else {
      r = static_cast<redisReply*>(redisCommand(c, "RTOKEN.ROTATE %s", token.c_str()));
    }
    if (r == nullptr) Fail("connection lost");
    if (r->type == REDIS_REPLY_ERROR) Fail(std::string("rotation refused: ") + r->str);
    token = o.redis ? next : TokenOf(r);
    freeReplyObject(r);
    if (measuring.load(std::memory_order_relaxed)) {
      latencies_ms->push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    }
  }
  redisFree(c);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--port")
      o.port = std::atoi(value);
    else if (flag == "--target")
      o.redis = std::string(value) == "redis";
    else if (flag == "--clients")
      o.clients = std::atoi(value);
    else if (flag == "--seconds")
      o.seconds = std::atof(value);
    else if (flag == "--warmup")
      o.warmup = std::atof(value);
    else
      Fail("unknown flag " + flag);
  }
  std::atomic<bool> measuring{false}, stop{false};
  std::vector<std::vector<double>> latencies(static_cast<size_t>(o.clients));
  std::vector<std::thread> threads;
  for (int i = 0; i < o.clients; ++i) {
    threads.emplace_back(Client, std::cref(o), i, std::ref(measuring), std::ref(stop),
                         &latencies[static_cast<size_t>(i)]);
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(o.warmup));
  measuring = true;
  const auto start = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
  measuring = false;
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  stop = true;
  for (auto& t : threads) t.join();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  if (all.empty()) Fail("no rotation completed");
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all[std::min(all.size() - 1, static_cast<size_t>(p * static_cast<double>(all.size())))];
  };
  std::printf("ops_per_sec=%.0f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f\n",
              static_cast<double>(all.size()) / elapsed, pct(0.50), pct(0.99), pct(0.999), all.back());
  return 0;
}
