// Helpers shared by the SESSION.* integration tests: reply shapes (RESP2 flat maps, RESP3 maps), session
// shortcuts over hiredis, time and data-directory utilities.
#pragma once

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
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "resp3_client.h"
#include "server_process.h"

namespace latchkey::testing {

// prefix + decimal n. (GCC 12 warns falsely on `"k" + std::to_string(n)` under -O2: -Wrestrict.)
inline std::string Numbered(const char* prefix, int64_t n) {
  return std::string(prefix).append(std::to_string(n));
}

inline std::string Str(const redisReply* r) {
  return r == nullptr || r->str == nullptr ? std::string() : std::string(r->str, r->len);
}

inline double Now() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

inline int64_t UnixMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

inline void Sleep(double seconds) {
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
}

// Sleeps until `seconds` after `start` (a Now() value).
inline void SleepUntil(double start, double seconds) {
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
inline std::optional<MapReply> AsMap(Reply r, size_t pairs, bool quiet = false) {
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
inline Session Create(redisContext* c, const std::string& sub, int idle, int abs,
                      const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"SESSION.CREATE",     sub,   "IDLE",
                                   std::to_string(idle), "ABS", std::to_string(abs)};
  args.insert(args.end(), extra.begin(), extra.end());
  auto m = AsMap(Command(c, args), 4);
  if (!m) return {};
  return Session{m->str("id"), m->str("handle"), m->num("idle_deadline"), m->num("abs_deadline")};
}

inline std::optional<MapReply> GetSession(redisContext* c, const std::string& id, bool touch = false) {
  std::vector<std::string> args = {"SESSION.GET", id};
  if (touch) args.push_back("TOUCH");
  auto r = Command(c, args);
  if (r != nullptr && r->type == REDIS_REPLY_NIL) return std::nullopt;
  return AsMap(std::move(r), 8);
}

inline bool Live(redisContext* c, const std::string& id) {
  return GetSession(c, id).has_value();
}

inline ::testing::AssertionResult IsError(const Reply& r, const std::string& text) {
  if (r == nullptr) return ::testing::AssertionFailure() << "no reply";
  if (r->type != REDIS_REPLY_ERROR) {
    return ::testing::AssertionFailure()
           << "type " << r->type << " '" << Str(r.get()) << "', want error '" << text << "'";
  }
  if (Str(r.get()) != text)
    return ::testing::AssertionFailure() << "'" << Str(r.get()) << "', want '" << text << "'";
  return ::testing::AssertionSuccess();
}

inline bool IsBase64Url(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
           ch == '_';
  });
}

inline std::set<std::string> ListHandles(redisContext* c, const std::string& sub) {
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

inline int64_t InfoField(redisContext* c, const std::string& section, const std::string& field) {
  std::string text = Str(Command(c, {"INFO", section}).get());
  size_t at = text.find("\r\n" + field + ":");
  if (at == std::string::npos) return -1;
  return std::stoll(text.substr(at + field.size() + 3));
}

// ---- A minimal RESP3 client (the hiredis here predates RESP3), as in pubsub_test.cc. ----

// The keys of a RESP3 map frame, in order, with each value's type byte: "id:$ handle:$ ...".
inline std::string MapShape(const Frame& f) {
  std::string shape;
  for (size_t i = 0; i + 1 < f.elems.size(); i += 2) {
    if (!shape.empty()) shape += ' ';
    shape += f.elems[i].str + ':' + f.elems[i + 1].type;
  }
  return shape;
}

inline const Frame* MapValue(const Frame& f, const std::string& key) {
  for (size_t i = 0; i + 1 < f.elems.size(); i += 2) {
    if (f.elems[i].str == key) return &f.elems[i + 1];
  }
  return nullptr;
}

// Checks, with COMMAND INFO, that each command is in exactly the one Latchkey ACL category given
// (@lk-verify or @lk-issue, SPEC §2).
inline void ExpectLkCategories(redisContext* c,
                               const std::vector<std::pair<std::string, std::string>>& want) {
  for (const auto& [name, category] : want) {
    auto r = Command(c, {"COMMAND", "INFO", name});
    ASSERT_EQ(r->type, REDIS_REPLY_ARRAY);
    ASSERT_EQ(r->elements, 1u);
    const redisReply* info = r->element[0];
    ASSERT_EQ(info->type, REDIS_REPLY_ARRAY) << name;
    ASSERT_GE(info->elements, 7u) << name;
    EXPECT_EQ(Str(info->element[0]), name);
    const redisReply* categories = info->element[6];
    std::vector<std::string> lk;
    for (size_t i = 0; i < categories->elements; ++i) {
      const std::string cat = Str(categories->element[i]);
      if (cat.rfind("@lk-", 0) == 0) lk.push_back(cat);
    }
    EXPECT_EQ(lk, std::vector<std::string>{category}) << name;
  }
}

}  // namespace latchkey::testing
