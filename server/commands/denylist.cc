// DENY.*, NOTBEFORE.* (SPEC §5): the RESP adapter over storage/denylist.h. Times in arguments are Unix
// seconds, as in JWT claims. DENY.CHECK answers in one round trip with the first code that applies:
// 1 the jti is denied, 2/3/4 a subject/client/global watermark revokes the token (the largest of
// those that apply, watermark.h), 5 its refresh-token family or session is not live.
#include <charconv>
#include <string>

#include "server/command_context.h"
#include "storage/denylist_record.h"
#include "storage/jwt_claims.h"
#include "storage/numbers.h"

namespace latchkey {
namespace {

constexpr std::string_view kDefaultReason = "revoked";
constexpr int64_t kMaxCount = 100000;

bool ParseUnsigned(std::string_view text, uint64_t* out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

bool ParseSeconds(CommandContext& ctx, size_t i, std::string_view name, int64_t min, int64_t* out) {
  if (!ParseInt64(ctx.arg(i), out) || *out < min || *out > Denylist::kMaxDeadlineS) {
    ctx.reply.Error("ERR " + std::string(name) + " is not a valid Unix time in seconds");
    return false;
  }
  return true;
}

// DENY.ADD <iss> <jti> <exp> [SUB <s>] [REASON <r>]
void Add(CommandContext& ctx) {
  Denylist::AddRequest r;
  r.iss = ctx.arg(1);
  r.jti = ctx.arg(2);
  r.reason = kDefaultReason;
  if (!ParseInt64(ctx.arg(3), &r.exp_s)) return ctx.reply.Error("ERR exp is not an integer or out of range");
  for (size_t j = 4; j < ctx.argc(); j += 2) {
    if (j + 1 == ctx.argc()) return ctx.ReplySyntaxError();
    if (EqualsIgnoreCase(ctx.arg(j), "sub")) {
      r.sub = ctx.arg(j + 1);
    } else if (EqualsIgnoreCase(ctx.arg(j), "reason")) {
      if (!ctx.arg(j + 1).empty()) r.reason = ctx.arg(j + 1);
    } else {
      return ctx.ReplySyntaxError();
    }
  }
  const int64_t leeway = ctx.server.config.deny_leeway_s();
  if (r.exp_s > Denylist::kMaxDeadlineS - leeway)
    return ctx.reply.Error("ERR exp is not a valid Unix time in seconds");
  r.deadline_s = r.exp_s + leeway;
  ctx.reply.Integer(ctx.server.denylist->Add(ctx.now_ms, r) == Denylist::AddResult::kAdded ? 1 : 0);
}

// What a token is checked against: the denylist's part, and the family and session it names.
struct TokenCheck {
  Denylist::CheckRequest denylist;
  std::optional<std::string_view> family, sid;
};

int Verdict(CommandContext& ctx, const TokenCheck& check) {
  const auto verdict = ctx.server.denylist->Check(ctx.now_ms, check.denylist);
  if (verdict != Denylist::Verdict::kOk) return static_cast<int>(verdict);
  if ((check.family && !ctx.server.families->IsLive(ctx.now_ms, *check.family)) ||
      (check.sid && !ctx.server.sessions->IsLiveHandle(ctx.now_ms, *check.sid))) {
    ctx.server.denylist->CountHit();
    return 5;
  }
  return 0;
}

// DENY.CHECK <iss> <jti> [SUB <s>] [IAT <iat>] [CLIENT <c>] [FAMILY <f>] [SID <handle>], options in
// any order. Watermarks apply only when IAT is given.
void Check(CommandContext& ctx) {
  TokenCheck check;
  check.denylist.iss = ctx.arg(1);
  check.denylist.jti = ctx.arg(2);
  for (size_t j = 3; j < ctx.argc(); j += 2) {
    if (j + 1 == ctx.argc()) return ctx.ReplySyntaxError();
    const std::string_view opt = ctx.arg(j), value = ctx.arg(j + 1);
    if (EqualsIgnoreCase(opt, "sub")) {
      check.denylist.sub = value;
    } else if (EqualsIgnoreCase(opt, "iat")) {
      int64_t iat = 0;
      if (!ParseInt64(value, &iat)) return ctx.reply.Error("ERR IAT is not an integer or out of range");
      check.denylist.iat = iat;
    } else if (EqualsIgnoreCase(opt, "client")) {
      check.denylist.client = value;
    } else if (EqualsIgnoreCase(opt, "family")) {
      check.family = value;
    } else if (EqualsIgnoreCase(opt, "sid")) {
      check.sid = value;
    } else {
      return ctx.ReplySyntaxError();
    }
  }
  ctx.reply.Integer(Verdict(ctx, check));
}

// DENY.CHECKJWT <compact-jwt>: DENY.CHECK with iss, jti, sub, iat, client_id and sid read from the
// token's payload (storage/jwt_claims.h). The signature is NOT verified: the caller must have done it.
void CheckJwt(CommandContext& ctx) {
  const std::optional<JwtClaims> claims = DecodeJwtClaims(ctx.arg(1));
  if (!claims) return ctx.reply.Error("BADTOKEN malformed JWT");
  TokenCheck check;
  check.denylist.iss = claims->iss;
  check.denylist.jti = claims->jti;
  if (claims->sub) check.denylist.sub = *claims->sub;
  if (claims->client_id) check.denylist.client = *claims->client_id;
  check.denylist.iat = claims->iat;
  if (claims->sid) check.sid = *claims->sid;
  ctx.reply.Integer(Verdict(ctx, check));
}

// DENY.SCAN <cursor> [COUNT <n>]: [next cursor, [[iss, jti, exp], ...]], in fingerprint order, from
// what RocksDB holds (an entry whose write is still in flight shows up in a later call).
void Scan(CommandContext& ctx) {
  int64_t count = 10;
  uint64_t from = 0;
  if (!ParseUnsigned(ctx.arg(1), &from)) return ctx.reply.Error("ERR invalid cursor");
  if (ctx.argc() != 2 && ctx.argc() != 4) return ctx.ReplySyntaxError();
  if (ctx.argc() == 4) {
    if (!EqualsIgnoreCase(ctx.arg(2), "count")) return ctx.ReplySyntaxError();
    if (!ParseInt64(ctx.arg(3), &count))
      return ctx.reply.Error("ERR value is not an integer or out of range");
    if (count < 1 || count > kMaxCount) return ctx.ReplySyntaxError();
  }
  struct Found {
    std::string iss, jti;
    int64_t exp;
  };
  std::vector<Found> found;
  uint64_t next = 0, last = 0;
  Status s = ctx.server.store->Scan(
      Column::kDenylist, JtiKeyFrom(from), [&](std::string_view key, std::string_view value) {
        uint64_t fp = 0;
        std::string_view iss, jti;
        JtiRecord record;
        if (!DecodeJtiKey(key, &fp, &iss, &jti)) return false;  // past the entries
        if (static_cast<int64_t>(found.size()) >= count && fp != last) {
          next = fp;  // entries sharing a fingerprint are never split across calls
          return false;
        }
        if (DecodeJtiRecord(value, &record) && record.deadline_ms > ctx.now_ms) {
          found.push_back(Found{std::string(iss), std::string(jti), record.exp_s});
          last = fp;
        }
        return true;
      });
  if (!s.ok()) return ctx.reply.Error("ERR " + s.message());
  ctx.reply.Array(2);
  ctx.reply.Bulk(std::to_string(next));
  ctx.reply.Array(found.size());
  for (const Found& f : found) {
    ctx.reply.Array(3);
    ctx.reply.Bulk(f.iss);
    ctx.reply.Bulk(f.jti);
    ctx.reply.Integer(f.exp);
  }
}

bool ParseScope(CommandContext& ctx, WatermarkScope* scope) {
  const std::string_view s = ctx.arg(1), id = ctx.arg(2);
  if (EqualsIgnoreCase(s, "sub")) {
    *scope = WatermarkScope::kSub;
  } else if (EqualsIgnoreCase(s, "client")) {
    *scope = WatermarkScope::kClient;
  } else if (EqualsIgnoreCase(s, "global")) {
    *scope = WatermarkScope::kGlobal;
    if (id != "*") {
      ctx.reply.Error("ERR the GLOBAL watermark's id is *");
      return false;
    }
  } else {
    ctx.reply.Error("ERR scope must be SUB, CLIENT or GLOBAL");
    return false;
  }
  return true;
}

// NOTBEFORE.SET SUB|CLIENT|GLOBAL <id> <ts> [TTL <s>]
void NotBeforeSet(CommandContext& ctx) {
  WatermarkScope scope{};
  if (!ParseScope(ctx, &scope)) return;
  int64_t ts = 0, ttl = ctx.server.config.max_token_lifetime_s();
  if (!ParseSeconds(ctx, 3, "ts", 0, &ts)) return;
  if (ctx.argc() == 6 && EqualsIgnoreCase(ctx.arg(4), "ttl")) {
    if (!ParseInt64(ctx.arg(5), &ttl) || ttl < 1 || ttl > Denylist::kMaxDeadlineS) {
      return ctx.reply.Error("ERR TTL must be a positive number of seconds");
    }
  } else if (ctx.argc() != 4) {
    return ctx.ReplySyntaxError();
  }
  ctx.reply.Integer(
      ctx.server.denylist->SetWatermark(ctx.now_ms, scope, ctx.arg(2), ts, ctx.now_ms + ttl * 1000));
}

// NOTBEFORE.GET SUB|CLIENT|GLOBAL <id>
void NotBeforeGet(CommandContext& ctx) {
  WatermarkScope scope{};
  if (!ParseScope(ctx, &scope)) return;
  const std::optional<int64_t> value = ctx.server.denylist->GetWatermark(ctx.now_ms, scope, ctx.arg(2));
  if (value) return ctx.reply.Integer(*value);
  ctx.reply.Null();
}

}  // namespace

void RegisterDenylistCommands(CommandTable& t) {
  const CommandGroup Cmd{"denylist"};
  t.Add(Cmd("deny.add", -4, kCmdWrite | kCmdDenyOom | kCmdFast, {"lk-issue", "write", "fast"}, 0, 0, 0, Add,
            "Deny a token by (iss, jti) until its exp plus the leeway", "0.1.0", "O(1)"));
  t.Add(Cmd("deny.check", -3, kCmdReadonly | kCmdFast, {"lk-verify", "read", "fast"}, 0, 0, 0, Check,
            "Whether a token is revoked: 0 ok, 1 jti, 2 subject, 3 client, 4 global, 5 family or session",
            "0.1.0", "O(1)"));
  t.Add(Cmd("deny.checkjwt", 2, kCmdReadonly | kCmdFast, {"lk-verify", "read", "fast"}, 0, 0, 0, CheckJwt,
            "DENY.CHECK with the claims of a JWT's payload; does not verify its signature", "0.1.0", "O(1)"));
  // Not @lk-verify (SPEC §2 lists what is): the full list of revoked tokens is for the issuing side.
  t.Add(Cmd("deny.scan", -2, kCmdReadonly, {"lk-issue", "read", "slow"}, 0, 0, 0, Scan,
            "Iterate the denylist's entries", "0.1.0", "O(1) per call, O(N) for a full iteration"));
  t.Add(Cmd("notbefore.set", -4, kCmdWrite | kCmdDenyOom | kCmdFast, {"lk-issue", "write", "fast"}, 0, 0, 0,
            NotBeforeSet, "Raise a not-before watermark (never lowers it)", "0.1.0", "O(1)"));
  t.Add(Cmd("notbefore.get", 3, kCmdReadonly | kCmdFast, {"lk-verify", "read", "fast"}, 0, 0, 0, NotBeforeGet,
            "Read a not-before watermark", "0.1.0", "O(1)"));
}

}  // namespace latchkey
