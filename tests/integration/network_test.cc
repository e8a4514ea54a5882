// The server as clients see it over TCP: pipelining, many concurrent connections, inline commands, and
// misbehaving clients that must not disturb anyone else.
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "server_process.h"

namespace latchkey::testing {
namespace {

// prefix + decimal n. (GCC 12 warns falsely on `"k" + std::to_string(n)` under -O2: -Wrestrict.)
std::string Numbered(const char* prefix, int n) {
  return std::string(prefix).append(std::to_string(n));
}

TEST(Network, PipelinesTenThousandCommandsInOrder) {
  ServerProcess server;
  auto c = server.Connect();
  constexpr int kCount = 10000;
  for (int i = 0; i < kCount; ++i) {
    const std::string key = Numbered("k", i), value = Numbered("v", i);
    redisAppendCommand(c.get(), "SET %s %s", key.c_str(), value.c_str());
    redisAppendCommand(c.get(), "GET %s", key.c_str());
  }
  for (int i = 0; i < kCount; ++i) {
    void* raw = nullptr;
    ASSERT_EQ(redisGetReply(c.get(), &raw), REDIS_OK);
    Reply set(static_cast<redisReply*>(raw));
    ASSERT_EQ(set->type, REDIS_REPLY_STATUS);
    ASSERT_STREQ(set->str, "OK");
    ASSERT_EQ(redisGetReply(c.get(), &raw), REDIS_OK);
    Reply get(static_cast<redisReply*>(raw));
    ASSERT_EQ(get->type, REDIS_REPLY_STRING);
    ASSERT_EQ(std::string(get->str, get->len), Numbered("v", i));
  }
  auto size = Command(c.get(), {"DBSIZE"});
  EXPECT_EQ(size->integer, kCount);
}

TEST(Network, TwoHundredConcurrentConnections) {
  ServerProcess server;
  constexpr int kThreads = 8, kPerThread = 25, kRounds = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<RedisConn> conns;
      for (int i = 0; i < kPerThread; ++i) conns.push_back(server.Connect());
      for (int round = 0; round < kRounds; ++round) {
        for (int i = 0; i < kPerThread; ++i) {
          const std::string key = Numbered("c", t * kPerThread + i);
          auto r = Command(conns[i].get(), {"INCR", key});
          if (!r || r->type != REDIS_REPLY_INTEGER || r->integer != round + 1) ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto c = server.Connect();
  EXPECT_EQ(Command(c.get(), {"DBSIZE"})->integer, kThreads * kPerThread);
  auto info = Command(c.get(), {"INFO", "clients"});
  EXPECT_NE(std::string(info->str).find("connected_clients:1\r\n"), std::string::npos) << info->str;
}

TEST(Network, ConcurrentIncrementsOnSharedKeysAreExact) {
  ServerProcess server;
  constexpr int kThreads = 4, kIncrements = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      auto c = server.Connect();
      for (int i = 0; i < kIncrements; ++i) redisAppendCommand(c.get(), "INCR shared%d", i % 3);
      for (int i = 0; i < kIncrements; ++i) {
        void* raw = nullptr;
        ASSERT_EQ(redisGetReply(c.get(), &raw), REDIS_OK);
        freeReplyObject(raw);
      }
    });
  }
  for (auto& th : threads) th.join();
  auto c = server.Connect();
  int64_t total = 0;
  for (int k = 0; k < 3; ++k) total += std::stoll(Command(c.get(), {"GET", Numbered("shared", k)})->str);
  EXPECT_EQ(total, kThreads * kIncrements);
}

TEST(Network, InlineCommandsAndSplitWrites) {
  ServerProcess server;
  RawClient raw(server.port());
  raw.Send("PING\r\nSET a \"hello world\"\r\nGET a\r\n");
  EXPECT_EQ(raw.Read(33), "+PONG\r\n+OK\r\n$11\r\nhello world\r\n");
  // One request sent a byte at a time.
  const std::string request = "*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$5\r\nvalue\r\n";
  for (char ch : request) raw.Send(std::string(1, ch));
  EXPECT_EQ(raw.Read(5), "+OK\r\n");
}

TEST(Network, GarbageClientIsClosedOthersUnaffected) {
  ServerProcess server;
  auto good = server.Connect();
  ASSERT_STREQ(Command(good.get(), {"SET", "x", "1"})->str, "OK");
  RawClient bad(server.port());
  bad.Send("*1\r\n$abc\r\n");
  EXPECT_EQ(bad.Read(38), "-ERR Protocol error: invalid bulk length\r\n");
  EXPECT_TRUE(bad.ClosedByPeer());
  RawClient bad2(server.port());
  bad2.Send("*2\r\n+PING\r\n");
  EXPECT_EQ(bad2.Read(44), "-ERR Protocol error: expected '$', got '+'\r\n");
  EXPECT_TRUE(bad2.ClosedByPeer());
  EXPECT_STREQ(Command(good.get(), {"GET", "x"})->str, "1");
}

TEST(Network, DisconnectMidRequestAppliesNothing) {
  ServerProcess server;
  {
    RawClient partial(server.port());
    partial.Send("*3\r\n$3\r\nSET\r\n$4\r\nhalf\r\n$10\r\nonly");
  }  // closed before the value is complete
  auto c = server.Connect();
  EXPECT_EQ(Command(c.get(), {"EXISTS", "half"})->integer, 0);
  EXPECT_STREQ(Command(c.get(), {"PING"})->str, "PONG");
}

// A client may write its whole pipeline before reading any reply (as many scripts do); Redis buffers the
// replies, and so must we, or both sides wait on each other forever.
TEST(Network, ClientThatReadsOnlyAfterWritingEverythingIsServed) {
  ServerProcess server;
  auto c = server.Connect();
  Command(c.get(), {"SET", "v", std::string(1000, 'x')});
  constexpr int kCount = 100000;  // ~1.2 MB of requests, ~100 MB of replies
  std::string pipeline;
  for (int i = 0; i < kCount; ++i) pipeline += "GET v\r\n";
  RawClient raw(server.port());
  std::atomic<bool> sent{false};
  std::thread sender([&] {
    raw.Send(pipeline);
    sent = true;
  });
  for (int i = 0; i < 300 && !sent; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(sent.load()) << "the server stopped reading a client that had not read its replies yet";
  const size_t reply_size = std::string("$1000\r\n").size() + 1000 + 2;
  std::string replies = raw.Read(reply_size * kCount, 60);
  sender.join();
  EXPECT_EQ(replies.size(), reply_size * kCount);
}

TEST(Network, BinarySafeValues) {
  ServerProcess server;
  auto c = server.Connect();
  const std::string value("a\0b\r\nc", 6);
  Command(c.get(), {"SET", "bin", value});
  auto r = Command(c.get(), {"GET", "bin"});
  EXPECT_EQ(std::string(r->str, r->len), value);
}

}  // namespace
}  // namespace latchkey::testing
