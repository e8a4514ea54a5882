// Hostile clients against a live server that must keep serving everyone else: huge, negative and
// malformed lengths (Redis 7.0's exact protocol errors, then a close); NUL bytes and binary data in
// keys, values, fields and domain arguments; a slowloris that trickles a request before AUTH; ten
// thousand idle connections; a pipeline of a million commands; a subscriber that never reads. Where a
// client holds memory, the server's used_memory must come back near its baseline once it is gone.
#include <sys/resource.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "server_process.h"
#include "session_test_helpers.h"

namespace latchkey::testing {
namespace {

int64_t UsedMemory(redisContext* c) {
  return InfoField(c, "memory", "used_memory");
}

// Waits up to 5 s for used_memory to come within `slack` bytes of `baseline`; returns the last value.
int64_t SettledMemory(redisContext* c, int64_t baseline, int64_t slack) {
  int64_t used = UsedMemory(c);
  for (int i = 0; i < 50 && used > baseline + slack; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    used = UsedMemory(c);
  }
  return used;
}

TEST(Hostile, MalformedLengthsGetRedisProtocolErrorsAndACloseOthersAreServed) {
  ServerProcess server;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"*99999999999\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
      {"*abc\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
      {"*1\r\n$-5\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
      {"*2\r\n$3\r\nGET\r\n$-1\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
      {"*1\r\n$99999999999\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
      {"*1\r\nfoo\r\n", "-ERR Protocol error: expected '$', got 'f'\r\n"},
  };
  for (const auto& [input, reply] : cases) {
    RawClient raw(server.port());
    raw.Send(input);
    EXPECT_EQ(raw.Read(reply.size()), reply) << input;
    EXPECT_TRUE(raw.ClosedByPeer()) << input;
  }
  RawClient empty(server.port());
  empty.Send("*-1\r\n*0\r\nPING\r\n");  // empty and null multibulks are skipped, as Redis does
  EXPECT_EQ(empty.Read(7), "+PONG\r\n");
  ExpectServes(server);
}

TEST(Hostile, NulBytesAndBinaryDataEverywhere) {
  ServerProcess server;
  RedisConn c = server.Connect();
  std::string key("k\0e\xff\r\ny", 7);
  std::string value("\0\0\x01\xfe\r\n", 6);
  EXPECT_STREQ(Command(c.get(), {"SET", key, value, "EX", "100"})->str, "OK");
  Reply got = Command(c.get(), {"GET", key});
  ASSERT_EQ(got->type, REDIS_REPLY_STRING);
  EXPECT_EQ(std::string(got->str, got->len), value);
  EXPECT_EQ(Command(c.get(), {"HSET", key + "h", std::string("f\0", 2), value})->integer, 1);
  Reply field = Command(c.get(), {"HGET", key + "h", std::string("f\0", 2)});
  EXPECT_EQ(std::string(field->str, field->len), value);
  EXPECT_EQ(Command(c.get(), {"SADD", key + "s", value})->integer, 1);
  EXPECT_EQ(Command(c.get(), {"SISMEMBER", key + "s", value})->integer, 1);
  Reply keys = Command(c.get(), {"KEYS", std::string("k\0*", 3)});
  ASSERT_EQ(keys->type, REDIS_REPLY_ARRAY);
  EXPECT_EQ(keys->elements, 3u);
  // Domain commands: binary subjects, jtis and blobs are data, not syntax.
  const std::string sub("u\0\xff", 3);
  Reply created = Command(c.get(), {"SESSION.CREATE", sub, "IDLE", "60", "ABS", "600", "DATA", value});
  ASSERT_EQ(created->type, REDIS_REPLY_ARRAY) << Str(created.get());
  const std::string iss("iss\0x", 5), jti("j\0\xfe", 3);
  EXPECT_EQ(Command(c.get(), {"DENY.ADD", iss, jti, "4102444800"})->integer, 1);
  EXPECT_EQ(Command(c.get(), {"DENY.CHECK", iss, jti})->integer, 1);
  EXPECT_EQ(Command(c.get(), {"DENY.CHECK", iss, std::string("j\0\xff", 3)})->integer, 0);
  EXPECT_EQ(Command(c.get(), {"DEL", key})->integer, 1);
  ExpectServes(server);
}

TEST(Hostile, ASlowlorisBeforeAuthHoldsNeitherAThreadNorMemory) {
  // One I/O thread: if the trickling client held it, the others would stall.
  ServerProcess server({"--requirepass", "s3cret", "--io-threads", "1"});
  RawClient slow(server.port());
  slow.Send("*2\r\n$4\r\nAUTH\r\n$100\r\n");
  RedisConn c = server.Connect();
  EXPECT_STREQ(Command(c.get(), {"AUTH", "s3cret"})->str, "OK");
  for (int i = 0; i < 20; ++i) {
    slow.Send("x");  // one byte of the password at a time
    const auto start = std::chrono::steady_clock::now();
    EXPECT_STREQ(Command(c.get(), {"PING"})->str, "PONG");
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // Before AUTH a request may not grow past 16 KiB bulks and 1 MB of input: the trickle is cut off.
  RawClient big(server.port());
  big.Send("*2\r\n$4\r\nAUTH\r\n$100000\r\n");
  const std::string refused = "-ERR Protocol error: unauthenticated bulk length\r\n";
  EXPECT_EQ(big.Read(refused.size()), refused);
  EXPECT_TRUE(big.ClosedByPeer());
  EXPECT_STREQ(Command(c.get(), {"PING"})->str, "PONG");
}

TEST(Hostile, TenThousandIdleConnectionsAreHeldAndReleased) {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  constexpr rlim_t kNeeded = 10'200;
  if (limit.rlim_cur < kNeeded && limit.rlim_max >= kNeeded) {
    limit.rlim_cur = kNeeded;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  if (limit.rlim_cur < kNeeded) GTEST_SKIP() << "needs " << kNeeded << " file descriptors (ulimit -n)";
  ServerProcess server({"--maxclients", "20000", "--tcp-backlog", "4096"});
  RedisConn c = server.Connect();
  const int64_t baseline = UsedMemory(c.get());
  {
    std::vector<std::unique_ptr<RawClient>> idle;
    for (int i = 0; i < 10'000; ++i) idle.push_back(std::make_unique<RawClient>(server.port()));
    for (int i = 0; i < 50 && InfoField(c.get(), "clients", "connected_clients") < 10'001; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(InfoField(c.get(), "clients", "connected_clients"), 10'001);
    ExpectServes(server);
    idle.front()->Send("PING\r\n");
    EXPECT_EQ(idle.front()->Read(7), "+PONG\r\n");
  }
  for (int i = 0; i < 50 && InfoField(c.get(), "clients", "connected_clients") > 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(InfoField(c.get(), "clients", "connected_clients"), 1);
  EXPECT_LT(SettledMemory(c.get(), baseline, 4 << 20), baseline + (4 << 20));
}

TEST(Hostile, APipelineOfAMillionCommandsIsAnsweredInOrderAndItsBuffersAreReturned) {
  ServerProcess server;
  RedisConn c = server.Connect();
  const int64_t baseline = UsedMemory(c.get());
  // 1,000 batches of 999 PINGs and one INCR (few writes: RocksDB's memtable would hold those).
  constexpr int kBatches = 1000;
  std::string batch, expected;
  for (int i = 0; i < 999; ++i) batch += "*1\r\n$4\r\nPING\r\n";
  batch += "*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n";
  for (int i = 1; i <= kBatches; ++i) {
    for (int j = 0; j < 999; ++j) expected += "+PONG\r\n";
    expected.append(":").append(std::to_string(i)).append("\r\n");
  }
  {
    RawClient raw(server.port());
    std::string reply;
    std::thread reader([&] { reply = raw.Read(expected.size(), 60); });
    for (int i = 0; i < kBatches; ++i) raw.Send(batch);
    reader.join();
    ASSERT_EQ(reply.size(), expected.size());
    EXPECT_TRUE(reply == expected) << "replies out of order";
    ExpectServes(server);
  }
  EXPECT_LT(SettledMemory(c.get(), baseline, 4 << 20), baseline + (4 << 20));
}

TEST(Hostile, ASubscriberThatNeverReadsIsCutOffAndItsMemoryReturns) {
  ServerProcess server({"--client-output-buffer-limit", "pubsub", "4mb", "1mb", "1"});
  RedisConn c = server.Connect();
  const int64_t baseline = UsedMemory(c.get());
  RawClient deaf(server.port());
  deaf.Send("SUBSCRIBE news\r\n");
  const std::string confirmed = "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n";
  ASSERT_EQ(deaf.Read(confirmed.size()), confirmed);  // and from now on it reads nothing
  const std::string message(64 * 1024, 'm');
  for (int i = 0; i < 400; ++i) {  // 25 MB that the subscriber never reads
    if (Command(c.get(), {"PUBLISH", "news", message})->integer == 0) break;
  }
  EXPECT_TRUE(deaf.ClosedByPeer(10));
  EXPECT_EQ(Command(c.get(), {"PUBLISH", "news", "x"})->integer, 0);  // the subscription is gone
  EXPECT_LT(SettledMemory(c.get(), baseline, 2 << 20), baseline + (2 << 20));
  ExpectServes(server);
}

}  // namespace
}  // namespace latchkey::testing
