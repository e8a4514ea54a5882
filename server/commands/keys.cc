// Generic key commands: DEL, EXISTS, TYPE, the EXPIRE family, TTL queries, PERSIST, RENAME, KEYS, SCAN,
// RANDOMKEY, TOUCH, OBJECT. Each handler checks arguments, calls storage/keys.h, encodes the reply.
#include <string>

#include "server/command_context.h"
#include "server/commands/scan_args.h"
#include "storage/expire_options.h"
#include "storage/keys.h"

namespace latchkey {
namespace {

void Del(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(DeleteKeys(ctx.db(), ctx.now_ms, ctx.args.subspan(1))));
}

void Exists(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(CountExisting(ctx.db(), ctx.now_ms, ctx.args.subspan(1))));
}

void Type(CommandContext& ctx) {
  auto type = TypeOfKey(ctx.db(), ctx.now_ms, ctx.arg(1));
  ctx.reply.Simple(type ? TypeName(*type) : "none");
}

void ExpireGeneric(CommandContext& ctx, TimeUnit unit, TimeBase base) {
  int conditions = 0;
  for (size_t j = 3; j < ctx.argc(); ++j) {
    std::string_view opt = ctx.arg(j);
    if (EqualsIgnoreCase(opt, "nx"))
      conditions |= kExpireNx;
    else if (EqualsIgnoreCase(opt, "xx"))
      conditions |= kExpireXx;
    else if (EqualsIgnoreCase(opt, "gt"))
      conditions |= kExpireGt;
    else if (EqualsIgnoreCase(opt, "lt"))
      conditions |= kExpireLt;
    else {
      ctx.reply.Error("ERR Unsupported option " + std::string(opt));
      return;
    }
  }
  Status s = ValidateExpireConditions(conditions);
  if (!s.ok()) return ctx.ReplyError(s);
  int64_t value = 0;
  if (!ctx.IntArg(2, &value)) return;
  int64_t deadline = 0;
  s = DeadlineForExpire(value, unit, base, ctx.now_ms, ctx.spec.fullname, &deadline);
  if (!s.ok()) return ctx.ReplyError(s);
  ctx.reply.Integer(ExpireKey(ctx.db(), ctx.now_ms, ctx.arg(1), deadline, conditions) ? 1 : 0);
}
void Expire(CommandContext& ctx) {
  ExpireGeneric(ctx, TimeUnit::kSeconds, TimeBase::kRelative);
}
void PExpire(CommandContext& ctx) {
  ExpireGeneric(ctx, TimeUnit::kMilliseconds, TimeBase::kRelative);
}
void ExpireAt(CommandContext& ctx) {
  ExpireGeneric(ctx, TimeUnit::kSeconds, TimeBase::kAbsolute);
}
void PExpireAt(CommandContext& ctx) {
  ExpireGeneric(ctx, TimeUnit::kMilliseconds, TimeBase::kAbsolute);
}

// Negative answers (-2 missing, -1 no deadline) pass through; times in ms are rounded to seconds.
void ReplyTime(CommandContext& ctx, int64_t ms, bool in_ms) {
  ctx.reply.Integer(ms < 0 || in_ms ? ms : (ms + 500) / 1000);
}
void Ttl(CommandContext& ctx) {
  ReplyTime(ctx, KeyTtlMs(ctx.db(), ctx.now_ms, ctx.arg(1)), false);
}
void PTtl(CommandContext& ctx) {
  ReplyTime(ctx, KeyTtlMs(ctx.db(), ctx.now_ms, ctx.arg(1)), true);
}
void ExpireTime(CommandContext& ctx) {
  ReplyTime(ctx, KeyDeadlineMs(ctx.db(), ctx.now_ms, ctx.arg(1)), false);
}
void PExpireTime(CommandContext& ctx) {
  ReplyTime(ctx, KeyDeadlineMs(ctx.db(), ctx.now_ms, ctx.arg(1)), true);
}

void Persist(CommandContext& ctx) {
  ctx.reply.Integer(PersistKey(ctx.db(), ctx.now_ms, ctx.arg(1)) ? 1 : 0);
}

void RenameGeneric(CommandContext& ctx, bool only_if_absent) {
  bool renamed = false;
  Status s = RenameKey(ctx.db(), ctx.now_ms, ctx.arg(1), ctx.arg(2), only_if_absent, &renamed);
  if (!s.ok()) return ctx.ReplyError(s);
  only_if_absent ? ctx.reply.Integer(renamed ? 1 : 0) : ctx.reply.Ok();
}
void Rename(CommandContext& ctx) {
  RenameGeneric(ctx, false);
}
void RenameNx(CommandContext& ctx) {
  RenameGeneric(ctx, true);
}

