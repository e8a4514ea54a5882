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
// Advance does a bounded number of steps per call (each handle cascaded, staged, reclaimed or dropped
// is one) and resumes where it stopped, draining a slot in place, so reclaiming a million entries that
// share a deadline never holds the owner's lock for long.
//
// Staging. A cascade moves every entry of a coarse slot before any of them can be reclaimed: at ten
// million keys a level-3 slot (64^3 ticks) holds millions, and moving them takes seconds of the
// owner's budget while entries due meanwhile wait. So the wheel moves them ahead of time: for each
// level L >= 1 the slot the cursor enters next has a "shadow" copy of levels 0..L-1, laid out as they
// will be when the cursor reaches that slot's start B. Entries whose deadline falls in [B, B + 64^L)
// are placed there directly, and steps an Advance call has left once nothing is due move the entries
// already in the coarse slot there ("staging"). When the cursor reaches B, the shadow becomes the
// finer levels in O(64 * L) (those levels are empty by then: the cursor has passed all their slots),
// and whatever was not staged yet cascades as before. Slots are named by a logical id (level and
// index, or shadow, level and index) mapped to a physical slot, and tracked entries record the
// physical one, so turning a shadow into the real levels relabels no entry.
//
// An untracked wheel stages into its shadow's coarsest level only (slots of 64^(L-1) ticks), and the
// first of those slots cascades when the cursor reaches B, as before but 64 times smaller: a finer
// shadow would make an entry whose deadline keeps sliding (a session touched on every request) leave
// a stale copy in every fine slot its deadline crosses, one per 64 ms near B.
//
// Thread-safety: none; the owner's lock guards the wheel and the table behind `deadline_of`.
#pragma once

