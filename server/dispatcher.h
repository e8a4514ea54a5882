// Dispatch runs one parsed request: finds the command (and subcommand) in the table, checks arity and
// authentication, MULTI and subscribed-mode rules with Redis's exact errors, and calls the handler (or,
// inside MULTI, queues the command). It is the only place that decides whether a command may run;
// connections only feed it requests and flush the replies it writes; EXEC calls it for each queued
// command.
//
// Thread-safety: called on the connection's I/O thread; reentrant.
#pragma once

#include <span>
#include <string_view>

#include "protocol/reply_writer.h"
#include "server/command_context.h"

namespace latchkey {

// Runs `args` (args[0] is the command name; REQUIRES: non-empty) for the client whose state is
// `session`, appending the reply through `reply`.
void Dispatch(ServerState& server, Session& session, ReplyWriter& reply, ThreadStats& stats,
              std::span<const std::string_view> args);

}  // namespace latchkey
