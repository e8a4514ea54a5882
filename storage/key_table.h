// KeyTable is a chained hash table of KeyNodes keyed by byte strings: one shard's part of a database.
//
// Why not a library map: SCAN needs Redis's guarantee (every key present for a whole scan is returned at
// least once, even across resizes), which needs bucket-level access and Redis's reverse-binary cursor;
// RANDOMKEY needs a fair random bucket; and the expiry index needs node addresses that never move.
// The table doubles when it holds more keys than buckets and halves when it falls under 1/8 full. A shard
// holds a small slice of the keyspace, so resizing all at once is cheap (no incremental rehash).
//
// Thread-safety: none; the owning Shard's lock guards every call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <string_view>
#include <vector>

#include "storage/value.h"

namespace latchkey {

class KeyTable {
 public:
  KeyTable() = default;
  ~KeyTable();
  KeyTable(const KeyTable&) = delete;
  KeyTable& operator=(const KeyTable&) = delete;

  // Returns the node for `key` (whose XXH3 is `hash`), or nullptr.
  KeyNode* Find(std::string_view key, uint64_t hash) const;

  // Adds a node for `key` holding an empty string value and returns it.
  // REQUIRES: Find(key, hash) == nullptr.
  KeyNode* Insert(std::string_view key, uint64_t hash);

  // Unlinks `node` from the table and frees it. REQUIRES: node belongs to this table.
  void Erase(KeyNode* node);

  // Removes and frees every node.
  void Clear();

  // Exchanges the contents of two tables.
  void Swap(KeyTable& other);

  size_t size() const { return size_; }

  // Visits the nodes of the bucket named by `cursor` (and, after a resize, the buckets that now hold what
  // it held) and returns the next cursor; 0 means the scan is complete. Redis's dictScan algorithm.
  // `visit` must not insert or erase.
  template <typename Visit>
  uint64_t Scan(uint64_t cursor, Visit&& visit) const;

  // Returns a node chosen at random (bucket first, then chain position), or nullptr when empty.
  KeyNode* Random(std::mt19937_64& rng) const;

  // Visits every node. `visit` must not insert or erase.
  template <typename Visit>
  void ForEach(Visit&& visit) const {
    for (KeyNode* head : buckets_) {
      for (KeyNode* n = head; n != nullptr; n = n->next) visit(*n);
    }
  }

 private:
  static uint64_t ReverseBits(uint64_t v) {
    v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
    v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
    v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
    return __builtin_bswap64(v);
  }
  static size_t BucketOf(uint64_t hash, size_t mask) { return (hash >> 16) & mask; }
  void Resize(size_t new_buckets);
  static void Free(KeyNode* node);

  std::vector<KeyNode*> buckets_;
  size_t size_ = 0;
};

template <typename Visit>
uint64_t KeyTable::Scan(uint64_t cursor, Visit&& visit) const {
  if (buckets_.empty()) return 0;
  const uint64_t mask = buckets_.size() - 1;
  for (KeyNode* n = buckets_[cursor & mask]; n != nullptr; n = n->next) visit(*n);
  // Increment the reversed cursor: set the unmasked high bits, reverse, add one, reverse back.
  cursor |= ~mask;
  cursor = ReverseBits(cursor);
  ++cursor;
  cursor = ReverseBits(cursor);
  return cursor;
}

}  // namespace latchkey