void Keys(CommandContext& ctx) {
  auto keys = KeysMatching(ctx.db(), ctx.now_ms, ctx.arg(1));
  ctx.reply.Array(keys.size());
  for (const auto& k : keys) ctx.reply.Bulk(k);
}

std::optional<ValueType> TypeByName(std::string_view name, bool* known) {
  for (ValueType t : {ValueType::kString, ValueType::kHash, ValueType::kSet}) {
    if (EqualsIgnoreCase(name, TypeName(t))) {
      *known = true;
      return t;
    }
  }
  *known = false;
  return std::nullopt;
}

void Scan(CommandContext& ctx) {
  uint64_t cursor = 0;
  if (!ParseScanCursor(ctx.arg(1), &cursor)) return ctx.reply.Error("ERR invalid cursor");
  ScanFilter filter;
  int64_t count = 10;
  bool type_given = false, type_known = false;
  for (size_t j = 2; j < ctx.argc(); j += 2) {
    if (j + 1 >= ctx.argc()) return ctx.ReplySyntaxError();
    std::string_view opt = ctx.arg(j);
    if (EqualsIgnoreCase(opt, "count")) {
      if (!ctx.IntArg(j + 1, &count)) return;
      if (count < 1) return ctx.ReplySyntaxError();
    } else if (EqualsIgnoreCase(opt, "match")) {
      filter.pattern = ctx.arg(j + 1);
    } else if (EqualsIgnoreCase(opt, "type")) {
      type_given = true;
      filter.type = TypeByName(ctx.arg(j + 1), &type_known);
    } else {
      return ctx.ReplySyntaxError();
    }
  }
  std::vector<std::string> keys;
  uint64_t next = ScanKeys(ctx.db(), ctx.now_ms, cursor, static_cast<size_t>(count), filter, &keys);
  if (type_given && !type_known) keys.clear();  // an unknown type matches nothing, as in Redis 7.0
  ctx.reply.Array(2);
  ctx.reply.Bulk(std::to_string(next));
  ctx.reply.Array(keys.size());
  for (const auto& k : keys) ctx.reply.Bulk(k);
}

void RandomKey(CommandContext& ctx) {
  bool found = false;
  std::string key = ctx.db().RandomKey(ctx.now_ms, &found);
  found ? ctx.reply.Bulk(key) : ctx.reply.Null();
}

void Touch(CommandContext& ctx) {
  Exists(ctx);
}

void ObjectGeneric(CommandContext& ctx, void (*answer)(CommandContext&, const ObjectInfo&)) {
  auto info = DescribeObject(ctx.db(), ctx.now_ms, ctx.arg(2));
  if (!info) return ctx.reply.Null();
  answer(ctx, *info);
}
void ObjectEncoding(CommandContext& ctx) {
  ObjectGeneric(ctx, [](CommandContext& c, const ObjectInfo& i) { c.reply.Bulk(i.encoding); });
}
void ObjectIdleTime(CommandContext& ctx) {
  ObjectGeneric(ctx, [](CommandContext& c, const ObjectInfo& i) { c.reply.Integer(i.idle_seconds); });
}
void ObjectRefCount(CommandContext& ctx) {
  ObjectGeneric(ctx, [](CommandContext& c, const ObjectInfo& i) { c.reply.Integer(i.refcount); });
}
void ObjectFreq(CommandContext& ctx) {
  ObjectGeneric(ctx, [](CommandContext& c, const ObjectInfo&) {
    c.reply.Error(
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when "
        "switching between policies at runtime LRU and LFU data will take some time to adjust.");
  });
}
void ObjectHelp(CommandContext& ctx) {
  static const char* kLines[] = {"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                                 "ENCODING <key>",
                                 "    The internal representation of the value at <key>.",
                                 "FREQ <key>",
                                 "    The access frequency of <key> (needs an LFU maxmemory-policy).",
                                 "IDLETIME <key>",
                                 "    Seconds since <key> was last read or written.",
                                 "REFCOUNT <key>",
                                 "    The reference count of the value at <key>.",
                                 "HELP",
                                 "    Print this help."};
  ctx.ReplyHelp(kLines);
}

}  // namespace

