#include "server/server.h"

#include <algorithm>
#include <cstring>
#include <thread>
#include <vector>

#include "server/connection.h"
#include "server/keyspace_events.h"
#include "server/memory_limit.h"
#include "server/memory_usage.h"
#include "spdlog/spdlog.h"
#include "storage/clock.h"
#include "storage/record_codec.h"
#include "storage/secrets.h"

namespace latchkey {
namespace {

int ResolveThreadCount(int configured) {
  if (configured > 0) return configured;
  unsigned cores = std::thread::hardware_concurrency();
  return cores == 0 ? 1 : static_cast<int>(cores);
}

bool IsLoopback(const tcp::endpoint& peer) {
  auto a = peer.address();
  if (a.is_loopback()) return true;
  return a.is_v6() && a.to_v6().is_v4_mapped() &&
         asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).is_loopback();
}

std::string EndpointText(const tcp::endpoint& e) {
  return e.address().to_string() + ":" + std::to_string(e.port());
}

// Redis's reply to a non-loopback client in protected mode, abbreviated.
constexpr std::string_view kDeniedReply =
    "-DENIED Latchkey is running in protected mode because protected mode is enabled and no password is "
    "set for the default user. In this mode connections are only accepted from the loopback interface. "
    "Set a password with 'requirepass', bind to the addresses you mean, or disable protected mode.\r\n";

}  // namespace

Server::Server(Config& config) : config_(config) {
  const int threads = ResolveThreadCount(config.io_threads());
  state_ = std::make_unique<ServerState>(config, threads);
  state_->start_ms = NowMs();
  state_->last_save_ms = state_->start_ms;
  state_->run_id = EncodeHex(RandomBytes(20));
  state_->request_shutdown = [this] { RequestShutdown(); };
  for (int i = 0; i < threads; ++i) threads_.push_back(std::make_unique<IoThread>(*state_, i));
}

Server::~Server() {
  RequestShutdown();
  Wait();
}

Status Server::OpenStorage() {
  // A record stays on disk this long past its deadline, so a clock stepping back cannot make
  // compaction drop what memory still serves.
  constexpr int64_t kCompactionGraceMs = 5 * 60 * 1000;
  Status s = DurableStore::Open(config_.dir(), kCompactionGraceMs, &state_->store);
  if (!s.ok()) return s;
  Keyspace& keyspace = state_->keyspace;
  FsyncPolicy policy = FsyncPolicy::kEverySec;
  ParseFsyncPolicy(config_.fsync(), &policy);
  state_->pipeline = std::make_unique<CommitPipeline>(state_->store.get(), &keyspace, policy);
  keyspace.AttachLog(state_->pipeline.get(), state_->store->DatabaseMapping(keyspace.num_databases()));
  s = state_->store->Load(keyspace, NowMs(), &state_->load_stats);
  if (!s.ok()) return s;
  spdlog::info("DB loaded from disk: {} keys in {} ms ({} expired while down, dropped)",
               state_->load_stats.keys_loaded, state_->load_stats.duration_ms,
               state_->load_stats.expired_skipped);
  s = OpenDomainStores();
  if (!s.ok()) return s;
  CommitPipeline* pipeline = state_->pipeline.get();
  config_.OnChange("fsync", [pipeline](const std::string& value) {
    FsyncPolicy p = FsyncPolicy::kEverySec;
    if (ParseFsyncPolicy(value, &p)) pipeline->set_policy(p);
  });
  pipeline->Start();
  return Status::Ok();
}

namespace {

constexpr std::string_view kEventHeadKey = "events-head";

std::string BigEndian64(uint64_t v) {
  std::string out;
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>(v >> (8 * i)));
  return out;
}

uint64_t FromBigEndian64(std::string_view in) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < in.size(); ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

// The denylist's fingerprint seed: random on the first start, kept in `meta` for the database's life.
Status DenylistSeed(DurableStore& store, uint64_t* seed) {
  constexpr std::string_view kKey = "denylist-seed";
  std::string value;
  bool found = false;
  Status s = store.ReadRecord(Column::kMeta, kKey, &value, &found);
  if (!s.ok()) return s;
  if (!found || value.size() != sizeof(*seed)) {
    value = RandomBytes(sizeof(*seed));
    PendingWrite write{0, PendingWrite::Kind::kPut, std::string(kKey), value};
    write.column = Column::kMeta;
    s = store.Write({write}, true);
    if (!s.ok()) return s;
  }
  std::memcpy(seed, value.data(), sizeof(*seed));
  return Status::Ok();
}

}  // namespace

