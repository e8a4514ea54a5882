// Micro-benchmarks of the generic keys' expiry index (storage/key_expiry.h): re-arming a deadline
// (EXPIRE on a key that has one) at several index sizes, to show its cost does not grow with the index,
// and inserting then reclaiming keys whose deadlines fall within one second. Counters: bytes of index
// per key (the wheel's slot vectors, slack included).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <memory>
#include <random>
#include <vector>

#include "storage/key_expiry.h"

namespace latchkey {
namespace {

constexpr int64_t kStart = 1'700'000'000'000;  // Unix milliseconds
constexpr int64_t kHour = 3'600'000;

std::vector<std::unique_ptr<KeyNode>> MakeNodes(size_t n) {
  std::vector<std::unique_ptr<KeyNode>> nodes(n);
  for (auto& node : nodes) node = std::make_unique<KeyNode>();
  return nodes;
}

// The same random deadline writes without the index: what a re-arm costs before the index's share
// (mostly the cache miss on a random node).
void BM_DeadlineWriteOnly(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  auto nodes = MakeNodes(n);
  std::mt19937_64 rng(1);
  const int64_t now = kStart;
  for (auto _ : state) {
    KeyNode* node = nodes[rng() % n].get();
    node->expire_at_ms = now + kHour + static_cast<int64_t>(rng() % 1000);
    benchmark::DoNotOptimize(node->expire_at_ms);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DeadlineWriteOnly)->Arg(10'000)->Arg(1'000'000)->Arg(4'000'000);

// Keys with deadlines spread over the next hour; each iteration re-arms a random one to a new
// deadline an hour ahead of a clock that moves 1 ms every 1,000 re-arms (sliding sessions).
void BM_Rearm(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  auto nodes = MakeNodes(n);
  KeyExpiry expiry;
  std::mt19937_64 rng(1);
  for (auto& node : nodes) {
    node->expire_at_ms = kStart + 1 + static_cast<int64_t>(rng() % kHour);
    expiry.Update(node.get(), kStart);
  }
  int64_t now = kStart;
  uint64_t ops = 0;
  for (auto _ : state) {
    KeyNode* node = nodes[rng() % n].get();
    node->expire_at_ms = now + kHour + static_cast<int64_t>(rng() % 1000);
    expiry.Update(node, now);
    if (++ops % 1000 == 0) {
      ++now;
      expiry.Advance(now, SIZE_MAX, [](KeyNode*) {});
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["index_bytes_per_key"] = static_cast<double>(expiry.bytes()) / static_cast<double>(n);
}
BENCHMARK(BM_Rearm)->Arg(10'000)->Arg(1'000'000)->Arg(4'000'000);

// Adds `n` keys due within the next second, then reclaims them all: cost per key of both.
void BM_InsertAndReclaim(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  auto nodes = MakeNodes(n);
  std::mt19937_64 rng(2);
  int64_t now = kStart;
  for (auto _ : state) {
    KeyExpiry expiry;
    for (auto& node : nodes) {
      node->expire_at_ms = now + 1 + static_cast<int64_t>(rng() % 1000);
      expiry.Update(node.get(), now);
    }
    size_t reclaimed = 0;
    for (int64_t t = now + 10; t <= now + 1010; t += 10) {
      expiry.Advance(t, SIZE_MAX, [&](KeyNode*) { ++reclaimed; });
    }
    if (reclaimed != n) state.SkipWithError("not every key was reclaimed");
    now += 2000;
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
}
BENCHMARK(BM_InsertAndReclaim)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

// Keys due 5 to 10 minutes ahead (level 3 of the wheel), then the clock moving on 10 ms at a time
// until all are reclaimed: each key is moved to finer levels (cascaded) before it is due, the work
// a slot boundary of level 3 brings all at once.
void BM_CascadeAndReclaimFar(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  auto nodes = MakeNodes(n);
  std::mt19937_64 rng(3);
  std::shuffle(nodes.begin(), nodes.end(), rng);  // a server's keys are not in allocation order
  int64_t now = kStart;
  for (auto _ : state) {
    KeyExpiry expiry;
    for (auto& node : nodes) {
      node->expire_at_ms = now + 300'000 + static_cast<int64_t>(rng() % 300'000);
      expiry.Update(node.get(), now);
    }
    size_t reclaimed = 0;
    for (int64_t t = now; t <= now + 600'010; t += 10) {
      expiry.Advance(t, SIZE_MAX, [&](KeyNode*) { ++reclaimed; });
    }
    if (reclaimed != n) state.SkipWithError("not every key was reclaimed");
    now += 700'000;
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
}
BENCHMARK(BM_CascadeAndReclaimFar)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace latchkey
