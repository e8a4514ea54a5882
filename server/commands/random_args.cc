#include "server/commands/random_args.h"

#include "storage/numbers.h"

namespace latchkey {

bool RandomCountArg(CommandContext& ctx, size_t i, int64_t* count) {
  if (!ctx.IntArg(i, count)) return false;
  if (*count == INT64_MIN) {
    ctx.reply.Error(
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
    return false;
  }
  return true;
}

bool PopCountArg(CommandContext& ctx, size_t i, uint64_t* count) {
  int64_t value = 0;
  if (!ParseInt64(ctx.arg(i), &value) || value < 0) {
    ctx.reply.Error("ERR value is out of range, must be positive");
    return false;
  }
  *count = static_cast<uint64_t>(value);
  return true;
}

bool RandomReplyHasRoom(CommandContext& ctx, size_t start) {
  if (ctx.reply.buffer()->size() - start <= kMaxRandomReplyBytes) return true;
  ctx.session.close_after_reply = true;
  return false;
}

}  // namespace latchkey
