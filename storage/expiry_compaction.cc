#include "storage/expiry_compaction.h"

#include "storage/clock.h"
#include "storage/record_codec.h"

namespace latchkey {

std::atomic<uint64_t> ExpiryCompactionFilter::dropped{0};

bool ExpiryCompactionFilter::Filter(int, const rocksdb::Slice&, const rocksdb::Slice& existing_value,
                                    std::string*, bool*) const {
  int64_t deadline = 0;
  if (!PeekExpiry(std::string_view(existing_value.data(), existing_value.size()), &deadline)) return false;
  if (deadline == 0 || deadline + grace_ms_ >= NowMs()) return false;
  dropped.fetch_add(1, std::memory_order_relaxed);
  return true;
}

namespace {

class ExpiredRecordsCollector : public rocksdb::TablePropertiesCollector {
 public:
  rocksdb::Status AddUserKey(const rocksdb::Slice&, const rocksdb::Slice& value, rocksdb::EntryType type,
                             rocksdb::SequenceNumber, uint64_t) override {
    ++entries_;
    if (type == rocksdb::kEntryDelete || type == rocksdb::kEntrySingleDelete ||
        type == rocksdb::kEntryRangeDeletion) {
      ++dead_;
    } else if (type == rocksdb::kEntryPut) {
      int64_t deadline = 0;
      if (PeekExpiry(std::string_view(value.data(), value.size()), &deadline) && deadline != 0 &&
          deadline < now_ms_) {
        ++dead_;
      }
    }
    return rocksdb::Status::OK();
  }
  rocksdb::Status Finish(rocksdb::UserCollectedProperties* properties) override {
    (*properties)["latchkey.dead-entries"] = std::to_string(dead_);
    return rocksdb::Status::OK();
  }
  rocksdb::UserCollectedProperties GetReadableProperties() const override {
    return {{"latchkey.dead-entries", std::to_string(dead_)}};
  }
  bool NeedCompact() const override { return entries_ >= 1000 && dead_ * 2 > entries_; }
  const char* Name() const override { return "latchkey.ExpiredRecordsCollector"; }

 private:
  const int64_t now_ms_ = NowMs();
  uint64_t entries_ = 0;
  uint64_t dead_ = 0;
};

}  // namespace

rocksdb::TablePropertiesCollector* ExpiredRecordsCollectorFactory::CreateTablePropertiesCollector(
    rocksdb::TablePropertiesCollectorFactory::Context) {
  return new ExpiredRecordsCollector();
}

}  // namespace latchkey
