// SessionStore durability records: what each mutation leaves for the commit pipeline (Drain), touch
// coalescing, the command ticket, and loading records back (Load). Undo against a real RocksDB is in
// session_store_undo_test.cc; the concurrent run in session_store_concurrency_test.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "session_test_util.h"
#include "storage/event_log.h"
#include "storage/record_codec.h"
#include "storage/secrets.h"
#include "storage/session_record.h"
#include "storage/session_store.h"

namespace latchkey {
namespace {

using session_test::Contains;
using session_test::Decode;
using session_test::Header;
using session_test::kHour;
using session_test::kMinute;
using session_test::kNow;
using session_test::kRetentionMs;
using session_test::kSecond;
using session_test::OfColumn;
using session_test::RawHandle;
using session_test::ReadHeader;

class SessionDurabilityTest : public session_test::SessionStoreFixture {
 protected:
  void SetUp() override { Init(/*with_log=*/true, /*with_events=*/true); }
};

// ---- Records ----

TEST_F(SessionDurabilityTest, CreateWritesAPutThatDecodesToTheSameFields) {
  const auto c = Create(kNow, "alice", kHour, 24 * kHour, "web", std::string("d\0ta", 4));
  const auto writes = DrainAll();
  ASSERT_EQ(writes.size(), 1u);
  const PendingWrite& w = writes[0];
  EXPECT_EQ(w.column, Column::kSessions);
  EXPECT_EQ(w.kind, PendingWrite::Kind::kPut);
  EXPECT_EQ(w.key, RawHandle(c.handle));
  EXPECT_EQ(w.seq, log_->last_seq());
  const StoredSession s = Decode(w);
  EXPECT_EQ(s.handle, RawHandle(c.handle));
  EXPECT_EQ(s.sub, "alice");
  EXPECT_EQ(s.client, "web");
  EXPECT_EQ(s.data, std::string("d\0ta", 4));
  EXPECT_EQ(s.id_hash, Sha256(c.id));
  EXPECT_EQ(s.grace_deadline_ms, 0);
  EXPECT_EQ(s.created_ms, kNow);
  EXPECT_EQ(s.last_seen_ms, kNow);
  EXPECT_EQ(s.idle_ms, kHour);
  EXPECT_EQ(s.abs_deadline_ms, kNow + 24 * kHour);
  const Header h = ReadHeader(w.value);
  EXPECT_EQ(h.type, kSessionRecord);
  EXPECT_EQ(h.expiry, kNow + kHour);  // the effective deadline, for the compaction filter
  // Re-encoding the decoded session gives the same bytes.
  EXPECT_EQ(EncodeSession(s), w.value);
}

// The store keeps SHA-256(id) only: no record, state or event, ever carries the id itself.
TEST_F(SessionDurabilityTest, NoRecordEverHoldsThePlaintextId) {
  const auto c = Create(kNow, "alice");
  ASSERT_TRUE(store_->Touch(kNow + 2 * kSecond, c.id).has_value());
  ASSERT_TRUE(store_->SetData(kNow + 2 * kSecond, c.id, "data"));
  const auto r = store_->Renew(kNow + 3 * kSecond, c.id, kMinute);
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(store_->Touch(kNow + 5 * kSecond, r->id).has_value());
  const auto other = Create(kNow, "alice");
  EXPECT_EQ(store_->RevokeAll(kNow + 6 * kSecond, "alice", "", "logout"), 2u);
  const auto writes = DrainAll();
  ASSERT_GE(writes.size(), 6u);
  for (const std::string& id : {c.id, r->id, other.id}) {
    const std::string raw = Base64UrlDecode(id.substr(3)).value();
    for (const auto& w : writes) {
      for (const std::string& bytes : {w.key, w.value}) {
        EXPECT_FALSE(Contains(bytes, id));
        EXPECT_FALSE(Contains(bytes, id.substr(3)));
        EXPECT_FALSE(Contains(bytes, raw));
      }
    }
  }
  // ... while the hashes are there: the creation's record holds SHA-256(id); the renewal's holds the
  // new id's hash and the old one's (accepted during grace).
  EXPECT_TRUE(Contains(writes[0].value, DigestBytes(Sha256(c.id))));
  bool renewal_seen = false;
  for (const auto& w : writes) {
    if (w.kind == PendingWrite::Kind::kPut && w.column == Column::kSessions &&
        Contains(w.value, DigestBytes(Sha256(r->id)))) {
      renewal_seen = true;
      EXPECT_TRUE(Contains(w.value, DigestBytes(Sha256(c.id))));
    }
  }
  EXPECT_TRUE(renewal_seen);
}

TEST_F(SessionDurabilityTest, SetDataWritesAPutWithTheNewData) {
  const auto c = Create(kNow, "alice", kHour, 24 * kHour, "web", "old");
  DrainAll();
  ASSERT_TRUE(store_->SetData(kNow + 100, c.id, "new"));
  const auto writes = DrainAll();
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(writes[0].kind, PendingWrite::Kind::kPut);
  EXPECT_EQ(writes[0].column, Column::kSessions);
  const StoredSession s = Decode(writes[0]);
  EXPECT_EQ(s.data, "new");
  EXPECT_EQ(s.id_hash, Sha256(c.id));
  EXPECT_EQ(s.created_ms, kNow);
}

TEST_F(SessionDurabilityTest, RenewWritesAPutWithTheNewHashAndTheGraceHash) {
  const auto c = Create(kNow, "alice");
  DrainAll();
  const auto r = store_->Renew(kNow + kSecond, c.id, 30 * kSecond);
  ASSERT_TRUE(r.has_value());
  auto writes = DrainAll();
  ASSERT_EQ(writes.size(), 1u);
  StoredSession s = Decode(writes[0]);
  EXPECT_EQ(writes[0].key, RawHandle(c.handle));
  EXPECT_EQ(s.id_hash, Sha256(r->id));
  EXPECT_EQ(s.grace_hash, Sha256(c.id));
  EXPECT_EQ(s.grace_deadline_ms, kNow + 31 * kSecond);
  // Without grace: no previous hash is kept.
  const auto r2 = store_->Renew(kNow + 2 * kSecond, r->id, 0);
  ASSERT_TRUE(r2.has_value());
  writes = DrainAll();
  ASSERT_EQ(writes.size(), 1u);
  s = Decode(writes[0]);
  EXPECT_EQ(s.id_hash, Sha256(r2->id));
  EXPECT_EQ(s.grace_deadline_ms, 0);
  EXPECT_FALSE(Contains(writes[0].value, DigestBytes(Sha256(r->id))));
}

TEST_F(SessionDurabilityTest, RevokeWritesADeleteAndItsEventUnderOneSeq) {
  const auto c = Create(kNow, "alice");
  DrainAll();
  ASSERT_TRUE(store_->Revoke(kNow + kSecond, c.id, "log out"));
  const auto writes = DrainAll();
  ASSERT_EQ(writes.size(), 2u);
  const auto sessions = OfColumn(writes, Column::kSessions);
  const auto meta = OfColumn(writes, Column::kMeta);
  ASSERT_EQ(sessions.size(), 1u);
  ASSERT_EQ(meta.size(), 1u);
  EXPECT_EQ(sessions[0].kind, PendingWrite::Kind::kDelete);
  EXPECT_EQ(sessions[0].key, RawHandle(c.handle));
  EXPECT_EQ(meta[0].kind, PendingWrite::Kind::kPut);
  EXPECT_EQ(meta[0].key, EventLog::Key(1));
  EXPECT_EQ(meta[0].seq, sessions[0].seq);
  EXPECT_EQ(meta[0].seq, log_->last_seq());
  const Header h = ReadHeader(meta[0].value);
  EXPECT_EQ(h.type, kEventRecord);
  EXPECT_EQ(h.expiry, kNow + kSecond + kRetentionMs);
  EXPECT_EQ(h.body, "1 session alice " + c.handle + " log%20out");
  EXPECT_EQ(recorder_.messages(), std::vector<std::string>{h.body});
}

TEST_F(SessionDurabilityTest, RevokeHandleWritesADeleteAndItsEventUnderOneSeq) {
  const auto c = Create(kNow, "alice");
  DrainAll();
  ASSERT_TRUE(store_->RevokeHandle(kNow, c.handle, "admin"));
  const auto writes = DrainAll();
  ASSERT_EQ(writes.size(), 2u);
  EXPECT_EQ(writes[0].seq, writes[1].seq);
  const auto sessions = OfColumn(writes, Column::kSessions);
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].kind, PendingWrite::Kind::kDelete);
  EXPECT_EQ(sessions[0].key, RawHandle(c.handle));
  ASSERT_EQ(OfColumn(writes, Column::kMeta).size(), 1u);
  EXPECT_EQ(OfColumn(writes, Column::kMeta)[0].key, EventLog::Key(1));
}

