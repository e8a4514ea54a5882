// SessionStore per subject and over time (SPEC §3): LIST, REVOKEALL, the MAXPERSUB cap, active expiry
// (RemoveExpired), and the events revocations publish, plus EventLog on its own.
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

class SessionIndexTest : public session_test::SessionStoreFixture {};

// ---- LIST ----

TEST_F(SessionIndexTest, ListShowsOnlyLiveSessionsOldestFirstWithoutIds) {
  // Created out of clock order, so the order LIST shows can only come from the creation times.
  const auto a5 = Create(kNow + 4 * kSecond, "alice", kHour, 24 * kHour, "web", "five");
  const auto a1 = Create(kNow, "alice", kHour, 24 * kHour, "web", "one");
  const auto a3 = Create(kNow + 2 * kSecond, "alice", kHour, 24 * kHour, "cli", "three");
  const auto a2 = Create(kNow + kSecond, "alice", 10 * kSecond, 24 * kHour);  // expires
  const auto a4 = Create(kNow + 3 * kSecond, "alice");                        // revoked
  const auto b1 = Create(kNow, "bob");
  ASSERT_TRUE(store_->Revoke(kNow + 5 * kSecond, a4.id, "x"));
  const auto views = store_->List(kNow + kMinute, "alice");
  ASSERT_EQ(views.size(), 3u);
  EXPECT_EQ(views[0].handle, a1.handle);
  EXPECT_EQ(views[1].handle, a3.handle);
  EXPECT_EQ(views[2].handle, a5.handle);
  EXPECT_EQ(views[0].data, "one");
  EXPECT_EQ(views[1].client, "cli");
  EXPECT_EQ(views[2].created_ms, kNow + 4 * kSecond);
  for (const auto& v : views) {
    EXPECT_EQ(v.sub, "alice");
    for (const auto* c : {&a1, &a2, &a3, &a4, &a5, &b1}) {
      for (const std::string& field : {v.sub, v.handle, v.client, v.data}) {
        EXPECT_FALSE(session_test::Contains(field, c->id.substr(3))) << "a view shows a secret id";
      }
    }
  }
  EXPECT_EQ(ListHandles(kNow + kMinute, "bob"), std::vector<std::string>{b1.handle});
}

// "Oldest first" holds within one millisecond too: the order of creation.
TEST_F(SessionIndexTest, ListBreaksSameMillisecondTiesByCreationOrder) {
  std::vector<std::string> created;
  for (int i = 0; i < 40; ++i) created.push_back(Create(kNow, "alice").handle);
  EXPECT_EQ(ListHandles(kNow, "alice"), created);
}

TEST_F(SessionIndexTest, ListOfAnUnknownSubjectIsEmpty) {
  Create(kNow, "alice");
  EXPECT_TRUE(store_->List(kNow, "nobody").empty());
  EXPECT_TRUE(store_->List(kNow, "").empty());
}

TEST_F(SessionIndexTest, ListReclaimsExpiredSessionsFromTheIndex) {
  for (int i = 0; i < 3; ++i) Create(kNow + i, "alice", 10 * kSecond, kHour);
  const auto lasting = Create(kNow, "alice");
  EXPECT_EQ(store_->counters().live, 4u);
  EXPECT_EQ(ListHandles(kNow + 11 * kSecond, "alice"), std::vector<std::string>{lasting.handle});
  EXPECT_EQ(store_->counters().live, 1u);
  EXPECT_EQ(store_->counters().expired, 3u);
  // All expired: the subject's index empties, and the counters agree.
  ASSERT_TRUE(store_->Revoke(kNow + 11 * kSecond, lasting.id, "x"));
  for (int i = 0; i < 2; ++i) Create(kNow + 11 * kSecond, "alice", 10 * kSecond, kHour);
  EXPECT_TRUE(store_->List(kNow + 22 * kSecond, "alice").empty());
  EXPECT_EQ(store_->counters().live, 0u);
  EXPECT_EQ(store_->counters().expired, 5u);
}

