// TimingWheel is an expiry index ordered by deadline that costs one small handle per entry: a
// hierarchical timing wheel (Varghese & Lauck) of 64-slot levels. Level 0 holds one tick per slot, level
// L covers 64^L ticks per slot; an entry sits in the slot its deadline maps to relative to the wheel's
// cursor, and moves to a finer level (a "cascade") when the cursor enters its slot's range, so it is
// moved at most once per level and reclaimed within one tick of its deadline. Deadlines are given in
// ticks (the owner rounds to its tick), so everything in level-0 slot t is due at t.
//
// The wheel stores handles only, not deadlines: the owner answers `deadline_of(handle)` from its own
// table. Two ways to keep handles and entries in step, chosen by the `Slots` policy:
//  - untracked (the default): a handle whose entry is gone, or whose deadline no longer lies in the
//    range of the slot it was found in, is a stale copy and is dropped when its slot comes up. Every
//    (re)arm puts a copy where the new deadline belongs unless the old copy already sits in that slot.
//    For owners whose handles stay valid after the entry is gone (ids looked up in a map).
//  - tracked: the policy stores in each entry where its one handle sits (slot and index), so Update and
//    Remove move or drop it exactly, in O(1), and the wheel never holds a stale copy. For owners whose
//    handles are pointers that die with the entry.
//
// Advance does a bounded number of steps per call (each handle cascaded, reclaimed or dropped is one)
// and resumes where it stopped, draining a slot in place, so reclaiming a million entries that share a
// deadline never holds the owner's lock for long.
//
// Thread-safety: none; the owner's lock guards the wheel and the table behind `deadline_of`.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace latchkey {

// The default Slots policy: handles do not know where they sit.
struct UntrackedSlots {
  static constexpr bool kTracked = false;
  template <typename Handle>
  static void Set(const Handle&, uint16_t, uint32_t) {}
};

template <typename Handle, typename Slots = UntrackedSlots>
class TimingWheel {
 public:
  static constexpr int kBits = 6;
  static constexpr int64_t kSlots = int64_t{1} << kBits;
  static constexpr int kLevels = 11;  // 66 bits: every int64 tick has a slot
  // Slot ids a tracked entry can hold: level * 64 + index, kDueSlot, or kNoSlot.
  static constexpr uint16_t kDueSlot = kLevels * kSlots;
  static constexpr uint16_t kNoSlot = UINT16_MAX;

  // Adds `handle` due at tick `deadline`. `now` positions an empty wheel's cursor.
  void Add(int64_t deadline, Handle handle, int64_t now) {
    if (size() == 0) {
      cursor_ = now;
      work_level_ = -1;  // a drained-out slot's range no longer applies
    }
    Place(deadline, std::move(handle));
  }

  // Untracked: the entry of `handle` moves from `old_deadline` to `new_deadline`: O(1), and free when
  // both map to the same slot.
  void Rearm(int64_t old_deadline, int64_t new_deadline, Handle handle, int64_t now) {
    static_assert(!Slots::kTracked, "tracked wheels use Update");
    if (size() != 0 && new_deadline >= cursor_ && SlotOf(old_deadline) == SlotOf(new_deadline)) return;
    Add(new_deadline, std::move(handle), now);
  }

  // Tracked: puts `handle` at `deadline`, moving it if it is in the wheel already (free when the slot
  // stays the same).
  void Update(const Handle& handle, int64_t deadline, int64_t now) {
    static_assert(Slots::kTracked, "untracked wheels use Add and Rearm");
    const uint16_t slot = Slots::Slot(handle);
    if (slot != kNoSlot) {
      if (slot != kDueSlot && deadline >= cursor_ && SlotId(SlotOf(deadline)) == slot) return;
      Remove(handle);
    }
    Add(deadline, handle, now);
  }

  // Tracked: takes `handle` out of the wheel if it is in it.
  void Remove(const Handle& handle) {
    static_assert(Slots::kTracked, "untracked wheels drop stale copies as they meet them");
    const uint16_t slot = Slots::Slot(handle);
    if (slot == kNoSlot) return;
    if (slot == kDueSlot) {
      TakeAt(due_, kDueSlot, Slots::Index(handle));
      return;
    }
    const int level = slot / kSlots;
    const int index = slot % kSlots;
    TakeAt(levels_[level][index], slot, Slots::Index(handle));
    --count_;
    if (levels_[level][index].empty()) {
      occupied_[level] &= ~(uint64_t{1} << index);
      if (level != work_level_ || index != work_index_) levels_[level][index] = {};  // frees its memory
    }
  }

