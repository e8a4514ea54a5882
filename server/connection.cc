#include "server/connection.h"

#include <algorithm>
#include <cstring>

#include "server/dispatcher.h"
#include "server/io_thread.h"
#include "spdlog/spdlog.h"
#include "storage/clock.h"

namespace latchkey {

Connection::Connection(ServerState& server, IoThread& thread, tcp::socket socket,
                       std::shared_ptr<ClientInfo> info, asio::ssl::context* tls)
    : server_(server),
      thread_(thread),
      stats_(server.stats.slot(thread.index())),
      socket_(std::move(socket)),
      info_(std::move(info)),
      parser_(&limits_),
      writer_(&out_) {
  if (tls != nullptr) tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket_, *tls);
  session_.info = info_.get();
  session_.acl_generation = server_.acl.generation();
  session_.user = server_.acl.Find("default");
  session_.authenticated = server_.acl.DefaultLogsInAutomatically();
  info_->authenticated = session_.authenticated;
}

Connection::~Connection() {
  ReleaseSharedState();
  server_.clients.Unregister(info_->id);
}

void Connection::ReleaseSharedState() {
  StopMonitoring(server_, session_);
  DropSubscriptions(server_, session_);
  EndTransaction(server_, session_);
}

void Connection::Start() {
  session_.subscriptions.self = std::weak_ptr<Subscriber>(shared_from_this());
  session_.monitor_sink = std::weak_ptr<MonitorSink>(shared_from_this());
  boost::system::error_code ec;
  socket_.set_option(tcp::no_delay(true), ec);
  in_.resize(kReadChunk);
  if (tls_ != nullptr) {
    tls_->async_handshake(
        asio::ssl::stream_base::server,
        [self = shared_from_this()](const boost::system::error_code& ec) { self->OnHandshake(ec); });
    return;
  }
  ReadMore();
}

void Connection::OnHandshake(const boost::system::error_code& ec) {
  if (closed_) return;
  if (ec) {
    spdlog::debug("TLS handshake with {} failed: {}", info_->addr, ec.message());
    Kill();
    return;
  }
  ReadMore();
}

void Connection::Kill() {
  if (closed_) return;
  closed_ = true;
  ReleaseSharedState();
  boost::system::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  thread_.Remove(this);
}

void Connection::CloseIfIdle(int64_t now_ms, int64_t timeout_s) {
  if (timeout_s <= 0 || closed_) return;
  if (now_ms - info_->last_interaction_ms.load(std::memory_order_relaxed) > timeout_s * 1000) {
    spdlog::debug("closing idle client id={}", info_->id);
    Kill();
  }
}

template <typename Fn>
void Connection::OnOwnThread(Fn fn) {
  if (thread_.context().get_executor().running_in_this_thread()) return fn(*this);
  asio::post(thread_.context(), [weak = weak_from_this(), fn = std::move(fn)] {
    if (auto self = weak.lock()) fn(*self);
  });
}

void Connection::Deliver(std::shared_ptr<const Publication> publication,
                         std::shared_ptr<const std::string> pattern, bool queued) {
  if (queued) {
    bool schedule = false;
    {
      std::lock_guard lock(mailbox_mu_);
      mailbox_.emplace_back(std::move(publication), std::move(pattern));
      schedule = !std::exchange(mailbox_scheduled_, true);
    }
    if (schedule) {
      asio::post(thread_.context(), [weak = weak_from_this()] {
        if (auto self = weak.lock()) self->DrainMailbox();
      });
    }
    return;
  }
  // On this thread (maybe from this very client) the message is written at once, so a RESP3 client
  // publishing to itself gets it before PUBLISH's reply, as in Redis.
  OnOwnThread([publication = std::move(publication), pattern = std::move(pattern)](Connection& c) {
    c.WriteMessage(*publication, pattern.get());
  });
}

void Connection::DrainMailbox() {
  decltype(mailbox_) messages;
  {
    std::lock_guard lock(mailbox_mu_);
    messages.swap(mailbox_);
    mailbox_scheduled_ = false;
  }
  for (const auto& [publication, pattern] : messages) WriteMessage(*publication, pattern.get());
}

void Connection::DeliverMonitorLine(std::shared_ptr<const std::string> line) {
  OnOwnThread([line = std::move(line)](Connection& c) { c.WriteMonitorLine(*line); });
}

void Connection::WriteMonitorLine(const std::string& line) {
  if (closed_ || !session_.monitor) return;
  writer_.Simple(line);
  AfterPush();
}

void Connection::AfterPush() {
  if (OutputOverLimits()) return;
  if (!processing_) Flush();  // else ProcessInput flushes when its batch is done
}

