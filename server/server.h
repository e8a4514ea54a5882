// Server is the network layer: it binds the configured addresses, starts `io-threads` IoThreads, hands
// accepted sockets to them round-robin, runs the periodic tasks (active expiry), and shuts everything
// down on SIGTERM/SIGINT or SHUTDOWN.
//
// Thread-safety: Start() and Wait() from the main thread; RequestShutdown() from anywhere.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "server/asio.h"
#include "server/io_thread.h"
#include "server/server_state.h"
#include "server/tls.h"

namespace latchkey {

class Server {
 public:
  explicit Server(Config& config);
  ~Server();

  // Binds and starts serving. Returns an error (e.g. address in use) without starting anything.
  Status Start();
  // Blocks until the server has shut down.
  void Wait();
  void RequestShutdown();

  ServerState& state() { return *state_; }

 private:
  // The default user's password (requirepass, kept in step with CONFIG SET) and the `user` lines.
  Status LoadUsers();
  // Opens RocksDB in `dir`, loads it into memory and starts the commit pipeline.
  Status OpenStorage();
  // Writes the event log's head sequence number to `meta` when it moved, so numbering never restarts
  // even after compaction has dropped every expired event record (background thread).
  void PersistEventHead();
  // Loads a domain store's column family with `load(key, value, now)`, deleting the records it refuses
  // (expired while the server was down).
  Status LoadDomainColumn(Column column,
                          const std::function<bool(std::string_view, std::string_view, int64_t)>& load,
                          DurableStore::LoadStats* stats);
  // Creates the event log and the session store, and loads them from disk.
  Status OpenDomainStores();
  // Listens on `port` at every bind address; `tls`: connections accepted there speak TLS.
  Status Listen(int port, bool tls);
  void Accept(size_t acceptor_index);
  // The expiry thread: `hz` cycles a second of ActiveExpiry, each within its time budget.
  void RunActiveExpiry();
  void OnAccepted(tcp::socket socket, IoThread& thread, asio::ssl::context* tls);

  Config& config_;
  std::unique_ptr<ServerState> state_;
  std::vector<std::unique_ptr<IoThread>> threads_;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors_;
  std::vector<bool> acceptor_tls_;                   // per acceptor: on the TLS port
  std::unique_ptr<asio::ssl::context> tls_context_;  // when tls-port is set
  std::unique_ptr<asio::signal_set> signals_;
  std::thread expiry_thread_;
  std::mutex expiry_mu_;
  std::condition_variable expiry_cv_;
  bool expiry_stop_ = false;           // guarded by expiry_mu_
  uint64_t persisted_event_head_ = 0;  // background thread only
  size_t next_thread_ = 0;
};

}  // namespace latchkey
