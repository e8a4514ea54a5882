#include "server/io_thread.h"

#include <vector>

#include "server/connection.h"
#include "storage/clock.h"

namespace latchkey {

IoThread::IoThread(ServerState& server, int index)
    : server_(server), index_(index), work_(asio::make_work_guard(context_)), sweep_timer_(context_) {}

IoThread::~IoThread() {
  Join();
}

void IoThread::Run() {
  ScheduleIdleSweep();
  thread_ = std::thread([this] { context_.run(); });
}

void IoThread::Stop() {
  asio::post(context_, [this] {
    std::vector<std::shared_ptr<Connection>> all;
    for (auto& [ptr, conn] : connections_) all.push_back(conn);
    for (auto& conn : all) conn->Kill();
    sweep_timer_.cancel();
    work_.reset();
    context_.stop();
  });
}

void IoThread::Join() {
  if (thread_.joinable()) thread_.join();
}

void IoThread::Add(std::shared_ptr<Connection> connection) {
  Connection* key = connection.get();
  connections_.emplace(key, std::move(connection));
}

void IoThread::Remove(Connection* connection) {
  // Defer the release: the connection may be running one of its own handlers right now.
  auto it = connections_.find(connection);
  if (it == connections_.end()) return;
  asio::post(context_, [keep = std::move(it->second)] {});
  connections_.erase(it);
}

void IoThread::ScheduleIdleSweep() {
  sweep_timer_.expires_after(std::chrono::seconds(1));
  sweep_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    const int64_t timeout = server_.config.timeout_s();
    if (timeout > 0) {
      const int64_t now = NowMs();
      std::vector<Connection*> all;
      for (auto& [ptr, conn] : connections_) all.push_back(ptr);
      for (Connection* c : all) c->CloseIfIdle(now, timeout);
    }
    ScheduleIdleSweep();
  });
}

void IoThread::ScheduleCommit() {
  if (commit_posted_ || server_.pipeline == nullptr) return;
  commit_posted_ = true;
  asio::post(context_, [this] {
    commit_posted_ = false;
    server_.pipeline->CommitHere();
  });
}

}  // namespace latchkey
