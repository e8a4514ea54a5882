// Regression tests for the SessionStore defects the unit tests found (fixed in 72747b5): records with
// trailing bytes or a key that is not a 12-byte handle decoded as sessions, and a TOUCH carrying an
// earlier clock pulled last_seen (and the idle deadline) backwards.
#include <gtest/gtest.h>

#include <string>

#include "session_test_util.h"
#include "storage/secrets.h"
#include "storage/session_store.h"

namespace latchkey {
namespace {

using session_test::kHour;
using session_test::kNow;
using session_test::kSecond;

class SessionFindingsTest : public session_test::SessionStoreFixture {};

// A record with bytes after its last field is not one EncodeSession wrote: malformed.
TEST_F(SessionFindingsTest, LoadRejectsTrailingBytes) {
  Init(/*with_log=*/true, /*with_events=*/false);
  const auto c = Create(kNow, "alice");
  const auto writes = DrainAll();
  ASSERT_EQ(writes.size(), 1u);
  SessionStore loaded(nullptr, nullptr);
  EXPECT_FALSE(loaded.Load(writes[0].key, writes[0].value + "garbage", kNow));
}

// The record key is the 12-byte handle; a record under any other key cannot be addressed by handle
// (RevokeHandle refuses non-12-byte handles), so it is malformed.
TEST_F(SessionFindingsTest, LoadRejectsAKeyThatIsNotA12ByteHandle) {
  Init(/*with_log=*/true, /*with_events=*/false);
  Create(kNow, "alice");
  const auto writes = DrainAll();
  ASSERT_EQ(writes.size(), 1u);
  SessionStore loaded(nullptr, nullptr);
  EXPECT_FALSE(loaded.Load("short", writes[0].value, kNow));
  EXPECT_FALSE(loaded.Load(writes[0].key + std::string(1, '\0'), writes[0].value, kNow));
  EXPECT_FALSE(loaded.Load("", writes[0].value, kNow));
}

// Commands on one session are linearizable, but their clock values come from different threads: a
// TOUCH that runs after another with a slightly earlier now_ms must not pull last_seen (and with it
// the idle deadline) backwards. "TOUCH slides the idle deadline" -- it never shortens it.
TEST_F(SessionFindingsTest, TouchWithAnEarlierClockNeverMovesTheDeadlineBack) {
  const auto c = Create(kNow, "alice", 10 * kSecond, kHour);
  ASSERT_EQ(store_->Touch(kNow + 5 * kSecond, c.id), 10 * kSecond);
  ASSERT_TRUE(store_->Touch(kNow + 5 * kSecond - 3, c.id).has_value());
  EXPECT_EQ(View(kNow + 5 * kSecond, c.id).idle_deadline_ms, kNow + 15 * kSecond);
  EXPECT_TRUE(Live(kNow + 15 * kSecond, c.id));
}

}  // namespace
}  // namespace latchkey
