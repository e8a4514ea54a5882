// How much memory the server uses, as INFO memory and the maxmemory check see it.
//
// UsedMemory asks the allocator (glibc's mallinfo2: bytes in use, heap and mmapped), which walks its
// arenas, so it is too slow to call per command: the server's background cycle refreshes
// ServerState::used_memory `hz` times a second and the OOM check reads that (as Redis's check reads
// its allocator counter, this can be one period stale).
//
// Thread-safety: both functions are safe to call concurrently.
#pragma once

#include <cstdint>

namespace latchkey {

uint64_t UsedMemory();
uint64_t ResidentMemory();

}  // namespace latchkey
