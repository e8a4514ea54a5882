// ACL users as a client sees them: `user` lines and requirepass, AUTH and HELLO AUTH as a user, a
// gateway's verify-only user (may check, never issue, revoke or flush), key and channel patterns,
// NOPERM texts and ACL LOG entries as Redis 7.0 words them (at EXEC too), SETUSER taking effect on a
// logged-in connection, all-or-nothing SETUSER, DELUSER closing the user's connections, refusals inside
// MULTI.
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "server_process.h"
#include "session_test_helpers.h"

namespace latchkey::testing {
namespace {

const std::string kNoPermCommand = "NOPERM this user has no permissions to run the '";
const std::string kNoPermKey =
    "NOPERM this user has no permissions to access one of the keys used as arguments";
const std::string kNoPermChannel =
    "NOPERM this user has no permissions to access one of the channels used as arguments";

// A reply as text: strings and errors as they are, integers in decimal, nil as "".
std::string Ask(redisContext* c, const std::vector<std::string>& args) {
  Reply r = Command(c, args);
  if (r != nullptr && r->type == REDIS_REPLY_INTEGER) return std::to_string(r->integer);
  return Str(r.get());
}

RedisConn LoggedIn(const ServerProcess& server, const std::string& user, const std::string& password) {
  RedisConn c = server.Connect();
  EXPECT_EQ(Ask(c.get(), {"AUTH", user, password}), "OK");
  return c;
}

// The fields of ACL LOG's newest entry, by name.
std::map<std::string, std::string> NewestLogEntry(redisContext* c) {
  Reply r = Command(c, {"ACL", "LOG", "1"});
  std::map<std::string, std::string> out;
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements != 1) return out;
  const redisReply* e = r->element[0];
  for (size_t i = 0; i + 1 < e->elements; i += 2) {
    const redisReply* v = e->element[i + 1];
    out[Str(e->element[i])] = v->type == REDIS_REPLY_INTEGER ? std::to_string(v->integer) : Str(v);
  }
  return out;
}

TEST(AclTest, AVerifyOnlyUserFromTheConfigChecksButNeverIssuesRevokesOrFlushes) {
  ServerProcess server({"--user", "gw", "on", ">gw-secret", "+@lk-verify", "&lk:*"});
  RedisConn admin = server.Connect();
  const std::string exp = std::to_string(UnixMs() / 1000 + 3600);
  EXPECT_EQ(Ask(admin.get(), {"DENY.ADD", "iss", "jti-1", exp}), "1");
  RedisConn gw = LoggedIn(server, "gw", "gw-secret");
  EXPECT_EQ(Ask(gw.get(), {"ACL", "WHOAMI"}), kNoPermCommand + "acl|whoami' command");
  EXPECT_EQ(Ask(gw.get(), {"DENY.CHECK", "iss", "jti-1"}), "1");
  EXPECT_EQ(Ask(gw.get(), {"DENY.CHECK", "iss", "jti-other"}), "0");
  EXPECT_EQ(Ask(gw.get(), {"NOTBEFORE.GET", "SUB", "alice"}).find("NOPERM"), std::string::npos);
  EXPECT_EQ(Ask(gw.get(), {"SESSION.GET", "s1_unknown"}), "");
  EXPECT_EQ(Ask(gw.get(), {"SESSION.GET", "s1_unknown", "TOUCH"}), kNoPermCommand + "session.get' command");
  for (const std::vector<std::string>& denied :
       std::vector<std::vector<std::string>>{{"DENY.ADD", "iss", "jti-2", exp},
                                             {"NOTBEFORE.SET", "SUB", "alice", "1"},
                                             {"SESSION.CREATE", "alice", "IDLE", "60", "ABS", "600"},
                                             {"SESSION.REVOKEALL", "alice"},
                                             {"FLUSHALL"},
                                             {"CONFIG", "SET", "maxmemory", "1"},
                                             {"SET", "k", "v"}}) {
    std::string name = denied[0];
    for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (denied[0] == "CONFIG") name = "config|set";
    EXPECT_EQ(Ask(gw.get(), denied), kNoPermCommand + name + "' command");
  }
  // The revocation channel is allowed, others are not.
  EXPECT_EQ(Ask(gw.get(), {"PUBLISH", "lk:revocations", "x"}), kNoPermCommand + "publish' command");
  RedisConn listener = LoggedIn(server, "gw", "gw-secret");
  Reply sub = Command(listener.get(), {"SUBSCRIBE", "other"});
  EXPECT_EQ(Str(sub.get()), kNoPermChannel);
  sub = Command(listener.get(), {"SUBSCRIBE", "lk:revocations"});
  ASSERT_EQ(sub->type, REDIS_REPLY_ARRAY);
  EXPECT_EQ(Str(sub->element[0]), "subscribe");
  // Nothing was written on its behalf, and the refusals are in ACL LOG.
  EXPECT_EQ(Ask(admin.get(), {"DBSIZE"}), "0");
  EXPECT_EQ(Ask(admin.get(), {"DENY.CHECK", "iss", "jti-2"}), "0");
  const auto entry = NewestLogEntry(admin.get());
  EXPECT_EQ(entry.at("reason"), "channel");
  EXPECT_EQ(entry.at("object"), "other");
  EXPECT_EQ(entry.at("username"), "gw");
  EXPECT_EQ(entry.at("context"), "toplevel");
  EXPECT_NE(entry.at("client-info").find("user=gw"), std::string::npos);
}

TEST(AclTest, KeyPatternsGrantReadWriteOrBoth) {
  ServerProcess server;
  RedisConn admin = server.Connect();
  EXPECT_EQ(
      Ask(admin.get(), {"ACL", "SETUSER", "app", "on", ">pw", "~cache:*", "%R~ro:*", "%W~wo:*", "+@all"}),
      "OK");
  RedisConn app = LoggedIn(server, "app", "pw");
  EXPECT_EQ(Ask(app.get(), {"SET", "cache:1", "v"}), "OK");
  EXPECT_EQ(Ask(app.get(), {"GET", "cache:1"}), "v");
  EXPECT_EQ(Ask(app.get(), {"GET", "ro:1"}), "");
  EXPECT_EQ(Ask(app.get(), {"SET", "ro:1", "v"}), kNoPermKey);
  EXPECT_EQ(Ask(app.get(), {"SET", "wo:1", "v"}), "OK");
  EXPECT_EQ(Ask(app.get(), {"GET", "wo:1"}), kNoPermKey);
  EXPECT_EQ(Ask(app.get(), {"MSET", "cache:2", "v", "other", "v"}), kNoPermKey);  // every key is checked
  EXPECT_EQ(Ask(admin.get(), {"EXISTS", "cache:2", "other", "ro:1"}), "0");
  const auto entry = NewestLogEntry(admin.get());
  EXPECT_EQ(entry.at("reason"), "key");
  EXPECT_EQ(entry.at("object"), "other");
  EXPECT_EQ(Ask(admin.get(), {"ACL", "DRYRUN", "app", "GET", "other"}),
            "This user has no permissions to access the 'other' key");
  EXPECT_EQ(Ask(admin.get(), {"ACL", "DRYRUN", "app", "GET", "cache:9"}), "OK");
}

TEST(AclTest, RequirepassIsTheDefaultUsersPassword) {
  ServerProcess server({"--requirepass", "s3cret"});
  RedisConn c = server.Connect();
  EXPECT_EQ(Ask(c.get(), {"GET", "k"}), "NOAUTH Authentication required.");
  EXPECT_EQ(Ask(c.get(), {"AUTH", "wrong"}), "WRONGPASS invalid username-password pair or user is disabled.");
  EXPECT_EQ(Ask(c.get(), {"AUTH", "s3cret"}), "OK");
  EXPECT_EQ(Ask(c.get(), {"ACL", "WHOAMI"}), "default");
  const auto entry = NewestLogEntry(c.get());
  EXPECT_EQ(entry.at("reason"), "auth");
  EXPECT_EQ(entry.at("object"), "AUTH");
  EXPECT_EQ(entry.at("username"), "default");
  EXPECT_EQ(entry.at("count"), "1");
  Reply list = Command(c.get(), {"ACL", "LIST"});
  ASSERT_EQ(list->type, REDIS_REPLY_ARRAY);
  ASSERT_EQ(list->elements, 1u);
  EXPECT_EQ(Str(list->element[0]),
            "user default on #1ec1c26b50d5d3c58d9583181af8076655fe00756bf7285940ba3670f99fcba0 ~* &* +@all");
  // CONFIG SET requirepass "" opens the server to new connections, as Redis does.
  EXPECT_EQ(Ask(c.get(), {"CONFIG", "SET", "requirepass", ""}), "OK");
  RedisConn fresh = server.Connect();
  EXPECT_EQ(Ask(fresh.get(), {"PING"}), "PONG");
  // HELLO AUTH logs in as a named user.
  EXPECT_EQ(Ask(c.get(), {"ACL", "SETUSER", "bob", "on", ">bobpw", "+@all", "~*"}), "OK");
  RedisConn hello = server.Connect();
  Reply h = Command(hello.get(), {"HELLO", "2", "AUTH", "bob", "bobpw"});
  ASSERT_NE(h, nullptr);
  EXPECT_NE(h->type, REDIS_REPLY_ERROR) << Str(h.get());
  EXPECT_EQ(Ask(hello.get(), {"ACL", "WHOAMI"}), "bob");
  EXPECT_EQ(Str(Command(hello.get(), {"HELLO", "2", "AUTH", "bob", "nope"}).get()),
            "WRONGPASS invalid username-password pair or user is disabled.");
}

TEST(AclTest, SetUserIsAllOrNothingAndTakesEffectOnLoggedInConnections) {
  ServerProcess server;
  RedisConn admin = server.Connect();
  EXPECT_EQ(Ask(admin.get(), {"ACL", "SETUSER", "eve", "on", ">pw", "~*", "+get", "+set"}), "OK");
  RedisConn eve = LoggedIn(server, "eve", "pw");
  EXPECT_EQ(Ask(eve.get(), {"SET", "k", "v"}), "OK");
  EXPECT_EQ(Ask(admin.get(), {"ACL", "SETUSER", "eve", "-set", "+nosuchcommand"}),
            "ERR Error in ACL SETUSER modifier '+nosuchcommand': Unknown command or category name in ACL");
  EXPECT_EQ(Ask(eve.get(), {"SET", "k", "v2"}), "OK") << "a failed SETUSER changed the user";
  EXPECT_EQ(Ask(admin.get(), {"ACL", "SETUSER", "eve", "-set"}), "OK");
  EXPECT_EQ(Ask(eve.get(), {"SET", "k", "v3"}), kNoPermCommand + "set' command");
  EXPECT_EQ(Ask(eve.get(), {"GET", "k"}), "v2");
  for (const auto& [rule, reason] : std::vector<std::pair<std::string, std::string>>{
           {"<absent", "The password you are trying to remove from the user does not exist"},
           {"#abc",
            "The password hash must be exactly 64 characters and contain only lowercase hexadecimal "
            "characters"},
           {"bogus", "Syntax error"},
           {"+@nosuch", "Unknown command or category name in ACL"}}) {
    EXPECT_EQ(Ask(admin.get(), {"ACL", "SETUSER", "eve", rule}),
              "ERR Error in ACL SETUSER modifier '" + rule + "': " + reason);
  }
  // Disabled: the password no longer logs in.
  EXPECT_EQ(Ask(admin.get(), {"ACL", "SETUSER", "eve", "off"}), "OK");
  RedisConn again = server.Connect();
  EXPECT_EQ(Ask(again.get(), {"AUTH", "eve", "pw"}),
            "WRONGPASS invalid username-password pair or user is disabled.");
  Reply users = Command(admin.get(), {"ACL", "USERS"});
  ASSERT_EQ(users->elements, 2u);
  EXPECT_EQ(Str(users->element[0]), "default");
  EXPECT_EQ(Str(users->element[1]), "eve");
}

TEST(AclTest, DelUserClosesItsConnectionsAndDefaultStays) {
  ServerProcess server;
  RedisConn admin = server.Connect();
  EXPECT_EQ(Ask(admin.get(), {"ACL", "SETUSER", "tmp", "on", ">pw", "+@all", "~*"}), "OK");
  RedisConn tmp = LoggedIn(server, "tmp", "pw");
  EXPECT_EQ(Ask(tmp.get(), {"PING"}), "PONG");
  EXPECT_EQ(Ask(admin.get(), {"ACL", "DELUSER", "default"}), "ERR The 'default' user cannot be removed");
  EXPECT_EQ(Ask(admin.get(), {"ACL", "DELUSER", "tmp", "nobody"}), "1");
  Reply after(static_cast<redisReply*>(redisCommand(tmp.get(), "PING")));  // nullptr: closed
  EXPECT_TRUE(after == nullptr || after->type == REDIS_REPLY_ERROR)
      << "the deleted user's connection still runs";
  EXPECT_EQ(Ask(admin.get(), {"ACL", "GETUSER", "tmp"}), "");
}

TEST(AclTest, ARefusedCommandInsideMultiAbortsTheTransaction) {
  ServerProcess server;
  RedisConn admin = server.Connect();
  EXPECT_EQ(Ask(admin.get(), {"ACL", "SETUSER", "m", "on", ">pw", "~*", "+multi", "+exec", "+set"}), "OK");
  RedisConn m = LoggedIn(server, "m", "pw");
  EXPECT_EQ(Ask(m.get(), {"MULTI"}), "OK");
  EXPECT_EQ(Ask(m.get(), {"SET", "a", "1"}), "QUEUED");
  EXPECT_EQ(Ask(m.get(), {"DEL", "a"}), kNoPermCommand + "del' command");
  EXPECT_EQ(Ask(m.get(), {"EXEC"}), "EXECABORT Transaction discarded because of previous errors.");
  EXPECT_EQ(Ask(admin.get(), {"EXISTS", "a"}), "0");
  EXPECT_EQ(NewestLogEntry(admin.get()).at("context"), "multi");
}

// Permissions are checked again when EXEC runs the queue; refusals then carry Redis 7.0's "ACLs rules
// changed" texts (checked against redis-server) and are logged in the multi context.
TEST(AclTest, RulesChangedBetweenQueueingAndExecAreEnforcedAtExec) {
  ServerProcess server;
  RedisConn admin = server.Connect();
  EXPECT_EQ(Ask(admin.get(), {"ACL", "SETUSER", "m", "on", ">pw", "~a", "&ch", "+multi", "+exec", "+set",
                              "+publish", "+get"}),
            "OK");
  RedisConn m = LoggedIn(server, "m", "pw");
  EXPECT_EQ(Ask(m.get(), {"MULTI"}), "OK");
  EXPECT_EQ(Ask(m.get(), {"SET", "a", "1"}), "QUEUED");
  EXPECT_EQ(Ask(m.get(), {"PUBLISH", "ch", "x"}), "QUEUED");
  EXPECT_EQ(Ask(m.get(), {"GET", "a"}), "QUEUED");
  EXPECT_EQ(Ask(admin.get(), {"ACL", "SETUSER", "m", "resetkeys", "~b", "resetchannels", "&other", "-get"}),
            "OK");
  Reply exec = Command(m.get(), {"EXEC"});
  ASSERT_EQ(exec->type, REDIS_REPLY_ARRAY);
  ASSERT_EQ(exec->elements, 3u);
  const std::string changed =
      "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. "
      "This command is no longer allowed for the following reason: ";
  EXPECT_EQ(Str(exec->element[0]), changed + "no permission to touch the specified keys");
  EXPECT_EQ(Str(exec->element[1]), changed + "no permission to access one of the channels used as arguments");
  EXPECT_EQ(Str(exec->element[2]), changed + "no permission to execute the command or subcommand");
  EXPECT_EQ(Ask(admin.get(), {"EXISTS", "a"}), "0");
  EXPECT_EQ(NewestLogEntry(admin.get()).at("context"), "multi");
  // Outside a transaction the usual texts again.
  EXPECT_EQ(Ask(m.get(), {"SET", "a", "1"}), kNoPermKey);
}

// Secrets never reach the slow log: AUTH and HELLO AUTH passwords, ACL SETUSER rules (Redis 7.0
// redacts everything after SETUSER), session ids and refresh tokens.
TEST(AclTest, SecretsAreRedactedInTheSlowLog) {
  ServerProcess server({"--slowlog-log-slower-than", "0"});
  RedisConn admin = server.Connect();
  EXPECT_EQ(Ask(admin.get(), {"ACL", "SETUSER", "writer", "on", ">pass-one", "~*", "+@all"}), "OK");
  RedisConn w = LoggedIn(server, "writer", "pass-one");
  EXPECT_EQ(Command(w.get(), {"HELLO", "2", "AUTH", "writer", "pass-one"})->type, REDIS_REPLY_ARRAY);
  Reply created = Command(w.get(), {"SESSION.CREATE", "alice", "IDLE", "60", "ABS", "600"});
  ASSERT_EQ(created->type, REDIS_REPLY_ARRAY);
  std::string id;
  for (size_t i = 0; i + 1 < created->elements; i += 2) {
    if (Str(created->element[i]) == "id") id = Str(created->element[i + 1]);
  }
  ASSERT_FALSE(id.empty());
  Command(w.get(), {"SESSION.GET", id});
  Command(w.get(), {"SESSION.TOUCH", id});
  Reply log = Command(admin.get(), {"SLOWLOG", "GET", "100"});
  ASSERT_EQ(log->type, REDIS_REPLY_ARRAY);
  bool saw_setuser = false;
  for (size_t i = 0; i < log->elements; ++i) {
    const redisReply* args = log->element[i]->element[3];
    std::string line;
    for (size_t j = 0; j < args->elements; ++j) line += Str(args->element[j]) + " ";
    EXPECT_EQ(line.find("pass-one"), std::string::npos) << line;
    EXPECT_EQ(line.find(id), std::string::npos) << line;
    if (line.starts_with("ACL SETUSER ")) {
      saw_setuser = true;
      EXPECT_EQ(line, "ACL SETUSER (redacted) (redacted) (redacted) (redacted) (redacted) ");
    }
  }
  EXPECT_TRUE(saw_setuser);
}

}  // namespace
}  // namespace latchkey::testing
