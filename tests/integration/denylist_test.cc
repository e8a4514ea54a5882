// DENY.* and NOTBEFORE.* as clients see them (SPEC §5): adding and checking entries, argument errors,
// expiry at exp + deny-leeway-seconds, not-before watermarks in every combination of scopes, session
// handles (SID), DENY.SCAN iterations and the INFO denylist counters. Restarts, kill -9 and a failing
// disk: denylist_durability_test.cc; events and EVENTS.SINCE: denylist_events_test.cc; server bugs
// still open: denylist_regressions_test.cc.
#include <tuple>

#include "denylist_test_helpers.h"

namespace latchkey::testing {
namespace {

// ---- 1. DENY.ADD / DENY.CHECK basics and argument errors. ----

TEST(DenylistBasics, AddThenCheck) {
  ServerProcess server;
  auto c = server.Connect();
  const int64_t now = NowS();

  EXPECT_EQ(DenyCheck(c.get(), kIss, "jti-1"), 0);
  EXPECT_EQ(DenyAdd(c.get(), kIss, "jti-1", now + 3600), 1) << "a new entry";
  EXPECT_EQ(DenyAdd(c.get(), kIss, "jti-1", now + 3600), 0) << "the same entry again";
  EXPECT_EQ(DenyCheck(c.get(), kIss, "jti-1"), 1);
  // Options are accepted in lower case too.
  EXPECT_EQ(DenyAdd(c.get(), kIss, "jti-2", now + 60, {"sub", "alice", "reason", "logout"}), 1);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "jti-2"), 1);

  // (iss, jti) is a pair: the same jti from another issuer, or the same bytes split differently, is
  // another token.
  EXPECT_EQ(DenyCheck(c.get(), "https://other.example", "jti-1"), 0);
  EXPECT_EQ(DenyAdd(c.get(), "ab", "c", now + 60), 1);
  EXPECT_EQ(DenyCheck(c.get(), "ab", "c"), 1);
  EXPECT_EQ(DenyCheck(c.get(), "a", "bc"), 0);
  EXPECT_EQ(DenyCheck(c.get(), "abc", ""), 0);
  // Binary-safe iss and jti.
  const std::string binary_jti("j\0t\xffi", 5);
  EXPECT_EQ(DenyAdd(c.get(), kIss, binary_jti, now + 60), 1);
  EXPECT_EQ(DenyCheck(c.get(), kIss, binary_jti), 1);
  EXPECT_EQ(DenyCheck(c.get(), kIss, std::string("j\0t", 3)), 0);

  // Already expired (exp + 120 s of default leeway in the past): 0, and nothing is denied.
  EXPECT_EQ(DenyAdd(c.get(), kIss, "old", now - 125), 0);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "old"), 0);
  EXPECT_EQ(DenyAdd(c.get(), kIss, "ancient", 0), 0);
  EXPECT_EQ(DenyAdd(c.get(), kIss, "negative", -5), 0);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "negative"), 0);
  // exp in the past but exp + leeway still ahead: denied (clock skew between issuer and gateway).
  EXPECT_EQ(DenyAdd(c.get(), kIss, "recent", now - 100), 1);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "recent"), 1);

  // The later exp is kept, whichever order the two come in; the answer stays 0 for an existing entry.
  EXPECT_EQ(DenyAdd(c.get(), kIss, "grow", now + 100), 1);
  EXPECT_EQ(DenyAdd(c.get(), kIss, "grow", now + 500), 0);
  EXPECT_EQ(DenyAdd(c.get(), kIss, "grow", now + 200), 0);
  EXPECT_EQ(DenyAdd(c.get(), kIss, "shrink", now + 500), 1);
  EXPECT_EQ(DenyAdd(c.get(), kIss, "shrink", now + 100), 0);
  WaitCommitted(c.get());
  ScanResult scan = ScanAll(c.get(), 100);
  ASSERT_TRUE(scan.ok);
  // jti-1, jti-2, ab/c, the binary one, recent, grow and shrink; none of the expired ones.
  EXPECT_EQ(scan.entries.size(), 7u);
  auto exp_of = [&](const std::string& iss, const std::string& jti) {
    auto it = scan.entries.find({iss, jti});
    return it == scan.entries.end() ? int64_t{-1} : it->second;
  };
  EXPECT_EQ(exp_of(kIss, "grow"), now + 500);
  EXPECT_EQ(exp_of(kIss, "shrink"), now + 500);
  EXPECT_EQ(exp_of(kIss, "recent"), now - 100);
  EXPECT_EQ(exp_of(kIss, "jti-1"), now + 3600);
  EXPECT_EQ(exp_of("ab", "c"), now + 60);
  EXPECT_EQ(exp_of(kIss, binary_jti), now + 60);
}