// ---- REVOKEALL ----

TEST_F(SessionIndexTest, RevokeAllRevokesEveryLiveSessionOfTheSubjectWithOneEvent) {
  const auto a1 = Create(kNow, "alice");
  const auto a2 = Create(kNow + 1, "alice");
  const auto a3 = Create(kNow + 2, "alice");
  const auto b1 = Create(kNow, "bob");
  EXPECT_EQ(store_->RevokeAll(kNow + kSecond, "alice", "", "logout"), 3u);
  for (const auto* c : {&a1, &a2, &a3}) EXPECT_FALSE(Live(kNow + kSecond, c->id));
  EXPECT_TRUE(Live(kNow + kSecond, b1.id));
  EXPECT_TRUE(store_->List(kNow + kSecond, "alice").empty());
  EXPECT_EQ(recorder_.messages(), std::vector<std::string>{"1 session alice * logout"});
  EXPECT_EQ(store_->counters().revoked, 3u);
  EXPECT_EQ(store_->counters().live, 1u);
}

TEST_F(SessionIndexTest, RevokeAllExceptKeepsThatSession) {
  const auto a1 = Create(kNow, "alice");
  const auto a2 = Create(kNow + 1, "alice");
  const auto a3 = Create(kNow + 2, "alice");
  EXPECT_EQ(store_->RevokeAll(kNow + kSecond, "alice", a2.handle, "other-devices"), 2u);
  EXPECT_FALSE(Live(kNow + kSecond, a1.id));
  EXPECT_TRUE(Live(kNow + kSecond, a2.id));
  EXPECT_FALSE(Live(kNow + kSecond, a3.id));
  EXPECT_EQ(ListHandles(kNow + kSecond, "alice"), std::vector<std::string>{a2.handle});
  EXPECT_EQ(recorder_.messages(),
            std::vector<std::string>{"1 session alice * other-devices except " + a2.handle});
}

TEST_F(SessionIndexTest, RevokeAllExceptAnotherSubjectsHandleRevokesEverything) {
  Create(kNow, "alice");
  Create(kNow, "alice");
  const auto b1 = Create(kNow, "bob");
  EXPECT_EQ(store_->RevokeAll(kNow, "alice", b1.handle, "x"), 2u);
  EXPECT_TRUE(Live(kNow, b1.id));
}

TEST_F(SessionIndexTest, RevokeAllDoesNotCountExpiredSessions) {
  Create(kNow, "alice", 10 * kSecond, kHour);
  const auto lasting = Create(kNow, "alice");
  EXPECT_EQ(store_->RevokeAll(kNow + 11 * kSecond, "alice", "", "x"), 1u);
  EXPECT_FALSE(Live(kNow + 11 * kSecond, lasting.id));
  EXPECT_EQ(store_->counters().revoked, 1u);
  EXPECT_EQ(store_->counters().live, 0u);
}

TEST_F(SessionIndexTest, RevokeAllWithNothingToRevokeIsZeroAndSilent) {
  EXPECT_EQ(store_->RevokeAll(kNow, "nobody", "", "x"), 0u);
  Create(kNow, "expired", 10 * kSecond, kHour);
  EXPECT_EQ(store_->RevokeAll(kNow + 11 * kSecond, "expired", "", "x"), 0u);
  const auto only = Create(kNow, "alice");
  EXPECT_EQ(store_->RevokeAll(kNow, "alice", only.handle, "x"), 0u);
  EXPECT_TRUE(Live(kNow, only.id));
  EXPECT_TRUE(recorder_.messages().empty());
}

// ---- MAXPERSUB ----

