// A Shard is one lock-protected slice of a database: its keys (KeyTable), their expiry index
// (KeyExpiry) and counters. Keys map to shards by XXH3, so unrelated keys rarely share a lock.
//
// Thread-safety: every member except `mu` may only be touched with `mu` held. Code outside storage/
// reaches shards only through KeyAccess, which takes the locks in a deadlock-free order.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "storage/expiry_notices.h"
#include "storage/expiry_stats.h"
#include "storage/key_expiry.h"
#include "storage/key_table.h"
#include "storage/shard_mutex.h"
#include "storage/watch_flag.h"
#include "storage/write_log.h"

namespace latchkey {

struct Shard {
  ShardMutex mu;
  KeyTable table;
  KeyExpiry expiry;
  uint64_t expired_keys = 0;          // keys removed because their deadline passed (lazily or actively)
  std::vector<PendingWrite> pending;  // recorded, not yet committed to RocksDB, in sequence order
  std::atomic<bool> dirty{false};     // may hold pending records (write_log.h: NextSeqFor)
  uint64_t last_seq = 0;              // sequence number of the newest record ever added here
  uint64_t undone_seq = 0;            // newest record here undone after a failed commit (memory = disk)
  WatcherMap watchers;                // WATCH: clients watching keys of this shard
  int db_index = 0;                   // the database (SELECT index) this shard belongs to

  // Removes `node` from the table and the expiry index.
  void EraseNode(KeyNode* node) {
    if (!watchers.empty()) TouchWatched(node->key());
    expiry.Remove(node);
    table.Erase(node);
  }

  // Raises the flag of every client watching `key`.
  void TouchWatched(std::string_view key) {
    auto it = watchers.find(absl::string_view(key.data(), key.size()));
    if (it == watchers.end()) return;
    for (const auto& flag : it->second) flag->dirty.store(true, std::memory_order_relaxed);
  }

  // Removes keys whose deadline is before `now_ms`, in at most `limit` steps of the expiry index;
  // returns how many were removed and sets `*more` if some may be left. With `lags`, records each
  // one's reclamation lag (now - deadline).
  size_t RemoveExpired(int64_t now_ms, size_t limit, LagHistogram* lags = nullptr, bool* more = nullptr) {
    size_t removed = 0;
    const bool done = expiry.Advance(now_ms, limit, [&](KeyNode* node) {
      if (lags != nullptr) lags->Add(now_ms - node->expire_at_ms);
      ReclaimExpired(node);
      ++removed;
    });
    if (more != nullptr) *more = !done;
    return removed;
  }

  // Removes `node` because its deadline passed: counts it and queues its expiry notice.
  void ReclaimExpired(KeyNode* node) {
    ExpiryNotices::Add(db_index, node->key());
    EraseNode(node);
    ++expired_keys;
  }
};

}  // namespace latchkey