TEST(DenylistBasics, ArgumentErrors) {
  ServerProcess server;
  auto c = server.Connect();
  const std::string exp = std::to_string(NowS() + 3600);

  // Arity: Redis's exact text, with the command's name in lower case.
  EXPECT_TRUE(IsError(Command(c.get(), {"DENY.ADD", kIss, "j"}),
                      "ERR wrong number of arguments for 'deny.add' command"));
  EXPECT_TRUE(
      IsError(Command(c.get(), {"deny.add"}), "ERR wrong number of arguments for 'deny.add' command"));
  EXPECT_TRUE(IsError(Command(c.get(), {"DENY.CHECK", kIss}),
                      "ERR wrong number of arguments for 'deny.check' command"));
  EXPECT_TRUE(
      IsError(Command(c.get(), {"DENY.SCAN"}), "ERR wrong number of arguments for 'deny.scan' command"));
  EXPECT_TRUE(IsError(Command(c.get(), {"NOTBEFORE.SET", "SUB", "alice"}),
                      "ERR wrong number of arguments for 'notbefore.set' command"));
  EXPECT_TRUE(IsError(Command(c.get(), {"NOTBEFORE.GET", "SUB"}),
                      "ERR wrong number of arguments for 'notbefore.get' command"));
  EXPECT_TRUE(IsError(Command(c.get(), {"NOTBEFORE.GET", "SUB", "alice", "extra"}),
                      "ERR wrong number of arguments for 'notbefore.get' command"));
  EXPECT_TRUE(IsError(Command(c.get(), {"EVENTS.SINCE"}),
                      "ERR wrong number of arguments for 'events.since' command"));

  // DENY.ADD: exp must be an integer Unix time; options come in pairs and are SUB or REASON.
  EXPECT_TRUE(IsError(Command(c.get(), {"DENY.ADD", kIss, "j", "soon"}),
                      "ERR exp is not an integer or out of range"));
  EXPECT_TRUE(IsError(Command(c.get(), {"DENY.ADD", kIss, "j", "12.5"}),
                      "ERR exp is not an integer or out of range"));
  EXPECT_TRUE(
      IsError(Command(c.get(), {"DENY.ADD", kIss, "j", ""}), "ERR exp is not an integer or out of range"));
  EXPECT_TRUE(IsError(Command(c.get(), {"DENY.ADD", kIss, "j", "99999999999"}),
                      "ERR exp is not a valid Unix time in seconds"));
  EXPECT_TRUE(IsError(Command(c.get(), {"DENY.ADD", kIss, "j", exp, "SUB"}), "ERR syntax error"));
  EXPECT_TRUE(
      IsError(Command(c.get(), {"DENY.ADD", kIss, "j", exp, "SUB", "a", "REASON"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Command(c.get(), {"DENY.ADD", kIss, "j", exp, "COLOR", "red"}), "ERR syntax error"));
  // None of the refused commands stored anything.
  EXPECT_EQ(DenyCheck(c.get(), kIss, "j"), 0);

  // DENY.CHECK: the same rules for its options, and IAT must be an integer.
  EXPECT_TRUE(IsError(Command(c.get(), {"DENY.CHECK", kIss, "j", "SUB"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Command(c.get(), {"DENY.CHECK", kIss, "j", "SUB", "a", "IAT"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Command(c.get(), {"DENY.CHECK", kIss, "j", "COLOR", "red"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Command(c.get(), {"DENY.CHECK", kIss, "j", "IAT", "yesterday"}),
                      "ERR IAT is not an integer or out of range"));

  // DENY.SCAN: a cursor is a non-negative integer; COUNT is a positive integer.
  EXPECT_TRUE(IsError(Command(c.get(), {"DENY.SCAN", "abc"}), "ERR invalid cursor"));
  EXPECT_TRUE(IsError(Command(c.get(), {"DENY.SCAN", "-1"}), "ERR invalid cursor"));
  EXPECT_TRUE(IsError(Command(c.get(), {"DENY.SCAN", "0", "COUNT"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Command(c.get(), {"DENY.SCAN", "0", "COUNT", "0"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Command(c.get(), {"DENY.SCAN", "0", "COUNT", "x"}),
                      "ERR value is not an integer or out of range"));
  EXPECT_TRUE(IsError(Command(c.get(), {"DENY.SCAN", "0", "MATCH", "*"}), "ERR syntax error"));

  // NOTBEFORE.*: the scope is SUB, CLIENT or GLOBAL, GLOBAL's id is "*", ts and TTL are checked.
  EXPECT_TRUE(IsError(Command(c.get(), {"NOTBEFORE.SET", "USER", "alice", "100"}),
                      "ERR scope must be SUB, CLIENT or GLOBAL"));
  EXPECT_TRUE(IsError(Command(c.get(), {"NOTBEFORE.GET", "USER", "alice"}),
                      "ERR scope must be SUB, CLIENT or GLOBAL"));
  EXPECT_TRUE(IsError(Command(c.get(), {"NOTBEFORE.SET", "GLOBAL", "all", "100"}),
                      "ERR the GLOBAL watermark's id is *"));
  EXPECT_TRUE(
      IsError(Command(c.get(), {"NOTBEFORE.GET", "GLOBAL", "all"}), "ERR the GLOBAL watermark's id is *"));
  EXPECT_TRUE(IsError(Command(c.get(), {"NOTBEFORE.SET", "SUB", "alice", "now"}),
                      "ERR ts is not a valid Unix time in seconds"));
  EXPECT_TRUE(IsError(Command(c.get(), {"NOTBEFORE.SET", "SUB", "alice", "-1"}),
                      "ERR ts is not a valid Unix time in seconds"));
  EXPECT_TRUE(IsError(Command(c.get(), {"NOTBEFORE.SET", "SUB", "alice", "100", "TTL", "0"}),
                      "ERR TTL must be a positive number of seconds"));
  EXPECT_TRUE(IsError(Command(c.get(), {"NOTBEFORE.SET", "SUB", "alice", "100", "TTL"}), "ERR syntax error"));
  EXPECT_TRUE(
      IsError(Command(c.get(), {"NOTBEFORE.SET", "SUB", "alice", "100", "EX", "5"}), "ERR syntax error"));
  EXPECT_EQ(NotBeforeGet(c.get(), "SUB", "alice"), std::nullopt)
      << "a refused NOTBEFORE.SET stored something";

  // EVENTS.SINCE: seq is a non-negative integer, COUNT within 1..100000.
  EXPECT_TRUE(IsError(Command(c.get(), {"EVENTS.SINCE", "x"}), "ERR seq is not a non-negative integer"));
  EXPECT_TRUE(IsError(Command(c.get(), {"EVENTS.SINCE", "-1"}), "ERR seq is not a non-negative integer"));
  EXPECT_TRUE(IsError(Command(c.get(), {"EVENTS.SINCE", "0", "COUNT", "0"}),
                      "ERR COUNT must be between 1 and 100000"));
  EXPECT_TRUE(IsError(Command(c.get(), {"EVENTS.SINCE", "0", "COUNT"}), "ERR syntax error"));
  EXPECT_TRUE(IsError(Command(c.get(), {"EVENTS.SINCE", "0", "LIMIT", "5"}), "ERR syntax error"));

  // The connection still works after all of these.
  EXPECT_EQ(DenyAdd(c.get(), kIss, "j", NowS() + 60), 1);
}

// ---- 2. Expiry at exp + leeway, and not before. ----

TEST(DenylistExpiry, EntryLivesUntilExpPlusLeewayAndConfigSetIsLive) {
  ServerProcess server({"--deny-leeway-seconds", "1"});
  auto c = server.Connect();
  auto leeway = Command(c.get(), {"CONFIG", "GET", "deny-leeway-seconds"});
  ASSERT_EQ(leeway->type, REDIS_REPLY_ARRAY);
  ASSERT_EQ(leeway->elements, 2u);
  EXPECT_EQ(Str(leeway->element[1]), "1");

  const int64_t now = AwayFromSecondEnd(400);
  // A: exp now+1, leeway 1: live while the Unix second is < now+2.
  EXPECT_EQ(DenyAdd(c.get(), kIss, "a", now + 1), 1);
  // The leeway changes live: B (exp now+1, leeway 0) lives while the second is < now+1.
  EXPECT_STREQ(Command(c.get(), {"CONFIG", "SET", "deny-leeway-seconds", "0"})->str, "OK");
  EXPECT_EQ(Str(Command(c.get(), {"CONFIG", "GET", "deny-leeway-seconds"})->element[1]), "0");
  EXPECT_EQ(DenyAdd(c.get(), kIss, "b", now + 1), 1);
  // With leeway 0, exp in the past is already expired; with 120 the same exp is stored.
  EXPECT_EQ(DenyAdd(c.get(), kIss, "c", now - 1), 0);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "c"), 0);
  EXPECT_STREQ(Command(c.get(), {"CONFIG", "SET", "deny-leeway-seconds", "120"})->str, "OK");
  EXPECT_EQ(DenyAdd(c.get(), kIss, "c", now - 1), 1);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "c"), 1);
  EXPECT_EQ(Command(c.get(), {"CONFIG", "SET", "deny-leeway-seconds", "-1"})->type, REDIS_REPLY_ERROR);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "a"), 1);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "b"), 1);
  EXPECT_EQ(InfoField(c.get(), "denylist", "denylist_entries"), 3);

  // At now+1.3: B (deadline now+1) is gone, A (deadline now+2) is still denied.
  SleepUntilUnixMs((now + 1) * 1000 + 300);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "a"), 1);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "b"), 0);
  // Just before A's deadline it is still denied; just after, it is not.
  SleepUntilUnixMs((now + 2) * 1000 - 150);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "a"), 1) << "gone before exp + leeway";
  SleepUntilUnixMs((now + 2) * 1000 + 100);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "a"), 0) << "still denied after exp + leeway";
  EXPECT_EQ(DenyCheck(c.get(), kIss, "c"), 1);

  // Active expiry reclaims both from memory within about a tick.
  const int64_t give_up = UnixMs() + 800;
  while (InfoField(c.get(), "denylist", "denylist_entries") != 1 && UnixMs() < give_up) Sleep(0.02);
  EXPECT_EQ(InfoField(c.get(), "denylist", "denylist_entries"), 1);
  EXPECT_EQ(InfoField(c.get(), "denylist", "denylist_expired"), 2);

  // An expired entry can be added again: it is new again (1).
  EXPECT_EQ(DenyAdd(c.get(), kIss, "a", now + 1), 1) << "exp now+1 + leeway 120 is ahead";
  EXPECT_EQ(DenyCheck(c.get(), kIss, "a"), 1);
}