TEST_F(SessionIndexTest, MaxPerSubEvictOldestEvictsTheOldestByCreation) {
  SessionStore::Created a1, a2, a3, a4;
  ASSERT_EQ(CreateCapped(kNow, "alice", 3, true, &a1), SessionStore::CreateResult::kOk);
  ASSERT_EQ(CreateCapped(kNow + kSecond, "alice", 3, true, &a2), SessionStore::CreateResult::kOk);
  ASSERT_EQ(CreateCapped(kNow + 2 * kSecond, "alice", 3, true, &a3), SessionStore::CreateResult::kOk);
  EXPECT_TRUE(recorder_.messages().empty());
  // a1 is the most recently seen, but still the oldest by creation.
  ASSERT_TRUE(store_->Touch(kNow + 3 * kSecond, a1.id).has_value());
  ASSERT_EQ(CreateCapped(kNow + 4 * kSecond, "alice", 3, true, &a4), SessionStore::CreateResult::kOk);
  EXPECT_FALSE(Live(kNow + 4 * kSecond, a1.id));
  for (const auto* c : {&a2, &a3, &a4}) EXPECT_TRUE(Live(kNow + 4 * kSecond, c->id));
  EXPECT_EQ(ListHandles(kNow + 4 * kSecond, "alice"),
            (std::vector<std::string>{a2.handle, a3.handle, a4.handle}));
  EXPECT_EQ(recorder_.messages(), std::vector<std::string>{"1 session alice " + a1.handle + " evicted"});
  EXPECT_EQ(store_->counters().evicted, 1u);
  EXPECT_EQ(store_->counters().live, 3u);
}

// Sessions created in one millisecond (a burst of logins, a clock cached per event-loop turn): the
// first one created is the oldest and the one evicted.
TEST_F(SessionIndexTest, MaxPerSubEvictOldestBreaksSameMillisecondTiesByCreationOrder) {
  for (int round = 0; round < 20; ++round) {
    const std::string sub = test_util::Key("user", round);
    SessionStore::Created first, second, third;
    ASSERT_EQ(CreateCapped(kNow, sub, 2, true, &first), SessionStore::CreateResult::kOk);
    ASSERT_EQ(CreateCapped(kNow, sub, 2, true, &second), SessionStore::CreateResult::kOk);
    ASSERT_EQ(CreateCapped(kNow, sub, 2, true, &third), SessionStore::CreateResult::kOk);
    EXPECT_FALSE(Live(kNow, first.id)) << "round " << round << ": the first-created session survived";
    EXPECT_TRUE(Live(kNow, second.id)) << "round " << round << ": a newer session was evicted instead";
    EXPECT_TRUE(Live(kNow, third.id));
  }
}

TEST_F(SessionIndexTest, MaxPerSubDenyReturnsLimitAndCreatesNothing) {
  Init(/*with_log=*/true, /*with_events=*/true);
  std::vector<SessionStore::Created> made(3);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(CreateCapped(kNow + i, "alice", 3, false, &made[i]), SessionStore::CreateResult::kOk);
  }
  DrainAll();
  SessionStore::Created refused;
  EXPECT_EQ(CreateCapped(kNow + kSecond, "alice", 3, false, &refused), SessionStore::CreateResult::kLimit);
  EXPECT_TRUE(refused.id.empty());
  EXPECT_TRUE(refused.handle.empty());
  EXPECT_TRUE(DrainAll().empty());
  EXPECT_TRUE(recorder_.messages().empty());
  EXPECT_EQ(store_->List(kNow + kSecond, "alice").size(), 3u);
  for (const auto& c : made) EXPECT_TRUE(Live(kNow + kSecond, c.id));
  EXPECT_EQ(store_->counters().live, 3u);
  EXPECT_EQ(store_->counters().created, 3u);
}

