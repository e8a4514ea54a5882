// Limits and access control: AUTH, maxclients, idle timeout, query and output buffer limits.
#include <chrono>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "server_process.h"

namespace latchkey::testing {
namespace {

TEST(Limits, AuthIsRequiredWhenPasswordSet) {
  ServerProcess server({"--requirepass", "s3cret"});
  auto c = server.Connect();
  EXPECT_STREQ(Command(c.get(), {"GET", "k"})->str, "NOAUTH Authentication required.");
  EXPECT_STREQ(Command(c.get(), {"AUTH", "wrong"})->str,
               "WRONGPASS invalid username-password pair or user is disabled.");
  EXPECT_STREQ(Command(c.get(), {"AUTH", "s3cret"})->str, "OK");
  EXPECT_STREQ(Command(c.get(), {"SET", "k", "v"})->str, "OK");

  auto other = server.Connect();
  auto hello = Command(other.get(), {"HELLO", "2", "AUTH", "default", "s3cret"});
  ASSERT_EQ(hello->type, REDIS_REPLY_ARRAY);
  EXPECT_STREQ(Command(other.get(), {"GET", "k"})->str, "v");
  EXPECT_STREQ(Command(other.get(), {"RESET"})->str, "RESET");
  EXPECT_STREQ(Command(other.get(), {"GET", "k"})->str, "NOAUTH Authentication required.");
}

TEST(Limits, UnauthenticatedClientsMaySendOnlySmallRequests) {
  ServerProcess server({"--requirepass", "s3cret"});
  RawClient raw(server.port());
  raw.Send("*11\r\n");
  EXPECT_EQ(raw.Read(52), "-ERR Protocol error: unauthenticated multibulk length\r\n");
  EXPECT_TRUE(raw.ClosedByPeer());
}

TEST(Limits, MaxClientsRefusesTheNextConnection) {
  ServerProcess server({"--maxclients", "2"});
  auto a = server.Connect();
  // Wait until the start-up probe's connection is gone, so `a` is the only client.
  for (int i = 0; i < 100; ++i) {
    std::string info = Command(a.get(), {"INFO", "clients"})->str;
    if (info.find("connected_clients:1\r\n") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto b = server.Connect();
  ASSERT_STREQ(Command(a.get(), {"PING"})->str, "PONG");
  ASSERT_STREQ(Command(b.get(), {"PING"})->str, "PONG");
  RawClient third(server.port());
  EXPECT_EQ(third.Read(37), "-ERR max number of clients reached\r\n");
  EXPECT_TRUE(third.ClosedByPeer());
}

TEST(Limits, IdleClientsAreClosedAfterTimeout) {
  ServerProcess server({"--timeout", "1"});
  RawClient idle(server.port());
  idle.Send("PING\r\n");
  EXPECT_EQ(idle.Read(7), "+PONG\r\n");
  EXPECT_TRUE(idle.ClosedByPeer(4));
}

TEST(Limits, BulkLongerThanProtoMaxBulkLenIsRejected) {
  ServerProcess server({"--proto-max-bulk-len", "1kb"});
  RawClient raw(server.port());
  raw.Send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000\r\n");
  EXPECT_EQ(raw.Read(38), "-ERR Protocol error: invalid bulk length\r\n");
  EXPECT_TRUE(raw.ClosedByPeer());
}

TEST(Limits, QueryBufferLimitClosesTheClient) {
  ServerProcess server({"--client-query-buffer-limit", "1mb"});
  auto good = server.Connect();
  RawClient raw(server.port());
  raw.Send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3000000\r\n");
  raw.Send(std::string(2 * 1024 * 1024, 'x'));
  EXPECT_TRUE(raw.ClosedByPeer());
  EXPECT_STREQ(Command(good.get(), {"PING"})->str, "PONG");
  EXPECT_EQ(Command(good.get(), {"EXISTS", "k"})->integer, 0);
}

TEST(Limits, OutputBufferHardLimitClosesSlowReader) {
  ServerProcess server({"--client-output-buffer-limit", "normal", "1mb", "0", "0"});
  auto c = server.Connect();
  Command(c.get(), {"SET", "big", std::string(100 * 1024, 'v')});
  RawClient reader(server.port());
  std::string pipeline;
  for (int i = 0; i < 200; ++i) pipeline += "GET big\r\n";
  reader.Send(pipeline);  // 20 MB of replies that the client never reads
  EXPECT_TRUE(reader.ClosedByPeer(10));
  EXPECT_STREQ(Command(c.get(), {"PING"})->str, "PONG");
}

}  // namespace
}  // namespace latchkey::testing
