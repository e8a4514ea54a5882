// Counters of the active expiry engine for INFO stats: cycles, cycles that ran out of time, CPU spent,
// an estimate of the share of expiring keys that are past their deadline but not yet reclaimed, and
// the distribution of reclamation lag (deadline -> removed) in power-of-two millisecond buckets.
//
// Thread-safety: written by the expiry thread (and shards, for lags), read anywhere; relaxed atomics.
#pragma once

#include <atomic>
#include <cstdint>

namespace latchkey {

// Lag histogram: bucket 0 counts lags of 0 ms, bucket b > 0 lags in [2^(b-1), 2^b) ms.
class LagHistogram {
 public:
  static constexpr int kBuckets = 32;

  void Add(int64_t lag_ms) {
    int b = 0;
    while (b + 1 < kBuckets && lag_ms >= (int64_t{1} << b)) ++b;
    buckets_[b].fetch_add(1, std::memory_order_relaxed);
  }
  // The upper bound (ms) of the bucket holding the `p` quantile (0 < p <= 1); 0 when empty.
  int64_t Quantile(double p) const {
    uint64_t total = 0;
    for (const auto& b : buckets_) total += b.load(std::memory_order_relaxed);
    if (total == 0) return 0;
    const double want = p * static_cast<double>(total);
    uint64_t seen = 0;
    for (int b = 0; b < kBuckets; ++b) {
      seen += buckets_[b].load(std::memory_order_relaxed);
      if (static_cast<double>(seen) >= want) return b == 0 ? 0 : (int64_t{1} << b) - 1;
    }
    return (int64_t{1} << (kBuckets - 1)) - 1;
  }
  void Reset() {
    for (auto& b : buckets_) b.store(0, std::memory_order_relaxed);
  }

 private:
  std::atomic<uint64_t> buckets_[kBuckets]{};
};

struct ExpiryStats {
  std::atomic<uint64_t> cycles{0};
  std::atomic<uint64_t> time_cap_reached{0};  // cycles stopped by their budget before the end of the round
  std::atomic<uint64_t> cpu_us{0};            // thread CPU time spent in cycles
  std::atomic<uint32_t> stale_perc_x100{0};   // estimated % of expiring keys overdue, times 100
  LagHistogram lags;
};

}  // namespace latchkey
