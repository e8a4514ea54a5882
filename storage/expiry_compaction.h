// RocksDB plug-ins that give disk space back as keys expire, without a Delete per expired key.
//
// Caveats first (as rocksdb/compaction_filter.h puts them): a filter only runs when RocksDB compacts
// a file, so an expired record stays on disk until its file is compacted; and it runs on RocksDB's
// background threads, so it reads nothing but the record's own header. To bound how long that takes,
// the store sets periodic_compaction_seconds (every file is compacted at least that often) and the
// properties collector below marks files that are mostly expired or deleted records for compaction
// right away (as Kvrocks does).
//
// ExpiryCompactionFilter drops a record whose header deadline is more than `grace_ms` in the past.
// The grace keeps a wall-clock step backwards from making disk drop what memory still serves.
#pragma once

#include <rocksdb/compaction_filter.h>
#include <rocksdb/table_properties.h>

#include <atomic>
#include <cstdint>
#include <memory>

namespace latchkey {

class ExpiryCompactionFilter : public rocksdb::CompactionFilter {
 public:
  explicit ExpiryCompactionFilter(int64_t grace_ms) : grace_ms_(grace_ms) {}

  bool Filter(int level, const rocksdb::Slice& key, const rocksdb::Slice& existing_value,
              std::string* new_value, bool* value_changed) const override;
  const char* Name() const override { return "latchkey.ExpiryCompactionFilter"; }

  // Records dropped so far (for INFO).
  static std::atomic<uint64_t> dropped;

 private:
  const int64_t grace_ms_;
};

// Counts, per SST file, records that are deleted or already expired; a file where they are more than
// half of at least 1000 entries asks to be compacted.
class ExpiredRecordsCollectorFactory : public rocksdb::TablePropertiesCollectorFactory {
 public:
  rocksdb::TablePropertiesCollector* CreateTablePropertiesCollector(
      rocksdb::TablePropertiesCollectorFactory::Context context) override;
  const char* Name() const override { return "latchkey.ExpiredRecordsCollectorFactory"; }
};

}  // namespace latchkey
