// CLIENT INFO, CLIENT LIST and CLIENT KILL: reading and filtering the client registry, and formatting
// clients in Redis's `id=.. addr=.. ...` line format.
#pragma once

#include "server/command_context.h"

namespace latchkey {

void ClientInfoCommand(CommandContext& ctx);
void ClientListCommand(CommandContext& ctx);
void ClientKillCommand(CommandContext& ctx);

}  // namespace latchkey