#include <algorithm>
#include <array>
#include <cassert>
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
  // Rows of 64 logical slots: kLevels real levels, then the shadows of levels 1..kLevels-1, shadow L
  // holding L rows (its levels 0..L-1).
  static constexpr int kRows = kLevels + kLevels * (kLevels - 1) / 2;
  // Slot ids a tracked entry can hold: a physical slot (< kRows * 64), kDueSlot, or kNoSlot.
  static constexpr uint16_t kDueSlot = UINT16_MAX - 1;
  static constexpr uint16_t kNoSlot = UINT16_MAX;

  // Adds `handle` due at tick `deadline`. `now` positions an empty wheel's cursor.
  void Add(int64_t deadline, Handle handle, int64_t now) {
    if (size() == 0) {
      cursor_ = now;  // every shadow is empty: no boundary is skipped
      work_id_ = kNone;
    }
    Place(deadline, std::move(handle));
  }

  // Untracked: the entry of `handle` moves from `old_deadline` to `new_deadline`: O(1), and free when
  // both map to the same slot.
  void Rearm(int64_t old_deadline, int64_t new_deadline, Handle handle, int64_t now) {
    static_assert(!Slots::kTracked, "tracked wheels use Update");
    if (size() != 0 && new_deadline >= cursor_ && Locate(old_deadline) == Locate(new_deadline)) return;
    Add(new_deadline, std::move(handle), now);
  }

  // Tracked: puts `handle` at `deadline`, moving it if it is in the wheel already (free when the slot
  // stays the same).
  void Update(const Handle& handle, int64_t deadline, int64_t now) {
    static_assert(Slots::kTracked, "untracked wheels use Add and Rearm");
    const uint16_t slot = Slots::Slot(handle);
    if (slot != kNoSlot) {
      if (slot != kDueSlot && deadline >= cursor_ && physical_[Locate(deadline)] == slot) return;
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
    } else {
      Take(slot, Slots::Index(handle));
    }
  }

  // Reclaims entries due at or before tick `now`: `reclaim(handle)` for each live one, where
  // `deadline_of(handle)` returns the entry's deadline (nullopt if it is gone). A handle is out of the
  // wheel by the time `reclaim` sees it. Stops after `limit` steps; returns whether everything due
  // was done. Steps left over then stage coarse slots (see above).
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
      if (work_id_ != kNone) {
        if (!Drain(work_id_, work_lo_, work_hi_, now, limit, steps, deadline_of, reclaim)) return false;
        if (work_id_ < kSlots) MoveCursor(cursor_ + 1);  // level 0's slot for this tick is done
        work_id_ = kNone;
      }
      if (count_ == 0) {
        if (cursor_ <= now) cursor_ = now + 1;  // every shadow is empty
        return true;
      }
      if (cursor_ > now) {
        Stage(now, limit, steps, deadline_of, reclaim);
        return true;
      }
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
    for (int row = 0; row < kRows; ++row) {
      if (r >= row_count_[row]) {
        r -= row_count_[row];
        continue;
      }
      for (uint64_t bits = occupied_[row]; bits != 0; bits &= bits - 1) {
        const auto& slot = pool_[physical_[row * kSlots + __builtin_ctzll(bits)]];
        if (r < slot.size()) return slot[r];
        r -= slot.size();
      }
    }
    return std::nullopt;  // unreachable while the counts are right
  }

  // Handles held, stale copies included.
  size_t size() const { return count_ + due_.size(); }
  // Bytes held by the slot vectors (capacity) and the tables, for memory reports.
  size_t bytes() const {
    size_t total = due_.capacity() * sizeof(Handle) + pool_.capacity() * sizeof(pool_[0]) +
                   (owner_.capacity() + free_.capacity()) * sizeof(uint16_t);
    for (const auto& slot : pool_) total += slot.capacity() * sizeof(Handle);
    return total + sizeof(*this);
  }

  // Drops every handle (a tracked owner clears its entries along with it).
  void Clear() { *this = TimingWheel(); }
  void Swap(TimingWheel& other) { std::swap(*this, other); }

 private:
  static constexpr uint16_t kNone = UINT16_MAX;  // no physical slot / no slot being drained
  static constexpr int kLogical = kRows * kSlots;

  // (level, index) of the slot `deadline` (>= `cursor`) belongs in with the cursor at `cursor`.
  static std::pair<int, int> SlotOf(int64_t deadline, int64_t cursor) {
    const uint64_t diff = static_cast<uint64_t>(deadline) ^ static_cast<uint64_t>(cursor);
    int level = 0;
    while (level + 1 < kLevels && (diff >> (kBits * (level + 1))) != 0) ++level;
    return {level, static_cast<int>((static_cast<uint64_t>(deadline) >> (kBits * level)) & (kSlots - 1))};
  }
  // The first row of level L's shadow.
  static constexpr int ShadowRow(int level) { return kLevels + level * (level - 1) / 2; }
  // The start of the level-`level` slot after the cursor's, or 0 when that slot's start is also a
  // coarser level's (its shadow is that level's) or past the int64 range.
  uint64_t Boundary(int level) const {
    const int shift = kBits * level;
    const uint64_t c = static_cast<uint64_t>(cursor_) >> shift;
    if ((c & (kSlots - 1)) == kSlots - 1) return 0;
    const uint64_t b = (c + 1) << shift;
    return b > static_cast<uint64_t>(INT64_MAX) ? 0 : b;
  }

  // The logical slot `deadline` belongs in now: kDueSlot behind the cursor, a shadow's slot when it
  // falls in the next slot of a level >= 1, else the real level's slot.
  uint16_t Locate(int64_t deadline) const {
    if (deadline < cursor_) return kDueSlot;
    const auto [level, index] = SlotOf(deadline, cursor_);
    if (level >= 1 && static_cast<uint64_t>(index) ==
                          ((static_cast<uint64_t>(cursor_) >> (kBits * level)) & (kSlots - 1)) + 1) {
      // Untracked: the shadow's coarsest level only (see above).
      const auto [sub_level, sub_index] =
          Slots::kTracked
              ? SlotOf(deadline, static_cast<int64_t>(Boundary(level)))
              : std::pair<int, int>{
                    level - 1, static_cast<int>((static_cast<uint64_t>(deadline) >> (kBits * (level - 1))) &
                                                (kSlots - 1))};
      return static_cast<uint16_t>((ShadowRow(level) + sub_level) * kSlots + sub_index);
    }
    return static_cast<uint16_t>(level * kSlots + index);
  }

  void Place(int64_t deadline, Handle handle) {
    const uint16_t id = Locate(deadline);
    if (id == kDueSlot) {
      Push(due_, kDueSlot, std::move(handle));
      return;
    }
    uint16_t p = physical_[id];
    if (p == kNone) p = Acquire(id);
    Push(pool_[p], p, std::move(handle));
    ++row_count_[id / kSlots];
    ++count_;
  }

  // A physical slot for logical slot `id`, which has none.
  uint16_t Acquire(uint16_t id) {
    uint16_t p;
    if (!free_.empty()) {
      p = free_.back();
      free_.pop_back();
      owner_[p] = id;
    } else {
      p = static_cast<uint16_t>(pool_.size());
      pool_.emplace_back();
      owner_.push_back(id);
    }
    physical_[id] = p;
    occupied_[id / kSlots] |= uint64_t{1} << (id % kSlots);
    return p;
  }

  // Removes and returns handle `i` of physical slot `p`; an emptied slot goes back to the free list
  // with its memory (a mass deadline's slot would otherwise keep its capacity).
  Handle Take(uint16_t p, size_t i) {
    Handle h = TakeAt(pool_[p], p, i);
    const uint16_t id = owner_[p];
    --row_count_[id / kSlots];
    --count_;
    if (pool_[p].empty()) {
      pool_[p] = {};
      physical_[id] = kNone;
      occupied_[id / kSlots] &= ~(uint64_t{1} << (id % kSlots));
      free_.push_back(p);
    }
    return h;
  }

  void Push(std::vector<Handle>& slot, uint16_t id, Handle handle) {
    Slots::Set(handle, id, static_cast<uint32_t>(slot.size()));
    slot.push_back(std::move(handle));
  }

  // Removes and returns slot[i]; the last handle takes its place.
  static Handle TakeAt(std::vector<Handle>& slot, uint16_t id, size_t i) {
    Handle h = std::move(slot[i]);
    if (i + 1 != slot.size()) {
      slot[i] = std::move(slot.back());
      Slots::Set(slot[i], id, static_cast<uint32_t>(i));
    }
    slot.pop_back();
    Slots::Set(h, kNoSlot, 0);
    return h;
  }

  // Empties logical slot `id`, whose entries' deadlines lie in [lo, hi] (others are stale copies):
  // reclaims the due ones and places the rest. False when `limit` steps ran out first.
  template <typename DeadlineOf, typename Reclaim>
  bool Drain(uint16_t id, int64_t lo, int64_t hi, int64_t now, size_t limit, size_t& steps,
             DeadlineOf& deadline_of, Reclaim& reclaim) {
    for (uint16_t p = physical_[id]; p != kNone; p = physical_[id]) {  // Place may move pool_
      if (steps == limit) return false;
      ++steps;
      Handle h = Take(p, pool_[p].size() - 1);
      const std::optional<int64_t> d = deadline_of(h);
      if (!d || *d < lo || *d > hi) continue;  // gone or re-armed elsewhere: a stale copy
      if (*d <= now) {
        reclaim(h);
      } else {
        Place(*d, std::move(h));  // to a finer level or a shadow
      }
    }
    return true;
  }

  // With nothing due: moves the entries of each level's next slot into its shadow, nearest first.
  template <typename DeadlineOf, typename Reclaim>
  void Stage(int64_t now, size_t limit, size_t& steps, DeadlineOf& deadline_of, Reclaim& reclaim) {
    for (int level = 1; level < kLevels && steps < limit; ++level) {
      const uint64_t start = Boundary(level);
      if (start == 0) continue;
      const int index = static_cast<int>((start >> (kBits * level)) & (kSlots - 1));
      const uint16_t id = static_cast<uint16_t>(level * kSlots + index);
      const int64_t lo = static_cast<int64_t>(start);
      const int64_t hi = static_cast<int64_t>(start + ((uint64_t{1} << (kBits * level)) - 1));
      if (!Drain(id, lo, hi, now, limit, steps, deadline_of, reclaim)) return;
    }
  }

  // Moves the cursor forward to `to`, turning the shadow of each level whose next slot starts at
  // `to` into that level's finer levels. The cursor never passes a non-empty shadow's start.
  void MoveCursor(int64_t to) {
    for (int level = kLevels - 1; level >= 1; --level) {
      if (Boundary(level) != static_cast<uint64_t>(to)) continue;
      for (int sub = 0; sub < level; ++sub) {
        const int from = ShadowRow(level) + sub;
        assert(occupied_[sub] == 0);  // the cursor has passed every slot of the finer levels
        for (uint64_t bits = occupied_[from]; bits != 0; bits &= bits - 1) {
          const int index = __builtin_ctzll(bits);
          const uint16_t p = physical_[from * kSlots + index];
          physical_[from * kSlots + index] = kNone;
          physical_[sub * kSlots + index] = p;
          owner_[p] = static_cast<uint16_t>(sub * kSlots + index);
        }
        occupied_[sub] = occupied_[from];
        row_count_[sub] = row_count_[from];
        occupied_[from] = 0;
        row_count_[from] = 0;
      }
      break;  // coarser levels' shadows start later; finer ones were not in use (Boundary)
    }
    cursor_ = to;
  }

  // At cursor_: picks the highest-level slot whose range starts here (a cascade of what was not
  // staged), else level 0's slot for this tick, as the slot to drain. False when there was nothing
  // to take at this tick.
  bool NextSlot() {
    const uint64_t c = static_cast<uint64_t>(cursor_);
    for (int level = kLevels - 1; level >= 0; --level) {
      const int shift = kBits * level;
      if (shift >= 64 || (c & ((uint64_t{1} << shift) - 1)) != 0) continue;  // no range starts here
      const int index = static_cast<int>((c >> shift) & (kSlots - 1));
      if (!(occupied_[level] & (uint64_t{1} << index))) continue;
      // The cursor stays while a level >= 1 drains: its entries go to finer levels, level 0's slot
      // for this tick included; it moves on once level 0's slot is drained.
      work_id_ = static_cast<uint16_t>(level * kSlots + index);
      work_lo_ = cursor_;
      work_hi_ = cursor_ + (int64_t{1} << shift) - 1;
      return true;
    }
    return false;
  }

  // Nothing to take at the cursor: moves it past ticks where nothing can happen. With every level
  // below L empty (a shadow of level L counts as level L), the next thing to do is at the next
  // multiple of 64^L, so crossing any span of idle time takes a few steps per level, not one per
  // tick. Never past now + 1: a cursor ahead of the clock would cascade far entries early and place
  // later (re)arms on finer levels, where a sliding deadline crosses a slot, and leaves a copy, far
  // more often.
  void SkipEmpty(int64_t now) {
    int level = 0;
    while (level < kLevels && occupied_[level] == 0 && !ShadowInUse(level)) ++level;
    if (level == 0) {
      MoveCursor(cursor_ + 1);
      return;
    }
    const int shift = kBits * std::min(level, kLevels - 1);
    const uint64_t span = shift >= 63 ? (uint64_t{1} << 62) : (uint64_t{1} << shift);
    const uint64_t next = (static_cast<uint64_t>(cursor_) / span + 1) * span;
    const uint64_t limit =
        now == INT64_MAX ? static_cast<uint64_t>(INT64_MAX) : static_cast<uint64_t>(now) + 1;
    MoveCursor(static_cast<int64_t>(std::min(next, limit)));  // limit <= INT64_MAX
  }

  bool ShadowInUse(int level) const {
    if (level < 1 || level >= kLevels) return false;
    for (int row = ShadowRow(level); row < ShadowRow(level) + level; ++row) {
      if (occupied_[row] != 0) return true;
    }
    return false;
  }

  std::vector<std::vector<Handle>> pool_;                     // physical slots
  std::vector<uint16_t> owner_;                               // physical slot -> its logical slot
  std::vector<uint16_t> free_;                                // physical slots not in use
  std::array<uint16_t, kLogical> physical_ = MakeEmptyMap();  // logical slot -> physical, or kNone
  std::array<uint64_t, kRows> occupied_{};                    // bit i: slot i of the row is not empty
  std::array<size_t, kRows> row_count_{};                     // handles in each row
  size_t count_ = 0;                                          // handles in slots
  int64_t cursor_ = 0;                                        // the first tick not yet taken from level 0
  uint16_t work_id_ = kNone;                                  // the real slot being drained, if any
  int64_t work_lo_ = 0, work_hi_ = 0;                         // the deadline range of that slot
  std::vector<Handle> due_;                                   // added with a deadline already reached

  static std::array<uint16_t, kLogical> MakeEmptyMap() {
    std::array<uint16_t, kLogical> map;
    map.fill(kNone);
    return map;
  }
};

}  // namespace latchkey
