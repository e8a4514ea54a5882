// Denylist as a plain C++ API with an explicit clock: entries live until exp + leeway and not a
// millisecond longer, DENY.ADD keeps the later deadline, active expiry reclaims them, watermarks are
// monotonic and inclusive, records and events go to the write log, load restores what was written,
// and an entry costs under 40 bytes.
#include "storage/denylist.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "session_test_util.h"
#include "storage/denylist_record.h"
#include "storage/event_log.h"

namespace latchkey {
namespace {

using session_test::EventRecorder;
using session_test::kNow;
using session_test::kRetentionMs;
using session_test::TestLog;
using Verdict = Denylist::Verdict;

constexpr int64_t kNowS = kNow / 1000;
constexpr uint64_t kSeed = 0x5eed;

class DenylistTest : public ::testing::Test {
 protected:
  DenylistTest() : events_(recorder_.publisher(), kRetentionMs), denylist_(&log_, &events_, kSeed) {}

  Denylist::AddResult Add(int64_t now_ms, std::string_view jti, int64_t deadline_s,
                          std::string_view iss = "idp") {
    Denylist::AddRequest r;
    r.iss = iss;
    r.jti = jti;
    r.exp_s = deadline_s - 120;
    r.deadline_s = deadline_s;
    r.sub = "alice";
    r.reason = "logout";
    return denylist_.Add(now_ms, r);
  }
  Verdict Check(int64_t now_ms, std::string_view jti, std::string_view iss = "idp") {
    Denylist::CheckRequest r;
    r.iss = iss;
    r.jti = jti;
    return denylist_.Check(now_ms, r);
  }
  Verdict CheckIat(int64_t iat, std::optional<std::string_view> sub, std::optional<std::string_view> client) {
    Denylist::CheckRequest r;
    r.iss = "idp";
    r.jti = "fresh";
    r.sub = sub;
    r.client = client;
    r.iat = iat;
    return denylist_.Check(kNow, r);
  }
  std::vector<PendingWrite> DrainAll() {
    std::vector<PendingWrite> out;
    denylist_.Drain(UINT64_MAX, &out);
    return out;
  }

