#include "server/commands/scan_args.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <string>

#include "storage/numbers.h"

namespace latchkey {

bool ParseScanCursor(std::string_view text, uint64_t* cursor) {
  std::string s(text);
  if (!s.empty() && std::isspace(static_cast<unsigned char>(s[0]))) return false;
  char* end = nullptr;
  errno = 0;
  *cursor = std::strtoull(s.c_str(), &end, 10);
  return *end == '\0' && errno != ERANGE;
}

Status ParseScanOptions(const CommandContext& ctx, size_t first, ScanOptions* options) {
  for (size_t j = first; j < ctx.argc(); j += 2) {
    std::string_view opt = ctx.arg(j);
    const bool has_value = j + 1 < ctx.argc();
    if (EqualsIgnoreCase(opt, "count") && has_value) {
      int64_t count = 0;
      if (!ParseInt64(ctx.arg(j + 1), &count)) return Status::Err(std::string(kErrNotInteger));
      if (count < 1) return Status::Err(std::string(kErrSyntax));
      options->count = static_cast<size_t>(count);
    } else if (EqualsIgnoreCase(opt, "match") && has_value) {
      options->pattern = ctx.arg(j + 1);
    } else {
      return Status::Err(std::string(kErrSyntax));
    }
  }
  return Status::Ok();
}

bool ParseScanRequest(CommandContext& ctx, absl::FunctionRef<Status(size_t* size)> key_size, uint64_t* cursor,
                      ScanOptions* options) {
  if (!ParseScanCursor(ctx.arg(2), cursor)) {
    ctx.reply.Error("ERR invalid cursor");
    return false;
  }
  Status parsed = ParseScanOptions(ctx, 3, options);
  if (parsed.ok()) return true;
  size_t size = 0;
  Status lookup = key_size(&size);
  if (lookup.ok() && size == 0) {
    ReplyScanHeader(ctx.reply, 0, 0);
  } else {
    ctx.ReplyError(lookup.ok() ? parsed : lookup);
  }
  return false;
}

void ReplyScanHeader(ReplyWriter& reply, uint64_t next_cursor, size_t n) {
  reply.Array(2);
  reply.Bulk(std::to_string(next_cursor));
  reply.Array(n);
}

}  // namespace latchkey