void RegisterKeyCommands(CommandTable& t) {
  const CommandGroup Cmd{"generic"};
  constexpr uint32_t kW = kCmdWrite, kR = kCmdReadonly, kF = kCmdFast;
  const std::vector<std::string> kWK = {"keyspace", "write"}, kRK = {"keyspace", "read"};
  const std::vector<std::string> kWKF = {"keyspace", "write", "fast"}, kRKF = {"keyspace", "read", "fast"};
  t.Add(Cmd("del", -2, kW, kWK, 1, -1, 1, Del, "Delete a key", "1.0.0", "O(N)"));
  t.Add(Cmd("unlink", -2, kW | kF, kWKF, 1, -1, 1, Del, "Delete a key asynchronously", "4.0.0", "O(N)"));
  t.Add(Cmd("exists", -2, kR | kF, kRKF, 1, -1, 1, Exists, "Determine if a key exists", "1.0.0", "O(N)"));
  t.Add(Cmd("type", 2, kR | kF, kRKF, 1, 1, 1, Type, "Determine the type stored at key", "1.0.0", "O(1)"));
  t.Add(Cmd("expire", -3, kW | kF, kWKF, 1, 1, 1, Expire, "Set a key's time to live in seconds", "1.0.0",
            "O(1)"));
  t.Add(Cmd("pexpire", -3, kW | kF, kWKF, 1, 1, 1, PExpire, "Set a key's time to live in milliseconds",
            "2.6.0", "O(1)"));
  t.Add(Cmd("expireat", -3, kW | kF, kWKF, 1, 1, 1, ExpireAt,
            "Set the expiration for a key as a UNIX timestamp", "1.2.0", "O(1)"));
  t.Add(Cmd("pexpireat", -3, kW | kF, kWKF, 1, 1, 1, PExpireAt,
            "Set the expiration for a key as a UNIX timestamp specified in milliseconds", "2.6.0", "O(1)"));
  t.Add(Cmd("ttl", 2, kR | kF, kRKF, 1, 1, 1, Ttl, "Get the time to live for a key in seconds", "1.0.0",
            "O(1)"));
  t.Add(Cmd("pttl", 2, kR | kF, kRKF, 1, 1, 1, PTtl, "Get the time to live for a key in milliseconds",
            "2.6.0", "O(1)"));
  t.Add(Cmd("expiretime", 2, kR | kF, kRKF, 1, 1, 1, ExpireTime,
            "Get the expiration Unix timestamp for a key", "7.0.0", "O(1)"));
  t.Add(Cmd("pexpiretime", 2, kR | kF, kRKF, 1, 1, 1, PExpireTime,
            "Get the expiration Unix timestamp for a key in milliseconds", "7.0.0", "O(1)"));
  t.Add(Cmd("persist", 2, kW | kF, kWKF, 1, 1, 1, Persist, "Remove the expiration from a key", "2.2.0",
            "O(1)"));
  t.Add(
      Cmd("rename", 3, kW, {"keyspace", "write", "slow"}, 1, 2, 1, Rename, "Rename a key", "1.0.0", "O(1)"));
  t.Add(Cmd("renamenx", 3, kW | kF, kWKF, 1, 2, 1, RenameNx,
            "Rename a key, only if the new key does not exist", "1.0.0", "O(1)"));
  t.Add(Cmd("keys", 2, kR, {"keyspace", "read", "slow", "dangerous"}, 0, 0, 0, Keys,
            "Find all keys matching the given pattern", "1.0.0", "O(N)"));
  t.Add(Cmd("scan", -2, kR, {"keyspace", "read", "slow"}, 0, 0, 0, Scan,
            "Incrementally iterate the keys space", "2.8.0",
            "O(1) for every call. O(N) for a complete iteration"));
  t.Add(Cmd("randomkey", 1, kR, {"keyspace", "read", "slow"}, 0, 0, 0, RandomKey,
            "Return a random key from the keyspace", "1.0.0", "O(1)"));
  t.Add(Cmd("touch", -2, kR | kF, kRKF, 1, -1, 1, Touch, "Alters the last access time of a key(s)", "3.2.1",
            "O(N)"));

  CommandSpec object =
      Cmd("object", -2, 0, {"slow"}, 0, 0, 0, nullptr, "A container for object introspection commands",
          "2.2.3", "Depends on subcommand.");
  object.subcommands = {
      Cmd("encoding", 3, kR, {"keyspace", "read", "slow"}, 2, 2, 1, ObjectEncoding,
          "Inspect the internal encoding of a Redis object", "2.2.3", "O(1)"),
      Cmd("freq", 3, kR, {"keyspace", "read", "slow"}, 2, 2, 1, ObjectFreq,
          "Get the logarithmic access frequency counter of a Redis object", "4.0.0", "O(1)"),
      Cmd("idletime", 3, kR, {"keyspace", "read", "slow"}, 2, 2, 1, ObjectIdleTime,
          "Get the time since a Redis object was last accessed", "2.2.3", "O(1)"),
      Cmd("refcount", 3, kR, {"keyspace", "read", "slow"}, 2, 2, 1, ObjectRefCount,
          "Get the number of references to the value of the key", "2.2.3", "O(1)"),
      Cmd("help", 2, kCmdLoading | kCmdStale, {"keyspace", "slow"}, 0, 0, 0, ObjectHelp,
          "Show helpful text about the different subcommands", "6.2.0", "O(1)"),
  };
  t.Add(std::move(object));
}

}  // namespace latchkey
