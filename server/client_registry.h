// ClientRegistry knows every connected client, for CLIENT LIST/INFO/KILL, INFO clients and maxclients.
//
// A ClientInfo is shared between the connection that owns it (which updates it) and readers on other
// threads (CLIENT LIST): fields others read are atomics or guarded by the info's own mutex. `kill`
// asks the owning connection, on its own thread, to close.
//
// Thread-safety: all methods are safe to call concurrently.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace latchkey {

struct ClientInfo {
  uint64_t id = 0;
  std::string addr;   // "ip:port" of the peer
  std::string laddr;  // "ip:port" of our end
  int64_t created_ms = 0;
  std::atomic<int64_t> last_interaction_ms{0};
  std::atomic<int> db{0};
  std::atomic<int> resp{2};
  std::atomic<const char*> last_command{"NULL"};  // points at a CommandSpec's fullname
  std::atomic<uint64_t> query_buffer{0};
  std::atomic<uint64_t> output_buffer{0};
  std::atomic<bool> authenticated{false};
  // Mirrors of session state that CLIENT LIST shows (written by the owning thread only).
  std::atomic<int> channels{0};  // sub=
  std::atomic<int> patterns{0};  // psub=
  std::atomic<int> multi{-1};    // multi=: commands queued, -1 outside MULTI
  std::atomic<bool> monitor{false};

  // Redis's client class: "pubsub" while subscribed to anything, else "normal".
  std::string_view type() const { return channels.load() + patterns.load() > 0 ? "pubsub" : "normal"; }
  // CLIENT LIST's flags= letters.
  std::string flags() const {
    std::string f;
    if (monitor.load()) f += 'O';
    if (type() == "pubsub") f += 'P';
    if (multi.load() >= 0) f += 'x';
    return f.empty() ? "N" : f;
  }
  std::function<void()> kill;  // set once at registration; posts a close to the owning thread

  std::string name() const {
    std::lock_guard lock(mu);
    return name_;
  }
  void set_name(std::string name) {
    std::lock_guard lock(mu);
    name_ = std::move(name);
  }
  // The ACL user the client is logged in as (CLIENT LIST user=).
  std::string user() const {
    std::lock_guard lock(mu);
    return user_;
  }
  void set_user(std::string user) {
    std::lock_guard lock(mu);
    user_ = std::move(user);
  }
  std::string lib_name() const {
    std::lock_guard lock(mu);
    return lib_name_;
  }
  std::string lib_version() const {
    std::lock_guard lock(mu);
    return lib_version_;
  }
  void set_lib(std::string name, std::string version) {
    std::lock_guard lock(mu);
    if (!name.empty()) lib_name_ = std::move(name);
    if (!version.empty()) lib_version_ = std::move(version);
  }

 private:
  mutable std::mutex mu;
  std::string name_;
  std::string lib_name_;
  std::string lib_version_;
  std::string user_ = "default";
};

class ClientRegistry {
 public:
  // Registers a new client unless `max_clients` are already connected; returns nullptr then.
  std::shared_ptr<ClientInfo> Register(uint64_t max_clients);
  void Unregister(uint64_t id);

  size_t size() const;
  std::vector<std::shared_ptr<ClientInfo>> Snapshot() const;
  std::shared_ptr<ClientInfo> Get(uint64_t id) const;

 private:
  mutable std::mutex mu_;
  uint64_t next_id_ = 1;
  absl::flat_hash_map<uint64_t, std::shared_ptr<ClientInfo>> clients_;
};

}  // namespace latchkey
