#include "storage/expire_options.h"

#include <string>

#include "storage/value.h"

namespace latchkey {

static Status InvalidExpireTime(std::string_view command) {
  return Status::Err("invalid expire time in '" + std::string(command) + "' command");
}

Status DeadlineForSet(int64_t value, TimeUnit unit, TimeBase base, int64_t now_ms, std::string_view command,
                      int64_t* deadline_ms) {
  if (value <= 0 || (unit == TimeUnit::kSeconds && value > INT64_MAX / 1000)) {
    return InvalidExpireTime(command);
  }
  int64_t ms = unit == TimeUnit::kSeconds ? value * 1000 : value;
  if (base == TimeBase::kRelative && __builtin_add_overflow(ms, now_ms, &ms)) {
    return InvalidExpireTime(command);
  }
  *deadline_ms = ms;
  return Status::Ok();
}

Status DeadlineForExpire(int64_t value, TimeUnit unit, TimeBase base, int64_t now_ms,
                         std::string_view command, int64_t* deadline_ms) {
  int64_t ms = value;
  if (unit == TimeUnit::kSeconds && __builtin_mul_overflow(value, int64_t{1000}, &ms)) {
    return InvalidExpireTime(command);
  }
  if (base == TimeBase::kRelative && __builtin_add_overflow(ms, now_ms, &ms)) {
    return InvalidExpireTime(command);
  }
  *deadline_ms = ms;
  return Status::Ok();
}

Status ValidateExpireConditions(int conditions) {
  if ((conditions & kExpireNx) && (conditions & (kExpireXx | kExpireGt | kExpireLt))) {
    return Status::Err("NX and XX, GT or LT options at the same time are not compatible");
  }
  if ((conditions & kExpireGt) && (conditions & kExpireLt)) {
    return Status::Err("GT and LT options at the same time are not compatible");
  }
  return Status::Ok();
}

bool ExpireConditionsHold(int conditions, int64_t current, int64_t when) {
  const bool has_deadline = current != kNoExpiry;
  if ((conditions & kExpireNx) && has_deadline) return false;
  if ((conditions & kExpireXx) && !has_deadline) return false;
  if ((conditions & kExpireGt) && (!has_deadline || when <= current)) return false;
  if ((conditions & kExpireLt) && has_deadline && when >= current) return false;
  return true;
}

}  // namespace latchkey
