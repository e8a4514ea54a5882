// CommandContext is what a command handler receives: its arguments, the reply writer, the calling
// client's session, the server state and the command's time snapshot.
//
// A handler checks its arguments, calls a storage API, and encodes the reply; it never touches sockets.
//
// Thread-safety: a context lives on one I/O thread for one command.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "protocol/reply_writer.h"
#include "server/server_state.h"
#include "server/session.h"
#include "storage/status.h"

namespace latchkey {

struct CommandContext {
  ServerState& server;
  Session& session;
  ReplyWriter& reply;
  ThreadStats& stats;
  const CommandSpec& spec;
  std::span<const std::string_view> args;
  int64_t now_ms;

  Database& db() { return server.keyspace.db(session.db); }
  std::string_view arg(size_t i) const { return args[i]; }
  size_t argc() const { return args.size(); }

  // Replies with the Redis error for `status` (prefix chosen by its code).
  void ReplyError(const Status& status);
  void ReplyError(std::string_view full_text) { reply.Error(full_text); }
  void ReplySyntaxError() { reply.Error("ERR syntax error"); }
  void ReplyArityError();
  // A HELP subcommand's answer: one simple string per line.
  void ReplyHelp(std::span<const char* const> lines);

  // Parses args[i] as an integer; on failure replies "value is not an integer or out of range" and
  // returns false.
  bool IntArg(size_t i, int64_t* out);
};

// Case-insensitive ASCII comparison for option names.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace latchkey
