#include "server/dispatcher.h"

#include <cctype>
#include <string>
#include <vector>

#include "server/auth.h"
#include "server/keyspace_events.h"
#include "server/memory_limit.h"
#include "storage/clock.h"
#include "storage/expiry_notices.h"
#include "storage/transaction_scope.h"

namespace latchkey {
namespace {

// Redis's "unknown command" text: the name and up to ~128 bytes of arguments, each quoted.
std::string UnknownCommandText(std::span<const std::string_view> args) {
  std::string text = "ERR unknown command '";
  text.append(args[0].substr(0, 128)).append("', with args beginning with: ");
  std::string listed;
  for (size_t i = 1; i < args.size() && listed.size() < 128; ++i) {
    listed.append("'").append(args[i].substr(0, 128 - listed.size())).append("' ");
  }
  return text + listed;
}

std::string UnknownSubcommandText(std::span<const std::string_view> args) {
  std::string parent(args[0]);
  for (char& c : parent) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return "ERR unknown subcommand '" + std::string(args[1].substr(0, 128)) + "'. Try " + parent + " HELP.";
}

// Commands that run at once even inside MULTI (everything else is queued).
bool RunsInsideMulti(const CommandSpec& spec) {
  static const char* const kNames[] = {"exec", "discard", "multi", "watch", "quit", "reset"};
  for (const char* n : kNames) {
    if (spec.fullname == n) return true;
  }
  return false;
}

// The only commands a RESP2 client may send while subscribed.
bool AllowedWhileSubscribed(const CommandSpec& spec) {
  static const char* const kNames[] = {"ping",         "subscribe", "psubscribe", "unsubscribe",
                                       "punsubscribe", "quit",      "reset"};
  for (const char* n : kNames) {
    if (spec.fullname == n) return true;
  }
  return false;
}

// Which arguments of `args` are secrets that MONITOR and SLOWLOG must not show: AUTH's, HELLO's AUTH
// pair (as Redis's redactClientCommandArgument marks them), session ids and refresh tokens.
std::vector<bool> SecretArgs(const CommandSpec& spec, std::span<const std::string_view> args) {
  std::vector<bool> secret(args.size(), false);
  if (spec.fullname == "auth") {
    for (size_t i = 1; i < args.size(); ++i) secret[i] = true;
  } else if (spec.fullname.starts_with("session.") && spec.fullname != "session.create" &&
             spec.fullname != "session.list" && spec.fullname != "session.revokeall" && args.size() > 1 &&
             !(spec.fullname == "session.revoke" && EqualsIgnoreCase(args[1], "handle"))) {
    secret[1] = true;  // the session id
  } else if (args.size() > 1 &&
             (spec.fullname == "rtoken.rotate" || spec.fullname == "rtoken.inspect" ||
              (spec.fullname == "rtoken.revoke" && !EqualsIgnoreCase(args[1], "family")))) {
    secret[1] = true;  // the refresh token
  } else if (spec.fullname == "acl|setuser") {
    for (size_t i = 2; i < args.size(); ++i) secret[i] = true;  // as Redis 7.0: the user and every rule
  } else if (spec.fullname == "hello") {
    for (size_t i = 2; i + 2 < args.size(); ++i) {
      if (EqualsIgnoreCase(args[i], "auth")) {
        secret[i + 1] = secret[i + 2] = true;
        i += 2;
      }
    }
  }
  return secret;
}

void FeedMonitors(ServerState& server, const Session& session, const CommandSpec& spec,
                  std::span<const std::string_view> args) {
  if (spec.flags & (kCmdAdmin | kCmdSkipMonitor)) return;
  server.monitors.Feed(session.db, session.info != nullptr ? session.info->addr : "", args,
                       SecretArgs(spec, args));
}

// Refuses the command with `text`. Inside MULTI this also dooms the transaction (EXECABORT at EXEC);
// a refused EXEC ends it at once and says why, as Redis's rejectCommand does.
void Reject(ServerState& server, Session& session, ReplyWriter& reply, ThreadStats& stats,
            const CommandSpec* spec, std::string_view text) {
  stats.Add(stats.error_replies);
  if (spec != nullptr) stats.Add(stats.per_command[spec->id].rejected);
  if (session.txn.active) session.txn.aborted = true;
  if (spec == nullptr || spec->fullname != "exec") return reply.Error(text);
  EndTransaction(server, session);
  const size_t space = text.find(' ');
  reply.Error("EXECABORT Transaction discarded because of: " +
              std::string(space == std::string_view::npos ? text : text.substr(space + 1)));
}

}  // namespace

void Dispatch(ServerState& server, Session& session, ReplyWriter& reply, ThreadStats& stats,
              std::span<const std::string_view> args) {
  const CommandSpec* spec = server.commands.Find(args[0]);
  if (spec == nullptr) return Reject(server, session, reply, stats, nullptr, UnknownCommandText(args));
  if (!spec->subcommands.empty() && args.size() >= 2) {
    const CommandSpec* sub = CommandTable::FindSub(*spec, args[1]);
    if (sub == nullptr) return Reject(server, session, reply, stats, nullptr, UnknownSubcommandText(args));
    spec = sub;
  }
  if (session.info != nullptr) {
    session.info->last_command.store(spec->fullname.c_str(), std::memory_order_relaxed);
  }
  if (!spec->ArityOk(args.size())) {
    return Reject(server, session, reply, stats, spec,
                  "ERR wrong number of arguments for '" + spec->fullname + "' command");
  }
  if (!session.authenticated && !server.acl.DefaultLogsInAutomatically() && !(spec->flags & kCmdNoAuth)) {
    return Reject(server, session, reply, stats, spec, "NOAUTH Authentication required.");
  }
  const int64_t now_ms = NowMs();
  if (auto refusal = AclRefusal(server, session, *spec, args, now_ms)) {
    return Reject(server, session, reply, stats, spec, *refusal);
  }
  if (session.txn.active && (spec->flags & kCmdNoMulti)) {
    return Reject(server, session, reply, stats, spec, "ERR Command not allowed inside a transaction");
  }
  if ((spec->flags & kCmdWrite) && server.pipeline != nullptr && server.pipeline->failed()) {
    return Reject(server, session, reply, stats, spec,
                  "MISCONF Errors writing to the data directory; writes are refused until it is healthy "
                  "again: " +
                      server.pipeline->failure());
  }
  // Over maxmemory, generic keys are evicted under maxmemory-policy to make room; revocation state
  // (DENY.ADD, NOTBEFORE.SET...) is never evicted: when nothing can go, the write is refused.
  if ((spec->flags & kCmdDenyOom) && !MakeRoomForWrite(server, NowMs())) {
    return Reject(server, session, reply, stats, spec,
                  "OOM command not allowed when used memory > 'maxmemory'.");
  }
  if (session.protocol == 2 && session.subscriptions.count() > 0 && !AllowedWhileSubscribed(*spec)) {
    return Reject(server, session, reply, stats, spec,
                  "ERR Can't execute '" + spec->fullname +
                      "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this "
                      "context");
  }
  if (session.monitor && (spec->flags & (kCmdWrite | kCmdReadonly))) {
    return Reject(server, session, reply, stats, spec, "ERR Replica can't interact with the keyspace");
  }
  if (session.txn.active && !RunsInsideMulti(*spec)) {
    session.txn.queued.emplace_back(args.begin(), args.end());
    MirrorSessionState(session);
    return reply.Simple("QUEUED");
  }
  CommandContext ctx{server, session, reply, stats, *spec, args, now_ms};
  const uint64_t errors_before = reply.errors();
  const int64_t started_ns = MonotonicNs();
  spec->handler(ctx);
  const int64_t duration_ns = MonotonicNs() - started_ns;
  const bool failed = reply.errors() != errors_before;
  stats.Add(stats.commands);
  if (failed && spec->fullname != "exec") stats.Add(stats.error_replies);  // EXEC's were counted inside
  stats.RecordCall(spec->id, duration_ns, failed);
  if (server.monitors.active()) FeedMonitors(server, session, *spec, args);
  // Inside EXEC the transaction's locks are still held: EXEC itself publishes when it is done.
  if (ExpiryNotices::pending() && TransactionScope::current() == nullptr) PublishExpiryNotices(server);
  const int64_t slower_than = server.config.slowlog_slower_than_us();
  if (slower_than >= 0 && !(spec->flags & kCmdNoAuth)) {  // AUTH/HELLO carry secrets: never logged
    const int64_t duration = duration_ns / 1000;
    if (duration >= slower_than) {
      const std::vector<bool> secret = SecretArgs(*spec, args);
      std::vector<std::string_view> shown(args.begin(), args.end());
      for (size_t i = 0; i < shown.size(); ++i) {
        if (secret[i]) shown[i] = "(redacted)";
      }
      server.slowlog.Add(shown, duration, session.info ? session.info->addr : "",
                         session.info ? session.info->name() : "", server.config.slowlog_max_len());
    }
  }
}

}  // namespace latchkey