  // Reclaims entries due at or before tick `now`: `reclaim(handle)` for each live one, where
  // `deadline_of(handle)` returns the entry's deadline (nullopt if it is gone). A handle is out of the
  // wheel by the time `reclaim` sees it. Stops after `limit` steps; returns whether everything due
  // was done.
  template <typename DeadlineOf, typename Reclaim>
  bool Advance(int64_t now, size_t limit, DeadlineOf&& deadline_of, Reclaim&& reclaim) {
    size_t steps = 0;
    // Entries that were added already due (behind the cursor). One whose deadline is still ahead (the
    // owner's clock went back) stays for a later call.
    for (size_t i = due_.size(); i > 0; i = std::min(i - 1, due_.size())) {
      if (steps == limit) return false;
      ++steps;
      const std::optional<int64_t> d = deadline_of(due_[i - 1]);
      if (d && *d > now && *d < cursor_) continue;
      Handle h = TakeAt(due_, kDueSlot, i - 1);
      if (!d) continue;
      if (*d <= now) {
        reclaim(h);
      } else {
        Place(*d, std::move(h));
      }
    }
    while (true) {
      if (work_level_ >= 0) {
        auto& slot = levels_[work_level_][work_index_];
        const uint16_t id = static_cast<uint16_t>(work_level_ * kSlots + work_index_);
        while (!slot.empty()) {
          if (steps == limit) return false;
          ++steps;
          Handle h = TakeAt(slot, id, slot.size() - 1);
          --count_;
          const std::optional<int64_t> d = deadline_of(h);
          if (!d || *d < work_lo_ || *d > work_hi_) continue;  // gone or re-armed elsewhere: a stale copy
          if (*d <= now) {
            reclaim(h);
          } else {
            Place(*d, std::move(h));  // cascades to a finer level
          }
        }
        occupied_[work_level_] &= ~(uint64_t{1} << work_index_);
        slot = {};  // frees its memory: a mass deadline's slot would otherwise keep it
        if (work_level_ == 0) ++cursor_;
        work_level_ = -1;
      }
      if (count_ == 0) {
        if (cursor_ <= now) cursor_ = now + 1;
        return true;
      }
      if (cursor_ > now) return true;
      if (!NextSlot()) SkipEmpty(now);
    }
  }

  // A handle drawn uniformly at random from those held (stale copies included), for sampling; nullopt
  // when empty. `rng()` returns uniformly random 64-bit values.
  template <typename Rng>
  std::optional<Handle> Sample(Rng& rng) const {
    const size_t total = size();
    if (total == 0) return std::nullopt;
    size_t r = rng() % total;
    if (r < due_.size()) return due_[r];
    r -= due_.size();
    for (int level = 0; level < kLevels; ++level) {
      if (r >= level_count_[level]) {
        r -= level_count_[level];
        continue;
      }
      for (uint64_t bits = occupied_[level]; bits != 0; bits &= bits - 1) {
        const auto& slot = levels_[level][__builtin_ctzll(bits)];
        if (r < slot.size()) return slot[r];
        r -= slot.size();
      }
    }
    return std::nullopt;  // unreachable while the counts are right
  }

  // Handles held, stale copies included.
  size_t size() const { return count_ + due_.size(); }
  // Bytes held by the slot vectors (capacity), for memory reports.
  size_t bytes() const {
    size_t total = due_.capacity() * sizeof(Handle);
    for (const auto& level : levels_) {
      for (const auto& slot : level) total += slot.capacity() * sizeof(Handle);
    }
    return total + sizeof(*this);
  }

  // Drops every handle (a tracked owner clears its entries along with it).
  void Clear() { *this = TimingWheel(); }
  void Swap(TimingWheel& other) { std::swap(*this, other); }

 private:
  // (level, index) of the slot `deadline` belongs in now; level -1: behind the cursor, already due.
  std::pair<int, int64_t> SlotOf(int64_t deadline) const {
    if (deadline < cursor_) return {-1, 0};
    const uint64_t diff = static_cast<uint64_t>(deadline) ^ static_cast<uint64_t>(cursor_);
    int level = 0;
    while (level + 1 < kLevels && (diff >> (kBits * (level + 1))) != 0) ++level;
    return {level, (static_cast<uint64_t>(deadline) >> (kBits * level)) & (kSlots - 1)};
  }
  static uint16_t SlotId(std::pair<int, int64_t> slot) {
    return slot.first < 0 ? kDueSlot : static_cast<uint16_t>(slot.first * kSlots + slot.second);
  }

