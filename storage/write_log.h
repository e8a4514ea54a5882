// The in-memory side of durability: how mutations are recorded for RocksDB and how a command learns
// which write it must wait for.
//
// Each mutation is recorded as a PendingWrite in its shard's `pending` list while the shard's lock is
// held (KeyAccess does it when a write access ends), stamped with a sequence number from the WriteLog.
// A command that touches several shards takes one number for all its records, so the commit step,
// which takes every record up to a sequence number from every shard, commits a command's records
// together, and orders them by number: RocksDB sees writes to a key in the order memory applied them.
//
// `durable_seq` is the highest number whose records are on disk under the fsync policy. A command that
// wrote sequence s, or read a shard whose newest record is s > durable_seq, must not be answered before
// s is synced (with `fsync always`) or written to RocksDB (everysec, no: the pipeline's committed_seq);
// CommandTicket carries that number from storage to the connection.
//
// Thread-safety: NextSeq/durable_seq are atomic; PendingWrite lists are guarded by their shard's lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <iterator>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

namespace latchkey {

// The RocksDB column family a record goes to.
enum class Column : uint8_t { kKv, kSessions, kFamilies, kDenylist, kMeta };

struct PendingWrite {
  enum class Kind : uint8_t {
    kPut,          // column: key -> value
    kDelete,       // column: key
    kDeleteRange,  // kv: [key, value) -- FLUSHDB, FLUSHALL
    kMetaPut,      // meta: key -> value -- database mapping (SWAPDB)
  };
  uint64_t seq = 0;
  Kind kind = Kind::kPut;
  std::string key;
  std::string value;
  Column column = Column::kKv;  // for kPut and kDelete
};

class DurableStore;

// A store other than the generic keyspace whose shards record writes for the commit pipeline (the
// session store, ...). Its shards follow the same rules as the keyspace's (write_log.h above).
class RecordSource {
 public:
  virtual ~RecordSource() = default;
  // The column family this source's records go to (kPut/kDelete records of it are routed back here).
  virtual Column column() const = 0;
  // Moves every pending record with seq <= `upto` to `out`, taking each shard's lock in turn.
  virtual void Drain(uint64_t upto, std::vector<PendingWrite>* out) = 0;
  // The write of `record` failed: puts memory back to what `store` holds for its key.
  virtual void Undo(const PendingWrite& record, DurableStore& store) = 0;
};

class WriteLog {
 public:
  virtual ~WriteLog() = default;

  // A new sequence number. REQUIRES: the caller holds the locks of every shard it records into, so
  // each shard's records are in sequence order. (A transaction's writes get numbers of their own too;
  // what keeps them in one batch is the transaction gate below.)
  uint64_t NextSeq() { return Allocate(); }
  uint64_t last_seq() const { return next_seq_.load(); }
  uint64_t durable_seq() const { return durable_seq_.load(std::memory_order_acquire); }

  // Tells the committer that records were added (cheap when it is already busy).
  virtual void Notify() = 0;

  // Held shared by every open transaction (TransactionScope), taken exclusively by the committer
  // while it reads the newest sequence number and drains: the domain stores record a transaction's
  // writes one command at a time under their own locks (the scope holds keyspace shards only), so
  // without the gate a drain between two of them would split the transaction across two batches.
  // Each record has its own number, so a concurrent write to the same domain shard still reaches
  // RocksDB in the order memory applied it.
  std::shared_mutex& transaction_gate() { return transaction_gate_; }

 protected:
  // Sequentially consistent, as the dirty marks set before it (NextSeqFor) and read after last_seq().
  uint64_t Allocate() { return next_seq_.fetch_add(1) + 1; }

  std::atomic<uint64_t> next_seq_{0};
  std::atomic<uint64_t> durable_seq_{0};
  std::shared_mutex transaction_gate_;
};

// The highest sequence number the current command on this thread wrote or observed. The connection
// resets it before a batch of commands and reads it after.
class CommandTicket {
 public:
  static void Reset() { needed_ = 0; }
  static void Note(uint64_t seq) {
    if (seq > needed_) needed_ = seq;
  }
  static uint64_t needed() { return needed_; }

