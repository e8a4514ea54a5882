// Tests for expire_options.h: EX/PX/EXAT/PXAT and EXPIRE arguments to absolute deadlines with Redis's
// overflow and invalid-time texts, and the NX/XX/GT/LT condition rules.
#include "storage/expire_options.h"

#include <gtest/gtest.h>

#include <cstdint>

#include "storage/value.h"

namespace latchkey {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

// --- DeadlineForSet: positive values only, seconds scaled, relative ones added to now. ---

TEST(DeadlineForSetTest, ComputesAbsoluteDeadlines) {
  int64_t deadline = 0;
  ASSERT_TRUE(DeadlineForSet(10, TimeUnit::kSeconds, TimeBase::kRelative, kNow, "set", &deadline).ok());
  EXPECT_EQ(deadline, kNow + 10'000);
  ASSERT_TRUE(DeadlineForSet(10, TimeUnit::kMilliseconds, TimeBase::kRelative, kNow, "set", &deadline).ok());
  EXPECT_EQ(deadline, kNow + 10);
  ASSERT_TRUE(DeadlineForSet(5, TimeUnit::kSeconds, TimeBase::kAbsolute, kNow, "set", &deadline).ok());
  EXPECT_EQ(deadline, 5'000);  // EXAT in the past is accepted; the key is then already expired
  ASSERT_TRUE(
      DeadlineForSet(kNow + 1, TimeUnit::kMilliseconds, TimeBase::kAbsolute, kNow, "set", &deadline).ok());
  EXPECT_EQ(deadline, kNow + 1);
}

TEST(DeadlineForSetTest, RejectsNonPositiveValues) {
  for (int64_t value : {int64_t{0}, int64_t{-1}, INT64_MIN}) {
    for (TimeUnit unit : {TimeUnit::kSeconds, TimeUnit::kMilliseconds}) {
      for (TimeBase base : {TimeBase::kRelative, TimeBase::kAbsolute}) {
        int64_t deadline = 123;
        Status s = DeadlineForSet(value, unit, base, kNow, "set", &deadline);
        EXPECT_EQ(s.code(), Status::Code::kErr);
        EXPECT_EQ(s.message(), "invalid expire time in 'set' command");
        EXPECT_EQ(deadline, 123);
      }
    }
  }
}

TEST(DeadlineForSetTest, RejectsOverflow) {
  int64_t deadline = 123;
  // Seconds that overflow when scaled.
  EXPECT_FALSE(
      DeadlineForSet(INT64_MAX / 1000 + 1, TimeUnit::kSeconds, TimeBase::kAbsolute, kNow, "set", &deadline)
          .ok());
  // Scaled fine, but adding now overflows.
  EXPECT_FALSE(
      DeadlineForSet(INT64_MAX / 1000, TimeUnit::kSeconds, TimeBase::kRelative, kNow, "set", &deadline).ok());
  EXPECT_FALSE(DeadlineForSet(INT64_MAX - kNow + 1, TimeUnit::kMilliseconds, TimeBase::kRelative, kNow, "set",
                              &deadline)
                   .ok());
  EXPECT_EQ(deadline, 123);
  // The largest values that fit.
  ASSERT_TRUE(
      DeadlineForSet(INT64_MAX / 1000, TimeUnit::kSeconds, TimeBase::kAbsolute, kNow, "set", &deadline).ok());
  EXPECT_EQ(deadline, INT64_MAX / 1000 * 1000);
  ASSERT_TRUE(
      DeadlineForSet(INT64_MAX - kNow, TimeUnit::kMilliseconds, TimeBase::kRelative, kNow, "set", &deadline)
          .ok());
  EXPECT_EQ(deadline, INT64_MAX);
}

TEST(DeadlineForSetTest, ErrorNamesTheCommand) {
  int64_t deadline = 0;
  Status s = DeadlineForSet(0, TimeUnit::kSeconds, TimeBase::kRelative, kNow, "getex", &deadline);
  EXPECT_EQ(s.message(), "invalid expire time in 'getex' command");
}

// --- DeadlineForExpire: any value (past deadlines delete the key); only overflow is an error. ---

TEST(DeadlineForExpireTest, AcceptsPastAndNegative) {
  int64_t deadline = 0;
  ASSERT_TRUE(DeadlineForExpire(0, TimeUnit::kSeconds, TimeBase::kRelative, kNow, "expire", &deadline).ok());
  EXPECT_EQ(deadline, kNow);
  ASSERT_TRUE(
      DeadlineForExpire(-10, TimeUnit::kSeconds, TimeBase::kRelative, kNow, "expire", &deadline).ok());
  EXPECT_EQ(deadline, kNow - 10'000);
  ASSERT_TRUE(
      DeadlineForExpire(-5, TimeUnit::kMilliseconds, TimeBase::kAbsolute, kNow, "pexpireat", &deadline).ok());
  EXPECT_EQ(deadline, -5);
  ASSERT_TRUE(
      DeadlineForExpire(100, TimeUnit::kSeconds, TimeBase::kAbsolute, kNow, "expireat", &deadline).ok());
  EXPECT_EQ(deadline, 100'000);
}

TEST(DeadlineForExpireTest, RejectsOverflow) {
  struct Case {
    int64_t value;
    TimeUnit unit;
    TimeBase base;
  };
  for (const Case& c : {Case{INT64_MAX / 1000 + 1, TimeUnit::kSeconds, TimeBase::kAbsolute},
                        Case{INT64_MIN / 1000 - 1, TimeUnit::kSeconds, TimeBase::kAbsolute},
                        Case{INT64_MAX / 1000, TimeUnit::kSeconds, TimeBase::kRelative},
                        Case{INT64_MAX - kNow + 1, TimeUnit::kMilliseconds, TimeBase::kRelative},
                        Case{INT64_MAX, TimeUnit::kMilliseconds, TimeBase::kRelative}}) {
    SCOPED_TRACE(c.value);
    int64_t deadline = 123;
    Status s = DeadlineForExpire(c.value, c.unit, c.base, kNow, "expire", &deadline);
    EXPECT_EQ(s.code(), Status::Code::kErr);
    EXPECT_EQ(s.message(), "invalid expire time in 'expire' command");
    EXPECT_EQ(deadline, 123);
  }
  int64_t deadline = 0;
  EXPECT_TRUE(
      DeadlineForExpire(INT64_MAX, TimeUnit::kMilliseconds, TimeBase::kAbsolute, kNow, "pexpireat", &deadline)
          .ok());
  EXPECT_EQ(deadline, INT64_MAX);
  EXPECT_TRUE(
      DeadlineForExpire(INT64_MIN / 1000, TimeUnit::kSeconds, TimeBase::kRelative, kNow, "expire", &deadline)
          .ok());
  EXPECT_EQ(deadline, INT64_MIN / 1000 * 1000 + kNow);
}

// --- ValidateExpireConditions: NX excludes the others; GT excludes LT. ---

TEST(ValidateExpireConditionsTest, AllCombinations) {
  const std::string kNxText = "NX and XX, GT or LT options at the same time are not compatible";
  const std::string kGtLtText = "GT and LT options at the same time are not compatible";
  for (int flags = 0; flags < 16; ++flags) {
    SCOPED_TRACE(flags);
    Status s = ValidateExpireConditions(flags);
    if ((flags & kExpireNx) && flags != kExpireNx) {
      EXPECT_EQ(s.message(), kNxText);
      EXPECT_EQ(s.code(), Status::Code::kErr);
    } else if ((flags & kExpireGt) && (flags & kExpireLt)) {
      EXPECT_EQ(s.message(), kGtLtText);
      EXPECT_EQ(s.code(), Status::Code::kErr);
    } else {
      EXPECT_TRUE(s.ok());
    }
  }
}

// --- ExpireConditionsHold: a key without a deadline counts as an infinite one for GT and LT. ---

TEST(ExpireConditionsHoldTest, TruthTable) {
  struct Case {
    int conditions;
    int64_t current;
    int64_t when;
    bool holds;
  };
  const Case cases[] = {
      {0, kNoExpiry, 100, true},
      {0, 200, 100, true},
      {kExpireNx, kNoExpiry, 100, true},
      {kExpireNx, 200, 100, false},
      {kExpireXx, kNoExpiry, 100, false},
      {kExpireXx, 200, 100, true},
      {kExpireGt, kNoExpiry, 100, false},  // nothing is greater than infinity
      {kExpireGt, 200, 100, false},
      {kExpireGt, 200, 200, false},
      {kExpireGt, 200, 300, true},
      {kExpireLt, kNoExpiry, 100, true},  // everything is less
      {kExpireLt, 200, 100, true},
      {kExpireLt, 200, 200, false},
      {kExpireLt, 200, 300, false},
      {kExpireXx | kExpireGt, kNoExpiry, 100, false},
      {kExpireXx | kExpireGt, 200, 300, true},
      {kExpireXx | kExpireLt, kNoExpiry, 100, false},
      {kExpireXx | kExpireLt, 200, 100, true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ExpireConditionsHold(c.conditions, c.current, c.when), c.holds)
        << "conditions=" << c.conditions << " current=" << c.current << " when=" << c.when;
  }
}

}  // namespace
}  // namespace latchkey
