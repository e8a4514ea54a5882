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

#include "storage/clock.h"
#include "storage/commit_pipeline.h"
#include "storage/denylist.h"
#include "storage/denylist_record.h"
#include "storage/durable_store.h"
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
    // The committer runs every 2 ms; without the gate it would write "first" alone meanwhile.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_FALSE(OnDisk("first"));
    Add("second");
  }
  ASSERT_TRUE(pipeline_->SyncNow().ok());
  EXPECT_TRUE(OnDisk("first"));
  EXPECT_TRUE(OnDisk("second"));
}

TEST_F(TransactionGateTest, OutsideATransactionWritesCommitOnTheirOwn) {
  Add("alone");
  for (int i = 0; i < 100 && !OnDisk("alone"); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_TRUE(OnDisk("alone"));
}

}  // namespace
}  // namespace latchkey
