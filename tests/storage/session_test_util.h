// Helpers shared by the SessionStore tests: a WriteLog that only numbers writes (no committer), an
// event recorder, and a fixture owning a store wired to both, so a test reads as a sequence of
// commands at explicit clock values.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/event_log.h"
#include "storage/record_codec.h"
#include "storage/secrets.h"
#include "storage/session_record.h"
#include "storage/session_store.h"
#include "storage/write_log.h"
#include "storage_test_util.h"

namespace latchkey::session_test {

using test_util::kNow;
inline constexpr int64_t kSecond = 1000;
inline constexpr int64_t kMinute = 60 * kSecond;
inline constexpr int64_t kHour = 60 * kMinute;
inline constexpr int64_t kRetentionMs = 86400 * kSecond;

// Sequence numbers come from the base class; nobody commits (a test may declare records durable).
class TestLog : public WriteLog {
 public:
  void Notify() override { ++notified_; }
  void MarkDurable(uint64_t seq) { durable_seq_.store(seq); }
  // How many times the store woke the committer.
  uint64_t notified() const { return notified_.load(); }

 private:
  std::atomic<uint64_t> notified_{0};
};

// Collects published event messages (thread-safe).
class EventRecorder {
 public:
  EventLog::Publisher publisher() {
    return [this](const std::string& message) {
      std::lock_guard lock(mu_);
      messages_.push_back(message);
    };
  }
  std::vector<std::string> messages() {
    std::lock_guard lock(mu_);
    return messages_;
  }
  // Returns the messages so far and forgets them.
  std::vector<std::string> Take() {
    std::lock_guard lock(mu_);
    return std::exchange(messages_, {});
  }

 private:
  std::mutex mu_;
  std::vector<std::string> messages_;
};

// The 12 raw bytes behind a base64url handle.
inline std::string RawHandle(std::string_view handle) {
  auto raw = Base64UrlDecode(handle);
  EXPECT_TRUE(raw.has_value()) << handle;
  return raw.value_or("");
}

// Whether `haystack` contains `needle` as bytes.
inline bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// The session a kPut record holds.
inline StoredSession Decode(const PendingWrite& w) {
  StoredSession s;
  EXPECT_TRUE(DecodeSession(w.key, w.value, &s));
  return s;
}

// The header's (type, expiry) and the bytes after it.
struct Header {
  uint8_t type = 0;
  int64_t expiry = 0;
  std::string body;
};
inline Header ReadHeader(std::string_view value) {
  Header h;
  EXPECT_TRUE(DecodeHeader(&value, &h.type, &h.expiry));
  h.body.assign(value);
  return h;
}

// The records of one column family.
inline std::vector<PendingWrite> OfColumn(const std::vector<PendingWrite>& writes, Column column) {
  std::vector<PendingWrite> out;
  for (const auto& w : writes) {
    if (w.column == column) out.push_back(w);
  }
  return out;
}

// A store, optionally with a write log and events, plus shorthands for its commands.
class SessionStoreFixture : public ::testing::Test {
 protected:
  // Rebuilds the store; call at the start of a test that wants durability records or events.
  void Init(bool with_log, bool with_events) {
    store_.reset();
    events_.reset();
    log_ = std::make_unique<TestLog>();
    if (with_events) events_ = std::make_unique<EventLog>(recorder_.publisher(), kRetentionMs);
    store_ = std::make_unique<SessionStore>(with_log ? log_.get() : nullptr, events_.get());
  }
  void SetUp() override { Init(/*with_log=*/false, /*with_events=*/true); }

  SessionStore::Created Create(int64_t now, std::string_view sub, int64_t idle_ms = kHour,
                               int64_t abs_ms = 24 * kHour, std::string_view client = "web",
                               std::string_view data = "{}") {
    SessionStore::CreateOptions o;
    o.sub = sub;
    o.idle_ms = idle_ms;
    o.abs_ms = abs_ms;
    o.client = client;
    o.data = data;
    SessionStore::Created out;
    EXPECT_EQ(store_->Create(now, o, &out), SessionStore::CreateResult::kOk);
    return out;
  }
  // Create with a cap per subject.
  SessionStore::CreateResult CreateCapped(int64_t now, std::string_view sub, uint64_t cap, bool evict_oldest,
                                          SessionStore::Created* out, int64_t idle_ms = kHour,
                                          int64_t abs_ms = 24 * kHour) {
    SessionStore::CreateOptions o;
    o.sub = sub;
    o.idle_ms = idle_ms;
    o.abs_ms = abs_ms;
    o.max_per_sub = cap;
    o.evict_oldest = evict_oldest;
    return store_->Create(now, o, out);
  }
  bool Live(int64_t now, std::string_view id) { return store_->Get(now, id, /*touch=*/false, nullptr); }
  SessionStore::View View(int64_t now, std::string_view id) {
    SessionStore::View v;
    EXPECT_TRUE(store_->Get(now, id, /*touch=*/false, &v)) << "no live session at " << now;
    return v;
  }
  std::vector<std::string> ListHandles(int64_t now, std::string_view sub) {
    std::vector<std::string> handles;
    for (const auto& v : store_->List(now, sub)) handles.push_back(v.handle);
    return handles;
  }
  // Every pending record, by sequence number (records of one number keep the order they were made in).
  std::vector<PendingWrite> DrainAll() {
    std::vector<PendingWrite> out;
    store_->Drain(UINT64_MAX, &out);
    std::stable_sort(out.begin(), out.end(),
                     [](const PendingWrite& a, const PendingWrite& b) { return a.seq < b.seq; });
    return out;
  }

  EventRecorder recorder_;
  std::unique_ptr<TestLog> log_;
  std::unique_ptr<EventLog> events_;
  std::unique_ptr<SessionStore> store_;
};

}  // namespace latchkey::session_test
