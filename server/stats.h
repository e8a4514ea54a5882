// Server-wide counters for INFO stats. Each I/O thread bumps its own cache-line-sized slot (no shared
// writes on the hot path); readers sum the slots.
//
// Thread-safety: Slot(i) is written by thread i only (relaxed atomics); Sum() may run anywhere.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

namespace latchkey {

// One command's counters on one thread: INFO commandstats and LATENCY HISTOGRAM. Bucket i counts calls
// that took at most 1024 * 2^i ns (about 2^i µs), as Redis's histogram reports them.
struct CommandStats {
  static constexpr int kBuckets = 40;
  std::atomic<uint64_t> calls{0};
  std::atomic<uint64_t> usec{0};
  std::atomic<uint64_t> failed{0};    // ran and answered an error
  std::atomic<uint64_t> rejected{0};  // refused before running (arity, auth, MULTI rules...)
  std::atomic<uint64_t> buckets[kBuckets]{};

  // The bucket a call of `ns` nanoseconds falls in.
  static int BucketOf(int64_t ns) {
    int b = 0;
    while (b + 1 < kBuckets && ns > (int64_t{1024} << b)) ++b;
    return b;
  }
};

struct alignas(64) ThreadStats {
  std::atomic<uint64_t> commands{0};
  std::atomic<uint64_t> connections{0};
  std::atomic<uint64_t> rejected_connections{0};
  std::atomic<uint64_t> net_input_bytes{0};
  std::atomic<uint64_t> net_output_bytes{0};
  std::atomic<uint64_t> keyspace_hits{0};
  std::atomic<uint64_t> keyspace_misses{0};
  std::atomic<uint64_t> error_replies{0};

  std::unique_ptr<CommandStats[]> per_command;  // indexed by CommandSpec::id

  void Add(std::atomic<uint64_t>& counter, uint64_t n = 1) {
    counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  // Records one call of command `id` that took `ns` and did (`failed`) or did not answer an error.
  void RecordCall(size_t id, int64_t ns, bool failed) {
    CommandStats& c = per_command[id];
    Add(c.calls);
    Add(c.usec, static_cast<uint64_t>(ns / 1000));
    if (failed) Add(c.failed);
    Add(c.buckets[CommandStats::BucketOf(ns)]);
  }
};

class Stats {
 public:
  Stats(int threads, size_t commands)
      : slots_(std::make_unique<ThreadStats[]>(threads + 1)), count_(threads + 1), commands_(commands) {
    for (int i = 0; i < count_; ++i) slots_[i].per_command = std::make_unique<CommandStats[]>(commands);
  }
  // Slot `i` for I/O thread i; slot `threads` is shared by everything else (rare paths only).
  ThreadStats& slot(int i) { return slots_[i]; }

  uint64_t Sum(std::atomic<uint64_t> ThreadStats::*field) const {
    uint64_t total = 0;
    for (int i = 0; i < count_; ++i) total += (slots_[i].*field).load(std::memory_order_relaxed);
    return total;
  }
  // The sum over threads of one field of command `id`'s counters.
  uint64_t SumCommand(size_t id, std::atomic<uint64_t> CommandStats::*field) const {
    uint64_t total = 0;
    for (int i = 0; i < count_; ++i)
      total += (slots_[i].per_command[id].*field).load(std::memory_order_relaxed);
    return total;
  }
  uint64_t SumBucket(size_t id, int bucket) const {
    uint64_t total = 0;
    for (int i = 0; i < count_; ++i)
      total += slots_[i].per_command[id].buckets[bucket].load(std::memory_order_relaxed);
    return total;
  }
  void Reset() {
    for (int i = 0; i < count_; ++i) {
      ThreadStats& s = slots_[i];
      for (auto* c : {&s.commands, &s.connections, &s.rejected_connections, &s.net_input_bytes,
                      &s.net_output_bytes, &s.keyspace_hits, &s.keyspace_misses, &s.error_replies}) {
        c->store(0, std::memory_order_relaxed);
      }
      for (size_t id = 0; id < commands_; ++id) {
        CommandStats& c = s.per_command[id];
        for (auto* f : {&c.calls, &c.usec, &c.failed, &c.rejected}) f->store(0, std::memory_order_relaxed);
        for (auto& b : c.buckets) b.store(0, std::memory_order_relaxed);
      }
    }
  }

 private:
  std::unique_ptr<ThreadStats[]> slots_;
  int count_;
  size_t commands_;
};

}  // namespace latchkey
