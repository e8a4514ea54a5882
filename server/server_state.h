// ServerState is everything a command handler may reach besides its own connection: configuration,
// the keyspace, the command table, the client registry and counters. It knows nothing of sockets; the
// network layer (server.h) owns one and lends it to every connection.
//
// Thread-safety: every member is safe to use concurrently (see each type's contract).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "server/acl.h"
#include "server/acl_log.h"
#include "server/client_registry.h"
#include "server/command_table.h"
#include "server/config.h"
#include "server/monitor.h"
#include "server/pubsub.h"
#include "server/slowlog.h"
#include "server/stats.h"
#include "storage/active_expiry.h"
#include "storage/commit_pipeline.h"
#include "storage/denylist.h"
#include "storage/durable_store.h"
#include "storage/event_log.h"
#include "storage/keyspace.h"
#include "storage/session_store.h"
#include "storage/token_families.h"
#include "storage/token_keyring.h"

namespace latchkey {

// The Redis version whose commands and replies Latchkey implements; HELLO and INFO report it as
// `version`/`redis_version` because client libraries pick features by it.
inline constexpr std::string_view kRedisCompatVersion = "7.0.0";

struct ServerState {
  ServerState(Config& config, int io_threads)
      : config(config),
        keyspace(config.databases()),
        commands(BuildCommandTable()),
        acl(commands),
        stats(io_threads, commands.spec_count()),
        io_threads(io_threads) {}

  Config& config;
  Keyspace keyspace;
  const CommandTable commands;
  Acl acl;
  AclLog acl_log;
  ClientRegistry clients;
  PubSub pubsub;
  Monitors monitors;
  Stats stats;
  SlowLog slowlog;
  const int io_threads;
  int64_t start_ms = 0;
  std::atomic<int64_t> last_save_ms{0};  // LASTSAVE; the start time until the first save
  std::string run_id;                    // 40 hex characters, random per start
  int tcp_port = 0;                      // the port actually bound
  std::atomic<bool> shutting_down{false};
  std::atomic<bool> active_expire_enabled{true};  // DEBUG SET-ACTIVE-EXPIRE
  std::atomic<uint64_t> used_memory{0};           // refreshed by the background cycle (memory_usage.h)
  std::atomic<uint64_t> evicted_keys{0};          // keys evicted under maxmemory-policy (memory_limit.h)
  std::function<void()> request_shutdown;         // asks the network layer to stop; safe from any thread

  // Durability (set up by Server::Start before the first client).
  std::unique_ptr<DurableStore> store;
  std::unique_ptr<CommitPipeline> pipeline;
  // Domain stores (set up with the durability above; null until then).
  std::unique_ptr<EventLog> events;
  std::unique_ptr<SessionStore> sessions;
  std::unique_ptr<Denylist> denylist;
  std::unique_ptr<TokenKeyring> token_keys;
  std::unique_ptr<TokenFamilies> families;
  std::unique_ptr<ActiveExpiry> active_expiry;  // set when serving starts
  DurableStore::LoadStats session_load_stats;
  DurableStore::LoadStats denylist_load_stats;
  DurableStore::LoadStats family_load_stats;
  DurableStore::LoadStats load_stats;
  std::atomic<bool> bgsave_in_progress{false};
  std::mutex bgsave_mu;         // guards bgsave_thread
  std::thread bgsave_thread;    // joined before the store closes
  std::mutex checkpoint_mu;     // guards last_checkpoint
  std::string last_checkpoint;  // directory of the newest checkpoint
  std::atomic<int64_t> last_save_duration_ms{-1};
  std::atomic<bool> last_save_ok{true};
};

}  // namespace latchkey