// ---- 5. Not-before watermarks. ----

TEST(DenylistNotBefore, MonotonicInclusiveAndTtl) {
  ServerProcess server;
  auto c = server.Connect();

  EXPECT_EQ(NotBeforeGet(c.get(), "SUB", "alice"), std::nullopt);
  EXPECT_EQ(Int(Command(c.get(), {"NOTBEFORE.SET", "SUB", "alice", "100"})), 100);
  EXPECT_EQ(Int(Command(c.get(), {"NOTBEFORE.SET", "SUB", "alice", "50"})), 100) << "moved backwards";
  EXPECT_EQ(NotBeforeGet(c.get(), "SUB", "alice"), 100);
  EXPECT_EQ(Int(Command(c.get(), {"NOTBEFORE.SET", "sub", "alice", "150"})), 150);
  EXPECT_EQ(NotBeforeGet(c.get(), "sub", "alice"), 150);
  // Scopes are separate namespaces: the same id under another scope is unset.
  EXPECT_EQ(NotBeforeGet(c.get(), "CLIENT", "alice"), std::nullopt);
  EXPECT_EQ(NotBeforeGet(c.get(), "GLOBAL", "*"), std::nullopt);
  EXPECT_EQ(Int(Command(c.get(), {"NOTBEFORE.SET", "CLIENT", "alice", "90"})), 90);
  EXPECT_EQ(NotBeforeGet(c.get(), "SUB", "alice"), 150);

  // Inclusive: a token issued in the watermark's second is revoked, one issued a second later is not.
  EXPECT_EQ(DenyCheck(c.get(), kIss, "t", {"SUB", "alice", "IAT", "150"}), 2);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "t", {"SUB", "alice", "IAT", "151"}), 0);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "t", {"SUB", "alice", "IAT", "0"}), 2);
  // Options in any order, any case.
  EXPECT_EQ(DenyCheck(c.get(), kIss, "t", {"IAT", "150", "SUB", "alice"}), 2);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "t", {"iat", "151", "sub", "alice"}), 0);
  // Without IAT no watermark applies.
  EXPECT_EQ(DenyCheck(c.get(), kIss, "t", {"SUB", "alice"}), 0);

  // TTL: the watermark lasts TTL seconds. A later SET may extend its life but never shorten it.
  const double start = Now();
  EXPECT_EQ(Int(Command(c.get(), {"NOTBEFORE.SET", "SUB", "brief", "100", "TTL", "1"})), 100);
  EXPECT_EQ(Int(Command(c.get(), {"NOTBEFORE.SET", "SUB", "extended", "100", "TTL", "1"})), 100);
  EXPECT_EQ(Int(Command(c.get(), {"NOTBEFORE.SET", "SUB", "extended", "100", "TTL", "600"})), 100);
  EXPECT_EQ(Int(Command(c.get(), {"NOTBEFORE.SET", "SUB", "kept", "100", "TTL", "600"})), 100);
  EXPECT_EQ(Int(Command(c.get(), {"NOTBEFORE.SET", "SUB", "kept", "120", "TTL", "1"})), 120);
  EXPECT_EQ(Int(Command(c.get(), {"NOTBEFORE.SET", "GLOBAL", "*", "10", "TTL", "1"})), 10);
  EXPECT_EQ(NotBeforeGet(c.get(), "SUB", "brief"), 100);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "t", {"SUB", "brief", "IAT", "100"}), 2);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "t", {"IAT", "10"}), 4);
  EXPECT_EQ(InfoField(c.get(), "denylist", "watermarks_sub"), 4);
  SleepUntil(start, 1.5);
  EXPECT_EQ(NotBeforeGet(c.get(), "SUB", "brief"), std::nullopt) << "TTL 1 did not expire";
  EXPECT_EQ(NotBeforeGet(c.get(), "GLOBAL", "*"), std::nullopt) << "TTL 1 did not expire";
  EXPECT_EQ(NotBeforeGet(c.get(), "SUB", "extended"), 100) << "a longer TTL did not extend the life";
  EXPECT_EQ(NotBeforeGet(c.get(), "SUB", "kept"), 120) << "a shorter TTL shortened the life";
  EXPECT_EQ(DenyCheck(c.get(), kIss, "t", {"SUB", "brief", "IAT", "100"}), 0);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "t", {"IAT", "10"}), 0);
  // Expired is unset: a lower value can be set again.
  EXPECT_EQ(Int(Command(c.get(), {"NOTBEFORE.SET", "SUB", "brief", "40"})), 40);
  EXPECT_EQ(NotBeforeGet(c.get(), "SUB", "brief"), 40);
}

