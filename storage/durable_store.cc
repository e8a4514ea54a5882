#include "storage/durable_store.h"

#include <rocksdb/memtablerep.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <cstdarg>
#include <cstdio>
#include <filesystem>

#include "spdlog/spdlog.h"

#include "storage/clock.h"
#include "storage/expiry_compaction.h"
#include "storage/record_codec.h"

namespace latchkey {
namespace {

const char* const kFamilies[] = {
    rocksdb::kDefaultColumnFamilyName.c_str(), "kv", "sessions", "families", "denylist", "meta"};

// RocksDB's own log goes to ours (warnings and worse), not to a LOG file in the data directory: a
// full disk must not also break the logger (Debian's librocksdb asserts when its LOG file writer is
// used again after a failed write).
class SpdlogForRocksDb : public rocksdb::Logger {
 public:
  SpdlogForRocksDb() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override { Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap); }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    char buf[1024];
    std::vsnprintf(buf, sizeof(buf), format, ap);
    if (level >= rocksdb::InfoLogLevel::ERROR_LEVEL) {
      spdlog::error("rocksdb: {}", buf);
    } else {
      spdlog::warn("rocksdb: {}", buf);
    }
  }
};

Status FromRocks(const rocksdb::Status& s) {
  return s.ok() ? Status::Ok() : Status::IoError(s.ToString());
}

}  // namespace

DurableStore::~DurableStore() {
  if (db_ != nullptr) {
    // After an unrecovered failure the WAL writer must not be touched again (Debian's librocksdb
    // asserts); what was acknowledged is already synced.
    if (!broken_) db_->SyncWAL();
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    db_->Close();
  }
}

Status DurableStore::Open(const std::string& dir, int64_t compaction_grace_ms,
                          std::unique_ptr<DurableStore>* out) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IoError("cannot create data directory " + dir + ": " + ec.message());

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  db_options.info_log = std::make_shared<SpdlogForRocksDb>();
  db_options.allow_concurrent_memtable_write = false;  // required by the vector memtable

  static ExpiryCompactionFilter filter(compaction_grace_ms);
  rocksdb::ColumnFamilyOptions cf_options;
  // One thread writes RocksDB and nothing reads it but start-up (and undoing a failed write), so the
  // memtable is an append-only vector sorted when it is flushed, not a skiplist: with fsync always
  // the commit thread is the bottleneck, and the skiplist insert was its largest cost.
  cf_options.memtable_factory = std::make_shared<rocksdb::VectorRepFactory>();
  cf_options.compaction_filter = &filter;
  cf_options.periodic_compaction_seconds = 24 * 3600;
  cf_options.table_properties_collector_factories.push_back(
      std::make_shared<ExpiredRecordsCollectorFactory>());

  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const char* name : kFamilies) families.emplace_back(name, cf_options);

  std::unique_ptr<DurableStore> store(new DurableStore());
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, dir, families, &store->handles_, &raw);
  if (!s.ok()) {
    if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
      return Status::IoError("data directory " + dir +
                             " is in use by another latchkey-server (RocksDB lock held): " + s.ToString());
    }
    return FromRocks(s);
  }
  store->db_.reset(raw);
  *out = std::move(store);
  return Status::Ok();
}

std::vector<uint16_t> DurableStore::DatabaseMapping(int num_databases) {
  std::vector<uint16_t> ids;
  for (int i = 0; i < num_databases; ++i) {
    std::string value;
    uint16_t id = static_cast<uint16_t>(i);
    if (db_->Get(rocksdb::ReadOptions(), meta(), Keyspace::DatabaseMapKey(i), &value).ok()) {
      id = static_cast<uint16_t>(std::stoul(value));
    }
    ids.push_back(id);
  }
  return ids;
}

Status DurableStore::Load(Keyspace& keyspace, int64_t now_ms, LoadStats* stats) {
  const int64_t started = MonotonicUs();
  // physical id -> logical database
  std::vector<Database*> by_physical(UINT16_MAX + 1, nullptr);
  for (int i = 0; i < keyspace.num_databases(); ++i)
    by_physical[keyspace.db(i).physical_id()] = &keyspace.db(i);

  rocksdb::ReadOptions read_options;
  read_options.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, kv()));
  rocksdb::WriteBatch expired;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    uint16_t physical = 0;
    std::string_view key;
    if (!DecodeKvKey(std::string_view(it->key().data(), it->key().size()), &physical, &key)) continue;
    Database* db = by_physical[physical];
    Value value;
    int64_t deadline = 0;
    if (db == nullptr ||
        !DecodeValue(std::string_view(it->value().data(), it->value().size()), &value, &deadline)) {
      continue;
    }
    if (deadline != kNoExpiry && deadline < now_ms) {
      expired.Delete(kv(), it->key());
      ++stats->expired_skipped;
      continue;
    }
    db->LoadKey(key, std::move(value), deadline, now_ms);
    ++stats->keys_loaded;
  }
  if (!it->status().ok()) return FromRocks(it->status());
  if (expired.Count() > 0) {
    rocksdb::Status s = db_->Write(rocksdb::WriteOptions(), &expired);
    if (!s.ok()) return FromRocks(s);
  }
  stats->duration_ms = (MonotonicUs() - started) / 1000;
  return Status::Ok();
}

Status DurableStore::ForEach(Column c,
                             const std::function<void(std::string_view key, std::string_view value)>& visit) {
  rocksdb::ReadOptions read_options;
  read_options.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, column(c)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    visit(std::string_view(it->key().data(), it->key().size()),
          std::string_view(it->value().data(), it->value().size()));
  }
  return FromRocks(it->status());
}

