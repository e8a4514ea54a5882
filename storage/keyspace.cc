#include "storage/keyspace.h"

#include <algorithm>
#include <random>

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

void Database::Flush() {
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    s.expiry.Clear();
    s.table.Clear();
  }
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
  for (int i = 0; i < num_databases; ++i) databases_.push_back(std::make_unique<Database>());
}

// Locks every shard of `dbs` in the one global order (database index, then shard index).
static std::vector<std::unique_lock<std::mutex>> LockAll(const std::vector<Database*>& dbs) {
  std::vector<std::unique_lock<std::mutex>> locks;
  locks.reserve(dbs.size() * Database::kShards);
  for (Database* d : dbs) {
    for (size_t i = 0; i < Database::kShards; ++i) locks.emplace_back(d->shard(i).mu);
  }
  return locks;
}

void Keyspace::SwapDatabases(int a, int b) {
  if (a == b) return;
  Database& first = db(std::min(a, b));
  Database& second = db(std::max(a, b));
  auto locks = LockAll({&first, &second});
  for (size_t i = 0; i < Database::kShards; ++i) {
    first.shards_[i].table.Swap(second.shards_[i].table);
    first.shards_[i].expiry.Swap(second.shards_[i].expiry);
  }
}

void Keyspace::FlushAll() {
  std::vector<Database*> all;
  for (auto& database : databases_) all.push_back(database.get());
  auto locks = LockAll(all);
  for (Database* d : all) {
    for (Shard& s : d->shards_) {
      s.expiry.Clear();
      s.table.Clear();
    }
  }
}

}  // namespace latchkey
