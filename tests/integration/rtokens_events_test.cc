// RTOKEN.* revocation events and concurrency (SPEC §2, §4): the per-(sub, client) cap revoking the
// oldest family with an event, reuse and REVOKEALL events on lk:revocations and in EVENTS.SINCE,
// DENY.CHECK FAMILY following the family, and many connections presenting the same token at once.
#include <barrier>

#include "rtoken_test_helpers.h"

namespace latchkey::testing {
namespace {

// ---- 1. The cap, events, DENY.CHECK FAMILY. ----

TEST(RtokenFamilies, MaxFamiliesRevokesTheOldestWithAnEvent) {
  ServerProcess server;
  auto c = server.Connect();
  EXPECT_STREQ(Command(c.get(), {"CONFIG", "SET", "rtoken-max-families", "2"})->str, "OK");
  auto got = Command(c.get(), {"CONFIG", "GET", "rtoken-max-families"});
  ASSERT_EQ(got->elements, 2u);
  EXPECT_EQ(Str(got->element[1]), "2");
  auto sub = SubscribeRevocations(server, 10);

  IssuedFamily h1 = IssueFamily(c.get(), "hank", "web", 3600, 600);
  IssuedFamily h2 = IssueFamily(c.get(), "hank", "web", 3600, 600);
  IssuedFamily m = IssueFamily(c.get(), "hank", "mobile", 3600, 600);
  IssuedFamily other = IssueFamily(c.get(), "ida", "web", 3600, 600);
  EXPECT_EQ(InfoField(c.get(), "rtokens", "rtoken_evictions"), 0);
  IssuedFamily h3 = IssueFamily(c.get(), "hank", "web", 3600, 600);
  auto event = NextMessage(sub.get());
  ASSERT_TRUE(event);
  EXPECT_EQ(event->substr(event->find(' ') + 1), "family hank " + h1.family + " evicted");
  EXPECT_TRUE(NoMoreMessages(sub.get()));
  EXPECT_EQ(InfoField(c.get(), "rtokens", "rtoken_evictions"), 1);
  EXPECT_TRUE(IsError(RotateReply(c.get(), h1.token), kRevokedError));
  EXPECT_EQ(Inspect(c.get(), h1.token)->str("reason"), "evicted");
  EXPECT_EQ(DenyCheck(c.get(), kIss, "j", {"FAMILY", h1.family}), 5);
  for (const auto* f : {&h2, &h3, &m, &other}) EXPECT_EQ(Presented(c.get(), f->token), "head") << f->family;
  EXPECT_EQ(Command(c.get(), {"RTOKEN.LIST", "hank", "CLIENT", "web"})->elements, 3u);

  // Revoked families do not count against the cap.
  EXPECT_EQ(Int(Command(c.get(), {"RTOKEN.REVOKE", h3.token})), 1);
  IssuedFamily h4 = IssueFamily(c.get(), "hank", "web", 3600, 600);
  EXPECT_EQ(InfoField(c.get(), "rtokens", "rtoken_evictions"), 1);
  EXPECT_EQ(Presented(c.get(), h2.token), "head");
  IssuedFamily h5 = IssueFamily(c.get(), "hank", "web", 3600, 600);
  EXPECT_EQ(InfoField(c.get(), "rtokens", "rtoken_evictions"), 2);
  EXPECT_EQ(Inspect(c.get(), h2.token)->str("state"), "revoked");
  EXPECT_EQ(Inspect(c.get(), h4.token)->str("state"), "live");
  EXPECT_EQ(Inspect(c.get(), h5.token)->str("state"), "live");

  // 0: no cap.
  EXPECT_STREQ(Command(c.get(), {"CONFIG", "SET", "rtoken-max-families", "0"})->str, "OK");
  for (int i = 0; i < 5; ++i) IssueFamily(c.get(), "hank", "web", 3600, 600);
  EXPECT_EQ(InfoField(c.get(), "rtokens", "rtoken_evictions"), 2);
  // Lowering the cap: the next ISSUE revokes as many of the oldest as it takes (7 live, cap 3: 5).
  EXPECT_STREQ(Command(c.get(), {"CONFIG", "SET", "rtoken-max-families", "3"})->str, "OK");
  IssuedFamily newest = IssueFamily(c.get(), "hank", "web", 3600, 600);
  EXPECT_EQ(InfoField(c.get(), "rtokens", "rtoken_evictions"), 7);
  auto list = Command(c.get(), {"RTOKEN.LIST", "hank", "CLIENT", "web"});
  ASSERT_EQ(list->type, REDIS_REPLY_ARRAY);
  size_t live = 0;
  for (size_t i = 0; i < list->elements; ++i) live += Str(list->element[i]->element[13]) == "live";
  EXPECT_EQ(live, 3u);
  EXPECT_EQ(Inspect(c.get(), newest.token)->str("state"), "live");
  EXPECT_EQ(Inspect(c.get(), m.token)->str("state"), "live") << "another client's family was evicted";
}

TEST(RtokenFamilies, ReuseAndRevokeAllPublishEventsServedBySince) {
  ServerProcess server;
  auto c = server.Connect();
  auto sub = SubscribeRevocations(server, 10);
  // Issue, rotate, replay, inspect and list publish nothing.
  IssuedFamily a = IssueFamily(c.get(), "jane doe", "web", 3600, 600, {"GRACE", "60"});
  const std::string a1 = RotateToken(c.get(), a.token);
  EXPECT_EQ(RotateToken(c.get(), a.token), a1);
  Inspect(c.get(), a1);
  Command(c.get(), {"RTOKEN.LIST", "jane doe"});
  const std::string a2 = RotateToken(c.get(), a1);
  EXPECT_TRUE(IsError(RotateReply(c.get(), a.token), kReusedError));
  EXPECT_TRUE(IsError(RotateReply(c.get(), a2), kRevokedError));  // no second event
  std::vector<IssuedFamily> many;
  for (int i = 0; i < 3; ++i) many.push_back(IssueFamily(c.get(), "kim", Numbered("client-", i), 3600, 600));
  EXPECT_EQ(Int(Command(c.get(), {"RTOKEN.REVOKEALL", "kim", "REASON", "50% off"})), 3);
  EXPECT_EQ(Int(Command(c.get(), {"RTOKEN.REVOKE", many[0].token})), 0);  // no event

  std::vector<std::string> messages;
  for (int i = 0; i < 4; ++i) {
    auto m = NextMessage(sub.get());
    ASSERT_TRUE(m) << "event " << i << " did not arrive";
    messages.push_back(*m);
  }
  EXPECT_TRUE(NoMoreMessages(sub.get()));
  EXPECT_EQ(messages[0], std::to_string(EventSeq(messages[0])) + " family jane%20doe " + a.family + " reuse");
  std::set<std::string> revoked_all;
  for (size_t i = 1; i < 4; ++i) {
    EXPECT_EQ(EventSeq(messages[i]), EventSeq(messages[0]) + i);
    revoked_all.insert(messages[i].substr(messages[i].find(' ') + 1));
  }
  std::set<std::string> want;
  for (const auto& f : many) want.insert("family kim " + f.family + " 50%25%20off");
  EXPECT_EQ(revoked_all, want);

  EventsPage page = EventsSince(c.get(), 0);
  EXPECT_EQ(page.error, "");
  EXPECT_EQ(page.events, messages);
  EXPECT_EQ(page.head, static_cast<int64_t>(EventSeq(messages.back())));
  EXPECT_EQ(EventsSince(c.get(), EventSeq(messages[0])).events,
            std::vector<std::string>(messages.begin() + 1, messages.end()));
}

TEST(RtokenFamilies, DenyCheckFamilyFollowsTheFamily) {
  ServerProcess server;
  auto c = server.Connect();
  IssuedFamily f = IssueFamily(c.get(), "leo", "web", 3600, 600, {"GRACE", "60"});
  IssuedFamily g = IssueFamily(c.get(), "leo", "web", 3600, 600);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "jti-1", {"FAMILY", f.family}), 0);
  const std::string f1 = RotateToken(c.get(), f.token);
  EXPECT_EQ(RotateToken(c.get(), f.token), f1);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "jti-1", {"FAMILY", f.family}), 0) << "rotation and replay keep it live";
  RotateToken(c.get(), f1);
  EXPECT_TRUE(IsError(RotateReply(c.get(), f.token), kReusedError));
  EXPECT_EQ(DenyCheck(c.get(), kIss, "jti-1", {"FAMILY", f.family}), 5);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "jti-1", {"SUB", "leo", "FAMILY", f.family}), 5);
  // A denied jti answers 1 first.
  EXPECT_EQ(DenyAdd(c.get(), kIss, "jti-2", NowS() + 600), 1);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "jti-2", {"FAMILY", f.family}), 1);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "jti-3", {"FAMILY", g.family}), 0);
  EXPECT_EQ(Int(Command(c.get(), {"RTOKEN.REVOKE", "FAMILY", g.family})), 1);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "jti-3", {"FAMILY", g.family}), 5);
}

