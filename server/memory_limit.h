// The `maxmemory` limit: before a write that may grow memory (commands flagged deny-oom) runs while
// used memory is over the limit, generic keys are evicted under `maxmemory-policy` (storage/eviction.h)
// until the estimate is back under it; the background cycle does the same after it re-measures. Domain
// state (sessions, families, denylist, watermarks) is never evicted.
//
// The figure compared with the limit is the allocator's bytes in use (memory_usage.h) minus RocksDB's
// memtables, the durability layer's write buffers (as Redis leaves its AOF and replication buffers out
// of the count): evicting keys cannot shrink those. RefreshMemoryForLimit measures it (the background
// cycle, `hz` times a second, and INFO); between refreshes each eviction subtracts the evicted key's
// estimated size.
//
// Thread-safety: safe to call concurrently.
#pragma once

#include <cstddef>
#include <cstdint>

#include "server/server_state.h"

namespace latchkey {

// Whether a deny-oom write may run at `now_ms`: true when under the limit (or no limit), or when
// eviction made progress (at most `max_keys` evictions: like Redis, the write is let through while
// eviction is still catching up); false when over the limit and nothing can be evicted (noeviction,
// no keys, or no volatile keys for volatile-*): the caller answers OOM.
bool MakeRoomForWrite(ServerState& server, int64_t now_ms, size_t max_keys = 64);

// Measures the memory the limit applies to, stores it in server.used_memory and returns it.
uint64_t RefreshMemoryForLimit(ServerState& server);

// The background cycle's part: evicts (up to `max_keys`) while the freshly measured memory is over
// the limit.
void EvictOverLimit(ServerState& server, int64_t now_ms, size_t max_keys);

}  // namespace latchkey
