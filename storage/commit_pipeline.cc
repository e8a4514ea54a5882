#include "storage/commit_pipeline.h"

#include <algorithm>
#include <chrono>
#include <future>

#include "spdlog/spdlog.h"
#include "storage/clock.h"
#include "storage/record_codec.h"

namespace latchkey {

bool ParseFsyncPolicy(std::string_view text, FsyncPolicy* policy) {
  if (text == "always")
    *policy = FsyncPolicy::kAlways;
  else if (text == "everysec")
    *policy = FsyncPolicy::kEverySec;
  else if (text == "no")
    *policy = FsyncPolicy::kNo;
  else
    return false;
  return true;
}

CommitPipeline::CommitPipeline(DurableStore* store, Keyspace* keyspace, FsyncPolicy policy)
    : store_(store), keyspace_(keyspace), policy_(policy) {}

CommitPipeline::~CommitPipeline() {
  Stop();
}

void CommitPipeline::Start() {
  thread_ = std::thread([this] { Run(); });
}

void CommitPipeline::Stop() {
  if (!thread_.joinable()) return;
  Status s = SyncNow();
  if (!s.ok()) spdlog::error("final sync failed: {}", s.message());
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void CommitPipeline::Notify() {
  // Without `fsync always` the committer is woken by the replies that wait for it (RequestRound),
  // once per round, not once per write: waking it for each write costs a futex call and a context
  // switch per write, which on two cores showed up as a third of SET throughput.
  if (policy() != FsyncPolicy::kAlways) return;
  RequestRound();
}

void CommitPipeline::set_policy(FsyncPolicy policy) {
  const FsyncPolicy old = policy_.exchange(policy, std::memory_order_relaxed);
  if (old != FsyncPolicy::kAlways || policy == FsyncPolicy::kAlways) return;
  {
    std::lock_guard lock(mu_);
    ++sync_requests_;
    work_ = true;
  }
  cv_.notify_one();
}

void CommitPipeline::CommitHere() {
  std::unique_lock round(round_mu_, std::try_to_lock);
  if (!round.owns_lock()) {
    RequestRound();
    return;
  }
  // An I/O thread must not stall behind a transaction on another thread: if one is open, the
  // committer does the round once it ends.
  if (!CommitRound(/*sync=*/false, /*wait_for_transactions=*/false)) RequestRound();
}

void CommitPipeline::RequestRound() {
  {
    std::lock_guard lock(mu_);
    if (work_) return;
    work_ = true;
  }
  cv_.notify_one();
}

std::string CommitPipeline::failure() const {
  std::lock_guard lock(mu_);
  return failure_;
}

CommitPipeline::Counters CommitPipeline::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

void CommitPipeline::WhenDurable(uint64_t seq, std::function<void(bool ok)> done) {
  bool decided = false, ok = false;
  {
    std::lock_guard lock(mu_);
    if (Failed(seq)) {
      decided = true;
    } else if (seq <= durable_seq()) {
      decided = ok = true;
    } else {
      waiters_.emplace(seq, std::move(done));
    }
  }
  if (decided) done(ok);
}

void CommitPipeline::WhenCommitted(uint64_t seq, std::function<void(bool ok)> done) {
  bool decided = false, ok = false;
  {
    std::lock_guard lock(mu_);
    if (Failed(seq)) {
      decided = true;
    } else if (seq <= committed_seq()) {
      decided = ok = true;
    } else {
      committed_waiters_.emplace(seq, std::move(done));
    }
  }
  if (decided) done(ok);
}

void CommitPipeline::SettleCommitted(uint64_t through, bool ok) {
  std::vector<std::function<void(bool)>> ready;
  {
    std::lock_guard lock(mu_);
    if (ok && through > committed_seq()) committed_seq_.store(through, std::memory_order_release);
    auto end = committed_waiters_.upper_bound(through);
    for (auto it = committed_waiters_.begin(); it != end; ++it) ready.push_back(std::move(it->second));
    committed_waiters_.erase(committed_waiters_.begin(), end);
  }
  for (auto& done : ready) done(ok);  // in sequence order
}

Status CommitPipeline::SyncNow() {
  const uint64_t target = last_seq();
  auto promise = std::make_shared<std::promise<bool>>();
  auto result = promise->get_future();
  {
    std::lock_guard lock(mu_);
    ++sync_requests_;
    work_ = true;
  }
  cv_.notify_one();
  WhenDurable(target, [promise](bool ok) { promise->set_value(ok); });
  if (result.get()) return Status::Ok();
  return Status::IoError(failure());
}

void CommitPipeline::Run() {
  using namespace std::chrono;
  // How long the committer sleeps when nobody asks for a round: replies that wait for their writes
  // wake it (or, without `always`, commit on their own thread), so this only bounds how late the
  // everysec sync and the health probe run. (It used to be 2 ms without `always`: 500 wake-ups a
  // second that an idle or read-only server paid for, on a core the I/O threads need.)
  constexpr milliseconds kIdleInterval{100};
  int64_t last_sync_ms = NowMs();
  int64_t last_probe_ms = 0;
  while (true) {
    bool force_sync = false;
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, kIdleInterval, [&] { return work_ || stop_ || sync_requests_ > 0; });
      if (stop_ && !work_ && sync_requests_ == 0) break;
      work_ = false;
      force_sync = sync_requests_ > 0;
    }
    const FsyncPolicy policy = policy_.load(std::memory_order_relaxed);
    const bool sync = force_sync || policy == FsyncPolicy::kAlways;
    std::unique_lock round(round_mu_);
    const bool ok = CommitRound(sync);
    if (sync) {
      last_sync_ms = NowMs();
      std::lock_guard lock(mu_);
      sync_requests_ = 0;
    }
    const int64_t now = NowMs();
    const bool sync_due =
        ok && policy == FsyncPolicy::kEverySec && now - last_sync_ms >= 1000 && written_seq_ > durable_seq();
    const uint64_t through = written_seq_;
    // The everysec sync runs without the round lock: RocksDB syncs the WAL while writes go on, and
    // holding the lock for a sync (milliseconds) stalled every reply waiting for its write.
    round.unlock();
    if (sync_due) {
      Status s = store_->SyncWal();
      last_sync_ms = now;
      if (s.ok()) {
        {
          std::lock_guard lock(mu_);
          ++counters_.wal_syncs;
        }
        Settle(through, 0);
      } else {
        spdlog::error("WAL sync failed: {}", s.message());
      }
    }
    if (failed() && now - last_probe_ms >= 1000) {
      last_probe_ms = now;
      ProbeHealth();
    }
  }
}

