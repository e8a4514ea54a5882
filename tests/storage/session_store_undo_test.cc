// SessionStore against a real RocksDB (DurableStore in a temp dir): committed records load back, and
// Undo after a failed write puts memory back to what the disk holds.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "session_test_util.h"
#include "storage/durable_store.h"
#include "storage/session_store.h"

namespace latchkey {
namespace {

using session_test::kHour;
using session_test::kMinute;
using session_test::kNow;
using session_test::kSecond;
using session_test::RawHandle;

// ---- Through a real RocksDB: round trip, and Undo ----

class SessionDiskTest : public session_test::SessionStoreFixture {
 protected:
  void SetUp() override {
    Init(/*with_log=*/true, /*with_events=*/true);
    char tmpl[] = "/tmp/latchkey-sessions-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ASSERT_TRUE(DurableStore::Open(dir_, /*compaction_grace_ms=*/0, &disk_).ok());
  }
  void TearDown() override {
    disk_.reset();
    std::filesystem::remove_all(dir_);
  }
  // The pending records reach RocksDB.
  void Commit() { ASSERT_TRUE(disk_->Write(DrainAll(), /*sync=*/false).ok()); }
  // The pending records' write failed: memory goes back to what RocksDB holds (as the pipeline does).
  void Fail() {
    for (const auto& w : DrainAll()) {
      if (w.column == store_->column()) store_->Undo(w, *disk_);
    }
  }
  bool OnDisk(std::string_view handle) {
    std::string value;
    bool found = false;
    EXPECT_TRUE(disk_->ReadRecord(Column::kSessions, RawHandle(handle), &value, &found).ok());
    return found;
  }