TEST_F(SessionDurabilityTest, RevokeAllWritesEveryDeleteAndOneEventUnderOneSeq) {
  const auto a1 = Create(kNow, "alice");
  const auto a2 = Create(kNow + 1, "alice");
  const auto a3 = Create(kNow + 2, "alice");
  DrainAll();
  EXPECT_EQ(store_->RevokeAll(kNow + kSecond, "alice", a2.handle, "other devices"), 2u);
  const auto writes = DrainAll();
  ASSERT_EQ(writes.size(), 3u);
  for (const auto& w : writes) EXPECT_EQ(w.seq, writes[0].seq);
  std::set<std::string> deleted;
  for (const auto& w : OfColumn(writes, Column::kSessions)) {
    EXPECT_EQ(w.kind, PendingWrite::Kind::kDelete);
    deleted.insert(w.key);
  }
  EXPECT_EQ(deleted, (std::set<std::string>{RawHandle(a1.handle), RawHandle(a3.handle)}));
  const auto meta = OfColumn(writes, Column::kMeta);
  ASSERT_EQ(meta.size(), 1u);
  EXPECT_EQ(ReadHeader(meta[0].value).body, "1 session alice * other%20devices except " + a2.handle);
}

TEST_F(SessionDurabilityTest, EvictionWritesTheDeleteItsEventAndTheNewPutUnderOneSeq) {
  SessionStore::Created a1, a2;
  ASSERT_EQ(CreateCapped(kNow, "alice", 1, true, &a1), SessionStore::CreateResult::kOk);
  DrainAll();
  ASSERT_EQ(CreateCapped(kNow + kSecond, "alice", 1, true, &a2), SessionStore::CreateResult::kOk);
  const auto writes = DrainAll();
  ASSERT_EQ(writes.size(), 3u);
  for (const auto& w : writes) EXPECT_EQ(w.seq, writes[0].seq);
  const auto sessions = OfColumn(writes, Column::kSessions);
  ASSERT_EQ(sessions.size(), 2u);
  std::map<std::string, PendingWrite::Kind> kinds;
  for (const auto& w : sessions) kinds[w.key] = w.kind;
  EXPECT_EQ(kinds[RawHandle(a1.handle)], PendingWrite::Kind::kDelete);
  EXPECT_EQ(kinds[RawHandle(a2.handle)], PendingWrite::Kind::kPut);
  const auto meta = OfColumn(writes, Column::kMeta);
  ASSERT_EQ(meta.size(), 1u);
  EXPECT_EQ(ReadHeader(meta[0].value).body, "1 session alice " + a1.handle + " evicted");
}