Status DurableStore::Scan(Column c, std::string_view start,
                          const std::function<bool(std::string_view key, std::string_view value)>& visit) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), column(c)));
  for (it->Seek(rocksdb::Slice(start.data(), start.size())); it->Valid(); it->Next()) {
    if (!visit(std::string_view(it->key().data(), it->key().size()),
               std::string_view(it->value().data(), it->value().size()))) {
      break;
    }
  }
  return FromRocks(it->status());
}

uint64_t DurableStore::EstimateRecords(Column c) {
  uint64_t n = 0;
  return db_->GetIntProperty(column(c), "rocksdb.estimate-num-keys", &n) ? n : 0;
}

Status DurableStore::ReadRecord(Column c, std::string_view key, std::string* value, bool* found) {
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), column(c), rocksdb::Slice(key.data(), key.size()), value);
  *found = s.ok();
  return s.IsNotFound() ? Status::Ok() : FromRocks(s);
}

Status DurableStore::DeleteRecords(Column c, const std::vector<std::string>& keys) {
  if (keys.empty()) return Status::Ok();
  rocksdb::WriteBatch batch;
  for (const std::string& key : keys) batch.Delete(column(c), key);
  return FromRocks(db_->Write(rocksdb::WriteOptions(), &batch));
}

Status DurableStore::Write(const std::vector<PendingWrite>& writes, bool sync) {
  if (fail_writes_) return Status::IoError("IO error: No space left on device (injected)");
  rocksdb::WriteBatch batch;
  for (const PendingWrite& w : writes) {
    switch (w.kind) {
      case PendingWrite::Kind::kPut:
        batch.Put(column(w.column), w.key, w.value);
        break;
      case PendingWrite::Kind::kDelete:
        batch.Delete(column(w.column), w.key);
        break;
      case PendingWrite::Kind::kDeleteRange:
        batch.DeleteRange(kv(), w.key, w.value);
        break;
      case PendingWrite::Kind::kMetaPut:
        batch.Put(meta(), w.key, w.value);
        break;
    }
  }
  rocksdb::WriteOptions options;
  options.sync = sync;
  rocksdb::Status s = db_->Write(options, &batch);
  if (!s.ok()) broken_ = true;
  return FromRocks(s);
}

Status DurableStore::Recover() {
  if (fail_writes_) return Status::IoError("IO error: No space left on device (injected)");
  if (broken_) {
    rocksdb::Status s = db_->Resume();
    if (!s.ok()) return FromRocks(s);
  }
  rocksdb::WriteOptions options;
  options.sync = true;
  rocksdb::Status s = db_->Put(options, meta(), "health-probe", std::to_string(NowMs()));
  if (!s.ok()) return FromRocks(s);
  broken_ = false;
  return Status::Ok();
}

Status DurableStore::SyncWal() {
  if (fail_writes_) return Status::IoError("IO error: No space left on device (injected)");
  if (broken_) return Status::IoError("the previous write failed; waiting for recovery");
  rocksdb::Status s = db_->SyncWAL();
  if (!s.ok()) broken_ = true;
  return FromRocks(s);
}

std::unique_ptr<DurableStore::KeyReader> DurableStore::NewKeyReader() {
  return std::make_unique<KeyReader>(
      std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(rocksdb::ReadOptions(), kv())));
}

Status DurableStore::KeyReader::Read(uint16_t physical_db, std::string_view key, Value* value,
                                     int64_t* expire_at_ms, bool* found) {
  const std::string encoded = EncodeKvKey(physical_db, key);
  it_->Seek(encoded);
  if (!it_->status().ok()) return FromRocks(it_->status());
  *found = it_->Valid() && it_->key() == rocksdb::Slice(encoded) &&
           DecodeValue(std::string_view(it_->value().data(), it_->value().size()), value, expire_at_ms);
  return Status::Ok();
}

Status DurableStore::ReadKey(uint16_t physical_db, std::string_view key, Value* value, int64_t* expire_at_ms,
                             bool* found) {
  return NewKeyReader()->Read(physical_db, key, value, expire_at_ms, found);
}

Status DurableStore::ReadDatabase(uint16_t physical_db, Database& db) {
  const std::string start = KvRangeStart(physical_db), end = KvRangeEnd(physical_db);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), kv()));
  const int64_t now = NowMs();
  for (it->Seek(start); it->Valid() && it->key().compare(end) < 0; it->Next()) {
    uint16_t physical = 0;
    std::string_view key;
    Value value;
    int64_t deadline = 0;
    if (DecodeKvKey(std::string_view(it->key().data(), it->key().size()), &physical, &key) &&
        DecodeValue(std::string_view(it->value().data(), it->value().size()), &value, &deadline)) {
      db.LoadKey(key, std::move(value), deadline, now);
    }
  }
  return FromRocks(it->status());
}

Status DurableStore::Checkpoint(const std::string& dir) {
  rocksdb::Checkpoint* raw = nullptr;
  rocksdb::Status s = rocksdb::Checkpoint::Create(db_.get(), &raw);
  if (!s.ok()) return FromRocks(s);
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  return FromRocks(checkpoint->CreateCheckpoint(dir));
}

Status DurableStore::CompactAll() {
  for (auto* h : handles_) {
    rocksdb::Status s = db_->CompactRange(rocksdb::CompactRangeOptions(), h, nullptr, nullptr);
    if (!s.ok()) return FromRocks(s);
  }
  return Status::Ok();
}

uint64_t DurableStore::IntProperty(const std::string& name) {
  uint64_t total = 0;
  for (auto* h : handles_) {
    uint64_t v = 0;
    if (db_->GetIntProperty(h, name, &v)) total += v;
  }
  return total;
}

}  // namespace latchkey