void Server::PersistEventHead() {
  const uint64_t head = state_->events->head();
  if (head <= persisted_event_head_) return;
  // Outside the commit pipeline: the event records themselves outlive this (they are kept for the
  // retention plus the compaction grace), so a write lost to a crash is made good by the next load.
  PendingWrite write{0, PendingWrite::Kind::kPut, std::string(kEventHeadKey), BigEndian64(head)};
  write.column = Column::kMeta;
  if (state_->store->Write({write}, false).ok()) persisted_event_head_ = head;
}

Status Server::OpenDomainStores() {
  ServerState* state = state_.get();
  state->events = std::make_unique<EventLog>(
      [state](const std::string& message) {
        state->pubsub.Publish(state->config.revocation_channel(), message, /*ordered=*/true);
      },
      config_.max_token_lifetime_s() * 1000);
  state->events->AttachPipeline(state->pipeline.get());
  EventLog* events = state->events.get();
  config_.OnChange("max-token-lifetime", [events, this](const std::string&) {
    events->set_retention_ms(config_.max_token_lifetime_s() * 1000);
  });
  state->sessions = std::make_unique<SessionStore>(state->pipeline.get(), state->events.get());
  state->pipeline->AddSource(state->sessions.get());
  uint64_t seed = 0;
  Status s = DenylistSeed(*state->store, &seed);
  if (!s.ok()) return s;
  state->denylist = std::make_unique<Denylist>(state->pipeline.get(), state->events.get(), seed);
  state->pipeline->AddSource(state->denylist.get());
  const std::string configured_keys = config_.rtoken_keys();
  bool no_families = true;
  s = state->store->Scan(Column::kFamilies, "", [&](std::string_view, std::string_view) {
    no_families = false;
    return false;
  });
  if (!s.ok()) return s;
  s = configured_keys.find_first_not_of(" \t") == std::string::npos
          ? TokenKeyring::LoadOrCreate(config_.dir(), /*may_create=*/no_families, &state->token_keys)
          : TokenKeyring::Parse(configured_keys, &state->token_keys);
  if (!s.ok()) return s;
  state->families =
      std::make_unique<TokenFamilies>(state->pipeline.get(), state->events.get(), state->token_keys.get());
  state->pipeline->AddSource(state->families.get());

  // Events: the head sequence number and when each stretch of the log expires (EVENTS.SINCE's
  // TRIMMED); the events themselves stay on disk.
  uint64_t head = 0;
  s = state->store->ForEach(Column::kMeta, [&](std::string_view key, std::string_view value) {
    if (key == kEventHeadKey && value.size() == 8) head = std::max(head, FromBigEndian64(value));
    if (key.size() == 11 && key.substr(0, 3) == "ev:") {
      const uint64_t seq = FromBigEndian64(key.substr(3));
      int64_t expire_at_ms = 0;
      if (PeekExpiry(value, &expire_at_ms)) state->events->NoteLoaded(seq, expire_at_ms);
      head = std::max(head, seq);
    }
  });
  if (!s.ok()) return s;
  state->events->SetHead(head);
  persisted_event_head_ = head;
  s = LoadDomainColumn(
      Column::kSessions,
      [state](std::string_view key, std::string_view value, int64_t now) {
        return state->sessions->Load(key, value, now);
      },
      &state->session_load_stats);
  if (!s.ok()) return s;
  spdlog::info("sessions loaded: {} in {} ms ({} ended while down, dropped); event log head {}",
               state->session_load_stats.keys_loaded, state->session_load_stats.duration_ms,
               state->session_load_stats.expired_skipped, head);
  s = LoadDomainColumn(
      Column::kFamilies,
      [state](std::string_view key, std::string_view value, int64_t now) {
        return state->families->Load(key, value, now);
      },
      &state->family_load_stats);
  if (!s.ok()) return s;
  spdlog::info("refresh-token families loaded: {} in {} ms ({} past their absolute deadline, dropped)",
               state->family_load_stats.keys_loaded, state->family_load_stats.duration_ms,
               state->family_load_stats.expired_skipped);
  state->denylist->Reserve(state->store->EstimateRecords(Column::kDenylist));
  s = LoadDomainColumn(
      Column::kDenylist,
      [state](std::string_view key, std::string_view value, int64_t now) {
        return state->denylist->Load(key, value, now);
      },
      &state->denylist_load_stats);
  if (!s.ok()) return s;
  spdlog::info("denylist loaded: {} entries and watermarks in {} ms ({} expired while down, dropped)",
               state->denylist_load_stats.keys_loaded, state->denylist_load_stats.duration_ms,
               state->denylist_load_stats.expired_skipped);
  return Status::Ok();
}

