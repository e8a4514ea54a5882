// A TransactionScope makes a run of storage operations on one thread atomic (MULTI/EXEC).
//
// It locks, up front and in the one global order (database index, then shard index), every shard the
// transaction may touch: the shards of the keys it names, or every shard of every database when the
// transaction has commands whose keys are not known in advance (FLUSHALL, SCAN, SELECT...). While it
// lives, on its thread:
//   - locking a held shard is a no-op (ShardMutex), so commands run as they would alone;
//   - the committer does not drain while the scope is open (the log's transaction gate), so the
//     commit pipeline hands RocksDB all of the transaction's writes in one batch, or none of them.
// Other threads block on the held shards until the scope ends, so no client sees a half-run
// transaction, in memory or on disk.
//
// REQUIRES: no storage lock is held by this thread when the scope is created; the operations run
// inside touch only held keyspace shards (one outside the set would be locked out of order). Domain
// stores (sessions...) lock their own shards as usual: they never hold one while taking a keyspace
// shard, so taking keyspace shards first cannot deadlock. Scopes do not nest.
//
// Thread-safety: a scope belongs to the thread that created it.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/keyspace.h"

namespace latchkey {

class TransactionScope {
 public:
  // One key the transaction names: (database index, key).
  using NamedKey = std::pair<int, std::string_view>;

  // Locks the shards of `keys`, or with `all` every shard of every database of `keyspace`.
  TransactionScope(Keyspace& keyspace, std::span<const NamedKey> keys, bool all);
  ~TransactionScope();
  TransactionScope(const TransactionScope&) = delete;
  TransactionScope& operator=(const TransactionScope&) = delete;

  // Whether this scope holds `mu`.
  bool Holds(const ShardMutex* mu) const;

  // The scope running on this thread, or nullptr.
  static TransactionScope* current() { return current_; }

 private:
  WriteLog* const log_;              // its transaction gate is held shared (write_log.h)
  std::vector<ShardMutex*> held_;    // in locking order
  std::vector<ShardMutex*> sorted_;  // held_ sorted by address, for Holds()
  static thread_local TransactionScope* current_;
};

}  // namespace latchkey
