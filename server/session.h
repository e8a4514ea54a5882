// Session is the per-connection state commands read and change: database, protocol, authentication,
// CLIENT REPLY, and the state of MULTI/EXEC, WATCH and subscriptions. The connection owns it; command
// handlers reach it through CommandContext.
//
// Thread-safety: a session belongs to its connection's I/O thread.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "server/acl_user.h"
#include "server/client_registry.h"
#include "server/monitor.h"
#include "server/pubsub.h"
#include "storage/watch_flag.h"

namespace latchkey {

struct ServerState;

// MULTI/EXEC and WATCH (commands/transactions.cc).
struct TransactionState {
  bool active = false;     // between MULTI and EXEC/DISCARD
  bool aborted = false;    // a command failed to queue: EXEC answers EXECABORT
  bool executing = false;  // EXEC is running the queued commands (ACL refusals then say so)
  std::vector<std::vector<std::string>> queued;
  std::vector<std::pair<int, std::string>> watched;  // (database, key)
  std::shared_ptr<WatchFlag> watch_flag;             // raised when a watched key changes
};

// Pub/sub subscriptions (commands/pubsub.cc).
struct SubscriptionState {
  std::weak_ptr<Subscriber> self;  // how the registry reaches this connection
  absl::flat_hash_set<std::string> channels;
  std::vector<std::string> patterns;  // in subscription order, as Redis lists them

  size_t count() const { return channels.size() + patterns.size(); }
};

struct Session {
  ClientInfo* info = nullptr;
  int db = 0;
  int protocol = 2;
  bool authenticated = false;
  std::shared_ptr<const AclUser> user;  // whose permissions apply: `default` until AUTH
  uint64_t acl_generation = 0;          // Acl::generation() when `user` was looked up
  bool close_after_reply = false;
  bool replies_off = false;  // CLIENT REPLY OFF
  bool skip_next = false;    // CLIENT REPLY SKIP: drop the next command's reply
  TransactionState txn;
  SubscriptionState subscriptions;
  bool monitor = false;                     // sent MONITOR: receives the command feed
  std::weak_ptr<MonitorSink> monitor_sink;  // how Monitors reaches this connection
};

// Copies the session's subscription, MULTI and MONITOR state into its ClientInfo (CLIENT LIST).
void MirrorSessionState(Session& session);

// Ends MULTI (dropping queued commands) and unwatches every key.
void EndTransaction(ServerState& server, Session& session);
// Drops every subscription without replying (connection close, RESET).
void DropSubscriptions(ServerState& server, Session& session);
// Leaves MONITOR mode (connection close, RESET).
void StopMonitoring(ServerState& server, Session& session);

}  // namespace latchkey
