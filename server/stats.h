// Server-wide counters for INFO stats. Each I/O thread bumps its own cache-line-sized slot (no shared
// writes on the hot path); readers sum the slots.
//
// Thread-safety: Slot(i) is written by thread i only (relaxed atomics); Sum() may run anywhere.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

namespace latchkey {

struct alignas(64) ThreadStats {
  std::atomic<uint64_t> commands{0};
  std::atomic<uint64_t> connections{0};
  std::atomic<uint64_t> rejected_connections{0};
  std::atomic<uint64_t> net_input_bytes{0};
  std::atomic<uint64_t> net_output_bytes{0};
  std::atomic<uint64_t> keyspace_hits{0};
  std::atomic<uint64_t> keyspace_misses{0};
  std::atomic<uint64_t> error_replies{0};

  void Add(std::atomic<uint64_t>& counter, uint64_t n = 1) {
    counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
};

class Stats {
 public:
  explicit Stats(int threads) : slots_(std::make_unique<ThreadStats[]>(threads + 1)), count_(threads + 1) {}
  // Slot `i` for I/O thread i; slot `threads` is shared by everything else (rare paths only).
  ThreadStats& slot(int i) { return slots_[i]; }

  uint64_t Sum(std::atomic<uint64_t> ThreadStats::*field) const {
    uint64_t total = 0;
    for (int i = 0; i < count_; ++i) total += (slots_[i].*field).load(std::memory_order_relaxed);
    return total;
  }
  void Reset() {
    for (int i = 0; i < count_; ++i) {
      ThreadStats& s = slots_[i];
      for (auto* c : {&s.commands, &s.connections, &s.rejected_connections, &s.net_input_bytes,
                      &s.net_output_bytes, &s.keyspace_hits, &s.keyspace_misses, &s.error_replies}) {
        c->store(0, std::memory_order_relaxed);
      }
    }
  }

 private:
  std::unique_ptr<ThreadStats[]> slots_;
  int count_;
};

}  // namespace latchkey
