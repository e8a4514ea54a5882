// A Connection serves one client socket on one I/O thread for its whole life.
//
// Read loop: read into the input buffer, parse every complete request (RequestParser), run each in
// order (Dispatch), append every reply to one output buffer, and write that buffer in one gathered
// write. A write in flight does not stop reading; the next batch of replies waits in a second buffer.
//
// Durability (fsync always): a reply may only leave once the WAL sync covering every write it made or
// observed has happened. The connection notes, per command, the sequence number it depends on
// (CommandTicket); after a batch it holds its replies and stops reading until the commit pipeline says
// that number is durable; if the commit failed, the replies of the commands that depended on it are
// replaced by MISCONF errors.
//
// Pub/sub: a connection is a Subscriber; PUBLISH on any thread posts the message to this connection's
// thread, which encodes it in the client's protocol and appends it to the pending output.
//
// Limits: input past client-query-buffer-limit (1 MB before AUTH) closes the client; pending output
// past the soft limit (when one is set) pauses reading until the client drains it; output past
// the hard limit, or past the soft limit for longer than its seconds, closes the client (Redis's
// client-output-buffer-limit semantics). A protocol error is answered, then the connection closes.
//
// TLS: on the TLS port the socket is wrapped in an ssl::stream; reading starts after the handshake,
// and a failed handshake (a plaintext client, a certificate the CA did not sign) closes the client.
//
// Thread-safety: every method runs on the connection's own io_context thread; Kill() may be posted from
// anywhere through ClientInfo::kill.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "protocol/reply_writer.h"
#include "protocol/request_parser.h"
#include "server/asio.h"
#include "server/command_context.h"
#include "server/monitor.h"
#include "server/pubsub.h"
#include "server/tls.h"

namespace latchkey {

class IoThread;

class Connection : public std::enable_shared_from_this<Connection>, public Subscriber, public MonitorSink {
 public:
  // With `tls` (the TLS port's context), the client is served over TLS once its handshake succeeds.
  Connection(ServerState& server, IoThread& thread, tcp::socket socket, std::shared_ptr<ClientInfo> info,
             asio::ssl::context* tls = nullptr);
  ~Connection() override;

  // Starts the read loop. REQUIRES: called on the owning thread.
  void Start();
  // Closes the socket; pending replies are dropped.
  void Kill();
  // Closes the client if it has been idle longer than `timeout_s` (0: never).
  void CloseIfIdle(int64_t now_ms, int64_t timeout_s);

  const ClientInfo& info() const { return *info_; }

  // Subscriber: thread-safe.
  void Deliver(std::shared_ptr<const Publication> publication, std::shared_ptr<const std::string> pattern,
               bool queued) override;
  // MonitorSink: thread-safe.
  void DeliverMonitorLine(std::shared_ptr<const std::string> line) override;

 private:
  static constexpr size_t kReadChunk = 16 * 1024;
  static constexpr size_t kUnauthenticatedQueryLimit = 1024 * 1024;

  void ReadMore();
  void OnHandshake(const boost::system::error_code& ec);
  // Runs `fn(*this)` on this connection's thread: at once if called there (so a message produced by
  // the current command lands right after its reply, as in Redis), else posted, and dropped if the
  // connection is gone by then.
  template <typename Fn>
  void OnOwnThread(Fn fn);
  // Appends a published message, if the client is still subscribed to where it came from.
  void WriteMessage(const Publication& publication, const std::string* pattern);
  // Appends a MONITOR line, if the client still monitors.
  void WriteMonitorLine(const std::string& line);
  // Checks the output limits after an unsolicited write, and flushes unless a batch is in progress.
  void AfterPush();
  // Ends this client's subscriptions and transaction state in the shared registries.
  void ReleaseSharedState();
  void OnRead(const boost::system::error_code& ec, size_t n);
  void ProcessInput();
  void Flush();
  void OnWritten(const boost::system::error_code& ec, size_t n);
  bool OutputOverLimits();
  // Holds the replies until the writes they depend on are durable; false if nothing to wait for.
  bool WaitForDurability();
  void OnDurable(bool ok);
  size_t PendingOutput() const { return out_.size() + writing_.size(); }
  // Backpressure: stop reading while pending replies exceed the soft output limit (if one is set).
  bool ShouldPauseReading() const;

  ServerState& server_;
  IoThread& thread_;
  ThreadStats& stats_;
  tcp::socket socket_;
  std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls_;  // over socket_ on the TLS port
  std::shared_ptr<ClientInfo> info_;

  std::vector<char> in_;
  size_t in_start_ = 0;  // first unconsumed byte
  size_t in_end_ = 0;    // one past the last byte read
  RequestParser parser_;
  ParserLimits limits_;

  std::string out_;      // replies not yet handed to the socket
  std::string writing_;  // replies of the write in flight
  ReplyWriter writer_;
  Session session_;

  // Commands whose replies are in out_ and not yet released: (end offset in out_, sequence needed).
  std::vector<std::pair<size_t, uint64_t>> held_;
  uint64_t held_needed_ = 0;  // max sequence over held_
  bool waiting_durable_ = false;

  bool reading_ = false;
  bool processing_ = false;  // inside ProcessInput: replies are being added, do not flush yet

  // Ordered deliveries (Deliver with `queued`) wait here in arrival order until this thread writes
  // them: Asio may run a post made on this thread after one made later on another, so posting each
  // message would not keep the publishers' order.
  void DrainMailbox();
  std::mutex mailbox_mu_;
  std::vector<std::pair<std::shared_ptr<const Publication>, std::shared_ptr<const std::string>>>
      mailbox_;                     // guarded by mailbox_mu_
  bool mailbox_scheduled_ = false;  // guarded by mailbox_mu_
  bool closed_ = false;
  int64_t soft_limit_since_ms_ = 0;
};

}  // namespace latchkey
