// Arguments and reply of the SCAN family: the cursor (SCAN, HSCAN, SSCAN) and the MATCH/COUNT options
// of HSCAN and SSCAN, parsed with Redis 7.0's rules (db.c: parseScanCursorOrReply, scanGenericCommand).
//
// Thread-safety: pure functions over one command's context.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "server/command_context.h"

namespace latchkey {

// strtoul over the whole argument ("" is 0, "-1" wraps, no leading space). Returns false if invalid;
// the caller replies "ERR invalid cursor".
bool ParseScanCursor(std::string_view text, uint64_t* cursor);

struct ScanOptions {
  std::string_view pattern;  // empty: every element
  size_t count = 10;
};

// Parses MATCH <pattern> and COUNT <n> (n >= 1) from args[first] on, without replying; returns the error
// Redis gives (a non-integer COUNT, or a syntax error). Redis looks the key up before it parses these,
// so the caller answers a missing key or a wrong type first.
Status ParseScanOptions(const CommandContext& ctx, size_t first, ScanOptions* options);

// Parses HSCAN/SSCAN's cursor (args[2]) and options (args[3] on). On an error, replies as Redis does and
// returns false: an invalid cursor first; then, since Redis looks the key up before it reads the
// options, an empty scan for a missing key or WRONGTYPE (`key_size` looks the key up: OK and its size,
// 0 when missing, or WrongType); only then the options' error.
bool ParseScanRequest(CommandContext& ctx, absl::FunctionRef<Status(size_t* size)> key_size, uint64_t* cursor,
                      ScanOptions* options);

// Writes the reply's frame: [cursor, [<n elements follow>]].
void ReplyScanHeader(ReplyWriter& reply, uint64_t next_cursor, size_t n);

}  // namespace latchkey
