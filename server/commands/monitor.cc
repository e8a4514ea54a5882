// MONITOR: the client receives every command the server runs from then on (server/monitor.h), and
// may no longer touch keys itself (Redis treats it as a replica).
#include "server/command_context.h"

namespace latchkey {
namespace {

void Monitor(CommandContext& ctx) {
  if (ctx.session.monitor) return;  // Redis answers nothing to a second MONITOR
  ctx.session.monitor = true;
  MirrorSessionState(ctx.session);
  ctx.server.monitors.Add(ctx.session.info != nullptr ? ctx.session.info->id : 0, ctx.session.monitor_sink);
  ctx.reply.Ok();
}

}  // namespace

void StopMonitoring(ServerState& server, Session& session) {
  if (!session.monitor) return;
  session.monitor = false;
  MirrorSessionState(session);
  server.monitors.Remove(session.info != nullptr ? session.info->id : 0);
}

void RegisterMonitorCommands(CommandTable& t) {
  const CommandGroup Cmd{"server"};
  t.Add(Cmd("monitor", 1, kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale, {"admin", "slow", "dangerous"},
            0, 0, 0, Monitor, "Listen for all requests received by the server in real time", "1.0.0",
            "O(1)"));
}

}  // namespace latchkey
