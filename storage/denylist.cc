#include "storage/denylist.h"

#include <xxhash.h>

#include <algorithm>
#include <mutex>

#include "storage/clock.h"
#include "storage/denylist_record.h"
#include "storage/durable_store.h"
#include "storage/record_codec.h"

namespace latchkey {
namespace {

// Timing-wheel ticks are whole seconds: an entry due at second d is reclaimed once now >= d * 1000.
int64_t Tick(int64_t now_ms) {
  return now_ms >= 0 ? now_ms / 1000 : -((999 - now_ms) / 1000);
}

constexpr std::string_view kScopeEventTypes[] = {"sub", "client", "global"};

}  // namespace

Denylist::Shard& Denylist::WatermarkShard(std::string_view key) {
  return shards_[XXH3_64bits(key.data(), key.size()) % kShards];
}

void Denylist::Record(Shard& shard, uint64_t seq, std::string key, std::string value, Followups* f) {
  if (log_ == nullptr) return;
  f->recorded = true;
  PendingWrite write{seq, PendingWrite::Kind::kPut, std::move(key), std::move(value)};
  write.column = Column::kDenylist;
  shard.log.Record(std::move(write));
}

void Denylist::RecordEvent(Shard& shard, uint64_t seq, int64_t now_ms, std::string_view type,
                           std::string fields, Followups* f) {
  if (events_ == nullptr) return;
  f->event = events_->Append(now_ms, log_ != nullptr ? seq : 0, type, fields, &shard.log);
}

void Denylist::Apply(Followups& f) {
  if (f.recorded && log_ != nullptr) log_->Notify();
  if (f.event && events_ != nullptr) events_->Schedule(std::move(*f.event));
}

Denylist::AddResult Denylist::Add(int64_t now_ms, const AddRequest& r) {
  if (r.deadline_s <= Tick(now_ms)) return AddResult::kExpired;
  const uint64_t fp = DenyFingerprint(seed_, r.iss, r.jti);
  const auto deadline = static_cast<uint32_t>(r.deadline_s);
  Shard& shard = EntryShard(fp);
  Followups f;
  AddResult result = AddResult::kAdded;
  {
    std::lock_guard lock(shard.mu);
    auto it = shard.entries.find(fp);
    const bool live = it != shard.entries.end() && it->deadline_s > Tick(now_ms);
    if (live) result = AddResult::kExisting;
    if (live && it->deadline_s >= deadline) {
      shard.log.NoteObserved(log_);
    } else {
      if (it == shard.entries.end()) {
        shard.entries.insert(Entry{fp, deadline});
        shard.wheel.Add(deadline, fp, Tick(now_ms));
      } else {
        const uint32_t old = it->deadline_s;
        it->deadline_s = deadline;
        shard.wheel.Rearm(old, deadline, fp, Tick(now_ms));
      }
      const uint64_t seq = NextSeq(shard);
      Record(shard, seq, EncodeJtiKey(fp, r.iss, r.jti),
             EncodeJtiRecord({r.deadline_s * 1000, r.exp_s, r.sub, r.reason, now_ms}), &f);
      std::string fields = EventLog::Escape(r.iss);
      fields.append(" ").append(EventLog::Escape(r.jti)).append(" ").append(std::to_string(r.exp_s));
      fields.append(" ").append(EventLog::Escape(r.reason));
      RecordEvent(shard, seq, now_ms, "jti", std::move(fields), &f);
    }
  }
  Apply(f);
  adds_.fetch_add(1, std::memory_order_relaxed);
  return result;
}

Denylist::Verdict Denylist::Check(int64_t now_ms, const CheckRequest& r) {
  checks_.fetch_add(1, std::memory_order_relaxed);
  const uint64_t fp = DenyFingerprint(seed_, r.iss, r.jti);
  Shard& shard = EntryShard(fp);
  Verdict verdict = Verdict::kOk;
  {
    std::lock_guard lock(shard.mu);
    auto it = shard.entries.find(fp);
    if (it != shard.entries.end() && it->deadline_s > Tick(now_ms)) verdict = Verdict::kJti;
    shard.log.NoteObserved(log_);
  }
  if (verdict == Verdict::kOk && r.iat) {
    ApplicableWatermarks w;
    if (r.sub) w.sub = ReadWatermark(now_ms, WatermarkScope::kSub, *r.sub);
    if (r.client) w.client = ReadWatermark(now_ms, WatermarkScope::kClient, *r.client);
    w.global = ReadWatermark(now_ms, WatermarkScope::kGlobal, "*");
    if (const auto scope = RevokedBy(w, *r.iat)) verdict = static_cast<Verdict>(2 + static_cast<int>(*scope));
  }
  if (verdict != Verdict::kOk) hits_.fetch_add(1, std::memory_order_relaxed);
  return verdict;
}

std::optional<int64_t> Denylist::LiveWatermark(const Shard& shard, const std::string& key, int64_t now_ms) {
  auto it = shard.watermarks.find(key);
  if (it == shard.watermarks.end() || it->second.deadline_ms <= now_ms) return std::nullopt;
  return it->second.value_s;
}

std::optional<int64_t> Denylist::ReadWatermark(int64_t now_ms, WatermarkScope scope, std::string_view id) {
  const std::string key = EncodeWatermarkKey(scope, id);
  Shard& shard = WatermarkShard(key);
  std::lock_guard lock(shard.mu);
  shard.log.NoteObserved(log_);
  return LiveWatermark(shard, key, now_ms);
}

std::optional<int64_t> Denylist::GetWatermark(int64_t now_ms, WatermarkScope scope, std::string_view id) {
  return ReadWatermark(now_ms, scope, id);
}

int64_t Denylist::SetWatermark(int64_t now_ms, WatermarkScope scope, std::string_view id, int64_t value_s,
                               int64_t deadline_ms) {
  std::string key = EncodeWatermarkKey(scope, id);
  Shard& shard = WatermarkShard(key);
  Followups f;
  int64_t result = value_s;
  {
    std::lock_guard lock(shard.mu);
    const std::optional<int64_t> current = LiveWatermark(shard, key, now_ms);
    Watermark next{value_s, deadline_ms};
    if (current) {
      const Watermark& old = shard.watermarks[key];
      next = {std::max(old.value_s, value_s), std::max(old.deadline_ms, deadline_ms)};
    }
    result = next.value_s;
    if (current && next.value_s == *current && next.deadline_ms == shard.watermarks[key].deadline_ms) {
      shard.log.NoteObserved(log_);
    } else {
      if (!current || next.deadline_ms != shard.watermarks[key].deadline_ms) {
        shard.watermark_expiry.emplace(next.deadline_ms, key);
      }
      shard.watermarks[key] = next;
      const uint64_t seq = NextSeq(shard);
      Record(shard, seq, key, EncodeWatermarkRecord(next.value_s, next.deadline_ms), &f);
      if (!current || next.value_s > *current) {
        RecordEvent(shard, seq, now_ms, kScopeEventTypes[static_cast<int>(scope)],
                    EventLog::Escape(id) + " " + std::to_string(next.value_s), &f);
      }
    }
  }
  Apply(f);
  return result;
}

size_t Denylist::RemoveExpired(int64_t now_ms, size_t limit_per_shard, bool* more) {
  size_t removed = 0;
  const int64_t now_tick = Tick(now_ms);
  *more = false;
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    const bool done = shard.wheel.Advance(
        now_tick, limit_per_shard,
        [&shard](uint64_t fp) -> std::optional<int64_t> {
          auto it = shard.entries.find(fp);
          if (it == shard.entries.end()) return std::nullopt;
          return static_cast<int64_t>(uint32_t{it->deadline_s});
        },
        [&shard, &removed](uint64_t fp) {
          shard.entries.erase(fp);
          ++removed;
        });
    if (!done) *more = true;
    size_t here = 0;
    auto& queue = shard.watermark_expiry;
    while (!queue.empty() && queue.top().first <= now_ms && here < limit_per_shard) {
      auto it = shard.watermarks.find(queue.top().second);
      if (it != shard.watermarks.end() && it->second.deadline_ms == queue.top().first) {
        shard.watermarks.erase(it);
        ++here;
      }
      queue.pop();
    }
    if (here == limit_per_shard) *more = true;
    removed += here;
  }
  expired_.fetch_add(removed, std::memory_order_relaxed);
  return removed;
}

