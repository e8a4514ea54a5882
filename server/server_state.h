// ServerState is everything a command handler may reach besides its own connection: configuration,
// the keyspace, the command table, the client registry and counters. It knows nothing of sockets; the
// network layer (server.h) owns one and lends it to every connection.
//
// Thread-safety: every member is safe to use concurrently (see each type's contract).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "server/client_registry.h"
#include "server/command_table.h"
#include "server/config.h"
#include "server/slowlog.h"
#include "server/stats.h"
#include "storage/keyspace.h"

namespace latchkey {

// The Redis version whose commands and replies Latchkey implements; HELLO and INFO report it as
// `version`/`redis_version` because client libraries pick features by it.
inline constexpr std::string_view kRedisCompatVersion = "7.0.0";

struct ServerState {
  ServerState(Config& config, int io_threads)
      : config(config),
        keyspace(config.databases()),
        commands(BuildCommandTable()),
        stats(io_threads),
        io_threads(io_threads) {}

  Config& config;
  Keyspace keyspace;
  const CommandTable commands;
  ClientRegistry clients;
  Stats stats;
  SlowLog slowlog;
  const int io_threads;
  int64_t start_ms = 0;
  std::atomic<int64_t> last_save_ms{0};  // LASTSAVE; the start time until the first save
  std::string run_id;                    // 40 hex characters, random per start
  int tcp_port = 0;                      // the port actually bound
  std::atomic<bool> shutting_down{false};
  std::function<void()> request_shutdown;  // asks the network layer to stop; safe from any thread
};

}  // namespace latchkey
