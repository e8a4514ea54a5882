// SESSION.* as clients see it (SPEC §2-§3): the whole life of a session (create, get, touch, data,
// renew with a grace window, revoke) in RESP2 and RESP3, argument errors, per-subject caps, REVOKEALL,
// and idle vs absolute deadlines. Restarts and storage: sessions_durability_test.cc; events,
// concurrency and transactions: sessions_events_test.cc.
#include "session_test_helpers.h"

namespace latchkey::testing {
namespace {

// ---- 1. The life of one session. ----

TEST(Sessions, FlowCreateGetTouchSetDataRenewWithGraceRevoke) {
  ServerProcess server;
  auto c = server.Connect();

  const int64_t before = UnixMs();
  auto created = AsMap(Command(c.get(), {"SESSION.CREATE", "alice", "IDLE", "100", "ABS", "1000", "CLIENT",
                                         "web", "DATA", std::string("blob\0\x01", 6)}),
                       4);
  const int64_t after = UnixMs();
  ASSERT_TRUE(created);
  // The reply's keys, in the documented order.
  EXPECT_EQ(Str(created->reply->element[0]), "id");
  EXPECT_EQ(Str(created->reply->element[2]), "handle");
  EXPECT_EQ(Str(created->reply->element[4]), "idle_deadline");
  EXPECT_EQ(Str(created->reply->element[6]), "abs_deadline");
  const std::string id = created->str("id");
  const std::string handle = created->str("handle");
  // s1_ + base64url(32 bytes) = 3 + 43 characters; handle = base64url(12 bytes) = 16 characters.
  EXPECT_EQ(id.rfind("s1_", 0), 0u) << id;
  EXPECT_EQ(id.size(), 46u) << id;
  EXPECT_TRUE(IsBase64Url(id.substr(3))) << id;
  EXPECT_EQ(handle.size(), 16u) << handle;
  EXPECT_TRUE(IsBase64Url(handle)) << handle;
  const int64_t idle_deadline = created->num("idle_deadline");
  const int64_t abs_deadline = created->num("abs_deadline");
  // Absolute Unix milliseconds.
  EXPECT_GE(abs_deadline, before + 1000 * 1000 - 5);
  EXPECT_LE(abs_deadline, after + 1000 * 1000 + 5);
  EXPECT_EQ(abs_deadline - idle_deadline, (1000 - 100) * 1000);

  // GET: all eight fields, in order.
  auto got = GetSession(c.get(), id);
  ASSERT_TRUE(got);
  const std::vector<std::string> keys = {"sub",       "handle",        "client",       "created",
                                         "last_seen", "idle_deadline", "abs_deadline", "data"};
  for (size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(Str(got->reply->element[2 * i]), keys[i]);
  EXPECT_EQ(got->str("sub"), "alice");
  EXPECT_EQ(got->str("handle"), handle);
  EXPECT_EQ(got->str("client"), "web");
  const int64_t created_ms = got->num("created");
  EXPECT_EQ(created_ms, abs_deadline - 1000 * 1000);
  EXPECT_EQ(got->num("last_seen"), created_ms);
  EXPECT_EQ(got->num("idle_deadline"), idle_deadline);
  EXPECT_EQ(got->num("abs_deadline"), abs_deadline);
  EXPECT_EQ(got->str("data"), std::string("blob\0\x01", 6));
  EXPECT_EQ(got->fields.at("data")->type, REDIS_REPLY_STRING);

  // GET without TOUCH changes nothing; GET TOUCH slides last_seen and the idle deadline.
  Sleep(0.02);
  EXPECT_EQ(GetSession(c.get(), id)->num("last_seen"), created_ms);
  auto touched = GetSession(c.get(), id, /*touch=*/true);
  ASSERT_TRUE(touched);
  const int64_t seen = touched->num("last_seen");
  EXPECT_GE(seen, created_ms + 20);
  EXPECT_EQ(touched->num("idle_deadline"), seen + 100 * 1000);
  EXPECT_EQ(touched->num("abs_deadline"), abs_deadline);
  EXPECT_EQ(touched->num("created"), created_ms);

  // TOUCH: seconds left, and it slides too.
  Sleep(0.02);
  auto left = Command(c.get(), {"SESSION.TOUCH", id});
  ASSERT_EQ(left->type, REDIS_REPLY_INTEGER);
  EXPECT_EQ(left->integer, 100);
  auto after_touch = GetSession(c.get(), id);
  EXPECT_GE(after_touch->num("last_seen"), seen + 20);
  EXPECT_EQ(after_touch->num("idle_deadline"), after_touch->num("last_seen") + 100 * 1000);

  // SETDATA replaces the data only.
  EXPECT_STREQ(Command(c.get(), {"SESSION.SETDATA", id, "{\"role\":\"admin\"}"})->str, "OK");
  auto with_data = GetSession(c.get(), id);
  EXPECT_EQ(with_data->str("data"), "{\"role\":\"admin\"}");
  EXPECT_EQ(with_data->str("client"), "web");
  EXPECT_EQ(with_data->num("abs_deadline"), abs_deadline);
  EXPECT_EQ(Command(c.get(), {"SESSION.SETDATA", "s1_unknown", "x"})->type, REDIS_REPLY_NIL);

  // RENEW with GRACE 1: a new id for the same session; the old one works for a second, then not.
  auto renewed = AsMap(Command(c.get(), {"SESSION.RENEW", id, "GRACE", "1"}), 2);
  ASSERT_TRUE(renewed);
  EXPECT_EQ(Str(renewed->reply->element[0]), "id");
  EXPECT_EQ(Str(renewed->reply->element[2]), "handle");
  const double renewed_at = Now();
  const std::string new_id = renewed->str("id");
  EXPECT_NE(new_id, id);
  EXPECT_EQ(new_id.rfind("s1_", 0), 0u);
  EXPECT_EQ(new_id.size(), 46u);
  EXPECT_EQ(renewed->str("handle"), handle);
  auto by_new = GetSession(c.get(), new_id);
  ASSERT_TRUE(by_new);
  EXPECT_EQ(by_new->str("handle"), handle);
  EXPECT_EQ(by_new->str("data"), "{\"role\":\"admin\"}");
  EXPECT_EQ(by_new->num("created"), created_ms);
  EXPECT_EQ(by_new->num("abs_deadline"), abs_deadline);
  auto by_old = GetSession(c.get(), id);
  ASSERT_TRUE(by_old) << "the old id must work during its grace";
  EXPECT_EQ(by_old->str("handle"), handle);
  // Only the current id renews.
  EXPECT_TRUE(IsError(Command(c.get(), {"SESSION.RENEW", id}), "NOTFOUND no live session for this id"));
  SleepUntil(renewed_at, 1.1);
  EXPECT_FALSE(Live(c.get(), id)) << "the old id outlived its grace";
  EXPECT_EQ(Command(c.get(), {"SESSION.TOUCH", id})->type, REDIS_REPLY_NIL);
  EXPECT_TRUE(Live(c.get(), new_id));

  // LIST shows the session under its subject, without its id.
  EXPECT_EQ(ListHandles(c.get(), "alice"), std::set<std::string>{handle});

  // REVOKE: then nothing answers for it, and a second REVOKE is 0.
  EXPECT_EQ(Command(c.get(), {"SESSION.REVOKE", new_id})->integer, 1);
  EXPECT_EQ(Command(c.get(), {"SESSION.GET", new_id})->type, REDIS_REPLY_NIL);
  EXPECT_EQ(Command(c.get(), {"SESSION.GET", new_id, "TOUCH"})->type, REDIS_REPLY_NIL);
  EXPECT_EQ(Command(c.get(), {"SESSION.TOUCH", new_id})->type, REDIS_REPLY_NIL);
  EXPECT_EQ(Command(c.get(), {"SESSION.SETDATA", new_id, "again"})->type, REDIS_REPLY_NIL);
  EXPECT_TRUE(IsError(Command(c.get(), {"SESSION.RENEW", new_id}), "NOTFOUND no live session for this id"));
  EXPECT_EQ(Command(c.get(), {"SESSION.REVOKE", new_id})->integer, 0);
  EXPECT_EQ(Command(c.get(), {"SESSION.REVOKE", "HANDLE", handle})->integer, 0);
  EXPECT_TRUE(ListHandles(c.get(), "alice").empty());

  // REVOKE by HANDLE, with a REASON.
  Session other = Create(c.get(), "alice", 100, 1000);
  EXPECT_EQ(Command(c.get(), {"SESSION.REVOKE", "HANDLE", other.handle, "REASON", "admin"})->integer, 1);
  EXPECT_FALSE(Live(c.get(), other.id));
  EXPECT_EQ(Command(c.get(), {"SESSION.REVOKE", "HANDLE", other.handle})->integer, 0);
  EXPECT_EQ(Command(c.get(), {"SESSION.REVOKE", "HANDLE", "not-a-handle"})->integer, 0);
}

TEST(Sessions, RenewWithoutGraceEndsTheOldIdAtOnce) {
  ServerProcess server;
  auto c = server.Connect();
  Session s = Create(c.get(), "bob", 100, 1000);
  auto renewed = AsMap(Command(c.get(), {"SESSION.RENEW", s.id}), 2);
  ASSERT_TRUE(renewed);
  EXPECT_FALSE(Live(c.get(), s.id));
  EXPECT_TRUE(Live(c.get(), renewed->str("id")));
  // A second renewal, with a grace, closes nothing it should not.
  auto again = AsMap(Command(c.get(), {"SESSION.RENEW", renewed->str("id"), "GRACE", "30"}), 2);
  ASSERT_TRUE(again);
  EXPECT_FALSE(Live(c.get(), s.id));
  EXPECT_TRUE(Live(c.get(), renewed->str("id")));
  EXPECT_TRUE(Live(c.get(), again->str("id")));
  // Revoking by the id in its grace revokes the session (every id of it).
  EXPECT_EQ(Command(c.get(), {"SESSION.REVOKE", renewed->str("id")})->integer, 1);
  EXPECT_FALSE(Live(c.get(), again->str("id")));
  EXPECT_FALSE(Live(c.get(), renewed->str("id")));
}

TEST(Sessions, Resp3RepliesAreMapsAndNull) {
  ServerProcess server;
  Resp3Client c(server.port());
  Frame hello = c.Call({"HELLO", "3"});
  ASSERT_EQ(hello.type, '%');

  Frame created = c.Call({"SESSION.CREATE", "carol", "IDLE", "60", "ABS", "600", "DATA", "d"});
  ASSERT_EQ(created.type, '%');
  EXPECT_EQ(MapShape(created), "id:$ handle:$ idle_deadline:: abs_deadline::");
  const std::string id = MapValue(created, "id")->str;
  const std::string handle = MapValue(created, "handle")->str;

  Frame got = c.Call({"SESSION.GET", id});
  ASSERT_EQ(got.type, '%');
  EXPECT_EQ(MapShape(got),
            "sub:$ handle:$ client:$ created:: last_seen:: idle_deadline:: abs_deadline:: data:$");
  EXPECT_EQ(MapValue(got, "sub")->str, "carol");
  EXPECT_EQ(MapValue(got, "handle")->str, handle);
  EXPECT_EQ(MapValue(got, "data")->str, "d");
  EXPECT_EQ(MapValue(got, "abs_deadline")->integer, MapValue(created, "abs_deadline")->integer);

  Frame list = c.Call({"SESSION.LIST", "carol"});
  ASSERT_EQ(list.type, '*');
  ASSERT_EQ(list.elems.size(), 1u);
  EXPECT_EQ(list.elems[0].type, '%');
  EXPECT_EQ(MapValue(list.elems[0], "handle")->str, handle);

  Frame touch = c.Call({"SESSION.TOUCH", id});
  EXPECT_EQ(touch.type, ':');
  EXPECT_EQ(touch.integer, 60);

  Frame renewed = c.Call({"SESSION.RENEW", id});
  ASSERT_EQ(renewed.type, '%');
  EXPECT_EQ(MapShape(renewed), "id:$ handle:$");

  Frame missing = c.Call({"SESSION.GET", id});
  EXPECT_EQ(missing.type, '_');
  EXPECT_EQ(c.Call({"SESSION.TOUCH", id}).type, '_');
  EXPECT_EQ(c.Call({"SESSION.SETDATA", id, "x"}).type, '_');
  Frame notfound = c.Call({"SESSION.RENEW", id});
  EXPECT_EQ(notfound.type, '-');
  EXPECT_EQ(notfound.str, "NOTFOUND no live session for this id");
  Frame revoked = c.Call({"SESSION.REVOKE", MapValue(renewed, "id")->str});
  EXPECT_EQ(revoked.type, ':');
  EXPECT_EQ(revoked.integer, 1);
}

// ---- 2. Arguments, caps. ----

TEST(Sessions, ArgumentErrors) {
  ServerProcess server;
  auto c = server.Connect();
  auto err = [&](const std::vector<std::string>& args, const std::string& text) {
    EXPECT_TRUE(IsError(Command(c.get(), args), text)) << args[0] << " " << (args.size() > 1 ? args[1] : "");
  };
  const std::string kSyntax = "ERR syntax error";
  const std::string kRequired = "ERR IDLE and ABS are required";
  const std::string kIdle = "ERR IDLE must be a positive number of seconds";
  const std::string kAbs = "ERR ABS must be a positive number of seconds";

  // Missing IDLE or ABS.
  err({"SESSION.CREATE", "u", "IDLE", "10", "CLIENT", "c"}, kRequired);
  err({"SESSION.CREATE", "u", "ABS", "10", "CLIENT", "c"}, kRequired);
  err({"SESSION.CREATE", "u", "CLIENT", "c", "DATA", "d"}, kRequired);
  // Non-numeric, zero, negative, fractional, too large TTLs.
  err({"SESSION.CREATE", "u", "IDLE", "abc", "ABS", "10"}, kIdle);
  err({"SESSION.CREATE", "u", "IDLE", "0", "ABS", "10"}, kIdle);
  err({"SESSION.CREATE", "u", "IDLE", "-5", "ABS", "10"}, kIdle);
  err({"SESSION.CREATE", "u", "IDLE", "1.5", "ABS", "10"}, kIdle);
  err({"SESSION.CREATE", "u", "IDLE", "", "ABS", "10"}, kIdle);
  err({"SESSION.CREATE", "u", "IDLE", "10", "ABS", "x"}, kAbs);
  err({"SESSION.CREATE", "u", "IDLE", "10", "ABS", "0"}, kAbs);
  err({"SESSION.CREATE", "u", "IDLE", "10", "ABS", "-1"}, kAbs);
  err({"SESSION.CREATE", "u", "IDLE", "10", "ABS", "99999999999999"}, kAbs);
  // Unknown option, an option without its value, a dangling EVICT.
  err({"SESSION.CREATE", "u", "IDLE", "10", "ABS", "10", "COLOR", "red"}, kSyntax);
  err({"SESSION.CREATE", "u", "IDLE", "10", "ABS", "10", "CLIENT"}, kSyntax);
  err({"SESSION.CREATE", "u", "IDLE", "10", "ABS", "10", "MAXPERSUB", "2", "EVICT"}, kSyntax);
  err({"SESSION.CREATE", "u", "IDLE", "10", "ABS", "10", "MAXPERSUB", "0"},
      "ERR MAXPERSUB must be a positive integer");
  err({"SESSION.CREATE", "u", "IDLE", "10", "ABS", "10", "MAXPERSUB", "many"},
      "ERR MAXPERSUB must be a positive integer");
  err({"SESSION.GET", "s1_x", "TOUCH", "TOUCH"}, kSyntax);
  err({"SESSION.GET", "s1_x", "NOW"}, kSyntax);
  err({"SESSION.RENEW", "s1_x", "GRACE"}, kSyntax);
  err({"SESSION.RENEW", "s1_x", "LATER", "5"}, kSyntax);
  err({"SESSION.RENEW", "s1_x", "GRACE", "-1"}, "ERR GRACE must be a non-negative number of seconds");
  err({"SESSION.RENEW", "s1_x", "GRACE", "soon"}, "ERR GRACE must be a non-negative number of seconds");
  err({"SESSION.REVOKE", "s1_x", "REASON"}, kSyntax);
  err({"SESSION.REVOKE", "s1_x", "WHY", "because"}, kSyntax);
  err({"SESSION.REVOKEALL", "u", "EXCEPT"}, kSyntax);
  err({"SESSION.REVOKEALL", "u", "REASON", "r", "EXTRA"}, kSyntax);
  // Nothing was created by any of them.
  EXPECT_TRUE(ListHandles(c.get(), "u").empty());
  EXPECT_EQ(InfoField(c.get(), "sessions", "sessions_created"), 0);

  // Arity, with Redis's text.
  auto arity = [&](const std::vector<std::string>& args, const std::string& name) {
    err(args, "ERR wrong number of arguments for '" + name + "' command");
  };
  arity({"SESSION.CREATE", "u", "IDLE", "10", "ABS"}, "session.create");
  arity({"SESSION.CREATE"}, "session.create");
  arity({"SESSION.GET"}, "session.get");
  arity({"SESSION.TOUCH"}, "session.touch");
  arity({"session.touch", "a", "b"}, "session.touch");
  arity({"SESSION.SETDATA", "a"}, "session.setdata");
  arity({"SESSION.SETDATA", "a", "b", "c"}, "session.setdata");
  arity({"SESSION.RENEW"}, "session.renew");
  arity({"SESSION.REVOKE"}, "session.revoke");
  arity({"SESSION.LIST"}, "session.list");
  arity({"SESSION.LIST", "a", "b"}, "session.list");
  arity({"SESSION.REVOKEALL"}, "session.revokeall");

  // Unknown ids.
  err({"SESSION.RENEW", "s1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
      "NOTFOUND no live session for this id");
  err({"SESSION.RENEW", "garbage", "GRACE", "5"}, "NOTFOUND no live session for this id");
  EXPECT_EQ(Command(c.get(), {"SESSION.GET", "garbage"})->type, REDIS_REPLY_NIL);
  EXPECT_EQ(Command(c.get(), {"SESSION.TOUCH", "garbage"})->type, REDIS_REPLY_NIL);
  EXPECT_EQ(Command(c.get(), {"SESSION.REVOKE", "garbage"})->integer, 0);
  EXPECT_EQ(Command(c.get(), {"SESSION.REVOKEALL", "nobody"})->integer, 0);
  auto empty = Command(c.get(), {"SESSION.LIST", "nobody"});
  EXPECT_EQ(empty->type, REDIS_REPLY_ARRAY);
  EXPECT_EQ(empty->elements, 0u);

  // Options are case-insensitive and may come in any order.
  Session s = Create(c.get(), "u", 10, 20, {"data", "d", "client", "cli"});
  EXPECT_EQ(s.id.size(), 46u);
  auto lower = AsMap(Command(c.get(), {"session.create", "u", "abs", "20", "idle", "10"}), 4);
  ASSERT_TRUE(lower);
  EXPECT_EQ(lower->num("abs_deadline") - lower->num("idle_deadline"), 10 * 1000);
  EXPECT_TRUE(GetSession(c.get(), s.id, true));
  EXPECT_EQ(GetSession(c.get(), s.id)->str("client"), "cli");
}

TEST(Sessions, MaxPerSubDenyAndEvictOldest) {
  ServerProcess server;
  auto c = server.Connect();

  // DENY at the cap: LIMIT, nothing created or evicted.
  Session d1 = Create(c.get(), "dan", 100, 100, {"MAXPERSUB", "2", "DENY"});
  Session d2 = Create(c.get(), "dan", 100, 100, {"MAXPERSUB", "2", "DENY"});
  EXPECT_TRUE(IsError(
      Command(c.get(), {"SESSION.CREATE", "dan", "IDLE", "100", "ABS", "100", "MAXPERSUB", "2", "DENY"}),
      "LIMIT the subject already has MAXPERSUB live sessions"));
  EXPECT_TRUE(Live(c.get(), d1.id));
  EXPECT_TRUE(Live(c.get(), d2.id));
  EXPECT_EQ(ListHandles(c.get(), "dan"), (std::set<std::string>{d1.handle, d2.handle}));
  // A higher cap, or another subject, is fine.
  Session d3 = Create(c.get(), "dan", 100, 100, {"MAXPERSUB", "3", "DENY"});
  EXPECT_EQ(ListHandles(c.get(), "dan").size(), 3u);
  Create(c.get(), "dana", 100, 100, {"MAXPERSUB", "1", "DENY"});
  // After a revocation there is room again.
  EXPECT_EQ(Command(c.get(), {"SESSION.REVOKE", d2.id})->integer, 1);
  Session d4 = Create(c.get(), "dan", 100, 100, {"MAXPERSUB", "3", "DENY"});
  EXPECT_EQ(ListHandles(c.get(), "dan"), (std::set<std::string>{d1.handle, d3.handle, d4.handle}));

  // EVICT OLDEST (also the default): the oldest goes, the rest stay. Creations a few ms apart, so
  // "oldest" is well defined at millisecond resolution.
  std::vector<Session> e;
  for (int i = 0; i < 3; ++i) {
    e.push_back(Create(c.get(), "eve", 100, 100));
    Sleep(0.003);
  }
  Session e3 = Create(c.get(), "eve", 100, 100, {"MAXPERSUB", "3", "EVICT", "OLDEST"});
  EXPECT_FALSE(Live(c.get(), e[0].id));
  EXPECT_EQ(ListHandles(c.get(), "eve"), (std::set<std::string>{e[1].handle, e[2].handle, e3.handle}));
  Sleep(0.003);
  // Two over the cap (a lowered cap): the two oldest go.
  Session e4 = Create(c.get(), "eve", 100, 100, {"MAXPERSUB", "2"});
  EXPECT_FALSE(Live(c.get(), e[1].id));
  EXPECT_FALSE(Live(c.get(), e[2].id));
  EXPECT_TRUE(Live(c.get(), e3.id));
  EXPECT_TRUE(Live(c.get(), e4.id));
  EXPECT_EQ(ListHandles(c.get(), "eve"), (std::set<std::string>{e3.handle, e4.handle}));
  EXPECT_EQ(InfoField(c.get(), "sessions", "sessions_evicted"), 3);

  // LIST is oldest first.
  auto list = Command(c.get(), {"SESSION.LIST", "eve"});
  ASSERT_EQ(list->elements, 2u);
  EXPECT_EQ(Str(list->element[0]->element[3]), e3.handle);
  EXPECT_EQ(Str(list->element[1]->element[3]), e4.handle);
}

// ---- 3. REVOKEALL. ----

TEST(Sessions, RevokeAllExceptOneHandle) {
  ServerProcess server;
  auto c = server.Connect();
  std::vector<Session> s;
  for (int i = 0; i < 5; ++i) s.push_back(Create(c.get(), "frank", 100, 1000));
  Session stranger = Create(c.get(), "frankie", 100, 1000);

  auto count = Command(c.get(), {"SESSION.REVOKEALL", "frank", "EXCEPT", s[2].handle, "REASON", "logout"});
  ASSERT_EQ(count->type, REDIS_REPLY_INTEGER);
  EXPECT_EQ(count->integer, 4);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Live(c.get(), s[i].id), i == 2) << i;
  EXPECT_EQ(ListHandles(c.get(), "frank"), std::set<std::string>{s[2].handle});
  EXPECT_TRUE(Live(c.get(), stranger.id));
  EXPECT_EQ(InfoField(c.get(), "sessions", "sessions_live"), 2);

  // Again: nothing more to revoke; without EXCEPT the last one goes.
  EXPECT_EQ(Command(c.get(), {"SESSION.REVOKEALL", "frank", "EXCEPT", s[2].handle})->integer, 0);
  EXPECT_EQ(Command(c.get(), {"SESSION.REVOKEALL", "frank"})->integer, 1);
  EXPECT_FALSE(Live(c.get(), s[2].id));
  EXPECT_TRUE(ListHandles(c.get(), "frank").empty());
  EXPECT_EQ(Command(c.get(), {"SESSION.REVOKEALL", "frank"})->integer, 0);
  EXPECT_TRUE(Live(c.get(), stranger.id));
  // EXCEPT naming a handle of another subject (or garbage) protects nothing here.
  Session t1 = Create(c.get(), "frank", 100, 1000);
  EXPECT_EQ(Command(c.get(), {"SESSION.REVOKEALL", "frank", "EXCEPT", stranger.handle})->integer, 1);
  EXPECT_FALSE(Live(c.get(), t1.id));
  EXPECT_TRUE(Live(c.get(), stranger.id));
}

// ---- 4. Idle vs absolute deadlines. ----

TEST(Sessions, IdleDeadlineSlidesButNeverPastTheAbsoluteOne) {
  ServerProcess server;
  auto c = server.Connect();
  // Both were created in [start, created_by] (client clock; the server's is the same machine's): checks
  // that a session is gone wait from created_by, checks that it lives are timed from start.
  const double start = Now();
  Session idle = Create(c.get(), "gina", 1, 3);
  Session busy = Create(c.get(), "gina", 1, 3);
  const double created_by = Now();
  EXPECT_EQ(busy.abs_deadline - busy.idle_deadline, 2000);

  SleepUntil(start, 0.5);
  EXPECT_EQ(Command(c.get(), {"SESSION.TOUCH", busy.id})->integer, 1);
  SleepUntil(start, 1.0);
  EXPECT_TRUE(GetSession(c.get(), busy.id, /*touch=*/true));
  SleepUntil(created_by, 1.1);
  EXPECT_FALSE(Live(c.get(), idle.id)) << "untouched for more than IDLE";
  EXPECT_TRUE(Live(c.get(), busy.id)) << "touched within IDLE";
  EXPECT_EQ(ListHandles(c.get(), "gina"), std::set<std::string>{busy.handle});
  for (double t : {1.5, 2.0, 2.5}) {
    SleepUntil(start, t);
    auto touched = GetSession(c.get(), busy.id, /*touch=*/true);
    ASSERT_TRUE(touched) << "at " << t << " s";
    EXPECT_EQ(touched->num("abs_deadline"), busy.abs_deadline);
    EXPECT_EQ(touched->num("idle_deadline"), std::min(touched->num("last_seen") + 1000, busy.abs_deadline));
    EXPECT_LE(touched->num("idle_deadline"), busy.abs_deadline);
  }
  // Now the absolute deadline is the nearer one: TOUCH does not move it.
  SleepUntil(start, 2.6);
  auto capped = GetSession(c.get(), busy.id, /*touch=*/true);
  ASSERT_TRUE(capped);
  EXPECT_EQ(capped->num("idle_deadline"), busy.abs_deadline);
  SleepUntil(created_by, 3.1);
  EXPECT_FALSE(Live(c.get(), busy.id)) << "lived past its absolute deadline";
  EXPECT_EQ(Command(c.get(), {"SESSION.TOUCH", busy.id})->type, REDIS_REPLY_NIL);
  EXPECT_TRUE(ListHandles(c.get(), "gina").empty());
  EXPECT_EQ(InfoField(c.get(), "sessions", "sessions_live"), 0);
}

}  // namespace
}  // namespace latchkey::testing
