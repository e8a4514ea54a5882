// IoThread is one I/O thread: its own io_context (Asio's io_context-per-thread model) and the set of
// connections that live on it. Once a second it closes clients idle past `timeout`.
//
// Thread-safety: Add/Remove/ForEach run on the thread itself; context() may be used anywhere (post).
#pragma once

#include <memory>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "server/asio.h"
#include "server/server_state.h"

namespace latchkey {

class Connection;

class IoThread {
 public:
  IoThread(ServerState& server, int index);
  ~IoThread();

  asio::io_context& context() { return context_; }
  int index() const { return index_; }

  // Starts the thread running the context until Stop().
  void Run();
  // Closes every connection, then stops the context. Safe from any thread.
  void Stop();
  void Join();

  void Add(std::shared_ptr<Connection> connection);
  void Remove(Connection* connection);

  // Without `fsync always`, replies wait until their writes are written to RocksDB, and this thread
  // writes them itself: the first connection that waits posts one commit round, which runs after
  // the handlers already queued, so every connection served in the same turn shares it (as Redis
  // writes its AOF once per event-loop iteration, before the replies). Call on this thread.
  void ScheduleCommit();

 private:
  void ScheduleIdleSweep();
  bool commit_posted_ = false;

  ServerState& server_;
  const int index_;
  asio::io_context context_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  asio::steady_timer sweep_timer_;
  absl::flat_hash_map<Connection*, std::shared_ptr<Connection>> connections_;
  std::thread thread_;
};

}  // namespace latchkey