bool Denylist::Load(std::string_view key, std::string_view value, int64_t now_ms) {
  int64_t deadline_ms = 0;
  if (!PeekExpiry(value, &deadline_ms) || deadline_ms <= now_ms) return false;
  uint64_t fp = 0;
  std::string_view iss, jti, id;
  WatermarkScope scope{};
  if (DecodeJtiKey(key, &fp, &iss, &jti)) {
    JtiRecord record;
    if (!DecodeJtiRecord(value, &record) || record.deadline_ms / 1000 > kMaxDeadlineS) return false;
    Shard& shard = EntryShard(fp);
    std::lock_guard lock(shard.mu);
    RestoreEntry(shard, fp, static_cast<uint32_t>(record.deadline_ms / 1000), now_ms);
    return true;
  }
  int64_t watermark = 0;
  if (DecodeWatermarkKey(key, &scope, &id) && DecodeWatermarkRecord(value, &watermark, &deadline_ms)) {
    Shard& shard = WatermarkShard(key);
    std::lock_guard lock(shard.mu);
    shard.watermarks[std::string(key)] = Watermark{watermark, deadline_ms};
    shard.watermark_expiry.emplace(deadline_ms, std::string(key));
    return true;
  }
  return false;
}

void Denylist::RestoreEntry(Shard& shard, uint64_t fp, std::optional<uint32_t> deadline_s, int64_t now_ms) {
  auto it = shard.entries.find(fp);
  if (!deadline_s) {
    if (it != shard.entries.end()) shard.entries.erase(it);
    return;
  }
  if (it == shard.entries.end()) {
    shard.entries.insert(Entry{fp, *deadline_s});
    shard.wheel.Add(*deadline_s, fp, Tick(now_ms));
  } else if (it->deadline_s != *deadline_s) {
    const uint32_t old = it->deadline_s;
    it->deadline_s = std::max<uint32_t>(old, *deadline_s);  // two pairs sharing a fingerprint: the later one
    shard.wheel.Rearm(old, it->deadline_s, fp, Tick(now_ms));
  }
}

