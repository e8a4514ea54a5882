// The commit pipeline never drains in the middle of a transaction: domain stores record a
// transaction's writes one command at a time under their own locks, all with the transaction's one
// sequence number, and a drain between two of them would put half the transaction in one RocksDB
// batch.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "storage/clock.h"
#include "storage/commit_pipeline.h"
#include "storage/denylist.h"
#include "storage/denylist_record.h"
#include "storage/durable_store.h"
#include "storage/strings.h"
#include "storage/transaction_scope.h"

namespace latchkey {
namespace {

constexpr uint64_t kSeed = 99;

class TransactionGateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/latchkey-gate-XXXXXX";
    dir_ = mkdtemp(tmpl);
    ASSERT_TRUE(DurableStore::Open(dir_, 0, &store_).ok());
    keyspace_ = std::make_unique<Keyspace>(2);
    pipeline_ = std::make_unique<CommitPipeline>(store_.get(), keyspace_.get(), FsyncPolicy::kNo);
    keyspace_->AttachLog(pipeline_.get(), store_->DatabaseMapping(2));
    denylist_ = std::make_unique<Denylist>(pipeline_.get(), nullptr, kSeed);
    pipeline_->AddSource(denylist_.get());
    pipeline_->Start();
  }
  void TearDown() override {
    pipeline_.reset();
    denylist_.reset();
    keyspace_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Add(std::string_view jti) {
    Denylist::AddRequest r;
    r.iss = "idp";
    r.jti = jti;
    r.exp_s = NowMs() / 1000 + 3600;
    r.deadline_s = r.exp_s + 120;
    ASSERT_EQ(denylist_->Add(NowMs(), r), Denylist::AddResult::kAdded);
  }
  bool OnDisk(std::string_view jti) {
    std::string value;
    bool found = false;
    EXPECT_TRUE(store_
                    ->ReadRecord(Column::kDenylist,
                                 EncodeJtiKey(DenyFingerprint(kSeed, "idp", jti), "idp", jti), &value, &found)
                    .ok());
    return found;
  }

  std::string dir_;
  std::unique_ptr<DurableStore> store_;
  std::unique_ptr<Keyspace> keyspace_;
  std::unique_ptr<CommitPipeline> pipeline_;
  std::unique_ptr<Denylist> denylist_;
};

TEST_F(TransactionGateTest, ATransactionsDomainWritesReachRocksDbTogether) {
  {
    TransactionScope scope(*keyspace_, {}, /*all=*/false);
    Add("first");
    // Ask for a round now; without the gate the committer would write "first" alone meanwhile.
    pipeline_->RequestRound();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_FALSE(OnDisk("first"));
    Add("second");
  }
  ASSERT_TRUE(pipeline_->SyncNow().ok());
  EXPECT_TRUE(OnDisk("first"));
  EXPECT_TRUE(OnDisk("second"));
}

// A write inside a transaction to a domain shard (not held by the scope) and a concurrent write from
// outside to the same record reach RocksDB in the order memory applied them: every record has its own
// sequence number (with one number for the whole transaction, the transaction's later write sorted
// before the outsider's, and disk kept the older watermark).
TEST_F(TransactionGateTest, ConcurrentDomainWritesKeepMemoryOrderOnDisk) {
  const int64_t now = NowMs();
  {
    const std::vector<TransactionScope::NamedKey> keys = {{0, "k"}};
    TransactionScope scope(*keyspace_, keys, /*all=*/false);
    SetParams params;
    SetOutcome outcome;
    ASSERT_TRUE(StringSet(keyspace_->db(0), now, "k", "v", params, &outcome).ok());  // numbered first
    std::thread outsider([&] {
      EXPECT_EQ(denylist_->SetWatermark(now, WatermarkScope::kSub, "alice", 100, now + 60000), 100);
    });
    outsider.join();
    EXPECT_EQ(denylist_->SetWatermark(now, WatermarkScope::kSub, "alice", 200, now + 60000), 200);
  }
  ASSERT_TRUE(pipeline_->SyncNow().ok());
  std::string value;
  bool found = false;
  ASSERT_TRUE(
      store_->ReadRecord(Column::kDenylist, EncodeWatermarkKey(WatermarkScope::kSub, "alice"), &value, &found)
          .ok());
  ASSERT_TRUE(found);
  int64_t watermark = 0, deadline = 0;
  ASSERT_TRUE(DecodeWatermarkRecord(value, &watermark, &deadline));
  EXPECT_EQ(watermark, 200);
}

TEST_F(TransactionGateTest, OutsideATransactionWritesCommitOnTheirOwn) {
  Add("alone");
  for (int i = 0; i < 100 && !OnDisk("alone"); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_TRUE(OnDisk("alone"));
}

}  // namespace
}  // namespace latchkey
