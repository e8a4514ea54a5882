// The durability layer in-process: the record format, the commit pipeline's ordering and atomicity
// under concurrent writers, recovery, compaction of expired records, and undoing failed writes.
#include <filesystem>
#include <future>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "storage/clock.h"
#include "storage/commit_pipeline.h"
#include "storage/durable_store.h"
#include "storage/keys.h"
#include "storage/record_codec.h"
#include "storage/strings.h"
#include "storage_test_util.h"

namespace latchkey {
namespace {

// Record format: values and deadlines survive a round trip; the filter reads the header alone.
TEST(RecordCodec, RoundTripsEveryType) {
  HashValue hash{{"f1", "v1"}, {"", std::string("a\0b", 3)}};
  SetValue set{"m1", "m2", ""};
  for (const Value& original : {Value(std::string("hello\r\n")), Value(hash), Value(set)}) {
    std::string encoded;
    EncodeValue(original, 1234567890123, &encoded);
    Value decoded;
    int64_t deadline = 0;
    ASSERT_TRUE(DecodeValue(encoded, &decoded, &deadline));
    EXPECT_EQ(deadline, 1234567890123);
    EXPECT_EQ(decoded, original);
    int64_t peeked = 0;
    ASSERT_TRUE(PeekExpiry(encoded, &peeked));
    EXPECT_EQ(peeked, 1234567890123);
  }
  Value v;
  int64_t d = 0;
  EXPECT_FALSE(DecodeValue("short", &v, &d));
  std::string wrong_version(kRecordHeaderSize, '\0');
  wrong_version[0] = 99;
  EXPECT_FALSE(DecodeValue(wrong_version, &v, &d));
}

TEST(RecordCodec, DatabasesAreContiguousRanges) {
  EXPECT_LT(EncodeKvKey(3, "zzz"), KvRangeEnd(3));
  EXPECT_GE(EncodeKvKey(3, ""), KvRangeStart(3));
  EXPECT_EQ(KvRangeEnd(3), KvRangeStart(4));
  uint16_t db = 0;
  std::string_view key;
  const std::string encoded = EncodeKvKey(258, "k");  // `key` points into it
  ASSERT_TRUE(DecodeKvKey(encoded, &db, &key));
  EXPECT_EQ(db, 258);
  EXPECT_EQ(key, "k");
}

class DurabilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/latchkey-durability-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override {
    Close();
    std::filesystem::remove_all(dir_);
  }
  // Opens the store, loads it into a fresh keyspace and starts the pipeline.
  void Open(FsyncPolicy policy = FsyncPolicy::kAlways) {
    ASSERT_TRUE(DurableStore::Open(dir_, /*compaction_grace_ms=*/0, &store_).ok());
    keyspace_ = std::make_unique<Keyspace>(4);
    pipeline_ = std::make_unique<CommitPipeline>(store_.get(), keyspace_.get(), policy);
    keyspace_->AttachLog(pipeline_.get(), store_->DatabaseMapping(4));
    load_ = DurableStore::LoadStats();
    ASSERT_TRUE(store_->Load(*keyspace_, NowMs(), &load_).ok());
    pipeline_->Start();
  }
  void Close() {
    pipeline_.reset();
    keyspace_.reset();
    store_.reset();
  }
  void Reopen() {
    Close();
    Open();
  }
  std::string Get(int db, const std::string& key) {
    std::string out = "<missing>";
    EXPECT_TRUE(StringGet(keyspace_->db(db), NowMs(), key, [&](const std::string* v) {
                  if (v != nullptr) out = *v;
                }).ok());
    return out;
  }
  void Set(int db, const std::string& key, const std::string& value, int64_t deadline = kNoExpiry) {
    SetParams params;
    params.deadline_ms = deadline;
    SetOutcome outcome;
    ASSERT_TRUE(StringSet(keyspace_->db(db), NowMs(), key, value, params, &outcome).ok());
  }

