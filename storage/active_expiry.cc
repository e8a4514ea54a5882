#include "storage/active_expiry.h"

#include <time.h>

#include <random>

#include "storage/clock.h"

namespace latchkey {
namespace {

int64_t ThreadCpuUs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

}  // namespace

ActiveExpiry::CycleResult ActiveExpiry::RunCycle(int64_t now_ms, int64_t budget_us) {
  const int64_t cpu_start = ThreadCpuUs();
  const int64_t deadline_us = MonotonicUs() + budget_us;
  CycleResult result;
  // Sessions first, within a quarter of the budget, so a backlog of keys cannot hold them back (and
  // the other way round).
  if (sessions_ != nullptr || families_ != nullptr) {
    const int64_t sessions_deadline_us = MonotonicUs() + budget_us / 4;
    size_t removed = 0;
    do {
      removed = sessions_ != nullptr ? sessions_->RemoveExpired(now_ms, kBatch) : 0;
      if (families_ != nullptr) removed += families_->RemoveExpired(now_ms, kBatch);
      result.reclaimed += removed;
    } while (removed > 0 && MonotonicUs() < sessions_deadline_us);
  }
  if (denylist_ != nullptr) {
    const int64_t denylist_deadline_us = MonotonicUs() + budget_us / 4;
    bool more = true;
    while (more && MonotonicUs() < denylist_deadline_us) {
      result.reclaimed += denylist_->RemoveExpired(now_ms, kBatch, &more);
    }
  }
  const size_t dbs = static_cast<size_t>(keyspace_.num_databases());
  bool out_of_time = false;
  // Visit every shard of every database once, starting where the last cycle stopped; stay on a shard
  // while it still has overdue keys.
  for (size_t visited = 0; visited < dbs * Database::kShards && !out_of_time; ++visited) {
    if (next_db_ >= dbs) next_db_ = 0;
    Shard& shard = keyspace_.db(static_cast<int>(next_db_)).shard(next_shard_);
    bool more = false;
    do {
      {
        std::lock_guard lock(shard.mu);
        result.reclaimed += shard.RemoveExpired(now_ms, kBatch, &stats_.lags, &more);
      }
      out_of_time = MonotonicUs() >= deadline_us;
    } while (more && !out_of_time);
    if (more) break;  // out of time with this shard's backlog left: resume here
    if (++next_shard_ == Database::kShards) {
      next_shard_ = 0;
      ++next_db_;
    }
  }
  result.time_cap_reached = out_of_time;
  SampleStaleness(now_ms);
  stats_.cycles.fetch_add(1, std::memory_order_relaxed);
  if (result.time_cap_reached) stats_.time_cap_reached.fetch_add(1, std::memory_order_relaxed);
  stats_.cpu_us.fetch_add(static_cast<uint64_t>(ThreadCpuUs() - cpu_start), std::memory_order_relaxed);
  return result;
}

void ActiveExpiry::SampleStaleness(int64_t now_ms) {
  // Like Redis's expired_stale_perc: an estimate from random entries of the expiry indexes. (Exact
  // would mean walking every overdue entry, which is the work the cycle just had no time for.)
  constexpr int kShardsSampled = 16;
  constexpr int kEntriesPerShard = 8;
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t sampled = 0, overdue = 0;
  for (int d = 0; d < keyspace_.num_databases(); ++d) {
    Database& db = keyspace_.db(d);
    for (int i = 0; i < kShardsSampled; ++i) {
      Shard& shard = db.shard(rng() % Database::kShards);
      std::lock_guard lock(shard.mu);
      for (int j = 0; j < kEntriesPerShard && shard.expiry.size() > 0; ++j) {
        ++sampled;
        if (IsExpired(*shard.expiry.Sample(rng), now_ms)) ++overdue;
      }
    }
  }
  const uint32_t perc_x100 = sampled == 0 ? 0 : static_cast<uint32_t>(overdue * 10000 / sampled);
  // A running average, as Redis keeps one, so one unlucky sample does not swing the figure.
  const uint32_t old = stats_.stale_perc_x100.load(std::memory_order_relaxed);
  stats_.stale_perc_x100.store((old * 95 + perc_x100 * 5) / 100, std::memory_order_relaxed);
}

}  // namespace latchkey