Status Server::LoadDomainColumn(Column column,
                                const std::function<bool(std::string_view, std::string_view, int64_t)>& load,
                                DurableStore::LoadStats* stats) {
  ServerState* state = state_.get();

  const int64_t started = MonotonicUs();
  const int64_t now = NowMs();
  std::vector<std::string> expired;
  Status s = state->store->ForEach(column, [&](std::string_view key, std::string_view value) {
    if (load(key, value, now)) {
      ++stats->keys_loaded;
    } else {
      expired.emplace_back(key);
      ++stats->expired_skipped;
    }
  });
  if (!s.ok()) return s;
  s = state->store->DeleteRecords(column, expired);
  if (!s.ok()) return s;
  stats->duration_ms = (MonotonicUs() - started) / 1000;
  return Status::Ok();
}

Status Server::LoadUsers() {
  state_->acl.SetDefaultPassword(config_.requirepass());
  for (const std::string& line : config_.users()) {
    std::vector<std::string_view> words;
    for (size_t at = 0; at < line.size();) {
      const size_t end = std::min(line.find(' ', at), line.size());
      if (end > at) words.emplace_back(line.data() + at, end - at);
      at = end + 1;
    }
    if (auto error = state_->acl.SetUser(words[0], std::span(words).subspan(1))) {
      return Status::Err("user " + std::string(words[0]) + ": " + *error);
    }
  }
  config_.OnChange("requirepass",
                   [this](const std::string& value) { state_->acl.SetDefaultPassword(value); });
  return Status::Ok();
}

Status Server::Start() {
  Status users = LoadUsers();
  if (!users.ok()) return users;
  Status storage = OpenStorage();
  if (!storage.ok()) return storage;
  Status listening = Listen(config_.port(), /*tls=*/false);
  if (listening.ok() && config_.tls_port() != 0) {
    listening = MakeTlsContext(config_.tls(), &tls_context_);
    if (listening.ok()) listening = Listen(config_.tls_port(), /*tls=*/true);
  }
  if (!listening.ok()) return listening;
  asio::io_context& main = threads_[0]->context();
  for (size_t i = 0; i < acceptors_.size(); ++i) Accept(i);

  signals_ = std::make_unique<asio::signal_set>(main, SIGINT, SIGTERM);
  signals_->async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::warn("received {}, scheduling shutdown", signal == SIGINT ? "SIGINT" : "SIGTERM");
    RequestShutdown();
  });
  state_->active_expiry = std::make_unique<ActiveExpiry>(state_->keyspace, state_->sessions.get(),
                                                         state_->denylist.get(), state_->families.get());
  expiry_thread_ = std::thread([this] { RunActiveExpiry(); });
  for (auto& t : threads_) t->Run();
  spdlog::info("Latchkey ready to accept connections on port {} ({} I/O threads)", state_->tcp_port,
               threads_.size());
  return Status::Ok();
}

Status Server::Listen(int port, bool tls) {
  asio::io_context& main = threads_[0]->context();
  const size_t before = acceptors_.size();
  for (const std::string& address : config_.bind()) {
    std::string host = address[0] == '-' ? address.substr(1) : address;  // "-::1": optional address
    boost::system::error_code ec;
    auto ip = asio::ip::make_address(host, ec);
    if (ec) return Status::Err("invalid bind address '" + host + "'");
    tcp::endpoint endpoint(ip, static_cast<unsigned short>(port));
    auto acceptor = std::make_unique<tcp::acceptor>(main);
    acceptor->open(endpoint.protocol(), ec);
    if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec && ip.is_v6()) acceptor->set_option(asio::ip::v6_only(true), ec);
    if (!ec) acceptor->bind(endpoint, ec);
    if (!ec) acceptor->listen(config_.tcp_backlog(), ec);
    if (ec) {
      if (address[0] == '-') continue;
      return Status::Err("could not listen on " + EndpointText(endpoint) + ": " + ec.message());
    }
    if (!tls) state_->tcp_port = acceptor->local_endpoint().port();
    acceptors_.push_back(std::move(acceptor));
    acceptor_tls_.push_back(tls);
  }
  if (acceptors_.size() == before) return Status::Err("no address to listen on");
  return Status::Ok();
}

