// SessionStore under concurrent commands on shared sessions, with a drainer standing in for the
// commit thread: no resurrection, and memory, LIST, counters, events and records agree at the end.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "session_test_util.h"
#include "storage/secrets.h"
#include "storage/session_record.h"
#include "storage/session_store.h"

namespace latchkey {
namespace {

using session_test::Decode;
using session_test::kNow;
using session_test::kSecond;
using session_test::RawHandle;

class SessionConcurrencyTest : public session_test::SessionStoreFixture {
 protected:
  void SetUp() override { Init(/*with_log=*/true, /*with_events=*/true); }
};

// 8 threads revoke, touch, renew, set data, list and get the same 64 sessions while a ninth drains
// records as the commit thread would. Checked throughout: a session revoked before an operation
// started is never seen by it, and is revoked once. At the end: GET of each current id agrees with
// what was revoked, LIST agrees with GET, the counters agree, the events are numbered 1..n in order,
// and the newest record of every session matches memory.
TEST_F(SessionConcurrencyTest, ConcurrentOperationsNeverResurrectAndListAgreesWithGet) {
  constexpr int kSubjects = 4, kPerSubject = 16, kThreads = 8, kOps = 10000;
  struct Slot {
    std::mutex mu;
    std::string id;                    // current id
    std::vector<std::string> all_ids;  // every id it ever had
    std::string handle, sub;
    std::atomic<bool> revoked{false};
  };
  std::deque<Slot> slots;
  std::map<std::string, Slot*> by_handle;
  for (int s = 0; s < kSubjects; ++s) {
    for (int i = 0; i < kPerSubject; ++i) {
      Slot& slot = slots.emplace_back();
      slot.sub = test_util::Key("user", s);
      const auto c = Create(kNow + i, slot.sub);
      slot.id = c.id;
      slot.all_ids.push_back(c.id);
      slot.handle = c.handle;
      by_handle[c.handle] = &slot;
    }
  }
  std::atomic<int64_t> clock{kNow + kSecond};
  std::atomic<bool> done{false};
  std::atomic<int> revocations{0};
  std::vector<PendingWrite> records;
  std::thread drainer([&] {
    while (!done.load()) {
      store_->Drain(log_->last_seq(), &records);
      std::this_thread::yield();
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t) + 1);
      for (int op = 0; op < kOps; ++op) {
        Slot& slot = slots[rng() % slots.size()];
        std::string id;
        {
          std::lock_guard lock(slot.mu);
          // Mostly the current id; sometimes an older one (in grace, or dead).
          id = rng() % 8 == 0 ? slot.all_ids[rng() % slot.all_ids.size()] : slot.id;
        }
        const int64_t now = clock.fetch_add(1);
        const bool was_revoked = slot.revoked.load();
        const unsigned dice = rng() % 2000;
        if (dice < 1) {
          if (store_->Revoke(now, id, "r")) {
            EXPECT_FALSE(slot.revoked.exchange(true)) << "revoked twice";
            ++revocations;
          }
        } else if (dice < 2) {
          if (store_->RevokeHandle(now, slot.handle, "r")) {
            EXPECT_FALSE(slot.revoked.exchange(true)) << "revoked twice";
            ++revocations;
          }
        } else if (dice < 200) {
          const auto renewed = store_->Renew(now, id, rng() % 2 == 0 ? 0 : 50);
          if (renewed) {
            EXPECT_FALSE(was_revoked) << "a revoked session renewed";
            EXPECT_EQ(renewed->handle, slot.handle);
            std::lock_guard lock(slot.mu);
            slot.id = renewed->id;
            slot.all_ids.push_back(renewed->id);
          }
        } else if (dice < 400) {
          EXPECT_FALSE(store_->SetData(now, id, test_util::Key("d", op)) && was_revoked) << "resurrected";
        } else if (dice < 500) {
          std::set<std::string> revoked_before;
          for (auto& [handle, other] : by_handle) {
            if (other->sub == slot.sub && other->revoked.load()) revoked_before.insert(handle);
          }
          for (const auto& v : store_->List(now, slot.sub)) {
            EXPECT_EQ(revoked_before.count(v.handle), 0u) << "LIST shows a revoked session";
          }
        } else if (dice < 1200) {
          EXPECT_FALSE(store_->Touch(now, id).has_value() && was_revoked) << "resurrected";
        } else {
          SessionStore::View v;
          const bool live = store_->Get(now, id, rng() % 2 == 0, &v);
          EXPECT_FALSE(live && was_revoked) << "resurrected";
          if (live) {
            EXPECT_EQ(v.handle, slot.handle);
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  done = true;
  drainer.join();
  store_->Drain(UINT64_MAX, &records);

  const int64_t end = clock.load();
  std::map<std::string, std::set<std::string>> live_by_sub;
  uint64_t live = 0;
  for (Slot& slot : slots) {
    SessionStore::View v;
    const bool is_live = store_->Get(end, slot.id, false, &v);
    EXPECT_EQ(is_live, !slot.revoked.load()) << slot.handle;
    if (slot.revoked.load()) {
      for (const std::string& id : slot.all_ids) EXPECT_FALSE(store_->Get(end, id, false, nullptr));
    }
    if (is_live) {
      live_by_sub[slot.sub].insert(slot.handle);
      ++live;
    }
  }
  for (int s = 0; s < kSubjects; ++s) {
    const std::string sub = test_util::Key("user", s);
    std::set<std::string> listed;
    for (const auto& v : store_->List(end, sub)) listed.insert(v.handle);
    EXPECT_EQ(listed, live_by_sub[sub]) << sub;
  }
  EXPECT_EQ(store_->counters().live, live);
  EXPECT_EQ(store_->counters().revoked, static_cast<uint64_t>(revocations.load()));
  EXPECT_GT(revocations.load(), 0);
  EXPECT_GT(live, 0u);

  const auto messages = recorder_.messages();
  ASSERT_EQ(messages.size(), static_cast<size_t>(revocations.load()));
  for (size_t i = 0; i < messages.size(); ++i) {
    EXPECT_EQ(messages[i].substr(0, messages[i].find(' ')), std::to_string(i + 1));
  }

  // What RocksDB would hold after applying the records in sequence order matches memory.
  std::stable_sort(records.begin(), records.end(),
                   [](const PendingWrite& a, const PendingWrite& b) { return a.seq < b.seq; });
  std::map<std::string, const PendingWrite*> newest;
  for (const auto& w : records) {
    if (w.column == Column::kSessions) newest[w.key] = &w;
  }
  for (Slot& slot : slots) {
    const PendingWrite* w = newest[RawHandle(slot.handle)];
    ASSERT_NE(w, nullptr);
    if (slot.revoked.load()) {
      EXPECT_EQ(w->kind, PendingWrite::Kind::kDelete) << slot.handle;
      continue;
    }
    ASSERT_EQ(w->kind, PendingWrite::Kind::kPut) << slot.handle;
    const StoredSession on_disk = Decode(*w);
    EXPECT_EQ(on_disk.id_hash, Sha256(slot.id)) << slot.handle;
    EXPECT_EQ(on_disk.data, View(end, slot.id).data) << slot.handle;
  }
}

}  // namespace
}  // namespace latchkey
