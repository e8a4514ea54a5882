// TokenFamilies: refresh-token families (SPEC §4) as a plain C++ API: issue, rotation with an
// idempotent grace replay, reuse detection, revocation and listing. Every ROTATE is decided by one
// table (SPEC §4, rows 1-8), and the decision and its effect happen in one critical section and one
// RocksDB batch:
//   1 bad format or tag → kBadToken, nothing looked up; 2 unknown → kNotFound; 3 revoked → kRevoked;
//   4 past the idle or absolute deadline → kExpired; 5 CLIENT differs → kMismatch, nothing revoked;
//   6 the head with its secret → kRotated: a new head, the old one becomes the predecessor, the new
//     head sealed under it, the grace window opened;
//   7 the predecessor, inside the window, uses left → kReplayed: the same successor, nothing minted;
//   8 any other genuine token → kReused: the family is revoked ("reuse") with an event.
// Row 7's "the head not yet used" needs no flag: using the head rotates it, after which the old
// predecessor is two generations behind and falls to row 8.
//
// Layout. Families live in 64 shards chosen by their subject, so a family, its subject's index, the
// per-(sub, client) cap and REVOKEALL are decided under one lock. The shard is also written into the
// family id (the low 6 bits of its first byte; the other 90 bits are random), so a token or a family
// id leads to its shard without any route table. A family is kept until its absolute deadline, also
// once revoked or idle-expired (a tombstone: its token then answers REVOKED or EXPIRED, not NOTFOUND).
//
// Durability and events follow session_store.h: records and events carry write sequence numbers
// taken under the shard lock; a failed write is undone from disk (Undo), counters excepted.
//
// Thread-safety: all methods are safe to call concurrently.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "storage/event_log.h"
#include "storage/family_record.h"
#include "storage/shard_mutex.h"
#include "storage/timing_wheel.h"
#include "storage/token_keyring.h"
#include "storage/write_log.h"

namespace latchkey {

class TokenFamilies : public RecordSource {
 public:
  static constexpr size_t kShards = 64;

  // `log` and `events` may be null (unit tests without durability / without events). `keys` must
  // outlive the store.
  TokenFamilies(WriteLog* log, EventLog* events, const TokenKeyring* keys)
      : log_(log), events_(events), keys_(keys) {}

  struct IssueOptions {
    std::string_view sub, client;
    int64_t abs_ms = 0;   // > 0
    int64_t idle_ms = 0;  // > 0
    int64_t grace_ms = 0;
    uint32_t grace_uses = 0;
    std::string_view session, data;
    uint64_t max_families = 0;  // per (sub, client); 0: no cap
  };
  struct Issued {
    std::string token, family;  // text forms
    uint32_t gen = 0;
    int64_t idle_deadline_ms = 0, abs_deadline_ms = 0;
  };
  // A new family at generation 0. At the cap, the oldest live families of (sub, client) are revoked
  // ("evicted", with events) to make room.
  Issued Issue(int64_t now_ms, const IssueOptions& options);

  // What INSPECT, LIST and ROTATE show (never a secret).
  struct View {
    std::string family, sub, client, session, data, reason;
    std::string_view state;  // "live", "revoked" or "expired"
    uint32_t gen = 0;
    int64_t created_ms = 0, last_rotated_ms = 0, idle_deadline_ms = 0, abs_deadline_ms = 0;
    int64_t grace_deadline_ms = 0;
    uint32_t grace_uses = 0;
  };

  enum class Outcome { kRotated, kReplayed, kBadToken, kNotFound, kRevoked, kExpired, kMismatch, kReused };
  struct Rotated {
    std::string token;  // the head (new, or replayed)
    View view;
  };
  // ROTATE: the decision table above. `client`, when given, must match the family's.
  Outcome Rotate(int64_t now_ms, std::string_view token, std::optional<std::string_view> client,
                 Rotated* out);

  enum class Lookup { kFound, kNotFound, kBadToken };
  // INSPECT: the family of `token` (state included), changing nothing. `presented` tells which token
  // it is: "head", "grace" (a replay would be accepted now) or "stale" (it would be reuse).
  Lookup Inspect(int64_t now_ms, std::string_view token, View* out, std::string_view* presented);

  // REVOKE by any genuine token of the family, or by family id (text); `revoked` tells whether a live
  // family was revoked (unknown, expired or already revoked: false).
  Lookup Revoke(int64_t now_ms, std::string_view token, std::string_view reason, bool* revoked);
  bool RevokeFamily(int64_t now_ms, std::string_view family, std::string_view reason);
  // Whether the family (text id) is live: DENY.CHECK's FAMILY test.
  bool IsLive(int64_t now_ms, std::string_view family);