void Connection::WriteMessage(const Publication& publication, const std::string* pattern) {
  if (closed_) return;
  const SubscriptionState& subs = session_.subscriptions;
  if (pattern != nullptr) {
    if (std::find(subs.patterns.begin(), subs.patterns.end(), *pattern) == subs.patterns.end()) return;
    writer_.Push(4);
    writer_.Bulk("pmessage");
    writer_.Bulk(*pattern);
  } else {
    if (!subs.channels.contains(publication.channel)) return;
    writer_.Push(3);
    writer_.Bulk("message");
  }
  writer_.Bulk(publication.channel);
  writer_.Bulk(publication.message);
  AfterPush();
}

bool Connection::ShouldPauseReading() const {
  // Redis never stops reading a client; with no soft limit configured (the default) neither do we,
  // or a client that writes its whole pipeline before reading any reply would deadlock.
  const uint64_t soft = server_.config.output_limit(false).soft;
  return soft > 0 && PendingOutput() > soft;
}

void Connection::ReadMore() {
  if (reading_ || closed_ || session_.close_after_reply || waiting_durable_) return;
  if (ShouldPauseReading()) return;  // resumed by OnWritten
  if (in_.size() - in_end_ < kReadChunk / 2) in_.resize(std::max(in_.size() * 2, in_end_ + kReadChunk));
  reading_ = true;
  auto buffer = asio::buffer(in_.data() + in_end_, in_.size() - in_end_);
  auto on_read = [self = shared_from_this()](const boost::system::error_code& ec, size_t n) {
    self->OnRead(ec, n);
  };
  if (tls_ != nullptr) {
    tls_->async_read_some(buffer, std::move(on_read));
  } else {
    socket_.async_read_some(buffer, std::move(on_read));
  }
}

void Connection::OnRead(const boost::system::error_code& ec, size_t n) {
  reading_ = false;
  if (closed_) return;
  if (ec) {
    Kill();
    return;
  }
  in_end_ += n;
  stats_.Add(stats_.net_input_bytes, n);
  info_->last_interaction_ms.store(NowMs(), std::memory_order_relaxed);
  ProcessInput();
  if (closed_) return;
  Flush();
  ReadMore();
}

void Connection::ProcessInput() {
  processing_ = true;
  struct Done {
    bool& flag;
    ~Done() { flag = false; }
  } done{processing_};
  limits_.max_bulk_len = server_.config.proto_max_bulk_len();
  while (in_start_ < in_end_ && !session_.close_after_reply) {
    size_t consumed = 0;
    auto result =
        parser_.Parse(in_.data() + in_start_, in_end_ - in_start_, session_.authenticated, &consumed);
    in_start_ += consumed;
    if (result == RequestParser::Result::kNeedMore) break;
    if (result == RequestParser::Result::kError) {
      writer_.Error("ERR " + parser_.error());
      spdlog::info("protocol error from client id={} addr={}: {}", info_->id, info_->addr, parser_.error());
      session_.close_after_reply = true;
      break;
    }
    const size_t before = out_.size();
    const bool skip = session_.skip_next;
    const bool was_off = session_.replies_off;
    session_.skip_next = false;
    CommandTicket::Reset();
    Dispatch(server_, session_, writer_, stats_, parser_.args());
    if (skip || (was_off && session_.replies_off)) out_.resize(before);
    const uint64_t needed = CommandTicket::needed();
    if (needed > 0) held_needed_ = std::max(held_needed_, needed);
    held_.emplace_back(out_.size(), needed);
    if (OutputOverLimits()) return;
  }
  // Compact: keep the partial request (if any) at the front of the buffer.
  if (in_start_ == in_end_) {
    in_start_ = in_end_ = 0;
    if (in_.size() > 4 * kReadChunk) {
      in_.resize(kReadChunk);
      in_.shrink_to_fit();
    }
  } else if (in_start_ > 0) {
    std::memmove(in_.data(), in_.data() + in_start_, in_end_ - in_start_);
    in_end_ -= in_start_;
    in_start_ = 0;
  }
  const size_t pending = in_end_ - in_start_;
  info_->query_buffer.store(pending, std::memory_order_relaxed);
  const uint64_t limit =
      session_.authenticated ? server_.config.query_buffer_limit() : kUnauthenticatedQueryLimit;
  if (pending > limit) {
    spdlog::warn("closing client id={} addr={} that reached max query buffer length ({} bytes)", info_->id,
                 info_->addr, pending);
    Kill();
  }
}

