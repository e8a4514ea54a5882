// Tests for KeyTable: insert/find/erase across resizes, stable node addresses, the SCAN guarantee under
// growth and shrinkage between steps, and Random.
#include "storage/key_table.h"

#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "storage/keyspace.h"
#include "tests/storage/storage_test_util.h"

namespace latchkey {
namespace {

using test_util::Key;

uint64_t Hash(std::string_view key) {
  return Database::HashKey(key);
}

KeyNode* Insert(KeyTable& table, const std::string& key) {
  return table.Insert(key, Hash(key));
}
KeyNode* Find(const KeyTable& table, const std::string& key) {
  return table.Find(key, Hash(key));
}

void Erase(KeyTable& table, const std::string& key) {
  KeyNode* node = Find(table, key);
  ASSERT_NE(node, nullptr) << key;
  table.Erase(node);
}

// Runs a whole scan with no changes in between and returns every key visited (duplicates kept).
std::multiset<std::string> FullScan(const KeyTable& table) {
  std::multiset<std::string> seen;
  uint64_t cursor = 0;
  do {
    cursor = table.Scan(cursor, [&](const KeyNode& node) { seen.insert(std::string(node.key())); });
  } while (cursor != 0);
  return seen;
}

// --- Insert, Find, Erase: every present key is found, every erased one is not, across many resizes. ---

TEST(KeyTableTest, EmptyTable) {
  KeyTable table;
  std::mt19937_64 rng(1);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(Find(table, "a"), nullptr);
  EXPECT_EQ(table.Random(rng), nullptr);
  EXPECT_EQ(table.Scan(0, [](const KeyNode&) { ADD_FAILURE(); }), 0u);
}

TEST(KeyTableTest, InsertFindEraseAcrossResizes) {
  KeyTable table;
  constexpr int kKeys = 20000;
  for (int i = 0; i < kKeys; ++i) {
    KeyNode* node = Insert(table, Key("key:", i));
    ASSERT_EQ(node->key(), Key("key:", i));
    ASSERT_EQ(node->hash, Hash(node->key()));
    ASSERT_TRUE(std::holds_alternative<std::string>(node->value));
    ASSERT_EQ(table.size(), static_cast<size_t>(i + 1));
  }
  for (int i = 0; i < kKeys; ++i) ASSERT_NE(Find(table, Key("key:", i)), nullptr) << i;
  EXPECT_EQ(Find(table, Key("key:", kKeys)), nullptr);
  // Erase all but every tenth key: the table shrinks several times.
  for (int i = 0; i < kKeys; ++i) {
    if (i % 10 != 0) Erase(table, Key("key:", i));
  }
  EXPECT_EQ(table.size(), static_cast<size_t>(kKeys / 10));
  for (int i = 0; i < kKeys; ++i) {
    KeyNode* node = Find(table, Key("key:", i));
    ASSERT_EQ(node != nullptr, i % 10 == 0) << i;
  }
  // Grow again, then erase everything.
  for (int i = kKeys; i < 2 * kKeys; ++i) Insert(table, Key("key:", i));
  for (int i = 0; i < 2 * kKeys; ++i) {
    if (i >= kKeys || i % 10 == 0) Erase(table, Key("key:", i));
  }
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(Find(table, "key:0"), nullptr);
  EXPECT_TRUE(FullScan(table).empty());
}

TEST(KeyTableTest, NodeAddressesAreStableAcrossResizes) {
  KeyTable table;
  std::vector<KeyNode*> first;
  for (int i = 0; i < 16; ++i) first.push_back(Insert(table, Key("stable:", i)));
  for (int i = 0; i < 10000; ++i) Insert(table, Key("other:", i));
  for (int i = 0; i < 10000; ++i) Erase(table, Key("other:", i));
  for (int i = 0; i < 16; ++i) EXPECT_EQ(Find(table, Key("stable:", i)), first[i]);
}

TEST(KeyTableTest, EqualHashesChainAndStayDistinct) {
  KeyTable table;
  constexpr uint64_t kSameHash = 0xABCD0000ull;
  for (int i = 0; i < 50; ++i) table.Insert(Key("c", i), kSameHash);
  for (int i = 0; i < 50; ++i) ASSERT_NE(table.Find(Key("c", i), kSameHash), nullptr);
  EXPECT_EQ(table.Find("c50", kSameHash), nullptr);
  EXPECT_EQ(table.Find("c1", kSameHash + 1), nullptr);  // the hash is compared too
  table.Erase(table.Find("c25", kSameHash));            // from the middle of the chain
  EXPECT_EQ(table.Find("c25", kSameHash), nullptr);
  EXPECT_NE(table.Find("c24", kSameHash), nullptr);
  EXPECT_NE(table.Find("c26", kSameHash), nullptr);
  EXPECT_EQ(FullScan(table).size(), 49u);
}

TEST(KeyTableTest, ClearAndSwap) {
  KeyTable a;
  KeyTable b;
  for (int i = 0; i < 100; ++i) Insert(a, Key("a", i));
  Insert(b, "b");
  a.Swap(b);
  EXPECT_EQ(a.size(), 1u);
  EXPECT_EQ(b.size(), 100u);
  EXPECT_NE(Find(a, "b"), nullptr);
  EXPECT_NE(Find(b, "a99"), nullptr);
  EXPECT_EQ(Find(a, "a99"), nullptr);
  b.Clear();
  EXPECT_EQ(b.size(), 0u);
  EXPECT_EQ(Find(b, "a99"), nullptr);
  Insert(b, "again");  // usable after Clear
  EXPECT_NE(Find(b, "again"), nullptr);
}

TEST(KeyTableTest, ForEachVisitsEveryNodeOnce) {
  KeyTable table;
  for (int i = 0; i < 1000; ++i) Insert(table, std::to_string(i));
  std::multiset<std::string> seen;
  table.ForEach([&](const KeyNode& node) { seen.insert(std::string(node.key())); });
  ASSERT_EQ(seen.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(seen.count(std::to_string(i)), 1u);
}

// --- SCAN: every key present for the whole scan is returned at least once, whatever happens between
// --- steps; without changes every key is returned exactly once.

TEST(KeyTableScanTest, StableTableReturnsEveryKeyExactlyOnce) {
  for (int n : {1, 3, 4, 5, 100, 4097}) {
    KeyTable table;
    for (int i = 0; i < n; ++i) Insert(table, Key("k", i));
    std::multiset<std::string> seen = FullScan(table);
    ASSERT_EQ(seen.size(), static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) EXPECT_EQ(seen.count(Key("k", i)), 1u) << n << " " << i;
  }
}

// Scans `table` one step at a time, calling `between` after every step; checks that every key of
// `stable` (which `between` must not touch) was returned, and that every returned key was inserted.
void ScanWithChanges(KeyTable& table, const std::vector<std::string>& stable,
                     const std::function<void(int step)>& between, const std::set<std::string>* ever) {
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int step = 0;
  do {
    cursor = table.Scan(cursor, [&](const KeyNode& node) { seen.insert(std::string(node.key())); });
    between(step++);
    ASSERT_LT(step, 1'000'000) << "scan does not terminate";
  } while (cursor != 0);
  for (const std::string& key : stable) EXPECT_TRUE(seen.count(key)) << "missed " << key;
  if (ever != nullptr) {
    for (const std::string& key : seen) EXPECT_TRUE(ever->count(key)) << "invented " << key;
  }
}

TEST(KeyTableScanTest, TableGrowsBetweenSteps) {
  KeyTable table;
  std::vector<std::string> stable;
  for (int i = 0; i < 40; ++i) stable.push_back(Key("s", i));
  for (const auto& key : stable) Insert(table, key);
  int next = 0;
  ScanWithChanges(
      table, stable,
      [&](int step) {
        // Growth must stop at some point for the scan to end (as with Redis's SCAN).
        if (step >= 400) return;
        for (int i = 0; i < 50; ++i) Insert(table, Key("o", next++));
      },
      nullptr);
  EXPECT_EQ(table.size(), 40u + 400 * 50);  // grew through many doublings
}

TEST(KeyTableScanTest, TableShrinksBetweenSteps) {
  KeyTable table;
  std::vector<std::string> stable;
  for (int i = 0; i < 10; ++i) stable.push_back(Key("s", i));
  for (const auto& key : stable) Insert(table, key);
  std::vector<std::string> others;
  for (int i = 0; i < 20000; ++i) others.push_back(Key("o", i));
  for (const auto& key : others) Insert(table, key);
  ScanWithChanges(
      table, stable,
      [&](int) {
        for (int i = 0; i < 200 && !others.empty(); ++i) {
          Erase(table, others.back());
          others.pop_back();
        }
      },
      nullptr);
}

TEST(KeyTableScanTest, RandomGrowthAndShrinkageBetweenSteps) {
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    KeyTable table;
    std::vector<std::string> stable;
    const int stable_count = 1 + static_cast<int>(rng() % 200);
    for (int i = 0; i < stable_count; ++i) stable.push_back(Key("s", i));
    std::set<std::string> ever(stable.begin(), stable.end());
    for (const auto& key : stable) Insert(table, key);
    std::vector<std::string> others;
    int next = 0;
    auto grow = [&](size_t n) {
      for (size_t i = 0; i < n; ++i) {
        others.push_back(Key("o", next++));
        ever.insert(others.back());
        Insert(table, others.back());
      }
    };
    grow(rng() % 4000);
    ScanWithChanges(
        table, stable,
        [&](int) {
          switch (rng() % 3) {
            case 0:
              if (others.size() < 8000) grow(rng() % 1000);
              break;
            case 1: {  // erase a random share of the others, in random order
              size_t n = others.empty() ? 0 : rng() % (others.size() + 1);
              for (size_t i = 0; i < n; ++i) {
                size_t at = rng() % others.size();
                std::swap(others[at], others.back());
                Erase(table, others.back());
                others.pop_back();
              }
              break;
            }
            default:
              break;  // no change
          }
        },
        &ever);
  }
}

// --- Random: only present keys, and over many draws every key of a small table. ---

TEST(KeyTableTest, RandomReturnsPresentKeys) {
  KeyTable table;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 1000; ++i) Insert(table, Key("r", i));
  for (int i = 0; i < 990; ++i) Erase(table, Key("r", i));  // leaves a sparse table
  std::set<std::string> drawn;
  for (int i = 0; i < 5000; ++i) {
    KeyNode* node = table.Random(rng);
    ASSERT_NE(node, nullptr);
    ASSERT_EQ(Find(table, std::string(node->key())), node);
    drawn.insert(std::string(node->key()));
  }
  EXPECT_EQ(drawn.size(), 10u);
}

TEST(KeyTableTest, RandomWithChains) {
  KeyTable table;
  std::mt19937_64 rng(3);
  for (int i = 0; i < 8; ++i) table.Insert(Key("same", i), 0x10000);  // one bucket
  std::set<std::string> drawn;
  for (int i = 0; i < 2000; ++i) drawn.insert(std::string(table.Random(rng)->key()));
  EXPECT_EQ(drawn.size(), 8u);  // every chain position is reachable
}

}  // namespace
}  // namespace latchkey