// Every combination of scopes set, with values arranged so the answer names the scope of the largest
// applicable watermark (2 subject, 3 client, 4 global), the most specific on a tie. Subjects sN and
// clients cN are set as the table says (s0 and c0 never); the global watermark is unset, then 1000.
struct ScopeCase {
  const char* sub;
  const char* client;
  std::optional<int64_t> iat;
  int64_t want;
  const char* why;
};

const ScopeCase kWithoutGlobal[] = {
    {"s0", "c0", 500, 0, "nothing set"},
    {"s1", "c0", 500, 2, "subject only (500), same second"},
    {"s1", "c0", 1, 2, "subject only, long before"},
    {"s1", "c0", 501, 0, "subject only, a second after"},
    {"s1", "c0", std::nullopt, 0, "no IAT, no watermark"},
    {"c2", "c0", 500, 0, "a client's id taken as a subject"},
    {"s0", "c2", 500, 3, "client only (500)"},
    {"s0", "c2", 501, 0, "client only, a second after"},
    {"s3", "c3", 550, 2, "subject 600 > client 500"},
    {"s3", "c3", 400, 2, "subject 600 > client 500, before both: the larger answers"},
    {"s3", "c3", 601, 0, "after both"},
    {"s4", "c4", 550, 3, "client 600 > subject 500"},
    {"s4", "c4", 400, 3, "client 600 > subject 500, before both"},
    {"s5", "c5", 600, 2, "subject 600 = client 600: the more specific"},
    {"s4", "c3", 500, 2, "subject 500 = client 500"},
};

