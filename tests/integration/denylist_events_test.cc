// Revocation events of DENY.ADD and NOTBEFORE.SET (SPEC §2, §5): what is published on lk:revocations
// and when, EVENTS.SINCE serving the same messages with paging, concurrent writers (contiguous
// numbering, linearizable adds and raises), a subscriber that reconnects and catches up without
// losing or repeating an event, and TRIMMED past the retention, across a restart too.
#include <algorithm>
#include <atomic>
#include <random>
#include <thread>

#include "denylist_test_helpers.h"

namespace latchkey::testing {
namespace {

TEST(DenylistEvents, PublishedOnChangeAndServedBySince) {
  ServerProcess server;
  auto c = server.Connect();
  auto sub = SubscribeRevocations(server);
  const int64_t now = NowS();

  EXPECT_EQ(DenyAdd(c.get(), kIss, "jti-1", now + 600, {"REASON", "key compromise"}), 1);
  EXPECT_EQ(DenyAdd(c.get(), kIss, "jti-1", now + 600), 0);  // nothing changes: no event
  EXPECT_EQ(DenyAdd(c.get(), "iss 2", "50%", now + 700, {"SUB", "bob"}), 1);
  EXPECT_EQ(DenyAdd(c.get(), kIss, "expired", now - 600), 0);  // nothing stored: no event
  EXPECT_EQ(Int(Command(c.get(), {"NOTBEFORE.SET", "SUB", "alice", "100"})), 100);
  EXPECT_EQ(Int(Command(c.get(), {"NOTBEFORE.SET", "SUB", "alice", "50"})), 100);  // no rise: no event
  EXPECT_EQ(Int(Command(c.get(), {"NOTBEFORE.SET", "SUB", "alice", "100", "TTL", "90000"})),
            100);  // life only
  EXPECT_EQ(Int(Command(c.get(), {"NOTBEFORE.SET", "SUB", "alice", "150"})), 150);
  EXPECT_EQ(Int(Command(c.get(), {"NOTBEFORE.SET", "CLIENT", "web app", "200"})), 200);
  EXPECT_EQ(Int(Command(c.get(), {"NOTBEFORE.SET", "GLOBAL", "*", "300"})), 300);
  EXPECT_EQ(Int(Command(c.get(), {"NOTBEFORE.SET", "GLOBAL", "*", "300"})), 300);  // no rise: no event
  // Reads publish nothing.
  EXPECT_EQ(DenyCheck(c.get(), kIss, "jti-1", {"SUB", "alice", "IAT", "1"}), 1);
  EXPECT_EQ(NotBeforeGet(c.get(), "SUB", "alice"), 150);

  const std::vector<std::string> want = {
      JtiEventText(1, kIss, "jti-1", now + 600, "key%20compromise"),
      "2 jti iss%202 50%25 " + std::to_string(now + 700) + " revoked",
      "3 sub alice 100",
      "4 sub alice 150",
      "5 client web%20app 200",
      "6 global * 300",
  };
  std::vector<std::string> got;
  for (size_t i = 0; i < want.size(); ++i) {
    auto m = NextMessage(sub.get());
    ASSERT_TRUE(m) << "event " << i << " did not arrive";
    got.push_back(*m);
  }
  EXPECT_EQ(got, want);
  EXPECT_TRUE(NoMoreMessages(sub.get()));

  // EVENTS.SINCE: the same messages, in order, with the head.
  EventsPage all = EventsSince(c.get(), 0);
  EXPECT_EQ(all.head, 6);
  EXPECT_EQ(all.events, want);
  EXPECT_EQ(EventsSince(c.get(), 3).events, std::vector<std::string>(want.begin() + 3, want.end()));
  // Paging with COUNT.
  EventsPage page1 = EventsSince(c.get(), 0, 4);
  EXPECT_EQ(page1.head, 6);
  EXPECT_EQ(page1.events, std::vector<std::string>(want.begin(), want.begin() + 4));
  EventsPage page2 = EventsSince(c.get(), 4, 4);
  EXPECT_EQ(page2.head, 6);
  EXPECT_EQ(page2.events, std::vector<std::string>(want.begin() + 4, want.end()));
  EXPECT_EQ(EventsSince(c.get(), 2, 1).events, std::vector<std::string>{want[2]});
  // At or past the head: [head, []].
  for (uint64_t since : {6u, 7u, 1000000u}) {
    EventsPage none = EventsSince(c.get(), since);
    EXPECT_EQ(none.error, "") << since;
    EXPECT_EQ(none.head, 6) << since;
    EXPECT_TRUE(none.events.empty()) << since;
  }
  EXPECT_EQ(InfoField(c.get(), "denylist", "events_head_seq"), 6);
}

TEST(DenylistEvents, ConcurrentWritersPublishContiguouslyInOrder) {
  ServerProcess server({"--io-threads", "2"});
  auto sub = SubscribeRevocations(server);
  constexpr int kThreads = 4, kPerThread = 50;
  const int64_t now = NowS();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto c = server.Connect();
      for (int i = 0; i < kPerThread; ++i) {
        if (i % 5 == 4) {
          EXPECT_EQ(Int(Command(c.get(), {"NOTBEFORE.SET", "SUB", Numbered("user-", t), std::to_string(i)})),
                    i);
        } else {
          EXPECT_EQ(DenyAdd(c.get(), kIss, Numbered("t", t * 1000 + i), now + 600), 1);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  std::vector<std::string> live;
  for (int i = 0; i < kThreads * kPerThread; ++i) {
    auto m = NextMessage(sub.get());
    ASSERT_TRUE(m) << "event " << i << " did not arrive";
    live.push_back(*m);
    EXPECT_EQ(EventSeq(*m), static_cast<uint64_t>(i + 1)) << "out of order or a gap: " << *m;
  }
  EXPECT_TRUE(NoMoreMessages(sub.get()));
  auto c = server.Connect();
  EventsPage since = EventsSince(c.get(), 0);
  EXPECT_EQ(since.head, kThreads * kPerThread);
  EXPECT_EQ(since.events, live);
}

// SPEC §2: commands on the same subject are linearizable. Many clients adding the same jtis and
// raising the same watermark: each jti is new for exactly one of them, each NOTBEFORE.SET answers at
// least its own value and never less than that client saw before, and the events announce strictly
// rising values ending at the maximum.
TEST(DenylistEvents, SameJtiAndWatermarkFromManyClients) {
  ServerProcess server({"--io-threads", "2"});
  auto sub = SubscribeRevocations(server);
  constexpr int kThreads = 6, kJtis = 20, kSets = 40;
  const int64_t now = NowS();
  std::vector<std::vector<int64_t>> added(kThreads, std::vector<int64_t>(kJtis, -1));
  std::vector<int64_t> max_set(kThreads, 0);
  std::atomic<int> regressions{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto c = server.Connect();
      std::mt19937 rng(static_cast<uint32_t>(77 + t));
      int64_t seen = 0;
      for (int i = 0; i < std::max(kJtis, kSets); ++i) {
        if (i < kJtis) added[t][i] = DenyAdd(c.get(), kIss, Numbered("shared-", i), now + 600);
        if (i < kSets) {
          const int64_t value = 1000 + static_cast<int64_t>(rng() % 100000);
          max_set[t] = std::max(max_set[t], value);
          const int64_t got =
              Int(Command(c.get(), {"NOTBEFORE.SET", "SUB", "shared", std::to_string(value)}));
          if (got < value || got < seen) ++regressions;
          seen = std::max(seen, got);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(regressions.load(), 0)
      << "a NOTBEFORE.SET answered less than its value or than an earlier answer";
  for (int i = 0; i < kJtis; ++i) {
    int ones = 0;
    for (int t = 0; t < kThreads; ++t) {
      EXPECT_TRUE(added[t][i] == 0 || added[t][i] == 1) << added[t][i];
      ones += added[t][i] == 1 ? 1 : 0;
    }
    EXPECT_EQ(ones, 1) << "shared-" << i << " was new for " << ones << " clients";
  }
  const int64_t max = *std::max_element(max_set.begin(), max_set.end());
  auto c = server.Connect();
  EXPECT_EQ(NotBeforeGet(c.get(), "SUB", "shared"), max);

  WaitCommitted(c.get());
  EventsPage all = EventsSince(c.get(), 0);
  int jti_events = 0;
  int64_t last_value = -1;
  for (size_t i = 0; i < all.events.size(); ++i) {
    const std::string& m = all.events[i];
    EXPECT_EQ(EventSeq(m), i + 1);
    const std::string rest = m.substr(m.find(' ') + 1);
    if (rest.rfind("jti ", 0) == 0) {
      ++jti_events;
    } else {
      ASSERT_EQ(rest.rfind("sub shared ", 0), 0u) << m;
      const int64_t value = std::stoll(rest.substr(11));
      EXPECT_GT(value, last_value) << "a sub event that does not raise the watermark: " << m;
      last_value = value;
    }
  }
  EXPECT_EQ(jti_events, kJtis);
  EXPECT_EQ(last_value, max);
  // The live stream is the same, in the same order.
  for (size_t i = 0; i < all.events.size(); ++i) {
    auto m = NextMessage(sub.get());
    ASSERT_TRUE(m) << "live event " << i << " did not arrive";
    EXPECT_EQ(*m, all.events[i]);
  }
  EXPECT_TRUE(NoMoreMessages(sub.get()));
}

// A gateway's reconnect: it subscribes again first, then reads EVENTS.SINCE <last seen>, and merges
// both by sequence number. Every event must then be seen exactly once.
TEST(DenylistEvents, ReconnectingSubscriberCatchesUpExactlyOnce) {
  ServerProcess server;
  auto c = server.Connect();
  const int64_t now = NowS();
  uint64_t next_jti = 1;  // jti-k is published as event k: one writer at a time below
  auto publish = [&](redisContext* conn, int n) {
    for (int i = 0; i < n; ++i, ++next_jti) {
      EXPECT_EQ(DenyAdd(conn, kIss, Numbered("jti-", static_cast<int64_t>(next_jti)), now + 600), 1);
    }
  };
  std::map<uint64_t, std::string> seen;  // seq → message, from either source
  size_t duplicates = 0, mismatches = 0;
  auto merge = [&](const std::string& message) {
    const uint64_t seq = EventSeq(message);
    auto [it, inserted] = seen.emplace(seq, message);
    if (!inserted) {
      ++duplicates;
      if (it->second != message) ++mismatches;
    }
  };

  // Connected: events 1..10 arrive live.
  uint64_t last_seen = 0;
  {
    auto sub = SubscribeRevocations(server);
    publish(c.get(), 10);
    for (int i = 0; i < 10; ++i) {
      auto m = NextMessage(sub.get());
      ASSERT_TRUE(m);
      merge(*m);
      last_seen = EventSeq(*m);
    }
    ASSERT_EQ(last_seen, 10u);
  }  // disconnected
  // Missed while away: 11..25 (published before the new subscription: replies may precede it).
  publish(c.get(), 15);
  WaitCommitted(c.get());

  // Reconnect: subscribe, then events 26..30 (seen live and by the catch-up), then the catch-up while
  // another client keeps publishing 31..70.
  auto sub = SubscribeRevocations(server);
  publish(c.get(), 5);
  WaitCommitted(c.get());
  const size_t duplicates_before = duplicates;
  std::thread writer([&] {
    auto other = server.Connect();
    publish(other.get(), 40);
  });
  uint64_t cursor = last_seen;
  size_t pages = 0;
  for (;;) {
    EventsPage page = EventsSince(c.get(), cursor, 6);
    ASSERT_EQ(page.error, "");
    ++pages;
    if (page.events.empty()) {
      EXPECT_EQ(static_cast<uint64_t>(page.head), cursor);
      break;
    }
    for (const auto& m : page.events) {
      EXPECT_EQ(EventSeq(m), cursor + 1) << "EVENTS.SINCE skipped or repeated an event";
      cursor = EventSeq(m);
      merge(m);
    }
    if (pages > 100) break;
  }
  writer.join();
  // Then live until the last event (70).
  constexpr uint64_t kLast = 10 + 15 + 5 + 40;
  uint64_t live_seq = 0;
  while (live_seq < kLast) {
    auto m = NextMessage(sub.get());
    ASSERT_TRUE(m) << "live event after " << live_seq << " did not arrive";
    const uint64_t seq = EventSeq(*m);
    EXPECT_EQ(seq, live_seq == 0 ? 26 : live_seq + 1) << "the live stream does not start at 26 or has a gap";
    live_seq = seq;
    merge(*m);
  }
  EXPECT_TRUE(NoMoreMessages(sub.get()));

  EXPECT_GE(duplicates - duplicates_before, 5u) << "events 26..30 came by both ways";
  EXPECT_EQ(mismatches, 0u) << "the same seq carried different messages live and in EVENTS.SINCE";
  ASSERT_EQ(seen.size(), kLast) << "an event was missed";
  uint64_t expected = 1;
  for (const auto& [seq, message] : seen) {
    EXPECT_EQ(seq, expected);
    EXPECT_EQ(message, JtiEventText(seq, kIss, Numbered("jti-", static_cast<int64_t>(seq)), now + 600));
    ++expected;
  }
  EXPECT_EQ(EventsSince(c.get(), 0).head, static_cast<int64_t>(kLast));
}

TEST(DenylistEvents, TrimmedPastTheRetention) {
  DataDir dir;
  auto server =
      std::make_unique<ServerProcess>(dir.path(), std::vector<std::string>{"--max-token-lifetime", "1"});
  auto c = server->Connect();
  const int64_t now = NowS();
  const double start = Now();
  EXPECT_EQ(DenyAdd(c.get(), kIss, "first", now + 600), 1);
  // Without TTL a watermark lives max-token-lifetime seconds.
  EXPECT_EQ(Int(Command(c.get(), {"NOTBEFORE.SET", "SUB", "alice", "5"})), 5);
  WaitCommitted(c.get());
  EventsPage early = EventsSince(c.get(), 0);
  EXPECT_EQ(early.head, 2);
  EXPECT_EQ(early.events,
            (std::vector<std::string>{JtiEventText(1, kIss, "first", now + 600), "2 sub alice 5"}));

  SleepUntil(start, 2.5);
  EXPECT_EQ(NotBeforeGet(c.get(), "SUB", "alice"), std::nullopt) << "the default TTL is max-token-lifetime";
  EXPECT_EQ(DenyCheck(c.get(), kIss, "first"), 1) << "the entry lives to exp + leeway, not the lifetime";
  EXPECT_EQ(DenyAdd(c.get(), kIss, "second", now + 600), 1);
  WaitCommitted(c.get());

  // Events 1 and 2 are past the retention: asking for them is TRIMMED, asking from 2 on is fine.
  for (uint64_t since : {0u, 1u}) {
    EventsPage trimmed = EventsSince(c.get(), since);
    EXPECT_EQ(trimmed.error.rfind("TRIMMED", 0), 0u)
        << since << ": '" << trimmed.error << "' head " << trimmed.head;
    EXPECT_TRUE(trimmed.events.empty());
  }
  EventsPage rest = EventsSince(c.get(), 2);
  EXPECT_EQ(rest.error, "");
  EXPECT_EQ(rest.head, 3);
  EXPECT_EQ(rest.events, std::vector<std::string>{JtiEventText(3, kIss, "second", now + 600)});
  EventsPage none = EventsSince(c.get(), 3);
  EXPECT_EQ(none.error, "");
  EXPECT_EQ(none.head, 3);
  EXPECT_TRUE(none.events.empty());

  // After a restart: still TRIMMED before 3, the same event 3, and the next event is numbered 4.
  EXPECT_EQ(WEXITSTATUS(server->Terminate(SIGTERM)), 0);
  c.reset();
  server = std::make_unique<ServerProcess>(dir.path(), std::vector<std::string>{"--max-token-lifetime", "1"});
  c = server->Connect();
  EXPECT_EQ(EventsSince(c.get(), 1).error.rfind("TRIMMED", 0), 0u);
  EXPECT_EQ(EventsSince(c.get(), 2).events,
            std::vector<std::string>{JtiEventText(3, kIss, "second", now + 600)});
  EXPECT_EQ(DenyAdd(c.get(), kIss, "third", now + 600), 1);
  WaitCommitted(c.get());
  EventsPage after = EventsSince(c.get(), 3);
  EXPECT_EQ(after.head, 4);
  EXPECT_EQ(after.events, std::vector<std::string>{JtiEventText(4, kIss, "third", now + 600)});
}

}  // namespace
}  // namespace latchkey::testing