TEST_F(SessionIndexTest, MaxPerSubDoesNotCountExpiredSessions) {
  SessionStore::Created d1, d2, d3;
  ASSERT_EQ(CreateCapped(kNow, "deny", 2, false, &d1, 10 * kSecond), SessionStore::CreateResult::kOk);
  ASSERT_EQ(CreateCapped(kNow, "deny", 2, false, &d2), SessionStore::CreateResult::kOk);
  EXPECT_EQ(CreateCapped(kNow + 11 * kSecond, "deny", 2, false, &d3), SessionStore::CreateResult::kOk);
  EXPECT_TRUE(Live(kNow + 11 * kSecond, d2.id));
  EXPECT_TRUE(Live(kNow + 11 * kSecond, d3.id));

  SessionStore::Created e1, e2, e3;
  ASSERT_EQ(CreateCapped(kNow, "evict", 2, true, &e1, 10 * kSecond), SessionStore::CreateResult::kOk);
  ASSERT_EQ(CreateCapped(kNow + 1, "evict", 2, true, &e2), SessionStore::CreateResult::kOk);
  EXPECT_EQ(CreateCapped(kNow + 11 * kSecond, "evict", 2, true, &e3), SessionStore::CreateResult::kOk);
  EXPECT_TRUE(Live(kNow + 11 * kSecond, e2.id))
      << "a live session was evicted to make room held by an expired one";
  EXPECT_TRUE(Live(kNow + 11 * kSecond, e3.id));
  EXPECT_TRUE(recorder_.messages().empty());
  EXPECT_EQ(store_->counters().evicted, 0u);
}

TEST_F(SessionIndexTest, MaxPerSubCountsOnlyTheSubjectsOwnSessions) {
  for (int i = 0; i < 5; ++i) Create(kNow, "bob");
  SessionStore::Created a;
  EXPECT_EQ(CreateCapped(kNow, "alice", 1, false, &a), SessionStore::CreateResult::kOk);
  EXPECT_EQ(store_->List(kNow, "bob").size(), 5u);
}

TEST_F(SessionIndexTest, MaxPerSubEvictsAsManyAsNeededToFit) {
  std::vector<SessionStore::Created> old;
  for (int i = 0; i < 3; ++i) old.push_back(Create(kNow + i, "alice"));
  SessionStore::Created fresh;
  ASSERT_EQ(CreateCapped(kNow + kSecond, "alice", 1, true, &fresh), SessionStore::CreateResult::kOk);
  EXPECT_EQ(ListHandles(kNow + kSecond, "alice"), std::vector<std::string>{fresh.handle});
  EXPECT_EQ(recorder_.messages(),
            (std::vector<std::string>{"1 session alice " + old[0].handle + " evicted",
                                      "2 session alice " + old[1].handle + " evicted",
                                      "3 session alice " + old[2].handle + " evicted"}));
}

// ---- Events ----

TEST_F(SessionIndexTest, EventsRevokeFormatIsSeqSessionSubHandleReason) {
  const auto a = Create(kNow, "alice");
  const auto b = Create(kNow, "bob");
  ASSERT_TRUE(store_->Revoke(kNow, a.id, "logout"));
  ASSERT_TRUE(store_->RevokeHandle(kNow, b.handle, "admin"));
  EXPECT_EQ(recorder_.messages(), (std::vector<std::string>{"1 session alice " + a.handle + " logout",
                                                            "2 session bob " + b.handle + " admin"}));
}

TEST_F(SessionIndexTest, EventsSequenceNumbersIncreaseByOne) {
  const auto a = Create(kNow, "alice");
  const auto b = Create(kNow, "bob");
  for (int i = 0; i < 3; ++i) Create(kNow + i, "carol");
  const auto d1 = Create(kNow, "dave");
  Create(kNow + 1, "dave");
  ASSERT_TRUE(store_->Revoke(kNow, a.id, "r"));
  EXPECT_FALSE(store_->Revoke(kNow, a.id, "r"));  // no event, no number
  ASSERT_TRUE(store_->RevokeHandle(kNow, b.handle, "r"));
  EXPECT_EQ(store_->RevokeAll(kNow, "carol", "", "r"), 3u);
  EXPECT_EQ(store_->RevokeAll(kNow, "carol", "", "r"), 0u);  // no event, no number
  SessionStore::Created d3;
  ASSERT_EQ(CreateCapped(kNow + kSecond, "dave", 2, true, &d3), SessionStore::CreateResult::kOk);
  EXPECT_FALSE(Live(kNow + kSecond, d1.id));
  EXPECT_EQ(store_->RevokeAll(kNow + kSecond, "dave", d3.handle, "r"), 1u);
  const auto messages = recorder_.messages();
  ASSERT_EQ(messages.size(), 5u);
  for (size_t i = 0; i < messages.size(); ++i) {
    EXPECT_EQ(messages[i].substr(0, messages[i].find(' ')), std::to_string(i + 1)) << messages[i];
  }
  EXPECT_EQ(events_->head(), 5u);
}