TEST_F(SessionDurabilityTest, TouchesWithinOneSecondOfTheLastWrittenOneAreCoalesced) {
  const auto c = Create(kNow, "alice", kHour, 24 * kHour);
  DrainAll();
  auto touch_writes = [&](int64_t t) {
    EXPECT_TRUE(store_->Touch(kNow + t, c.id).has_value());
    return DrainAll();
  };
  EXPECT_TRUE(touch_writes(500).empty());
  SessionStore::View v;
  ASSERT_TRUE(store_->Get(kNow + 999, c.id, /*touch=*/true, &v));
  EXPECT_TRUE(DrainAll().empty());
  EXPECT_EQ(v.last_seen_ms, kNow + 999);  // memory slides on every touch
  auto writes = touch_writes(1000);
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(Decode(writes[0]).last_seen_ms, kNow + 1000);
  EXPECT_EQ(ReadHeader(writes[0].value).expiry, kNow + 1000 + kHour);
  EXPECT_TRUE(touch_writes(1500).empty());
  EXPECT_TRUE(touch_writes(1999).empty());
  writes = touch_writes(2000);
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(Decode(writes[0]).last_seen_ms, kNow + 2000);
  writes = touch_writes(60 * kSecond);
  ASSERT_EQ(writes.size(), 1u);
  // A GET without TOUCH never writes.
  ASSERT_TRUE(store_->Get(kNow + 120 * kSecond, c.id, /*touch=*/false, &v));
  EXPECT_TRUE(DrainAll().empty());
  EXPECT_EQ(store_->counters().touches, 7u);
}

