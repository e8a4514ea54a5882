// SessionStore: server-side sessions (SPEC §3) as a plain C++ API. The id is the credential: it is
// generated here (`s1_` + base64url of 32 CSPRNG bytes), handed out once, and only its SHA-256 is kept.
// A session ends at min(last seen + idle, absolute); TOUCH slides the first, never past the second.
//
// Layout. Sessions live in 64 shards chosen by their subject, so everything about one subject (its
// sessions, its index, the MAXPERSUB cap, REVOKEALL) is decided under one lock: commands on one
// session or one subject are linearizable. Ids and handles are found through a separate striped
// route table (SHA-256(id) or handle → shard and handle). Routes change only under the owning shard's
// lock and are read without one, so a route is only a hint: the shard re-checks the id against the session,
// so a route to a session that is gone (revoked, expired, renewed past its grace) answers "no session".
//
// Durability. Each mutation records the session's record (or its deletion) and, for revocations,
// its event (event_log.h) with one write sequence number while holding the shard lock: the session,
// its index (derived from the records at load) and the event reach RocksDB in one batch. Idle-deadline
// slides from GET TOUCH / TOUCH are written at most once a second per session (SPEC §2: a crash can
// make a session end earlier, never later). Expiry in memory writes nothing: loading skips expired
// records and the compaction filter drops them. A failed write is undone from disk (Undo).
//
// Thread-safety: all methods are safe to call concurrently.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "storage/event_log.h"
#include "storage/session_record.h"
#include "storage/shard_mutex.h"
#include "storage/timing_wheel.h"
#include "storage/write_log.h"

namespace latchkey {

class SessionStore : public RecordSource {
 public:
  static constexpr size_t kShards = 64;
  // Touches closer together than this are not written to RocksDB (SPEC §2).
  static constexpr int64_t kTouchCoalesceMs = 1000;

  // `log` and `events` may be null (unit tests without durability / without events).
  SessionStore(WriteLog* log, EventLog* events) : log_(log), events_(events) {}

  struct CreateOptions {
    std::string_view sub;
    int64_t idle_ms = 0;  // > 0
    int64_t abs_ms = 0;   // > 0
    std::string_view client;
    std::string_view data;
    uint64_t max_per_sub = 0;  // 0: no cap
    bool evict_oldest = true;  // at the cap: evict the oldest (true) or refuse (false)
  };
  struct Created {
    std::string id;      // plaintext, returned this once
    std::string handle;  // base64url
    int64_t idle_deadline_ms = 0;
    int64_t abs_deadline_ms = 0;
  };
  enum class CreateResult { kOk, kLimit };
  CreateResult Create(int64_t now_ms, const CreateOptions& options, Created* out);

  // What GET and LIST show (never the id).
  struct View {
    std::string sub, handle, client, data;  // handle in base64url
    int64_t created_ms = 0, last_seen_ms = 0, idle_deadline_ms = 0, abs_deadline_ms = 0;
  };
  // GET [TOUCH]: false when there is no live session for `id`.
  bool Get(int64_t now_ms, std::string_view id, bool touch, View* out);
  // TOUCH: milliseconds left after sliding the idle deadline, or nullopt.
  std::optional<int64_t> Touch(int64_t now_ms, std::string_view id);
  // SETDATA: false (and nothing written) unless the session is live.
  bool SetData(int64_t now_ms, std::string_view id, std::string_view data);
  // RENEW: a new id for the same session; the presented id keeps working `grace_ms` more. Only the
  // current id renews. nullopt when not live.
  struct Renewed {
    std::string id, handle;
  };
  std::optional<Renewed> Renew(int64_t now_ms, std::string_view id, int64_t grace_ms);
  // REVOKE by id, or by handle (base64url): whether a live session was revoked.
  bool Revoke(int64_t now_ms, std::string_view id, std::string_view reason);
  bool RevokeHandle(int64_t now_ms, std::string_view handle, std::string_view reason);
  // Whether the session with this handle (base64url) is live: DENY.CHECK's SID test.
  bool IsLiveHandle(int64_t now_ms, std::string_view handle);
  // LIST: the subject's live sessions, oldest first (by creation; ties within a millisecond in the
  // order they were created).
  std::vector<View> List(int64_t now_ms, std::string_view sub);
  // REVOKEALL: revokes every live session of `sub` except `except_handle` (base64url, may be empty);
  // one event; returns how many.
  size_t RevokeAll(int64_t now_ms, std::string_view sub, std::string_view except_handle,
                   std::string_view reason);

  // Active expiry: reclaims up to `limit` sessions per shard whose deadline passed.
  size_t RemoveExpired(int64_t now_ms, size_t limit_per_shard);

  // Loading: adds one record from disk; false if it is malformed or expired at `now_ms` (the caller
  // deletes it). REQUIRES: before concurrent use.
  bool Load(std::string_view key, std::string_view value, int64_t now_ms);

  struct Counters {
    uint64_t live = 0, created = 0, revoked = 0, expired = 0, evicted = 0, touches = 0;
    uint64_t expiry_entries = 0;  // handles in the expiry wheels, stale copies included
  };
  Counters counters();

