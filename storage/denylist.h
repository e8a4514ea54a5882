// Denylist: revoked access tokens (SPEC §5) as a plain C++ API. A gateway asks on every request
// whether a token is revoked, so the check is a hash lookup under one shard lock and an entry costs
// a few tens of bytes whatever the size of its iss and jti.
//
// Entries. An entry stands for an (iss, jti) pair through a 64-bit fingerprint (denylist_record.h)
// and keeps only that and its deadline, exp + leeway, in whole seconds: 12 bytes in a flat hash set,
// plus one 8-byte handle in its shard's timing wheel (timing_wheel.h), which reclaims it within one
// tick of the deadline. Two pairs sharing a fingerprint (chance about n / 2^64 per check) share an
// entry, so the mistake it can make is denying a token, never accepting a revoked one. The pair
// itself, the subject and the reason are only on disk: DENY.SCAN reads them from there. Entries are
// never evicted; the caller refuses DENY.ADD with OOM when memory is full.
//
// Watermarks. Per subject, per client and global (id "*"): a token issued at or before the effective
// watermark (watermark.h) is revoked. They only move forward and live until their deadline, which a
// later NOTBEFORE.SET may extend but never shorten.
//
// Durability and events follow SessionStore's rules: records and events are written under the
// shard's lock with one write sequence number, so an entry and its event reach RocksDB in one batch;
// events are published after commit; a failed write is undone from disk; expiry writes nothing.
//
// Thread-safety: all methods are safe to call concurrently.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "storage/event_log.h"
#include "storage/shard_mutex.h"
#include "storage/timing_wheel.h"
#include "storage/watermark.h"
#include "storage/write_log.h"

namespace latchkey {

class Denylist : public RecordSource {
 public:
  static constexpr size_t kShards = 64;
  // Deadlines are kept as 32-bit Unix seconds.
  static constexpr int64_t kMaxDeadlineS = UINT32_MAX;

  // `log` and `events` may be null (unit tests without durability / without events). `seed` keys
  // the fingerprints; it must stay the same for the life of the database.
  Denylist(WriteLog* log, EventLog* events, uint64_t seed) : log_(log), events_(events), seed_(seed) {}

  struct AddRequest {
    std::string_view iss, jti;
    int64_t exp_s = 0;       // the token's exp
    int64_t deadline_s = 0;  // exp + leeway, when the entry expires: 0 < deadline_s <= kMaxDeadlineS
    std::string_view sub, reason;
  };
  enum class AddResult { kAdded, kExisting, kExpired };
  // DENY.ADD. An existing entry keeps the later deadline. kExpired (nothing stored) when the deadline
  // has already passed.
  AddResult Add(int64_t now_ms, const AddRequest& request);

  struct CheckRequest {
    std::string_view iss, jti;
    std::optional<std::string_view> sub, client;
    std::optional<int64_t> iat;  // without it no watermark applies
  };
  // DENY.CHECK's answers, as SPEC §5 numbers them (5, a revoked family or session, is decided by
  // those stores).
  enum class Verdict : int { kOk = 0, kJti = 1, kSub = 2, kClient = 3, kGlobal = 4 };
  Verdict Check(int64_t now_ms, const CheckRequest& request);
  // Counts a check answered "revoked" by another store (a family or session), for INFO's hits.
  void CountHit() { hits_.fetch_add(1, std::memory_order_relaxed); }

  // NOTBEFORE.SET: raises the watermark to `value_s` (never lowers it) and keeps it at least until
  // `deadline_ms`; returns the watermark's value afterwards.
  int64_t SetWatermark(int64_t now_ms, WatermarkScope scope, std::string_view id, int64_t value_s,
                       int64_t deadline_ms);
  // NOTBEFORE.GET: nullopt when unset or expired.
  std::optional<int64_t> GetWatermark(int64_t now_ms, WatermarkScope scope, std::string_view id);