  std::string dir_;
  std::unique_ptr<DurableStore> store_;
  std::unique_ptr<Keyspace> keyspace_;
  std::unique_ptr<CommitPipeline> pipeline_;
  DurableStore::LoadStats load_;
};

// Recovery: what was written comes back, with its absolute deadline, in the right database.
TEST_F(DurabilityTest, ReopenRestoresKeysDeadlinesAndDatabases) {
  Open();
  const int64_t deadline = NowMs() + 100000;
  Set(0, "a", "1");
  Set(2, "b", "2", deadline);
  int64_t counter = 0;
  ASSERT_TRUE(StringIncrBy(keyspace_->db(0), NowMs(), "n", 41, &counter).ok());
  ASSERT_TRUE(StringIncrBy(keyspace_->db(0), NowMs(), "n", 1, &counter).ok());
  const std::string_view gone[] = {"a"};
  Set(0, "a2", "x");
  DeleteKeys(keyspace_->db(0), NowMs(), gone);
  ASSERT_TRUE(pipeline_->SyncNow().ok());
  Reopen();
  EXPECT_EQ(load_.keys_loaded, 3u);
  EXPECT_EQ(Get(0, "a"), "<missing>");
  EXPECT_EQ(Get(0, "a2"), "x");
  EXPECT_EQ(Get(0, "n"), "42");
  EXPECT_EQ(Get(2, "b"), "2");
  EXPECT_EQ(KeyDeadlineMs(keyspace_->db(2), NowMs(), "b"), deadline);
}

TEST_F(DurabilityTest, FlushAndSwapPersist) {
  Open();
  Set(0, "zero", "0");
  Set(1, "one", "1");
  Set(3, "three", "3");
  keyspace_->SwapDatabases(0, 1);
  keyspace_->db(3).Flush();
  Set(3, "after-flush", "y");
  ASSERT_TRUE(pipeline_->SyncNow().ok());
  Reopen();
  EXPECT_EQ(Get(0, "one"), "1");
  EXPECT_EQ(Get(1, "zero"), "0");
  EXPECT_EQ(Get(3, "three"), "<missing>");
  EXPECT_EQ(Get(3, "after-flush"), "y");
  keyspace_->FlushAll();
  ASSERT_TRUE(pipeline_->SyncNow().ok());
  {
    bool found = false;
    Value v;
    int64_t d = 0;
    ASSERT_TRUE(store_->ReadKey(keyspace_->db(0).physical_id(), "one", &v, &d, &found).ok());
    EXPECT_FALSE(found) << "physical " << keyspace_->db(0).physical_id() << " seq " << pipeline_->last_seq();
  }
  Reopen();
  EXPECT_EQ(load_.keys_loaded, 0u);
}

// Expired records: skipped and deleted at load; dropped by compaction without any Delete.
TEST_F(DurabilityTest, ExpiredRecordsAreSkippedAtLoadAndDroppedByCompaction) {
  Open();
  Set(0, "short", "v", NowMs() + 50);
  Set(0, "long", "v", NowMs() + 100000);
  ASSERT_TRUE(pipeline_->SyncNow().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(120));
  Reopen();
  EXPECT_EQ(load_.keys_loaded, 1u);
  EXPECT_EQ(load_.expired_skipped, 1u);
  // Written straight to disk, already expired: only the compaction filter can remove it.
  std::string value;
  EncodeValue(Value(std::string("old")), NowMs() - 1000, &value);
  ASSERT_TRUE(
      store_->Write({PendingWrite{1, PendingWrite::Kind::kPut, EncodeKvKey(0, "stale"), value}}, true).ok());
  bool found = false;
  Value v;
  int64_t d = 0;
  ASSERT_TRUE(store_->ReadKey(0, "stale", &v, &d, &found).ok());
  ASSERT_TRUE(found);
  ASSERT_TRUE(store_->CompactAll().ok());
  ASSERT_TRUE(store_->ReadKey(0, "stale", &v, &d, &found).ok());
  EXPECT_FALSE(found);
  ASSERT_TRUE(store_->ReadKey(0, "long", &v, &d, &found).ok());
  EXPECT_TRUE(found);
}

// Order: concurrent writers on shared keys; RocksDB must end with exactly what memory holds, and
// MSET pairs must never be torn on disk.
TEST_F(DurabilityTest, DiskMatchesMemoryAfterConcurrentWriters) {
  Open(FsyncPolicy::kNo);
  constexpr int kThreads = 4, kOps = 3000, kKeys = 8;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t));
      for (int i = 0; i < kOps; ++i) {
        const std::string key = test_util::Key("k", rng() % kKeys);
        const std::string value = test_util::Key(std::to_string(t) + ":", i);
        switch (rng() % 4) {
          case 0: {
            int64_t out = 0;
            (void)StringIncrBy(keyspace_->db(0), NowMs(), "counter", 1, &out);
            break;
          }
          case 1: {
            const std::string_view pair[] = {"p1", value, "p2", value};
            StringMultiSet(keyspace_->db(0), NowMs(), pair, false);
            break;
          }
          case 2: {
            const std::string_view keys[] = {key};
            DeleteKeys(keyspace_->db(0), NowMs(), keys);
            break;
          }
          default:
            Set(0, key, value);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(pipeline_->SyncNow().ok());
  std::vector<std::string> keys = {"counter", "p1", "p2"};
  for (int k = 0; k < kKeys; ++k) keys.push_back(test_util::Key("k", k));
  std::map<std::string, std::string> memory;
  for (const auto& key : keys) memory[key] = Get(0, key);
  Reopen();
  for (const auto& key : keys) EXPECT_EQ(Get(0, key), memory[key]) << key;
  EXPECT_EQ(Get(0, "p1"), Get(0, "p2"));
}

// Failure: a write that cannot reach disk is undone in memory, later writes are refused (failed()),
// and once the disk works again writes commit normally.
TEST_F(DurabilityTest, FailedWriteIsUndoneInMemory) {
  Open();
  Set(0, "k", "before");
  ASSERT_TRUE(pipeline_->SyncNow().ok());
  const uint64_t durable_before = pipeline_->durable_seq();
  store_->set_fail_writes(true);
  Set(0, "k", "phantom");
  Set(0, "new", "phantom");
  EXPECT_FALSE(pipeline_->SyncNow().ok());
  EXPECT_TRUE(pipeline_->failed());
  // Only the undone records count as failed, not what was durable before.
  EXPECT_FALSE(pipeline_->Failed(durable_before));
  EXPECT_TRUE(pipeline_->Failed(durable_before + 1));
  EXPECT_EQ(Get(0, "k"), "before");
  EXPECT_EQ(Get(0, "new"), "<missing>");
  store_->set_fail_writes(false);
  for (int i = 0; i < 50 && pipeline_->failed(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_FALSE(pipeline_->failed());
  Set(0, "k", "after");
  ASSERT_TRUE(pipeline_->SyncNow().ok());
  Reopen();
  EXPECT_EQ(Get(0, "k"), "after");
  EXPECT_EQ(Get(0, "new"), "<missing>");
}

// Group commit: many writers share syncs.
TEST_F(DurabilityTest, ConcurrentWritersShareSyncs) {
  Open(FsyncPolicy::kAlways);
  constexpr int kThreads = 8, kWrites = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        CommandTicket::Reset();
        Set(0, test_util::Key("t", t), std::to_string(i));
        std::promise<bool> done;
        pipeline_->WhenDurable(CommandTicket::needed(), [&](bool ok) { done.set_value(ok); });
        ASSERT_TRUE(done.get_future().get());
      }
    });
  }
  for (auto& th : threads) th.join();
  const auto counters = pipeline_->counters();
  EXPECT_EQ(counters.records, static_cast<uint64_t>(kThreads * kWrites));
  EXPECT_LT(counters.wal_syncs, counters.records);
}

}  // namespace
}  // namespace latchkey
