// WatchFlag is one client's WATCH state: raised when any key the client watches is modified, deleted,
// expires or is flushed or swapped away, from whichever thread does it (Redis's CLIENT_DIRTY_CAS).
// Shards keep, per watched key, the flags of the clients watching it (key_watch.h registers them).
//
// Thread-safety: `dirty` is atomic; a shard's watcher lists are guarded by the shard's lock.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace latchkey {

struct WatchFlag {
  std::atomic<bool> dirty{false};
};

// Watched key → the flags of the clients watching it.
using WatcherMap = absl::flat_hash_map<std::string, std::vector<std::shared_ptr<WatchFlag>>>;

}  // namespace latchkey