void Server::Accept(size_t acceptor_index) {
  tcp::acceptor& acceptor = *acceptors_[acceptor_index];
  const size_t target = next_thread_;
  next_thread_ = (next_thread_ + 1) % threads_.size();
  acceptor.async_accept(
      threads_[target]->context(),
      [this, acceptor_index, target](const boost::system::error_code& ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || state_->shutting_down) return;
        if (!ec) {
          OnAccepted(std::move(socket), *threads_[target],
                     acceptor_tls_[acceptor_index] ? tls_context_.get() : nullptr);
        }
        Accept(acceptor_index);
      });
}

void Server::OnAccepted(tcp::socket socket, IoThread& thread, asio::ssl::context* tls) {
  ThreadStats& stats = state_->stats.slot(0);
  boost::system::error_code ec;
  tcp::endpoint peer = socket.remote_endpoint(ec);
  if (ec) return;
  if (config_.protected_mode() && state_->acl.DefaultLogsInAutomatically() && !IsLoopback(peer)) {
    boost::system::error_code ignored;
    asio::write(socket, asio::buffer(kDeniedReply), ignored);
    stats.Add(stats.rejected_connections);
    return;
  }
  auto info = state_->clients.Register(config_.maxclients());
  if (info == nullptr) {
    boost::system::error_code ignored;
    asio::write(socket, asio::buffer(std::string_view("-ERR max number of clients reached\r\n")), ignored);
    stats.Add(stats.rejected_connections);
    return;
  }
  stats.Add(stats.connections);
  info->addr = EndpointText(peer);
  info->laddr = EndpointText(socket.local_endpoint(ec));
  info->created_ms = NowMs();
  info->last_interaction_ms = info->created_ms;
  auto connection = std::make_shared<Connection>(*state_, thread, std::move(socket), info, tls);
  std::weak_ptr<Connection> weak = connection;
  info->kill = [&thread, weak] {
    asio::post(thread.context(), [weak] {
      if (auto c = weak.lock()) c->Kill();
    });
  };
  asio::post(thread.context(), [&thread, connection] {
    thread.Add(connection);
    connection->Start();
  });
}

void Server::RunActiveExpiry() {
  // Each period of 1/hz s is cut into slices of at most 20 ms, each one cycle with its share of the
  // period's budget: the CPU bound of one cycle per period, but a deadline waits at most one slice
  // (a 100 ms period alone puts the lag's p99 near 100 ms).
  constexpr int64_t kMaxSliceUs = 20000;
  ActiveExpiry& expiry = *state_->active_expiry;
  std::unique_lock lock(expiry_mu_);
  int64_t slice = 0;
  while (!expiry_stop_) {
    // Read live: CONFIG SET hz / active-expire-effort take effect at the next cycle.
    const int hz = std::max(1, config_.hz());
    const int64_t period_us = 1000000 / hz;
    const int64_t slices = std::max<int64_t>(1, (period_us + kMaxSliceUs - 1) / kMaxSliceUs);
    const int64_t budget_us = period_us * (25 + 2 * (config_.active_expire_effort() - 1)) / 100;
    lock.unlock();
    if (state_->active_expire_enabled.load(std::memory_order_relaxed))
      expiry.RunCycle(NowMs(), budget_us / slices);
    PublishExpiryNotices(*state_);
    if (++slice >= slices) {  // once a period
      slice = 0;
      // mallinfo2 locks every arena while it walks it: only pay for it when a limit is set.
      if (config_.maxmemory() != 0) {
        RefreshMemoryForLimit(*state_);
        EvictOverLimit(*state_, NowMs(), /*max_keys=*/1000);
      }
      PersistEventHead();
    }
    lock.lock();
    expiry_cv_.wait_for(lock, std::chrono::microseconds(period_us / slices), [this] { return expiry_stop_; });
  }
}

void Server::RequestShutdown() {
  if (state_->shutting_down.exchange(true)) return;
  asio::post(threads_[0]->context(), [this] {
    boost::system::error_code ec;
    for (auto& a : acceptors_) a->close(ec);
    if (signals_) signals_->cancel(ec);
    for (auto& t : threads_) t->Stop();
  });
}

void Server::Wait() {
  for (auto& t : threads_) t->Join();
  if (expiry_thread_.joinable()) {
    {
      std::lock_guard lock(expiry_mu_);
      expiry_stop_ = true;
    }
    expiry_cv_.notify_one();
    expiry_thread_.join();
  }
  // Every connection is closed: commit and sync what they wrote, then close RocksDB.
  {
    std::lock_guard lock(state_->bgsave_mu);
    if (state_->bgsave_thread.joinable()) state_->bgsave_thread.join();
  }
  if (state_->pipeline) state_->pipeline->Stop();
  state_->pipeline.reset();
  state_->store.reset();
}

}  // namespace latchkey
