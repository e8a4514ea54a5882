// SESSION.* revocation events on lk:revocations, concurrent clients (no resurrection, LIST consistent
// with GET) and sessions inside MULTI/EXEC.
#include "session_test_helpers.h"

namespace latchkey::testing {
namespace {

// ---- 7. Revocation events. ----

struct Event {
  uint64_t seq = 0;
  std::string rest;  // after "<seq> "
};

// The next message on the subscribed connection, or nullopt after its read timeout.
std::optional<Event> NextEvent(redisContext* sub) {
  void* raw = nullptr;
  if (redisGetReply(sub, &raw) != REDIS_OK) return std::nullopt;
  Reply r(static_cast<redisReply*>(raw));
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 || Str(r->element[0]) != "message" ||
      Str(r->element[1]) != "lk:revocations") {
    ADD_FAILURE() << "unexpected push " << Str(r.get());
    return std::nullopt;
  }
  const std::string text = Str(r->element[2]);
  const size_t space = text.find(' ');
  if (space == std::string::npos) {
    ADD_FAILURE() << "event without a sequence number: " << text;
    return std::nullopt;
  }
  return Event{std::stoull(text.substr(0, space)), text.substr(space + 1)};
}

TEST(Sessions, RevocationEventsArePublishedInOrder) {
  ServerProcess server;
  auto c = server.Connect();
  auto sub = server.Connect();
  timeval tv{5, 0};
  ASSERT_EQ(redisSetTimeout(sub.get(), tv), REDIS_OK);
  auto subscribed = Command(sub.get(), {"SUBSCRIBE", "lk:revocations"});
  ASSERT_EQ(subscribed->type, REDIS_REPLY_ARRAY);

  Session a1 = Create(c.get(), "jane doe", 100, 1000);
  Session a2 = Create(c.get(), "jane doe", 100, 1000);
  Session a3 = Create(c.get(), "jane doe", 100, 1000);
  Session a4 = Create(c.get(), "jane doe", 100, 1000);
  Session k1 = Create(c.get(), "kim", 100, 1000);
  Sleep(0.003);
  // Creations, touches, renewals and reads publish nothing.
  EXPECT_EQ(Command(c.get(), {"SESSION.TOUCH", a1.id})->integer, 100);
  ASSERT_TRUE(AsMap(Command(c.get(), {"SESSION.RENEW", a4.id, "GRACE", "5"}), 2));

  EXPECT_EQ(Command(c.get(), {"SESSION.REVOKE", a1.id, "REASON", "user logout"})->integer, 1);
  // Unknown or already revoked: 0, and no event.
  EXPECT_EQ(Command(c.get(), {"SESSION.REVOKE", "s1_unknown", "REASON", "nothing"})->integer, 0);
  EXPECT_EQ(Command(c.get(), {"SESSION.REVOKE", a1.id})->integer, 0);
  EXPECT_EQ(Command(c.get(), {"SESSION.REVOKE", "HANDLE", a1.handle})->integer, 0);
  EXPECT_EQ(Command(c.get(), {"SESSION.REVOKEALL", "nobody"})->integer, 0);
  EXPECT_EQ(
      Command(c.get(), {"SESSION.REVOKEALL", "jane doe", "EXCEPT", a2.handle, "REASON", "password change"})
          ->integer,
      2);
  Session k2 = Create(c.get(), "kim", 100, 1000, {"MAXPERSUB", "1", "EVICT", "OLDEST"});
  EXPECT_EQ(Command(c.get(), {"SESSION.REVOKE", "HANDLE", a2.handle})->integer, 1);
  EXPECT_EQ(Command(c.get(), {"SESSION.REVOKE", k2.id, "REASON", "50% off"})->integer, 1);

  const std::vector<std::string> want = {
      "session jane%20doe " + a1.handle + " user%20logout",
      "session jane%20doe * password%20change except " + a2.handle,
      "session kim " + k1.handle + " evicted",
      "session jane%20doe " + a2.handle + " revoked",
      "session kim " + k2.handle + " 50%25%20off",
  };
  std::vector<Event> got;
  for (size_t i = 0; i < want.size(); ++i) {
    auto e = NextEvent(sub.get());
    ASSERT_TRUE(e) << "event " << i << " did not arrive";
    got.push_back(*e);
  }
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].rest, want[i]) << "event " << i;
    if (i > 0) {
      EXPECT_EQ(got[i].seq, got[i - 1].seq + 1) << "event " << i << " is not the next in sequence";
    }
  }
  EXPECT_EQ(InfoField(c.get(), "sessions", "events_head_seq"), static_cast<int64_t>(got.back().seq));

  // Nothing more arrives: the unknown revocation and the creations published nothing in between or after.
  timeval short_tv{0, 300 * 1000};
  ASSERT_EQ(redisSetTimeout(sub.get(), short_tv), REDIS_OK);
  void* extra = nullptr;
  EXPECT_NE(redisGetReply(sub.get(), &extra), REDIS_OK)
      << "unexpected event: " << Str(static_cast<redisReply*>(extra));
  if (extra != nullptr) freeReplyObject(extra);
}