  // RecordSource.
  Column column() const override { return Column::kSessions; }
  void Drain(uint64_t upto, std::vector<PendingWrite>* out) override;
  void Undo(const PendingWrite& record, DurableStore& store) override;

 private:
  using RawHandle = std::array<char, kSessionHandleBytes>;
  // Expiry ticks are milliseconds: a session whose deadline is D is due at tick D + 1, the first
  // instant it is no longer live, and reclaimed by the next expiry cycle.
  static int64_t DueTick(int64_t deadline_ms) { return deadline_ms + 1; }
  static RawHandle ToRaw(std::string_view handle) {
    RawHandle raw{};
    std::copy_n(handle.begin(), std::min(handle.size(), raw.size()), raw.begin());
    return raw;
  }

  struct Shard {
    ShardMutex mu;
    absl::node_hash_map<std::string, StoredSession> sessions;             // raw handle → session
    absl::flat_hash_map<std::string, std::vector<std::string>> subjects;  // sub → raw handles
    // Raw handles by deadline (timing_wheel.h, millisecond ticks): a TOUCH re-arms in O(1); a copy
    // left behind by a moved deadline is dropped when its slot comes up.
    TimingWheel<RawHandle> expiry;
    ShardLog log;  // records for the commit pipeline (write_log.h)
  };
  // Where an id or handle leads. The raw handle is kept inline (12 bytes, not a 32-byte string): two
  // routes per session are a large part of its memory.
  struct Route {
    Route() = default;
    Route(std::string_view raw_handle, uint32_t shard_index) : shard(shard_index) {
      std::copy_n(raw_handle.begin(), std::min(raw_handle.size(), raw.size()), raw.begin());
    }
    std::string handle() const { return std::string(raw.data(), raw.size()); }
    std::array<char, kSessionHandleBytes> raw{};
    uint32_t shard = 0;
  };
  // 'i' + SHA-256(id), or 'h' + raw handle + zero padding: fixed size, so routes cost no allocation.
  using RouteKey = std::array<char, 33>;
  struct RouteStripe {
    std::mutex mu;
    absl::flat_hash_map<RouteKey, Route> routes;
  };
  // What a locked section decided beyond the shard: route changes (applied before unlocking), and
  // the committer wake-up and events (after).
  struct Followups {
    std::vector<RouteKey> remove;
    std::vector<std::pair<RouteKey, Route>> add;
    std::vector<PendingEvent> events;
    bool recorded = false;  // records were added: wake the committer
  };

  static RouteKey IdRouteKey(const Digest& hash);
  static RouteKey HandleRouteKey(std::string_view raw_handle);
  uint32_t ShardOf(std::string_view sub) const;
  RouteStripe& StripeOf(const RouteKey& key);
  std::optional<Route> FindRoute(const RouteKey& key);
  // Route changes are applied while the shard lock is still held (stripe locks nest inside shard
  // locks, never the other way round), so two commands on one session cannot leave a stale route.
  void ApplyRoutes(Followups& followups);
  // After the shard lock is released: wakes the committer and schedules the events.
  void Apply(Followups& followups);

  // Runs `fn(shard, shard index, session, SHA-256(id), followups)` under the shard lock on the live
  // session `id` opens; returns fn's result, or false if there is none. Followups (route changes,
  // events) are applied after the lock is released.
  template <typename Fn>
  bool WithLiveSession(int64_t now_ms, std::string_view id, Fn&& fn);
  // The live session `id` opens, or nullptr (reclaiming it if it expired). REQUIRES: shard locked.
  StoredSession* FindLive(Shard& shard, const std::string& raw_handle, const Digest& hash, int64_t now_ms,
                          Followups* followups);
  // Adds the session to its shard's maps and expiry index. REQUIRES: shard locked.
  void Insert(Shard& shard, StoredSession session, int64_t now_ms);
  // Removes a session from memory, queuing its routes for removal. REQUIRES: shard locked.
  void Erase(Shard& shard, const std::string& raw_handle, Followups* followups);
  // Revokes a live session: record, event, removal. REQUIRES: shard locked; the session exists.
  void RevokeLocked(Shard& shard, const std::string& raw_handle, int64_t now_ms, std::string_view reason,
                    Followups* f);
  // Records the session's current state (or, with `session` null, its deletion). REQUIRES: shard locked.
  void RecordSession(Shard& shard, uint64_t seq, const std::string& raw_handle, const StoredSession* session,
                     Followups* followups);
  void RecordEvent(Shard& shard, uint64_t seq, int64_t now_ms, std::string fields, Followups* followups);
  uint64_t NextSeq(Shard& shard) { return shard.log.Next(log_); }
  static View MakeView(const StoredSession& s);

  WriteLog* const log_;
  EventLog* const events_;
  std::array<Shard, kShards> shards_;
  std::array<RouteStripe, kShards> stripes_;
  std::atomic<uint64_t> created_{0}, revoked_{0}, expired_{0}, evicted_{0}, touches_{0};
  std::atomic<uint64_t> next_created_seq_{1};
};

}  // namespace latchkey
