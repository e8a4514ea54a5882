// ExpiryHeap is a shard's exact expiry index: a binary min-heap of the shard's nodes that have a
// deadline, ordered by deadline. Each node records its own position (KeyNode::heap_index), so changing or
// removing a deadline costs O(log n) and the heap never holds stale entries. Cost: 8 bytes per expiring
// key plus the 4-byte index inside the node.
//
// Thread-safety: none; the owning Shard's lock guards every call.
#pragma once

#include <cstdint>
#include <vector>

#include "storage/value.h"

namespace latchkey {

class ExpiryHeap {
 public:
  // Adds, moves or removes `node` according to node->expire_at_ms (kNoExpiry removes it).
  void Update(KeyNode* node) {
    if (!node->has_expiry()) {
      Remove(node);
    } else if (node->heap_index == UINT32_MAX) {
      node->heap_index = static_cast<uint32_t>(nodes_.size());
      nodes_.push_back(node);
      SiftUp(node->heap_index);
    } else {
      SiftDown(SiftUp(node->heap_index));
    }
  }

  // Removes `node` if it is in the heap.
  void Remove(KeyNode* node) {
    uint32_t i = node->heap_index;
    if (i == UINT32_MAX) return;
    node->heap_index = UINT32_MAX;
    KeyNode* last = nodes_.back();
    nodes_.pop_back();
    if (last == node) return;
    nodes_[i] = last;
    last->heap_index = i;
    SiftDown(SiftUp(i));
  }

  // The node with the earliest deadline, or nullptr.
  KeyNode* Top() const { return nodes_.empty() ? nullptr : nodes_.front(); }
  // The entry at position `i` (0 <= i < size()), in no particular order but the heap's: for sampling.
  KeyNode* At(size_t i) const { return nodes_[i]; }
  size_t size() const { return nodes_.size(); }
  void Clear() { nodes_.clear(); }
  void Swap(ExpiryHeap& other) { nodes_.swap(other.nodes_); }

 private:
  bool Less(uint32_t a, uint32_t b) const { return nodes_[a]->expire_at_ms < nodes_[b]->expire_at_ms; }
  void Place(uint32_t i, KeyNode* node) {
    nodes_[i] = node;
    node->heap_index = i;
  }
  uint32_t SiftUp(uint32_t i) {
    while (i > 0) {
      uint32_t parent = (i - 1) / 2;
      if (!Less(i, parent)) break;
      KeyNode* tmp = nodes_[parent];
      Place(parent, nodes_[i]);
      Place(i, tmp);
      i = parent;
    }
    return i;
  }
  void SiftDown(uint32_t i) {
    const uint32_t n = static_cast<uint32_t>(nodes_.size());
    while (true) {
      uint32_t smallest = i;
      uint32_t left = 2 * i + 1;
      uint32_t right = left + 1;
      if (left < n && Less(left, smallest)) smallest = left;
      if (right < n && Less(right, smallest)) smallest = right;
      if (smallest == i) return;
      KeyNode* tmp = nodes_[smallest];
      Place(smallest, nodes_[i]);
      Place(i, tmp);
      i = smallest;
    }
  }

  std::vector<KeyNode*> nodes_;
};

}  // namespace latchkey
