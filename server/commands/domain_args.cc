#include "server/commands/domain_args.h"

#include <string>

#include "storage/numbers.h"

namespace latchkey {

bool SecondsArg(CommandContext& ctx, size_t i, std::string_view name, bool allow_zero, int64_t* ms,
                int64_t max_seconds) {
  int64_t v = 0;
  if (!ParseInt64(ctx.arg(i), &v) || v < (allow_zero ? 0 : 1) || v > max_seconds) {
    std::string text = "ERR " + std::string(name) + " must be " +
                       (allow_zero ? "a non-negative" : "a positive") + " number of seconds";
    if (max_seconds != kMaxTtlSeconds) text += " (at most " + std::to_string(max_seconds) + ")";
    ctx.reply.Error(text);
    return false;
  }
  *ms = v * 1000;
  return true;
}

bool ReasonArg(CommandContext& ctx, size_t j, std::string_view* reason) {
  if (j == ctx.argc()) return true;
  if (j + 2 == ctx.argc() && EqualsIgnoreCase(ctx.arg(j), "reason")) {
    if (!ctx.arg(j + 1).empty()) *reason = ctx.arg(j + 1);
    return true;
  }
  ctx.ReplySyntaxError();
  return false;
}

}  // namespace latchkey
