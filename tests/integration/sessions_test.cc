// SESSION.* as clients see it (SPEC §2-§3): the whole life of a session (create, get, touch, data,
// renew with a grace window, revoke) in RESP2 and RESP3, argument errors, per-subject caps, REVOKEALL,
// idle vs absolute deadlines, restarts and kill -9, no plaintext id on disk, revocation events on
// lk:revocations, concurrent clients (no resurrection, LIST consistent) and sessions inside MULTI/EXEC.
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "resp3_client.h"
#include "server_process.h"

namespace latchkey::testing {
namespace {

// prefix + decimal n. (GCC 12 warns falsely on `"k" + std::to_string(n)` under -O2: -Wrestrict.)
std::string Numbered(const char* prefix, int64_t n) {
  return std::string(prefix).append(std::to_string(n));
}

std::string Str(const redisReply* r) {
  return r == nullptr || r->str == nullptr ? std::string() : std::string(r->str, r->len);
}

double Now() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

int64_t UnixMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

void Sleep(double seconds) {
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
}

// Sleeps until `seconds` after `start` (a Now() value).
void SleepUntil(double start, double seconds) {
  const double left = start + seconds - Now();
  if (left > 0) Sleep(left);
}

class DataDir {
 public:
  DataDir() {
    char tmpl[] = "/tmp/latchkey-sessions-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~DataDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A RESP2 "map" (flat [key, value, ...] array) as key → element; the elements stay owned by `reply`.
struct MapReply {
  Reply reply;
  std::map<std::string, const redisReply*> fields;

  bool has(const std::string& key) const { return fields.count(key) != 0; }
  std::string str(const std::string& key) const {
    auto it = fields.find(key);
    return it == fields.end() ? std::string("<missing>") : Str(it->second);
  }
  int64_t num(const std::string& key) const {
    auto it = fields.find(key);
    if (it == fields.end() || it->second->type != REDIS_REPLY_INTEGER) {
      ADD_FAILURE() << "field '" << key << "' is missing or not an integer";
      return -1;
    }
    return it->second->integer;
  }
};

// Splits a flat map reply; nullopt (after a test failure unless `quiet`) if `r` is no such array.
std::optional<MapReply> AsMap(Reply r, size_t pairs, bool quiet = false) {
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements != 2 * pairs) {
    if (!quiet) {
      ADD_FAILURE() << "not a map of " << pairs << " pairs: type " << (r ? r->type : -1) << " '"
                    << Str(r.get()) << "' elements " << (r ? r->elements : 0);
    }
    return std::nullopt;
  }
  MapReply m;
  for (size_t i = 0; i + 1 < r->elements; i += 2) m.fields[Str(r->element[i])] = r->element[i + 1];
  m.reply = std::move(r);
  return m;
}

struct Session {
  std::string id, handle;
  int64_t idle_deadline = 0, abs_deadline = 0;
};

// SESSION.CREATE <sub> IDLE <idle> ABS <abs> <extra...>; fails the test unless it answers a 4-pair map.
Session Create(redisContext* c, const std::string& sub, int idle, int abs,
               const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"SESSION.CREATE",     sub,   "IDLE",
                                   std::to_string(idle), "ABS", std::to_string(abs)};
  args.insert(args.end(), extra.begin(), extra.end());
  auto m = AsMap(Command(c, args), 4);
  if (!m) return {};
  return Session{m->str("id"), m->str("handle"), m->num("idle_deadline"), m->num("abs_deadline")};
}

std::optional<MapReply> GetSession(redisContext* c, const std::string& id, bool touch = false) {
  std::vector<std::string> args = {"SESSION.GET", id};
  if (touch) args.push_back("TOUCH");
  auto r = Command(c, args);
  if (r != nullptr && r->type == REDIS_REPLY_NIL) return std::nullopt;
  return AsMap(std::move(r), 8);
}

bool Live(redisContext* c, const std::string& id) {
  return GetSession(c, id).has_value();
}

::testing::AssertionResult IsError(const Reply& r, const std::string& text) {
  if (r == nullptr) return ::testing::AssertionFailure() << "no reply";
  if (r->type != REDIS_REPLY_ERROR) {
    return ::testing::AssertionFailure()
           << "type " << r->type << " '" << Str(r.get()) << "', want error '" << text << "'";
  }
  if (Str(r.get()) != text)
    return ::testing::AssertionFailure() << "'" << Str(r.get()) << "', want '" << text << "'";
  return ::testing::AssertionSuccess();
}

bool IsBase64Url(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
           ch == '_';
  });
}