  void Place(int64_t deadline, Handle handle) {
    const auto [level, index] = SlotOf(deadline);
    if (level < 0) {
      Push(due_, kDueSlot, std::move(handle));
      return;
    }
    Push(levels_[level][index], static_cast<uint16_t>(level * kSlots + index), std::move(handle));
    occupied_[level] |= uint64_t{1} << index;
    ++count_;
  }

  void Push(std::vector<Handle>& slot, uint16_t id, Handle handle) {
    Slots::Set(handle, id, static_cast<uint32_t>(slot.size()));
    slot.push_back(std::move(handle));
    if (id != kDueSlot) ++level_count_[id / kSlots];
  }

  // Removes and returns slot[i]; the last handle takes its place.
  Handle TakeAt(std::vector<Handle>& slot, uint16_t id, size_t i) {
    Handle h = std::move(slot[i]);
    if (i + 1 != slot.size()) {
      slot[i] = std::move(slot.back());
      Slots::Set(slot[i], id, static_cast<uint32_t>(i));
    }
    slot.pop_back();
    Slots::Set(h, kNoSlot, 0);
    if (id != kDueSlot) --level_count_[id / kSlots];
    return h;
  }

  // At cursor_: picks the highest-level slot whose range starts here (cascade), else level 0's slot
  // for this tick, as the slot to drain. False when there was nothing to take at this tick.
  bool NextSlot() {
    const uint64_t c = static_cast<uint64_t>(cursor_);
    for (int level = kLevels - 1; level >= 0; --level) {
      const int shift = kBits * level;
      if (shift >= 64 || (c & ((uint64_t{1} << shift) - 1)) != 0) continue;  // no range starts here
      const int index = static_cast<int>((c >> shift) & (kSlots - 1));
      if (levels_[level][index].empty()) continue;
      // The cursor stays while a level >= 1 drains: its entries go to finer levels, level 0's slot
      // for this tick included; it moves on once level 0's slot is drained.
      work_level_ = level;
      work_index_ = index;
      work_lo_ = cursor_;
      work_hi_ = cursor_ + (int64_t{1} << shift) - 1;
      return true;
    }
    return false;
  }

  // Nothing to take at the cursor: moves it past ticks where nothing can happen. With every level
  // below L empty, the next thing to do is at the next multiple of 64^L (a cascade of level L), so
  // crossing any span of idle time takes a few steps per level, not one per tick. Never past now + 1:
  // a cursor ahead of the clock would cascade far entries early and place later (re)arms on finer
  // levels, where a sliding deadline crosses a slot, and leaves a copy, far more often.
  void SkipEmpty(int64_t now) {
    int level = 0;
    while (level < kLevels && occupied_[level] == 0) ++level;
    if (level == 0) {
      ++cursor_;
      return;
    }
    const int shift = kBits * std::min(level, kLevels - 1);
    const uint64_t span = shift >= 63 ? (uint64_t{1} << 62) : (uint64_t{1} << shift);
    const uint64_t next = (static_cast<uint64_t>(cursor_) / span + 1) * span;
    const uint64_t limit =
        now == INT64_MAX ? static_cast<uint64_t>(INT64_MAX) : static_cast<uint64_t>(now) + 1;
    cursor_ = static_cast<int64_t>(std::min(next, limit));  // limit <= INT64_MAX
  }

  std::array<std::array<std::vector<Handle>, kSlots>, kLevels> levels_;
  std::array<uint64_t, kLevels> occupied_{};   // bit i: slot i of the level is not empty
  std::array<size_t, kLevels> level_count_{};  // handles in each level
  size_t count_ = 0;                           // handles in levels_
  int64_t cursor_ = 0;                         // the first tick not yet taken from level 0
  int work_level_ = -1, work_index_ = 0;       // the slot being drained, if work_level_ >= 0
  int64_t work_lo_ = 0, work_hi_ = 0;          // the deadline range of that slot
  std::vector<Handle> due_;                    // added with a deadline already reached
};

}  // namespace latchkey
