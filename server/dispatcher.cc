#include "server/dispatcher.h"

#include <cctype>
#include <string>

#include "storage/clock.h"

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

}  // namespace

void Dispatch(ServerState& server, Session& session, ReplyWriter& reply, ThreadStats& stats,
              std::span<const std::string_view> args) {
  const CommandSpec* spec = server.commands.Find(args[0]);
  if (spec == nullptr) {
    reply.Error(UnknownCommandText(args));
    stats.Add(stats.error_replies);
    return;
  }
  if (!spec->subcommands.empty() && args.size() >= 2) {
    const CommandSpec* sub = CommandTable::FindSub(*spec, args[1]);
    if (sub == nullptr) {
      reply.Error(UnknownSubcommandText(args));
      stats.Add(stats.error_replies);
      return;
    }
    spec = sub;
  }
  if (!spec->ArityOk(args.size())) {
    reply.Error("ERR wrong number of arguments for '" + spec->fullname + "' command");
    stats.Add(stats.error_replies);
    return;
  }
  if (!session.authenticated && server.config.auth_required() && !(spec->flags & kCmdNoAuth)) {
    reply.Error("NOAUTH Authentication required.");
    stats.Add(stats.error_replies);
    return;
  }
  if ((spec->flags & kCmdWrite) && server.pipeline != nullptr && server.pipeline->failed()) {
    reply.Error(
        "MISCONF Errors writing to the data directory; writes are refused until it is healthy again: " +
        server.pipeline->failure());
    stats.Add(stats.error_replies);
    return;
  }
  const int64_t now_ms = NowMs();
  if (session.info != nullptr) {
    session.info->last_command.store(spec->fullname.c_str(), std::memory_order_relaxed);
  }
  CommandContext ctx{server, session, reply, stats, *spec, args, now_ms};
  const int64_t slower_than = server.config.slowlog_slower_than_us();
  const int64_t started_us = slower_than >= 0 ? MonotonicUs() : 0;
  spec->handler(ctx);
  stats.Add(stats.commands);
  if (slower_than >= 0 && !(spec->flags & kCmdNoAuth)) {  // AUTH/HELLO carry secrets: never logged
    const int64_t duration = MonotonicUs() - started_us;
    if (duration >= slower_than) {
      server.slowlog.Add(args, duration, session.info ? session.info->addr : "",
                         session.info ? session.info->name() : "", server.config.slowlog_max_len());
    }
  }
}

}  // namespace latchkey
