// RTOKEN.* as clients see it (SPEC §4): the life of a family (issue, rotate, grace replay, reuse
// detection, INFO counters), INSPECT, REVOKE, LIST, REVOKEALL, argument errors and forged tokens, RESP3
// maps, CLIENT mismatches. The cap, events, DENY.CHECK FAMILY and concurrent clients:
// rtokens_events_test.cc; restarts, crashes and the disk: rtokens_durability_test.cc.
#include "rtoken_test_helpers.h"

namespace latchkey::testing {
namespace {

// A server and a second one sharing its signing key: a genuine token of the first names a family the
// second has never seen.
const std::vector<std::string> kSharedKey = {
    "--rtoken-keys", "7:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"};

// CONFIG GET names the configured key ids but never the keys: whoever holds one can mint tokens.
TEST(RtokenFamilies, ConfigGetHidesTheSigningKeys) {
  ServerProcess server(kSharedKey);
  auto c = server.Connect();
  auto reply = Command(c.get(), {"CONFIG", "GET", "rtoken-keys"});
  ASSERT_EQ(reply->type, REDIS_REPLY_ARRAY);
  ASSERT_EQ(reply->elements, 2u);
  EXPECT_EQ(Str(reply->element[1]), "7:(hidden)");
  auto all = Command(c.get(), {"CONFIG", "GET", "*"});
  for (size_t i = 0; i < all->elements; ++i) {
    EXPECT_EQ(Str(all->element[i]).find("00112233445566778899"), std::string::npos);
  }
}

// ---- 1. The life of one family. ----

TEST(RtokenFamilies, IssueRotateReplayThenReuseRevokesTheFamily) {
  ServerProcess server;
  auto c = server.Connect();
  const RtokenCounters before = ReadCounters(c.get());
  const std::string data("blob\0\x01", 6);

  const int64_t t_before = UnixMs();
  auto issued = AsMap(Command(c.get(), {"RTOKEN.ISSUE", "alice", "web", "ABS", "3600", "IDLE", "600", "GRACE",
                                        "60", "GRACEUSES", "3", "SESSION", "h-1", "DATA", data}),
                      5);
  const int64_t t_after = UnixMs();
  ASSERT_TRUE(issued);
  const std::vector<std::string> issue_keys = {"token", "family", "gen", "idle_deadline", "abs_deadline"};
  for (size_t i = 0; i < issue_keys.size(); ++i) EXPECT_EQ(Str(issued->reply->element[2 * i]), issue_keys[i]);
  const std::string t0 = issued->str("token"), family = issued->str("family");
  EXPECT_EQ(t0.rfind("r1_", 0), 0u) << t0;
  EXPECT_EQ(t0.size(), kTokenTextChars) << t0;
  EXPECT_TRUE(IsBase64Url(t0.substr(3))) << t0;
  EXPECT_EQ(family.size(), 16u) << family;
  EXPECT_TRUE(IsBase64Url(family)) << family;
  // The token carries its family (12 bytes) and generation (4 bytes, big-endian) in the clear.
  const std::string body0 = TokenBody(t0);
  EXPECT_EQ(Base64UrlEncode(body0.substr(kTokenFamilyAt, 12)), family);
  EXPECT_EQ(body0.substr(kTokenGenAt, 4), std::string(4, '\0'));
  EXPECT_EQ(issued->num("gen"), 0);
  const int64_t abs_deadline = issued->num("abs_deadline");
  EXPECT_GE(abs_deadline, t_before + 3600 * 1000 - 5);
  EXPECT_LE(abs_deadline, t_after + 3600 * 1000 + 5);
  EXPECT_EQ(abs_deadline - issued->num("idle_deadline"), (3600 - 600) * 1000);

  // Row 6: the head rotates.
  auto r1 = Rotate(c.get(), t0);
  ASSERT_TRUE(r1);
  for (size_t i = 0; i < RotateKeys().size(); ++i) EXPECT_EQ(Str(r1->reply->element[2 * i]), RotateKeys()[i]);
  const std::string t1 = r1->str("token");
  EXPECT_NE(t1, t0);
  EXPECT_EQ(Base64UrlEncode(TokenBody(t1).substr(kTokenFamilyAt, 12)), family);
  EXPECT_EQ(r1->str("family"), family);
  EXPECT_EQ(r1->num("gen"), 1);
  EXPECT_EQ(r1->str("sub"), "alice");
  EXPECT_EQ(r1->str("client"), "web");
  EXPECT_EQ(r1->str("session"), "h-1");
  EXPECT_EQ(r1->str("data"), data);
  EXPECT_EQ(r1->num("abs_deadline"), abs_deadline) << "the absolute deadline moved";
  EXPECT_GE(r1->num("idle_deadline"), issued->num("idle_deadline"));
  EXPECT_EQ(r1->num("grace"), 0);

  // Row 7: a retry with the predecessor gets the same successor, twice, minting nothing.
  for (int i = 0; i < 2; ++i) {
    auto replay = Rotate(c.get(), t0);
    ASSERT_TRUE(replay);
    EXPECT_EQ(replay->str("token"), t1) << "replay " << i << " minted a different successor";
    EXPECT_EQ(replay->num("gen"), 1);
    EXPECT_EQ(replay->num("grace"), 1);
    EXPECT_EQ(replay->num("idle_deadline"), r1->num("idle_deadline"));
    EXPECT_EQ(replay->num("abs_deadline"), abs_deadline);
  }
  auto head1 = Inspect(c.get(), t1);
  ASSERT_TRUE(head1);
  EXPECT_EQ(head1->str("presented"), "head");
  EXPECT_EQ(head1->num("gen"), 1);
  EXPECT_EQ(head1->num("grace_uses"), 2);
  EXPECT_EQ(head1->str("state"), "live");
  EXPECT_EQ(Presented(c.get(), t0), "grace");

  // The new head rotates; the first predecessor is now two generations behind.
  auto r2 = Rotate(c.get(), t1);
  ASSERT_TRUE(r2);
  const std::string t2 = r2->str("token");
  EXPECT_NE(t2, t1);
  EXPECT_EQ(r2->num("gen"), 2);
  EXPECT_EQ(r2->num("grace"), 0);
  EXPECT_EQ(Presented(c.get(), t0), "stale");
  EXPECT_EQ(Presented(c.get(), t1), "grace");
  EXPECT_EQ(Presented(c.get(), t2), "head");
  EXPECT_EQ(Inspect(c.get(), t2)->num("grace_uses"), 0) << "a rotation must reset the uses";

  // Row 8: the stale token is reuse; the whole family is revoked in the same step.
  EXPECT_TRUE(IsError(RotateReply(c.get(), t0), kReusedError));
  EXPECT_TRUE(IsError(RotateReply(c.get(), t2), kRevokedError));
  EXPECT_TRUE(IsError(RotateReply(c.get(), t1), kRevokedError)) << "no grace replay after a revocation";
  EXPECT_TRUE(IsError(RotateReply(c.get(), t0), kRevokedError)) << "the reuse is reported once";
  auto dead = Inspect(c.get(), t2);
  ASSERT_TRUE(dead);
  EXPECT_EQ(dead->str("state"), "revoked");
  EXPECT_EQ(dead->str("reason"), "reuse");
  EXPECT_EQ(dead->str("presented"), "head");
  EXPECT_EQ(dead->num("gen"), 2);
  EXPECT_EQ(dead->num("grace_deadline"), 0);
  EXPECT_EQ(dead->num("abs_deadline"), abs_deadline);
  EXPECT_EQ(Int(Command(c.get(), {"RTOKEN.REVOKE", t2})), 0) << "already revoked";

  const RtokenCounters after = ReadCounters(c.get());
  EXPECT_EQ(after.issued - before.issued, 1);
  EXPECT_EQ(after.rotations - before.rotations, 2);
  EXPECT_EQ(after.replays - before.replays, 2);
  EXPECT_EQ(after.rejections - before.rejections, 0);
  EXPECT_EQ(after.reuses - before.reuses, 1);
  EXPECT_EQ(after.revoked - before.revoked, 1);
  EXPECT_EQ(after.live, 0);
  EXPECT_EQ(after.ended, 1);
}

TEST(RtokenFamilies, GraceWindowUsesAndDeadlines) {
  ServerProcess server;
  auto c = server.Connect();
  // GRACE 0: no window at all; the predecessor is reuse at once.
  IssuedFamily none = IssueFamily(c.get(), "bob", "web", 3600, 600, {"GRACE", "0"});
  ASSERT_FALSE(RotateToken(c.get(), none.token).empty());
  EXPECT_EQ(Presented(c.get(), none.token), "stale");
  EXPECT_TRUE(IsError(RotateReply(c.get(), none.token), kReusedError));
  // GRACEUSES 0 likewise.
  IssuedFamily zero_uses = IssueFamily(c.get(), "bob", "web", 3600, 600, {"GRACEUSES", "0"});
  ASSERT_FALSE(RotateToken(c.get(), zero_uses.token).empty());
  EXPECT_TRUE(IsError(RotateReply(c.get(), zero_uses.token), kReusedError));

  // GRACEUSES 1: one replay, then the next retry is reuse (and counted as a rejected replay).
  const int64_t rejections = InfoField(c.get(), "rtokens", "rtoken_grace_rejections");
  IssuedFamily one = IssueFamily(c.get(), "bob", "web", 3600, 600, {"GRACE", "60", "GRACEUSES", "1"});
  const std::string next = RotateToken(c.get(), one.token);
  auto replay = Rotate(c.get(), one.token);
  ASSERT_TRUE(replay);
  EXPECT_EQ(replay->str("token"), next);
  EXPECT_EQ(Presented(c.get(), one.token), "stale") << "no uses left";
  EXPECT_TRUE(IsError(RotateReply(c.get(), one.token), kReusedError));
  EXPECT_TRUE(IsError(RotateReply(c.get(), next), kRevokedError));
  EXPECT_EQ(InfoField(c.get(), "rtokens", "rtoken_grace_rejections"), rejections + 1);

  // The server's defaults (rtoken-grace-seconds 10, rtoken-grace-uses 3) apply without GRACE options.
  IssuedFamily defaults = IssueFamily(c.get(), "bob", "web", 3600, 600);
  const int64_t rotated_at = UnixMs();
  const std::string d1 = RotateToken(c.get(), defaults.token);
  auto view = Inspect(c.get(), d1);
  ASSERT_TRUE(view);
  EXPECT_GE(view->num("grace_deadline"), view->num("last_rotated") + 10 * 1000);
  EXPECT_LE(view->num("grace_deadline"), rotated_at + 10 * 1000 + 1000);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(RotateToken(c.get(), defaults.token), d1) << "replay " << i;
  EXPECT_TRUE(IsError(RotateReply(c.get(), defaults.token), kReusedError));

  // Past the grace deadline the predecessor is reuse even with uses left.
  IssuedFamily brief = IssueFamily(c.get(), "bob", "web", 3600, 600, {"GRACE", "2", "GRACEUSES", "5"});
  const std::string b1 = RotateToken(c.get(), brief.token);
  EXPECT_EQ(RotateToken(c.get(), brief.token), b1);
  auto open = Inspect(c.get(), b1);
  ASSERT_TRUE(open);
  SleepUntilUnixMs(open->num("grace_deadline") + 500);
  EXPECT_EQ(Presented(c.get(), brief.token), "stale");
  EXPECT_TRUE(IsError(RotateReply(c.get(), brief.token), kReusedError));
  EXPECT_EQ(InfoField(c.get(), "rtokens", "rtoken_grace_rejections"), rejections + 3);

  // CONFIG SET changes the defaults of families issued afterwards, within the same bounds.
  EXPECT_EQ(Command(c.get(), {"CONFIG", "SET", "rtoken-grace-seconds", "61"})->type, REDIS_REPLY_ERROR);
  EXPECT_EQ(Command(c.get(), {"CONFIG", "SET", "rtoken-grace-uses", "6"})->type, REDIS_REPLY_ERROR);
  EXPECT_STREQ(Command(c.get(), {"CONFIG", "SET", "rtoken-grace-seconds", "30"})->str, "OK");
  EXPECT_STREQ(Command(c.get(), {"CONFIG", "SET", "rtoken-grace-uses", "1"})->str, "OK");
  IssuedFamily configured = IssueFamily(c.get(), "bob", "web", 3600, 600);
  const std::string c1 = RotateToken(c.get(), configured.token);
  auto cv = Inspect(c.get(), c1);
  ASSERT_TRUE(cv);
  EXPECT_EQ(cv->num("grace_deadline"), cv->num("last_rotated") + 30 * 1000);
  EXPECT_EQ(RotateToken(c.get(), configured.token), c1);
  EXPECT_TRUE(IsError(RotateReply(c.get(), configured.token), kReusedError)) << "one use only";

  // The absolute deadline bounds the idle one and never moves.
  IssuedFamily short_abs = IssueFamily(c.get(), "bob", "web", 5, 600);
  EXPECT_EQ(short_abs.idle_deadline, short_abs.abs_deadline);
  auto rotated = Rotate(c.get(), short_abs.token);
  ASSERT_TRUE(rotated);
  EXPECT_EQ(rotated->num("idle_deadline"), short_abs.abs_deadline);
  EXPECT_EQ(rotated->num("abs_deadline"), short_abs.abs_deadline);
}

TEST(RtokenFamilies, IdleExpiredFamilyAnswersExpired) {
  ServerProcess server;
  auto c = server.Connect();
  IssuedFamily f = IssueFamily(c.get(), "bob", "web", 3600, 1);
  const int64_t verdict = DenyCheck(c.get(), kIss, "jti", {"FAMILY", f.family});
  if (UnixMs() < f.idle_deadline) {
    EXPECT_EQ(verdict, 0);  // (unless this machine stalled for 1 s)
  }
  SleepUntilUnixMs(f.idle_deadline + 500);
  EXPECT_TRUE(IsError(RotateReply(c.get(), f.token), kExpiredError));
  auto view = Inspect(c.get(), f.token);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->str("state"), "expired");
  EXPECT_EQ(DenyCheck(c.get(), kIss, "jti", {"FAMILY", f.family}), 5);
  EXPECT_EQ(Int(Command(c.get(), {"RTOKEN.REVOKE", f.token})), 0) << "not live: nothing to revoke";
  EXPECT_EQ(Command(c.get(), {"RTOKEN.LIST", "bob"})->elements, 0u) << "an expired family is listed";
}

// ---- 2. INSPECT, REVOKE, LIST, REVOKEALL. ----

TEST(RtokenFamilies, InspectShowsTheFamilyAndChangesNothing) {
  ServerProcess server(kSharedKey);
  auto c = server.Connect();
  IssuedFamily f = IssueFamily(c.get(), "carol", "mobile", 3600, 600,
                               {"GRACE", "60", "GRACEUSES", "2", "SESSION", "sess-9", "DATA", "d"});
  auto v0 = Inspect(c.get(), f.token);
  ASSERT_TRUE(v0);
  for (size_t i = 0; i < FamilyViewKeys().size(); ++i)
    EXPECT_EQ(Str(v0->reply->element[2 * i]), FamilyViewKeys()[i]);
  EXPECT_EQ(Str(v0->reply->element[28]), "presented");
  EXPECT_EQ(v0->str("family"), f.family);
  EXPECT_EQ(v0->num("gen"), 0);
  EXPECT_EQ(v0->str("sub"), "carol");
  EXPECT_EQ(v0->str("client"), "mobile");
  EXPECT_EQ(v0->str("session"), "sess-9");
  EXPECT_EQ(v0->str("data"), "d");
  EXPECT_EQ(v0->str("state"), "live");
  EXPECT_EQ(v0->str("reason"), "");
  EXPECT_EQ(v0->num("created"), f.abs_deadline - 3600 * 1000);
  EXPECT_EQ(v0->num("last_rotated"), v0->num("created"));
  EXPECT_EQ(v0->num("idle_deadline"), f.idle_deadline);
  EXPECT_EQ(v0->num("abs_deadline"), f.abs_deadline);
  EXPECT_EQ(v0->num("grace_deadline"), 0);
  EXPECT_EQ(v0->num("grace_uses"), 0);
  EXPECT_EQ(v0->str("presented"), "head");
  for (const auto& field : v0->fields) EXPECT_EQ(Str(field.second).rfind("r1_", 0), std::string::npos);

  Sleep(0.01);
  const std::string t1 = RotateToken(c.get(), f.token);
  EXPECT_EQ(RotateToken(c.get(), f.token), t1);
  // INSPECT of the predecessor shows it would replay, and spends no use doing so.
  for (int i = 0; i < 3; ++i) {
    auto grace = Inspect(c.get(), f.token);
    ASSERT_TRUE(grace);
    EXPECT_EQ(grace->str("presented"), "grace");
    EXPECT_EQ(grace->num("gen"), 1);
    EXPECT_EQ(grace->num("grace_uses"), 1);
    EXPECT_GT(grace->num("last_rotated"), grace->num("created"));
    EXPECT_EQ(grace->num("grace_deadline"), grace->num("last_rotated") + 60 * 1000);
  }
  EXPECT_EQ(RotateToken(c.get(), f.token), t1) << "INSPECT spent a grace use";

  // A genuine token of a family this server never had: null (ROTATE: NOTFOUND), in RESP2 and RESP3.
  ServerProcess other(kSharedKey);
  auto o = other.Connect();
  auto nil = Command(o.get(), {"RTOKEN.INSPECT", t1});
  ASSERT_NE(nil, nullptr);
  EXPECT_EQ(nil->type, REDIS_REPLY_NIL);
  EXPECT_TRUE(IsError(RotateReply(o.get(), t1), kNotFoundError));
  EXPECT_EQ(Int(Command(o.get(), {"RTOKEN.REVOKE", t1})), 0);
  Resp3Client r3(other.port());
  EXPECT_EQ(r3.Call({"HELLO", "3"}).type, '%');
  EXPECT_EQ(r3.Call({"RTOKEN.INSPECT", t1}).type, '_');
  // A server with another key: the same token is a forgery.
  ServerProcess stranger;
  auto s = stranger.Connect();
  EXPECT_TRUE(IsError(Command(s.get(), {"RTOKEN.INSPECT", t1}), kBadTokenError));
  EXPECT_TRUE(IsError(RotateReply(s.get(), t1), kBadTokenError));
}

TEST(RtokenFamilies, RevokeByTokenAndByFamily) {
  ServerProcess server;
  auto c = server.Connect();
  IssuedFamily a = IssueFamily(c.get(), "dave", "web", 3600, 600);
  IssuedFamily b = IssueFamily(c.get(), "dave", "web", 3600, 600);
  EXPECT_EQ(Int(Command(c.get(), {"RTOKEN.REVOKE", a.token, "REASON", "stolen device"})), 1);
  EXPECT_EQ(Int(Command(c.get(), {"RTOKEN.REVOKE", a.token})), 0);
  EXPECT_EQ(Int(Command(c.get(), {"RTOKEN.REVOKE", "FAMILY", b.family})), 1);
  EXPECT_EQ(Int(Command(c.get(), {"RTOKEN.REVOKE", "FAMILY", b.family, "REASON", "again"})), 0);
  EXPECT_EQ(Int(Command(c.get(), {"RTOKEN.REVOKE", "FAMILY", "AAAAAAAAAAAAAAAA"})), 0);
  EXPECT_EQ(Int(Command(c.get(), {"RTOKEN.REVOKE", "FAMILY", "not a family id"})), 0);
  EXPECT_TRUE(IsError(RotateReply(c.get(), a.token), kRevokedError));
  EXPECT_TRUE(IsError(RotateReply(c.get(), b.token), kRevokedError));
  EXPECT_EQ(Inspect(c.get(), a.token)->str("reason"), "stolen device");
  EXPECT_EQ(Inspect(c.get(), b.token)->str("reason"), "revoked");
  EXPECT_EQ(Inspect(c.get(), b.token)->str("state"), "revoked");

  // Any genuine token of the family revokes it, a stale one too (REVOKE is not a reuse).
  IssuedFamily d = IssueFamily(c.get(), "dave", "web", 3600, 600, {"GRACE", "0"});
  const std::string d1 = RotateToken(c.get(), d.token);
  const std::string d2 = RotateToken(c.get(), d1);
  ASSERT_FALSE(d2.empty());
  const int64_t reuses = InfoField(c.get(), "rtokens", "rtoken_reuse_detections");
  EXPECT_EQ(Int(Command(c.get(), {"RTOKEN.REVOKE", d.token, "REASON", "logout"})), 1);
  EXPECT_EQ(InfoField(c.get(), "rtokens", "rtoken_reuse_detections"), reuses);
  EXPECT_EQ(Inspect(c.get(), d2)->str("reason"), "logout");
  EXPECT_TRUE(IsError(RotateReply(c.get(), d2), kRevokedError));
}

TEST(RtokenFamilies, ListAndRevokeAllByClient) {
  ServerProcess server;
  auto c = server.Connect();
  IssuedFamily w1 = IssueFamily(c.get(), "erin", "web", 3600, 600, {"DATA", "first"});
  IssuedFamily w2 = IssueFamily(c.get(), "erin", "web", 3600, 600);
  IssuedFamily m1 = IssueFamily(c.get(), "erin", "mobile", 3600, 600);
  IssuedFamily other = IssueFamily(c.get(), "frank", "web", 3600, 600);
  ASSERT_FALSE(RotateToken(c.get(), w2.token).empty());

  // The families of a subject, oldest first, as 14-field maps without any token.
  auto families = [&](const std::vector<std::string>& args) {
    std::vector<std::string> out;
    auto r = Command(c.get(), args);
    if (r == nullptr || r->type != REDIS_REPLY_ARRAY) {
      ADD_FAILURE() << "RTOKEN.LIST: '" << Str(r.get()) << "'";
      return out;
    }
    for (size_t i = 0; i < r->elements; ++i) {
      const redisReply* e = r->element[i];
      EXPECT_EQ(e->type, REDIS_REPLY_ARRAY);
      EXPECT_EQ(e->elements, 28u);
      std::string family, state;
      for (size_t j = 0; j + 1 < e->elements; j += 2) {
        EXPECT_EQ(Str(e->element[j]), FamilyViewKeys()[j / 2]);
        EXPECT_EQ(Str(e->element[j + 1]).rfind("r1_", 0), std::string::npos) << "LIST shows a token";
        if (Str(e->element[j]) == "family") family = Str(e->element[j + 1]);
        if (Str(e->element[j]) == "state") state = Str(e->element[j + 1]);
      }
      out.push_back(family + ":" + state);
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(families({"RTOKEN.LIST", "erin"}),
            (V{w1.family + ":live", w2.family + ":live", m1.family + ":live"}));
  EXPECT_EQ(families({"RTOKEN.LIST", "erin", "CLIENT", "web"}),
            (V{w1.family + ":live", w2.family + ":live"}));
  EXPECT_EQ(families({"RTOKEN.LIST", "erin", "CLIENT", "tv"}), V{});
  EXPECT_EQ(families({"RTOKEN.LIST", "nobody"}), V{});
  auto listed = Command(c.get(), {"RTOKEN.LIST", "erin", "CLIENT", "web"});
  ASSERT_EQ(listed->elements, 2u);
  EXPECT_EQ(Str(listed->element[0]->element[11]), "first");
  EXPECT_EQ(listed->element[1]->element[3]->integer, 1) << "w2's gen after its rotation";

  auto sub = SubscribeRevocations(server, 10);
  EXPECT_EQ(Int(Command(c.get(), {"RTOKEN.REVOKEALL", "erin", "CLIENT", "web", "REASON", "password change"})),
            2);
  EXPECT_EQ(Int(Command(c.get(), {"RTOKEN.REVOKEALL", "erin", "CLIENT", "web"})), 0);
  std::set<std::string> got;
  std::vector<std::string> messages;
  for (int i = 0; i < 2; ++i) {
    auto m = NextMessage(sub.get());
    ASSERT_TRUE(m) << "event " << i << " did not arrive";
    messages.push_back(*m);
    got.insert(m->substr(m->find(' ') + 1));
  }
  EXPECT_EQ(got, (std::set<std::string>{"family erin " + w1.family + " password%20change",
                                        "family erin " + w2.family + " password%20change"}));
  EXPECT_EQ(EventSeq(messages[1]), EventSeq(messages[0]) + 1);
  EXPECT_TRUE(NoMoreMessages(sub.get()));
  // Revoked families stay listed (until their absolute deadline); the other client's is untouched.
  EXPECT_EQ(families({"RTOKEN.LIST", "erin"}),
            (V{w1.family + ":revoked", w2.family + ":revoked", m1.family + ":live"}));
  EXPECT_TRUE(IsError(RotateReply(c.get(), w1.token), kRevokedError));
  EXPECT_FALSE(RotateToken(c.get(), m1.token).empty());
  EXPECT_FALSE(RotateToken(c.get(), other.token).empty());
  // Without CLIENT: every live family of the subject.
  EXPECT_EQ(Int(Command(c.get(), {"RTOKEN.REVOKEALL", "erin"})), 1);
  EXPECT_EQ(Int(Command(c.get(), {"RTOKEN.REVOKEALL", "nobody"})), 0);
  EXPECT_EQ(families({"RTOKEN.LIST", "frank"}), V{other.family + ":live"});
  EventsPage page = EventsSince(c.get(), EventSeq(messages[0]) - 1);
  ASSERT_EQ(page.events.size(), 3u);
  EXPECT_EQ(page.events[0], messages[0]);
  EXPECT_EQ(page.events[1], messages[1]);
  EXPECT_EQ(page.events[2].substr(page.events[2].find(' ') + 1), "family erin " + m1.family + " revoked");
}

// ---- 3. Errors, forged tokens, CLIENT, RESP3. ----

TEST(RtokenFamilies, ArgumentErrors) {
  ServerProcess server;
  auto c = server.Connect();
  auto arity = [](const std::string& name) {
    return "ERR wrong number of arguments for '" + name + "' command";
  };
  const std::string syntax = "ERR syntax error";
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"RTOKEN.ISSUE", "s", "c", "ABS", "60", "GRACE", "5"}, "ERR ABS and IDLE are required"},
      {{"RTOKEN.ISSUE", "s", "c", "IDLE", "60", "GRACE", "5"}, "ERR ABS and IDLE are required"},
      {{"RTOKEN.ISSUE", "s", "c", "ABS", "60"}, arity("rtoken.issue")},
      {{"RTOKEN.ISSUE", "s"}, arity("rtoken.issue")},
      {{"RTOKEN.ISSUE", "s", "c", "ABS", "60", "IDLE", "60", "GRACE", "61"},
       "ERR GRACE must be a non-negative number of seconds (at most 60)"},
      {{"RTOKEN.ISSUE", "s", "c", "ABS", "60", "IDLE", "60", "GRACE", "-1"},
       "ERR GRACE must be a non-negative number of seconds (at most 60)"},
      {{"RTOKEN.ISSUE", "s", "c", "ABS", "60", "IDLE", "60", "GRACEUSES", "6"},
       "ERR GRACEUSES must be an integer from 0 to 5"},
      {{"RTOKEN.ISSUE", "s", "c", "ABS", "60", "IDLE", "60", "GRACEUSES", "x"},
       "ERR GRACEUSES must be an integer from 0 to 5"},
      {{"RTOKEN.ISSUE", "s", "c", "ABS", "0", "IDLE", "60"}, "ERR ABS must be a positive number of seconds"},
      {{"RTOKEN.ISSUE", "s", "c", "ABS", "60", "IDLE", "x"}, "ERR IDLE must be a positive number of seconds"},
      {{"RTOKEN.ISSUE", "s", "c", "ABS", "60", "IDLE", "60", "COLOR", "red"}, syntax},
      {{"RTOKEN.ISSUE", "s", "c", "ABS", "60", "IDLE", "60", "DATA"}, syntax},
      {{"RTOKEN.ROTATE"}, arity("rtoken.rotate")},
      {{"RTOKEN.ROTATE", "r1_x", "CLIENT"}, syntax},
      {{"RTOKEN.ROTATE", "r1_x", "COLOR", "red"}, syntax},
      {{"RTOKEN.INSPECT"}, arity("rtoken.inspect")},
      {{"RTOKEN.INSPECT", "a", "b"}, arity("rtoken.inspect")},
      {{"RTOKEN.REVOKE"}, arity("rtoken.revoke")},
      {{"RTOKEN.REVOKE", "FAMILY", "AAAAAAAAAAAAAAAA", "REASON"}, syntax},
      {{"RTOKEN.LIST"}, arity("rtoken.list")},
      {{"RTOKEN.LIST", "s", "CLIENT"}, syntax},
      {{"RTOKEN.LIST", "s", "CLIENT", "c", "x"}, syntax},
      {{"RTOKEN.REVOKEALL"}, arity("rtoken.revokeall")},
      {{"RTOKEN.REVOKEALL", "s", "CLIENT", "c", "REASON"}, syntax},
      {{"RTOKEN.REVOKEALL", "s", "FOO", "bar"}, syntax},
  };
  for (const auto& [args, error] : cases) {
    auto r = Command(c.get(), args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_TRUE(IsError(r, error)) << joined;
  }
  EXPECT_EQ(InfoField(c.get(), "rtokens", "rtoken_issued"), 0) << "a rejected ISSUE created a family";

  // Malformed tokens: BADTOKEN from every command that takes one.
  IssuedFamily f = IssueFamily(c.get(), "gus", "web", 3600, 600, {"GRACE", "60"});
  const std::vector<std::string> malformed = {"",
                                              "r1_",
                                              "r1_x",
                                              "garbage",
                                              f.token.substr(0, f.token.size() - 1),
                                              f.token + "A",
                                              "r2_" + f.token.substr(3),
                                              "R1_" + f.token.substr(3),
                                              f.token.substr(0, 30) + "!" + f.token.substr(31)};
  for (const auto& bad : malformed) {
    EXPECT_TRUE(IsError(RotateReply(c.get(), bad), kBadTokenError)) << bad;
    EXPECT_TRUE(IsError(Command(c.get(), {"RTOKEN.INSPECT", bad}), kBadTokenError)) << bad;
    EXPECT_TRUE(IsError(Command(c.get(), {"RTOKEN.REVOKE", bad}), kBadTokenError)) << bad;
  }
}

TEST(RtokenFamilies, ForgedTokensAreBadTokenAndRevokeNothing) {
  ServerProcess server;
  auto c = server.Connect();
  IssuedFamily f = IssueFamily(c.get(), "hugo", "web", 3600, 600, {"GRACE", "60"});
  const std::string t1 = RotateToken(c.get(), f.token);
  const std::string t2 = RotateToken(c.get(), t1);  // f.token is now stale: genuine, it would be reuse
  ASSERT_FALSE(t2.empty());
  const RtokenCounters before = ReadCounters(c.get());
  // One bit flipped in the kid, the family, the generation, the secret and the tag of each token.
  for (const std::string& token : {f.token, t1, t2}) {
    for (size_t bit : {3u, 8u * 5 + 1, 8u * 16 + 7, 8u * 16 + 6, 8u * 20, 8u * 40 + 2, 8u * 48 + 7}) {
      const std::string forged = FlipBit(token, bit);
      ASSERT_NE(forged, token);
      EXPECT_TRUE(IsError(RotateReply(c.get(), forged), kBadTokenError)) << "bit " << bit;
      EXPECT_TRUE(IsError(RotateReply(c.get(), forged, "web"), kBadTokenError)) << "bit " << bit;
      EXPECT_TRUE(IsError(Command(c.get(), {"RTOKEN.INSPECT", forged}), kBadTokenError)) << "bit " << bit;
      EXPECT_TRUE(IsError(Command(c.get(), {"RTOKEN.REVOKE", forged}), kBadTokenError)) << "bit " << bit;
    }
  }
  // A generation bumped to the head's with the stale token's secret: forged too, not reuse.
  std::string body = TokenBody(f.token);
  body[kTokenGenAt + 3] = 2;
  EXPECT_TRUE(IsError(RotateReply(c.get(), "r1_" + Base64UrlEncode(body)), kBadTokenError));
  const RtokenCounters after = ReadCounters(c.get());
  EXPECT_EQ(after.reuses, before.reuses);
  EXPECT_EQ(after.revoked, before.revoked);
  EXPECT_EQ(after.rotations, before.rotations);
  EXPECT_EQ(Inspect(c.get(), t2)->str("state"), "live");
  EXPECT_EQ(DenyCheck(c.get(), kIss, "j", {"FAMILY", f.family}), 0);
  // The family still rotates, and still detects the genuine stale token.
  const std::string t3 = RotateToken(c.get(), t2);
  EXPECT_FALSE(t3.empty());
  EXPECT_TRUE(IsError(RotateReply(c.get(), f.token), kReusedError));
}

TEST(RtokenFamilies, ClientMismatchRevokesNothing) {
  ServerProcess server;
  auto c = server.Connect();
  IssuedFamily f = IssueFamily(c.get(), "gina", "web", 3600, 600, {"GRACE", "60"});
  auto r1 = Rotate(c.get(), f.token, "web");
  ASSERT_TRUE(r1);
  const std::string t1 = r1->str("token");
  // The head, the predecessor in its window: MISMATCH, no replay counted.
  EXPECT_TRUE(IsError(RotateReply(c.get(), t1, "mobile"), kMismatchError));
  EXPECT_TRUE(IsError(RotateReply(c.get(), f.token, "mobile"), kMismatchError));
  EXPECT_EQ(Inspect(c.get(), t1)->num("grace_uses"), 0);
  EXPECT_EQ(Presented(c.get(), t1), "head");
  const std::string t2 = RotateToken(c.get(), t1);
  // A stale token with the wrong client: still MISMATCH (row 5 before row 8), the family stays live.
  const int64_t reuses = InfoField(c.get(), "rtokens", "rtoken_reuse_detections");
  EXPECT_TRUE(IsError(RotateReply(c.get(), f.token, "mobile"), kMismatchError));
  EXPECT_TRUE(IsError(RotateReply(c.get(), f.token, ""), kMismatchError));
  EXPECT_EQ(InfoField(c.get(), "rtokens", "rtoken_reuse_detections"), reuses);
  EXPECT_EQ(Inspect(c.get(), t2)->str("state"), "live");
  auto r3 = Rotate(c.get(), t2, "web");
  ASSERT_TRUE(r3);
  EXPECT_EQ(r3->num("gen"), 3);
}

// SPEC §2: RTOKEN.INSPECT is in @lk-verify (a gateway may look, never change); every other RTOKEN
// command is in @lk-issue.
TEST(RtokenFamilies, AclCategoriesFollowSpec) {
  ServerProcess server;
  auto c = server.Connect();
  const std::vector<std::pair<std::string, std::string>> want = {
      {"rtoken.issue", "@lk-issue"},  {"rtoken.rotate", "@lk-issue"}, {"rtoken.inspect", "@lk-verify"},
      {"rtoken.revoke", "@lk-issue"}, {"rtoken.list", "@lk-issue"},   {"rtoken.revokeall", "@lk-issue"},
  };
  ExpectLkCategories(c.get(), want);
}

TEST(RtokenFamilies, Resp3MapsAndResp2FlatArrays) {
  ServerProcess server;
  Resp3Client c(server.port());
  Frame hello = c.Call({"HELLO", "3"});
  ASSERT_EQ(hello.type, '%');
  Frame issued = c.Call({"RTOKEN.ISSUE", "ivy", "web", "ABS", "3600", "IDLE", "600", "GRACE", "30"});
  ASSERT_EQ(issued.type, '%');
  EXPECT_EQ(MapShape(issued), "token:$ family:$ gen:: idle_deadline:: abs_deadline::");
  const std::string t0 = MapValue(issued, "token")->str;
  Frame rotated = c.Call({"RTOKEN.ROTATE", t0});
  ASSERT_EQ(rotated.type, '%');
  EXPECT_EQ(MapShape(rotated),
            "token:$ family:$ gen:: sub:$ client:$ session:$ data:$ idle_deadline:: abs_deadline:: grace::");
  const std::string t1 = MapValue(rotated, "token")->str;
  Frame replayed = c.Call({"RTOKEN.ROTATE", t0});
  ASSERT_EQ(replayed.type, '%');
  EXPECT_EQ(MapValue(replayed, "token")->str, t1);
  EXPECT_EQ(MapValue(replayed, "grace")->integer, 1);
  const std::string view_shape =
      "family:$ gen:: sub:$ client:$ session:$ data:$ state:$ reason:$ created:: last_rotated:: "
      "idle_deadline:: abs_deadline:: grace_deadline:: grace_uses::";
  Frame inspected = c.Call({"RTOKEN.INSPECT", t1});
  ASSERT_EQ(inspected.type, '%');
  EXPECT_EQ(MapShape(inspected), view_shape + " presented:$");
  EXPECT_EQ(MapValue(inspected, "presented")->str, "head");
  Frame listed = c.Call({"RTOKEN.LIST", "ivy"});
  ASSERT_EQ(listed.type, '*');
  ASSERT_EQ(listed.elems.size(), 1u);
  EXPECT_EQ(listed.elems[0].type, '%');
  EXPECT_EQ(MapShape(listed.elems[0]), view_shape);
  Frame empty = c.Call({"RTOKEN.LIST", "nobody"});
  EXPECT_EQ(empty.type, '*');
  EXPECT_TRUE(empty.elems.empty());
  Frame bad = c.Call({"RTOKEN.ROTATE", "r1_nope"});
  EXPECT_EQ(bad.type, '-');
  EXPECT_EQ(bad.str, kBadTokenError);
  EXPECT_EQ(c.Call({"RTOKEN.REVOKE", t1}).integer, 1);
  Frame revoked = c.Call({"RTOKEN.ROTATE", t1});
  EXPECT_EQ(revoked.type, '-');
  EXPECT_EQ(revoked.str, kRevokedError);

  // RESP2: the same replies as flat [key, value, ...] arrays.
  auto r2 = server.Connect();
  IssuedFamily f = IssueFamily(r2.get(), "ivy", "web", 3600, 600);
  auto rotated2 = Rotate(r2.get(), f.token);
  ASSERT_TRUE(rotated2);
  EXPECT_EQ(rotated2->fields.at("token")->type, REDIS_REPLY_STRING);
  EXPECT_EQ(rotated2->fields.at("gen")->type, REDIS_REPLY_INTEGER);
  auto list2 = Command(r2.get(), {"RTOKEN.LIST", "ivy"});
  ASSERT_EQ(list2->type, REDIS_REPLY_ARRAY);
  ASSERT_EQ(list2->elements, 2u);
  EXPECT_EQ(list2->element[1]->type, REDIS_REPLY_ARRAY);
  EXPECT_EQ(list2->element[1]->elements, 28u);
}

}  // namespace
}  // namespace latchkey::testing