  // LIST: the subject's live and revoked families (optionally of one client), oldest first.
  std::vector<View> List(int64_t now_ms, std::string_view sub, std::optional<std::string_view> client);
  // REVOKEALL: revokes the subject's live families (optionally of one client) in one batch, one
  // event each; returns how many.
  size_t RevokeAll(int64_t now_ms, std::string_view sub, std::optional<std::string_view> client,
                   std::string_view reason);

  // Active expiry: per shard, in at most `limit_per_shard` steps of its timing wheel, marks families
  // idle-expired and purges those past their absolute deadline. Writes nothing.
  size_t RemoveExpired(int64_t now_ms, size_t limit_per_shard);

  // Loading: one record from disk; false if malformed or past its absolute deadline (the caller
  // deletes it). REQUIRES: before concurrent use.
  bool Load(std::string_view key, std::string_view value, int64_t now_ms);

  struct Counters {
    uint64_t live = 0, tombstones = 0, issued = 0, rotations = 0, grace_replays = 0, grace_rejections = 0,
             reuse_detections = 0, revoked = 0, evictions = 0, expired = 0;
    uint64_t expiry_entries = 0;  // handles in the timing wheels, stale copies included
  };
  Counters counters();

  // RecordSource.
  Column column() const override { return Column::kFamilies; }
  void Drain(uint64_t upto, std::vector<PendingWrite>* out) override;
  void Undo(const PendingWrite& record, DurableStore& store) override;

 private:
  struct SubjectIndex {
    std::vector<FamilyId> live;           // in creation order
    absl::flat_hash_set<FamilyId> ended;  // revoked or idle-expired, until purged
  };
  struct Shard {
    ShardMutex mu;
    absl::node_hash_map<FamilyId, StoredFamily> families;
    // sub → its families: the live ones apart, so ISSUE's cap and REVOKEALL never walk tombstones.
    absl::flat_hash_map<std::string, SubjectIndex> subjects;
    // Families by next deadline (the idle one while live, then the absolute one), in millisecond
    // ticks (DueTick). Copies left by a rotation or an erase are stale and dropped by the wheel.
    TimingWheel<FamilyId> expiry;
    size_t tombstones = 0;  // families with `ended` set
    ShardLog log;
  };
  struct Followups {
    std::vector<PendingEvent> events;
    bool recorded = false;
  };

  uint32_t ShardOf(std::string_view sub) const;
  static uint32_t ShardOf(const FamilyId& family) { return static_cast<uint8_t>(family[0]) % kShards; }
  static int64_t NextDeadline(const StoredFamily& f) {
    return f.ended ? f.abs_deadline_ms : f.idle_deadline_ms();
  }
  // The wheel tick at which a deadline has passed (a deadline equal to now is still live).
  static int64_t DueTick(int64_t deadline_ms) { return deadline_ms + 1; }
  // After the shard lock is released: wakes the committer and schedules the events.
  void Apply(Followups& followups);
  void Insert(Shard& shard, StoredFamily family, int64_t now_ms);
  void Erase(Shard& shard, const FamilyId& id);
  // Marks `f` no longer live (revoked or idle-expired) for the live count; the caller arms its absolute
  // deadline. REQUIRES: shard locked.
  void MarkEnded(Shard& shard, StoredFamily& f);
  // Revokes a live family: record, event. REQUIRES: shard locked.
  void RevokeLocked(Shard& shard, StoredFamily& f, int64_t now_ms, uint64_t seq, std::string_view reason,
                    Followups* followups);
  void RecordFamily(Shard& shard, uint64_t seq, const StoredFamily& f, Followups* followups);
  // Revokes family `id` if it is live (REVOKE by token or by id).
  bool RevokeId(int64_t now_ms, const FamilyId& id, std::string_view reason);
  uint64_t NextSeq(Shard& shard) { return shard.log.Next(log_); }
  static View MakeView(const StoredFamily& f, int64_t now_ms);

  WriteLog* const log_;
  EventLog* const events_;
  const TokenKeyring* const keys_;
  std::array<Shard, kShards> shards_;
  std::atomic<uint64_t> issued_{0}, rotations_{0}, grace_replays_{0}, grace_rejections_{0},
      reuse_detections_{0}, revoked_{0}, evictions_{0}, expired_{0};
  std::atomic<uint64_t> next_created_seq_{1};
};

}  // namespace latchkey