const ScopeCase kWithGlobal[] = {
    {"s0", "c0", 1000, 4, "global only (1000), same second"},
    {"s0", "c0", 1001, 0, "global only, a second after"},
    {"s0", "c0", std::nullopt, 0, "no IAT, no watermark"},
    {"s6", "c0", 1500, 2, "subject 2000 > global"},
    {"s6", "c0", 500, 2, "subject 2000 > global, before both"},
    {"s6", "c0", 2001, 0, "after subject and global"},
    {"s1", "c0", 500, 4, "subject 500 < global"},
    {"s0", "c7", 1500, 3, "client 2000 > global"},
    {"s0", "c7", 900, 3, "client 2000 > global, before both"},
    {"s0", "c2", 500, 4, "client 500 < global"},
    {"s8", "c8", 2500, 2, "subject 3000 > client 2000 > global"},
    {"s8", "c8", 100, 2, "subject 3000 > client 2000 > global, before all"},
    {"s9", "c9", 2500, 3, "client 3000 > subject 2000 > global"},
    {"s9", "c9", 3001, 0, "after all three"},
    {"s10", "c10", 900, 4, "global > client 900 > subject 800"},
    {"s10", "c10", 100, 4, "global largest, before all"},
    {"s10", "c10", 1001, 0, "after all three"},
    {"s11", "c11", 1000, 2, "subject = client = global"},
    {"s12", "c12", 1000, 3, "client = global > subject 900"},
    {"s11", "c0", 950, 2, "subject = global"},
};