 private:
  static thread_local uint64_t needed_;
};

// The pending-record bookkeeping every recording shard (keyspace or domain store) shares. Besides its
// `pending` list each such shard has an atomic `dirty` mark, so the committer visits (locks) only the
// shards that may hold records. The mark is set before the write is numbered: a committer that reads
// a sequence number >= it (last_seq) then sees the mark, so a drain never misses a record it covers.

// Marks the shard dirty, then numbers the write that will be recorded into it. REQUIRES: its lock.
inline uint64_t NextSeqFor(WriteLog& log, std::atomic<bool>& dirty) {
  dirty.store(true);
  return log.NextSeq();
}

// The committer's visit of one shard: if it is marked dirty, takes its records <= `upto` (which must
// have been read, with last_seq(), before this call) and marks it again if records are left.
template <typename Mutex>
void TakeIfDirty(std::atomic<bool>& dirty, Mutex& mu, std::vector<PendingWrite>& pending, uint64_t upto,
                 std::vector<PendingWrite>* out);

// The three below REQUIRE the shard's lock.

// Appends `write` to the shard's pending list: updates its newest sequence number and notes the
// sequence number in this thread's ticket.
inline void RecordPending(std::vector<PendingWrite>& pending, uint64_t& last_seq, PendingWrite write) {
  last_seq = write.seq;
  CommandTicket::Note(write.seq);
  pending.push_back(std::move(write));
}

// Moves the records with seq <= `upto` (a prefix: pending lists are in sequence order) to `out`.
inline void TakePending(std::vector<PendingWrite>& pending, uint64_t upto, std::vector<PendingWrite>* out) {
  size_t n = 0;
  while (n < pending.size() && pending[n].seq <= upto) ++n;
  if (n == 0) return;
  std::move(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(n), std::back_inserter(*out));
  pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(n));
}

template <typename Mutex>
void TakeIfDirty(std::atomic<bool>& dirty, Mutex& mu, std::vector<PendingWrite>& pending, uint64_t upto,
                 std::vector<PendingWrite>* out) {
  if (!dirty.exchange(false)) return;
  std::lock_guard lock(mu);
  TakePending(pending, upto, out);
  if (!pending.empty()) dirty.store(true);
}

// Notes in this thread's ticket that the command observed a shard whose newest record is not durable
// yet. A shard whose newest record was undone holds exactly what RocksDB holds: nothing to wait for.
inline void NoteObserved(uint64_t last_seq, uint64_t undone_seq, uint64_t durable_seq) {
  if (last_seq > durable_seq && last_seq > undone_seq) CommandTicket::Note(last_seq);
}

// The commit bookkeeping of one shard of a domain store (the keyspace's Shard keeps the same fields
// under the same names). Everything but `dirty` is guarded by the shard's lock.
struct ShardLog {
  std::vector<PendingWrite> pending;  // recorded, not yet committed, in sequence order
  std::atomic<bool> dirty{false};     // may hold records (NextSeqFor)
  uint64_t last_seq = 0;              // the newest record ever added
  uint64_t undone_seq = 0;            // the newest record undone after a failed commit

  // Numbers a write into this shard (0 without a log).
  uint64_t Next(WriteLog* log) { return log != nullptr ? NextSeqFor(*log, dirty) : 0; }
  void Record(PendingWrite write) { RecordPending(pending, last_seq, std::move(write)); }
  // Notes, for the caller's reply, a not-yet-durable record it observed here.
  void NoteObserved(const WriteLog* log) const {
    if (log != nullptr) latchkey::NoteObserved(last_seq, undone_seq, log->durable_seq());
  }
  void Undone(uint64_t seq) { undone_seq = seq > undone_seq ? seq : undone_seq; }
  // The committer's visit (TakeIfDirty); takes the lock itself.
  template <typename Mutex>
  void Take(Mutex& mu, uint64_t upto, std::vector<PendingWrite>* out) {
    TakeIfDirty(dirty, mu, pending, upto, out);
  }
};

}  // namespace latchkey