// ---- 2. Many connections present the same token at once. ----

TEST(RtokenRace, SameTokenFromManyConnectionsRotatesOnce) {
  ServerProcess server({"--io-threads", "2"});
  constexpr int kThreads = 16, kRounds = 30, kGraceUses = 5;
  auto c = server.Connect();
  const RtokenCounters before = ReadCounters(c.get());
  struct Answer {
    bool ok = false;
    std::string token_or_error;
    int64_t grace = -1;
  };
  std::vector<Answer> answers(kThreads);
  std::string presented;  // written by the main thread between rounds
  std::barrier sync(kThreads + 1);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto conn = server.Connect();
      for (int round = 0; round < kRounds; ++round) {
        sync.arrive_and_wait();  // `presented` is ready
        auto r = RotateReply(conn.get(), presented);
        Answer a;
        if (r != nullptr && r->type == REDIS_REPLY_ERROR) {
          a.token_or_error = Str(r.get());
        } else if (auto m = AsMap(std::move(r), 10)) {
          a = Answer{true, m->str("token"), m->num("grace")};
        }
        answers[static_cast<size_t>(t)] = a;
        sync.arrive_and_wait();  // answers are ready
      }
    });
  }
  for (int round = 0; round < kRounds; ++round) {
    IssuedFamily f = IssueFamily(c.get(), Numbered("racer-", round % 4), "web", 3600, 600,
                                 {"GRACE", "60", "GRACEUSES", std::to_string(kGraceUses)});
    presented = f.token;
    sync.arrive_and_wait();
    sync.arrive_and_wait();
    std::set<std::string> successors;
    int successes = 0, rotations = 0, reused = 0, revoked = 0, other = 0;
    for (const Answer& a : answers) {
      if (!a.ok) {
        if (a.token_or_error == kReusedError) {
          ++reused;
        } else if (a.token_or_error == kRevokedError) {
          ++revoked;
        } else {
          ++other;
          ADD_FAILURE() << "round " << round << ": unexpected answer '" << a.token_or_error << "'";
        }
        continue;
      }
      ++successes;
      successors.insert(a.token_or_error);
      if (a.grace == 0) ++rotations;
    }
    EXPECT_EQ(successors.size(), 1u) << "round " << round << ": different successors handed out";
    EXPECT_EQ(rotations, 1) << "round " << round;
    EXPECT_EQ(successes, 1 + kGraceUses) << "round " << round << ": one rotation and every grace use";
    EXPECT_EQ(reused, 1) << "round " << round;
    EXPECT_EQ(revoked, kThreads - 2 - kGraceUses) << "round " << round;
    EXPECT_EQ(other, 0) << "round " << round;
    if (successors.size() != 1) continue;
    const std::string successor = *successors.begin();
    EXPECT_NE(successor, f.token);
    // The 7th presentation was reuse and revoked the family; the rest found it revoked.
    auto view = Inspect(c.get(), successor);
    if (!view) continue;  // (a failure already; no ASSERT: the threads wait at the barrier)
    EXPECT_EQ(view->str("presented"), "head") << "round " << round;
    EXPECT_EQ(view->num("gen"), 1) << "round " << round;
    EXPECT_EQ(view->str("state"), "revoked") << "round " << round;
    EXPECT_EQ(view->str("reason"), "reuse") << "round " << round;
    EXPECT_EQ(view->num("grace_deadline"), 0) << "round " << round;
    EXPECT_EQ(Presented(c.get(), f.token), "stale") << "round " << round;
    EXPECT_TRUE(IsError(RotateReply(c.get(), successor), kRevokedError)) << "round " << round;
    EXPECT_EQ(DenyCheck(c.get(), kIss, "j", {"FAMILY", f.family}), 5) << "round " << round;
  }
  for (auto& t : threads) t.join();
  const RtokenCounters after = ReadCounters(c.get());
  EXPECT_EQ(after.rotations - before.rotations, kRounds);
  EXPECT_EQ(after.replays - before.replays, kRounds * kGraceUses);
  EXPECT_EQ(after.reuses - before.reuses, kRounds) << "exactly one REUSED per round";
  EXPECT_EQ(after.rejections - before.rejections, kRounds);
  EXPECT_EQ(after.revoked - before.revoked, kRounds);
  EXPECT_EQ(after.live, 0);
}

