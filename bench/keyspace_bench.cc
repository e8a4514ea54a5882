// Micro-benchmarks of the keyspace: GET and SET through the storage API over a million keys, from one
// thread and from several (shard locks under contention).
#include <benchmark/benchmark.h>

#include <random>
#include <string>

#include "storage/clock.h"
#include "storage/strings.h"

namespace latchkey {
namespace {

constexpr int kKeys = 1000000;

Database& SharedDb() {
  static Database* db = [] {
    auto* d = new Database();
    const std::string value(200, 'v');
    SetParams params;
    SetOutcome outcome;
    for (int i = 0; i < kKeys; ++i)
      StringSet(*d, NowMs(), "key:" + std::to_string(i), value, params, &outcome);
    return d;
  }();
  return *db;
}

void BM_Get(benchmark::State& state) {
  Database& db = SharedDb();
  std::mt19937 rng(static_cast<unsigned>(state.thread_index()));
  std::string key;
  size_t bytes = 0;
  for (auto _ : state) {
    key = "key:" + std::to_string(rng() % kKeys);
    StringGet(db, NowMs(), key, [&](const std::string* v) { bytes += v ? v->size() : 0; });
  }
  benchmark::DoNotOptimize(bytes);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Get)->Threads(1)->Threads(2)->UseRealTime();

void BM_SetWithTtl(benchmark::State& state) {
  Database& db = SharedDb();
  std::mt19937 rng(static_cast<unsigned>(state.thread_index()) + 100);
  const std::string value(200, 'w');
  std::string key;
  SetParams params;
  for (auto _ : state) {
    key = "key:" + std::to_string(rng() % kKeys);
    params.deadline_ms = NowMs() + 3600 * 1000 + (rng() % 1000);
    SetOutcome outcome;
    StringSet(db, NowMs(), key, value, params, &outcome);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SetWithTtl)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace
}  // namespace latchkey
