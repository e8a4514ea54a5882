// String commands: GET, SET and its variants, MGET/MSET, counters, APPEND, ranges.
// Each handler checks its arguments, calls storage/strings.h, and encodes the reply.
#include <optional>

#include "server/command_context.h"
#include "storage/expire_options.h"
#include "storage/numbers.h"
#include "storage/strings.h"

namespace latchkey {
namespace {

void ReplyValue(CommandContext& ctx, const std::string* value) {
  if (value != nullptr) {
    ctx.stats.Add(ctx.stats.keyspace_hits);
    ctx.reply.Bulk(*value);
  } else {
    ctx.stats.Add(ctx.stats.keyspace_misses);
    ctx.reply.Null();
  }
}

void Get(CommandContext& ctx) {
  Status s = StringGet(ctx.db(), ctx.now_ms, ctx.arg(1), [&](const std::string* v) { ReplyValue(ctx, v); });
  if (!s.ok()) ctx.ReplyError(s);
}

// The options SET and GETEX share, parsed with Redis's exact acceptance rules (parseExtendedString-
// ArgumentsOrReply): which combinations conflict, and that a repeated EX is allowed.
struct StringOptions {
  bool nx = false, xx = false, get = false, keepttl = false, persist = false;
  bool ex = false, px = false, exat = false, pxat = false;
  std::string_view expire_arg;