std::vector<PendingWrite> CommitPipeline::Drain(uint64_t upto) {
  std::vector<PendingWrite> records;
  for (int d = 0; d < keyspace_->num_databases(); ++d) {
    Database& db = keyspace_->db(d);
    for (size_t i = 0; i < Database::kShards; ++i) {
      Shard& s = db.shard(i);
      TakeIfDirty(s.dirty, s.mu, s.pending, upto, &records);
    }
  }
  for (RecordSource* source : sources_) source->Drain(upto, &records);
  std::stable_sort(records.begin(), records.end(),
                   [](const PendingWrite& a, const PendingWrite& b) { return a.seq < b.seq; });
  return records;
}

bool CommitPipeline::CommitRound(bool sync, bool wait_for_transactions) {
  uint64_t upto = 0;
  std::vector<PendingWrite> records;
  {
    std::unique_lock gate(transaction_gate(), std::defer_lock);
    if (wait_for_transactions) {
      gate.lock();
    } else if (!gate.try_lock()) {
      return false;
    }
    upto = last_seq();
    // Nothing numbered since the last drain: nothing to take (a read-only load must not cost every
    // shard's lock 500 times a second).
    if (upto == drained_seq_ && !(sync && upto > durable_seq())) return !failed();
    records = Drain(upto);
    drained_seq_ = upto;
  }
  if (records.empty() && !(sync && upto > durable_seq())) return !failed();
  if (failed()) {
    Undo(records);
    Settle(0, upto);
    SettleCommitted(upto, false);
    return false;
  }
  Status s = records.empty() ? store_->SyncWal() : store_->Write(records, sync);
  {
    std::lock_guard lock(mu_);
    ++counters_.rounds;
    counters_.records += records.size();
    if (sync && s.ok()) ++counters_.wal_syncs;
    if (!s.ok()) {
      ++counters_.write_errors;
      failure_ = s.message();
    }
  }
  if (!s.ok()) {
    spdlog::error("RocksDB write failed, refusing writes until the disk is healthy: {}", s.message());
    failed_from_.store(written_seq_, std::memory_order_release);
    failed_ = true;
    Undo(records);
    Settle(0, upto);
    SettleCommitted(upto, false);
    return false;
  }
  written_seq_ = upto;
  if (sync) Settle(upto, 0);
  SettleCommitted(upto, true);
  return true;
}

