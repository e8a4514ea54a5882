// Tests for ExpiryHeap: min-deadline order, Update moving a node either way, Remove from anywhere, and
// KeyNode::heap_index always naming the node's real position.
#include "storage/expiry_heap.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <set>
#include <vector>

namespace latchkey {
namespace {

class ExpiryHeapTest : public ::testing::Test {
 protected:
  KeyNode* NewNode(int64_t deadline) {
    nodes_.push_back(std::make_unique<KeyNode>());
    nodes_.back()->expire_at_ms = deadline;
    return nodes_.back().get();
  }

  // Rebuilds the heap array from the nodes' own heap_index fields and checks that it is a permutation
  // of [0, size), that nodes outside the heap say UINT32_MAX, and that the min-heap property holds.
  void CheckConsistent(const std::set<KeyNode*>& in_heap) {
    ASSERT_EQ(heap_.size(), in_heap.size());
    std::vector<KeyNode*> array(heap_.size(), nullptr);
    for (auto& node : nodes_) {
      if (!in_heap.count(node.get())) {
        ASSERT_EQ(node->heap_index, UINT32_MAX);
        continue;
      }
      ASSERT_LT(node->heap_index, array.size());
      ASSERT_EQ(array[node->heap_index], nullptr) << "two nodes claim index " << node->heap_index;
      array[node->heap_index] = node.get();
    }
    for (size_t i = 1; i < array.size(); ++i) {
      ASSERT_LE(array[(i - 1) / 2]->expire_at_ms, array[i]->expire_at_ms) << "heap order broken at " << i;
    }
    if (!array.empty()) {
      EXPECT_EQ(heap_.Top(), array[0]);
    }
  }

  // Pops everything and returns the deadlines in pop order.
  std::vector<int64_t> Drain() {
    std::vector<int64_t> order;
    while (KeyNode* top = heap_.Top()) {
      order.push_back(top->expire_at_ms);
      heap_.Remove(top);
      EXPECT_EQ(top->heap_index, UINT32_MAX);
    }
    return order;
  }

  ExpiryHeap heap_;
  std::vector<std::unique_ptr<KeyNode>> nodes_;
};

// --- Ordering: Top is always the earliest deadline; draining yields ascending deadlines. ---

TEST_F(ExpiryHeapTest, EmptyHeap) {
  EXPECT_EQ(heap_.Top(), nullptr);
  EXPECT_EQ(heap_.size(), 0u);
  KeyNode* node = NewNode(5);
  heap_.Remove(node);  // not in the heap: no-op
  EXPECT_EQ(heap_.size(), 0u);
}

TEST_F(ExpiryHeapTest, DrainsInDeadlineOrder) {
  std::mt19937_64 rng(11);
  std::vector<int64_t> deadlines;
  std::set<KeyNode*> in_heap;
  for (int i = 0; i < 1000; ++i) {
    deadlines.push_back(1 + static_cast<int64_t>(rng() % 500));  // with duplicates
    KeyNode* node = NewNode(deadlines.back());
    heap_.Update(node);
    in_heap.insert(node);
  }
  CheckConsistent(in_heap);
  std::sort(deadlines.begin(), deadlines.end());
  EXPECT_EQ(Drain(), deadlines);
  EXPECT_EQ(heap_.size(), 0u);
}

// --- Update: an earlier deadline moves a node up, a later one down, kNoExpiry takes it out. ---

TEST_F(ExpiryHeapTest, UpdateMovesBothWays) {
  std::set<KeyNode*> in_heap;
  std::vector<KeyNode*> n;
  for (int i = 1; i <= 15; ++i) {
    n.push_back(NewNode(i * 10));
    heap_.Update(n.back());
    in_heap.insert(n.back());
  }
  ASSERT_EQ(heap_.Top(), n[0]);
  n[14]->expire_at_ms = 1;  // last leaf becomes the earliest
  heap_.Update(n[14]);
  CheckConsistent(in_heap);
  EXPECT_EQ(heap_.Top(), n[14]);
  n[14]->expire_at_ms = 1000;  // the root becomes the latest
  heap_.Update(n[14]);
  CheckConsistent(in_heap);
  EXPECT_EQ(heap_.Top(), n[0]);
  n[6]->expire_at_ms = 75;  // a middle node moves a little
  heap_.Update(n[6]);
  CheckConsistent(in_heap);
  EXPECT_EQ(Drain(),
            (std::vector<int64_t>{10, 20, 30, 40, 50, 60, 75, 80, 90, 100, 110, 120, 130, 140, 1000}));
}

TEST_F(ExpiryHeapTest, UpdateToNoExpiryRemoves) {
  KeyNode* a = NewNode(10);
  KeyNode* b = NewNode(20);
  heap_.Update(a);
  heap_.Update(b);
  a->expire_at_ms = kNoExpiry;
  heap_.Update(a);
  EXPECT_EQ(a->heap_index, UINT32_MAX);
  EXPECT_EQ(heap_.size(), 1u);
  EXPECT_EQ(heap_.Top(), b);
  CheckConsistent({b});
}

// --- Remove: from the middle, the root, the last slot; the rest keeps its order. ---

TEST_F(ExpiryHeapTest, RemoveFromAnywhere) {
  std::vector<KeyNode*> n;
  std::set<KeyNode*> in_heap;
  for (int i = 1; i <= 31; ++i) {
    n.push_back(NewNode(i));
    heap_.Update(n.back());
    in_heap.insert(n.back());
  }
  for (int i : {12, 0, 30, 5, 20}) {  // middle, root, a leaf, ...
    heap_.Remove(n[i]);
    in_heap.erase(n[i]);
    CheckConsistent(in_heap);
  }
  heap_.Remove(n[12]);  // twice: no-op
  CheckConsistent(in_heap);
  std::vector<int64_t> expected;
  for (int i = 1; i <= 31; ++i) {
    if (i != 13 && i != 1 && i != 31 && i != 6 && i != 21) expected.push_back(i);
  }
  EXPECT_EQ(Drain(), expected);
}

TEST_F(ExpiryHeapTest, RandomOperationsKeepIndexConsistent) {
  std::mt19937_64 rng(5);
  std::set<KeyNode*> in_heap;
  for (int i = 0; i < 300; ++i) NewNode(kNoExpiry);
  for (int step = 0; step < 20000; ++step) {
    KeyNode* node = nodes_[rng() % nodes_.size()].get();
    switch (rng() % 4) {
      case 0:
      case 1:
        node->expire_at_ms = 1 + static_cast<int64_t>(rng() % 1000);
        heap_.Update(node);
        in_heap.insert(node);
        break;
      case 2:
        node->expire_at_ms = kNoExpiry;
        heap_.Update(node);
        in_heap.erase(node);
        break;
      default:
        heap_.Remove(node);
        in_heap.erase(node);
        break;
    }
    if (step % 97 == 0) CheckConsistent(in_heap);
    if (!in_heap.empty()) {
      int64_t min = INT64_MAX;
      for (KeyNode* n : in_heap) min = std::min(min, n->expire_at_ms);
      ASSERT_EQ(heap_.Top()->expire_at_ms, min);
    }
  }
  CheckConsistent(in_heap);
}

TEST_F(ExpiryHeapTest, ClearAndSwap) {
  ExpiryHeap other;
  KeyNode* a = NewNode(10);
  heap_.Update(a);
  heap_.Swap(other);
  EXPECT_EQ(heap_.Top(), nullptr);
  EXPECT_EQ(other.Top(), a);
  other.Clear();
  EXPECT_EQ(other.size(), 0u);
}

}  // namespace
}  // namespace latchkey
