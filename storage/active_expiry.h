// ActiveExpiry reclaims expired entries in the background: Latchkey's counterpart of Redis's
// activeExpireCycle, but exact where Redis samples.
//
// Every shard keeps its expiring keys in a timing wheel by deadline (KeyExpiry), so a cycle never
// looks at a live key: it takes overdue entries from each shard in turn, in batches of kBatch wheel
// steps under the shard's lock (so a client waiting for that shard waits for at most one batch), and
// checks its time budget after every batch. A cycle that runs out of budget remembers where it
// stopped and the next one continues from there, so a million keys sharing one deadline are
// reclaimed over several cycles without any cycle, or any lock hold, growing with their number.
// Sessions and refresh-token families expire the same way, through their stores' own per-shard timing
// wheels, first in each cycle and within a quarter of its budget, and so do denylist entries and
// watermarks, within the next quarter.
//
// The budget (server: `hz` cycles a second, each up to (25 + 2*(effort-1))% of its period, as Redis's
// ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC scales with active-expire-effort) bounds the CPU the engine takes;
// the lag between a deadline and its reclamation is one period plus whatever backlog the budget
// leaves. Reclaiming writes nothing to RocksDB: loading skips expired records and compaction drops them.
//
// Reads never depend on this: KeyAccess hides (and reclaims) an expired key the instant its deadline
// passes.
//
// Thread-safety: RunCycle is called from one thread at a time; stats() may be read anywhere.
#pragma once

#include <cstddef>
#include <cstdint>

#include "storage/denylist.h"
#include "storage/expiry_stats.h"
#include "storage/keyspace.h"
#include "storage/session_store.h"
#include "storage/token_families.h"

namespace latchkey {

class ActiveExpiry {
 public:
  // Entries reclaimed per lock hold.
  static constexpr size_t kBatch = 64;

  // `sessions`, `denylist` and `families` may be null.
  ActiveExpiry(Keyspace& keyspace, SessionStore* sessions, Denylist* denylist = nullptr,
               TokenFamilies* families = nullptr)
      : keyspace_(keyspace), sessions_(sessions), denylist_(denylist), families_(families) {}

  struct CycleResult {
    size_t reclaimed = 0;
    bool time_cap_reached = false;
  };
  // One cycle at `now_ms`, spending at most about `budget_us` microseconds.
  CycleResult RunCycle(int64_t now_ms, int64_t budget_us);

  ExpiryStats& stats() { return stats_; }

 private:
  // Estimates the share of expiring keys that are overdue, by sampling each database's shards.
  void SampleStaleness(int64_t now_ms);

  Keyspace& keyspace_;
  SessionStore* sessions_;
  Denylist* denylist_;
  TokenFamilies* families_;
  ExpiryStats stats_;
  size_t next_db_ = 0;  // where the last cycle stopped
  size_t next_shard_ = 0;
};

}  // namespace latchkey
