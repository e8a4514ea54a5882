// The count argument of HRANDFIELD, SRANDMEMBER and SPOP, and the bound on how large a reply of random
// picks may grow.
//
// A negative count asks for that many picks with repeats, so a tiny hash can be asked for 2^63 picks.
// Redis 7.0 writes them until its memory runs out (normal clients have no output limit by default);
// we stop once the reply passes kMaxRandomReplyBytes and close the connection after sending what was
// written, as Redis does to a client over its output buffer limit.
//
// Thread-safety: pure functions over one command's context.
#pragma once

#include <cstddef>
#include <cstdint>

#include "server/command_context.h"

namespace latchkey {

// The most a random-pick reply may hold (Redis's default proto-max-bulk-len, for want of a closer limit).
inline constexpr size_t kMaxRandomReplyBytes = size_t{512} << 20;

// HRANDFIELD/SRANDMEMBER: an integer in [-LONG_MAX, LONG_MAX]; otherwise replies Redis's error and
// returns false.
bool RandomCountArg(CommandContext& ctx, size_t i, int64_t* count);

// SPOP: an integer >= 0; otherwise replies "value is out of range, must be positive" (Redis gives that
// text for a non-number too) and returns false.
bool PopCountArg(CommandContext& ctx, size_t i, uint64_t* count);

// Whether the reply begun at buffer offset `start` may take another pick. When not, marks the connection
// to close after this reply and returns false.
bool RandomReplyHasRoom(CommandContext& ctx, size_t start);

}  // namespace latchkey