void CommitPipeline::Settle(uint64_t durable_through, uint64_t failed_through) {
  std::vector<std::pair<std::function<void(bool)>, bool>> ready;
  {
    std::lock_guard lock(mu_);
    if (durable_through > durable_seq()) durable_seq_.store(durable_through, std::memory_order_release);
    if (failed_through > failed_through_.load())
      failed_through_.store(failed_through, std::memory_order_release);
    const uint64_t decided = std::max(durable_seq(), failed_through_.load());
    auto end = waiters_.upper_bound(decided);
    for (auto it = waiters_.begin(); it != end; ++it) {
      ready.emplace_back(std::move(it->second), !Failed(it->first));
    }
    waiters_.erase(waiters_.begin(), end);
  }
  for (auto& [done, ok] : ready) done(ok);
}

// Finds the database whose key range is `physical`.
static Database* DatabaseByPhysicalId(Keyspace& keyspace, uint16_t physical) {
  for (int i = 0; i < keyspace.num_databases(); ++i) {
    if (keyspace.db(i).physical_id() == physical) return &keyspace.db(i);
  }
  return nullptr;
}

void CommitPipeline::Undo(const std::vector<PendingWrite>& records) {
  std::map<uint64_t, std::vector<int>> swaps;       // seq -> databases of a SWAPDB
  std::unique_ptr<DurableStore::KeyReader> reader;  // one view of the disk for every key
  for (const PendingWrite& w : records) {
    if (w.column != Column::kKv) {  // a domain store's record; meta records (events) hold no memory
      for (RecordSource* source : sources_) {
        if (source->column() == w.column) source->Undo(w, *store_);
      }
      continue;
    }
    if (w.kind == PendingWrite::Kind::kMetaPut) {
      swaps[w.seq].push_back(std::stoi(w.key.substr(w.key.find(':') + 1)));
      continue;
    }
    uint16_t physical = 0;
    std::string_view key;
    if (!DecodeKvKey(w.key, &physical, &key)) continue;
    Database* db = DatabaseByPhysicalId(*keyspace_, physical);
    if (db == nullptr) continue;
    if (w.kind == PendingWrite::Kind::kDeleteRange) {
      for (size_t i = 0; i < Database::kShards; ++i) db->shard(i).mu.lock();
      for (size_t i = 0; i < Database::kShards; ++i) {
        db->shard(i).expiry.Clear();
        db->shard(i).table.Clear();
        db->shard(i).undone_seq = std::max(db->shard(i).undone_seq, w.seq);
      }
      Status s = store_->ReadDatabase(physical, *db);
      if (!s.ok()) spdlog::error("could not reload database from disk after a failed write: {}", s.message());
      for (size_t i = Database::kShards; i-- > 0;) db->shard(i).mu.unlock();
      continue;
    }
    Value value;
    int64_t deadline = 0;
    bool found = false;
    if (reader == nullptr) reader = store_->NewKeyReader();
    Status s = reader->Read(physical, key, &value, &deadline, &found);
    if (!s.ok()) {
      spdlog::error("could not reload a key from disk after a failed write: {}", s.message());
      continue;
    }
    const uint64_t hash = Database::HashKey(key);
    Shard& shard = db->shard(Database::ShardOf(hash));
    std::lock_guard lock(shard.mu);
    shard.undone_seq = std::max(shard.undone_seq, w.seq);
    KeyNode* node = shard.table.Find(key, hash);
    if (!found) {
      if (node != nullptr) shard.EraseNode(node);
      continue;
    }
    if (node == nullptr) node = shard.table.Insert(key, hash);
    node->value = std::move(value);
    node->expire_at_ms = deadline;
    shard.expiry.Update(node, NowMs());
  }
  for (auto it = swaps.rbegin(); it != swaps.rend(); ++it) {  // newest first
    const std::vector<int>& dbs = it->second;
    if (dbs.size() == 2) keyspace_->SwapDatabases(dbs[0], dbs[1], /*record=*/false);
  }
}

void CommitPipeline::ProbeHealth() {
  if (!store_->Recover().ok()) return;
  CommitRound(false);  // still failed: undoes whatever was recorded up to now
  failed_ = false;     // records after this point commit normally
  spdlog::warn("RocksDB writes succeed again; accepting writes");
}

}  // namespace latchkey