  // Active expiry: reclaims entries and watermarks whose deadline passed, doing at most about
  // `limit_per_shard` steps per shard (per lock hold). Returns how many it reclaimed; *more tells
  // whether work was left (call again).
  size_t RemoveExpired(int64_t now_ms, size_t limit_per_shard, bool* more);

  // Loading: adds one record from disk; false if it is malformed or expired at `now_ms` (the caller
  // deletes it). REQUIRES: before concurrent use.
  bool Load(std::string_view key, std::string_view value, int64_t now_ms);
  // Sizes the tables for about `entries` entries (before a load).
  void Reserve(size_t entries);

  struct Counters {
    uint64_t entries = 0, bytes = 0, adds = 0, checks = 0, hits = 0, expired = 0;
    std::array<uint64_t, 3> watermarks{};  // by WatermarkScope
  };
  Counters counters();

  // RecordSource.
  Column column() const override { return Column::kDenylist; }
  void Drain(uint64_t upto, std::vector<PendingWrite>* out) override;
  void Undo(const PendingWrite& record, DurableStore& store) override;

 private:
  // One entry in memory: 12 bytes, no padding.
  struct __attribute__((packed)) Entry {
    uint64_t fingerprint;
    mutable uint32_t deadline_s;
  };
  struct EntryHash {
    using is_transparent = void;
    size_t operator()(uint64_t fp) const { return static_cast<size_t>(fp); }  // already uniform
    size_t operator()(const Entry& e) const { return static_cast<size_t>(e.fingerprint); }
  };
  struct EntryEq {
    using is_transparent = void;
    static uint64_t Fp(uint64_t fp) { return fp; }
    static uint64_t Fp(const Entry& e) { return e.fingerprint; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return Fp(a) == Fp(b);
    }
  };
  struct Watermark {
    int64_t value_s = 0;
    int64_t deadline_ms = 0;
  };
  struct Shard {
    ShardMutex mu;
    absl::flat_hash_set<Entry, EntryHash, EntryEq> entries;
    TimingWheel<uint64_t> wheel;                             // ticks are seconds
    absl::flat_hash_map<std::string, Watermark> watermarks;  // EncodeWatermarkKey → watermark
    // (deadline, key), earliest first; entries whose deadline moved since are skipped.
    std::priority_queue<std::pair<int64_t, std::string>, std::vector<std::pair<int64_t, std::string>>,
                        std::greater<>>
        watermark_expiry;
    ShardLog log;  // records for the commit pipeline (write_log.h)
  };
  // What a locked section leaves for after the unlock.
  struct Followups {
    std::optional<PendingEvent> event;
    bool recorded = false;
  };

  Shard& EntryShard(uint64_t fingerprint) { return shards_[fingerprint >> 58]; }
  Shard& WatermarkShard(std::string_view key);
  // The live watermark `key`, or nullopt. REQUIRES: shard locked.
  static std::optional<int64_t> LiveWatermark(const Shard& shard, const std::string& key, int64_t now_ms);
  std::optional<int64_t> ReadWatermark(int64_t now_ms, WatermarkScope scope, std::string_view id);
  // REQUIRES: shard locked.
  void Record(Shard& shard, uint64_t seq, std::string key, std::string value, Followups* f);
  void RecordEvent(Shard& shard, uint64_t seq, int64_t now_ms, std::string_view type, std::string fields,
                   Followups* f);
  void Apply(Followups& f);
  uint64_t NextSeq(Shard& shard) { return shard.log.Next(log_); }
  // Puts entry `fp` (deadline `deadline_s`, 0: none) back as it is on disk. REQUIRES: shard locked.
  static void RestoreEntry(Shard& shard, uint64_t fp, std::optional<uint32_t> deadline_s, int64_t now_ms);

  WriteLog* const log_;
  EventLog* const events_;
  const uint64_t seed_;
  std::array<Shard, kShards> shards_;
  std::atomic<uint64_t> adds_{0}, checks_{0}, hits_{0}, expired_{0};
};

}  // namespace latchkey
