#include "storage/transaction_scope.h"

#include <algorithm>

namespace latchkey {

thread_local TransactionScope* TransactionScope::current_ = nullptr;

bool ShardMutex::HeldByScope() const {
  const TransactionScope* scope = TransactionScope::current();
  return scope != nullptr && scope->Holds(this);
}

TransactionScope::TransactionScope(Keyspace& keyspace, std::span<const NamedKey> keys, bool all)
    : log_(keyspace.log()) {
  if (log_ != nullptr) log_->transaction_gate().lock_shared();  // before any shard: the committer's order
  if (all) {
    for (int d = 0; d < keyspace.num_databases(); ++d) {
      for (size_t i = 0; i < Database::kShards; ++i) held_.push_back(&keyspace.db(d).shard(i).mu);
    }
  } else {
    std::vector<std::pair<int, size_t>> shards;  // (database, shard): the global lock order
    for (const auto& [db, key] : keys) shards.emplace_back(db, Database::ShardOf(Database::HashKey(key)));
    std::sort(shards.begin(), shards.end());
    shards.erase(std::unique(shards.begin(), shards.end()), shards.end());
    for (const auto& [db, shard] : shards) held_.push_back(&keyspace.db(db).shard(shard).mu);
  }
  for (ShardMutex* mu : held_) mu->mu_.lock();
  sorted_ = held_;
  std::sort(sorted_.begin(), sorted_.end());
  current_ = this;
}

TransactionScope::~TransactionScope() {
  current_ = nullptr;
  for (auto it = held_.rbegin(); it != held_.rend(); ++it) (*it)->mu_.unlock();
  if (log_ != nullptr) log_->transaction_gate().unlock_shared();
}

bool TransactionScope::Holds(const ShardMutex* mu) const {
  // Only the keyspace's shards: other stores' locks (sessions...) are taken normally, after these.
  return std::binary_search(sorted_.begin(), sorted_.end(), mu);
}

}  // namespace latchkey