// ---- 8. Concurrency. ----

TEST(Sessions, ConcurrentClientsNeverResurrectAndListMatchesGet) {
  ServerProcess server({"--io-threads", "2"});
  constexpr int kSessions = 50, kSubjects = 5, kThreads = 8;
  constexpr double kSeconds = 1.5;
  struct Shared {
    std::string sub, handle;
    std::mutex mu;
    std::vector<std::string> ids;  // every id ever issued, the current one last
    std::atomic<bool> revoked{false};
    std::atomic<int> revocations{0};
  };
  std::vector<std::unique_ptr<Shared>> sessions;
  {
    auto c = server.Connect();
    for (int i = 0; i < kSessions; ++i) {
      auto s = std::make_unique<Shared>();
      s->sub = Numbered("subject-", i % kSubjects);
      Session created = Create(c.get(), s->sub, 600, 3600);
      ASSERT_FALSE(created.id.empty());
      s->handle = created.handle;
      s->ids.push_back(created.id);
      sessions.push_back(std::move(s));
    }
  }

  const double start = Now();
  std::atomic<bool> stop{false};
  std::atomic<int64_t> ops{0}, renewals{0}, resurrections{0}, wrong_handle{0}, bad_replies{0};
  std::mutex report_mu;
  std::string first_problem;
  auto problem = [&](std::atomic<int64_t>& counter, const std::string& what) {
    ++counter;
    std::lock_guard lock(report_mu);
    if (first_problem.empty()) first_problem = what;
  };

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto c = server.Connect();
      std::mt19937 rng(static_cast<uint32_t>(1234 + t));
      while (!stop) {
        const int i = static_cast<int>(rng() % kSessions);
        Shared& s = *sessions[static_cast<size_t>(i)];
        std::string id, current;
        {
          std::lock_guard lock(s.mu);
          current = s.ids.back();
          id = s.ids[rng() % s.ids.size()];
        }
        const int op = static_cast<int>(rng() % 100);
        // Odd sessions are never revoked; session i may be revoked from i * 25 ms on.
        const bool may_revoke = i % 2 == 0 && Now() - start > i * 0.025;
        // Read before sending: if a REVOKE had already answered 1, nothing may answer for the session.
        const bool was_revoked = s.revoked.load();
        if (op < 4 && may_revoke) {
          auto r = op % 2 == 0 ? Command(c.get(), {"SESSION.REVOKE", current, "REASON", "race"})
                               : Command(c.get(), {"SESSION.REVOKE", "HANDLE", s.handle});
          if (r == nullptr || r->type != REDIS_REPLY_INTEGER) {
            problem(bad_replies, "REVOKE: " + Str(r.get()));
            return;
          }
          if (r->integer == 1) {
            if (was_revoked) problem(resurrections, "REVOKE answered 1 twice for " + s.handle);
            s.revoked = true;
            ++s.revocations;
          }
        } else if (op < 15) {
          const bool grace = rng() % 2 == 0;
          auto r = grace ? Command(c.get(), {"SESSION.RENEW", current, "GRACE", "1"})
                         : Command(c.get(), {"SESSION.RENEW", current});
          if (r != nullptr && r->type == REDIS_REPLY_ERROR) {
            if (Str(r.get()) != "NOTFOUND no live session for this id")
              problem(bad_replies, "RENEW: " + Str(r.get()));
          } else if (auto m = AsMap(std::move(r), 2, /*quiet=*/true)) {
            if (was_revoked) problem(resurrections, "RENEW succeeded after REVOKE of " + s.handle);
            if (m->str("handle") != s.handle) problem(wrong_handle, "RENEW gave handle " + m->str("handle"));
            std::lock_guard lock(s.mu);
            s.ids.push_back(m->str("id"));
            ++renewals;
          } else {
            problem(bad_replies, "RENEW: not a map");
          }
        } else if (op < 30) {
          auto r = Command(c.get(), {"SESSION.TOUCH", id});
          if (r == nullptr || (r->type != REDIS_REPLY_INTEGER && r->type != REDIS_REPLY_NIL)) {
            problem(bad_replies, "TOUCH: " + Str(r.get()));
          } else if (r->type == REDIS_REPLY_INTEGER && was_revoked) {
            problem(resurrections, "TOUCH answered after REVOKE of " + s.handle);
          }
        } else if (op < 35) {
          auto r = Command(c.get(), {"SESSION.SETDATA", id, Numbered("d", t)});
          if (r == nullptr || (r->type != REDIS_REPLY_STATUS && r->type != REDIS_REPLY_NIL)) {
            problem(bad_replies, "SETDATA: " + Str(r.get()));
          } else if (r->type == REDIS_REPLY_STATUS && was_revoked) {
            problem(resurrections, "SETDATA answered OK after REVOKE of " + s.handle);
          }
        } else {
          auto r = op < 60 ? Command(c.get(), {"SESSION.GET", id, "TOUCH"})
                           : Command(c.get(), {"SESSION.GET", id});
          if (r == nullptr) {
            problem(bad_replies, "GET: no reply");
            return;
          }
          if (r->type != REDIS_REPLY_NIL) {
            auto m = AsMap(std::move(r), 8, /*quiet=*/true);
            if (!m) {
              problem(bad_replies, "GET: not a map");
            } else {
              if (was_revoked)
                problem(resurrections, "GET answered after REVOKE of " + s.handle + " by " + id);
              if (m->str("handle") != s.handle || m->str("sub") != s.sub) {
                problem(wrong_handle, "GET of " + s.handle + " answered " + m->str("handle"));
              }
            }
          }
        }
        ++ops;
      }
    });
  }
  SleepUntil(start, kSeconds);
  stop = true;
  for (auto& th : threads) th.join();

  EXPECT_EQ(resurrections.load(), 0) << first_problem;
  EXPECT_EQ(wrong_handle.load(), 0) << first_problem;
  EXPECT_EQ(bad_replies.load(), 0) << first_problem;
  EXPECT_GT(ops.load(), 1000);
  EXPECT_GT(renewals.load(), 50);

  auto c = server.Connect();
  ASSERT_EQ(Str(Command(c.get(), {"PING"}).get()), "PONG") << "the server died";
  int revoked_count = 0;
  for (int sub = 0; sub < kSubjects; ++sub) {
    std::set<std::string> live, not_revoked;
    for (int i = sub; i < kSessions; i += kSubjects) {
      Shared& s = *sessions[static_cast<size_t>(i)];
      EXPECT_LE(s.revocations.load(), 1) << s.handle;
      if (s.revoked) ++revoked_count;
      if (!s.revoked) not_revoked.insert(s.handle);
      auto got = GetSession(c.get(), s.ids.back());
      if (got) {
        live.insert(s.handle);
        EXPECT_EQ(got->str("handle"), s.handle);
      }
      if (s.revoked) {
        for (const auto& id : s.ids)
          EXPECT_FALSE(Live(c.get(), id)) << "revoked session answers: " << s.handle;
      }
    }
    const std::string name = Numbered("subject-", sub);
    EXPECT_EQ(ListHandles(c.get(), name), live) << name;
    EXPECT_EQ(live, not_revoked) << name << ": a session neither revoked nor expired is gone, or the reverse";
  }
  EXPECT_GT(revoked_count, 5);
  EXPECT_EQ(InfoField(c.get(), "sessions", "sessions_live"), kSessions - revoked_count);
}

