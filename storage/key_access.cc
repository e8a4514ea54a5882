#include "storage/key_access.h"

#include <algorithm>

namespace latchkey {

KeyAccess::KeyAccess(Database& db, int64_t now_ms, std::string_view key) : db_(db), now_ms_(now_ms) {
  Shard& s = ShardOf(Database::HashKey(key));
  s.mu.lock();
  locked_.push_back(&s);
}

KeyAccess::KeyAccess(Database& db, int64_t now_ms, std::span<const std::string_view> keys)
    : db_(db), now_ms_(now_ms) {
  absl::InlinedVector<size_t, 4> indexes;
  for (std::string_view key : keys) indexes.push_back(Database::ShardOf(Database::HashKey(key)));
  LockShards(std::move(indexes));
}

void KeyAccess::LockShards(absl::InlinedVector<size_t, 4> indexes) {
  std::sort(indexes.begin(), indexes.end());
  indexes.erase(std::unique(indexes.begin(), indexes.end()), indexes.end());
  for (size_t i : indexes) {
    Shard& s = db_.shard(i);
    s.mu.lock();
    locked_.push_back(&s);
  }
}

KeyAccess::~KeyAccess() {
  for (auto it = locked_.rbegin(); it != locked_.rend(); ++it) (*it)->mu.unlock();
}

KeyNode* KeyAccess::Find(std::string_view key) {
  KeyNode* node = Peek(key);
  if (node != nullptr) node->access_s = static_cast<uint32_t>(now_ms_ / 1000);
  return node;
}

KeyNode* KeyAccess::Peek(std::string_view key) {
  uint64_t hash = Database::HashKey(key);
  Shard& s = ShardOf(hash);
  KeyNode* node = s.table.Find(key, hash);
  if (node == nullptr) return nullptr;
  if (IsExpired(*node, now_ms_)) {
    s.EraseNode(node);
    ++s.expired_keys;
    return nullptr;
  }
  return node;
}

KeyNode* KeyAccess::Create(std::string_view key) {
  uint64_t hash = Database::HashKey(key);
  KeyNode* node = ShardOf(hash).table.Insert(key, hash);
  node->access_s = static_cast<uint32_t>(now_ms_ / 1000);
  return node;
}

void KeyAccess::Erase(KeyNode* node) {
  ShardOf(node->hash).EraseNode(node);
}

void KeyAccess::SetExpiry(KeyNode* node, int64_t expire_at_ms) {
  node->expire_at_ms = expire_at_ms;
  ShardOf(node->hash).expiry.Update(node);
}

}  // namespace latchkey