TEST_F(SessionDurabilityTest, ReadsRefusalsAndExpiryWriteNothing) {
  const auto c = Create(kNow, "alice", 10 * kSecond, kHour);
  const auto r = store_->Renew(kNow, c.id, kMinute);
  ASSERT_TRUE(r.has_value());
  SessionStore::Created capped;
  ASSERT_EQ(CreateCapped(kNow, "bob", 1, false, &capped), SessionStore::CreateResult::kOk);
  DrainAll();
  SessionStore::Created refused;
  EXPECT_EQ(CreateCapped(kNow, "bob", 1, false, &refused), SessionStore::CreateResult::kLimit);
  EXPECT_TRUE(store_->Get(kNow + kSecond, r->id, false, nullptr));
  store_->List(kNow + kSecond, "alice");
  EXPECT_FALSE(store_->Renew(kNow + kSecond, c.id, 0).has_value());  // the old id, in grace
  EXPECT_FALSE(store_->Revoke(kNow, "s1_unknown", "x"));
  EXPECT_FALSE(store_->RevokeHandle(kNow, "garbage", "x"));
  EXPECT_FALSE(store_->SetData(kNow, "s1_unknown", "x"));
  EXPECT_EQ(store_->RevokeAll(kNow, "nobody", "", "x"), 0u);
  EXPECT_FALSE(Live(kNow + 11 * kSecond, r->id));  // expired: reclaimed lazily, not written
  Create(kNow, "carol", 10 * kSecond, kHour);
  DrainAll();
  EXPECT_EQ(store_->RemoveExpired(kNow + kHour, 100), 1u);
  EXPECT_TRUE(DrainAll().empty());
}

TEST_F(SessionDurabilityTest, DrainTakesOnlyRecordsUpToTheGivenSeq) {
  const auto a = Create(kNow, "alice");
  const uint64_t first = log_->last_seq();
  const auto b = Create(kNow, "alice");
  std::vector<PendingWrite> out;
  store_->Drain(first, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].key, RawHandle(a.handle));
  out.clear();
  store_->Drain(first, &out);
  EXPECT_TRUE(out.empty());
  store_->Drain(log_->last_seq(), &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].key, RawHandle(b.handle));
  EXPECT_GT(out[0].seq, first);
}

