// Helpers shared by the DENY.*, NOTBEFORE.* and EVENTS.SINCE integration tests (denylist_test.cc,
// denylist_durability_test.cc, denylist_events_test.cc): integer replies, full DENY.SCAN iterations,
// EVENTS.SINCE pages, a subscriber on the revocation channel and wall-clock helpers for deadlines that
// are whole Unix seconds.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "session_test_helpers.h"

namespace latchkey::testing {

// The issuer most tests use.
inline constexpr const char* kIss = "https://idp.example";

// A sentinel no command under test answers, so a non-integer reply fails the comparison that follows.
inline constexpr int64_t kNotAnInteger = -999999;

// The integer `r` holds; kNotAnInteger (after a test failure) if it holds anything else.
inline int64_t Int(const Reply& r) {
  if (r == nullptr || r->type != REDIS_REPLY_INTEGER) {
    ADD_FAILURE() << "not an integer: type " << (r ? r->type : -1) << " '" << Str(r.get()) << "'";
    return kNotAnInteger;
  }
  return r->integer;
}

inline int64_t NowS() {
  return UnixMs() / 1000;
}

// Sleeps until the Unix wall clock reads `unix_ms`.
inline void SleepUntilUnixMs(int64_t unix_ms) {
  const int64_t left = unix_ms - UnixMs();
  if (left > 0) Sleep(static_cast<double>(left) / 1000);
}

// Leaves the last `margin_ms` of the current second (sleeping into the next one) so that a few commands
// sent now all see the same Unix second; returns that second.
inline int64_t AwayFromSecondEnd(int64_t margin_ms = 250) {
  const int64_t now = UnixMs();
  if (now % 1000 > 1000 - margin_ms) SleepUntilUnixMs((now / 1000 + 1) * 1000 + 10);
  return NowS();
}

// The message of a jti event: "<seq> jti <iss> <jti> <exp> <reason>" (fields without spaces or '%').
inline std::string JtiEventText(uint64_t seq, const std::string& iss, const std::string& jti, int64_t exp,
                                const std::string& reason = "revoked") {
  return std::to_string(seq) + " jti " + iss + " " + jti + " " + std::to_string(exp) + " " + reason;
}

// Waits (up to 2 s, then fails the test) until every event numbered so far is published. Under
// `fsync everysec` a reply leaves before the commit pipeline hands its write to RocksDB (a few ms
// later), and DENY.SCAN and EVENTS.SINCE serve only what RocksDB holds; since an entry and its event
// are one write, this also waits for every DENY.ADD so far to be there.
inline void WaitCommitted(redisContext* c) {
  const double give_up = Now() + 2;
  int64_t head = -1, published = -2;
  while (Now() < give_up) {
    head = InfoField(c, "denylist", "events_head_seq");
    published = InfoField(c, "denylist", "events_published_seq");
    if (head == published) return;
    Sleep(0.002);
  }
  ADD_FAILURE() << "events_published_seq " << published << " did not reach events_head_seq " << head;
}

// DENY.ADD <iss> <jti> <exp> <extra...>: its integer reply.
inline int64_t DenyAdd(redisContext* c, const std::string& iss, const std::string& jti, int64_t exp,
                       const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"DENY.ADD", iss, jti, std::to_string(exp)};
  args.insert(args.end(), extra.begin(), extra.end());
  return Int(Command(c, args));
}

// DENY.CHECK <iss> <jti> <options...>: its integer reply.
inline int64_t DenyCheck(redisContext* c, const std::string& iss, const std::string& jti,
                         const std::vector<std::string>& options = {}) {
  std::vector<std::string> args = {"DENY.CHECK", iss, jti};
  args.insert(args.end(), options.begin(), options.end());
  return Int(Command(c, args));
}

// NOTBEFORE.GET <scope> <id>: the watermark, or nullopt for a nil reply.
inline std::optional<int64_t> NotBeforeGet(redisContext* c, const std::string& scope, const std::string& id) {
  auto r = Command(c, {"NOTBEFORE.GET", scope, id});
  if (r != nullptr && r->type == REDIS_REPLY_NIL) return std::nullopt;
  return Int(r);
}

// What a full DENY.SCAN iteration saw.
struct ScanResult {
  std::map<std::pair<std::string, std::string>, int64_t> entries;  // (iss, jti) → exp
  size_t duplicates = 0;                                           // entries listed more than once
  size_t calls = 0;
  size_t largest_page = 0;
  bool ok = false;  // the iteration ended with cursor "0" and every reply was well formed
};

