// Who a connection is and what it may do: logging in (AUTH, HELLO AUTH) as an ACL user, and the
// permission check the dispatcher runs before every command. Refusals of both go to ACL LOG.
//
// Secrets are compared in constant time (SHA-256 of both, then CRYPTO_memcmp), so the time taken says
// nothing about how much of a guess was right.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace latchkey {

struct CommandContext;
struct CommandSpec;
struct ServerState;
struct Session;

// Logs the connection in as `user` if it is enabled and `password` is one of its passwords; else logs
// the failure and returns false (the caller answers kWrongPass).
bool LogIn(CommandContext& ctx, std::string_view user, std::string_view password);

// Logs the connection in as `default` if it needs no password, else out (RESET).
void ResetLogin(ServerState& server, Session& session);

// The NOPERM error for `args` (resolved to `spec`) if the session's user may not run it, after logging
// the refusal; nullopt when it may. Picks up ACL changes made since the session's last command; a
// session whose user was deleted is refused everything and closed.
std::optional<std::string> AclRefusal(ServerState& server, Session& session, const CommandSpec& spec,
                                      std::span<const std::string_view> args, int64_t now_ms);

// Compares two secrets in time independent of their contents.
bool SecretsEqual(std::string_view a, std::string_view b);

inline constexpr std::string_view kWrongPass =
    "WRONGPASS invalid username-password pair or user is disabled.";

}  // namespace latchkey
