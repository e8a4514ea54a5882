// TimingWheel is an expiry index ordered by deadline that costs one small handle per entry: a
// hierarchical timing wheel (Varghese & Lauck) of 64-slot levels. Level 0 holds one tick per slot, level
// L covers 64^L ticks per slot; an entry sits in the slot its deadline maps to relative to the wheel's
// cursor, and moves to a finer level (a "cascade") when the cursor enters its slot's range, so it is
// moved at most once per level and reclaimed within one tick of its deadline. Deadlines are given in
// ticks (the owner rounds milliseconds up to its tick), so everything in level-0 slot t is due at t.
//
// The wheel stores handles only, not deadlines: the owner answers `deadline_of(handle)` from its own
// table. A handle whose entry is gone, or whose deadline no longer lies in the range of the slot it was
// found in, is a stale copy and is dropped. Every (re)arm puts a copy where the new deadline belongs,
// unless the old copy already sits in that slot, so re-arming is O(1) and never leaves two live copies.
//
// Advance does a bounded number of steps per call (each handle cascaded, reclaimed or dropped is one)
// and resumes where it stopped, so reclaiming a million entries that share a deadline never holds the
// owner's lock for long.
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

template <typename Handle>
class TimingWheel {
 public:
  static constexpr int kBits = 6;
  static constexpr int64_t kSlots = int64_t{1} << kBits;
  static constexpr int kLevels = 11;  // 66 bits: every int64 tick has a slot

  // Adds `handle` due at tick `deadline`. `now` positions an empty wheel's cursor.
  void Add(int64_t deadline, Handle handle, int64_t now) {
    if (size() == 0) cursor_ = now;
    Place(deadline, std::move(handle));
  }

  // The entry of `handle` moves from `old_deadline` to `new_deadline`: O(1), and free when both map
  // to the same slot.
  void Rearm(int64_t old_deadline, int64_t new_deadline, Handle handle, int64_t now) {
    if (size() != 0 && new_deadline >= cursor_ && SlotOf(old_deadline) == SlotOf(new_deadline)) return;
    Add(new_deadline, std::move(handle), now);
  }

  // Reclaims entries due at or before tick `now`: `reclaim(handle)` for each live one, where
  // `deadline_of(handle)` returns the entry's deadline (nullopt if it is gone). Stops after `limit`
  // steps; returns whether everything due was done.
  template <typename DeadlineOf, typename Reclaim>
  bool Advance(int64_t now, size_t limit, DeadlineOf&& deadline_of, Reclaim&& reclaim) {
    size_t steps = 0;
    // Entries that were added already due (behind the cursor).
    if (!due_.empty()) {
      std::vector<Handle> later;  // behind the cursor but after `now` (an earlier `now` than before)
      while (!due_.empty()) {
        if (steps == limit) {
          for (Handle& h : later) due_.push_back(std::move(h));
          return false;
        }
        ++steps;
        Handle h = std::move(due_.back());
        due_.pop_back();
        const std::optional<int64_t> d = deadline_of(h);
        if (!d) continue;
        if (*d <= now) {
          reclaim(h);
        } else if (*d >= cursor_) {
          Place(*d, std::move(h));
        } else {
          later.push_back(std::move(h));
        }
      }
      due_ = std::move(later);
    }
    while (true) {
      while (!work_.empty()) {
        if (steps == limit) return false;
        ++steps;
        Handle h = std::move(work_.back());
        work_.pop_back();
        const std::optional<int64_t> d = deadline_of(h);
        if (!d || *d < work_lo_ || *d > work_hi_) continue;  // gone or re-armed elsewhere: a stale copy
        if (*d <= now) {
          reclaim(h);
        } else {
          Place(*d, std::move(h));  // cascades to a finer level
        }
      }
      if (count_ == 0) {
        if (cursor_ <= now) cursor_ = now + 1;
        return true;
      }
      if (cursor_ > now) return true;
      if (!NextSlot()) SkipEmpty(now);
    }
  }

  // Handles held, stale copies included.
  size_t size() const { return count_ + work_.size() + due_.size(); }
  // Bytes held by the slot vectors (capacity), for memory reports.
  size_t bytes() const {
    size_t total = (work_.capacity() + due_.capacity()) * sizeof(Handle);
    for (const auto& level : levels_) {
      for (const auto& slot : level) total += slot.capacity() * sizeof(Handle);
    }
    return total + sizeof(*this);
  }

 private:
  // (level, index) of the slot `deadline` belongs in now; level -1: behind the cursor, already due.
  std::pair<int, int64_t> SlotOf(int64_t deadline) const {
    if (deadline < cursor_) return {-1, 0};
    const uint64_t diff = static_cast<uint64_t>(deadline) ^ static_cast<uint64_t>(cursor_);
    int level = 0;
    while (level + 1 < kLevels && (diff >> (kBits * (level + 1))) != 0) ++level;
    return {level, (static_cast<uint64_t>(deadline) >> (kBits * level)) & (kSlots - 1)};
  }

  void Place(int64_t deadline, Handle handle) {
    const auto [level, index] = SlotOf(deadline);
    if (level < 0) {
      due_.push_back(std::move(handle));
      return;
    }
    levels_[level][index].push_back(std::move(handle));
    occupied_[level] |= uint64_t{1} << index;
    ++count_;
  }

  void StartWork(std::vector<Handle> handles, int64_t lo, int64_t hi) {
    work_ = std::move(handles);
    work_lo_ = lo;
    work_hi_ = hi;
  }

  // At cursor_: takes the highest-level slot whose range starts here (cascade), else level 0's slot
  // for this tick, into the work list. False when there was nothing to take at this tick.
  bool NextSlot() {
    const uint64_t c = static_cast<uint64_t>(cursor_);
    for (int level = kLevels - 1; level >= 1; --level) {
      const int shift = kBits * level;
      if (shift >= 64 || (c & ((uint64_t{1} << shift) - 1)) != 0) continue;  // no range starts here
      auto& slot = levels_[level][(c >> shift) & (kSlots - 1)];
      if (slot.empty()) continue;
      count_ -= slot.size();
      occupied_[level] &= ~(uint64_t{1} << ((c >> shift) & (kSlots - 1)));
      const int64_t span = int64_t{1} << shift;
      StartWork(std::exchange(slot, {}), cursor_, cursor_ + span - 1);
      return true;  // the cursor stays: its entries go to finer levels, level 0's slot included
    }
    auto& slot = levels_[0][c & (kSlots - 1)];
    if (slot.empty()) return false;
    count_ -= slot.size();
    occupied_[0] &= ~(uint64_t{1} << (c & (kSlots - 1)));
    StartWork(std::exchange(slot, {}), cursor_, cursor_);
    ++cursor_;
    return true;
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
  std::array<uint64_t, kLevels> occupied_{};  // bit i: slot i of the level is not empty
  size_t count_ = 0;                          // handles in levels_
  int64_t cursor_ = 0;                        // the first tick not yet taken from level 0
  std::vector<Handle> work_;                  // a slot being processed
  int64_t work_lo_ = 0, work_hi_ = 0;         // the deadline range of work_'s slot
  std::vector<Handle> due_;                   // added with a deadline already reached
};

}  // namespace latchkey
