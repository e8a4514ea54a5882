// Eviction: what `maxmemory-policy` does when a write arrives while used memory is over `maxmemory`.
// It applies to generic keys only: sessions, refresh-token families, denylist entries and watermarks
// live in their own stores and are never evicted (their writes are refused with OOM instead).
//
// Like Redis, eviction is approximate: EvictOne samples a few keys (maxmemory-samples, 5) of one
// randomly chosen non-empty shard and evicts the best candidate of the sample under the policy:
//   allkeys-lru / volatile-lru   the least recently accessed (the key's access time, 1 s resolution);
//   allkeys-lfu / volatile-lfu   Latchkey keeps no access counters: treated as the LRU policies;
//   allkeys-random / volatile-random   any sampled key;
//   volatile-ttl                 the nearest deadline.
// volatile-* consider only keys with a deadline. An evicted key is deleted as DEL deletes it: the
// deletion is recorded for RocksDB (a restart does not bring it back) and WATCH sees it. A sampled key
// already past its deadline is reclaimed first, as expired, and counts as memory freed.
//
// Thread-safety: EvictOne locks one shard at a time; safe to call concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "storage/keyspace.h"

namespace latchkey {

enum class EvictionPolicy {
  kNoEviction,
  kAllKeysLru,
  kVolatileLru,
  kAllKeysLfu,
  kVolatileLfu,
  kAllKeysRandom,
  kVolatileRandom,
  kVolatileTtl,
};

// Parses a maxmemory-policy name (lower case, as CONFIG stores it); false if unknown.
bool ParseEvictionPolicy(std::string_view name, EvictionPolicy* policy);

struct Evicted {
  size_t bytes = 0;      // estimate of the memory freed (MEMORY USAGE of the key)
  bool expired = false;  // the key was past its deadline: reclaimed as expired, not evicted
};

// Evicts one key under `policy` from a sample of `samples` keys; nullopt when no key qualifies (no
// keys, or no keys with a deadline for volatile-*), or with kNoEviction.
std::optional<Evicted> EvictOne(Keyspace& keyspace, EvictionPolicy policy, int64_t now_ms,
                                size_t samples = 5);

}  // namespace latchkey
