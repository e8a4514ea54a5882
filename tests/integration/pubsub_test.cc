// Pub/sub as clients see it: fan-out to many subscribers over several I/O threads, channel and pattern
// subscriptions together, a subscriber that stops reading (client-output-buffer-limit pubsub), the
// end of delivery on UNSUBSCRIBE / RESET / disconnect, and RESP3 push frames.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "resp3_client.h"
#include "server_process.h"

namespace latchkey::testing {
namespace {

// prefix + decimal n. (GCC 12 warns falsely on `"k" + std::to_string(n)` under -O2: -Wrestrict.)
std::string Numbered(const char* prefix, int n) {
  return std::string(prefix).append(std::to_string(n));
}

double Now() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

// A subscriber that waits for a message must not hang the whole run if it never comes.
void SetReadTimeout(redisContext* c, int seconds) {
  timeval tv{seconds, 0};
  ASSERT_EQ(redisSetTimeout(c, tv), REDIS_OK);
}

std::string Str(const redisReply* r) {
  return r == nullptr || r->str == nullptr ? std::string() : std::string(r->str, r->len);
}

// Whether `r` is the RESP2 array {kind, name, payload...}: e.g. {"message", channel, text}.
::testing::AssertionResult IsArray(const redisReply* r, const std::vector<std::string>& strings,
                                   std::optional<int64_t> last_integer = std::nullopt) {
  if (r == nullptr) return ::testing::AssertionFailure() << "no reply";
  if (r->type != REDIS_REPLY_ARRAY) {
    return ::testing::AssertionFailure() << "type " << r->type << " " << Str(r);
  }
  const size_t want = strings.size() + (last_integer ? 1 : 0);
  if (r->elements != want) return ::testing::AssertionFailure() << r->elements << " elements";
  for (size_t i = 0; i < strings.size(); ++i) {
    if (Str(r->element[i]) != strings[i]) {
      return ::testing::AssertionFailure() << "element " << i << " is '" << Str(r->element[i]).substr(0, 80)
                                           << "', want '" << strings[i].substr(0, 80) << "'";
    }
  }
  if (last_integer) {
    const redisReply* n = r->element[strings.size()];
    if (n->type != REDIS_REPLY_INTEGER || n->integer != *last_integer) {
      return ::testing::AssertionFailure() << "count " << n->integer << ", want " << *last_integer;
    }
  }
  return ::testing::AssertionSuccess();
}

int64_t InfoField(redisContext* c, const std::string& section, const std::string& field) {
  std::string text = Str(Command(c, {"INFO", section}).get());
  size_t at = text.find(field + ":");
  if (at == std::string::npos) return -1;
  return std::stoll(text.substr(at + field.size() + 1));
}

int64_t NumSub(redisContext* c, const std::string& channel) {
  auto r = Command(c, {"PUBSUB", "NUMSUB", channel});
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements != 2) return -1;
  return r->element[1]->integer;
}

// Polls NUMSUB until it reads `want` (unsubscribing on disconnect happens on the server's own time).
bool NumSubBecomes(redisContext* c, const std::string& channel, int64_t want, double seconds = 5) {
  const double deadline = Now() + seconds;
  while (Now() < deadline) {
    if (NumSub(c, channel) == want) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

::testing::AssertionResult IsPush(const Frame& f, const std::vector<std::string>& strings,
                                  std::optional<int64_t> last_integer = std::nullopt) {
  if (f.type != '>') return ::testing::AssertionFailure() << "type '" << f.type << "', want a push '>'";
  const size_t want = strings.size() + (last_integer ? 1 : 0);
  if (f.elems.size() != want) return ::testing::AssertionFailure() << f.elems.size() << " elements";
  for (size_t i = 0; i < strings.size(); ++i) {
    if (f.elems[i].type != '$' || f.elems[i].str != strings[i]) {
      return ::testing::AssertionFailure()
             << "element " << i << " is '" << f.elems[i].type << f.elems[i].str << "', want $" << strings[i];
    }
  }
  if (last_integer && (f.elems.back().type != ':' || f.elems.back().integer != *last_integer)) {
    return ::testing::AssertionFailure() << "count " << f.elems.back().integer << ", want " << *last_integer;
  }
  return ::testing::AssertionSuccess();
}

TEST(PubSub, HundredSubscribersOverTwoIoThreadsGetEveryMessageInOrder) {
  ServerProcess server({"--io-threads", "2"});
  auto admin = server.Connect();
  ASSERT_EQ(InfoField(admin.get(), "server", "io_threads_active"), 2);

  constexpr int kSubscribers = 100, kReaderThreads = 4, kMessages = 1000;
  std::vector<RedisConn> subs;
  for (int i = 0; i < kSubscribers; ++i) {
    subs.push_back(server.Connect());
    SetReadTimeout(subs.back().get(), 10);
    auto r = Command(subs.back().get(), {"SUBSCRIBE", "fanout"});
    ASSERT_TRUE(IsArray(r.get(), {"subscribe", "fanout"}, 1));
  }
  ASSERT_EQ(NumSub(admin.get(), "fanout"), kSubscribers);

  auto payload = [](int i) { return Numbered("m", i).append(100, '.'); };
  std::vector<int> received(kSubscribers, 0);  // messages read in order, per subscriber
  std::vector<std::thread> readers;
  for (int t = 0; t < kReaderThreads; ++t) {
    readers.emplace_back([&, t] {
      for (int s = t; s < kSubscribers; s += kReaderThreads) {
        for (int i = 0; i < kMessages; ++i) {
          void* raw = nullptr;
          if (redisGetReply(subs[s].get(), &raw) != REDIS_OK) break;
          Reply r(static_cast<redisReply*>(raw));
          if (!IsArray(r.get(), {"message", "fanout", payload(i)})) break;
          received[s] = i + 1;
        }
      }
    });
  }

  auto publisher = server.Connect();
  for (int i = 0; i < kMessages; ++i) {
    const std::string p = payload(i);
    redisAppendCommand(publisher.get(), "PUBLISH fanout %b", p.data(), p.size());
  }
  int wrong_counts = 0;
  for (int i = 0; i < kMessages; ++i) {
    auto r = NextReply(publisher.get());
    ASSERT_NE(r, nullptr);
    if (r->type != REDIS_REPLY_INTEGER || r->integer != kSubscribers) ++wrong_counts;
  }
  EXPECT_EQ(wrong_counts, 0) << "PUBLISH did not always report " << kSubscribers << " receivers";
  for (auto& th : readers) th.join();
  for (int s = 0; s < kSubscribers; ++s) {
    EXPECT_EQ(received[s], kMessages) << "subscriber " << s << " stopped at message " << received[s];
  }
}

TEST(PubSub, ChannelAndPatternOnOneConnection) {
  ServerProcess server;
  auto sub = server.Connect();
  SetReadTimeout(sub.get(), 5);
  auto admin = server.Connect();
  EXPECT_TRUE(IsArray(Command(sub.get(), {"PSUBSCRIBE", "news.*"}).get(), {"psubscribe", "news.*"}, 1));
  EXPECT_TRUE(IsArray(Command(sub.get(), {"SUBSCRIBE", "news.art"}).get(), {"subscribe", "news.art"}, 2));

  EXPECT_EQ(Command(admin.get(), {"PUBLISH", "news.art", "hello"})->integer, 2);
  // Redis delivers the channel's message first, then one pmessage per matching pattern.
  EXPECT_TRUE(IsArray(NextReply(sub.get()).get(), {"message", "news.art", "hello"}));
  EXPECT_TRUE(IsArray(NextReply(sub.get()).get(), {"pmessage", "news.*", "news.art", "hello"}));
  EXPECT_EQ(Command(admin.get(), {"PUBLISH", "news.tech", "only-pattern"})->integer, 1);
  EXPECT_TRUE(IsArray(NextReply(sub.get()).get(), {"pmessage", "news.*", "news.tech", "only-pattern"}));
  EXPECT_EQ(Command(admin.get(), {"PUBLISH", "sports", "nobody"})->integer, 0);

  EXPECT_EQ(Command(admin.get(), {"PUBSUB", "NUMPAT"})->integer, 1);
  auto numsub = Command(admin.get(), {"PUBSUB", "NUMSUB", "news.art", "news.tech", "news.*"});
  ASSERT_EQ(numsub->elements, 6u);
  // NUMSUB counts channel subscribers only: the pattern subscription is not one of news.tech.
  EXPECT_EQ(Str(numsub->element[0]), "news.art");
  EXPECT_EQ(numsub->element[1]->integer, 1);
  EXPECT_EQ(Str(numsub->element[2]), "news.tech");
  EXPECT_EQ(numsub->element[3]->integer, 0);
  EXPECT_EQ(Str(numsub->element[4]), "news.*");
  EXPECT_EQ(numsub->element[5]->integer, 0);
  auto channels = Command(admin.get(), {"PUBSUB", "CHANNELS"});
  ASSERT_EQ(channels->elements, 1u);
  EXPECT_EQ(Str(channels->element[0]), "news.art");
  EXPECT_EQ(Command(admin.get(), {"PUBSUB", "CHANNELS", "news.*"})->elements, 1u);
  EXPECT_EQ(Command(admin.get(), {"PUBSUB", "CHANNELS", "sport*"})->elements, 0u);

  // Dropping the pattern leaves the channel; the counts follow.
  EXPECT_TRUE(IsArray(Command(sub.get(), {"PUNSUBSCRIBE", "news.*"}).get(), {"punsubscribe", "news.*"}, 1));
  EXPECT_EQ(Command(admin.get(), {"PUBSUB", "NUMPAT"})->integer, 0);
  EXPECT_EQ(Command(admin.get(), {"PUBLISH", "news.art", "again"})->integer, 1);
  EXPECT_TRUE(IsArray(NextReply(sub.get()).get(), {"message", "news.art", "again"}));
  EXPECT_EQ(Command(admin.get(), {"PUBLISH", "news.tech", "lost"})->integer, 0);
  // Nothing else is on the way: the next thing the subscriber reads is its own PING's answer.
  EXPECT_TRUE(IsArray(Command(sub.get(), {"PING"}).get(), {"pong", ""}));
}

// A socket that never reads after subscribing, with a small receive buffer so the server's pending
// output, not the kernel, has to absorb what is published.
class StalledSubscriber {
 public:
  explicit StalledSubscriber(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int size = 4096;
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    EXPECT_EQ(connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  }
  ~StalledSubscriber() { close(fd_); }

  void Send(const std::string& bytes) {
    EXPECT_EQ(send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
  }
  // Reads exactly `n` bytes (or fewer on EOF / timeout).
  std::string ReadExactly(size_t n) {
    std::string out;
    const double deadline = Now() + 5;
    while (out.size() < n && Now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      char buf[256];
      ssize_t got = recv(fd_, buf, std::min(sizeof(buf), n - out.size()), 0);
      if (got <= 0) break;
      out.append(buf, static_cast<size_t>(got));
    }
    return out;
  }
  // Drains whatever the server had sent; true once the server has closed the connection.
  bool DrainsToEof(double seconds) {
    const double deadline = Now() + seconds;
    while (Now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      char buf[65536];
      ssize_t got = recv(fd_, buf, sizeof(buf), 0);
      if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) return true;
    }
    return false;
  }

 private:
  int fd_ = -1;
};

// With one I/O thread the publisher's thread writes each message into the stalled subscriber's buffer
// itself (and closes it there); with two, connections are dealt to the threads in turn (startup probe,
// admin, stalled, fast), so the publisher (admin) posts each message to the stalled one's thread.
void CheckStalledSubscriberIsDisconnected(int io_threads) {
  ServerProcess server({"--io-threads", std::to_string(io_threads)});
  auto admin = server.Connect();
  ASSERT_STREQ(
      Command(admin.get(), {"CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 512kb 1"})->str, "OK");
  auto limit = Command(admin.get(), {"CONFIG", "GET", "client-output-buffer-limit"});
  ASSERT_EQ(limit->elements, 2u);
  EXPECT_NE(Str(limit->element[1]).find("pubsub 1048576 524288 1"), std::string::npos)
      << Str(limit->element[1]);
  const int64_t memory_before = InfoField(admin.get(), "memory", "used_memory");

  StalledSubscriber slow(server.port());
  slow.Send("CLIENT ID\r\n");
  std::string id_line = slow.ReadExactly(3);
  while (id_line.back() != '\n') id_line += slow.ReadExactly(1);
  ASSERT_EQ(id_line[0], ':') << id_line;
  const std::string slow_id = id_line.substr(1, id_line.size() - 3);
  slow.Send("SUBSCRIBE big\r\n");
  const std::string confirm = "*3\r\n$9\r\nsubscribe\r\n$3\r\nbig\r\n:1\r\n";
  ASSERT_EQ(slow.ReadExactly(confirm.size()), confirm);

  auto fast = server.Connect();
  SetReadTimeout(fast.get(), 5);
  ASSERT_TRUE(IsArray(Command(fast.get(), {"SUBSCRIBE", "big"}).get(), {"subscribe", "big"}, 1));
  ASSERT_EQ(NumSub(admin.get(), "big"), 2);
  EXPECT_NE(Str(Command(admin.get(), {"CLIENT", "LIST"}).get()).find("id=" + slow_id + " "),
            std::string::npos);

  // 64 KB messages, each read by the fast subscriber before the next is published, until the slow one
  // has been dropped (PUBLISH counts one receiver) and a few more after that.
  constexpr int kMaxMessages = 400;  // 25 MB: far past any kernel buffering plus the 1 MB hard limit
  const std::string filler(64 * 1024, 'x');
  int published = 0, dropped_at = -1;
  for (int i = 0; i < kMaxMessages && (dropped_at < 0 || i < dropped_at + 20); ++i) {
    const std::string payload = Numbered("big-", i).append(filler);
    auto receivers = Command(admin.get(), {"PUBLISH", "big", payload});
    ASSERT_NE(receivers, nullptr);
    ++published;
    if (receivers->integer == 1 && dropped_at < 0) dropped_at = i;
    auto message = NextReply(fast.get());
    ASSERT_TRUE(IsArray(message.get(), {"message", "big", payload})) << "fast subscriber, message " << i;
  }
  ASSERT_GE(dropped_at, 0) << "the stalled subscriber was never disconnected after " << published
                           << " messages of 64 KB";
  EXPECT_EQ(NumSub(admin.get(), "big"), 1);
  EXPECT_EQ(Str(Command(admin.get(), {"CLIENT", "LIST"}).get()).find("id=" + slow_id + " "),
            std::string::npos);
  EXPECT_TRUE(slow.DrainsToEof(5)) << "the stalled subscriber's socket was not closed";

  // Still serving, and the dropped client's pending output was freed.
  auto other = server.Connect();
  EXPECT_STREQ(Command(other.get(), {"PING"})->str, "PONG");
  EXPECT_STREQ(Command(fast.get(), {"PING"}).get()->element[0]->str, "pong");
  int64_t memory_after = 0;
  const double deadline = Now() + 3;
  do {
    memory_after = InfoField(admin.get(), "memory", "used_memory");
    if (memory_after < memory_before + 1024 * 1024) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (Now() < deadline);
  EXPECT_LT(memory_after, memory_before + 1024 * 1024)
      << "used_memory " << memory_before << " before, " << memory_after << " after";
}

TEST(PubSub, SubscriberThatStopsReadingIsDisconnectedOthersGetEverything) {
  CheckStalledSubscriberIsDisconnected(2);
}

TEST(PubSub, SubscriberThatStopsReadingIsDisconnectedByItsOwnThreadsPublisher) {
  CheckStalledSubscriberIsDisconnected(1);
}

// The `omem` field of client `id` in CLIENT LIST, or -1 if that client is not listed.
int64_t ClientOmem(redisContext* c, const std::string& id) {
  const std::string list = Str(Command(c, {"CLIENT", "LIST"}).get());
  size_t at = list.find("id=" + id + " ");
  if (at == std::string::npos) return -1;
  const size_t end = list.find('\n', at);
  at = list.find(" omem=", at);
  if (at == std::string::npos || at > end) return -1;
  return std::stoll(list.substr(at + 6));
}

TEST(PubSub, SubscriberOverTheSoftLimitForItsSecondsIsDisconnected) {
  ServerProcess server;
  auto admin = server.Connect();
  ASSERT_STREQ(
      Command(admin.get(), {"CONFIG", "SET", "client-output-buffer-limit", "pubsub 64mb 256kb 1"})->str,
      "OK");
  StalledSubscriber slow(server.port());
  slow.Send("CLIENT ID\r\n");
  std::string id_line = slow.ReadExactly(3);
  while (id_line.back() != '\n') id_line += slow.ReadExactly(1);
  const std::string slow_id = id_line.substr(1, id_line.size() - 3);
  slow.Send("SUBSCRIBE soft\r\n");
  const std::string confirm = "*3\r\n$9\r\nsubscribe\r\n$4\r\nsoft\r\n:1\r\n";
  ASSERT_EQ(slow.ReadExactly(confirm.size()), confirm);

  // Fill its pending output past the soft limit, far below the hard one.
  const std::string payload(16 * 1024, 's');
  int64_t omem = 0;
  for (int i = 0; i < 1000 && omem <= 300 * 1024; ++i) {
    ASSERT_EQ(Command(admin.get(), {"PUBLISH", "soft", payload})->integer, 1);
    omem = ClientOmem(admin.get(), slow_id);
  }
  ASSERT_GT(omem, 300 * 1024) << "the stalled subscriber's pending output never passed the soft limit";
  const double over_since = Now();
  // Over the soft limit for less than its seconds: still served.
  EXPECT_EQ(Command(admin.get(), {"PUBLISH", "soft", "x"})->integer, 1);
  if (Now() - over_since < 0.5) {
    EXPECT_EQ(NumSub(admin.get(), "soft"), 1);
  }
  // Kept over it for more than its seconds, the client is closed by a later message. Messages keep
  // coming meanwhile: the kernel's send buffer (autotuned up to a few MB) may otherwise soak up the
  // pending output and bring the client back under the soft limit, which rightly resets its clock.
  const std::string more(64 * 1024, 't');
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    Command(admin.get(), {"PUBLISH", "soft", more});
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    gone = NumSub(admin.get(), "soft") == 0;
  }
  EXPECT_TRUE(gone) << "omem " << ClientOmem(admin.get(), slow_id);
  EXPECT_GE(Now() - over_since, 1.0) << "closed before its soft seconds";
  EXPECT_EQ(ClientOmem(admin.get(), slow_id), -1);
  EXPECT_TRUE(slow.DrainsToEof(5));
}

TEST(PubSub, UnsubscribeResetAndDisconnectStopDelivery) {
  ServerProcess server;
  auto admin = server.Connect();
  auto sub = server.Connect();
  SetReadTimeout(sub.get(), 5);

  // While subscribed, a RESP2 client may only (un)subscribe, PING, QUIT or RESET.
  EXPECT_TRUE(IsArray(Command(sub.get(), {"SUBSCRIBE", "a", "b"}).get(), {"subscribe", "a"}, 1));
  EXPECT_TRUE(IsArray(NextReply(sub.get()).get(), {"subscribe", "b"}, 2));
  auto refused = Command(sub.get(), {"GET", "k"});
  ASSERT_EQ(refused->type, REDIS_REPLY_ERROR);
  EXPECT_EQ(Str(refused.get()).rfind("ERR Can't execute 'get'", 0), 0u) << Str(refused.get());
  EXPECT_EQ(Command(admin.get(), {"PUBLISH", "a", "1"})->integer, 1);
  EXPECT_TRUE(IsArray(NextReply(sub.get()).get(), {"message", "a", "1"}));

  // UNSUBSCRIBE of one channel, then of all.
  EXPECT_TRUE(IsArray(Command(sub.get(), {"UNSUBSCRIBE", "a"}).get(), {"unsubscribe", "a"}, 1));
  EXPECT_EQ(Command(admin.get(), {"PUBLISH", "a", "2"})->integer, 0);
  EXPECT_EQ(Command(admin.get(), {"PUBLISH", "b", "3"})->integer, 1);
  EXPECT_TRUE(IsArray(NextReply(sub.get()).get(), {"message", "b", "3"}));
  EXPECT_TRUE(IsArray(Command(sub.get(), {"UNSUBSCRIBE"}).get(), {"unsubscribe", "b"}, 0));
  EXPECT_EQ(Command(admin.get(), {"PUBLISH", "b", "4"})->integer, 0);
  // Out of subscribed mode: ordinary commands again, and no stray message comes before their replies.
  EXPECT_STREQ(Command(sub.get(), {"PING"})->str, "PONG");
  EXPECT_EQ(Command(sub.get(), {"GET", "k"})->type, REDIS_REPLY_NIL);

  // RESET ends channel and pattern subscriptions.
  EXPECT_TRUE(IsArray(Command(sub.get(), {"SUBSCRIBE", "a"}).get(), {"subscribe", "a"}, 1));
  EXPECT_TRUE(IsArray(Command(sub.get(), {"PSUBSCRIBE", "p*"}).get(), {"psubscribe", "p*"}, 2));
  auto reset = Command(sub.get(), {"RESET"});
  ASSERT_EQ(reset->type, REDIS_REPLY_STATUS);
  EXPECT_STREQ(reset->str, "RESET");
  EXPECT_EQ(Command(admin.get(), {"PUBLISH", "a", "5"})->integer, 0);
  EXPECT_EQ(Command(admin.get(), {"PUBLISH", "pq", "6"})->integer, 0);
  EXPECT_EQ(NumSub(admin.get(), "a"), 0);
  EXPECT_EQ(Command(admin.get(), {"PUBSUB", "NUMPAT"})->integer, 0);
  EXPECT_STREQ(Command(sub.get(), {"PING"})->str, "PONG");

  // A subscriber that just goes away is removed from the channel and the pattern.
  {
    auto leaver = server.Connect();
    EXPECT_TRUE(IsArray(Command(leaver.get(), {"SUBSCRIBE", "gone"}).get(), {"subscribe", "gone"}, 1));
    EXPECT_TRUE(IsArray(Command(leaver.get(), {"PSUBSCRIBE", "go*"}).get(), {"psubscribe", "go*"}, 2));
    EXPECT_EQ(NumSub(admin.get(), "gone"), 1);
  }
  EXPECT_TRUE(NumSubBecomes(admin.get(), "gone", 0)) << "NUMSUB stays " << NumSub(admin.get(), "gone");
  EXPECT_EQ(Command(admin.get(), {"PUBSUB", "NUMPAT"})->integer, 0);
  EXPECT_EQ(Command(admin.get(), {"PUBLISH", "gone", "x"})->integer, 0);
  EXPECT_EQ(Command(admin.get(), {"PUBSUB", "CHANNELS"})->elements, 0u);
}

TEST(PubSub, Resp3SubscriberGetsPushFramesAndRunsCommands) {
  ServerProcess server;
  auto admin = server.Connect();
  Command(admin.get(), {"SET", "k", "v"});
  Resp3Client sub(server.port());
  Frame hello = sub.Call({"HELLO", "3"});
  ASSERT_EQ(hello.type, '%');

  EXPECT_TRUE(IsPush(sub.Call({"SUBSCRIBE", "ch"}), {"subscribe", "ch"}, 1));
  EXPECT_TRUE(IsPush(sub.Call({"PSUBSCRIBE", "c*"}), {"psubscribe", "c*"}, 2));
  // Any command runs while subscribed in RESP3, with its ordinary reply.
  Frame get = sub.Call({"GET", "k"});
  EXPECT_EQ(get.type, '$');
  EXPECT_EQ(get.str, "v");
  Frame missing = sub.Call({"GET", "nothing"});
  EXPECT_EQ(missing.type, '_');
  Frame pong = sub.Call({"PING"});
  EXPECT_EQ(pong.type, '+');
  EXPECT_EQ(pong.str, "PONG");

  EXPECT_EQ(Command(admin.get(), {"PUBLISH", "ch", "hi"})->integer, 2);
  EXPECT_TRUE(IsPush(sub.Next(), {"message", "ch", "hi"}));
  EXPECT_TRUE(IsPush(sub.Next(), {"pmessage", "c*", "ch", "hi"}));

  // A message published while the subscriber has a command in flight: both arrive, each framed as
  // what it is (the push as a push, the reply as the command's reply).
  EXPECT_EQ(Command(admin.get(), {"PUBLISH", "cx", "mid"})->integer, 1);
  sub.Send({"INCR", "n"});
  Frame first = sub.Next(), second = sub.Next();
  const Frame& push = first.type == '>' ? first : second;
  const Frame& reply = first.type == '>' ? second : first;
  EXPECT_TRUE(IsPush(push, {"pmessage", "c*", "cx", "mid"}));
  EXPECT_EQ(reply.type, ':');
  EXPECT_EQ(reply.integer, 1);

  // A RESP3 client publishing to itself gets the push before PUBLISH's reply, as in Redis.
  sub.Send({"PUBLISH", "ch", "self"});
  EXPECT_TRUE(IsPush(sub.Next(), {"message", "ch", "self"}));
  EXPECT_TRUE(IsPush(sub.Next(), {"pmessage", "c*", "ch", "self"}));
  Frame count = sub.Next();
  EXPECT_EQ(count.type, ':');
  EXPECT_EQ(count.integer, 2);

  EXPECT_TRUE(IsPush(sub.Call({"UNSUBSCRIBE", "ch"}), {"unsubscribe", "ch"}, 1));
  EXPECT_TRUE(IsPush(sub.Call({"PUNSUBSCRIBE"}), {"punsubscribe", "c*"}, 0));
  EXPECT_EQ(Command(admin.get(), {"PUBLISH", "ch", "late"})->integer, 0);
  EXPECT_TRUE(sub.Silent(0.1));
}

}  // namespace
}  // namespace latchkey::testing
