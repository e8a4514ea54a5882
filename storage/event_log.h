// EventLog numbers revocation events and publishes them (SPEC §2): "<seq> <type> <fields...>" on the
// revocation channel, after the state change they describe has committed, in sequence order.
//
// A store that revokes something, while holding its shard's lock, calls Append: the event gets the
// next sequence number and a record in the `meta` column family ("ev:" + big-endian seq, expiring
// after the retention) that joins the store's pending records under the same write sequence number,
// so the state change and its event reach RocksDB in one WriteBatch. After unlocking, the store hands
// the returned PendingEvent to Schedule, which publishes it once the commit pipeline reports the
// write committed (or drops it if the write failed: nothing happened, so nothing is announced).
// Events are published strictly in sequence order; one waiting for its commit holds back later ones.
//
// Fields are separated by single spaces; a field's own spaces and '%' are written %20 and %25.
//
// Thread-safety: all methods are safe to call concurrently.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/write_log.h"

namespace latchkey {

class CommitPipeline;

struct PendingEvent {
  uint64_t event_seq = 0;
  uint64_t write_seq = 0;  // 0: not recorded (no write log): publish at once
  std::string message;
};

class EventLog {
 public:
  using Publisher = std::function<void(const std::string& message)>;

  EventLog(Publisher publish, int64_t retention_ms);

  // Events appended from now on are kept `retention_ms` (max-token-lifetime changed live).
  void set_retention_ms(int64_t retention_ms) {
    retention_ms_.store(retention_ms, std::memory_order_relaxed);
  }
  // Publication waits for the pipeline's commits (without one, events publish at once).
  void AttachPipeline(CommitPipeline* pipeline) { pipeline_ = pipeline; }
  // Loading, in sequence order: an event record found on disk and its expiry.
  void NoteLoaded(uint64_t seq, int64_t expire_at_ms);
  // After a load: the newest sequence number found on disk.
  void SetHead(uint64_t seq);
  uint64_t head() const;
  // The newest sequence number published (or dropped): every event up to it is decided, and those
  // that happened are in RocksDB. EVENTS.SINCE serves up to here, never past a gap still open.
  uint64_t published() const;
  // The oldest sequence number that may still be retained at `now_ms`: every event before it has
  // expired (EVENTS.SINCE answers TRIMMED for them).
  uint64_t Floor(int64_t now_ms);

  // Numbers event `type` with `fields` (already escaped, see Escape) and, when `write_seq` != 0,
  // records it into `shard` (so the caller's reply waits for it too). REQUIRES: the shard's lock.
  PendingEvent Append(int64_t now_ms, uint64_t write_seq, std::string_view type, std::string_view fields,
                      ShardLog* shard);
  // Publishes `event` once its write commits. Call without any storage lock held.
  void Schedule(PendingEvent event);

  // One field with its spaces and '%' escaped.
  static std::string Escape(std::string_view field);
  // The meta-column key of event `seq`.
  static std::string Key(uint64_t seq);

 private:
  void Resolve(uint64_t event_seq, std::optional<std::string> message);

  const Publisher publish_;
  std::atomic<int64_t> retention_ms_;
  CommitPipeline* pipeline_ = nullptr;

  mutable std::mutex mu_;
  uint64_t head_ = 0;                                        // newest number handed out
  uint64_t next_publish_ = 1;                                // the next number to publish (or skip)
  std::map<uint64_t, std::optional<std::string>> resolved_;  // decided, waiting for earlier ones
  std::mutex publish_mu_;                                    // publications leave one at a time
  // Retention marks: events from `first_seq` on (to the next mark's) expire by `expire_at_ms`.
  struct Mark {
    uint64_t first_seq;
    int64_t expire_at_ms;
  };
  void AddMark(uint64_t seq, int64_t expire_at_ms);  // REQUIRES: mu_ held
  std::deque<Mark> marks_;                           // one per second of expiry, guarded by mu_
  uint64_t floor_ = 1;                               // guarded by mu_
};

}  // namespace latchkey
