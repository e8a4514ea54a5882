// Hash commands: HSET/HMSET/HSETNX, reads (HGET, HMGET, HGETALL, HKEYS, HVALS, HLEN, HEXISTS, HSTRLEN),
// HDEL, counters (HINCRBY, HINCRBYFLOAT), HSCAN and HRANDFIELD.
// Each handler checks its arguments, calls storage/hashes.h, and encodes the reply.
#include <cmath>

#include "server/command_context.h"
#include "server/commands/random_args.h"
#include "server/commands/scan_args.h"
#include "storage/hashes.h"
#include "storage/numbers.h"

namespace latchkey {
namespace {

void ReplyValue(CommandContext& ctx, const std::string* value) {
  value != nullptr ? ctx.reply.Bulk(*value) : ctx.reply.Null();
}

// HSET answers how many fields were new; HMSET (deprecated) answers OK.
void HSetGeneric(CommandContext& ctx, bool reply_ok) {
  if (ctx.argc() % 2 == 1) return ctx.ReplyArityError();
  size_t added = 0;
  Status s = HashSet(ctx.db(), ctx.now_ms, ctx.arg(1), ctx.args.subspan(2), &added);
  if (!s.ok()) return ctx.ReplyError(s);
  reply_ok ? ctx.reply.Ok() : ctx.reply.Integer(static_cast<int64_t>(added));
}
void HSet(CommandContext& ctx) {
  HSetGeneric(ctx, false);
}
void HMSet(CommandContext& ctx) {
  HSetGeneric(ctx, true);
}

void HSetNx(CommandContext& ctx) {
  bool applied = false;
  Status s = HashSetIfAbsent(ctx.db(), ctx.now_ms, ctx.arg(1), ctx.arg(2), ctx.arg(3), &applied);
  s.ok() ? ctx.reply.Integer(applied ? 1 : 0) : ctx.ReplyError(s);
}

void HGet(CommandContext& ctx) {
  Status s = HashGet(ctx.db(), ctx.now_ms, ctx.arg(1), ctx.arg(2),
                     [&](const std::string* value) { ReplyValue(ctx, value); });
  if (!s.ok()) ctx.ReplyError(s);
}

void HMGet(CommandContext& ctx) {
  bool started = false;
  Status s = HashMultiGet(ctx.db(), ctx.now_ms, ctx.arg(1), ctx.args.subspan(2), [&](const std::string* v) {
    if (!started) ctx.reply.Array(ctx.argc() - 2);
    started = true;
    ReplyValue(ctx, v);
  });
  if (!s.ok()) ctx.ReplyError(s);
}

// HGETALL (fields and values, a map), HKEYS, HVALS (arrays).
void HGetAllGeneric(CommandContext& ctx, bool fields, bool values) {
  Status s = HashRead(ctx.db(), ctx.now_ms, ctx.arg(1), [&](const HashValue* hash) {
    const size_t n = hash != nullptr ? hash->size() : 0;
    fields&& values ? ctx.reply.Map(n) : ctx.reply.Array(n);
    if (hash == nullptr) return;
    for (const auto& [field, value] : *hash) {
      if (fields) ctx.reply.Bulk(field);
      if (values) ctx.reply.Bulk(value);
    }
  });
  if (!s.ok()) ctx.ReplyError(s);
}
void HGetAll(CommandContext& ctx) {
  HGetAllGeneric(ctx, true, true);
}
void HKeys(CommandContext& ctx) {
  HGetAllGeneric(ctx, true, false);
}
void HVals(CommandContext& ctx) {
  HGetAllGeneric(ctx, false, true);
}

void HDel(CommandContext& ctx) {
  size_t removed = 0;
  Status s = HashDelete(ctx.db(), ctx.now_ms, ctx.arg(1), ctx.args.subspan(2), &removed);
  s.ok() ? ctx.reply.Integer(static_cast<int64_t>(removed)) : ctx.ReplyError(s);
}

void HExists(CommandContext& ctx) {
  bool exists = false;
  Status s = HashExists(ctx.db(), ctx.now_ms, ctx.arg(1), ctx.arg(2), &exists);
  s.ok() ? ctx.reply.Integer(exists ? 1 : 0) : ctx.ReplyError(s);
}

void HLen(CommandContext& ctx) {
  size_t len = 0;
  Status s = HashLength(ctx.db(), ctx.now_ms, ctx.arg(1), &len);
  s.ok() ? ctx.reply.Integer(static_cast<int64_t>(len)) : ctx.ReplyError(s);
}

void HStrLen(CommandContext& ctx) {
  size_t len = 0;
  Status s = HashValueLength(ctx.db(), ctx.now_ms, ctx.arg(1), ctx.arg(2), &len);
  s.ok() ? ctx.reply.Integer(static_cast<int64_t>(len)) : ctx.ReplyError(s);
}

void HIncrBy(CommandContext& ctx) {
  int64_t delta = 0, result = 0;
  if (!ctx.IntArg(3, &delta)) return;
  Status s = HashIncrBy(ctx.db(), ctx.now_ms, ctx.arg(1), ctx.arg(2), delta, &result);
  s.ok() ? ctx.reply.Integer(result) : ctx.ReplyError(s);
}

void HIncrByFloat(CommandContext& ctx) {
  long double delta = 0;
  if (!ParseLongDouble(ctx.arg(3), &delta)) return ctx.reply.Error("ERR value is not a valid float");
  if (std::isnan(delta) || std::isinf(delta)) return ctx.reply.Error("ERR value is NaN or Infinity");
  std::string result;
  Status s = HashIncrByFloat(ctx.db(), ctx.now_ms, ctx.arg(1), ctx.arg(2), delta, &result);
  s.ok() ? ctx.reply.Bulk(result) : ctx.ReplyError(s);
}

void HScan(CommandContext& ctx) {
  uint64_t cursor = 0;
  ScanOptions options;
  auto key_size = [&](size_t* size) { return HashLength(ctx.db(), ctx.now_ms, ctx.arg(1), size); };
  if (!ParseScanRequest(ctx, key_size, &cursor, &options)) return;
  Status s = HashScan(ctx.db(), ctx.now_ms, ctx.arg(1), cursor, options.count, options.pattern,
                      [&](uint64_t next, std::span<const HashEntry* const> entries) {
                        ReplyScanHeader(ctx.reply, next, entries.size() * 2);
                        for (const HashEntry* entry : entries) {
                          ctx.reply.Bulk(entry->first);
                          ctx.reply.Bulk(entry->second);
                        }
                      });
  if (!s.ok()) ctx.ReplyError(s);
}

// HRANDFIELD key: one field or null.
void HRandFieldOne(CommandContext& ctx) {
  Status s = HashRandomFields(
      ctx.db(), ctx.now_ms, ctx.arg(1), 1, true,
      [&](uint64_t n) {
        if (n == 0) ctx.reply.Null();
      },
      [&](const HashEntry& entry) {
        ctx.reply.Bulk(entry.first);
        return true;
      });
  if (!s.ok()) ctx.ReplyError(s);
}

// HRANDFIELD key count [WITHVALUES]: an array; with values, flat in RESP2 and of pairs in RESP3.
void HRandField(CommandContext& ctx) {
  if (ctx.argc() == 2) return HRandFieldOne(ctx);
  int64_t count = 0;
  if (!RandomCountArg(ctx, 2, &count)) return;
  if (ctx.argc() > 4 || (ctx.argc() == 4 && !EqualsIgnoreCase(ctx.arg(3), "withvalues"))) {
    return ctx.ReplySyntaxError();
  }
  const bool with_values = ctx.argc() == 4;
  if (with_values && (count < -INT64_MAX / 2 || count > INT64_MAX / 2)) {
    return ctx.reply.Error("ERR value is out of range");
  }
  const bool pairs = with_values && ctx.reply.resp3();
  const size_t start = ctx.reply.buffer()->size();
  Status s = HashRandomFields(
      ctx.db(), ctx.now_ms, ctx.arg(1), count < 0 ? 0 - static_cast<uint64_t>(count) : count, count >= 0,
      [&](uint64_t n) { ctx.reply.Array(with_values && !pairs ? n * 2 : n); },
      [&](const HashEntry& entry) {
        if (pairs) ctx.reply.Array(2);
        ctx.reply.Bulk(entry.first);
        if (with_values) ctx.reply.Bulk(entry.second);
        return RandomReplyHasRoom(ctx, start);
      });
  if (!s.ok()) ctx.ReplyError(s);
}

}  // namespace

void RegisterHashCommands(CommandTable& t) {
  const CommandGroup Cmd{"hash"};
  constexpr uint32_t kW = kCmdWrite | kCmdDenyOom | kCmdFast, kR = kCmdReadonly;
  const std::vector<std::string> kWF = {"write", "hash", "fast"}, kRF = {"read", "hash", "fast"};
  const std::vector<std::string> kRS = {"read", "hash", "slow"};
  t.Add(Cmd("hset", -4, kW, kWF, 1, 1, 1, HSet, "Set the string value of a hash field", "2.0.0",
            "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is "
            "called with multiple field/value pairs."));
  t.Add(Cmd("hsetnx", 4, kW, kWF, 1, 1, 1, HSetNx,
            "Set the value of a hash field, only if the field does not "
            "exist",
            "2.0.0", "O(1)"));
  t.Add(Cmd("hmset", -4, kW, kWF, 1, 1, 1, HMSet, "Set multiple hash fields to multiple values", "2.0.0",
            "O(N) where N is the number of fields being set."));
  t.Add(Cmd("hget", 3, kR | kCmdFast, kRF, 1, 1, 1, HGet, "Get the value of a hash field", "2.0.0", "O(1)"));
  t.Add(Cmd("hmget", -3, kR | kCmdFast, kRF, 1, 1, 1, HMGet, "Get the values of all the given hash fields",
            "2.0.0", "O(N) where N is the number of fields being requested."));
  t.Add(Cmd("hgetall", 2, kR, kRS, 1, 1, 1, HGetAll, "Get all the fields and values in a hash", "2.0.0",
            "O(N) where N is the size of the hash."));
  t.Add(Cmd("hdel", -3, kCmdWrite | kCmdFast, kWF, 1, 1, 1, HDel, "Delete one or more hash fields", "2.0.0",
            "O(N) where N is the number of fields to be removed."));
  t.Add(Cmd("hexists", 3, kR | kCmdFast, kRF, 1, 1, 1, HExists, "Determine if a hash field exists", "2.0.0",
            "O(1)"));
  t.Add(Cmd("hlen", 2, kR | kCmdFast, kRF, 1, 1, 1, HLen, "Get the number of fields in a hash", "2.0.0",
            "O(1)"));
  t.Add(Cmd("hkeys", 2, kR, kRS, 1, 1, 1, HKeys, "Get all the fields in a hash", "2.0.0",
            "O(N) where N is the size of the hash."));
  t.Add(Cmd("hvals", 2, kR, kRS, 1, 1, 1, HVals, "Get all the values in a hash", "2.0.0",
            "O(N) where N is the size of the hash."));
  t.Add(Cmd("hincrby", 4, kW, kWF, 1, 1, 1, HIncrBy,
            "Increment the integer value of a hash field by the given number", "2.0.0", "O(1)"));
  t.Add(Cmd("hincrbyfloat", 4, kW, kWF, 1, 1, 1, HIncrByFloat,
            "Increment the float value of a hash field by the given amount", "2.6.0", "O(1)"));
  t.Add(Cmd("hstrlen", 3, kR | kCmdFast, kRF, 1, 1, 1, HStrLen, "Get the length of the value of a hash field",
            "3.2.0", "O(1)"));
  t.Add(Cmd("hscan", -3, kR, kRS, 1, 1, 1, HScan, "Incrementally iterate hash fields and associated values",
            "2.8.0",
            "O(1) for every call. O(N) for a complete iteration, including enough command calls for the "
            "cursor to return back to 0. N is the number of elements inside the collection.."));
  t.Add(Cmd("hrandfield", -2, kR, kRS, 1, 1, 1, HRandField, "Get one or multiple random fields from a hash",
            "6.2.0", "O(N) where N is the number of fields returned"));
}

}  // namespace latchkey
