// SESSION.* (SPEC §3): the RESP adapter over storage/session_store.h. Handlers check arguments with
// clear ERR texts, call the store, and encode replies; "map" replies are RESP3 maps, flat arrays in
// RESP2. Times in replies are absolute Unix milliseconds; TTL arguments are seconds.
#include <string>

#include "server/command_context.h"
#include "server/commands/domain_args.h"
#include "storage/numbers.h"
#include "storage/secrets.h"
#include "storage/session_record.h"

namespace latchkey {
namespace {

void ReplyView(CommandContext& ctx, const SessionStore::View& v) {
  ctx.reply.Map(8);
  ctx.reply.Bulk("sub");
  ctx.reply.Bulk(v.sub);
  ctx.reply.Bulk("handle");
  ctx.reply.Bulk(v.handle);
  ctx.reply.Bulk("client");
  ctx.reply.Bulk(v.client);
  ctx.reply.Bulk("created");
  ctx.reply.Integer(v.created_ms);
  ctx.reply.Bulk("last_seen");
  ctx.reply.Integer(v.last_seen_ms);
  ctx.reply.Bulk("idle_deadline");
  ctx.reply.Integer(v.idle_deadline_ms);
  ctx.reply.Bulk("abs_deadline");
  ctx.reply.Integer(v.abs_deadline_ms);
  ctx.reply.Bulk("data");
  ctx.reply.Bulk(v.data);
}

// SESSION.CREATE <sub> IDLE <s> ABS <s> [CLIENT <c>] [DATA <blob>] [MAXPERSUB <n> [EVICT OLDEST|DENY]]
void Create(CommandContext& ctx) {
  SessionStore::CreateOptions o;
  o.sub = ctx.arg(1);
  for (size_t j = 2; j < ctx.argc(); ++j) {
    std::string_view opt = ctx.arg(j);
    const bool has_value = j + 1 < ctx.argc();
    if (EqualsIgnoreCase(opt, "idle") && has_value) {
      if (!SecondsArg(ctx, ++j, "IDLE", false, &o.idle_ms)) return;
    } else if (EqualsIgnoreCase(opt, "abs") && has_value) {
      if (!SecondsArg(ctx, ++j, "ABS", false, &o.abs_ms)) return;
    } else if (EqualsIgnoreCase(opt, "client") && has_value) {
      o.client = ctx.arg(++j);
    } else if (EqualsIgnoreCase(opt, "data") && has_value) {
      o.data = ctx.arg(++j);
    } else if (EqualsIgnoreCase(opt, "maxpersub") && has_value) {
      int64_t n = 0;
      if (!ParseInt64(ctx.arg(++j), &n) || n < 1)
        return ctx.reply.Error("ERR MAXPERSUB must be a positive integer");
      o.max_per_sub = static_cast<uint64_t>(n);
      if (j + 2 < ctx.argc() && EqualsIgnoreCase(ctx.arg(j + 1), "evict") &&
          EqualsIgnoreCase(ctx.arg(j + 2), "oldest")) {
        o.evict_oldest = true;
        j += 2;
      } else if (j + 1 < ctx.argc() && EqualsIgnoreCase(ctx.arg(j + 1), "deny")) {
        o.evict_oldest = false;
        ++j;
      }
    } else {
      return ctx.ReplySyntaxError();
    }
  }
  if (o.idle_ms == 0 || o.abs_ms == 0) return ctx.reply.Error("ERR IDLE and ABS are required");
  SessionStore::Created created;
  if (ctx.server.sessions->Create(ctx.now_ms, o, &created) == SessionStore::CreateResult::kLimit) {
    return ctx.reply.Error("LIMIT the subject already has MAXPERSUB live sessions");
  }
  ctx.reply.Map(4);
  ctx.reply.Bulk("id");
  ctx.reply.Bulk(created.id);
  ctx.reply.Bulk("handle");
  ctx.reply.Bulk(created.handle);
  ctx.reply.Bulk("idle_deadline");
  ctx.reply.Integer(created.idle_deadline_ms);
  ctx.reply.Bulk("abs_deadline");
  ctx.reply.Integer(created.abs_deadline_ms);
}

// SESSION.GET <id> [TOUCH]
void Get(CommandContext& ctx) {
  bool touch = false;
  if (ctx.argc() == 3) {
    if (!EqualsIgnoreCase(ctx.arg(2), "touch")) return ctx.ReplySyntaxError();
    touch = true;
  } else if (ctx.argc() > 3) {
    return ctx.ReplySyntaxError();
  }
  SessionStore::View view;
  if (!ctx.server.sessions->Get(ctx.now_ms, ctx.arg(1), touch, &view)) return ctx.reply.Null();
  ReplyView(ctx, view);
}

void Touch(CommandContext& ctx) {
  auto left = ctx.server.sessions->Touch(ctx.now_ms, ctx.arg(1));
  if (!left) return ctx.reply.Null();
  ctx.reply.Integer((*left + 500) / 1000);
}

void SetData(CommandContext& ctx) {
  ctx.server.sessions->SetData(ctx.now_ms, ctx.arg(1), ctx.arg(2)) ? ctx.reply.Ok() : ctx.reply.Null();
}

// SESSION.RENEW <id> [GRACE <s>]
void Renew(CommandContext& ctx) {
  int64_t grace_ms = 0;
  if (ctx.argc() == 4 && EqualsIgnoreCase(ctx.arg(2), "grace")) {
    if (!SecondsArg(ctx, 3, "GRACE", true, &grace_ms)) return;
  } else if (ctx.argc() != 2) {
    return ctx.ReplySyntaxError();
  }
  auto renewed = ctx.server.sessions->Renew(ctx.now_ms, ctx.arg(1), grace_ms);
  if (!renewed) return ctx.reply.Error("NOTFOUND no live session for this id");
  ctx.reply.Map(2);
  ctx.reply.Bulk("id");
  ctx.reply.Bulk(renewed->id);
  ctx.reply.Bulk("handle");
  ctx.reply.Bulk(renewed->handle);
}

// SESSION.REVOKE <id> | HANDLE <h> [REASON <r>]
void Revoke(CommandContext& ctx) {
  std::string_view reason = kDefaultRevokeReason;
  const bool by_handle = ctx.argc() >= 3 && EqualsIgnoreCase(ctx.arg(1), "handle");
  if (!ReasonArg(ctx, by_handle ? 3 : 2, &reason)) return;
  const bool revoked = by_handle ? ctx.server.sessions->RevokeHandle(ctx.now_ms, ctx.arg(2), reason)
                                 : ctx.server.sessions->Revoke(ctx.now_ms, ctx.arg(1), reason);
  ctx.reply.Integer(revoked ? 1 : 0);
}

void List(CommandContext& ctx) {
  const auto views = ctx.server.sessions->List(ctx.now_ms, ctx.arg(1));
  ctx.reply.Array(views.size());
  for (const auto& v : views) ReplyView(ctx, v);
}

// SESSION.REVOKEALL <sub> [EXCEPT <handle>] [REASON <r>]
void RevokeAll(CommandContext& ctx) {
  std::string_view except, reason = kDefaultRevokeReason;
  size_t j = 2;
  if (j + 1 < ctx.argc() && EqualsIgnoreCase(ctx.arg(j), "except")) {
    except = ctx.arg(j + 1);
    auto raw = Base64UrlDecode(except);
    if (!raw || raw->size() != kSessionHandleBytes)
      return ctx.reply.Error("ERR EXCEPT expects a session handle");
    j += 2;
  }
  if (!ReasonArg(ctx, j, &reason)) return;
  ctx.reply.Integer(
      static_cast<int64_t>(ctx.server.sessions->RevokeAll(ctx.now_ms, ctx.arg(1), except, reason)));
}

}  // namespace

void RegisterSessionCommands(CommandTable& t) {
  const CommandGroup Cmd{"sessions"};
  const uint32_t kW = kCmdWrite | kCmdDenyOom;
  const std::vector<std::string> kIssue = {"lk-issue", "write", "fast"};
  const std::vector<std::string> kVerify = {"lk-verify", "read", "fast"};
  t.Add(Cmd("session.create", -6, kW | kCmdFast, kIssue, 0, 0, 0, Create,
            "Create a session for a subject; returns its id once", "0.1.0", "O(1)"));
  t.Add(Cmd("session.get", -2, kCmdReadonly | kCmdFast, kVerify, 0, 0, 0, Get,
            "Read a live session by id, optionally sliding its idle deadline", "0.1.0", "O(1)"));
  t.Add(Cmd("session.touch", 2, kCmdWrite | kCmdFast, kIssue, 0, 0, 0, Touch,
            "Slide a session's idle deadline; returns seconds left", "0.1.0", "O(1)"));
  t.Add(Cmd("session.setdata", 3, kW | kCmdFast, kIssue, 0, 0, 0, SetData, "Replace a live session's data",
            "0.1.0", "O(1)"));
  t.Add(Cmd("session.renew", -2, kW | kCmdFast, kIssue, 0, 0, 0, Renew,
            "Give a session a new id; the old one stays valid for GRACE seconds", "0.1.0", "O(1)"));
  t.Add(Cmd("session.revoke", -2, kCmdWrite | kCmdFast, kIssue, 0, 0, 0, Revoke,
            "Revoke one session by id or handle", "0.1.0", "O(1)"));
  t.Add(Cmd("session.list", 2, kCmdReadonly, {"lk-issue", "read", "slow"}, 0, 0, 0, List,
            "List a subject's live sessions", "0.1.0", "O(N) with N the subject's sessions"));
  t.Add(Cmd("session.revokeall", -2, kCmdWrite, {"lk-issue", "write", "slow"}, 0, 0, 0, RevokeAll,
            "Revoke every session of a subject, optionally but one", "0.1.0",
            "O(N) with N the subject's sessions"));
}

}  // namespace latchkey