TEST(RtokenRace, ConcurrentIssuesNeverExceedTheCap) {
  ServerProcess server({"--io-threads", "2"});
  constexpr int kThreads = 16, kPerThread = 10, kCap = 5;
  auto c = server.Connect();
  EXPECT_STREQ(Command(c.get(), {"CONFIG", "SET", "rtoken-max-families", std::to_string(kCap)})->str, "OK");
  auto sub = SubscribeRevocations(server, 10);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      auto conn = server.Connect();
      for (int i = 0; i < kPerThread; ++i) IssueFamily(conn.get(), "quinn", "web", 3600, 600);
    });
  }
  for (auto& t : threads) t.join();
  constexpr int kEvicted = kThreads * kPerThread - kCap;
  EXPECT_EQ(InfoField(c.get(), "rtokens", "rtoken_evictions"), kEvicted);
  EXPECT_EQ(InfoField(c.get(), "rtokens", "rtoken_families_live"), kCap);
  // The live ones are the newest: every family listed before the last kCap is revoked ("evicted").
  auto list = Command(c.get(), {"RTOKEN.LIST", "quinn", "CLIENT", "web"});
  ASSERT_EQ(list->type, REDIS_REPLY_ARRAY);
  ASSERT_EQ(list->elements, static_cast<size_t>(kThreads * kPerThread));
  std::set<std::string> evicted;
  for (size_t i = 0; i < list->elements; ++i) {
    const redisReply* e = list->element[i];
    const bool live = i >= list->elements - kCap;
    EXPECT_EQ(Str(e->element[13]), live ? "live" : "revoked") << "family " << i;
    if (!live) {
      EXPECT_EQ(Str(e->element[15]), "evicted") << "family " << i;
      evicted.insert(Str(e->element[1]));
    }
  }
  // One event per eviction, each naming an evicted family once.
  std::set<std::string> announced;
  for (int i = 0; i < kEvicted; ++i) {
    auto m = NextMessage(sub.get());
    ASSERT_TRUE(m) << "event " << i << " did not arrive";
    const std::string rest = m->substr(m->find(' ') + 1);
    ASSERT_EQ(rest.rfind("family quinn ", 0), 0u) << rest;
    EXPECT_EQ(rest.substr(rest.size() - 8), " evicted") << rest;
    announced.insert(rest.substr(13, 16));
  }
  EXPECT_EQ(announced, evicted);
  EXPECT_TRUE(NoMoreMessages(sub.get()));
}

}  // namespace
}  // namespace latchkey::testing
