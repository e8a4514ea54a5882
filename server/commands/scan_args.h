// Arguments and reply of the SCAN family: the cursor (SCAN, HSCAN, SSCAN) and the MATCH/COUNT options
// of HSCAN and SSCAN, parsed with Redis 7.0's rules (db.c: parseScanCursorOrReply, scanGenericCommand).
//
// Thread-safety: pure functions over one command's context.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

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

// Answers a command whose options failed to parse (`parsed`), given what looking the key up found
// (`lookup`: OK or WrongType; `size`: 0 for a missing key). Redis looks the key up first: a missing key
// gets an empty scan, a wrong type WRONGTYPE, and only an existing key the options' error.
void ReplyScanOptionsError(CommandContext& ctx, const Status& parsed, const Status& lookup, size_t size);

// Writes the reply's frame: [cursor, [<n elements follow>]].
void ReplyScanHeader(ReplyWriter& reply, uint64_t next_cursor, size_t n);

}  // namespace latchkey
