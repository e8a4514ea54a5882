#include "storage/key_table.h"

#include <cstring>
#include <new>
#include <utility>

namespace latchkey {

std::string_view TypeName(ValueType type) {
  switch (type) {
    case ValueType::kString:
      return "string";
    case ValueType::kHash:
      return "hash";
    case ValueType::kSet:
      return "set";
  }
  return "none";
}

KeyTable::~KeyTable() {
  Clear();
}

void KeyTable::Free(KeyNode* node) {
  node->~KeyNode();
  ::operator delete(node);
}

KeyNode* KeyTable::Find(std::string_view key, uint64_t hash) const {
  if (buckets_.empty()) return nullptr;
  for (KeyNode* n = buckets_[BucketOf(hash, buckets_.size() - 1)]; n != nullptr; n = n->next) {
    if (n->hash == hash && n->key() == key) return n;
  }
  return nullptr;
}

KeyNode* KeyTable::Insert(std::string_view key, uint64_t hash) {
  if (size_ >= buckets_.size()) Resize(buckets_.empty() ? 4 : buckets_.size() * 2);
  // One allocation holds the node and, right after it, the key's bytes.
  void* memory = ::operator new(sizeof(KeyNode) + key.size());
  auto* node = new (memory) KeyNode;
  node->hash = hash;
  node->key_size = static_cast<uint32_t>(key.size());
  if (!key.empty()) std::memcpy(reinterpret_cast<char*>(node + 1), key.data(), key.size());
  KeyNode*& head = buckets_[BucketOf(hash, buckets_.size() - 1)];
  node->next = head;
  head = node;
  ++size_;
  return node;
}

void KeyTable::Erase(KeyNode* node) {
  KeyNode** link = &buckets_[BucketOf(node->hash, buckets_.size() - 1)];
  while (*link != node) link = &(*link)->next;
  *link = node->next;
  Free(node);
  --size_;
  if (buckets_.size() > 4 && size_ < buckets_.size() / 8) Resize(buckets_.size() / 2);
}

void KeyTable::Clear() {
  for (KeyNode*& head : buckets_) {
    while (head != nullptr) {
      KeyNode* next = head->next;
      Free(head);
      head = next;
    }
  }
  buckets_.clear();
  buckets_.shrink_to_fit();
  size_ = 0;
}

void KeyTable::Swap(KeyTable& other) {
  buckets_.swap(other.buckets_);
  std::swap(size_, other.size_);
}

KeyNode* KeyTable::Random(std::mt19937_64& rng) const {
  if (size_ == 0) return nullptr;
  const size_t mask = buckets_.size() - 1;
  KeyNode* head = nullptr;
  while (head == nullptr) head = buckets_[rng() & mask];
  size_t length = 0;
  for (KeyNode* n = head; n != nullptr; n = n->next) ++length;
  size_t pick = rng() % length;
  while (pick-- > 0) head = head->next;
  return head;
}

void KeyTable::Resize(size_t new_buckets) {
  std::vector<KeyNode*> fresh(new_buckets, nullptr);
  const size_t mask = new_buckets - 1;
  for (KeyNode* head : buckets_) {
    while (head != nullptr) {
      KeyNode* next = head->next;
      KeyNode*& slot = fresh[BucketOf(head->hash, mask)];
      head->next = slot;
      slot = head;
      head = next;
    }
  }
  buckets_.swap(fresh);
}

}  // namespace latchkey
