// DENY.* and NOTBEFORE.* across restarts and kill -9 (SPEC §2 durability, §5): a restart changes no
// answer, entries whose deadline passed while the server was down are gone, and with `fsync always`
// whatever was acknowledged before a kill -9 is there afterwards, events included.
#include "denylist_test_helpers.h"

namespace latchkey::testing {
namespace {

// The state a restart must not change: answers of DENY.CHECK, DENY.SCAN, NOTBEFORE.GET, EVENTS.SINCE.
struct Snapshot {
  std::map<std::string, int64_t> checks;  // jti → DENY.CHECK answer
  ScanResult scan;
  std::map<std::string, std::optional<int64_t>> watermarks;  // "SCOPE id" → NOTBEFORE.GET
  EventsPage events;
};

const std::vector<std::string> kJtis = {"long", "longer", "with space", "short", "never-added"};
const std::vector<std::pair<std::string, std::string>> kWatermarks = {
    {"SUB", "alice"}, {"CLIENT", "web"}, {"GLOBAL", "*"}, {"SUB", "brief"}, {"SUB", "unset"}};

Snapshot Take(redisContext* c) {
  WaitCommitted(c);
  Snapshot s;
  for (const auto& jti : kJtis) s.checks[jti] = DenyCheck(c, kIss, jti);
  s.scan = ScanAll(c, 3);
  for (const auto& [scope, id] : kWatermarks) s.watermarks[scope + " " + id] = NotBeforeGet(c, scope, id);
  s.events = EventsSince(c, 0);
  return s;
}

TEST(DenylistDurability, RestartChangesNothingAndDropsWhatExpiredWhileDown) {
  DataDir dir;
  Snapshot before;
  int64_t now = 0, brief_set_ms = 0;
  {
    ServerProcess server(dir.path(), {"--deny-leeway-seconds", "0"});
    auto c = server.Connect();
    now = AwayFromSecondEnd(400);
    EXPECT_EQ(DenyAdd(c.get(), kIss, "long", now + 3600, {"SUB", "alice", "REASON", "logout"}), 1);
    EXPECT_EQ(DenyAdd(c.get(), kIss, "longer", now + 7200), 1);
    EXPECT_EQ(DenyAdd(c.get(), kIss, "with space", now + 100), 1);
    EXPECT_EQ(DenyAdd(c.get(), kIss, "short", now + 1), 1);  // deadline now+1 (leeway 0)
    EXPECT_EQ(Int(Command(c.get(), {"NOTBEFORE.SET", "SUB", "alice", "100"})), 100);
    EXPECT_EQ(Int(Command(c.get(), {"NOTBEFORE.SET", "CLIENT", "web", "200"})), 200);
    EXPECT_EQ(Int(Command(c.get(), {"NOTBEFORE.SET", "GLOBAL", "*", "300"})), 300);
    brief_set_ms = UnixMs();
    EXPECT_EQ(Int(Command(c.get(), {"NOTBEFORE.SET", "SUB", "brief", "400", "TTL", "1"})), 400);
    before = Take(c.get());
    ASSERT_TRUE(before.scan.ok);
    EXPECT_EQ(before.checks["short"], 1);
    EXPECT_EQ(before.scan.entries.size(), 4u);
    EXPECT_EQ(before.watermarks["SUB brief"], 400);
    EXPECT_EQ(before.events.head, 8);
    EXPECT_EQ(before.events.events.size(), 8u);
    RawClient raw(server.port());
    raw.Send("SHUTDOWN\r\n");
    EXPECT_TRUE(raw.ClosedByPeer());
    EXPECT_EQ(WEXITSTATUS(server.WaitExit(10)), 0);
  }
  // While the server is down, "short" and the watermark "brief" reach their deadlines.
  SleepUntilUnixMs(std::max((now + 1) * 1000, brief_set_ms + 1000) + 150);

  // What the restart must show: the same, minus what expired while down. The leeway is back to its
  // default (120): stored deadlines are not recomputed.
  Snapshot want = before;
  want.checks["short"] = 0;
  want.scan.entries.erase(std::make_pair(std::string(kIss), std::string("short")));
  want.watermarks["SUB brief"] = std::nullopt;
  auto expect_same = [&](const Snapshot& got, const char* when) {
    EXPECT_EQ(got.checks, want.checks) << when;
    EXPECT_TRUE(got.scan.ok) << when;
    EXPECT_EQ(got.scan.duplicates, 0u) << when;
    EXPECT_EQ(got.scan.entries, want.scan.entries) << when;
    EXPECT_EQ(got.watermarks, want.watermarks) << when;
    EXPECT_EQ(got.events.head, want.events.head) << when;
    EXPECT_EQ(got.events.events, want.events.events) << when;
  };
  {
    ServerProcess server(dir.path(), {});
    auto c = server.Connect();
    expect_same(Take(c.get()), "after SHUTDOWN and restart");
    EXPECT_EQ(InfoField(c.get(), "denylist", "denylist_entries"), 3);
    EXPECT_EQ(InfoField(c.get(), "denylist", "denylist_loaded"), 6) << "3 entries and 3 watermarks";
    EXPECT_EQ(InfoField(c.get(), "denylist", "watermarks_sub"), 1);
    EXPECT_EQ(InfoField(c.get(), "denylist", "watermarks_client"), 1);
    EXPECT_EQ(InfoField(c.get(), "denylist", "watermarks_global"), 1);
    // The restored watermarks still revoke, by the same rules.
    EXPECT_EQ(DenyCheck(c.get(), kIss, "x", {"SUB", "alice", "CLIENT", "web", "IAT", "300"}), 4);
    EXPECT_EQ(DenyCheck(c.get(), kIss, "x", {"SUB", "alice", "CLIENT", "web", "IAT", "301"}), 0);
    EXPECT_EQ(DenyCheck(c.get(), kIss, "x", {"SUB", "brief", "IAT", "350"}), 0);
    // Monotonic across the restart: lower values do not stick.
    EXPECT_EQ(Int(Command(c.get(), {"NOTBEFORE.SET", "SUB", "alice", "10"})), 100);
    // An existing entry is still existing; the expired one is new again, with events numbered on.
    // (With the leeway now 120, exp now+3480 gives the stored deadline, now+3600: nothing changes.)
    EXPECT_EQ(DenyAdd(c.get(), kIss, "long", now + 3600 - 120), 0);
    EXPECT_EQ(DenyAdd(c.get(), kIss, "short", now + 1), 1) << "now+1 + 120 s of leeway is ahead";
    WaitCommitted(c.get());
    EventsPage after = EventsSince(c.get(), 8);
    ASSERT_EQ(after.events.size(), 1u) << ::testing::PrintToString(after.events);
    EXPECT_EQ(after.head, 9);
    EXPECT_EQ(after.events[0], JtiEventText(9, kIss, "short", now + 1));
    ASSERT_EQ(WEXITSTATUS(server.Terminate(SIGTERM)), 0);
  }
  // A second restart (after SIGTERM) keeps the re-added entry too.
  want.checks["short"] = 1;
  want.scan.entries[std::make_pair(std::string(kIss), std::string("short"))] = now + 1;
  want.events.head = 9;
  want.events.events.push_back(JtiEventText(9, kIss, "short", now + 1));
  ServerProcess server(dir.path(), {});
  auto c = server.Connect();
  expect_same(Take(c.get()), "after SIGTERM and restart");
}

TEST(DenylistDurability, Kill9RightAfterAcknowledgedWritesKeepsThem) {
  DataDir dir;
  const int64_t now = NowS();
  {
    ServerProcess server(dir.path(), {"--fsync", "always"});
    auto c = server.Connect();
    EXPECT_EQ(DenyAdd(c.get(), kIss, "first", now + 600), 1);
    EXPECT_EQ(Int(Command(c.get(), {"NOTBEFORE.SET", "SUB", "alice", "100"})), 100);
    EXPECT_EQ(Int(Command(c.get(), {"NOTBEFORE.SET", "CLIENT", "web", "200"})), 200);
    EXPECT_EQ(DenyAdd(c.get(), kIss, "second", now + 600, {"SUB", "bob"}), 1);
    EXPECT_EQ(Int(Command(c.get(), {"NOTBEFORE.SET", "GLOBAL", "*", "300"})), 300);
    // A pipelined burst: every reply read, then kill -9 at once.
    for (int i = 0; i < 50; ++i) {
      AppendCommand(c.get(), {"DENY.ADD", kIss, Numbered("burst-", i), std::to_string(now + 600 + i)});
    }
    for (int i = 0; i < 50; ++i) EXPECT_EQ(Int(NextReply(c.get())), 1) << i;
    EXPECT_EQ(DenyAdd(c.get(), kIss, "last", now + 600), 1);
    server.Kill9();
  }
  constexpr int64_t kEvents = 5 + 50 + 1;
  {
    ServerProcess server(dir.path(), {"--fsync", "always"});
    auto c = server.Connect();
    EXPECT_EQ(DenyCheck(c.get(), kIss, "first"), 1);
    EXPECT_EQ(DenyCheck(c.get(), kIss, "second"), 1);
    EXPECT_EQ(DenyCheck(c.get(), kIss, "last"), 1) << "the entry acknowledged just before kill -9 was lost";
    for (int i = 0; i < 50; ++i) EXPECT_EQ(DenyCheck(c.get(), kIss, Numbered("burst-", i)), 1) << i;
    EXPECT_EQ(NotBeforeGet(c.get(), "SUB", "alice"), 100);
    EXPECT_EQ(NotBeforeGet(c.get(), "CLIENT", "web"), 200);
    EXPECT_EQ(NotBeforeGet(c.get(), "GLOBAL", "*"), 300);
    WaitCommitted(c.get());
    ScanResult scan = ScanAll(c.get(), 20);
    ASSERT_TRUE(scan.ok);
    EXPECT_EQ(scan.entries.size(), 53u);
    // Every event was in the same batch as its state: all of them, in order, numbered 1..56.
    EventsPage events = EventsSince(c.get(), 0);
    EXPECT_EQ(events.head, kEvents);
    ASSERT_EQ(events.events.size(), static_cast<size_t>(kEvents));
    for (size_t i = 0; i < events.events.size(); ++i) EXPECT_EQ(EventSeq(events.events[i]), i + 1);
    EXPECT_EQ(events.events[1], "2 sub alice 100");
    EXPECT_EQ(events.events.back(), JtiEventText(56, kIss, "last", now + 600));

    // A watermark raised just before another kill -9, and the events numbered on from the head.
    EXPECT_EQ(Int(Command(c.get(), {"NOTBEFORE.SET", "SUB", "alice", "500"})), 500);
    server.Kill9();
  }
  ServerProcess server(dir.path(), {});
  auto c = server.Connect();
  EXPECT_EQ(NotBeforeGet(c.get(), "SUB", "alice"), 500) << "the raise acknowledged before kill -9 was lost";
  EXPECT_EQ(DenyCheck(c.get(), kIss, "x", {"SUB", "alice", "IAT", "500"}), 2);
  WaitCommitted(c.get());
  EventsPage tail = EventsSince(c.get(), kEvents);
  EXPECT_EQ(tail.head, kEvents + 1);
  EXPECT_EQ(tail.events, std::vector<std::string>{"57 sub alice 500"});
  EXPECT_EQ(DenyAdd(c.get(), kIss, "after", now + 600), 1);
  WaitCommitted(c.get());
  EXPECT_EQ(EventsSince(c.get(), kEvents + 1).events,
            std::vector<std::string>{JtiEventText(58, kIss, "after", now + 600)})
      << "a sequence number was reused after kill -9";
}

// SPEC §2: a failed write changes nothing in memory either, and announces nothing.
TEST(DenylistDurability, FailingDiskChangesNothingAndPublishesNothing) {
  DataDir dir;
  const int64_t now = NowS();
  {
    ServerProcess server(dir.path(), {"--fsync", "always", "--enable-debug-command", "yes"});
    auto c = server.Connect();
    auto sub = SubscribeRevocations(server);
    EXPECT_EQ(DenyAdd(c.get(), kIss, "kept", now + 600), 1);
    EXPECT_EQ(Int(Command(c.get(), {"NOTBEFORE.SET", "SUB", "alice", "100"})), 100);
    ASSERT_EQ(NextMessage(sub.get()), JtiEventText(1, kIss, "kept", now + 600));
    ASSERT_EQ(NextMessage(sub.get()), "2 sub alice 100");

    EXPECT_STREQ(Command(c.get(), {"DEBUG", "DISK-FAIL", "on"})->str, "OK");
    auto failed = Command(c.get(), {"DENY.ADD", kIss, "lost", std::to_string(now + 600)});
    ASSERT_EQ(failed->type, REDIS_REPLY_ERROR);
    EXPECT_EQ(Str(failed.get()).rfind("MISCONF", 0), 0u) << Str(failed.get());
    EXPECT_EQ(DenyCheck(c.get(), kIss, "lost"), 0) << "a failed DENY.ADD left the entry in memory";
    auto refused = Command(c.get(), {"NOTBEFORE.SET", "SUB", "alice", "500"});
    ASSERT_EQ(refused->type, REDIS_REPLY_ERROR);
    EXPECT_EQ(Str(refused.get()).rfind("MISCONF", 0), 0u) << Str(refused.get());
    EXPECT_EQ(NotBeforeGet(c.get(), "SUB", "alice"), 100) << "a failed NOTBEFORE.SET moved the watermark";
    EXPECT_EQ(DenyCheck(c.get(), kIss, "x", {"SUB", "alice", "IAT", "300"}), 0);
    EXPECT_TRUE(NoMoreMessages(sub.get(), 0.3)) << "an event was published for a failed write";
    // Reads still work.
    EXPECT_EQ(DenyCheck(c.get(), kIss, "kept"), 1);

    EXPECT_STREQ(Command(c.get(), {"DEBUG", "DISK-FAIL", "off"})->str, "OK");
    bool recovered = false;
    for (int i = 0; i < 50 && !recovered; ++i) {
      auto r = Command(c.get(), {"DENY.ADD", kIss, "after", std::to_string(now + 600)});
      recovered = r->type == REDIS_REPLY_INTEGER;
      if (!recovered) Sleep(0.1);
    }
    ASSERT_TRUE(recovered);
    EXPECT_EQ(DenyCheck(c.get(), kIss, "after"), 1);
    WaitCommitted(c.get());
    // Only acknowledged changes are in the log, in order.
    EventsPage events = EventsSince(c.get(), 0);
    ASSERT_EQ(events.events.size(), 3u) << ::testing::PrintToString(events.events);
    EXPECT_EQ(events.events[0], JtiEventText(1, kIss, "kept", now + 600));
    EXPECT_EQ(events.events[1], "2 sub alice 100");
    EXPECT_EQ(events.events[2], JtiEventText(EventSeq(events.events[2]), kIss, "after", now + 600));
    EXPECT_GE(EventSeq(events.events[2]), 3u);
    server.Kill9();
  }
  ServerProcess server(dir.path(), {});
  auto c = server.Connect();
  EXPECT_EQ(DenyCheck(c.get(), kIss, "kept"), 1);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "after"), 1);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "lost"), 0);
  EXPECT_EQ(NotBeforeGet(c.get(), "SUB", "alice"), 100);
}

}  // namespace
}  // namespace latchkey::testing
