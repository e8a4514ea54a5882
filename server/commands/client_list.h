// CLIENT INFO, CLIENT LIST and CLIENT KILL: reading and filtering the client registry, and formatting
// clients in Redis's `id=.. addr=.. ...` line format.
#pragma once

#include "server/command_context.h"

namespace latchkey {

// One client as a CLIENT LIST line (without the newline), in Redis 7.0's field order.
std::string FormatClient(const ClientInfo& client, int64_t now_ms);

void ClientInfoCommand(CommandContext& ctx);
void ClientListCommand(CommandContext& ctx);
void ClientKillCommand(CommandContext& ctx);

}  // namespace latchkey