void Denylist::Reserve(size_t entries) {
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    shard.entries.reserve(entries / kShards + entries / kShards / 16);
  }
}

Denylist::Counters Denylist::counters() {
  Counters c;
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    c.entries += shard.entries.size();
    c.bytes += shard.entries.capacity() * (sizeof(Entry) + 1) + shard.wheel.bytes();
    for (const auto& [key, w] : shard.watermarks) {
      ++c.watermarks[static_cast<uint8_t>(key[1])];
      c.bytes += sizeof(key) + sizeof(w) + key.capacity();
    }
  }
  c.adds = adds_.load(std::memory_order_relaxed);
  c.checks = checks_.load(std::memory_order_relaxed);
  c.hits = hits_.load(std::memory_order_relaxed);
  c.expired = expired_.load(std::memory_order_relaxed);
  return c;
}

void Denylist::Drain(uint64_t upto, std::vector<PendingWrite>* out) {
  for (Shard& shard : shards_) shard.log.Take(shard.mu, upto, out);
}

void Denylist::Undo(const PendingWrite& record, DurableStore& store) {
  std::string value;
  bool found = false;
  if (!store.ReadRecord(Column::kDenylist, record.key, &value, &found).ok()) return;
  const int64_t now_ms = NowMs();
  uint64_t fp = 0;
  std::string_view iss, jti, id;
  WatermarkScope scope{};
  if (DecodeJtiKey(record.key, &fp, &iss, &jti)) {
    JtiRecord on_disk;
    std::optional<uint32_t> deadline;
    if (found && DecodeJtiRecord(value, &on_disk))
      deadline = static_cast<uint32_t>(on_disk.deadline_ms / 1000);
    Shard& shard = EntryShard(fp);
    std::lock_guard lock(shard.mu);
    shard.log.Undone(record.seq);
    RestoreEntry(shard, fp, std::nullopt, now_ms);  // exactly the disk's deadline, even if lower
    if (deadline) RestoreEntry(shard, fp, deadline, now_ms);
    return;
  }
  if (!DecodeWatermarkKey(record.key, &scope, &id)) return;
  Shard& shard = WatermarkShard(record.key);
  std::lock_guard lock(shard.mu);
  shard.log.Undone(record.seq);
  int64_t watermark = 0, deadline_ms = 0;
  if (found && DecodeWatermarkRecord(value, &watermark, &deadline_ms)) {
    shard.watermarks[record.key] = Watermark{watermark, deadline_ms};
    shard.watermark_expiry.emplace(deadline_ms, record.key);
  } else {
    shard.watermarks.erase(record.key);
  }
}

}  // namespace latchkey
