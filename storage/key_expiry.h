// KeyExpiry is a shard's exact expiry index for generic keys: a tracked TimingWheel (timing_wheel.h) of
// KeyNode pointers with one-millisecond ticks. Each node records where its one handle sits
// (KeyNode::wheel_slot, wheel_index), so setting, moving or clearing a deadline is O(1) and the wheel
// never holds a pointer to a freed node. Cost: 8 bytes per expiring key in the wheel's slots; the
// 6 bytes of position live in padding the node already had.
//
// A key whose deadline is tick t is expired once now > t (Redis's keyIsExpired), so the owner advances
// the wheel to now - 1.
//
// Thread-safety: none; the owning Shard's lock guards every call.
#pragma once

#include <cstdint>

#include "storage/timing_wheel.h"
#include "storage/value.h"

namespace latchkey {

struct KeyNodeSlots {
  static constexpr bool kTracked = true;
  static void Set(KeyNode* node, uint16_t slot, uint32_t index) {
    node->wheel_slot = slot;
    node->wheel_index = index;
  }
  static uint16_t Slot(const KeyNode* node) { return node->wheel_slot; }
  static uint32_t Index(const KeyNode* node) { return node->wheel_index; }
};

class KeyExpiry {
 public:
  // Makes the index follow node->expire_at_ms (kNoExpiry takes the node out).
  void Update(KeyNode* node, int64_t now_ms) {
    if (node->has_expiry()) {
      wheel_.Update(node, node->expire_at_ms, now_ms);
    } else {
      wheel_.Remove(node);
    }
  }
  void Remove(KeyNode* node) { wheel_.Remove(node); }

  // Calls `reclaim(node)` for nodes expired at `now_ms` (out of the index by then), at most `limit`
  // wheel steps' worth; returns whether none is left.
  template <typename Reclaim>
  bool Advance(int64_t now_ms, size_t limit, Reclaim&& reclaim) {
    return wheel_.Advance(
        now_ms - 1, limit, [](KeyNode* node) { return std::optional<int64_t>(node->expire_at_ms); }, reclaim);
  }

  // A node with a deadline, drawn uniformly at random; nullptr when there is none.
  template <typename Rng>
  KeyNode* Sample(Rng& rng) const {
    return wheel_.Sample(rng).value_or(nullptr);
  }

  // Nodes with a deadline.
  size_t size() const { return wheel_.size(); }
  size_t bytes() const { return wheel_.bytes(); }
  void Clear() { wheel_.Clear(); }
  void Swap(KeyExpiry& other) { wheel_.Swap(other.wheel_); }

 private:
  TimingWheel<KeyNode*, KeyNodeSlots> wheel_;
};

}  // namespace latchkey
