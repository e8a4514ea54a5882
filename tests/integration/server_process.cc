#include "server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "gtest/gtest.h"

namespace latchkey::testing {
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

namespace {

double Seconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

ServerProcess::ServerProcess(std::vector<std::string> extra_args) {
  char tmpl[] = "/tmp/latchkey-test-XXXXXX";
  dir_ = mkdtemp(tmpl);
  Start(extra_args);
}

ServerProcess::ServerProcess(std::string dir, std::vector<std::string> extra_args)
    : dir_(std::move(dir)), owns_dir_(false) {
  Start(extra_args);
}

void ServerProcess::Start(const std::vector<std::string>& extra_args) {
  port_ = FreePort();
  std::vector<std::string> args = {
      LATCHKEY_SERVER_PATH, "--port", std::to_string(port_), "--bind", "127.0.0.1", "--dir", dir_,
      "--loglevel",         "warning"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  pid_ = fork();
  if (pid_ == 0) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  const double deadline = Seconds() + 10;
  while (Seconds() < deadline) {
    redisContext* c = redisConnect("127.0.0.1", port_);
    if (c != nullptr && c->err == 0) {
      redisFree(c);
      return;
    }
    if (c != nullptr) redisFree(c);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ADD_FAILURE() << "latchkey-server did not start on port " << port_;
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (owns_dir_) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

RedisConn ServerProcess::Connect() const {
  redisContext* c = redisConnect("127.0.0.1", port_);
  EXPECT_TRUE(c != nullptr && c->err == 0) << (c ? c->errstr : "alloc failed");
  return RedisConn(c);
}

int ServerProcess::WaitExit(double seconds) {
  const double deadline = Seconds() + seconds;
  while (Seconds() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

int ServerProcess::Kill9() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGKILL);
  int status = 0;
  if (waitpid(pid_, &status, 0) != pid_) status = -1;
  pid_ = -1;
  return status;
}

int ServerProcess::Terminate(int signal_number) {
  kill(pid_, signal_number);
  return WaitExit(10);
}

RawClient::RawClient(int port) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  EXPECT_EQ(connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
}

RawClient::~RawClient() {
  close(fd_);
}

void RawClient::Send(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<size_t>(n);
  }
}

std::string RawClient::Read(size_t min_bytes, double seconds) {
  std::string out;
  const double deadline = Seconds() + seconds;
  while (out.size() < min_bytes && Seconds() < deadline) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    char buf[65536];
    ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

bool RawClient::ClosedByPeer(double seconds) {
  const double deadline = Seconds() + seconds;
  while (Seconds() < deadline) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    char buf[65536];
    ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return true;
  }
  return false;
}

void AppendCommand(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  EXPECT_EQ(redisAppendCommandArgv(c, static_cast<int>(args.size()), argv.data(), lens.data()), REDIS_OK);
}

Reply NextReply(redisContext* c) {
  void* raw = nullptr;
  if (redisGetReply(c, &raw) != REDIS_OK) {
    ADD_FAILURE() << "no reply: " << c->errstr;
    return nullptr;
  }
  return Reply(static_cast<redisReply*>(raw));
}

Reply RunTransaction(redisContext* c, const std::vector<std::vector<std::string>>& commands) {
  AppendCommand(c, {"MULTI"});
  for (const auto& command : commands) AppendCommand(c, command);
  AppendCommand(c, {"EXEC"});
  for (size_t i = 0; i <= commands.size() + 1; ++i) {
    void* raw = nullptr;  // a transport error is a result here (the server may have been killed)
    if (redisGetReply(c, &raw) != REDIS_OK) return nullptr;
    Reply r(static_cast<redisReply*>(raw));
    if (i == commands.size() + 1) return r;
    const std::string text = r->str != nullptr ? std::string(r->str, r->len) : std::string();
    EXPECT_EQ(r->type, REDIS_REPLY_STATUS) << "reply " << i << ": " << text;
    EXPECT_EQ(text, i == 0 ? "OK" : "QUEUED") << "reply " << i;
  }
  return nullptr;
}

Reply Command(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* r =
      static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lens.data()));
  EXPECT_NE(r, nullptr) << "transport error: " << c->errstr;
  return Reply(r);
}

void ExpectServes(const ServerProcess& server) {
  RedisConn c = server.Connect();
  Reply r = Command(c.get(), {"PING"});
  ASSERT_NE(r, nullptr);
  EXPECT_STREQ(r->str, "PONG");
}

}  // namespace latchkey::testing