TEST(DenylistNotBefore, EveryCombinationOfScopes) {
  ServerProcess server;
  auto c = server.Connect();
  auto set = [&](const std::vector<std::tuple<const char*, const char*, int64_t>>& watermarks) {
    for (const auto& [scope, id, ts] : watermarks) {
      EXPECT_EQ(Int(Command(c.get(), {"NOTBEFORE.SET", scope, id, std::to_string(ts)})), ts)
          << scope << " " << id;
    }
  };
  auto run = [&](const auto& cases) {
    for (const ScopeCase& k : cases) {
      std::vector<std::string> options = {"SUB", k.sub, "CLIENT", k.client};
      if (k.iat) options.insert(options.end(), {"IAT", std::to_string(*k.iat)});
      EXPECT_EQ(DenyCheck(c.get(), kIss, "jti", options), k.want)
          << k.sub << " " << k.client << " IAT " << (k.iat ? std::to_string(*k.iat) : "none") << ": "
          << k.why;
    }
  };

  set({{"SUB", "s1", 500},
       {"CLIENT", "c2", 500},
       {"SUB", "s3", 600},
       {"CLIENT", "c3", 500},
       {"SUB", "s4", 500},
       {"CLIENT", "c4", 600},
       {"SUB", "s5", 600},
       {"CLIENT", "c5", 600}});
  run(kWithoutGlobal);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "jti", {"IAT", "500", "CLIENT", "c2"}), 3) << "a client without SUB";

  set({{"GLOBAL", "*", 1000},
       {"SUB", "s6", 2000},
       {"CLIENT", "c7", 2000},
       {"SUB", "s8", 3000},
       {"CLIENT", "c8", 2000},
       {"SUB", "s9", 2000},
       {"CLIENT", "c9", 3000},
       {"SUB", "s10", 800},
       {"CLIENT", "c10", 900},
       {"SUB", "s11", 1000},
       {"CLIENT", "c11", 1000},
       {"SUB", "s12", 900},
       {"CLIENT", "c12", 1000}});
  run(kWithGlobal);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "jti", {"IAT", "999"}), 4)
      << "the global watermark without SUB or CLIENT";

  // A denied jti answers 1 before any watermark.
  EXPECT_EQ(DenyAdd(c.get(), kIss, "denied", NowS() + 60), 1);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "denied", {"SUB", "s8", "CLIENT", "c9", "IAT", "1"}), 1);

  EXPECT_EQ(InfoField(c.get(), "denylist", "watermarks_sub"), 10);
  EXPECT_EQ(InfoField(c.get(), "denylist", "watermarks_client"), 10);
  EXPECT_EQ(InfoField(c.get(), "denylist", "watermarks_global"), 1);
}

// ---- 6. Session handles (SID) and families. ----