// A command that wrote, or read a shard whose newest record is not yet durable, must wait for it.
TEST_F(SessionDurabilityTest, CommandTicketCarriesTheSeqToWaitFor) {
  CommandTicket::Reset();
  const auto c = Create(kNow, "alice");
  const uint64_t created_seq = log_->last_seq();
  EXPECT_EQ(CommandTicket::needed(), created_seq);
  CommandTicket::Reset();
  EXPECT_TRUE(Live(kNow, c.id));
  EXPECT_EQ(CommandTicket::needed(), created_seq) << "a read of a not-yet-durable session";
  log_->MarkDurable(created_seq);
  CommandTicket::Reset();
  EXPECT_TRUE(Live(kNow, c.id));
  EXPECT_EQ(CommandTicket::needed(), 0u) << "a read of a durable session waits for nothing";
  CommandTicket::Reset();
  EXPECT_FALSE(Live(kNow, "s1_unknown"));
  EXPECT_EQ(CommandTicket::needed(), 0u);
  CommandTicket::Reset();
  ASSERT_TRUE(store_->Revoke(kNow, c.id, "x"));
  EXPECT_EQ(CommandTicket::needed(), log_->last_seq());
  EXPECT_GT(log_->last_seq(), created_seq);
}

// Every mutation wakes the committer (so fsync-always replies wait for a commit, not for its timer);
// reads and refusals do not.
TEST_F(SessionDurabilityTest, MutationsNotifyTheCommitter) {
  auto notified_by = [&](auto&& command) {
    const uint64_t before = log_->notified();
    command();
    return log_->notified() - before;
  };
  SessionStore::Created c;
  EXPECT_GE(notified_by([&] { c = Create(kNow, "alice"); }), 1u);
  EXPECT_GE(notified_by([&] { store_->SetData(kNow, c.id, "x"); }), 1u);
  EXPECT_GE(notified_by([&] { store_->Touch(kNow + 2 * kSecond, c.id); }), 1u);
  EXPECT_EQ(notified_by([&] { store_->Touch(kNow + 2 * kSecond + 1, c.id); }), 0u);  // coalesced
  EXPECT_EQ(notified_by([&] { store_->Get(kNow, c.id, false, nullptr); }), 0u);
  EXPECT_EQ(notified_by([&] { store_->List(kNow, "alice"); }), 0u);
  EXPECT_EQ(notified_by([&] { store_->Revoke(kNow, "s1_unknown", "x"); }), 0u);
  std::optional<SessionStore::Renewed> r;
  EXPECT_GE(notified_by([&] { r = store_->Renew(kNow, c.id, 0); }), 1u);
  ASSERT_TRUE(r.has_value());
  EXPECT_GE(notified_by([&] { store_->Revoke(kNow, r->id, "x"); }), 1u);
  Create(kNow, "bob");
  EXPECT_GE(notified_by([&] { store_->RevokeAll(kNow, "bob", "", "x"); }), 1u);
}

// ---- Load ----

class SessionLoadTest : public SessionDurabilityTest {
 protected:
  // The newest record of each key, as RocksDB would hold after applying `writes` in order.
  static std::map<std::string, std::string> Apply(const std::vector<PendingWrite>& writes) {
    std::map<std::string, std::string> disk;
    for (const auto& w : writes) {
      if (w.column != Column::kSessions) continue;
      if (w.kind == PendingWrite::Kind::kPut) {
        disk[w.key] = w.value;
      } else {
        disk.erase(w.key);
      }
    }
    return disk;
  }
};

