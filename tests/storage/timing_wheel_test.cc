// TimingWheel: every entry is reclaimed at its deadline tick and never before, stale copies are
// dropped, re-arming costs no copies within a slot, work is bounded per call, and idle time is
// crossed in few steps.
#include "storage/timing_wheel.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <vector>

namespace latchkey {
namespace {

// The owner's table: handle → deadline tick, and a log of reclaims with the tick they happened at.
struct Model {
  std::map<uint64_t, int64_t> deadline;
  std::vector<std::pair<uint64_t, int64_t>> reclaimed;  // (handle, now)
  int64_t now = 0;

  std::optional<int64_t> DeadlineOf(uint64_t h) const {
    auto it = deadline.find(h);
    if (it == deadline.end()) return std::nullopt;
    return it->second;
  }
  bool Advance(TimingWheel<uint64_t>& wheel, int64_t to, size_t limit = SIZE_MAX) {
    now = to;
    return wheel.Advance(
        to, limit, [this](uint64_t h) { return DeadlineOf(h); },
        [this](uint64_t h) {
          reclaimed.emplace_back(h, now);
          deadline.erase(h);
        });
  }
};

TEST(TimingWheelTest, ReclaimsEachEntryAtItsDeadlineTickNeverBefore) {
  TimingWheel<uint64_t> wheel;
  Model m;
  const int64_t start = 1'700'000'000;
  std::mt19937_64 rng(7);
  for (uint64_t h = 1; h <= 5000; ++h) {
    // Deadlines from the next tick to ~3 days out: every level up to 3 is used.
    const int64_t d = start + 1 + static_cast<int64_t>(rng() % (h % 3 == 0 ? 300000 : 5000));
    m.deadline[h] = d;
    wheel.Add(d, h, start);
  }
  const std::map<uint64_t, int64_t> expected = m.deadline;
  int64_t t = start;
  while (!m.deadline.empty()) {
    t += 1 + static_cast<int64_t>(rng() % 3);  // sometimes skips ticks, as a late cycle does
    ASSERT_TRUE(m.Advance(wheel, t));
    for (const auto& [h, d] : m.deadline) ASSERT_GT(d, t) << "entry " << h << " due but not reclaimed";
  }
  ASSERT_EQ(m.reclaimed.size(), expected.size());
  for (const auto& [h, at] : m.reclaimed) {
    EXPECT_GE(at, expected.at(h));      // never before its deadline
    EXPECT_LE(at, expected.at(h) + 3);  // within the step the test advanced by
  }
  EXPECT_EQ(wheel.size(), 0u);
}

TEST(TimingWheelTest, OneTickAtATimeReclaimsExactlyAtTheDeadline) {
  TimingWheel<uint64_t> wheel;
  Model m;
  for (uint64_t h = 1; h <= 300; ++h) {
    m.deadline[h] = static_cast<int64_t>(h * 17);  // crosses level-1 and level-2 boundaries
    wheel.Add(m.deadline[h], h, 0);
  }
  for (int64_t t = 1; t <= 300 * 17; ++t) ASSERT_TRUE(m.Advance(wheel, t));
  ASSERT_EQ(m.reclaimed.size(), 300u);
  for (const auto& [h, at] : m.reclaimed) EXPECT_EQ(at, static_cast<int64_t>(h * 17));
}

TEST(TimingWheelTest, RearmMovesTheDeadlineAndDropsTheStaleCopy) {
  TimingWheel<uint64_t> wheel;
  Model m;
  m.deadline[1] = 100;
  wheel.Add(100, 1, 0);
  m.deadline[2] = 5000;
  wheel.Add(5000, 2, 0);
  // Later, then earlier.
  wheel.Rearm(100, 9000, 1, 0);
  m.deadline[1] = 9000;
  wheel.Rearm(5000, 50, 2, 0);
  m.deadline[2] = 50;
  ASSERT_TRUE(m.Advance(wheel, 49));
  EXPECT_TRUE(m.reclaimed.empty());
  ASSERT_TRUE(m.Advance(wheel, 50));
  ASSERT_EQ(m.reclaimed.size(), 1u);
  EXPECT_EQ(m.reclaimed[0], std::make_pair(uint64_t{2}, int64_t{50}));
  ASSERT_TRUE(m.Advance(wheel, 8999));
  EXPECT_EQ(m.reclaimed.size(), 1u);  // 1's copy at 100 was stale
  ASSERT_TRUE(m.Advance(wheel, 9000));
  ASSERT_EQ(m.reclaimed.size(), 2u);
  EXPECT_EQ(m.reclaimed[1], std::make_pair(uint64_t{1}, int64_t{9000}));
  EXPECT_EQ(wheel.size(), 0u);
}

TEST(TimingWheelTest, RearmWithinOneSlotAddsNoCopies) {
  TimingWheel<uint64_t> wheel;
  Model m;
  m.deadline[1] = 1'000'000;
  wheel.Add(1'000'000, 1, 0);
  for (int64_t d = 1'000'001; d < 1'000'060; ++d) {  // same level-3 slot as the first deadline
    wheel.Rearm(d - 1, d, 1, 0);
    m.deadline[1] = d;
  }
  EXPECT_EQ(wheel.size(), 1u);
  ASSERT_TRUE(m.Advance(wheel, 1'000'058));
  EXPECT_TRUE(m.reclaimed.empty());
  ASSERT_TRUE(m.Advance(wheel, 1'000'059));
  EXPECT_EQ(m.reclaimed.size(), 1u);
}

// A deadline that keeps sliding forward (a session touched every 10 ticks, its deadline 1.8M ticks
// ahead) while the wheel advances: re-arms stay in the far deadline's coarse slot, so copies pile up
// only when the deadline crosses a slot of that level (64^3 ticks), not one per touch or per finer slot.
// Idle skipping must not carry the cursor past `now` toward the occupied slot, which would make the
// deadline land on finer levels and every re-arm cross slots.
TEST(TimingWheelTest, ASlidingFarDeadlineLeavesFewCopies) {
  TimingWheel<uint64_t> wheel;
  Model m;
  constexpr int64_t kStart = 1'700'000'000'000;  // Unix milliseconds: real clocks are not aligned
  constexpr int64_t kAhead = 1'800'000;
  m.deadline[1] = kStart + kAhead;
  wheel.Add(kStart + kAhead, 1, kStart);
  for (int64_t now = kStart + 10; now <= kStart + 1'000'000; now += 10) {
    wheel.Rearm(m.deadline[1], now + kAhead, 1, now);
    m.deadline[1] = now + kAhead;
    if (now % 10'000 == 0) {
      ASSERT_TRUE(m.Advance(wheel, now));
    }
  }
  EXPECT_TRUE(m.reclaimed.empty());
  EXPECT_LE(wheel.size(), 8u);
  ASSERT_TRUE(m.Advance(wheel, kStart + 1'000'000 + kAhead - 1));
  EXPECT_TRUE(m.reclaimed.empty());
  ASSERT_TRUE(m.Advance(wheel, kStart + 1'000'000 + kAhead));
  EXPECT_EQ(m.reclaimed.size(), 1u);
}

TEST(TimingWheelTest, AMassDeadlineIsReclaimedInBoundedSteps) {
  TimingWheel<uint64_t> wheel;
  Model m;
  constexpr uint64_t kN = 100000;
  for (uint64_t h = 0; h < kN; ++h) {
    m.deadline[h] = 10000;  // a level-2 slot: cascaded twice before it is due
    wheel.Add(10000, h, 0);
  }
  int calls = 0;
  size_t before = 0;
  while (!m.Advance(wheel, 10000, 64)) {
    ++calls;
    // Each call does at most 64 steps, so at most 64 reclaims.
    ASSERT_LE(m.reclaimed.size() - before, 64u);
    before = m.reclaimed.size();
  }
  EXPECT_EQ(m.reclaimed.size(), kN);
  // Advanced straight to the deadline, each entry is reclaimed from its level-2 slot in one step.
  EXPECT_GE(calls, static_cast<int>(kN / 64) - 1);
  EXPECT_EQ(wheel.size(), 0u);
}

TEST(TimingWheelTest, LongIdleGapsAreCrossedQuickly) {
  TimingWheel<uint64_t> wheel;
  Model m;
  const int64_t far = int64_t{1} << 40;  // 35,000 years of seconds
  m.deadline[1] = far;
  wheel.Add(far, 1, 0);
  m.deadline[2] = 3;
  wheel.Add(3, 2, 0);
  ASSERT_TRUE(m.Advance(wheel, far - 1));  // would be 10^12 iterations one tick at a time
  ASSERT_EQ(m.reclaimed.size(), 1u);
  ASSERT_TRUE(m.Advance(wheel, far));
  ASSERT_EQ(m.reclaimed.size(), 2u);
  EXPECT_EQ(m.reclaimed[1], std::make_pair(uint64_t{1}, far));
}

TEST(TimingWheelTest, EntriesAddedBehindTheCursorAreReclaimedNextAdvance) {
  TimingWheel<uint64_t> wheel;
  Model m;
  m.deadline[1] = 500;
  wheel.Add(500, 1, 0);
  ASSERT_TRUE(m.Advance(wheel, 200));
  m.deadline[2] = 150;  // already due when added
  wheel.Add(150, 2, 200);
  ASSERT_TRUE(m.Advance(wheel, 201));
  ASSERT_EQ(m.reclaimed.size(), 1u);
  EXPECT_EQ(m.reclaimed[0].first, 2u);
}

// Untracked wheels stage a coarse slot into its 64 sub-slots ahead of time; at the slot's start only
// the first sub-slot (1/64 of the entries) still has to be cascaded before its first entry is due.
TEST(TimingWheelTest, ACoarseSlotIsStagedAheadIntoSubSlots) {
  TimingWheel<uint64_t> wheel;
  Model m;
  constexpr int64_t kLevel3 = int64_t{1} << 18;
  const int64_t block = int64_t{7} << 24;
  const int64_t now = block + 5 * kLevel3 + 1'000;
  const int64_t start = block + 6 * kLevel3;
  constexpr uint64_t kN = 20'000;
  for (uint64_t h = 0; h < kN; ++h) {
    m.deadline[h] = start + static_cast<int64_t>((h * 7919) % kLevel3);
    wheel.Add(m.deadline[h], h, now - kLevel3);  // two slots ahead: not staged on the way in
  }
  for (int i = 0; i < 1'000; ++i) ASSERT_TRUE(m.Advance(wheel, now + i, 64));
  ASSERT_TRUE(m.reclaimed.empty());
  // About kN / 64 entries share the first sub-slot; without staging all kN would be cascaded first.
  EXPECT_TRUE(m.Advance(wheel, start, 1'000));
  ASSERT_EQ(m.reclaimed.size(), 1u);
  EXPECT_EQ(m.reclaimed[0].first, 0u);
  EXPECT_TRUE(m.Advance(wheel, start + kLevel3));
  EXPECT_EQ(m.reclaimed.size(), kN);
  EXPECT_EQ(wheel.size(), 0u);
}

TEST(TimingWheelTest, RandomOperationsMatchAModel) {
  TimingWheel<uint64_t> wheel;
  Model m;
  std::mt19937_64 rng(42);
  int64_t t = 1000;
  uint64_t next = 1;
  for (int round = 0; round < 20000; ++round) {
    const int op = static_cast<int>(rng() % 10);
    if (op < 5) {
      const int64_t d = t + 1 + static_cast<int64_t>(rng() % (rng() % 2 ? 100 : 100000));
      m.deadline[next] = d;
      wheel.Add(d, next++, t);
    } else if (op < 8 && !m.deadline.empty()) {
      auto it = m.deadline.lower_bound(rng() % next);
      if (it == m.deadline.end()) it = m.deadline.begin();
      const int64_t d = t + 1 + static_cast<int64_t>(rng() % 5000);
      wheel.Rearm(it->second, d, it->first, t);
      it->second = d;
    } else if (op == 8 && !m.deadline.empty()) {
      m.deadline.erase(m.deadline.begin());  // deleted by its owner: the copy goes stale
    } else {
      t += static_cast<int64_t>(rng() % (rng() % 8 != 0 ? 200 : 30'000));
      ASSERT_TRUE(m.Advance(wheel, t));
      for (const auto& [h, d] : m.deadline) ASSERT_GT(d, t) << h;
    }
  }
  t += 200000;
  ASSERT_TRUE(m.Advance(wheel, t));
  EXPECT_TRUE(m.deadline.empty());
  EXPECT_EQ(wheel.size(), 0u);  // no copies left behind
}

}  // namespace
}  // namespace latchkey