TEST(DenylistSid, LiveSessionHandleOnlyAndFirstApplicableCode) {
  ServerProcess server;
  auto c = server.Connect();
  Session s = Create(c.get(), "sam", 600, 3600);
  ASSERT_EQ(s.handle.size(), 16u);
  Session brief = Create(c.get(), "sam", 1, 3600);
  const double created = Now();

  EXPECT_EQ(DenyCheck(c.get(), kIss, "jti", {"SID", s.handle}), 0);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "jti", {"sid", brief.handle}), 0);
  // The handle is not the secret id, nor a made-up handle.
  EXPECT_EQ(DenyCheck(c.get(), kIss, "jti", {"SID", s.id}), 5);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "jti", {"SID", "AAAAAAAAAAAAAAAA"}), 5);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "jti", {"SID", "not a handle!"}), 5);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "jti", {"SID", ""}), 5);
  // FAMILY: no family store yet, so no family is live.
  EXPECT_EQ(DenyCheck(c.get(), kIss, "jti", {"FAMILY", "fam-1"}), 5);

  // First applicable code: a denied jti (1) or a watermark (2..4) before a dead session (5).
  EXPECT_EQ(DenyAdd(c.get(), kIss, "denied", NowS() + 600), 1);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "denied", {"SID", "garbage"}), 1);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "denied", {"SID", s.handle}), 1);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "denied", {"FAMILY", "fam-1"}), 1);
  EXPECT_EQ(Int(Command(c.get(), {"NOTBEFORE.SET", "SUB", "sam", "1000"})), 1000);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "jti", {"SID", "garbage", "SUB", "sam", "IAT", "1000"}), 2);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "jti", {"SUB", "sam", "IAT", "1001", "SID", "garbage"}), 5);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "jti", {"SUB", "sam", "IAT", "1001", "SID", s.handle}), 0);

  // Revoked: 5.
  EXPECT_EQ(Int(Command(c.get(), {"SESSION.REVOKE", s.id})), 1);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "jti", {"SID", s.handle}), 5);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "jti", {"SUB", "sam", "IAT", "1001", "SID", s.handle}), 5);
  // Expired (idle 1 s): 5.
  SleepUntil(created, 1.2);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "jti", {"SID", brief.handle}), 5);
  // A fresh session answers 0 again.
  Session fresh = Create(c.get(), "sam", 600, 3600);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "jti", {"SID", fresh.handle}), 0);
}

// ---- 7. DENY.SCAN. ----

TEST(DenylistScan, EveryLiveEntryExactlyOnce) {
  ServerProcess server;
  auto c = server.Connect();
  ScanResult empty = ScanAll(c.get(), 7);
  EXPECT_TRUE(empty.ok);
  EXPECT_EQ(empty.calls, 1u);
  EXPECT_TRUE(empty.entries.empty());
  const int64_t now = AwayFromSecondEnd(300);

  // Five entries that expire at now+1 (leeway 0 while adding them), never to be listed after that.
  EXPECT_STREQ(Command(c.get(), {"CONFIG", "SET", "deny-leeway-seconds", "0"})->str, "OK");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(DenyAdd(c.get(), kIss, Numbered("short-", i), now + 1), 1);
  EXPECT_STREQ(Command(c.get(), {"CONFIG", "SET", "deny-leeway-seconds", "120"})->str, "OK");
  WaitCommitted(c.get());
  ScanResult before = ScanAll(c.get(), 7);
  ASSERT_TRUE(before.ok);
  EXPECT_EQ(before.entries.size(), 5u) << "the short-lived entries are listed while live";

  std::map<std::pair<std::string, std::string>, int64_t> want;
  for (int i = 0; i < 250; ++i) {
    AppendCommand(c.get(), {"DENY.ADD", Numbered("iss-", i % 3), Numbered("jti ", i),
                            std::to_string(now + 1000 + i), "SUB", Numbered("user-", i % 10)});
    want[{Numbered("iss-", i % 3), Numbered("jti ", i)}] = now + 1000 + i;
  }
  for (int i = 0; i < 250; ++i) EXPECT_EQ(Int(NextReply(c.get())), 1) << i;

  SleepUntilUnixMs((now + 1) * 1000 + 100);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "short-0"), 0);
  WaitCommitted(c.get());
  ScanResult scan = ScanAll(c.get(), 7);
  ASSERT_TRUE(scan.ok);
  EXPECT_EQ(scan.duplicates, 0u);
  EXPECT_EQ(scan.entries, want) << "expired entries listed, or live ones missing";
  EXPECT_LE(scan.largest_page, 7u);
  EXPECT_GE(scan.calls, 250u / 7);
  // A COUNT above the number of entries: one call.
  ScanResult one_call = ScanAll(c.get(), 1000);
  EXPECT_EQ(one_call.calls, 1u);
  EXPECT_EQ(one_call.entries, want);
  // Without COUNT: pages of 10.
  auto first = Command(c.get(), {"DENY.SCAN", "0"});
  ASSERT_EQ(first->type, REDIS_REPLY_ARRAY);
  ASSERT_EQ(first->elements, 2u);
  EXPECT_EQ(first->element[1]->elements, 10u);
  EXPECT_NE(Str(first->element[0]), "0");
}

