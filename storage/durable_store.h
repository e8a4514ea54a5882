// DurableStore is Latchkey's RocksDB database: opening it (with its column families and compaction
// plug-ins), writing committed batches, syncing the WAL, loading everything back into memory at start,
// and checkpoints.
//
// Column families: `kv` (generic keys, layout in record_codec.h), `sessions`, `families`, `denylist`
// (domain records) and `meta` (database mapping, health probes). RocksDB's LOCK file keeps a second
// server off the same directory; Open() turns that into a clear error.
//
// Thread-safety: Write/SyncWal/Checkpoint/ReadKey/Property may be called concurrently (RocksDB's
// own guarantees). Load must finish before any write.
#pragma once

#include <rocksdb/db.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "storage/keyspace.h"
#include "storage/status.h"
#include "storage/write_log.h"

namespace latchkey {

class DurableStore {
 public:
  struct LoadStats {
    uint64_t keys_loaded = 0;
    uint64_t expired_skipped = 0;
    int64_t duration_ms = 0;
  };

  // Opens (creating if needed) the database in `dir`. Records whose deadline is more than
  // `compaction_grace_ms` past are dropped by compactions.
  static Status Open(const std::string& dir, int64_t compaction_grace_ms, std::unique_ptr<DurableStore>* out);
  ~DurableStore();

  // Reads the logical->physical database mapping (identity for databases never swapped).
  std::vector<uint16_t> DatabaseMapping(int num_databases);

  // Loads every live generic key into `keyspace` (whose mapping must already be attached), deleting
  // records that expired while the server was down.
  Status Load(Keyspace& keyspace, int64_t now_ms, LoadStats* stats);

  // Calls `visit(key, value)` for every record of `column` (domain stores load this way).
  Status ForEach(Column column,
                 const std::function<void(std::string_view key, std::string_view value)>& visit);
  // Calls `visit(key, value)` for the records of `column` from key `start` on, in key order, until it
  // returns false (DENY.SCAN, EVENTS.SINCE). Sees what has been written to RocksDB.
  Status Scan(Column column, std::string_view start,
              const std::function<bool(std::string_view key, std::string_view value)>& visit);
  // An estimate of the number of records in `column` (RocksDB's estimate-num-keys).
  uint64_t EstimateRecords(Column column);
  // Reads one record of `column`; *found false when absent.
  Status ReadRecord(Column column, std::string_view key, std::string* value, bool* found);
  // Deletes records of `column` now, outside the commit pipeline (expired records found at load).
  Status DeleteRecords(Column column, const std::vector<std::string>& keys);

  // Writes `writes` (in order) as one WriteBatch; with `sync`, the WAL is synced before it returns.
  Status Write(const std::vector<PendingWrite>& writes, bool sync);
  Status SyncWal();

  // After a failed write RocksDB stops accepting writes; this asks it to resume (it succeeds once the
  // disk works again). Then probes with a synced write to `meta`.
  Status Recover();

  // Reads generic keys as they are on disk, from one view of the database. (The memtable is a vector
  // that is sorted each time a view is made, so read many keys through one reader, not one Get each.)
  class KeyReader {
   public:
    explicit KeyReader(std::unique_ptr<rocksdb::Iterator> it) : it_(std::move(it)) {}
    // *found false when absent.
    Status Read(uint16_t physical_db, std::string_view key, Value* value, int64_t* expire_at_ms, bool* found);

   private:
    std::unique_ptr<rocksdb::Iterator> it_;
  };
  std::unique_ptr<KeyReader> NewKeyReader();

  // Reads one generic key as it is on disk. *found false when absent.
  Status ReadKey(uint16_t physical_db, std::string_view key, Value* value, int64_t* expire_at_ms,
                 bool* found);
  // Reads a whole physical database (to undo a failed FLUSHDB).
  Status ReadDatabase(uint16_t physical_db, Database& db);

  // A hard-linked copy of the database at this instant in `dir` (which must not exist).
  Status Checkpoint(const std::string& dir);

  // Compacts every column family now (tests and DEBUG; production relies on the automatic triggers).
  Status CompactAll();

  // A RocksDB integer property summed over the column families ("rocksdb.total-sst-files-size"...).
  uint64_t IntProperty(const std::string& name);

  // Fault injection for tests: while set, every write and sync fails as a full disk would.
  void set_fail_writes(bool fail) { fail_writes_ = fail; }

 private:
  DurableStore() = default;
  rocksdb::ColumnFamilyHandle* kv() const { return handles_[1]; }
  rocksdb::ColumnFamilyHandle* column(Column c) const { return handles_[1 + static_cast<size_t>(c)]; }
  rocksdb::ColumnFamilyHandle* meta() const { return handles_[5]; }

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // default, kv, sessions, families, denylist, meta
  std::atomic<bool> fail_writes_{false};
  std::atomic<bool> broken_{false};  // a write or sync failed and Recover has not succeeded since
};

}  // namespace latchkey
