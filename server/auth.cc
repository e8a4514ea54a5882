#include "server/auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "server/command_context.h"
#include "server/commands/client_list.h"

namespace latchkey {
namespace {

void SetUser(Session& session, std::shared_ptr<const AclUser> user, uint64_t generation, bool authenticated) {
  session.user = std::move(user);
  session.acl_generation = generation;
  session.authenticated = authenticated;
  if (session.info != nullptr) {
    session.info->authenticated = authenticated;
    session.info->set_user(session.user != nullptr ? session.user->name() : "default");
  }
}

void LogRefusal(ServerState& server, Session& session, std::string reason, std::string object,
                std::string username, int64_t now_ms) {
  AclLog::Entry entry;
  entry.reason = std::move(reason);
  entry.context = session.txn.active || session.txn.executing ? "multi" : "toplevel";
  entry.object = std::move(object);
  entry.username = std::move(username);
  entry.created_ms = now_ms;
  if (session.info != nullptr) entry.client_info = FormatClient(*session.info, now_ms);
  server.acl_log.Add(std::move(entry), server.config.acllog_max_len());
}

}  // namespace

bool LogIn(CommandContext& ctx, std::string_view user, std::string_view password) {
  const uint64_t generation = ctx.server.acl.generation();
  std::shared_ptr<const AclUser> found = ctx.server.acl.Authenticate(user, password);
  if (found == nullptr) {
    LogRefusal(ctx.server, ctx.session, "auth", "AUTH", std::string(user), ctx.now_ms);
    return false;
  }
  SetUser(ctx.session, std::move(found), generation, true);
  return true;
}

void ResetLogin(ServerState& server, Session& session) {
  const uint64_t generation = server.acl.generation();
  SetUser(session, server.acl.Find("default"), generation, server.acl.DefaultLogsInAutomatically());
}

std::optional<std::string> AclRefusal(ServerState& server, Session& session, const CommandSpec& spec,
                                      std::span<const std::string_view> args, int64_t now_ms) {
  const uint64_t generation = server.acl.generation();
  if (generation != session.acl_generation) {
    std::shared_ptr<const AclUser> fresh = server.acl.Find(session.user->name());
    if (fresh == nullptr) {
      session.close_after_reply = true;
      return "NOPERM this user has no permissions to run the '" + spec.fullname + "' command";
    }
    session.user = std::move(fresh);
    session.acl_generation = generation;
  }
  const AclUser& user = *session.user;
  if (user.unrestricted() || (spec.flags & kCmdNoAuth)) return std::nullopt;
  AclUser::Verdict verdict = user.Check(spec, args);
  // Refused while EXEC runs the queue: it was allowed when queued, so the rules changed since (Redis
  // words these refusals differently).
  const bool executing = session.txn.executing;
  const std::string changed =
      "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. "
      "This command is no longer allowed for the following reason: ";
  switch (verdict.denied) {
    case AclUser::Denied::kNone:
      return std::nullopt;
    case AclUser::Denied::kCommand:
      LogRefusal(server, session, "command", verdict.object, user.name(), now_ms);
      if (executing) return changed + "no permission to execute the command or subcommand";
      return "NOPERM this user has no permissions to run the '" + spec.fullname + "' command";
    case AclUser::Denied::kKey:
      LogRefusal(server, session, "key", verdict.object, user.name(), now_ms);
      if (executing) return changed + "no permission to touch the specified keys";
      return std::string("NOPERM this user has no permissions to access one of the keys used as arguments");
    case AclUser::Denied::kChannel:
      LogRefusal(server, session, "channel", verdict.object, user.name(), now_ms);
      if (executing) return changed + "no permission to access one of the channels used as arguments";
      return std::string(
          "NOPERM this user has no permissions to access one of the channels used as arguments");
  }
  return std::nullopt;
}

bool SecretsEqual(std::string_view a, std::string_view b) {
  unsigned char da[SHA256_DIGEST_LENGTH];
  unsigned char db[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(a.data()), a.size(), da);
  SHA256(reinterpret_cast<const unsigned char*>(b.data()), b.size(), db);
  return CRYPTO_memcmp(da, db, sizeof(da)) == 0;
}

}  // namespace latchkey
