// KeyExpiry (a tracked TimingWheel of KeyNodes): a key is reclaimed once the clock passes its deadline
// and never before; Update and Remove move or drop the node's one handle exactly, wherever it sits
// (a coarse slot, the slot being drained, the already-due list), so the index never holds a freed node;
// sampling is uniform; Clear and Swap keep the positions consistent.
#include "storage/key_expiry.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <set>
#include <vector>

namespace latchkey {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;  // Unix milliseconds

class KeyExpiryTest : public ::testing::Test {
 protected:
  KeyNode* NewNode(int64_t deadline) {
    nodes_.push_back(std::make_unique<KeyNode>());
    KeyNode* node = nodes_.back().get();
    node->expire_at_ms = deadline;
    expiry_.Update(node, now_);
    return node;
  }
  void SetDeadline(KeyNode* node, int64_t deadline) {
    node->expire_at_ms = deadline;
    expiry_.Update(node, now_);
  }
  // Advances to `now` with a step limit per call; returns every node reclaimed, in order.
  std::vector<KeyNode*> AdvanceTo(int64_t now, size_t limit = SIZE_MAX) {
    now_ = now;
    std::vector<KeyNode*> out;
    while (!expiry_.Advance(now, limit, [&](KeyNode* n) {
      EXPECT_EQ(n->wheel_slot, UINT16_MAX) << "handed out while still indexed";
      out.push_back(n);
    })) {
    }
    return out;
  }

