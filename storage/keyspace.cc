#include "storage/keyspace.h"

#include <algorithm>
#include <random>

#include "storage/record_codec.h"
#include "xxhash.h"

namespace latchkey {

uint64_t Database::HashKey(std::string_view key) {
  return XXH3_64bits(key.data(), key.size());
}

size_t Database::Size(int64_t now_ms) {
  size_t total = 0;
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    s.RemoveExpired(now_ms, SIZE_MAX);
    total += s.table.size();
  }
  return total;
}

size_t Database::ExpiringSize(int64_t now_ms) {
  size_t total = 0;
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    s.RemoveExpired(now_ms, SIZE_MAX);
    total += s.expiry.size();
  }
  return total;
}

void Database::Record(Shard& shard, PendingWrite write) {
  RecordPending(shard.pending, shard.last_seq, std::move(write));
}

void Database::LoadKey(std::string_view key, Value value, int64_t expire_at_ms, int64_t now_ms) {
  const uint64_t hash = HashKey(key);
  Shard& s = shards_[ShardOf(hash)];
  KeyNode* node = s.table.Find(key, hash);
  if (node == nullptr) node = s.table.Insert(key, hash);
  node->value = std::move(value);
  node->expire_at_ms = expire_at_ms;
  s.expiry.Update(node, now_ms);
}

// Locks every shard of `dbs` in the one global order (database index, then shard index).
static std::vector<std::unique_lock<ShardMutex>> LockAll(const std::vector<Database*>& dbs) {
  std::vector<std::unique_lock<ShardMutex>> locks;
  locks.reserve(dbs.size() * Database::kShards);
  for (Database* d : dbs) {
    for (size_t i = 0; i < Database::kShards; ++i) locks.emplace_back(d->shard(i).mu);
  }
  return locks;
}

// Raises the flag of every client watching a key of `shard` that exists there or in `other` (FLUSHDB,
// FLUSHALL, SWAPDB: Redis's touchAllWatchedKeysInDb). REQUIRES: both shards locked.
static void TouchWatchedExisting(Shard& shard, const Shard* other) {
  for (const auto& [key, flags] : shard.watchers) {
    const uint64_t hash = Database::HashKey(key);
    const bool exists = shard.table.Find(key, hash) != nullptr ||
                        (other != nullptr && other->table.Find(key, hash) != nullptr);
    if (!exists) continue;
    for (const auto& flag : flags) flag->dirty.store(true, std::memory_order_relaxed);
  }
}

// Clears the shards of `db` and records one range delete for its key range. REQUIRES: all locked.
static void ClearLocked(Database& db, uint64_t seq) {
  for (size_t i = 0; i < Database::kShards; ++i) {
    TouchWatchedExisting(db.shard(i), nullptr);
    db.shard(i).expiry.Clear();
    db.shard(i).table.Clear();
  }
  if (db.log() != nullptr) {
    Database::Record(db.shard(0), PendingWrite{seq, PendingWrite::Kind::kDeleteRange,
                                               KvRangeStart(db.physical_id()), KvRangeEnd(db.physical_id())});
  }
}

void Database::Flush() {
  auto locks = LockAll({this});
  ClearLocked(*this, log_ != nullptr ? NextSeqFor(*log_, shards_[0].dirty) : 0);
  if (log_ != nullptr) log_->Notify();
}

std::string Database::RandomKey(int64_t now_ms, bool* found) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  // Pick a shard weighted by its size so every key is about equally likely.
  std::array<size_t, kShards> sizes{};
  size_t total = 0;
  for (size_t i = 0; i < kShards; ++i) {
    std::lock_guard lock(shards_[i].mu);
    shards_[i].RemoveExpired(now_ms, SIZE_MAX);
    sizes[i] = shards_[i].table.size();
    total += sizes[i];
  }
  // Sizes may change between the two passes; retry a few times, then give up as Redis does.
  for (int attempt = 0; attempt < 100 && total > 0; ++attempt) {
    size_t pick = rng() % total;
    size_t i = 0;
    while (pick >= sizes[i]) pick -= sizes[i++];
    Shard& s = shards_[i];
    std::lock_guard lock(s.mu);
    KeyNode* node = s.table.Random(rng);
    if (node != nullptr && !IsExpired(*node, now_ms)) {
      *found = true;
      return std::string(node->key());
    }
  }
  *found = false;
  return std::string();
}

size_t Database::RemoveExpired(int64_t now_ms, size_t limit_per_shard) {
  size_t removed = 0;
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    removed += s.RemoveExpired(now_ms, limit_per_shard);
  }
  return removed;
}

uint64_t Database::ExpiredKeys() {
  uint64_t total = 0;
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    total += s.expired_keys;
  }
  return total;
}

Keyspace::Keyspace(int num_databases) {
  databases_.reserve(static_cast<size_t>(num_databases));
  for (int i = 0; i < num_databases; ++i) {
    databases_.push_back(std::make_unique<Database>());
    databases_.back()->physical_id_ = static_cast<uint16_t>(i);
    for (size_t s = 0; s < Database::kShards; ++s) databases_.back()->shards_[s].db_index = i;
  }
}

void Keyspace::SwapDatabases(int a, int b, bool record) {
  if (a == b) return;
  Database& first = db(std::min(a, b));
  Database& second = db(std::max(a, b));
  auto locks = LockAll({&first, &second});
  for (size_t i = 0; i < Database::kShards; ++i) {
    TouchWatchedExisting(first.shards_[i], &second.shards_[i]);
    TouchWatchedExisting(second.shards_[i], &first.shards_[i]);
    first.shards_[i].table.Swap(second.shards_[i].table);
    first.shards_[i].expiry.Swap(second.shards_[i].expiry);
  }
  // The data stays where it is on disk; the two databases exchange their physical ids.
  std::swap(first.physical_id_, second.physical_id_);
  if (log_ != nullptr && record) {
    first.shards_[0].dirty.store(true);
    const uint64_t seq = NextSeqFor(*log_, second.shards_[0].dirty);
    for (Database* d : {&first, &second}) {
      const int index = d == &first ? std::min(a, b) : std::max(a, b);
      Database::Record(d->shards_[0], PendingWrite{seq, PendingWrite::Kind::kMetaPut, DatabaseMapKey(index),
                                                   std::to_string(d->physical_id_)});
    }
    log_->Notify();
  }
}

void Keyspace::AttachLog(WriteLog* log, const std::vector<uint16_t>& ids) {
  log_ = log;
  for (size_t i = 0; i < databases_.size(); ++i) {
    databases_[i]->log_ = log;
    databases_[i]->physical_id_ = ids[i];
  }
}

std::string Keyspace::DatabaseMapKey(int index) {
  return "dbmap:" + std::to_string(index);
}

void Keyspace::FlushAll() {
  std::vector<Database*> all;
  for (auto& database : databases_) all.push_back(database.get());
  auto locks = LockAll(all);
  for (Database* d : all) d->shards_[0].dirty.store(true);
  const uint64_t seq = log_ != nullptr ? log_->NextSeq() : 0;  // after the dirty marks (write_log.h)
  for (Database* d : all) ClearLocked(*d, seq);
  if (log_ != nullptr) log_->Notify();
}

}  // namespace latchkey