std::set<std::string> ListHandles(redisContext* c, const std::string& sub) {
  std::set<std::string> handles;
  auto r = Command(c, {"SESSION.LIST", sub});
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY) {
    ADD_FAILURE() << "SESSION.LIST " << sub << ": '" << Str(r.get()) << "'";
    return handles;
  }
  for (size_t i = 0; i < r->elements; ++i) {
    const redisReply* e = r->element[i];
    EXPECT_EQ(e->type, REDIS_REPLY_ARRAY);
    EXPECT_EQ(e->elements, 16u);
    for (size_t j = 0; j + 1 < e->elements; j += 2) {
      EXPECT_NE(Str(e->element[j]), "id") << "LIST must not show secret ids";
      if (Str(e->element[j]) == "handle") handles.insert(Str(e->element[j + 1]));
    }
  }
  return handles;
}

int64_t InfoField(redisContext* c, const std::string& section, const std::string& field) {
  std::string text = Str(Command(c, {"INFO", section}).get());
  size_t at = text.find("\r\n" + field + ":");
  if (at == std::string::npos) return -1;
  return std::stoll(text.substr(at + field.size() + 3));
}

// ---- A minimal RESP3 client (the hiredis here predates RESP3), as in pubsub_test.cc. ----

// The keys of a RESP3 map frame, in order, with each value's type byte: "id:$ handle:$ ...".
std::string MapShape(const Frame& f) {
  std::string shape;
  for (size_t i = 0; i + 1 < f.elems.size(); i += 2) {
    if (!shape.empty()) shape += ' ';
    shape += f.elems[i].str + ':' + f.elems[i + 1].type;
  }
  return shape;
}

const Frame* MapValue(const Frame& f, const std::string& key) {
  for (size_t i = 0; i + 1 < f.elems.size(); i += 2) {
    if (f.elems[i].str == key) return &f.elems[i + 1];
  }
  return nullptr;
}

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

// ---- 5. Restarts and crashes. ----

