// Keyspace holds the numbered databases (SELECT 0..N-1); a Database is a fixed array of Shards.
//
// Every read and write of a key goes through KeyAccess (key_access.h), which locks the key's shard. The
// whole-database operations here (size, flush, swap, scan, active expiry) lock one shard at a time,
// except SwapDatabases and FlushAll, which lock every shard involved in shard order.
//
// Thread-safety: all methods are safe to call concurrently.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "storage/shard.h"
#include "storage/status.h"

namespace latchkey {

class Database {
 public:
  static constexpr size_t kShardBits = 6;
  static constexpr size_t kShards = size_t{1} << kShardBits;

  static uint64_t HashKey(std::string_view key);
  static size_t ShardOf(uint64_t hash) { return hash & (kShards - 1); }

  Shard& shard(size_t i) { return shards_[i]; }

  // Durability: where mutations are recorded (nullptr: not recorded, as in unit tests) and the id of
  // this database's key range in RocksDB (see record_codec.h).
  WriteLog* log() const { return log_; }
  uint16_t physical_id() const { return physical_id_; }
  // Adds `write` to `shard`'s pending list. REQUIRES: shard's lock held; write.seq from log().
  static void Record(Shard& shard, PendingWrite write);

  // Puts a key loaded from disk at `now_ms` into memory without recording it. REQUIRES: no
  // concurrent access.
  void LoadKey(std::string_view key, Value value, int64_t expire_at_ms, int64_t now_ms);

  // Number of live keys (removes expired ones on the way).
  size_t Size(int64_t now_ms);
  // Number of live keys that have a deadline.
  size_t ExpiringSize(int64_t now_ms);
  // Removes every key (atomically: all shards are locked together).
  void Flush();

  // One step of SCAN. The cursor packs the shard index in its low kShardBits bits and the shard table's
  // cursor above them. Calls `emit(node)` for every live key visited, stops after about `count` keys,
  // and returns the next cursor (0 when done). `emit` runs with the shard locked and must not block.
  template <typename Emit>
  uint64_t Scan(uint64_t cursor, size_t count, int64_t now_ms, Emit&& emit);

  // A random live key, or "" with *found false.
  std::string RandomKey(int64_t now_ms, bool* found);

  // Active expiry: removes expired keys from every shard, at most `limit_per_shard` from each.
  size_t RemoveExpired(int64_t now_ms, size_t limit_per_shard);

  uint64_t ExpiredKeys();

  // How many (key, client) WATCH registrations this database has; KeyAccess skips the watcher
  // lookup while there are none.
  void AddWatchers(int64_t delta) { watchers_.fetch_add(delta, std::memory_order_relaxed); }
  bool has_watchers() const { return watchers_.load(std::memory_order_relaxed) != 0; }

 private:
  friend class Keyspace;
  std::array<Shard, kShards> shards_;
  WriteLog* log_ = nullptr;
  uint16_t physical_id_ = 0;
  std::atomic<int64_t> watchers_{0};
};

class Keyspace {
 public:
  explicit Keyspace(int num_databases);

  int num_databases() const { return static_cast<int>(databases_.size()); }
  // REQUIRES: 0 <= index < num_databases().
  Database& db(int index) { return *databases_[index]; }

  // Records every later mutation in `log`, and maps logical database i to physical id `ids[i]`.
  // REQUIRES: called before any concurrent access.
  void AttachLog(WriteLog* log, const std::vector<uint16_t>& ids);
  WriteLog* log() const { return log_; }

  // The meta record that maps logical database `index` to its physical id.
  static std::string DatabaseMapKey(int index);

  // Exchanges the contents of two databases atomically (SWAPDB). `record` false: not recorded for
  // RocksDB (undoing a failed SWAPDB).
  void SwapDatabases(int a, int b, bool record = true);
  // Removes every key of every database atomically (FLUSHALL).
  void FlushAll();

 private:
  std::vector<std::unique_ptr<Database>> databases_;
  WriteLog* log_ = nullptr;
};

template <typename Emit>
uint64_t Database::Scan(uint64_t cursor, size_t count, int64_t now_ms, Emit&& emit) {
  size_t shard_index = cursor & (kShards - 1);
  uint64_t table_cursor = cursor >> kShardBits;
  size_t visited = 0;
  while (shard_index < kShards) {
    Shard& s = shards_[shard_index];
    {
      std::lock_guard lock(s.mu);
      do {
        table_cursor = s.table.Scan(table_cursor, [&](KeyNode& node) {
          ++visited;
          if (!IsExpired(node, now_ms)) emit(node);
        });
      } while (table_cursor != 0 && visited < count);
    }
    if (table_cursor != 0) {
      // Keep at least one bit of room for the shard index: table cursors stay below 2^(64-kShardBits).
      return (table_cursor << kShardBits) | shard_index;
    }
    ++shard_index;
    if (visited >= count) break;
  }
  return shard_index >= kShards ? 0 : shard_index;
}

}  // namespace latchkey