  TestLog log_;
  EventRecorder recorder_;
  EventLog events_;
  Denylist denylist_;
};

TEST_F(DenylistTest, AnEntryIsDeniedUntilItsDeadlineAndNotAMillisecondLonger) {
  EXPECT_EQ(Add(kNow, "j1", kNowS + 10), Denylist::AddResult::kAdded);
  EXPECT_EQ(Check(kNow, "j1"), Verdict::kJti);
  EXPECT_EQ(Check(kNow, "j2"), Verdict::kOk);
  EXPECT_EQ(Check(kNow, "j1", "other-issuer"), Verdict::kOk);  // keyed by (iss, jti)
  EXPECT_EQ(Check((kNowS + 10) * 1000 - 1, "j1"), Verdict::kJti);
  EXPECT_EQ(Check((kNowS + 10) * 1000, "j1"), Verdict::kOk);
}

TEST_F(DenylistTest, AddingAgainKeepsTheLaterDeadline) {
  EXPECT_EQ(Add(kNow, "j1", kNowS + 10), Denylist::AddResult::kAdded);
  EXPECT_EQ(Add(kNow, "j1", kNowS + 5), Denylist::AddResult::kExisting);
  EXPECT_EQ(Check((kNowS + 9) * 1000, "j1"), Verdict::kJti);
  EXPECT_EQ(Add(kNow, "j1", kNowS + 20), Denylist::AddResult::kExisting);
  EXPECT_EQ(Check((kNowS + 19) * 1000, "j1"), Verdict::kJti);
  EXPECT_EQ(Check((kNowS + 20) * 1000, "j1"), Verdict::kOk);
}

TEST_F(DenylistTest, AnAlreadyExpiredTokenIsNotStored) {
  EXPECT_EQ(Add(kNow, "old", kNowS), Denylist::AddResult::kExpired);
  EXPECT_EQ(Check(kNow - 5000, "old"), Verdict::kOk);
  EXPECT_TRUE(DrainAll().empty());
  EXPECT_EQ(denylist_.counters().entries, 0u);
}

TEST_F(DenylistTest, ActiveExpiryReclaimsAtTheDeadline) {
  for (int i = 0; i < 1000; ++i) Add(kNow, test_util::Key("j", i), kNowS + 1 + i % 50);
  EXPECT_EQ(denylist_.counters().entries, 1000u);
  bool more = true;
  size_t removed = 0;
  while (more) removed += denylist_.RemoveExpired((kNowS + 25) * 1000, 64, &more);
  EXPECT_EQ(removed, 25u * 20);  // deadlines kNowS+1 .. kNowS+25, 20 entries each
  EXPECT_EQ(denylist_.counters().entries, 500u);
  EXPECT_EQ(Check((kNowS + 25) * 1000, "j25"), Verdict::kJti);  // deadline kNowS+26
  more = true;
  while (more) removed += denylist_.RemoveExpired((kNowS + 100) * 1000, 64, &more);
  EXPECT_EQ(denylist_.counters().entries, 0u);
  EXPECT_EQ(denylist_.counters().expired, 1000u);
}

TEST_F(DenylistTest, AddRecordsTheEntryAndItsEventUnderOneSequenceNumber) {
  Add(kNow, "j1", kNowS + 10);
  const auto writes = DrainAll();
  ASSERT_EQ(writes.size(), 2u);
  EXPECT_EQ(writes[0].column, Column::kDenylist);
  EXPECT_EQ(writes[1].column, Column::kMeta);
  EXPECT_EQ(writes[0].seq, writes[1].seq);
  uint64_t fp = 0;
  std::string_view iss, jti;
  ASSERT_TRUE(DecodeJtiKey(writes[0].key, &fp, &iss, &jti));
  EXPECT_EQ(fp, DenyFingerprint(kSeed, "idp", "j1"));
  EXPECT_EQ(iss, "idp");
  EXPECT_EQ(jti, "j1");
  JtiRecord r;
  ASSERT_TRUE(DecodeJtiRecord(writes[0].value, &r));
  EXPECT_EQ(r.deadline_ms, (kNowS + 10) * 1000);
  EXPECT_EQ(r.exp_s, kNowS + 10 - 120);
  EXPECT_EQ(r.sub, "alice");
  EXPECT_EQ(r.reason, "logout");
  // Not published before the write commits (no pipeline attached: at once).
  EXPECT_EQ(recorder_.messages(),
            std::vector<std::string>{"1 jti idp j1 " + std::to_string(kNowS + 10 - 120) + " logout"});
  // An add that changes nothing writes nothing and announces nothing.
  Add(kNow, "j1", kNowS + 5);
  EXPECT_TRUE(DrainAll().empty());
  EXPECT_EQ(recorder_.messages().size(), 1u);
}

TEST_F(DenylistTest, FingerprintsFrameIssAndJti) {
  EXPECT_NE(DenyFingerprint(kSeed, "ab", "c"), DenyFingerprint(kSeed, "a", "bc"));
  EXPECT_NE(DenyFingerprint(kSeed, "a", "b"), DenyFingerprint(kSeed + 1, "a", "b"));
  EXPECT_EQ(DenyFingerprint(kSeed, "a", "b"), DenyFingerprint(kSeed, "a", "b"));
}

TEST_F(DenylistTest, LoadRestoresEntriesAndWatermarksAndSkipsExpiredOnes) {
  Add(kNow, "keep", kNowS + 100);
  Add(kNow, "gone", kNowS + 5);
  denylist_.SetWatermark(kNow, WatermarkScope::kSub, "alice", kNowS - 10, kNow + 3600 * 1000);
  const auto writes = DrainAll();
  Denylist loaded(nullptr, nullptr, kSeed);
  int accepted = 0, refused = 0;
  for (const PendingWrite& w : writes) {
    if (w.column != Column::kDenylist) continue;
    (loaded.Load(w.key, w.value, kNow + 10 * 1000) ? accepted : refused)++;
  }
  EXPECT_EQ(accepted, 2);
  EXPECT_EQ(refused, 1);
  Denylist::CheckRequest r;
  r.iss = "idp";
  r.jti = "keep";
  EXPECT_EQ(loaded.Check(kNow + 10 * 1000, r), Verdict::kJti);
  r.jti = "gone";
  EXPECT_EQ(loaded.Check(kNow + 10 * 1000, r), Verdict::kOk);
  EXPECT_EQ(loaded.GetWatermark(kNow + 10 * 1000, WatermarkScope::kSub, "alice"), kNowS - 10);
  // Loaded entries still expire through the wheel.
  bool more = true;
  while (more) loaded.RemoveExpired((kNowS + 100) * 1000, 64, &more);
  EXPECT_EQ(loaded.counters().entries, 0u);
}

TEST_F(DenylistTest, WatermarksNeverMoveBackwardsAndOnlyRisesAreAnnounced) {
  EXPECT_EQ(denylist_.SetWatermark(kNow, WatermarkScope::kSub, "alice", 100, kNow + 60000), 100);
  EXPECT_EQ(denylist_.SetWatermark(kNow, WatermarkScope::kSub, "alice", 50, kNow + 60000), 100);
  EXPECT_EQ(denylist_.GetWatermark(kNow, WatermarkScope::kSub, "alice"), 100);
  EXPECT_EQ(denylist_.SetWatermark(kNow, WatermarkScope::kSub, "alice", 150, kNow + 60000), 150);
  EXPECT_EQ(recorder_.messages(), (std::vector<std::string>{"1 sub alice 100", "2 sub alice 150"}));
  EXPECT_EQ(denylist_.GetWatermark(kNow, WatermarkScope::kClient, "alice"), std::nullopt);
}

TEST_F(DenylistTest, AWatermarkLivesUntilItsLatestDeadline) {
  denylist_.SetWatermark(kNow, WatermarkScope::kClient, "web", 100, kNow + 1000);
  denylist_.SetWatermark(kNow, WatermarkScope::kClient, "web", 90, kNow + 5000);  // extends, keeps 100
  EXPECT_EQ(denylist_.GetWatermark(kNow + 4999, WatermarkScope::kClient, "web"), 100);
  EXPECT_EQ(denylist_.GetWatermark(kNow + 5000, WatermarkScope::kClient, "web"), std::nullopt);
  bool more = true;
  size_t removed = 0;
  while (more) removed += denylist_.RemoveExpired(kNow + 5000, 64, &more);
  EXPECT_EQ(removed, 1u);
  EXPECT_EQ(denylist_.counters().watermarks[1], 0u);
  // Once expired, a lower value may be set again (there is nothing left to move backwards from).
  EXPECT_EQ(denylist_.SetWatermark(kNow + 6000, WatermarkScope::kClient, "web", 10, kNow + 9000), 10);
}

TEST_F(DenylistTest, WatermarkTestIsInclusive) {
  denylist_.SetWatermark(kNow, WatermarkScope::kSub, "alice", 1000, kNow + 60000);
  EXPECT_EQ(CheckIat(999, "alice", std::nullopt), Verdict::kSub);
  EXPECT_EQ(CheckIat(1000, "alice", std::nullopt), Verdict::kSub);  // same second: revoked
  EXPECT_EQ(CheckIat(1001, "alice", std::nullopt), Verdict::kOk);
  EXPECT_EQ(CheckIat(500, "bob", std::nullopt), Verdict::kOk);
  // Without IAT no watermark applies.
  Denylist::CheckRequest r;
  r.iss = "idp";
  r.jti = "fresh";
  r.sub = "alice";
  EXPECT_EQ(denylist_.Check(kNow, r), Verdict::kOk);
}

TEST_F(DenylistTest, EveryCombinationOfScopesThroughCheck) {
  // Values: sub 100, client 200, global 300 when set. iat 150 is revoked by client or global only.
  for (int mask = 0; mask < 8; ++mask) {
    Denylist d(nullptr, nullptr, kSeed);
    if (mask & 1) d.SetWatermark(kNow, WatermarkScope::kSub, "alice", 100, kNow + 60000);
    if (mask & 2) d.SetWatermark(kNow, WatermarkScope::kClient, "web", 200, kNow + 60000);
    if (mask & 4) d.SetWatermark(kNow, WatermarkScope::kGlobal, "*", 300, kNow + 60000);
    Denylist::CheckRequest r;
    r.iss = "idp";
    r.jti = "fresh";
    r.sub = "alice";
    r.client = "web";
    for (int64_t iat : {50, 150, 250, 350}) {
      r.iat = iat;
      Verdict expected = Verdict::kOk;
      if ((mask & 4) && iat <= 300) {
        expected = Verdict::kGlobal;  // the largest that applies
      } else if ((mask & 2) && iat <= 200) {
        expected = Verdict::kClient;
      } else if ((mask & 1) && iat <= 100) {
        expected = Verdict::kSub;
      }
      EXPECT_EQ(d.Check(kNow, r), expected) << "mask " << mask << " iat " << iat;
    }
  }
}

TEST_F(DenylistTest, ADeniedJtiWinsOverWatermarks) {
  Add(kNow, "j1", kNowS + 100);
  denylist_.SetWatermark(kNow, WatermarkScope::kGlobal, "*", kNowS, kNow + 60000);
  Denylist::CheckRequest r;
  r.iss = "idp";
  r.jti = "j1";
  r.iat = kNowS - 1;
  EXPECT_EQ(denylist_.Check(kNow, r), Verdict::kJti);
  const auto c = denylist_.counters();
  EXPECT_EQ(c.checks, 1u);
  EXPECT_EQ(c.hits, 1u);
  EXPECT_EQ(c.watermarks[2], 1u);
}

TEST_F(DenylistTest, AMillionEntriesCostUnderFortyBytesEach) {
  Denylist d(nullptr, nullptr, kSeed);
  Denylist::AddRequest r;
  r.iss = "https://idp.example.com";
  std::string jti;
  for (int i = 0; i < 1'000'000; ++i) {
    jti = test_util::Key("0b6f2a8e-5d3c-4c1e-9f7a-", 100000000000 + i);  // UUID-sized
    r.jti = jti;
    r.exp_s = kNowS + 1 + i % 86400;  // spread over a day, as real tokens are
    r.deadline_s = r.exp_s + 120;
    ASSERT_EQ(d.Add(kNow, r), Denylist::AddResult::kAdded);
  }
  const auto c = d.counters();
  EXPECT_EQ(c.entries, 1'000'000u);
  const double per_entry = static_cast<double>(c.bytes) / static_cast<double>(c.entries);
  EXPECT_LT(per_entry, 40.0);
  RecordProperty("bytes_per_entry", std::to_string(per_entry));
}

}  // namespace
}  // namespace latchkey
