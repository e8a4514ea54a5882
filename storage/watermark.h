// Not-before watermarks (SPEC §5): a token issued at or before a watermark is revoked. Watermarks are
// kept per subject, per client and globally; a token is tested against the largest of the three that
// apply to it. This is the one place that decides which watermark wins and what a check answers.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>

namespace latchkey {

enum class WatermarkScope : uint8_t { kSub = 0, kClient = 1, kGlobal = 2 };

// The watermarks that apply to one token (absent: none set, or it expired).
struct ApplicableWatermarks {
  std::optional<int64_t> sub, client, global;
};

struct EffectiveWatermark {
  int64_t value = 0;
  WatermarkScope scope = WatermarkScope::kSub;
};

// The largest applicable watermark and its scope; on a tie the most specific scope (subject, then
// client, then global) is named. nullopt when none applies.
inline std::optional<EffectiveWatermark> Effective(const ApplicableWatermarks& w) {
  std::optional<EffectiveWatermark> best;
  auto consider = [&best](const std::optional<int64_t>& v, WatermarkScope scope) {
    if (v && (!best || *v > best->value)) best = EffectiveWatermark{*v, scope};
  };
  consider(w.sub, WatermarkScope::kSub);
  consider(w.client, WatermarkScope::kClient);
  consider(w.global, WatermarkScope::kGlobal);
  return best;
}

// The scope whose watermark revokes a token issued at `iat` (seconds), if any. Inclusive: a token
// issued in the same second as the watermark is revoked, since it may predate the revocation.
inline std::optional<WatermarkScope> RevokedBy(const ApplicableWatermarks& w, int64_t iat) {
  const std::optional<EffectiveWatermark> e = Effective(w);
  if (!e || iat > e->value) return std::nullopt;
  return e->scope;
}

}  // namespace latchkey
