// Set commands: SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER, SCARD, SPOP, SRANDMEMBER, SSCAN and the
// algebra (SINTER, SUNION, SDIFF). Each handler checks its arguments, calls storage/sets.h, and encodes
// the reply. Whole-set answers are RESP3 sets, as in Redis 7.0; SRANDMEMBER's are arrays.
#include "storage/sets.h"
#include "server/command_context.h"
#include "server/commands/random_args.h"
#include "server/commands/scan_args.h"

namespace latchkey {
namespace {

// A set reply: ~n in RESP3, an array in RESP2.
void ReplyMembers(CommandContext& ctx, std::span<const std::string* const> members) {
  ctx.reply.Set(members.size());
  for (const std::string* member : members) ctx.reply.Bulk(*member);
}

void SAdd(CommandContext& ctx) {
  size_t added = 0;
  Status s = SetAdd(ctx.db(), ctx.now_ms, ctx.arg(1), ctx.args.subspan(2), &added);
  s.ok() ? ctx.reply.Integer(static_cast<int64_t>(added)) : ctx.ReplyError(s);
}

void SRem(CommandContext& ctx) {
  size_t removed = 0;
  Status s = SetRemove(ctx.db(), ctx.now_ms, ctx.arg(1), ctx.args.subspan(2), &removed);
  s.ok() ? ctx.reply.Integer(static_cast<int64_t>(removed)) : ctx.ReplyError(s);
}

void SMembers(CommandContext& ctx) {
  Status s = SetMembers(ctx.db(), ctx.now_ms, ctx.arg(1),
                        [&](std::span<const std::string* const> members) { ReplyMembers(ctx, members); });
  if (!s.ok()) ctx.ReplyError(s);
}

void SIsMember(CommandContext& ctx) {
  Status s = SetContains(ctx.db(), ctx.now_ms, ctx.arg(1), ctx.args.subspan(2, 1),
                         [&](bool present) { ctx.reply.Integer(present ? 1 : 0); });
  if (!s.ok()) ctx.ReplyError(s);
}

void SMIsMember(CommandContext& ctx) {
  bool started = false;
  Status s = SetContains(ctx.db(), ctx.now_ms, ctx.arg(1), ctx.args.subspan(2), [&](bool present) {
    if (!started) ctx.reply.Array(ctx.argc() - 2);
    started = true;
    ctx.reply.Integer(present ? 1 : 0);
  });
  if (!s.ok()) ctx.ReplyError(s);
}

void SCard(CommandContext& ctx) {
  size_t size = 0;
  Status s = SetCardinality(ctx.db(), ctx.now_ms, ctx.arg(1), &size);
  s.ok() ? ctx.reply.Integer(static_cast<int64_t>(size)) : ctx.ReplyError(s);
}

// SPOP key: one member or null. SPOP key count: a set of up to count members.
void SPop(CommandContext& ctx) {
  if (ctx.argc() > 3) return ctx.ReplySyntaxError();
  const bool with_count = ctx.argc() == 3;
  uint64_t count = 1;
  if (with_count && !PopCountArg(ctx, 2, &count)) return;
  Status s = SetPop(ctx.db(), ctx.now_ms, ctx.arg(1), count, [&](std::span<const std::string* const> popped) {
    if (with_count) return ReplyMembers(ctx, popped);
    popped.empty() ? ctx.reply.Null() : ctx.reply.Bulk(*popped[0]);
  });
  if (!s.ok()) ctx.ReplyError(s);
}

// SRANDMEMBER key: one member or null. SRANDMEMBER key count: an array (negative count: repeats).
void SRandMember(CommandContext& ctx) {
  if (ctx.argc() > 3) return ctx.ReplySyntaxError();
  const bool with_count = ctx.argc() == 3;
  int64_t count = 1;
  if (with_count && !RandomCountArg(ctx, 2, &count)) return;
  const size_t start = ctx.reply.buffer()->size();
  Status s = SetRandomMembers(
      ctx.db(), ctx.now_ms, ctx.arg(1), count < 0 ? 0 - static_cast<uint64_t>(count) : count, count >= 0,
      [&](uint64_t n) {
        if (with_count) {
          ctx.reply.Array(n);
        } else if (n == 0) {
          ctx.reply.Null();
        }
      },
      [&](const std::string& member) {
        ctx.reply.Bulk(member);
        return RandomReplyHasRoom(ctx, start);
      });
  if (!s.ok()) ctx.ReplyError(s);
}

void SScan(CommandContext& ctx) {
  uint64_t cursor = 0;
  ScanOptions options;
  auto key_size = [&](size_t* size) { return SetCardinality(ctx.db(), ctx.now_ms, ctx.arg(1), size); };
  if (!ParseScanRequest(ctx, key_size, &cursor, &options)) return;
  Status s = SetScan(ctx.db(), ctx.now_ms, ctx.arg(1), cursor, options.count, options.pattern,
                     [&](uint64_t next, std::span<const std::string* const> members) {
                       ReplyScanHeader(ctx.reply, next, members.size());
                       for (const std::string* member : members) ctx.reply.Bulk(*member);
                     });
  if (!s.ok()) ctx.ReplyError(s);
}

void CombineAndReply(CommandContext& ctx, SetOp op) {
  Status s = SetCombine(ctx.db(), ctx.now_ms, op, ctx.args.subspan(1),
                        [&](std::span<const std::string* const> members) { ReplyMembers(ctx, members); });
  if (!s.ok()) ctx.ReplyError(s);
}
void SInter(CommandContext& ctx) {
  CombineAndReply(ctx, SetOp::kIntersection);
}
void SUnion(CommandContext& ctx) {
  CombineAndReply(ctx, SetOp::kUnion);
}
void SDiff(CommandContext& ctx) {
  CombineAndReply(ctx, SetOp::kDifference);
}

}  // namespace

void RegisterSetCommands(CommandTable& t) {
  const CommandGroup Cmd{"set"};
  constexpr uint32_t kR = kCmdReadonly, kF = kCmdFast;
  const std::vector<std::string> kWF = {"write", "set", "fast"}, kRF = {"read", "set", "fast"};
  const std::vector<std::string> kRS = {"read", "set", "slow"};
  t.Add(Cmd("sadd", -3, kCmdWrite | kCmdDenyOom | kF, kWF, 1, 1, 1, SAdd, "Add one or more members to a set",
            "1.0.0",
            "O(1) for each element added, so O(N) to add N elements when the command is called with "
            "multiple arguments."));
  t.Add(Cmd("srem", -3, kCmdWrite | kF, kWF, 1, 1, 1, SRem, "Remove one or more members from a set", "1.0.0",
            "O(N) where N is the number of members to be removed."));
  t.Add(Cmd("smembers", 2, kR, kRS, 1, 1, 1, SMembers, "Get all the members in a set", "1.0.0",
            "O(N) where N is the set cardinality."));
  t.Add(Cmd("sismember", 3, kR | kF, kRF, 1, 1, 1, SIsMember,
            "Determine if a given value is a member of a set", "1.0.0", "O(1)"));
  t.Add(Cmd("smismember", -3, kR | kF, kRF, 1, 1, 1, SMIsMember,
            "Returns the membership associated with the given elements for a set", "6.2.0",
            "O(N) where N is the number of elements being checked for membership"));
  t.Add(Cmd("scard", 2, kR | kF, kRF, 1, 1, 1, SCard, "Get the number of members in a set", "1.0.0", "O(1)"));
  t.Add(Cmd("spop", -2, kCmdWrite | kF, kWF, 1, 1, 1, SPop,
            "Remove and return one or multiple random members from a set", "1.0.0",
            "Without the count argument O(1), otherwise O(N) where N is the value of the passed count."));
  t.Add(Cmd("srandmember", -2, kR, kRS, 1, 1, 1, SRandMember, "Get one or multiple random members from a set",
            "1.0.0",
            "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed "
            "count."));
  t.Add(Cmd("sscan", -3, kR, kRS, 1, 1, 1, SScan, "Incrementally iterate Set elements", "2.8.0",
            "O(1) for every call. O(N) for a complete iteration, including enough command calls for the "
            "cursor to return back to 0. N is the number of elements inside the collection.."));
  t.Add(Cmd("sinter", -2, kR, kRS, 1, -1, 1, SInter, "Intersect multiple sets", "1.0.0",
            "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets."));
  t.Add(Cmd("sunion", -2, kR, kRS, 1, -1, 1, SUnion, "Add multiple sets", "1.0.0",
            "O(N) where N is the total number of elements in all given sets."));
  t.Add(Cmd("sdiff", -2, kR, kRS, 1, -1, 1, SDiff, "Subtract multiple sets", "1.0.0",
            "O(N) where N is the total number of elements in all given sets."));
}

}  // namespace latchkey