// Iterates DENY.SCAN from cursor "0" until it answers "0" again (at most `max_calls` calls).
inline ScanResult ScanAll(redisContext* c, int64_t count, size_t max_calls = 10000) {
  ScanResult result;
  std::string cursor = "0";
  do {
    if (result.calls == max_calls) {
      ADD_FAILURE() << "DENY.SCAN did not finish in " << max_calls << " calls";
      return result;
    }
    auto r = Command(c, {"DENY.SCAN", cursor, "COUNT", std::to_string(count)});
    ++result.calls;
    if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_ARRAY) {
      ADD_FAILURE() << "DENY.SCAN " << cursor << ": malformed reply '" << Str(r.get()) << "'";
      return result;
    }
    cursor = Str(r->element[0]);
    const redisReply* page = r->element[1];
    result.largest_page = std::max(result.largest_page, page->elements);
    for (size_t i = 0; i < page->elements; ++i) {
      const redisReply* e = page->element[i];
      if (e->type != REDIS_REPLY_ARRAY || e->elements != 3 || e->element[0]->type != REDIS_REPLY_STRING ||
          e->element[1]->type != REDIS_REPLY_STRING || e->element[2]->type != REDIS_REPLY_INTEGER) {
        ADD_FAILURE() << "DENY.SCAN entry is not [iss, jti, exp]";
        return result;
      }
      auto [it, inserted] = result.entries.emplace(std::make_pair(Str(e->element[0]), Str(e->element[1])),
                                                   e->element[2]->integer);
      if (!inserted) ++result.duplicates;
    }
  } while (cursor != "0");
  result.ok = true;
  return result;
}

// One EVENTS.SINCE reply: [head_seq, [messages]].
struct EventsPage {
  int64_t head = -1;
  std::vector<std::string> events;
  std::string error;  // set (and the rest empty) when the reply is an error
};

inline EventsPage EventsSince(redisContext* c, uint64_t since, std::optional<int64_t> count = std::nullopt) {
  std::vector<std::string> args = {"EVENTS.SINCE", std::to_string(since)};
  if (count) {
    args.push_back("COUNT");
    args.push_back(std::to_string(*count));
  }
  auto r = Command(c, args);
  EventsPage page;
  if (r != nullptr && r->type == REDIS_REPLY_ERROR) {
    page.error = Str(r.get());
    return page;
  }
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
      r->element[0]->type != REDIS_REPLY_INTEGER || r->element[1]->type != REDIS_REPLY_ARRAY) {
    ADD_FAILURE() << "EVENTS.SINCE " << since << ": malformed reply '" << Str(r.get()) << "'";
    return page;
  }
  page.head = r->element[0]->integer;
  for (size_t i = 0; i < r->element[1]->elements; ++i) {
    const redisReply* e = r->element[1]->element[i];
    EXPECT_EQ(e->type, REDIS_REPLY_STRING) << "EVENTS.SINCE event " << i;
    page.events.push_back(Str(e));
  }
  return page;
}

// The sequence number an event message starts with ("<seq> <type> ..."); 0 if it has none.
inline uint64_t EventSeq(const std::string& message) {
  const size_t space = message.find(' ');
  if (space == 0 || space == std::string::npos || message.find_first_not_of("0123456789") != space) {
    ADD_FAILURE() << "event without a sequence number: '" << message << "'";
    return 0;
  }
  return std::stoull(message.substr(0, space));
}

// A RESP2 connection subscribed to the revocation channel, reading with a timeout.
inline RedisConn SubscribeRevocations(const ServerProcess& server, double timeout_s = 5) {
  RedisConn sub = server.Connect();
  timeval tv{static_cast<time_t>(timeout_s),
             static_cast<suseconds_t>((timeout_s - static_cast<int64_t>(timeout_s)) * 1e6)};
  EXPECT_EQ(redisSetTimeout(sub.get(), tv), REDIS_OK);
  auto subscribed = Command(sub.get(), {"SUBSCRIBE", "lk:revocations"});
  EXPECT_TRUE(subscribed != nullptr && subscribed->type == REDIS_REPLY_ARRAY && subscribed->elements == 3 &&
              Str(subscribed->element[0]) == "subscribe")
      << Str(subscribed.get());
  return sub;
}

// The next message published on the subscribed connection `sub` (the whole "<seq> <type> ..." text),
// or nullopt when nothing arrives before its read timeout.
inline std::optional<std::string> NextMessage(redisContext* sub) {
  void* raw = nullptr;
  if (redisGetReply(sub, &raw) != REDIS_OK) return std::nullopt;
  Reply r(static_cast<redisReply*>(raw));
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 || Str(r->element[0]) != "message" ||
      Str(r->element[1]) != "lk:revocations") {
    ADD_FAILURE() << "unexpected push '" << Str(r.get()) << "'";
    return std::nullopt;
  }
  return Str(r->element[2]);
}

// Whether `sub` receives nothing for `seconds` (its timeout is changed to that).
inline bool NoMoreMessages(redisContext* sub, double seconds = 0.3) {
  timeval tv{0, static_cast<suseconds_t>(seconds * 1e6)};
  EXPECT_EQ(redisSetTimeout(sub, tv), REDIS_OK);
  void* extra = nullptr;
  if (redisGetReply(sub, &extra) != REDIS_OK) return true;
  ADD_FAILURE() << "unexpected message: " << Str(static_cast<redisReply*>(extra));
  freeReplyObject(extra);
  return false;
}

}  // namespace latchkey::testing
