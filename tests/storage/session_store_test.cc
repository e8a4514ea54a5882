// SessionStore semantics (SPEC §3) at explicit clock values, one session at a time: CREATE, GET [TOUCH],
// TOUCH, SETDATA, RENEW, REVOKE. Per-subject commands, expiry and events are in
// session_store_index_test.cc; records, loading, undo and concurrency in session_store_durability_test.cc.
#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "session_test_util.h"
#include "storage/event_log.h"
#include "storage/secrets.h"
#include "storage/session_store.h"

namespace latchkey {
namespace {

using session_test::kHour;
using session_test::kMinute;
using session_test::kNow;
using session_test::kSecond;

class SessionStoreTest : public session_test::SessionStoreFixture {};

// ---- CREATE ----

TEST_F(SessionStoreTest, CreateIdIsS1PrefixAndBase64UrlOf32Bytes) {
  const auto c = Create(kNow, "alice");
  ASSERT_EQ(c.id.size(), 3u + 43u);
  EXPECT_EQ(c.id.substr(0, 3), "s1_");
  auto raw = Base64UrlDecode(c.id.substr(3));
  ASSERT_TRUE(raw.has_value()) << c.id;
  EXPECT_EQ(raw->size(), 32u);
  ASSERT_EQ(c.handle.size(), 16u);
  auto raw_handle = Base64UrlDecode(c.handle);
  ASSERT_TRUE(raw_handle.has_value()) << c.handle;
  EXPECT_EQ(raw_handle->size(), 12u);
}

TEST_F(SessionStoreTest, CreateIdsAndHandlesAreUniqueOverManyCreations) {
  constexpr int kCount = 5000;
  std::set<std::string> ids, handles;
  for (int i = 0; i < kCount; ++i) {
    const auto c = Create(kNow, test_util::Key("user", i % 50));
    ASSERT_EQ(c.id.size(), 46u);
    ASSERT_EQ(c.handle.size(), 16u);
    ids.insert(c.id);
    handles.insert(c.handle);
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(kCount));
  EXPECT_EQ(handles.size(), static_cast<size_t>(kCount));
  EXPECT_EQ(store_->counters().live, static_cast<uint64_t>(kCount));
  EXPECT_EQ(store_->counters().created, static_cast<uint64_t>(kCount));
}

TEST_F(SessionStoreTest, CreateIdleDeadlineIsMinOfNowPlusIdleAndAbsolute) {
  const auto shorter_idle = Create(kNow, "alice", 30 * kMinute, 24 * kHour);
  EXPECT_EQ(shorter_idle.idle_deadline_ms, kNow + 30 * kMinute);
  EXPECT_EQ(shorter_idle.abs_deadline_ms, kNow + 24 * kHour);
  const auto longer_idle = Create(kNow, "bob", 2 * kHour, kHour);
  EXPECT_EQ(longer_idle.idle_deadline_ms, kNow + kHour);
  EXPECT_EQ(longer_idle.abs_deadline_ms, kNow + kHour);
  EXPECT_EQ(View(kNow, shorter_idle.id).idle_deadline_ms, kNow + 30 * kMinute);
  EXPECT_EQ(View(kNow, longer_idle.id).idle_deadline_ms, kNow + kHour);
}

TEST_F(SessionStoreTest, CreateStoresSubjectClientDataAndTimes) {
  const auto c = Create(kNow, "alice", kHour, 24 * kHour, "mobile", std::string("blob\0with nul", 13));
  const auto v = View(kNow + kSecond, c.id);
  EXPECT_EQ(v.sub, "alice");
  EXPECT_EQ(v.handle, c.handle);
  EXPECT_EQ(v.client, "mobile");
  EXPECT_EQ(v.data, std::string("blob\0with nul", 13));
  EXPECT_EQ(v.created_ms, kNow);
  EXPECT_EQ(v.last_seen_ms, kNow);
  EXPECT_EQ(v.idle_deadline_ms, kNow + kHour);
  EXPECT_EQ(v.abs_deadline_ms, kNow + 24 * kHour);
}

// ---- GET ----

TEST_F(SessionStoreTest, GetOfUnknownIdIsFalse) {
  Create(kNow, "alice");
  SessionStore::View v;
  EXPECT_FALSE(store_->Get(kNow, "s1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", false, &v));
  EXPECT_FALSE(store_->Get(kNow, "", true, &v));
  EXPECT_FALSE(store_->Get(kNow, "garbage", false, nullptr));
}

TEST_F(SessionStoreTest, GetAfterIdleDeadlineIsFalse) {
  const auto c = Create(kNow, "alice", 10 * kSecond, kHour);
  EXPECT_TRUE(Live(kNow + 5 * kSecond, c.id));
  SessionStore::View v;
  EXPECT_FALSE(store_->Get(kNow + 10 * kSecond + 1, c.id, /*touch=*/true, &v));
  EXPECT_FALSE(Live(kNow + 10 * kSecond + 1, c.id));
  EXPECT_FALSE(Live(kNow + kHour, c.id));
}

TEST_F(SessionStoreTest, GetAtDeadlineEqualToNowIsStillLive) {
  const auto idle_bound = Create(kNow, "alice", 10 * kSecond, kHour);
  const auto abs_bound = Create(kNow, "bob", kHour, 10 * kSecond);
  EXPECT_TRUE(Live(kNow + 10 * kSecond, idle_bound.id));
  EXPECT_TRUE(Live(kNow + 10 * kSecond, abs_bound.id));
  EXPECT_FALSE(Live(kNow + 10 * kSecond + 1, idle_bound.id));
  EXPECT_FALSE(Live(kNow + 10 * kSecond + 1, abs_bound.id));
}

TEST_F(SessionStoreTest, GetWithoutTouchDoesNotSlideTheIdleDeadline) {
  const auto c = Create(kNow, "alice", 10 * kSecond, kHour);
  const auto v = View(kNow + 8 * kSecond, c.id);
  EXPECT_EQ(v.last_seen_ms, kNow);
  EXPECT_EQ(v.idle_deadline_ms, kNow + 10 * kSecond);
  EXPECT_FALSE(Live(kNow + 10 * kSecond + 1, c.id));
}

TEST_F(SessionStoreTest, GetTouchSlidesIdleDeadlineButNeverPastAbsolute) {
  const auto c = Create(kNow, "alice", 10 * kSecond, 25 * kSecond);
  SessionStore::View v;
  ASSERT_TRUE(store_->Get(kNow + 8 * kSecond, c.id, /*touch=*/true, &v));
  EXPECT_EQ(v.last_seen_ms, kNow + 8 * kSecond);
  EXPECT_EQ(v.idle_deadline_ms, kNow + 18 * kSecond);
  EXPECT_TRUE(Live(kNow + 18 * kSecond, c.id));  // past the original idle deadline
  ASSERT_TRUE(store_->Get(kNow + 16 * kSecond, c.id, /*touch=*/true, &v));
  EXPECT_EQ(v.idle_deadline_ms, kNow + 25 * kSecond);  // capped: 16 + 10 > 25
  EXPECT_EQ(v.abs_deadline_ms, kNow + 25 * kSecond);
  EXPECT_TRUE(Live(kNow + 25 * kSecond, c.id));
  EXPECT_FALSE(Live(kNow + 25 * kSecond + 1, c.id));
}

TEST_F(SessionStoreTest, SessionTouchedInTimeLivesUntilAbsoluteDeadlineThenIsNull) {
  const auto c = Create(kNow, "alice", 10 * kSecond, 60 * kSecond);
  for (int64_t t = 9 * kSecond; t <= 60 * kSecond; t += 9 * kSecond) {
    ASSERT_TRUE(store_->Touch(kNow + t, c.id).has_value()) << t;
  }
  EXPECT_TRUE(Live(kNow + 60 * kSecond, c.id));
  EXPECT_FALSE(store_->Touch(kNow + 60 * kSecond + 1, c.id).has_value());
  EXPECT_FALSE(Live(kNow + 60 * kSecond + 1, c.id));
}

// ---- TOUCH ----

TEST_F(SessionStoreTest, TouchReturnsMillisecondsLeft) {
  const auto c = Create(kNow, "alice", 10 * kSecond, 60 * kSecond);
  EXPECT_EQ(store_->Touch(kNow + 4 * kSecond, c.id), 10 * kSecond);
  EXPECT_EQ(store_->Touch(kNow + 13 * kSecond, c.id), 10 * kSecond);
  EXPECT_EQ(store_->Touch(kNow + 22 * kSecond, c.id), 10 * kSecond);
  EXPECT_EQ(store_->Touch(kNow + 31 * kSecond, c.id), 10 * kSecond);
  EXPECT_EQ(store_->Touch(kNow + 40 * kSecond, c.id), 10 * kSecond);
  EXPECT_EQ(store_->Touch(kNow + 49 * kSecond, c.id), 10 * kSecond);
  EXPECT_EQ(store_->Touch(kNow + 55 * kSecond, c.id), 5 * kSecond);  // the absolute deadline bounds it
  EXPECT_EQ(store_->Touch(kNow + 60 * kSecond, c.id), 0);
  EXPECT_EQ(store_->Touch(kNow + 60 * kSecond + 1, c.id), std::nullopt);
}

TEST_F(SessionStoreTest, TouchOfUnknownIdIsNullopt) {
  EXPECT_EQ(store_->Touch(kNow, "s1_nope"), std::nullopt);
}

// ---- SETDATA ----

TEST_F(SessionStoreTest, SetDataChangesOnlyTheDataOfALiveSession) {
  const auto c = Create(kNow, "alice", kHour, 24 * kHour, "web", "old");
  EXPECT_TRUE(store_->SetData(kNow + kSecond, c.id, "new"));
  const auto v = View(kNow + kSecond, c.id);
  EXPECT_EQ(v.data, "new");
  EXPECT_EQ(v.sub, "alice");
  EXPECT_EQ(v.client, "web");
  EXPECT_EQ(v.handle, c.handle);
  EXPECT_EQ(v.created_ms, kNow);
  EXPECT_EQ(v.abs_deadline_ms, kNow + 24 * kHour);
  EXPECT_FALSE(store_->SetData(kNow, "s1_unknown", "x"));
}

TEST_F(SessionStoreTest, SetDataNeverResurrectsARevokedSessionAndWritesNothing) {
  Init(/*with_log=*/true, /*with_events=*/true);
  const auto c = Create(kNow, "alice");
  ASSERT_TRUE(store_->Revoke(kNow, c.id, "logout"));
  DrainAll();
  EXPECT_FALSE(store_->SetData(kNow + kSecond, c.id, "zombie"));
  EXPECT_TRUE(DrainAll().empty());
  EXPECT_FALSE(Live(kNow + kSecond, c.id));
  EXPECT_TRUE(store_->List(kNow + kSecond, "alice").empty());
  EXPECT_EQ(store_->counters().live, 0u);
}

TEST_F(SessionStoreTest, SetDataNeverResurrectsAnExpiredSessionAndWritesNothing) {
  Init(/*with_log=*/true, /*with_events=*/true);
  const auto c = Create(kNow, "alice", 10 * kSecond, kHour);
  DrainAll();
  EXPECT_FALSE(store_->SetData(kNow + 10 * kSecond + 1, c.id, "zombie"));
  EXPECT_TRUE(DrainAll().empty());
  EXPECT_FALSE(Live(kNow + 10 * kSecond + 1, c.id));
  EXPECT_FALSE(Live(kNow, c.id)) << "an expired session was reclaimed; an earlier clock cannot bring it back";
  EXPECT_TRUE(store_->List(kNow, "alice").empty());
}

// ---- RENEW ----

TEST_F(SessionStoreTest, RenewNewIdWorksAndOldIdOnlyDuringGrace) {
  const auto c = Create(kNow, "alice");
  const auto r = store_->Renew(kNow + kSecond, c.id, 30 * kSecond);
  ASSERT_TRUE(r.has_value());
  EXPECT_NE(r->id, c.id);
  EXPECT_EQ(r->id.size(), 46u);
  EXPECT_EQ(r->id.substr(0, 3), "s1_");
  EXPECT_TRUE(Live(kNow + kSecond, r->id));
  EXPECT_TRUE(Live(kNow + kSecond, c.id));
  EXPECT_TRUE(Live(kNow + 31 * kSecond, c.id));  // grace deadline == now: still accepted
  EXPECT_FALSE(Live(kNow + 31 * kSecond + 1, c.id));
  EXPECT_TRUE(Live(kNow + 31 * kSecond + 1, r->id));
}

TEST_F(SessionStoreTest, RenewWithZeroGraceKillsTheOldIdAtOnce) {
  const auto c = Create(kNow, "alice");
  const auto r = store_->Renew(kNow, c.id, 0);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(Live(kNow, c.id));
  EXPECT_FALSE(store_->Touch(kNow, c.id).has_value());
  EXPECT_FALSE(store_->Revoke(kNow, c.id, "x"));
  EXPECT_TRUE(Live(kNow, r->id));
}

TEST_F(SessionStoreTest, RenewWithTheOldIdInGraceIsRefused) {
  const auto c = Create(kNow, "alice");
  const auto r = store_->Renew(kNow, c.id, 30 * kSecond);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(store_->Renew(kNow + kSecond, c.id, 30 * kSecond).has_value());
  // The refused attempt changed nothing: both ids still open the session.
  EXPECT_TRUE(Live(kNow + 2 * kSecond, c.id));
  EXPECT_TRUE(Live(kNow + 2 * kSecond, r->id));
  EXPECT_EQ(store_->List(kNow + 2 * kSecond, "alice").size(), 1u);
}

TEST_F(SessionStoreTest, RenewingTwiceDropsTheFirstIdEvenWithinItsGrace) {
  const auto c = Create(kNow, "alice");
  const auto r1 = store_->Renew(kNow, c.id, kMinute);
  ASSERT_TRUE(r1.has_value());
  const auto r2 = store_->Renew(kNow + kSecond, r1->id, kMinute);
  ASSERT_TRUE(r2.has_value());
  EXPECT_FALSE(Live(kNow + 2 * kSecond, c.id));
  EXPECT_TRUE(Live(kNow + 2 * kSecond, r1->id));
  EXPECT_TRUE(Live(kNow + 2 * kSecond, r2->id));
  EXPECT_EQ(r1->handle, c.handle);
  EXPECT_EQ(r2->handle, c.handle);
}

TEST_F(SessionStoreTest, RenewKeepsTheHandleAndEverythingElse) {
  const auto c = Create(kNow, "alice", kHour, 24 * kHour, "web", "payload");
  const auto r = store_->Renew(kNow + kSecond, c.id, 0);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->handle, c.handle);
  const auto v = View(kNow + kSecond, r->id);
  EXPECT_EQ(v.handle, c.handle);
  EXPECT_EQ(v.sub, "alice");
  EXPECT_EQ(v.client, "web");
  EXPECT_EQ(v.data, "payload");
  EXPECT_EQ(v.created_ms, kNow);
  EXPECT_EQ(v.abs_deadline_ms, kNow + 24 * kHour);
  EXPECT_EQ(ListHandles(kNow + kSecond, "alice"), std::vector<std::string>{c.handle});
  EXPECT_TRUE(store_->RevokeHandle(kNow + kSecond, c.handle, "x"));
  EXPECT_FALSE(Live(kNow + kSecond, r->id));
}

TEST_F(SessionStoreTest, RenewOfADeadSessionIsNullopt) {
  EXPECT_FALSE(store_->Renew(kNow, "s1_unknown", 0).has_value());
  const auto expired = Create(kNow, "alice", 10 * kSecond, kHour);
  EXPECT_FALSE(store_->Renew(kNow + 10 * kSecond + 1, expired.id, 0).has_value());
  const auto revoked = Create(kNow, "bob");
  ASSERT_TRUE(store_->Revoke(kNow, revoked.id, "x"));
  EXPECT_FALSE(store_->Renew(kNow, revoked.id, 0).has_value());
  EXPECT_EQ(store_->counters().live, 0u);
}

// ---- REVOKE ----

TEST_F(SessionStoreTest, RevokeByIdIsTrueOnceThenFalse) {
  const auto c = Create(kNow, "alice");
  EXPECT_TRUE(store_->Revoke(kNow + kSecond, c.id, "logout"));
  EXPECT_FALSE(store_->Revoke(kNow + kSecond, c.id, "logout"));
  EXPECT_FALSE(store_->RevokeHandle(kNow + kSecond, c.handle, "logout"));
  EXPECT_EQ(store_->counters().revoked, 1u);
}

TEST_F(SessionStoreTest, RevokeByHandleIsTrueOnceThenFalse) {
  const auto c = Create(kNow, "alice");
  EXPECT_TRUE(store_->RevokeHandle(kNow + kSecond, c.handle, "admin"));
  EXPECT_FALSE(store_->RevokeHandle(kNow + kSecond, c.handle, "admin"));
  EXPECT_FALSE(store_->Revoke(kNow + kSecond, c.id, "admin"));
  EXPECT_EQ(store_->counters().revoked, 1u);
}

TEST_F(SessionStoreTest, RevokedSessionIsGoneForGetTouchSetDataRenewAndList) {
  const auto gone = Create(kNow, "alice");
  const auto kept = Create(kNow + 1, "alice");
  ASSERT_TRUE(store_->Revoke(kNow + kSecond, gone.id, "logout"));
  SessionStore::View v;
  EXPECT_FALSE(store_->Get(kNow + kSecond, gone.id, false, &v));
  EXPECT_FALSE(store_->Get(kNow + kSecond, gone.id, true, &v));
  EXPECT_FALSE(store_->Touch(kNow + kSecond, gone.id).has_value());
  EXPECT_FALSE(store_->SetData(kNow + kSecond, gone.id, "x"));
  EXPECT_FALSE(store_->Renew(kNow + kSecond, gone.id, kMinute).has_value());
  EXPECT_EQ(ListHandles(kNow + kSecond, "alice"), std::vector<std::string>{kept.handle});
  EXPECT_TRUE(Live(kNow + kSecond, kept.id));
  EXPECT_EQ(store_->counters().live, 1u);
}

TEST_F(SessionStoreTest, RevokeHandleWithWrongOrGarbageHandleIsFalse) {
  const auto c = Create(kNow, "alice");
  std::string standard_alphabet = c.handle;
  standard_alphabet[3] = '+';
  const std::string bad[] = {
      "",
      "!!!!!!!!!!!!!!!!",
      "AAAAAAAAAAAAAAAA",      // well-formed, unknown
      c.handle + "==",         // padded
      c.handle.substr(0, 15),  // truncated (a 4k+3 length decodes to 11 bytes)
      c.handle.substr(0, 12),  // 9 bytes
      c.handle + "AAAA",       // 15 bytes
      c.id,                    // the secret is not a handle
      c.id.substr(3),          // 32 bytes
      standard_alphabet,
  };
  for (const std::string& handle : bad) {
    EXPECT_FALSE(store_->RevokeHandle(kNow, handle, "x")) << handle;
  }
  EXPECT_TRUE(Live(kNow, c.id));
  EXPECT_TRUE(store_->RevokeHandle(kNow, c.handle, "x"));
}

TEST_F(SessionStoreTest, RevokeOfAnExpiredSessionIsFalseAndSilent) {
  const auto by_id = Create(kNow, "alice", 10 * kSecond, kHour);
  const auto by_handle = Create(kNow, "alice", 10 * kSecond, kHour);
  EXPECT_FALSE(store_->Revoke(kNow + 10 * kSecond + 1, by_id.id, "x"));
  EXPECT_FALSE(store_->RevokeHandle(kNow + 10 * kSecond + 1, by_handle.handle, "x"));
  EXPECT_TRUE(recorder_.messages().empty());
  EXPECT_EQ(store_->counters().revoked, 0u);
}

}  // namespace
}  // namespace latchkey
