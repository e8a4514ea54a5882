// WATCH and UNWATCH over a Database: registers a client's WatchFlag on keys, so that any later change
// to one of them (a write, a delete, expiry, FLUSHDB/FLUSHALL/SWAPDB) raises the flag, and EXEC can
// refuse to run. Raising happens in storage, under the shard's lock: KeyAccess for the keys a command
// changes, the shard for every deletion (including expiry), the keyspace for flushes and swaps.
//
// Thread-safety: all functions are safe to call concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "storage/keyspace.h"
#include "storage/watch_flag.h"

namespace latchkey {

// Starts watching `key` for `flag`'s client (again watching a key is a no-op). An expired key is
// reclaimed first, so its expiry does not count as a change after the WATCH.
void WatchKey(Database& db, int64_t now_ms, std::string_view key, const std::shared_ptr<WatchFlag>& flag);

// Stops watching `key` for `flag`'s client.
void UnwatchKey(Database& db, std::string_view key, const WatchFlag* flag);

// Reclaims `key` if its deadline has passed, raising the flags of its watchers (EXEC calls this for
// every watched key, so a key that expired after WATCH counts as changed even if nobody touched it).
void ExpireWatchedKey(Database& db, int64_t now_ms, std::string_view key);

}  // namespace latchkey
