// Helpers for the hash and set tests: a database whose writes are recorded as they would be for
// RocksDB (without RocksDB), so a test can check that every in-place edit produced the record that
// makes it durable.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string_view>

#include "storage/keyspace.h"
#include "storage/record_codec.h"
#include "storage/write_log.h"
#include "tests/storage/storage_test_util.h"

namespace latchkey::test_util {

// A WriteLog that only numbers records: they stay in the shards' pending lists for the test to read.
class RecordingLog : public WriteLog {
 public:
  void Notify() override {}
};

// One database (physical id 7) with a RecordingLog attached.
class LoggedDatabase {
 public:
  LoggedDatabase() : keyspace_(1) { keyspace_.AttachLog(&log_, {7}); }

  Database& db() { return keyspace_.db(0); }

  // How many records exist for `key`.
  size_t RecordCount(std::string_view key) {
    size_t n = 0;
    const std::string encoded = EncodeKvKey(db().physical_id(), key);
    for (const PendingWrite& w : ShardOfKey(db(), key).pending) n += w.key == encoded ? 1 : 0;
    return n;
  }

  // The value the newest record for `key` holds; nullopt if that record deletes the key. Fails the test
  // when there is no record at all.
  std::optional<Value> Recorded(std::string_view key) {
    const std::string encoded = EncodeKvKey(db().physical_id(), key);
    const auto& pending = ShardOfKey(db(), key).pending;
    for (auto it = pending.rbegin(); it != pending.rend(); ++it) {
      if (it->key != encoded) continue;
      if (it->kind == PendingWrite::Kind::kDelete) return std::nullopt;
      Value value;
      int64_t deadline = 0;
      EXPECT_TRUE(DecodeValue(it->value, &value, &deadline));
      return value;
    }
    ADD_FAILURE() << "no record for " << key;
    return std::nullopt;
  }

 private:
  RecordingLog log_;
  Keyspace keyspace_;
};

}  // namespace latchkey::test_util