bool Connection::OutputOverLimits() {
  const size_t pending = PendingOutput();
  info_->output_buffer.store(pending, std::memory_order_relaxed);
  const Config::OutputLimit& limit = server_.config.output_limit(session_.subscriptions.count() > 0);
  const uint64_t hard = limit.hard;
  const uint64_t soft = limit.soft;
  bool over = hard > 0 && pending > hard;
  if (soft > 0 && pending > soft) {
    const int64_t now = NowMs();
    if (soft_limit_since_ms_ == 0) soft_limit_since_ms_ = now;
    if (now - soft_limit_since_ms_ > limit.soft_seconds * 1000) over = true;
  } else {
    soft_limit_since_ms_ = 0;
  }
  if (over) {
    spdlog::warn("closing client id={} addr={} for overcoming of output buffer limits ({} bytes)", info_->id,
                 info_->addr, pending);
    Kill();
  }
  return over;
}

// Replies wait for the writes they made or observed: under `always` until the WAL is synced, under
// `everysec` and `no` until the batch is written to RocksDB (as Redis write(2)s its AOF before
// replying), so a crash of the process alone never loses an acknowledged write; only a crash of the
// machine can, within the policy's window.
bool Connection::WaitForDurability() {
  CommitPipeline* pipeline = server_.pipeline.get();
  const bool synced = pipeline != nullptr && pipeline->policy() == FsyncPolicy::kAlways;
  const bool must_wait = pipeline != nullptr && held_needed_ > 0 &&
                         (pipeline->Failed(held_needed_) ||
                          held_needed_ > (synced ? pipeline->durable_seq() : pipeline->committed_seq()));
  if (!must_wait) {
    held_.clear();
    held_needed_ = 0;
    return false;
  }
  waiting_durable_ = true;
  std::weak_ptr<Connection> weak = shared_from_this();
  asio::io_context& context = thread_.context();
  auto resume = [weak, &context](bool ok) {
    asio::post(context, [weak, ok] {
      if (auto self = weak.lock()) self->OnDurable(ok);
    });
  };
  if (synced) {
    pipeline->WhenDurable(held_needed_, std::move(resume));
  } else {
    pipeline->WhenCommitted(held_needed_, std::move(resume));
    thread_.ScheduleCommit();
  }
  return true;
}

void Connection::OnDurable(bool ok) {
  waiting_durable_ = false;
  if (closed_) return;
  if (!ok) {
    // Replace the reply of every command that depended on a write that was undone.
    CommitPipeline* pipeline = server_.pipeline.get();
    std::string rebuilt;
    ReplyWriter writer(&rebuilt);
    writer.set_protocol(session_.protocol);
    size_t start = 0;
    for (auto [end, needed] : held_) {
      if (pipeline->Failed(needed)) {
        writer.Error("MISCONF Errors writing to the data directory; the command was not applied: " +
                     pipeline->failure());
      } else {
        rebuilt.append(out_, start, end - start);
      }
      start = end;
    }
    rebuilt.append(out_, start, std::string::npos);
    out_.swap(rebuilt);
  }
  held_.clear();
  held_needed_ = 0;
  Flush();
  if (!closed_ && in_end_ > in_start_) {
    ProcessInput();
    Flush();
  }
  ReadMore();
}

void Connection::Flush() {
  if (closed_ || !writing_.empty() || waiting_durable_) return;
  if (!held_.empty() && WaitForDurability()) return;
  if (out_.empty()) {
    if (session_.close_after_reply) Kill();
    return;
  }
  held_.clear();
  writing_.swap(out_);
  auto on_written = [self = shared_from_this()](const boost::system::error_code& ec, size_t n) {
    self->OnWritten(ec, n);
  };
  if (tls_ != nullptr) {
    asio::async_write(*tls_, asio::buffer(writing_), std::move(on_written));
  } else {
    asio::async_write(socket_, asio::buffer(writing_), std::move(on_written));
  }
}

void Connection::OnWritten(const boost::system::error_code& ec, size_t n) {
  if (closed_) return;
  if (ec) {
    Kill();
    return;
  }
  stats_.Add(stats_.net_output_bytes, n);
  writing_.clear();
  if (writing_.capacity() > 1024 * 1024) writing_.shrink_to_fit();
  info_->output_buffer.store(out_.size(), std::memory_order_relaxed);
  Flush();
  // Reading may have paused on a full output buffer, and input may hold requests not yet run.
  if (!closed_ && !reading_ && !waiting_durable_ && in_end_ > in_start_ && !ShouldPauseReading()) {
    ProcessInput();
    Flush();
  }
  ReadMore();
}

}  // namespace latchkey