// ---- 9. Transactions. ----

TEST(Sessions, CreateInsideMultiExec) {
  ServerProcess server;
  auto c = server.Connect();
  auto exec =
      RunTransaction(c.get(), {{"SESSION.CREATE", "lara", "IDLE", "100", "ABS", "1000"}, {"SET", "k", "v"}});
  ASSERT_NE(exec, nullptr);
  ASSERT_EQ(exec->type, REDIS_REPLY_ARRAY);
  ASSERT_EQ(exec->elements, 2u);
  const redisReply* created = exec->element[0];
  ASSERT_EQ(created->type, REDIS_REPLY_ARRAY);
  ASSERT_EQ(created->elements, 8u);
  EXPECT_EQ(Str(created->element[0]), "id");
  const std::string id = Str(created->element[1]);
  EXPECT_EQ(Str(exec->element[1]), "OK");
  auto got = GetSession(c.get(), id);
  ASSERT_TRUE(got) << "the session created in EXEC is not there";
  EXPECT_EQ(got->str("handle"), Str(created->element[3]));
  EXPECT_EQ(Str(Command(c.get(), {"GET", "k"}).get()), "v");

  // A session command failing at EXEC does not stop the others (as in Redis); revocations and reads
  // inside a transaction see the earlier commands of the same transaction.
  exec = RunTransaction(c.get(), {{"SESSION.CREATE", "lara", "IDLE", "x", "ABS", "5"},
                                  {"SET", "k2", "v2"},
                                  {"SESSION.GET", id, "TOUCH"},
                                  {"SESSION.REVOKE", id},
                                  {"SESSION.GET", id}});
  ASSERT_NE(exec, nullptr);
  ASSERT_EQ(exec->elements, 5u);
  EXPECT_EQ(exec->element[0]->type, REDIS_REPLY_ERROR);
  EXPECT_EQ(Str(exec->element[0]), "ERR IDLE must be a positive number of seconds");
  EXPECT_EQ(Str(exec->element[1]), "OK");
  EXPECT_EQ(exec->element[2]->type, REDIS_REPLY_ARRAY);
  EXPECT_EQ(exec->element[3]->integer, 1);
  EXPECT_EQ(exec->element[4]->type, REDIS_REPLY_NIL);
  EXPECT_EQ(Str(Command(c.get(), {"GET", "k2"}).get()), "v2");
  EXPECT_FALSE(Live(c.get(), id));
  EXPECT_TRUE(ListHandles(c.get(), "lara").empty());

  // An arity error while queueing aborts the whole transaction.
  EXPECT_STREQ(Command(c.get(), {"MULTI"})->str, "OK");
  EXPECT_TRUE(IsError(Command(c.get(), {"SESSION.CREATE", "lara"}),
                      "ERR wrong number of arguments for 'session.create' command"));
  EXPECT_STREQ(Command(c.get(), {"SET", "k3", "v3"})->str, "QUEUED");
  auto aborted = Command(c.get(), {"EXEC"});
  EXPECT_EQ(Str(aborted.get()).rfind("EXECABORT", 0), 0u) << Str(aborted.get());
  EXPECT_EQ(Command(c.get(), {"EXISTS", "k3"})->integer, 0);
  EXPECT_TRUE(ListHandles(c.get(), "lara").empty());
}

}  // namespace
}  // namespace latchkey::testing
