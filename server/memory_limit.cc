#include "server/memory_limit.h"

#include "server/memory_usage.h"
#include "storage/eviction.h"
#include "storage/transaction_scope.h"

namespace latchkey {
namespace {

bool OverLimit(const ServerState& server) {
  const uint64_t limit = server.config.maxmemory();
  return limit != 0 && server.used_memory.load(std::memory_order_relaxed) > limit;
}

// Evicts while over the limit, at most `max_keys`; returns how many keys went (evicted or expired).
size_t Evict(ServerState& server, int64_t now_ms, size_t max_keys) {
  EvictionPolicy policy = EvictionPolicy::kNoEviction;
  if (!ParseEvictionPolicy(server.config.maxmemory_policy(), &policy)) return 0;
  size_t removed = 0;
  while (removed < max_keys && OverLimit(server)) {
    const std::optional<Evicted> evicted = EvictOne(server.keyspace, policy, now_ms);
    if (!evicted) break;
    ++removed;
    if (!evicted->expired) server.evicted_keys.fetch_add(1, std::memory_order_relaxed);
    // Until the next measurement, the estimate of what the key took.
    uint64_t used = server.used_memory.load(std::memory_order_relaxed);
    while (
        !server.used_memory.compare_exchange_weak(used, used > evicted->bytes ? used - evicted->bytes : 0)) {
    }
  }
  return removed;
}

}  // namespace

uint64_t RefreshMemoryForLimit(ServerState& server) {
  const uint64_t used = UsedMemory();
  const uint64_t memtables =
      server.store != nullptr ? server.store->IntProperty("rocksdb.cur-size-all-mem-tables") : 0;
  const uint64_t counted = used > memtables ? used - memtables : 0;
  server.used_memory.store(counted, std::memory_order_relaxed);
  return counted;
}

bool MakeRoomForWrite(ServerState& server, int64_t now_ms, size_t max_keys) {
  if (!OverLimit(server)) return true;
  // Inside EXEC the queued commands run in a TransactionScope that holds only the shards of the keys
  // they name: EvictOne would lock other shards out of the global order (transaction_scope.h) and
  // could deadlock with another transaction doing the same. Evict nothing there; as Redis runs a whole
  // transaction once it started, let the write through unless the policy never evicts (the background
  // cycle catches up).
  if (TransactionScope::current() != nullptr) {
    EvictionPolicy policy = EvictionPolicy::kNoEviction;
    return ParseEvictionPolicy(server.config.maxmemory_policy(), &policy) &&
           policy != EvictionPolicy::kNoEviction;
  }
  return Evict(server, now_ms, max_keys) > 0 || !OverLimit(server);
}

void EvictOverLimit(ServerState& server, int64_t now_ms, size_t max_keys) {
  Evict(server, now_ms, max_keys);
}

}  // namespace latchkey
