// CommitPipeline moves recorded mutations (write_log.h) from the shards into RocksDB on its own thread,
// with group commit, under the fsync policy:
//
//   always    each round writes everything recorded so far as one WriteBatch with a synced WAL; every
//             client that wrote or observed those records is answered after that one sync. While a
//             sync runs, new records pile up and the next round takes them all, so the number of syncs
//             per second stays flat as clients are added and throughput grows with concurrency.
//   everysec  rounds write without sync; the WAL is synced about once a second.
//   no        rounds write without sync; the OS decides when the WAL reaches the disk.
//
// A round: read S = the newest sequence number; take every record <= S from every shard (a command
// records while holding all its shards' locks, so all of its records are there); sort them by
// sequence; write. If the write or the sync fails, the pipeline enters the failed state: memory is put
// back to what RocksDB holds for every key in the failed records (no phantom state), waiters for them
// are told `ok=false`, writes are refused by the server (MISCONF) and every later round is undone the
// same way, until a probe write and sync succeed again (checked every second).
//
// Rounds run on the commit thread, or (CommitHere, without `fsync always`) on an I/O thread whose
// replies wait for them; one round at a time.
//
// Thread-safety: all public methods are safe from any thread. Callbacks run on whichever thread runs
// the round (or on the caller's, if already decided) and must only post work elsewhere or publish.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/durable_store.h"
#include "storage/keyspace.h"
#include "storage/write_log.h"

namespace latchkey {

enum class FsyncPolicy { kAlways = 0, kEverySec = 1, kNo = 2 };

// Parses "always", "everysec" or "no"; false otherwise.
bool ParseFsyncPolicy(std::string_view text, FsyncPolicy* policy);

class CommitPipeline : public WriteLog {
 public:
  CommitPipeline(DurableStore* store, Keyspace* keyspace, FsyncPolicy policy);
  ~CommitPipeline() override;

  // Adds a store whose shards' records are committed with the keyspace's. REQUIRES: before Start.
  void AddSource(RecordSource* source) { sources_.push_back(source); }

  void Start();
  // Commits and syncs everything recorded so far, then stops the thread.
  void Stop();

  void Notify() override;
  // Wakes the committer for a round now (a reply is waiting for one); cheap when it is already due.
  void RequestRound();
  // Runs a round (write, no sync) on the calling thread, an I/O thread whose replies wait for it,
  // unless a round is already running: then the committer is asked for one instead.
  void CommitHere();

  FsyncPolicy policy() const { return policy_.load(std::memory_order_relaxed); }
  // Leaving `always` asks for one synced round, so replies already waiting for a sync get it.
  void set_policy(FsyncPolicy policy);

  // Calls `done(true)` once every record up to `seq` is on disk and synced, or `done(false)` if one of
  // them failed and was undone.
  void WhenDurable(uint64_t seq, std::function<void(bool ok)> done);
  // Calls `done(true)` once the round holding record `seq` is written to RocksDB (and synced, under
  // `always`), or `done(false)` if it failed and was undone. Events are published this way: after
  // commit, in sequence order, whatever the fsync policy.
  void WhenCommitted(uint64_t seq, std::function<void(bool ok)> done);

  // Every record up to here is written to RocksDB (its WAL in the OS's hands, synced or not).
  uint64_t committed_seq() const { return committed_seq_.load(std::memory_order_acquire); }

  // Whether records up to `seq` were undone after a failure.
  // (Only the latest failure episode is remembered: (failed_from_, failed_through_].)
  bool Failed(uint64_t seq) const {
    return seq > failed_from_.load(std::memory_order_acquire) &&
           seq <= failed_through_.load(std::memory_order_acquire);
  }

  // Commits and syncs everything recorded so far; returns the error if that failed (SAVE, shutdown).
  Status SyncNow();

  bool failed() const { return failed_.load(std::memory_order_acquire); }
  std::string failure() const;

  struct Counters {
    uint64_t rounds = 0;
    uint64_t wal_syncs = 0;
    uint64_t records = 0;
    uint64_t write_errors = 0;
  };
  Counters counters() const;

 private:
  void Run();
  std::vector<PendingWrite> Drain(uint64_t upto);
  // One round; false if it failed, or (with `wait_for_transactions` false) if a transaction was open
  // and nothing was done. REQUIRES: round_mu_ held.
  bool CommitRound(bool sync, bool wait_for_transactions = true);
  void Undo(const std::vector<PendingWrite>& records);
  void Settle(uint64_t durable_through, uint64_t failed_through);
  // Runs the WhenCommitted callbacks for records up to `through`.
  void SettleCommitted(uint64_t through, bool ok);
  void ProbeHealth();

  DurableStore* store_;
  Keyspace* keyspace_;
  std::atomic<FsyncPolicy> policy_;

  mutable std::mutex mu_;  // guards the fields below, never held while a shard lock is taken
  std::condition_variable cv_;
  bool work_ = false;
  bool stop_ = false;
  uint64_t sync_requests_ = 0;  // SyncNow calls waiting for a synced round
  std::multimap<uint64_t, std::function<void(bool)>> waiters_;
  std::multimap<uint64_t, std::function<void(bool)>> committed_waiters_;
  std::atomic<uint64_t> committed_seq_{0};  // every record up to here was written (set under mu_)
  std::vector<RecordSource*> sources_;
  std::string failure_;
  Counters counters_;

  std::atomic<bool> failed_{false};
  std::atomic<uint64_t> failed_from_{0};     // records up to here were written before the failure
  std::atomic<uint64_t> failed_through_{0};  // records up to here (and after failed_from_) were undone
  std::mutex round_mu_;                      // held for a round (not for the everysec WAL sync)
  uint64_t drained_seq_ = 0;                 // guarded by round_mu_: the last round's drain point
  uint64_t written_seq_ = 0;                 // guarded by round_mu_
  std::thread thread_;
};

}  // namespace latchkey
