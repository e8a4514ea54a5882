#include "storage/eviction.h"

#include <random>
#include <string>

#include "storage/keys.h"
#include "storage/record_codec.h"

namespace latchkey {

bool ParseEvictionPolicy(std::string_view name, EvictionPolicy* policy) {
  static constexpr std::pair<std::string_view, EvictionPolicy> kNames[] = {
      {"noeviction", EvictionPolicy::kNoEviction},
      {"allkeys-lru", EvictionPolicy::kAllKeysLru},
      {"volatile-lru", EvictionPolicy::kVolatileLru},
      {"allkeys-lfu", EvictionPolicy::kAllKeysLfu},
      {"volatile-lfu", EvictionPolicy::kVolatileLfu},
      {"allkeys-random", EvictionPolicy::kAllKeysRandom},
      {"volatile-random", EvictionPolicy::kVolatileRandom},
      {"volatile-ttl", EvictionPolicy::kVolatileTtl},
  };
  for (const auto& [n, p] : kNames) {
    if (n == name) {
      *policy = p;
      return true;
    }
  }
  return false;
}

namespace {

bool VolatileOnly(EvictionPolicy p) {
  return p == EvictionPolicy::kVolatileLru || p == EvictionPolicy::kVolatileLfu ||
         p == EvictionPolicy::kVolatileRandom || p == EvictionPolicy::kVolatileTtl;
}

// Whether `a` is a better victim than `b` under `policy`.
bool Better(EvictionPolicy policy, const KeyNode& a, const KeyNode& b) {
  switch (policy) {
    case EvictionPolicy::kVolatileTtl:
      return a.expire_at_ms < b.expire_at_ms;
    case EvictionPolicy::kAllKeysRandom:
    case EvictionPolicy::kVolatileRandom:
      return false;  // the first sampled
    default:
      return a.access_s < b.access_s;  // LRU (and LFU, approximated by LRU)
  }
}

// Removes `node` from `shard` of `db`, recording the deletion. REQUIRES: the shard's lock.
void DeleteRecorded(Database& db, Shard& shard, KeyNode* node) {
  if (WriteLog* log = db.log()) {
    const uint64_t seq = NextSeqFor(*log, shard.dirty);
    Database::Record(
        shard,
        PendingWrite{seq, PendingWrite::Kind::kDelete, EncodeKvKey(db.physical_id(), node->key()), {}});
  }
  shard.EraseNode(node);
}

}  // namespace

std::optional<Evicted> EvictOne(Keyspace& keyspace, EvictionPolicy policy, int64_t now_ms, size_t samples) {
  if (policy == EvictionPolicy::kNoEviction) return std::nullopt;
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const size_t dbs = static_cast<size_t>(keyspace.num_databases());
  const size_t shards = dbs * Database::kShards;
  const size_t start = rng() % shards;
  const bool volatile_only = VolatileOnly(policy);
  // From a random shard on, the first one holding a candidate.
  for (size_t visited = 0; visited < shards; ++visited) {
    const size_t at = (start + visited) % shards;
    Database& db = keyspace.db(static_cast<int>(at / Database::kShards));
    Shard& shard = db.shard(at % Database::kShards);
    std::optional<Evicted> evicted;
    {
      std::lock_guard lock(shard.mu);
      if (shard.table.size() == 0 || (volatile_only && shard.expiry.size() == 0)) continue;
      KeyNode* best = nullptr;
      for (size_t i = 0; i < samples; ++i) {
        // volatile-*: sample the keys with a deadline (the expiry index); otherwise the whole table.
        KeyNode* node = volatile_only ? shard.expiry.Sample(rng) : shard.table.Random(rng);
        if (node == nullptr) break;
        if (IsExpired(*node, now_ms)) {  // garbage already: reclaimed as expired
          evicted = Evicted{NodeMemoryUsage(*node), true};
          shard.ReclaimExpired(node);
          best = nullptr;
          break;
        }
        if (best == nullptr || Better(policy, *node, *best)) best = node;
      }
      if (!evicted && best != nullptr) {
        evicted = Evicted{NodeMemoryUsage(*best), false};
        DeleteRecorded(db, shard, best);
      }
    }
    if (evicted) {
      if (db.log() != nullptr) db.log()->Notify();
      return evicted;
    }
  }
  return std::nullopt;
}

}  // namespace latchkey
