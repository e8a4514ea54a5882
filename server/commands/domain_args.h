// Argument parsing shared by the domain commands (SESSION.*, RTOKEN.*): TTLs in seconds and the
// trailing REASON option. Each helper replies with the error itself and returns false on bad input.
#pragma once

#include <cstdint>
#include <string_view>

#include "server/command_context.h"

namespace latchkey {

// Longest accepted TTL argument: 100 years, so deadlines can never overflow.
inline constexpr int64_t kMaxTtlSeconds = int64_t{100} * 365 * 24 * 3600;
// The reason recorded when a revocation names none.
inline constexpr std::string_view kDefaultRevokeReason = "revoked";

// Parses argument `i` as seconds in [allow_zero ? 0 : 1, max_seconds] into milliseconds.
bool SecondsArg(CommandContext& ctx, size_t i, std::string_view name, bool allow_zero, int64_t* ms,
                int64_t max_seconds = kMaxTtlSeconds);
// Parses a trailing [REASON <r>] starting at argument `j` (an empty reason keeps the default).
bool ReasonArg(CommandContext& ctx, size_t j, std::string_view* reason);

}  // namespace latchkey