TEST_F(SessionLoadTest, LoadedRecordsServeGetListHandlesAndGraceIds) {
  const auto a1 = Create(kNow, "alice", kHour, 24 * kHour, "web", "one");
  const auto a2 = Create(kNow + 1, "alice", kHour, 24 * kHour, "cli", "two");
  const auto gone = Create(kNow + 2, "alice");
  const auto b1 = Create(kNow, "bob");
  const auto renewed = store_->Renew(kNow + kSecond, a2.id, kMinute);
  ASSERT_TRUE(renewed.has_value());
  ASSERT_TRUE(store_->Revoke(kNow + kSecond, gone.id, "x"));
  const auto disk = Apply(DrainAll());
  ASSERT_EQ(disk.size(), 3u);

  SessionStore loaded(nullptr, nullptr);
  for (const auto& [key, value] : disk) EXPECT_TRUE(loaded.Load(key, value, kNow + 2 * kSecond));
  const int64_t t = kNow + 2 * kSecond;
  SessionStore::View v;
  ASSERT_TRUE(loaded.Get(t, a1.id, false, &v));
  EXPECT_EQ(v.sub, "alice");
  EXPECT_EQ(v.handle, a1.handle);
  EXPECT_EQ(v.client, "web");
  EXPECT_EQ(v.data, "one");
  EXPECT_EQ(v.created_ms, kNow);
  EXPECT_EQ(v.idle_deadline_ms, kNow + kHour);
  EXPECT_EQ(v.abs_deadline_ms, kNow + 24 * kHour);
  EXPECT_TRUE(loaded.Get(t, renewed->id, false, nullptr));
  EXPECT_TRUE(loaded.Get(t, a2.id, false, nullptr)) << "the old id is still in its grace";
  EXPECT_FALSE(loaded.Get(t, gone.id, false, nullptr));
  const auto views = loaded.List(t, "alice");
  ASSERT_EQ(views.size(), 2u);
  EXPECT_EQ(views[0].handle, a1.handle);
  EXPECT_EQ(views[1].handle, a2.handle);
  EXPECT_EQ(loaded.counters().live, 3u);
  // The routes are rebuilt: by handle, by id, and the grace id until its deadline only.
  EXPECT_TRUE(loaded.Get(kNow + kSecond + kMinute, a2.id, false, nullptr));
  EXPECT_FALSE(loaded.Get(kNow + kSecond + kMinute + 1, a2.id, false, nullptr));
  EXPECT_TRUE(loaded.RevokeHandle(t, b1.handle, "x"));
  EXPECT_FALSE(loaded.Get(t, b1.id, false, nullptr));
  EXPECT_TRUE(loaded.Touch(t, a1.id).has_value());
  EXPECT_TRUE(loaded.Revoke(t, renewed->id, "x"));
  EXPECT_FALSE(loaded.Get(t, renewed->id, false, nullptr));
}

// The creation order survives a reload: sessions of one millisecond LIST in the order they were
// created whatever order they load in, and a session created after the load comes after them.
TEST_F(SessionLoadTest, CreationOrderSurvivesALoad) {
  std::vector<std::string> created;
  for (int i = 0; i < 20; ++i) created.push_back(Create(kNow, "alice").handle);
  const auto disk = Apply(DrainAll());
  std::vector<std::pair<std::string, std::string>> records(disk.begin(), disk.end());
  std::reverse(records.begin(), records.end());
  SessionStore loaded(nullptr, nullptr);
  for (const auto& [key, value] : records) ASSERT_TRUE(loaded.Load(key, value, kNow));
  SessionStore::CreateOptions o;
  o.sub = "alice";
  o.idle_ms = kHour;
  o.abs_ms = kHour;
  SessionStore::Created after;
  ASSERT_EQ(loaded.Create(kNow, o, &after), SessionStore::CreateResult::kOk);
  created.push_back(after.handle);
  std::vector<std::string> listed;
  for (const auto& v : loaded.List(kNow, "alice")) listed.push_back(v.handle);
  EXPECT_EQ(listed, created);
}

