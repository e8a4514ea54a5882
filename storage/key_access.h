// KeyAccess is the one way to read or change keys: it locks the shards that own a set of keys for its
// lifetime and hands out their nodes. It also owns visibility: Find() never returns a key whose deadline
// has passed (it deletes such a key on the spot, as Redis's lazy expiry does).
//
// A write access (Mode::kWrite) records, when it ends and before it unlocks, the final state of every key
// it changed into the shards' pending lists for RocksDB (write_log.h). Any access notes in the
// CommandTicket the newest not-yet-durable record of the shards it read, so the reply can wait for it.
//
// Locks are taken in shard-index order, so two KeyAccess objects never deadlock; the time is taken once
// by the caller and passed in, so one command sees one instant.
//
// Thread-safety: a KeyAccess belongs to one thread; create it on the stack around one command's work.
//
// Example:
//   KeyAccess access(db, now_ms, key);
//   if (KeyNode* node = access.Find(key)) ...
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "absl/container/inlined_vector.h"
#include "storage/keyspace.h"

namespace latchkey {

class KeyAccess {
 public:
  enum class Mode { kRead, kWrite };

  // Locks the shard of `key`.
  KeyAccess(Database& db, int64_t now_ms, std::string_view key, Mode mode = Mode::kRead);
  // Locks the shards of every key in `keys` (duplicates are fine).
  KeyAccess(Database& db, int64_t now_ms, std::span<const std::string_view> keys, Mode mode = Mode::kRead);
  ~KeyAccess();
  KeyAccess(const KeyAccess&) = delete;
  KeyAccess& operator=(const KeyAccess&) = delete;

  int64_t now_ms() const { return now_ms_; }

  // The live node for `key`, or nullptr. REQUIRES: `key` was named at construction.
  KeyNode* Find(std::string_view key);

  // As Find, but leaves the key's access time alone (OBJECT IDLETIME observes it).
  KeyNode* Peek(std::string_view key);

  // Create, Erase, SetExpiry and Changed REQUIRE that the key was named at construction.
  // Creates `key` holding an empty string with no deadline. REQUIRES: Find(key) == nullptr.
  KeyNode* Create(std::string_view key);

  // Deletes `node`. REQUIRES: node came from this access.
  void Erase(KeyNode* node);

  // Sets (or with kNoExpiry, clears) the absolute deadline of `node`.
  void SetExpiry(KeyNode* node, int64_t expire_at_ms);

  // Declares that the value of `key` was changed in place. Create, Erase and SetExpiry declare it
  // themselves. REQUIRES: Mode::kWrite.
  void Changed(std::string_view key);

  // The WATCH lists of the shard of `key` (key_watch.h). REQUIRES: `key` was named at construction.
  WatcherMap& WatchersOf(std::string_view key) { return ShardOf(Database::HashKey(key)).watchers; }

 private:
  Shard& ShardOf(uint64_t hash) { return db_.shard(Database::ShardOf(hash)); }
  void LockShards(absl::InlinedVector<size_t, 4> indexes);
  // Records the final state of every changed key (write mode), or notes observed records (read mode).
  void Finish();
  // The caller's view of the key of `node` (which outlives the node).
  std::string_view KeyNamed(const KeyNode* node) const;

  Database& db_;
  const int64_t now_ms_;
  const Mode mode_;
  absl::InlinedVector<Shard*, 4> locked_;
  absl::InlinedVector<std::string_view, 4> keys_;     // as named at construction (caller-owned)
  absl::InlinedVector<std::string_view, 4> changed_;  // subset of keys_
};

}  // namespace latchkey
