#include "storage/key_access.h"

#include <algorithm>

#include "storage/record_codec.h"

namespace latchkey {

thread_local uint64_t CommandTicket::needed_ = 0;

KeyAccess::KeyAccess(Database& db, int64_t now_ms, std::string_view key, Mode mode)
    : db_(db), now_ms_(now_ms), mode_(mode) {
  keys_.push_back(key);
  Shard& s = ShardOf(Database::HashKey(key));
  s.mu.lock();
  locked_.push_back(&s);
}

KeyAccess::KeyAccess(Database& db, int64_t now_ms, std::span<const std::string_view> keys, Mode mode)
    : db_(db), now_ms_(now_ms), mode_(mode) {
  keys_.assign(keys.begin(), keys.end());
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
  if (!changed_.empty() && db_.has_watchers()) {
    for (std::string_view key : changed_) ShardOf(Database::HashKey(key)).TouchWatched(key);
  }
  if (db_.log() != nullptr) Finish();
  for (auto it = locked_.rbegin(); it != locked_.rend(); ++it) (*it)->mu.unlock();
  if (!changed_.empty() && db_.log() != nullptr) db_.log()->Notify();
}

void KeyAccess::Finish() {
  WriteLog* log = db_.log();
  // Everything read here depends on the newest record of each locked shard.
  const uint64_t durable = log->durable_seq();
  for (Shard* s : locked_) {
    NoteObserved(s->last_seq, s->undone_seq, durable);
  }
  if (changed_.empty()) return;
  std::sort(changed_.begin(), changed_.end());
  changed_.erase(std::unique(changed_.begin(), changed_.end()), changed_.end());
  for (std::string_view key : changed_) ShardOf(Database::HashKey(key)).dirty.store(true);
  const uint64_t seq = log->NextSeq();  // after the dirty marks (write_log.h)
  for (std::string_view key : changed_) {
    const uint64_t hash = Database::HashKey(key);
    Shard& s = ShardOf(hash);
    KeyNode* node = s.table.Find(key, hash);
    PendingWrite write{seq, PendingWrite::Kind::kDelete, EncodeKvKey(db_.physical_id(), key), {}};
    if (node != nullptr) {
      write.kind = PendingWrite::Kind::kPut;
      EncodeValue(node->value, node->expire_at_ms, &write.value);
    }
    Database::Record(s, std::move(write));  // notes `seq` in the ticket
  }
}

std::string_view KeyAccess::KeyNamed(const KeyNode* node) const {
  for (std::string_view key : keys_) {
    if (key == node->key()) return key;
  }
  return {};  // unreachable when the REQUIRES of Create/Erase/SetExpiry hold
}

void KeyAccess::Changed(std::string_view key) {
  if (mode_ == Mode::kWrite) changed_.push_back(key);
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
    // Lazy expiry is not recorded: loading skips expired records and compaction drops them.
    s.ReclaimExpired(node);
    return nullptr;
  }
  return node;
}

KeyNode* KeyAccess::Create(std::string_view key) {
  uint64_t hash = Database::HashKey(key);
  KeyNode* node = ShardOf(hash).table.Insert(key, hash);
  node->access_s = static_cast<uint32_t>(now_ms_ / 1000);
  if (mode_ == Mode::kWrite) changed_.push_back(KeyNamed(node));
  return node;
}

void KeyAccess::Erase(KeyNode* node) {
  // The node's own key bytes die with it: record the caller's name for it.
  if (mode_ == Mode::kWrite) changed_.push_back(KeyNamed(node));
  ShardOf(node->hash).EraseNode(node);
}

void KeyAccess::SetExpiry(KeyNode* node, int64_t expire_at_ms) {
  node->expire_at_ms = expire_at_ms;
  ShardOf(node->hash).expiry.Update(node, now_ms_);
  if (mode_ == Mode::kWrite) changed_.push_back(KeyNamed(node));
}

}  // namespace latchkey