TEST(Sessions, RestartKeepsSessionsDataAndDeadlines) {
  DataDir dir;
  Session a, b, brief, revoked;
  std::string renewed_id;
  int64_t created_ms = 0;
  double brief_created = 0;
  {
    ServerProcess server(dir.path(), {});
    auto c = server.Connect();
    a = Create(c.get(), "hank", 600, 3600, {"CLIENT", "mobile", "DATA", "first"});
    b = Create(c.get(), "hank", 600, 3600);
    revoked = Create(c.get(), "hank", 600, 3600);
    EXPECT_STREQ(Command(c.get(), {"SESSION.SETDATA", a.id, std::string("second\0", 7)})->str, "OK");
    auto r = AsMap(Command(c.get(), {"SESSION.RENEW", b.id, "GRACE", "600"}), 2);
    ASSERT_TRUE(r);
    renewed_id = r->str("id");
    EXPECT_EQ(Command(c.get(), {"SESSION.REVOKE", revoked.id})->integer, 1);
    created_ms = GetSession(c.get(), a.id)->num("created");
    brief = Create(c.get(), "hank", 1, 3600);
    brief_created = Now();
    ASSERT_EQ(WEXITSTATUS(server.Terminate(SIGTERM)), 0);
  }
  // `first`: no TOUCH happened yet, so the idle deadline is still the one CREATE answered.
  auto check = [&](redisContext* c, bool first) {
    auto got = GetSession(c, a.id);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->str("sub"), "hank");
    EXPECT_EQ(got->str("handle"), a.handle);
    EXPECT_EQ(got->str("client"), "mobile");
    EXPECT_EQ(got->str("data"), std::string("second\0", 7));
    EXPECT_EQ(got->num("created"), created_ms);
    EXPECT_EQ(got->num("abs_deadline"), a.abs_deadline) << "the absolute deadline moved across a restart";
    if (first) {
      EXPECT_EQ(got->num("idle_deadline"), a.idle_deadline);
    } else {
      EXPECT_GE(got->num("idle_deadline"), a.idle_deadline);
      EXPECT_EQ(got->num("idle_deadline"), got->num("last_seen") + 600 * 1000);
    }
    // The renewed session: both ids (the old one in its grace), same handle.
    auto by_new = GetSession(c, renewed_id);
    ASSERT_TRUE(by_new);
    EXPECT_EQ(by_new->str("handle"), b.handle);
    EXPECT_EQ(by_new->num("abs_deadline"), b.abs_deadline);
    auto by_old = GetSession(c, b.id);
    ASSERT_TRUE(by_old) << "the grace of a renewed id did not survive the restart";
    EXPECT_EQ(by_old->str("handle"), b.handle);
    EXPECT_TRUE(IsError(Command(c, {"SESSION.RENEW", b.id}), "NOTFOUND no live session for this id"));
    // The revoked one stays revoked.
    EXPECT_FALSE(Live(c, revoked.id));
    EXPECT_EQ(Command(c, {"SESSION.REVOKE", "HANDLE", revoked.handle})->integer, 0);
  };
  {
    ServerProcess server(dir.path(), {});
    auto c = server.Connect();
    check(c.get(), true);
    EXPECT_GE(InfoField(c.get(), "sessions", "sessions_loaded"), 2);
    // The idle deadline of a session created just before the stop still runs out on time.
    SleepUntil(brief_created, 1.1);
    EXPECT_FALSE(Live(c.get(), brief.id));
    EXPECT_EQ(ListHandles(c.get(), "hank"), (std::set<std::string>{a.handle, b.handle}));
    // TOUCH after the restart slides only the idle deadline.
    auto touched = GetSession(c.get(), a.id, true);
    ASSERT_TRUE(touched);
    EXPECT_EQ(touched->num("abs_deadline"), a.abs_deadline);
    RawClient raw(server.port());
    raw.Send("SHUTDOWN\r\n");
    EXPECT_TRUE(raw.ClosedByPeer());
    EXPECT_EQ(WEXITSTATUS(server.WaitExit(10)), 0);
  }
  // A second restart, after SHUTDOWN: the same.
  ServerProcess server(dir.path(), {});
  auto c = server.Connect();
  check(c.get(), false);
  EXPECT_EQ(InfoField(c.get(), "sessions", "sessions_live"), 2);
}

TEST(Sessions, Kill9RightAfterAcknowledgedCreateKeepsTheSession) {
  DataDir dir;
  Session s, gone;
  {
    ServerProcess server(dir.path(), {"--fsync", "always"});
    auto c = server.Connect();
    gone = Create(c.get(), "ivan", 600, 3600);
    EXPECT_EQ(Command(c.get(), {"SESSION.REVOKE", gone.id})->integer, 1);
    s = Create(c.get(), "ivan", 600, 3600, {"DATA", "payload"});
    ASSERT_FALSE(s.id.empty());
    server.Kill9();
  }
  {
    ServerProcess server(dir.path(), {"--fsync", "always"});
    auto c = server.Connect();
    auto got = GetSession(c.get(), s.id);
    ASSERT_TRUE(got) << "an acknowledged SESSION.CREATE was lost by kill -9";
    EXPECT_EQ(got->str("data"), "payload");
    EXPECT_EQ(got->num("abs_deadline"), s.abs_deadline);
    EXPECT_FALSE(Live(c.get(), gone.id)) << "a revoked session came back after kill -9";
    // SETDATA and RENEW acknowledged just before another kill -9 survive too.
    EXPECT_STREQ(Command(c.get(), {"SESSION.SETDATA", s.id, "changed"})->str, "OK");
    auto r = AsMap(Command(c.get(), {"SESSION.RENEW", s.id}), 2);
    ASSERT_TRUE(r);
    const std::string new_id = r->str("id");
    server.Kill9();
    ServerProcess again(dir.path(), {});
    auto c2 = again.Connect();
    auto after = GetSession(c2.get(), new_id);
    ASSERT_TRUE(after) << "an acknowledged SESSION.RENEW was lost by kill -9";
    EXPECT_EQ(after->str("data"), "changed");
    EXPECT_FALSE(Live(c2.get(), s.id));
  }
}