TEST_F(SessionLoadTest, ExpiredRecordsAreRejected) {
  const auto idle = Create(kNow, "alice", 10 * kSecond, kHour);
  const auto abs = Create(kNow, "bob", kHour, 20 * kSecond);
  const auto disk = Apply(DrainAll());
  const std::string& idle_value = disk.at(RawHandle(idle.handle));
  const std::string& abs_value = disk.at(RawHandle(abs.handle));
  {
    SessionStore at_deadline(nullptr, nullptr);
    EXPECT_TRUE(at_deadline.Load(RawHandle(idle.handle), idle_value, kNow + 10 * kSecond));
    EXPECT_TRUE(at_deadline.Load(RawHandle(abs.handle), abs_value, kNow + 20 * kSecond));
  }
  SessionStore later(nullptr, nullptr);
  EXPECT_FALSE(later.Load(RawHandle(idle.handle), idle_value, kNow + 10 * kSecond + 1));
  EXPECT_FALSE(later.Load(RawHandle(abs.handle), abs_value, kNow + 20 * kSecond + 1));
  EXPECT_FALSE(later.Get(kNow, idle.id, false, nullptr));
  EXPECT_FALSE(later.Get(kNow, abs.id, false, nullptr));
  EXPECT_EQ(later.counters().live, 0u);
}

TEST_F(SessionLoadTest, MalformedRecordsAreRejected) {
  const auto c = Create(kNow, "alice");
  const std::string key = RawHandle(c.handle);
  const std::string good = Apply(DrainAll()).at(key);
  SessionStore loaded(nullptr, nullptr);
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(loaded.Load(key, good.substr(0, n), kNow)) << "truncated to " << n;
  }
  std::string wrong_type = good;
  wrong_type[1] = 0;  // a generic string value
  EXPECT_FALSE(loaded.Load(key, wrong_type, kNow));
  std::string wrong_version = good;
  wrong_version[0] = 99;
  EXPECT_FALSE(loaded.Load(key, wrong_version, kNow));
  // Hashes of the wrong length: the id hash is stored length-prefixed (varint 32), followed by the
  // grace hash (empty: varint 0); splice other lengths in.
  const std::string hash(DigestBytes(Sha256(c.id)));
  const size_t at = good.find(hash);
  ASSERT_NE(at, std::string::npos);
  ASSERT_EQ(good[at - 1], '\x20');
  ASSERT_EQ(good[at + 32], '\0');
  const std::string before = good.substr(0, at - 1), after_grace = good.substr(at + 33);
  const std::string bad[] = {
      before + '\x1f' + hash.substr(0, 31) + '\0' + after_grace,  // 31-byte id hash
      before + '\x21' + hash + 'x' + '\0' + after_grace,          // 33-byte id hash
      before + '\0' + '\0' + after_grace,                         // empty id hash
      before + '\x20' + hash + '\x05' + "short" + after_grace,    // 5-byte grace hash
  };
  SessionStore fresh(nullptr, nullptr);
  for (const std::string& value : bad) EXPECT_FALSE(fresh.Load(key, value, kNow));
  EXPECT_EQ(fresh.counters().live, 0u);
  EXPECT_FALSE(fresh.Get(kNow, c.id, false, nullptr));
  // The record they were made from is fine.
  EXPECT_TRUE(fresh.Load(key, good, kNow));
  EXPECT_TRUE(fresh.Get(kNow, c.id, false, nullptr));
}

TEST_F(SessionLoadTest, LoadedSessionsExpireAndAreReclaimed) {
  const auto c = Create(kNow, "alice", 10 * kSecond, kHour);
  const auto disk = Apply(DrainAll());
  SessionStore loaded(nullptr, nullptr);
  ASSERT_TRUE(loaded.Load(disk.begin()->first, disk.begin()->second, kNow + kSecond));
  EXPECT_EQ(loaded.RemoveExpired(kNow + 10 * kSecond, 100), 0u);
  EXPECT_EQ(loaded.RemoveExpired(kNow + 10 * kSecond + 1, 100), 1u);
  EXPECT_FALSE(loaded.Get(kNow + kSecond, c.id, false, nullptr));
  EXPECT_TRUE(loaded.List(kNow + kSecond, "alice").empty());
}

}  // namespace
}  // namespace latchkey
