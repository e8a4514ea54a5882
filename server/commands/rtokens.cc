// RTOKEN.* (SPEC §4): the RESP adapter over storage/token_families.h. Handlers check arguments, call
// the store and encode replies; "map" replies are RESP3 maps, flat arrays in RESP2. Times in replies
// are absolute Unix milliseconds; TTL arguments are seconds. Error codes follow SPEC §2.
#include <optional>
#include <string>

#include "server/command_context.h"
#include "server/commands/domain_args.h"
#include "storage/numbers.h"

namespace latchkey {
namespace {

constexpr int64_t kMaxGraceSeconds = 60;
constexpr int64_t kMaxGraceUses = 5;

void Field(CommandContext& ctx, std::string_view name, std::string_view value) {
  ctx.reply.Bulk(name);
  ctx.reply.Bulk(value);
}

void Field(CommandContext& ctx, std::string_view name, int64_t value) {
  ctx.reply.Bulk(name);
  ctx.reply.Integer(value);
}

// The six fields every family reply starts with (after ROTATE's token).
constexpr size_t kIdentityFields = 6;
void IdentityFields(CommandContext& ctx, const TokenFamilies::View& v) {
  Field(ctx, "family", v.family);
  Field(ctx, "gen", v.gen);
  Field(ctx, "sub", v.sub);
  Field(ctx, "client", v.client);
  Field(ctx, "session", v.session);
  Field(ctx, "data", v.data);
}

// The family as INSPECT and LIST show it; `presented` adds INSPECT's verdict on the token.
void ReplyView(CommandContext& ctx, const TokenFamilies::View& v, std::string_view presented = {}) {
  ctx.reply.Map(kIdentityFields + (presented.empty() ? 8 : 9));
  IdentityFields(ctx, v);
  Field(ctx, "state", v.state);
  Field(ctx, "reason", v.reason);
  Field(ctx, "created", v.created_ms);
  Field(ctx, "last_rotated", v.last_rotated_ms);
  Field(ctx, "idle_deadline", v.idle_deadline_ms);
  Field(ctx, "abs_deadline", v.abs_deadline_ms);
  Field(ctx, "grace_deadline", v.grace_deadline_ms);
  Field(ctx, "grace_uses", v.grace_uses);
  if (!presented.empty()) Field(ctx, "presented", presented);
}

void ReplyBadToken(CommandContext& ctx) {
  ctx.reply.Error("BADTOKEN malformed or forged refresh token");
}

// RTOKEN.ISSUE <sub> <client> ABS <s> IDLE <s> [GRACE <s>] [GRACEUSES <n>] [SESSION <handle>] [DATA <blob>]
void Issue(CommandContext& ctx) {
  TokenFamilies::IssueOptions o;
  o.sub = ctx.arg(1);
  o.client = ctx.arg(2);
  o.grace_ms = ctx.server.config.rtoken_grace_s() * 1000;
  o.grace_uses = static_cast<uint32_t>(ctx.server.config.rtoken_grace_uses());
  o.max_families = static_cast<uint64_t>(ctx.server.config.rtoken_max_families());
  for (size_t j = 3; j < ctx.argc(); j += 2) {
    if (j + 1 == ctx.argc()) return ctx.ReplySyntaxError();
    const std::string_view opt = ctx.arg(j);
    if (EqualsIgnoreCase(opt, "abs")) {
      if (!SecondsArg(ctx, j + 1, "ABS", false, &o.abs_ms)) return;
    } else if (EqualsIgnoreCase(opt, "idle")) {
      if (!SecondsArg(ctx, j + 1, "IDLE", false, &o.idle_ms)) return;
    } else if (EqualsIgnoreCase(opt, "grace")) {
      if (!SecondsArg(ctx, j + 1, "GRACE", true, &o.grace_ms, kMaxGraceSeconds)) return;
    } else if (EqualsIgnoreCase(opt, "graceuses")) {
      int64_t n = 0;
      if (!ParseInt64(ctx.arg(j + 1), &n) || n < 0 || n > kMaxGraceUses)
        return ctx.reply.Error("ERR GRACEUSES must be an integer from 0 to 5");
      o.grace_uses = static_cast<uint32_t>(n);
    } else if (EqualsIgnoreCase(opt, "session")) {
      o.session = ctx.arg(j + 1);
    } else if (EqualsIgnoreCase(opt, "data")) {
      o.data = ctx.arg(j + 1);
    } else {
      return ctx.ReplySyntaxError();
    }
  }
  if (o.abs_ms == 0 || o.idle_ms == 0) return ctx.reply.Error("ERR ABS and IDLE are required");
  const TokenFamilies::Issued issued = ctx.server.families->Issue(ctx.now_ms, o);
  ctx.reply.Map(5);
  Field(ctx, "token", issued.token);
  Field(ctx, "family", issued.family);
  Field(ctx, "gen", issued.gen);
  Field(ctx, "idle_deadline", issued.idle_deadline_ms);
  Field(ctx, "abs_deadline", issued.abs_deadline_ms);
}

// RTOKEN.ROTATE <token> [CLIENT <c>]
void Rotate(CommandContext& ctx) {
  std::optional<std::string_view> client;
  if (ctx.argc() == 4 && EqualsIgnoreCase(ctx.arg(2), "client")) {
    client = ctx.arg(3);
  } else if (ctx.argc() != 2) {
    return ctx.ReplySyntaxError();
  }
  using Outcome = TokenFamilies::Outcome;
  TokenFamilies::Rotated r;
  const Outcome outcome = ctx.server.families->Rotate(ctx.now_ms, ctx.arg(1), client, &r);
  switch (outcome) {
    case Outcome::kBadToken:
      return ReplyBadToken(ctx);
    case Outcome::kNotFound:
      return ctx.reply.Error("NOTFOUND unknown refresh token family");
    case Outcome::kRevoked:
      return ctx.reply.Error("REVOKED refresh token family revoked");
    case Outcome::kExpired:
      return ctx.reply.Error("EXPIRED refresh token family expired");
    case Outcome::kMismatch:
      return ctx.reply.Error("MISMATCH refresh token was issued to another client");
    case Outcome::kReused:
      return ctx.reply.Error("REUSED refresh token reuse detected; family revoked");
    case Outcome::kRotated:
    case Outcome::kReplayed:
      break;
  }
  const TokenFamilies::View& v = r.view;
  ctx.reply.Map(1 + kIdentityFields + 3);
  Field(ctx, "token", r.token);
  IdentityFields(ctx, v);
  Field(ctx, "idle_deadline", v.idle_deadline_ms);
  Field(ctx, "abs_deadline", v.abs_deadline_ms);
  Field(ctx, "grace", outcome == Outcome::kReplayed ? 1 : 0);
}

void Inspect(CommandContext& ctx) {
  TokenFamilies::View view;
  std::string_view presented;
  switch (ctx.server.families->Inspect(ctx.now_ms, ctx.arg(1), &view, &presented)) {
    case TokenFamilies::Lookup::kBadToken:
      return ReplyBadToken(ctx);
    case TokenFamilies::Lookup::kNotFound:
      return ctx.reply.Null();
    case TokenFamilies::Lookup::kFound:
      return ReplyView(ctx, view, presented);
  }
}

// RTOKEN.REVOKE <token> | FAMILY <f> [REASON <r>]
void Revoke(CommandContext& ctx) {
  std::string_view reason = kDefaultRevokeReason;
  const bool by_family = ctx.argc() >= 3 && EqualsIgnoreCase(ctx.arg(1), "family");
  if (!ReasonArg(ctx, by_family ? 3 : 2, &reason)) return;
  bool revoked = false;
  if (by_family) {
    revoked = ctx.server.families->RevokeFamily(ctx.now_ms, ctx.arg(2), reason);
  } else if (ctx.server.families->Revoke(ctx.now_ms, ctx.arg(1), reason, &revoked) ==
             TokenFamilies::Lookup::kBadToken) {
    return ReplyBadToken(ctx);
  }
  ctx.reply.Integer(revoked ? 1 : 0);
}

// Parses [CLIENT <c>] at argument `j`, advancing past it.
void ClientOption(CommandContext& ctx, size_t* j, std::optional<std::string_view>* client) {
  if (*j + 1 < ctx.argc() && EqualsIgnoreCase(ctx.arg(*j), "client")) {
    *client = ctx.arg(*j + 1);
    *j += 2;
  }
}

// RTOKEN.LIST <sub> [CLIENT <c>]
void List(CommandContext& ctx) {
  std::optional<std::string_view> client;
  size_t j = 2;
  ClientOption(ctx, &j, &client);
  if (j != ctx.argc()) return ctx.ReplySyntaxError();
  const auto views = ctx.server.families->List(ctx.now_ms, ctx.arg(1), client);
  ctx.reply.Array(views.size());
  for (const auto& v : views) ReplyView(ctx, v);
}

// RTOKEN.REVOKEALL <sub> [CLIENT <c>] [REASON <r>]
void RevokeAll(CommandContext& ctx) {
  std::optional<std::string_view> client;
  std::string_view reason = kDefaultRevokeReason;
  size_t j = 2;
  ClientOption(ctx, &j, &client);
  if (!ReasonArg(ctx, j, &reason)) return;
  ctx.reply.Integer(
      static_cast<int64_t>(ctx.server.families->RevokeAll(ctx.now_ms, ctx.arg(1), client, reason)));
}

}  // namespace

void RegisterRefreshTokenCommands(CommandTable& t) {
  const CommandGroup Cmd{"rtokens"};
  const std::vector<std::string> kIssue = {"lk-issue", "write", "fast"};
  t.Add(Cmd("rtoken.issue", -7, kCmdWrite | kCmdDenyOom | kCmdFast, kIssue, 0, 0, 0, Issue,
            "Start a refresh-token family; returns its first token", "0.1.0", "O(1)"));
  t.Add(Cmd("rtoken.rotate", -2, kCmdWrite | kCmdFast, kIssue, 0, 0, 0, Rotate,
            "Exchange a refresh token for its successor, detecting reuse", "0.1.0", "O(1)"));
  t.Add(Cmd("rtoken.inspect", 2, kCmdReadonly | kCmdFast, {"lk-verify", "read", "fast"}, 0, 0, 0, Inspect,
            "Show a refresh token's family without changing it", "0.1.0", "O(1)"));
  t.Add(Cmd("rtoken.revoke", -2, kCmdWrite | kCmdFast, kIssue, 0, 0, 0, Revoke,
            "Revoke a refresh-token family by token or id", "0.1.0", "O(1)"));
  t.Add(Cmd("rtoken.list", -2, kCmdReadonly, {"lk-issue", "read", "slow"}, 0, 0, 0, List,
            "List a subject's refresh-token families", "0.1.0", "O(N) with N the subject's families"));
  t.Add(Cmd("rtoken.revokeall", -2, kCmdWrite, {"lk-issue", "write", "slow"}, 0, 0, 0, RevokeAll,
            "Revoke every refresh-token family of a subject, optionally of one client", "0.1.0",
            "O(N) with N the subject's families"));
}

}  // namespace latchkey