// ---- 9. INFO denylist. ----

TEST(DenylistInfo, CountersMatchWhatHappened) {
  ServerProcess server;
  auto c = server.Connect();
  auto info = [&](const char* field) { return InfoField(c.get(), "denylist", field); };
  EXPECT_EQ(info("denylist_entries"), 0);
  EXPECT_EQ(info("denylist_checks"), 0);
  EXPECT_EQ(info("denylist_hits"), 0);
  EXPECT_EQ(info("watermarks_sub"), 0);

  const int64_t now = NowS();
  EXPECT_EQ(DenyAdd(c.get(), kIss, "a", now + 600), 1);
  EXPECT_EQ(DenyAdd(c.get(), kIss, "b", now + 600), 1);
  EXPECT_EQ(DenyAdd(c.get(), kIss, "c", now + 600), 1);
  EXPECT_EQ(DenyAdd(c.get(), kIss, "a", now + 600), 0);
  EXPECT_EQ(DenyAdd(c.get(), kIss, "expired", now - 600), 0);
  EXPECT_EQ(info("denylist_entries"), 3);

  EXPECT_EQ(Int(Command(c.get(), {"NOTBEFORE.SET", "SUB", "alice", "100"})), 100);
  EXPECT_EQ(Int(Command(c.get(), {"NOTBEFORE.SET", "SUB", "alice", "200"})), 200);
  EXPECT_EQ(Int(Command(c.get(), {"NOTBEFORE.SET", "SUB", "bob", "100"})), 100);
  EXPECT_EQ(Int(Command(c.get(), {"NOTBEFORE.SET", "CLIENT", "web", "100"})), 100);
  EXPECT_EQ(info("watermarks_sub"), 2);
  EXPECT_EQ(info("watermarks_client"), 1);
  EXPECT_EQ(info("watermarks_global"), 0);
  EXPECT_EQ(Int(Command(c.get(), {"NOTBEFORE.SET", "GLOBAL", "*", "50"})), 50);
  EXPECT_EQ(info("watermarks_global"), 1);

  // 7 checks: 3 hits by jti, 1 by subject, 1 by client, 1 by global watermark, 1 clean.
  EXPECT_EQ(DenyCheck(c.get(), kIss, "a"), 1);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "b"), 1);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "c", {"SUB", "alice", "IAT", "1"}), 1);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "d", {"SUB", "alice", "IAT", "150"}), 2);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "d", {"CLIENT", "web", "IAT", "100"}), 3);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "d", {"IAT", "50"}), 4);
  EXPECT_EQ(DenyCheck(c.get(), kIss, "d", {"SUB", "alice", "IAT", "201"}), 0);
  // Refused commands are not checks.
  EXPECT_EQ(Command(c.get(), {"DENY.CHECK", kIss, "a", "SUB"})->type, REDIS_REPLY_ERROR);
  EXPECT_EQ(info("denylist_checks"), 7);
  EXPECT_EQ(info("denylist_hits"), 6);
  EXPECT_EQ(info("denylist_entries"), 3);

  // Eight events: three entries, four watermark rises, one global.
  WaitCommitted(c.get());
  EXPECT_EQ(info("events_head_seq"), 8);
  EXPECT_EQ(info("events_published_seq"), 8);
  // The section is also part of INFO ALL / INFO everything.
  const std::string all = Str(Command(c.get(), {"INFO", "all"}).get());
  EXPECT_NE(all.find("# Denylist\r\n"), std::string::npos);
  EXPECT_NE(all.find("\r\ndenylist_entries:3\r\n"), std::string::npos);
}

}  // namespace
}  // namespace latchkey::testing