TEST_F(SessionIndexTest, EventsEscapeSpacesAndPercentInSubjectAndReason) {
  const std::string sub = "alice smith 100%";
  const auto a1 = Create(kNow, sub);
  const auto a2 = Create(kNow + 1, sub);
  Create(kNow + 2, sub);
  ASSERT_TRUE(store_->Revoke(kNow, a1.id, "password changed 50%"));
  SessionStore::Created a4;
  ASSERT_EQ(CreateCapped(kNow + 3, sub, 2, true, &a4), SessionStore::CreateResult::kOk);
  EXPECT_EQ(store_->RevokeAll(kNow + 4, sub, a4.handle, "all devices"), 1u);
  EXPECT_EQ(recorder_.messages(),
            (std::vector<std::string>{
                "1 session alice%20smith%20100%25 " + a1.handle + " password%20changed%2050%25",
                "2 session alice%20smith%20100%25 " + a2.handle + " evicted",
                "3 session alice%20smith%20100%25 * all%20devices except " + a4.handle,
            }));
  // The subject itself is stored unescaped.
  EXPECT_EQ(View(kNow + 4, a4.id).sub, sub);
}

TEST_F(SessionIndexTest, EventsAreOnlyForRevocations) {
  const auto c = Create(kNow, "alice");
  ASSERT_TRUE(store_->Get(kNow, c.id, true, nullptr));
  ASSERT_TRUE(store_->Touch(kNow + 2 * kSecond, c.id).has_value());
  ASSERT_TRUE(store_->SetData(kNow, c.id, "x"));
  ASSERT_TRUE(store_->Renew(kNow, c.id, kMinute).has_value());
  store_->List(kNow, "alice");
  EXPECT_FALSE(store_->Revoke(kNow, "s1_unknown", "x"));
  EXPECT_FALSE(store_->RevokeHandle(kNow, "AAAAAAAAAAAAAAAA", "x"));
  Create(kNow, "bob", 10 * kSecond, kHour);
  EXPECT_EQ(store_->RemoveExpired(kNow + kHour, 100), 1u);  // expiry is not a revocation
  EXPECT_TRUE(recorder_.messages().empty());
}

// ---- RemoveExpired ----

TEST_F(SessionIndexTest, RemoveExpiredReclaimsExactlyTheSessionsPastTheirDeadline) {
  const auto idle = Create(kNow, "s1", 10 * kSecond, kHour);   // ends at +10 s
  const auto abs = Create(kNow, "s2", kHour, 20 * kSecond);    // ends at +20 s
  const auto later = Create(kNow, "s3", 30 * kSecond, kHour);  // ends at +30 s
  const auto lasting = Create(kNow, "s4");
  EXPECT_EQ(store_->RemoveExpired(kNow + 10 * kSecond, 100), 0u);  // deadline == now is live
  EXPECT_EQ(store_->RemoveExpired(kNow + 20 * kSecond, 100), 1u);
  EXPECT_EQ(store_->counters().live, 3u);
  EXPECT_EQ(store_->RemoveExpired(kNow + 20 * kSecond + 1, 100), 1u);
  EXPECT_TRUE(Live(kNow + 20 * kSecond + 1, later.id));
  EXPECT_EQ(store_->RemoveExpired(kNow + 20 * kSecond + 1, 100), 0u);
  EXPECT_EQ(store_->RemoveExpired(kNow + 31 * kSecond, 100), 1u);
  EXPECT_EQ(store_->counters().live, 1u);
  EXPECT_EQ(store_->counters().expired, 3u);
  EXPECT_TRUE(Live(kNow + 31 * kSecond, lasting.id));
  // Reclaimed sessions are gone from every path (checked at an earlier clock, where they would be live).
  for (const auto* c : {&idle, &abs, &later}) EXPECT_FALSE(Live(kNow, c->id));
  EXPECT_TRUE(store_->List(kNow, "s1").empty());
  EXPECT_FALSE(store_->RevokeHandle(kNow, idle.handle, "x"));
}