  bool has_expire() const { return ex || px || exat || pxat; }
  TimeUnit unit() const { return (ex || exat) ? TimeUnit::kSeconds : TimeUnit::kMilliseconds; }
  TimeBase base() const { return (exat || pxat) ? TimeBase::kAbsolute : TimeBase::kRelative; }
};

bool ParseStringOptions(CommandContext& ctx, size_t first, bool for_set, StringOptions* o) {
  for (size_t j = first; j < ctx.argc(); ++j) {
    std::string_view opt = ctx.arg(j);
    const bool has_next = j + 1 < ctx.argc();
    if (for_set && EqualsIgnoreCase(opt, "nx") && !o->xx) {
      o->nx = true;
    } else if (for_set && EqualsIgnoreCase(opt, "xx") && !o->nx) {
      o->xx = true;
    } else if (for_set && EqualsIgnoreCase(opt, "get")) {
      o->get = true;
    } else if (for_set && EqualsIgnoreCase(opt, "keepttl") && !o->persist && !o->has_expire()) {
      o->keepttl = true;
    } else if (!for_set && EqualsIgnoreCase(opt, "persist") && !o->has_expire() && !o->keepttl) {
      o->persist = true;
    } else if (EqualsIgnoreCase(opt, "ex") && !o->keepttl && !o->persist && !o->exat && !o->px && !o->pxat &&
               has_next) {
      o->ex = true;
      o->expire_arg = ctx.arg(++j);
    } else if (EqualsIgnoreCase(opt, "px") && !o->keepttl && !o->persist && !o->ex && !o->exat && !o->pxat &&
               has_next) {
      o->px = true;
      o->expire_arg = ctx.arg(++j);
    } else if (EqualsIgnoreCase(opt, "exat") && !o->keepttl && !o->persist && !o->ex && !o->px && !o->pxat &&
               has_next) {
      o->exat = true;
      o->expire_arg = ctx.arg(++j);
    } else if (EqualsIgnoreCase(opt, "pxat") && !o->keepttl && !o->persist && !o->ex && !o->exat && !o->px &&
               has_next) {
      o->pxat = true;
      o->expire_arg = ctx.arg(++j);
    } else {
      ctx.ReplySyntaxError();
      return false;
    }
  }
  return true;
}

// Computes the deadline of an expiry argument; replies with the error and returns nullopt if invalid.
std::optional<int64_t> ExpireDeadline(CommandContext& ctx, std::string_view arg, TimeUnit unit,
                                      TimeBase base) {
  int64_t value = 0;
  if (!ParseInt64(arg, &value)) {
    ctx.reply.Error("ERR value is not an integer or out of range");
    return std::nullopt;
  }
  int64_t deadline = 0;
  Status s = DeadlineForSet(value, unit, base, ctx.now_ms, ctx.spec.fullname, &deadline);
  if (!s.ok()) {
    ctx.ReplyError(s);
    return std::nullopt;
  }
  return deadline;
}

// The shared tail of SET, SETNX, SETEX, PSETEX and GETSET.
void SetAndReply(CommandContext& ctx, std::string_view key, std::string_view value, const SetParams& params,
                 bool reply_integer) {
  SetOutcome outcome;
  Status s = StringSet(ctx.db(), ctx.now_ms, key, value, params, &outcome);
  if (!s.ok()) {
    ctx.ReplyError(s);
  } else if (params.return_old) {
    outcome.had_old ? ctx.reply.Bulk(outcome.old_value) : ctx.reply.Null();
  } else if (reply_integer) {
    ctx.reply.Integer(outcome.applied ? 1 : 0);
  } else if (outcome.applied) {
    ctx.reply.Ok();
  } else {
    ctx.reply.Null();
  }
}

void Set(CommandContext& ctx) {
  StringOptions o;
  if (!ParseStringOptions(ctx, 3, true, &o)) return;
  SetParams params;
  if (o.has_expire()) {
    auto deadline = ExpireDeadline(ctx, o.expire_arg, o.unit(), o.base());
    if (!deadline) return;
    params.deadline_ms = *deadline;
  }
  params.condition = o.nx   ? SetParams::Condition::kIfAbsent
                     : o.xx ? SetParams::Condition::kIfPresent
                            : SetParams::Condition::kAlways;
  params.return_old = o.get;
  params.keep_ttl = o.keepttl;
  SetAndReply(ctx, ctx.arg(1), ctx.arg(2), params, false);
}

void SetNx(CommandContext& ctx) {
  SetParams params;
  params.condition = SetParams::Condition::kIfAbsent;
  SetAndReply(ctx, ctx.arg(1), ctx.arg(2), params, true);
}

void SetExGeneric(CommandContext& ctx, TimeUnit unit) {
  SetParams params;
  auto deadline = ExpireDeadline(ctx, ctx.arg(2), unit, TimeBase::kRelative);
  if (!deadline) return;
  params.deadline_ms = *deadline;
  SetAndReply(ctx, ctx.arg(1), ctx.arg(3), params, false);
}
void SetEx(CommandContext& ctx) {
  SetExGeneric(ctx, TimeUnit::kSeconds);
}
void PSetEx(CommandContext& ctx) {
  SetExGeneric(ctx, TimeUnit::kMilliseconds);
}

void GetSet(CommandContext& ctx) {
  SetParams params;
  params.return_old = true;
  SetAndReply(ctx, ctx.arg(1), ctx.arg(2), params, false);
}

void GetEx(CommandContext& ctx) {
  StringOptions o;
  if (!ParseStringOptions(ctx, 2, false, &o)) return;
  GetExAction action;
  if (o.persist) action.kind = GetExAction::Kind::kPersist;
  if (o.has_expire()) {
    int64_t value = 0;
    int64_t deadline = 0;
    Status s = ParseInt64(o.expire_arg, &value)
                   ? DeadlineForSet(value, o.unit(), o.base(), ctx.now_ms, "getex", &deadline)
                   : Status::Err(std::string(kErrNotInteger));
    if (!s.ok()) {
      // Redis answers a missing key (nil) or a wrong type before it validates the expiry.
      Status read = StringGet(ctx.db(), ctx.now_ms, ctx.arg(1), [&](const std::string* v) {
        v == nullptr ? ctx.reply.Null() : ctx.ReplyError(s);
      });
      if (!read.ok()) ctx.ReplyError(read);
      return;
    }
    action.kind = GetExAction::Kind::kSetDeadline;
    action.deadline_ms = deadline;
  }
  Status s = StringGetEx(ctx.db(), ctx.now_ms, ctx.arg(1), action,
                         [&](const std::string* v) { ReplyValue(ctx, v); });
  if (!s.ok()) ctx.ReplyError(s);
}

void GetDel(CommandContext& ctx) {
  Status s =
      StringGetDel(ctx.db(), ctx.now_ms, ctx.arg(1), [&](const std::string* v) { ReplyValue(ctx, v); });
  if (!s.ok()) ctx.ReplyError(s);
}

void MGet(CommandContext& ctx) {
  ctx.reply.Array(ctx.argc() - 1);
  StringMultiGet(ctx.db(), ctx.now_ms, ctx.args.subspan(1),
                 [&](const std::string* v) { ReplyValue(ctx, v); });
}

void MSetGeneric(CommandContext& ctx, bool only_if_none_exist) {
  if (ctx.argc() % 2 == 0) {
    ctx.ReplyArityError();
    return;
  }
  bool applied = StringMultiSet(ctx.db(), ctx.now_ms, ctx.args.subspan(1), only_if_none_exist);
  only_if_none_exist ? ctx.reply.Integer(applied ? 1 : 0) : ctx.reply.Ok();
}
void MSet(CommandContext& ctx) {
  MSetGeneric(ctx, false);
}
void MSetNx(CommandContext& ctx) {
  MSetGeneric(ctx, true);
}

void IncrByAndReply(CommandContext& ctx, int64_t delta) {
  int64_t result = 0;
  Status s = StringIncrBy(ctx.db(), ctx.now_ms, ctx.arg(1), delta, &result);
  s.ok() ? ctx.reply.Integer(result) : ctx.ReplyError(s);
}
void Incr(CommandContext& ctx) {
  IncrByAndReply(ctx, 1);
}
void Decr(CommandContext& ctx) {
  IncrByAndReply(ctx, -1);
}
void IncrBy(CommandContext& ctx) {
  int64_t delta = 0;
  if (ctx.IntArg(2, &delta)) IncrByAndReply(ctx, delta);
}
void DecrBy(CommandContext& ctx) {
  int64_t delta = 0;
  if (!ctx.IntArg(2, &delta)) return;
  if (delta == INT64_MIN) {
    ctx.reply.Error("ERR decrement would overflow");
    return;
  }
  IncrByAndReply(ctx, -delta);
}

void IncrByFloat(CommandContext& ctx) {
  long double delta = 0;
  if (!ParseLongDouble(ctx.arg(2), &delta)) {
    // Redis checks the key's type before it parses the increment.
    Status read = StringGet(ctx.db(), ctx.now_ms, ctx.arg(1), [](const std::string*) {});
    read.ok() ? ctx.reply.Error("ERR value is not a valid float") : ctx.ReplyError(read);
    return;
  }
  std::string result;
  Status s = StringIncrByFloat(ctx.db(), ctx.now_ms, ctx.arg(1), delta, &result);
  s.ok() ? ctx.reply.Bulk(result) : ctx.ReplyError(s);
}

void Append(CommandContext& ctx) {
  uint64_t len = 0;
  Status s = StringAppend(ctx.db(), ctx.now_ms, ctx.arg(1), ctx.arg(2),
                          ctx.server.config.proto_max_bulk_len(), &len);
  s.ok() ? ctx.reply.Integer(static_cast<int64_t>(len)) : ctx.ReplyError(s);
}

void StrLen(CommandContext& ctx) {
  uint64_t len = 0;
  Status s = StringLength(ctx.db(), ctx.now_ms, ctx.arg(1), &len);
  s.ok() ? ctx.reply.Integer(static_cast<int64_t>(len)) : ctx.ReplyError(s);
}

void GetRange(CommandContext& ctx) {
  int64_t start = 0, end = 0;
  if (!ctx.IntArg(2, &start) || !ctx.IntArg(3, &end)) return;
  Status s = StringGetRange(ctx.db(), ctx.now_ms, ctx.arg(1), start, end,
                            [&](std::string_view range) { ctx.reply.Bulk(range); });
  if (!s.ok()) ctx.ReplyError(s);
}

void SetRange(CommandContext& ctx) {
  int64_t offset = 0;
  if (!ctx.IntArg(2, &offset)) return;
  if (offset < 0) {
    ctx.reply.Error("ERR offset is out of range");
    return;
  }
  uint64_t len = 0;
  Status s = StringSetRange(ctx.db(), ctx.now_ms, ctx.arg(1), offset, ctx.arg(3),
                            ctx.server.config.proto_max_bulk_len(), &len);
  s.ok() ? ctx.reply.Integer(static_cast<int64_t>(len)) : ctx.ReplyError(s);
}

}  // namespace

void RegisterStringCommands(CommandTable& t) {
  const CommandGroup Cmd{"string"};
  constexpr uint32_t kW = kCmdWrite | kCmdDenyOom;
  constexpr uint32_t kR = kCmdReadonly;
  const std::vector<std::string> kWS = {"write", "string"}, kRS = {"read", "string"};
  const std::vector<std::string> kWSF = {"write", "string", "fast"}, kRSF = {"read", "string", "fast"};
  t.Add(Cmd("get", 2, kR | kCmdFast, kRSF, 1, 1, 1, Get, "Get the value of a key", "1.0.0", "O(1)"));
  t.Add(Cmd("set", -3, kW, kWS, 1, 1, 1, Set, "Set the string value of a key", "1.0.0", "O(1)"));
  t.Add(Cmd("setnx", 3, kW | kCmdFast, kWSF, 1, 1, 1, SetNx,
            "Set the value of a key, only if the key does not exist", "1.0.0", "O(1)"));
  t.Add(Cmd("setex", 4, kW, kWS, 1, 1, 1, SetEx, "Set the value and expiration of a key", "2.0.0", "O(1)"));
  t.Add(Cmd("psetex", 4, kW, kWS, 1, 1, 1, PSetEx, "Set the value and expiration in milliseconds of a key",
            "2.6.0", "O(1)"));
  t.Add(Cmd("getset", 3, kW | kCmdFast, kWSF, 1, 1, 1, GetSet,
            "Set the string value of a key and return its old value", "1.0.0", "O(1)"));
  t.Add(Cmd("getex", -2, kCmdWrite | kCmdFast, kWSF, 1, 1, 1, GetEx,
            "Get the value of a key and optionally set its expiration", "6.2.0", "O(1)"));
  t.Add(Cmd("getdel", 2, kCmdWrite | kCmdFast, kWSF, 1, 1, 1, GetDel,
            "Get the value of a key and delete the key", "6.2.0", "O(1)"));
  t.Add(Cmd("mget", -2, kR | kCmdFast, kRSF, 1, -1, 1, MGet, "Get the values of all the given keys", "1.0.0",
            "O(N)"));
  t.Add(Cmd("mset", -3, kW, kWS, 1, -1, 2, MSet, "Set multiple keys to multiple values", "1.0.1", "O(N)"));
  t.Add(Cmd("msetnx", -3, kW, kWS, 1, -1, 2, MSetNx,
            "Set multiple keys to multiple values, only if none of the keys exist", "1.0.1", "O(N)"));
  t.Add(Cmd("incr", 2, kW | kCmdFast, kWSF, 1, 1, 1, Incr, "Increment the integer value of a key by one",
            "1.0.0", "O(1)"));
  t.Add(Cmd("decr", 2, kW | kCmdFast, kWSF, 1, 1, 1, Decr, "Decrement the integer value of a key by one",
            "1.0.0", "O(1)"));
  t.Add(Cmd("incrby", 3, kW | kCmdFast, kWSF, 1, 1, 1, IncrBy,
            "Increment the integer value of a key by the given amount", "1.0.0", "O(1)"));
  t.Add(Cmd("decrby", 3, kW | kCmdFast, kWSF, 1, 1, 1, DecrBy,
            "Decrement the integer value of a key by the given number", "1.0.0", "O(1)"));
  t.Add(Cmd("incrbyfloat", 3, kW | kCmdFast, kWSF, 1, 1, 1, IncrByFloat,
            "Increment the float value of a key by the given amount", "2.6.0", "O(1)"));
  t.Add(Cmd("append", 3, kW | kCmdFast, kWSF, 1, 1, 1, Append, "Append a value to a key", "2.0.0", "O(1)"));
  t.Add(Cmd("strlen", 2, kR | kCmdFast, kRSF, 1, 1, 1, StrLen, "Get the length of the value stored in a key",
            "2.2.0", "O(1)"));
  t.Add(Cmd("getrange", 4, kR, kRS, 1, 1, 1, GetRange, "Get a substring of the string stored at a key",
            "2.4.0", "O(N)"));
  t.Add(Cmd("substr", 4, kR, kRS, 1, 1, 1, GetRange, "Get a substring of the string stored at a key", "1.0.0",
            "O(N)"));  // GETRANGE's old name, which Redis still answers
  t.Add(Cmd("setrange", 4, kW, kWS, 1, 1, 1, SetRange,
            "Overwrite part of a string at key starting at the specified offset", "2.2.0", "O(1)"));
}

}  // namespace latchkey