  int64_t now_ = kNow;
  KeyExpiry expiry_;
  std::vector<std::unique_ptr<KeyNode>> nodes_;
};

TEST_F(KeyExpiryTest, ReclaimsOnceTheClockPassesTheDeadline) {
  KeyNode* a = NewNode(kNow + 10);
  KeyNode* b = NewNode(kNow + 5'000);
  KeyNode* c = NewNode(kNow + 90'000'000);  // a day out: a coarse level
  EXPECT_EQ(expiry_.size(), 3u);
  EXPECT_TRUE(AdvanceTo(kNow + 10).empty());  // deadline == now is still live, as in Redis
  EXPECT_EQ(AdvanceTo(kNow + 11), std::vector<KeyNode*>{a});
  EXPECT_TRUE(AdvanceTo(kNow + 5'000).empty());
  EXPECT_EQ(AdvanceTo(kNow + 5'001), std::vector<KeyNode*>{b});
  EXPECT_TRUE(AdvanceTo(kNow + 90'000'000).empty());
  EXPECT_EQ(AdvanceTo(kNow + 90'000'001), std::vector<KeyNode*>{c});
  EXPECT_EQ(expiry_.size(), 0u);
}

TEST_F(KeyExpiryTest, UpdateMovesADeadlineEitherWayWithoutCopies) {
  KeyNode* a = NewNode(kNow + 100);
  KeyNode* b = NewNode(kNow + 100'000);
  SetDeadline(a, kNow + 200'000);                                     // later
  SetDeadline(b, kNow + 50);                                          // earlier
  for (int i = 0; i < 1000; ++i) SetDeadline(a, kNow + 200'000 + i);  // re-armed many times
  EXPECT_EQ(expiry_.size(), 2u);
  EXPECT_EQ(AdvanceTo(kNow + 51), std::vector<KeyNode*>{b});
  EXPECT_TRUE(AdvanceTo(kNow + 200'999).empty());
  EXPECT_EQ(AdvanceTo(kNow + 201'000), std::vector<KeyNode*>{a});
}

TEST_F(KeyExpiryTest, ClearingTheDeadlineTakesTheNodeOut) {
  KeyNode* a = NewNode(kNow + 100);
  a->expire_at_ms = kNoExpiry;
  expiry_.Update(a, now_);
  EXPECT_EQ(a->wheel_slot, UINT16_MAX);
  EXPECT_EQ(expiry_.size(), 0u);
  EXPECT_TRUE(AdvanceTo(kNow + 1'000'000).empty());
}

TEST_F(KeyExpiryTest, RemoveFromAnySlotKeepsTheOthersIndexed) {
  std::vector<KeyNode*> all;
  for (int i = 0; i < 200; ++i) all.push_back(NewNode(kNow + 1 + (i % 7) * 37'000 + i));
  std::set<KeyNode*> kept;
  for (size_t i = 0; i < all.size(); ++i) {
    if (i % 3 == 0) {
      expiry_.Remove(all[i]);
      EXPECT_EQ(all[i]->wheel_slot, UINT16_MAX);
    } else {
      kept.insert(all[i]);
    }
  }
  expiry_.Remove(all[0]);  // twice is harmless
  EXPECT_EQ(expiry_.size(), kept.size());
  const std::vector<KeyNode*> out = AdvanceTo(kNow + 10'000'000);
  EXPECT_EQ(std::set<KeyNode*>(out.begin(), out.end()), kept);
  EXPECT_EQ(out.size(), kept.size());
}

TEST_F(KeyExpiryTest, AMassDeadlineDrainsInBoundedStepsWhileKeysChange) {
  constexpr int kN = 20000;
  std::vector<KeyNode*> all;
  for (int i = 0; i < kN; ++i) all.push_back(NewNode(kNow + 10'000));
  now_ = kNow + 10'001;
  std::set<KeyNode*> reclaimed, removed, moved;
  std::mt19937_64 rng(3);
  int calls = 0;
  bool done = false;
  while (!done) {
    size_t here = 0;
    done = expiry_.Advance(now_, 64, [&](KeyNode* n) {
      ASSERT_FALSE(removed.count(n) || moved.count(n));
      reclaimed.insert(n);
      ++here;
    });
    ASSERT_LE(here, 64u);
    ++calls;
    // Between calls, clients delete some of the keys still waiting in the slot being drained and
    // push others into the future.
    for (int j = 0; j < 5; ++j) {
      KeyNode* n = all[rng() % kN];
      if (reclaimed.count(n) || removed.count(n) || moved.count(n)) continue;
      if (j % 2 == 0) {
        expiry_.Remove(n);
        removed.insert(n);
      } else {
        SetDeadline(n, kNow + 60'000);
        moved.insert(n);
      }
    }
  }
  EXPECT_GT(calls, kN / 64 / 2);
  EXPECT_EQ(reclaimed.size() + removed.size() + moved.size(), static_cast<size_t>(kN));
  EXPECT_EQ(expiry_.size(), moved.size());
  const std::vector<KeyNode*> later = AdvanceTo(kNow + 60'001);
  EXPECT_EQ(std::set<KeyNode*>(later.begin(), later.end()), moved);
}

TEST_F(KeyExpiryTest, DeadlinesBehindTheCursorAndABackwardClock) {
  NewNode(kNow + 1'000);
  EXPECT_TRUE(AdvanceTo(kNow + 500).empty());
  KeyNode* late = NewNode(kNow + 100);  // set while the wheel is past it: already due
  EXPECT_EQ(AdvanceTo(kNow + 501), std::vector<KeyNode*>{late});
  // The clock steps back: a deadline behind the wheel's cursor but ahead of the clock waits.
  KeyNode* ahead = NewNode(kNow + 450);
  EXPECT_TRUE(AdvanceTo(kNow + 400).empty());
  EXPECT_EQ(expiry_.size(), 2u);
  SetDeadline(ahead, kNow + 420);  // moved while waiting in the due list
  EXPECT_EQ(AdvanceTo(kNow + 421), std::vector<KeyNode*>{ahead});
}

TEST_F(KeyExpiryTest, SampleIsUniformAcrossLevels) {
  // One node in level 0, one far out, one already due, and many in one mid slot.
  std::vector<KeyNode*> picks = {NewNode(kNow + 3), NewNode(kNow + 3'000'000'000)};
  AdvanceTo(kNow + 1);
  picks.push_back(NewNode(kNow - 5));  // behind the cursor
  for (int i = 0; i < 7; ++i) picks.push_back(NewNode(kNow + 70'000 + i));
  std::map<KeyNode*, int> hits;
  std::mt19937_64 rng(11);
  constexpr int kDraws = 50000;
  for (int i = 0; i < kDraws; ++i) ++hits[expiry_.Sample(rng)];
  ASSERT_EQ(hits.size(), picks.size());
  for (KeyNode* n : picks) {
    EXPECT_NEAR(hits[n], kDraws / 10, kDraws / 50) << "node " << n->expire_at_ms - kNow;
  }
  KeyExpiry empty;
  EXPECT_EQ(empty.Sample(rng), nullptr);
}

TEST_F(KeyExpiryTest, RandomOperationsMatchAModel) {
  std::mt19937_64 rng(42);
  std::map<KeyNode*, int64_t> live;  // node -> deadline
  for (int round = 0; round < 30000; ++round) {
    const int op = static_cast<int>(rng() % 10);
    if (op < 4) {
      const int64_t d = now_ + static_cast<int64_t>(rng() % (rng() % 2 ? 100 : 1'000'000)) - 10;
      live[NewNode(d)] = d;
    } else if (op < 7 && !live.empty()) {
      auto it = std::next(live.begin(), static_cast<long>(rng() % live.size()));
      const int64_t d = now_ + static_cast<int64_t>(rng() % 50'000);
      SetDeadline(it->first, d);
      it->second = d;
    } else if (op == 7 && !live.empty()) {
      auto it = std::next(live.begin(), static_cast<long>(rng() % live.size()));
      expiry_.Remove(it->first);  // the key is deleted
      live.erase(it);
    } else {
      // Mostly short steps; some cross level-2 and level-3 slot starts, where shadows take over.
      const int64_t step = static_cast<int64_t>(rng() % (rng() % 8 != 0 ? 300 : 30'000));
      for (KeyNode* n : AdvanceTo(now_ + step, 1 + rng() % 50)) {
        ASSERT_TRUE(live.count(n));
        ASSERT_LT(live[n], now_);
        live.erase(n);
      }
      for (const auto& [n, d] : live) ASSERT_GE(d, now_) << "overdue but kept";
    }
    ASSERT_EQ(expiry_.size(), live.size());
  }
}

// Ten million keys put millions in one level-3 slot (64^3 ms). Steps left over while nothing is due
// move them, ahead of time, to where they belong once the cursor reaches the slot, so the first key
// due there is reclaimed in a handful of steps instead of after the whole slot is cascaded.
TEST_F(KeyExpiryTest, ACoarseSlotIsStagedAheadSoItsFirstKeyWaitsForNoCascade) {
  constexpr int64_t kLevel3 = int64_t{1} << 18;
  const int64_t block = (kNow >> 24) << 24;   // a level-4 slot's start
  now_ = block + 4 * kLevel3 + 1'000;         // in level-3 slot 4 of it
  const int64_t start = block + 6 * kLevel3;  // two level-3 slots ahead: not staged on the way in
  constexpr int kN = 20'000;
  KeyNode* first = NewNode(start);
  for (int i = 1; i < kN; ++i) NewNode(start + 1 + (i * 7919) % (kLevel3 - 1));
  now_ = block + 5 * kLevel3 + 1'000;  // now it is the next slot
  for (int i = 0; i < 1'000; ++i) {    // quiet cycles: nothing due, 64 steps each
    EXPECT_TRUE(expiry_.Advance(now_ + i, 64, [](KeyNode*) { FAIL() << "nothing is due"; }));
  }
  now_ = start + 1;  // the wheel advances to start: `first` is due
  std::vector<KeyNode*> out;
  EXPECT_TRUE(expiry_.Advance(now_, 64, [&](KeyNode* n) { out.push_back(n); }))
      << "the slot was cascaded at its start, not staged";
  EXPECT_EQ(out, std::vector<KeyNode*>{first});
  EXPECT_EQ(AdvanceTo(start + kLevel3 + 1, 64).size(), static_cast<size_t>(kN - 1));
  EXPECT_EQ(expiry_.size(), 0u);
}

// Keys re-armed, removed and reclaimed while their slot is being staged keep exactly one handle.
TEST_F(KeyExpiryTest, KeysChangedWhileTheirSlotIsStagedStayExact) {
  constexpr int64_t kLevel2 = int64_t{1} << 12;
  const int64_t block = (kNow >> 18) << 18;
  now_ = block + 9 * kLevel2;
  const int64_t start = block + 11 * kLevel2;
  std::map<KeyNode*, int64_t> live;
  std::mt19937_64 rng(5);
  for (int i = 0; i < 5'000; ++i) {
    const int64_t d = start + static_cast<int64_t>(rng() % kLevel2);
    live[NewNode(d)] = d;
  }
  now_ = block + 10 * kLevel2;
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(expiry_.Advance(now_, 16, [](KeyNode*) { FAIL() << "nothing is due"; }));
    for (int j = 0; j < 10; ++j) {
      auto it = std::next(live.begin(), static_cast<long>(rng() % live.size()));
      if (j % 3 == 0) {
        expiry_.Remove(it->first);
        live.erase(it);
      } else {  // within the staged slot, before it, or after it
        const int64_t d = start + static_cast<int64_t>(rng() % (3 * kLevel2)) - kLevel2;
        SetDeadline(it->first, d);
        it->second = d;
      }
    }
  }
  ASSERT_EQ(expiry_.size(), live.size());
  for (int64_t t = now_ + 100; !live.empty(); t += 100) {
    for (KeyNode* n : AdvanceTo(t, 32)) {
      ASSERT_TRUE(live.count(n));
      ASSERT_LT(live[n], t);
      ASSERT_GE(live[n], t - 100) << "reclaimed late";
      live.erase(n);
    }
  }
  EXPECT_EQ(expiry_.size(), 0u);
}

TEST_F(KeyExpiryTest, ClearAndSwap) {
  KeyNode* a = NewNode(kNow + 100);
  KeyExpiry other;
  expiry_.Swap(other);
  EXPECT_EQ(expiry_.size(), 0u);
  EXPECT_EQ(other.size(), 1u);
  std::vector<KeyNode*> out;
  other.Advance(kNow + 101, SIZE_MAX, [&](KeyNode* n) { out.push_back(n); });
  EXPECT_EQ(out, std::vector<KeyNode*>{a});
  NewNode(kNow + 100);
  expiry_.Clear();
  EXPECT_EQ(expiry_.size(), 0u);
  EXPECT_TRUE(AdvanceTo(kNow + 1'000).empty());
}

}  // namespace
}  // namespace latchkey