TEST_F(SessionIndexTest, RemoveExpiredRespectsThePerShardLimit) {
  // One subject: one shard.
  for (int i = 0; i < 10; ++i) Create(kNow, "alice", 10 * kSecond, kHour);
  const int64_t later = kNow + 11 * kSecond;
  EXPECT_EQ(store_->RemoveExpired(later, 3), 3u);
  EXPECT_EQ(store_->counters().live, 7u);
  EXPECT_EQ(store_->RemoveExpired(later, 3), 3u);
  EXPECT_EQ(store_->RemoveExpired(later, 3), 3u);
  EXPECT_EQ(store_->RemoveExpired(later, 3), 1u);
  EXPECT_EQ(store_->RemoveExpired(later, 3), 0u);
  // Many subjects: at most one per shard per call, and all of them in the end.
  constexpr int kSubjects = 300;
  for (int i = 0; i < kSubjects; ++i) Create(kNow, test_util::Key("user", i), 10 * kSecond, kHour);
  size_t total = 0;
  for (int round = 0; round < kSubjects; ++round) {
    const size_t removed = store_->RemoveExpired(later, 1);
    EXPECT_LE(removed, SessionStore::kShards);
    if (removed == 0) break;
    total += removed;
  }
  EXPECT_EQ(total, static_cast<size_t>(kSubjects));
  EXPECT_EQ(store_->counters().live, 0u);
}

TEST_F(SessionIndexTest, RemoveExpiredSkipsATouchedSessionsStaleEntry) {
  const auto c = Create(kNow, "alice", 10 * kSecond, kHour);
  ASSERT_TRUE(store_->Touch(kNow + 9 * kSecond, c.id).has_value());  // now ends at +19 s
  EXPECT_EQ(store_->RemoveExpired(kNow + 15 * kSecond, 100), 0u);
  EXPECT_TRUE(Live(kNow + 15 * kSecond, c.id));
  EXPECT_EQ(store_->counters().expired, 0u);
  EXPECT_EQ(store_->RemoveExpired(kNow + 19 * kSecond, 100), 0u);
  EXPECT_EQ(store_->RemoveExpired(kNow + 19 * kSecond + 1, 100), 1u);
  EXPECT_EQ(store_->counters().live, 0u);
}

// TOUCH re-arms the session's entry in the timing wheel in O(1) and leaves a copy behind only when the
// deadline crosses into another slot: 100k touches over 1,000 s leave a handful of entries, not 100k.
TEST_F(SessionIndexTest, TouchesDoNotPileUpExpiryEntries) {
  const auto c = Create(kNow, "alice", 1800 * kSecond, 24 * kHour);
  for (int i = 1; i <= 100000; ++i) {
    const int64_t now = kNow + i * 10;
    ASSERT_TRUE(store_->Touch(now, c.id).has_value());
    if (i % 1000 == 0) {
      EXPECT_EQ(store_->RemoveExpired(now, 100), 0u);
    }
  }
  EXPECT_LE(store_->counters().expiry_entries, 8u);
  EXPECT_EQ(store_->RemoveExpired(kNow + 1000 * kSecond + 1800 * kSecond, 100), 0u);
  EXPECT_EQ(store_->RemoveExpired(kNow + 1000 * kSecond + 1800 * kSecond + 1, 100), 1u);
  EXPECT_EQ(store_->counters().live, 0u);
}

