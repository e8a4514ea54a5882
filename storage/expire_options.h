// Turning the expiry arguments of SET, GETEX, SETEX, EXPIRE and friends into one absolute deadline
// (Unix ms), with Redis's validation and its exact error texts. The one place this arithmetic lives.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "storage/status.h"

namespace latchkey {

enum class TimeUnit { kSeconds, kMilliseconds };
enum class TimeBase { kRelative, kAbsolute };  // EX/PX/EXPIRE vs EXAT/PXAT/EXPIREAT

// The conditions of EXPIRE ... NX|XX|GT|LT, as bit flags.
enum ExpireCondition : int { kExpireNx = 1, kExpireXx = 2, kExpireGt = 4, kExpireLt = 8 };

// For SET/GETEX/SETEX/PSETEX: `value` must be positive and the deadline must not overflow; otherwise
// returns "invalid expire time in '<command>' command". On success stores the deadline in *deadline_ms.
Status DeadlineForSet(int64_t value, TimeUnit unit, TimeBase base, int64_t now_ms, std::string_view command,
                      int64_t* deadline_ms);

// For EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT: any value is accepted (a past deadline deletes the key), only
// overflow is an error (same text as above).
Status DeadlineForExpire(int64_t value, TimeUnit unit, TimeBase base, int64_t now_ms,
                         std::string_view command, int64_t* deadline_ms);

// Checks the combination of EXPIRE condition flags; returns Redis's error for incompatible ones.
Status ValidateExpireConditions(int conditions);

// Whether EXPIRE with `conditions` may replace `current` (kNoExpiry when the key has none) with `when`.
// A key without a deadline counts as an infinite one (Redis's rule for GT and LT).
bool ExpireConditionsHold(int conditions, int64_t current, int64_t when);

}  // namespace latchkey