// ---- 6. Only SHA-256(id) is stored. ----

TEST(Sessions, NoPlaintextIdInTheDataDirectory) {
  DataDir dir;
  std::vector<std::string> ids;
  const std::string marker = "marker-7f3a9c2e41d8b605";
  {
    ServerProcess server(dir.path(), {});
    auto c = server.Connect();
    for (int i = 0; i < 20; ++i) {
      Session s = Create(c.get(), Numbered("user", i % 4), 600, 3600, {"DATA", marker});
      ids.push_back(s.id);
    }
    // Renewed ids (and the old ones kept for a grace) are secrets too.
    for (int i = 0; i < 5; ++i) {
      auto r = AsMap(Command(c.get(), {"SESSION.RENEW", ids[static_cast<size_t>(i)], "GRACE", "600"}), 2);
      ASSERT_TRUE(r);
      ids.push_back(r->str("id"));
    }
    EXPECT_EQ(Command(c.get(), {"SESSION.REVOKE", ids[10], "REASON", "test"})->integer, 1);
    EXPECT_EQ(InfoField(c.get(), "sessions", "sessions_live"), 19);
    EXPECT_EQ(InfoField(c.get(), "sessions", "sessions_created"), 20);
    EXPECT_EQ(InfoField(c.get(), "sessions", "sessions_revoked"), 1);
    EXPECT_STREQ(Command(c.get(), {"SAVE"})->str, "OK");
    ASSERT_EQ(WEXITSTATUS(server.Terminate(SIGTERM)), 0);
  }
  size_t files = 0, with_marker = 0, wal_or_sst = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path())) {
    if (!entry.is_regular_file()) continue;
    ++files;
    const std::string name = entry.path().filename().string();
    if (name.size() > 4 &&
        (name.substr(name.size() - 4) == ".log" || name.substr(name.size() - 4) == ".sst")) {
      ++wal_or_sst;
    }
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    const std::string bytes = content.str();
    if (bytes.find(marker) != std::string::npos) ++with_marker;
    for (const auto& id : ids) {
      EXPECT_EQ(bytes.find(id), std::string::npos) << "plaintext id in " << entry.path();
      // Nor the id without its prefix (its base64url body).
      EXPECT_EQ(bytes.find(id.substr(3)), std::string::npos) << "id body in " << entry.path();
    }
  }
  EXPECT_GT(files, 0u);
  EXPECT_GT(wal_or_sst, 0u) << "no WAL or SST file found: the scan looked at the wrong place";
  // The scan does see session records: their data is stored readable.
  EXPECT_GT(with_marker, 0u) << "session data not found in any file: the scan proves nothing";

  // And the sessions are still there after the restart (the ids are not needed on disk to find them).
  ServerProcess server(dir.path(), {});
  auto c = server.Connect();
  EXPECT_TRUE(Live(c.get(), ids[0]));
  EXPECT_TRUE(Live(c.get(), ids[20]));
  EXPECT_FALSE(Live(c.get(), ids[10]));
  EXPECT_EQ(InfoField(c.get(), "sessions", "sessions_live"), 19);
}

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