TEST_F(SessionIndexTest, RemoveExpiredSkipsRevokedSessionsEntries) {
  const auto r1 = Create(kNow, "alice", 10 * kSecond, kHour);
  Create(kNow, "alice", 10 * kSecond, kHour);
  ASSERT_TRUE(store_->Revoke(kNow, r1.id, "x"));
  EXPECT_EQ(store_->RemoveExpired(kNow + 11 * kSecond, 100), 1u);
  EXPECT_EQ(store_->counters().expired, 1u);
  EXPECT_EQ(store_->counters().revoked, 1u);
}

// ---- EventLog on its own ----

TEST(EventLog, EscapeEscapesOnlySpaceAndPercent) {
  EXPECT_EQ(EventLog::Escape("a b%c"), "a%20b%25c");
  EXPECT_EQ(EventLog::Escape("%20"), "%2520");
  EXPECT_EQ(EventLog::Escape(""), "");
  EXPECT_EQ(EventLog::Escape("tab\there*"), "tab\there*");
}

TEST(EventLog, KeyIsEvPlusBigEndianSequence) {
  EXPECT_EQ(EventLog::Key(1), std::string("ev:\0\0\0\0\0\0\0\x01", 11));
  EXPECT_EQ(EventLog::Key(0x0102030405060708ull), "ev:\x01\x02\x03\x04\x05\x06\x07\x08");
  EXPECT_LT(EventLog::Key(255), EventLog::Key(256));  // byte order is number order
}

TEST(EventLog, WithoutPipelineEventsPublishAtOnceInSequenceOrder) {
  session_test::EventRecorder recorder;
  EventLog log(recorder.publisher(), session_test::kRetentionMs);
  ShardLog shard;
  const std::vector<PendingWrite>& pending = shard.pending;
  PendingEvent e1 = log.Append(kNow, 0, "session", "a h r", &shard);
  PendingEvent e2 = log.Append(kNow, 0, "jti", "", &shard);
  EXPECT_TRUE(pending.empty());  // write_seq 0: nothing recorded
  EXPECT_EQ(e1.event_seq, 1u);
  EXPECT_EQ(e2.event_seq, 2u);
  log.Schedule(e2);
  EXPECT_TRUE(recorder.messages().empty()) << "event 2 must wait for event 1";
  log.Schedule(e1);
  EXPECT_EQ(recorder.messages(), (std::vector<std::string>{"1 session a h r", "2 jti"}));
}

TEST(EventLog, AppendRecordsTheEventInTheMetaColumnUnderTheWriteSeq) {
  session_test::EventRecorder recorder;
  EventLog log(recorder.publisher(), session_test::kRetentionMs);
  log.SetHead(41);
  ShardLog shard;
  const std::vector<PendingWrite>& pending = shard.pending;
  PendingEvent e = log.Append(kNow, 7, "session", "alice h logout", &shard);
  EXPECT_EQ(e.event_seq, 42u);
  EXPECT_EQ(e.write_seq, 7u);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].seq, 7u);
  EXPECT_EQ(pending[0].kind, PendingWrite::Kind::kPut);
  EXPECT_EQ(pending[0].column, Column::kMeta);
  EXPECT_EQ(pending[0].key, EventLog::Key(42));
  EXPECT_TRUE(pending[0].value.ends_with("42 session alice h logout"));
  EXPECT_EQ(log.head(), 42u);
  log.Schedule(e);  // no pipeline attached: published at once
  EXPECT_EQ(recorder.messages(), std::vector<std::string>{"42 session alice h logout"});
}

}  // namespace
}  // namespace latchkey
