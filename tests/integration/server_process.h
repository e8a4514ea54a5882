// ServerProcess starts the real latchkey-server binary on a free loopback port for one test, and stops
// it when the test ends. Clients in tests connect with hiredis (Connect) or a raw socket (RawClient).
#pragma once

#include <hiredis/hiredis.h>
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

namespace latchkey::testing {

struct RedisContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
using RedisConn = std::unique_ptr<redisContext, RedisContextDeleter>;

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

// A TCP port on the loopback interface that nothing listens on right now.
int FreePort();

class ServerProcess {
 public:
  // Starts the server with `--port <free> --bind 127.0.0.1 --dir <tmp>` plus `extra_args`, and waits
  // until it answers PING (or fails the test after 10 s).
  explicit ServerProcess(std::vector<std::string> extra_args = {});
  // The same on the given data directory, which the caller owns: it is neither created nor deleted, so
  // a test can restart the server on it (e.g. after Kill9).
  ServerProcess(std::string dir, std::vector<std::string> extra_args);
  ~ServerProcess();

  int port() const { return port_; }
  pid_t pid() const { return pid_; }

  RedisConn Connect() const;
  // Sends SIGTERM and waits; returns the exit status as waitpid reports it (or -1 on timeout).
  int Terminate(int signal_number);
  // Waits up to `seconds` for the process to exit by itself; returns its status or -1.
  int WaitExit(double seconds);
  // Sends SIGKILL and reaps the process; returns the status as waitpid reports it.
  int Kill9();

  const std::string& dir() const { return dir_; }

 private:
  void Start(const std::vector<std::string>& extra_args);

  pid_t pid_ = -1;
  int port_ = 0;
  std::string dir_;
  bool owns_dir_ = true;
};

// A blocking TCP client for sending arbitrary bytes.
class RawClient {
 public:
  explicit RawClient(int port);
  ~RawClient();
  void Send(const std::string& bytes);
  // Reads until at least `min_bytes` arrived, the peer closed, or `seconds` passed.
  std::string Read(size_t min_bytes, double seconds = 5);
  // Whether the server closed the connection within `seconds`.
  bool ClosedByPeer(double seconds = 5);

 private:
  int fd_ = -1;
};

// Runs a command built from `args` and returns the reply (fails the test on a transport error).
Reply Command(redisContext* c, const std::vector<std::string>& args);
// Queues a command for a pipeline (binary-safe); read the replies with NextReply.
void AppendCommand(redisContext* c, const std::vector<std::string>& args);
// The next reply of a pipeline; fails the test and returns nullptr on a transport error.
Reply NextReply(redisContext* c);
// A new connection to `server` gets PONG to PING (a check that it still serves everyone else).
void ExpectServes(const ServerProcess& server);
// Sends MULTI, `commands`, EXEC in one write and returns EXEC's reply (nullptr, without failing the
// test, on a transport error: callers kill servers on purpose).
// Fails the test if MULTI or a queued command is not answered +OK / +QUEUED.
Reply RunTransaction(redisContext* c, const std::vector<std::vector<std::string>>& commands);

}  // namespace latchkey::testing