  std::string dir_;
  std::unique_ptr<DurableStore> disk_;
};

TEST_F(SessionDiskTest, CommittedRecordsLoadBackFromRocksDb) {
  const auto a = Create(kNow, "alice", kHour, 24 * kHour, "web", "kept");
  const auto b = Create(kNow, "alice");
  ASSERT_TRUE(store_->Revoke(kNow, b.id, "x"));
  const auto r = store_->Renew(kNow + kSecond, a.id, 0);
  ASSERT_TRUE(r.has_value());
  Commit();
  EXPECT_TRUE(OnDisk(a.handle));
  EXPECT_FALSE(OnDisk(b.handle));
  SessionStore loaded(nullptr, nullptr);
  size_t records = 0;
  ASSERT_TRUE(disk_
                  ->ForEach(Column::kSessions,
                            [&](std::string_view key, std::string_view value) {
                              ++records;
                              EXPECT_TRUE(loaded.Load(key, value, kNow + 2 * kSecond));
                            })
                  .ok());
  EXPECT_EQ(records, 1u);
  SessionStore::View v;
  ASSERT_TRUE(loaded.Get(kNow + 2 * kSecond, r->id, false, &v));
  EXPECT_EQ(v.data, "kept");
  EXPECT_FALSE(loaded.Get(kNow + 2 * kSecond, a.id, false, nullptr));
  EXPECT_FALSE(loaded.Get(kNow + 2 * kSecond, b.id, false, nullptr));
}

TEST_F(SessionDiskTest, UndoOfAFailedCreateRemovesTheSession) {
  const auto kept = Create(kNow, "alice");
  Commit();
  const auto c = Create(kNow + 1, "alice");
  Fail();
  EXPECT_FALSE(Live(kNow + 1, c.id));
  EXPECT_FALSE(store_->RevokeHandle(kNow + 1, c.handle, "x"));
  EXPECT_EQ(ListHandles(kNow + 1, "alice"), std::vector<std::string>{kept.handle});
  EXPECT_EQ(store_->counters().live, 1u);
  EXPECT_TRUE(Live(kNow + 1, kept.id));
}

TEST_F(SessionDiskTest, UndoOfAFailedRevokeBringsTheSessionBack) {
  const auto c = Create(kNow, "alice", kHour, 24 * kHour, "web", "data");
  Commit();
  ASSERT_TRUE(store_->Revoke(kNow + kSecond, c.id, "x"));
  Fail();
  SessionStore::View v;
  ASSERT_TRUE(store_->Get(kNow + kSecond, c.id, false, &v));
  EXPECT_EQ(v.data, "data");
  EXPECT_EQ(v.handle, c.handle);
  EXPECT_EQ(ListHandles(kNow + kSecond, "alice"), std::vector<std::string>{c.handle});
  EXPECT_EQ(store_->counters().live, 1u);
  EXPECT_TRUE(store_->Touch(kNow + kSecond, c.id).has_value());
  EXPECT_TRUE(store_->RevokeHandle(kNow + 2 * kSecond, c.handle, "again"));
  EXPECT_FALSE(Live(kNow + 2 * kSecond, c.id));
}

TEST_F(SessionDiskTest, UndoOfAFailedRevokeAllBringsEverySessionBack) {
  const auto a1 = Create(kNow, "alice");
  const auto a2 = Create(kNow + 1, "alice");
  Commit();
  ASSERT_EQ(store_->RevokeAll(kNow + kSecond, "alice", "", "x"), 2u);
  Fail();
  EXPECT_TRUE(Live(kNow + kSecond, a1.id));
  EXPECT_TRUE(Live(kNow + kSecond, a2.id));
  EXPECT_EQ(ListHandles(kNow + kSecond, "alice"), (std::vector<std::string>{a1.handle, a2.handle}));
}

TEST_F(SessionDiskTest, UndoOfAFailedSetDataRestoresTheDataOnDisk) {
  const auto c = Create(kNow, "alice", kHour, 24 * kHour, "web", "committed");
  Commit();
  ASSERT_TRUE(store_->SetData(kNow + kSecond, c.id, "phantom"));
  Fail();
  EXPECT_EQ(View(kNow + kSecond, c.id).data, "committed");
}

TEST_F(SessionDiskTest, UndoOfAFailedRenewRestoresTheOldId) {
  const auto c = Create(kNow, "alice");
  Commit();
  const auto r = store_->Renew(kNow + kSecond, c.id, kMinute);
  ASSERT_TRUE(r.has_value());
  Fail();
  EXPECT_TRUE(Live(kNow + kSecond, c.id));
  EXPECT_FALSE(Live(kNow + kSecond, r->id));
  EXPECT_TRUE(store_->Renew(kNow + 2 * kSecond, c.id, 0).has_value()) << "the old id is current again";
}

TEST_F(SessionDiskTest, UndoOfAFailedEvictionRestoresTheEvictedAndDropsTheNew) {
  SessionStore::Created a1, a2;
  ASSERT_EQ(CreateCapped(kNow, "alice", 1, true, &a1), SessionStore::CreateResult::kOk);
  Commit();
  ASSERT_EQ(CreateCapped(kNow + kSecond, "alice", 1, true, &a2), SessionStore::CreateResult::kOk);
  ASSERT_FALSE(Live(kNow + kSecond, a1.id));
  Fail();
  EXPECT_TRUE(Live(kNow + kSecond, a1.id));
  EXPECT_FALSE(Live(kNow + kSecond, a2.id));
  EXPECT_EQ(ListHandles(kNow + kSecond, "alice"), std::vector<std::string>{a1.handle});
}

TEST_F(SessionDiskTest, UndoOfAFailedTouchKeepsTheLastSeenOnDisk) {
  const auto c = Create(kNow, "alice", 10 * kSecond, kHour);
  Commit();
  ASSERT_TRUE(store_->Touch(kNow + 5 * kSecond, c.id).has_value());
  Fail();
  const auto v = View(kNow + 5 * kSecond, c.id);
  EXPECT_EQ(v.last_seen_ms, kNow);
  EXPECT_EQ(v.idle_deadline_ms, kNow + 10 * kSecond);
}

// After an undo, readers of the shard no longer wait for the failed (never durable) seq.
TEST_F(SessionDiskTest, UndoneSeqIsNotWaitedFor) {
  const auto c = Create(kNow, "alice");
  Commit();
  ASSERT_TRUE(store_->SetData(kNow, c.id, "phantom"));
  Fail();
  CommandTicket::Reset();
  EXPECT_TRUE(Live(kNow, c.id));
  EXPECT_EQ(CommandTicket::needed(), 0u);
}

}  // namespace
}  // namespace latchkey
