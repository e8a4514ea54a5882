#include "storage/session_store.h"

#include <algorithm>

#include <xxhash.h>

#include "storage/clock.h"
#include "storage/durable_store.h"
#include "storage/record_codec.h"

namespace latchkey {
namespace {

constexpr size_t kIdBytes = 32;

std::string NewId() {
  return "s1_" + Base64UrlEncode(RandomBytes(kIdBytes));
}

}  // namespace

SessionStore::RouteKey SessionStore::IdRouteKey(const Digest& hash) {
  RouteKey key{};
  key[0] = 'i';
  std::copy(hash.begin(), hash.end(), key.begin() + 1);
  return key;
}

SessionStore::RouteKey SessionStore::HandleRouteKey(std::string_view raw_handle) {
  RouteKey key{};
  key[0] = 'h';
  std::copy_n(raw_handle.begin(), std::min(raw_handle.size(), key.size() - 1), key.begin() + 1);
  return key;
}

uint32_t SessionStore::ShardOf(std::string_view sub) const {
  return static_cast<uint32_t>(XXH3_64bits(sub.data(), sub.size()) % kShards);
}

SessionStore::RouteStripe& SessionStore::StripeOf(const RouteKey& key) {
  return stripes_[XXH3_64bits(key.data(), key.size()) % kShards];
}

std::optional<SessionStore::Route> SessionStore::FindRoute(const RouteKey& key) {
  RouteStripe& stripe = StripeOf(key);
  std::lock_guard lock(stripe.mu);
  auto it = stripe.routes.find(key);
  if (it == stripe.routes.end()) return std::nullopt;
  return it->second;
}

void SessionStore::ApplyRoutes(Followups& f) {
  for (const RouteKey& key : f.remove) {
    RouteStripe& stripe = StripeOf(key);
    std::lock_guard lock(stripe.mu);
    stripe.routes.erase(key);
  }
  for (auto& [key, route] : f.add) {
    RouteStripe& stripe = StripeOf(key);
    std::lock_guard lock(stripe.mu);
    stripe.routes[key] = std::move(route);
  }
  f.remove.clear();
  f.add.clear();
}

void SessionStore::Apply(Followups& f) {
  ApplyRoutes(f);  // anything left (none when every locked section applied its own)
  if (f.recorded && log_ != nullptr) log_->Notify();
  if (events_ != nullptr) {
    for (PendingEvent& event : f.events) events_->Schedule(std::move(event));
  }
}

void SessionStore::RecordSession(Shard& shard, uint64_t seq, const std::string& raw_handle,
                                 const StoredSession* session, Followups* followups) {
  if (log_ == nullptr) return;
  followups->recorded = true;
  PendingWrite write{seq, session != nullptr ? PendingWrite::Kind::kPut : PendingWrite::Kind::kDelete,
                     raw_handle, session != nullptr ? EncodeSession(*session) : std::string()};
  write.column = Column::kSessions;
  shard.log.Record(std::move(write));
}

void SessionStore::RecordEvent(Shard& shard, uint64_t seq, int64_t now_ms, std::string fields,
                               Followups* followups) {
  if (events_ == nullptr) return;
  followups->events.push_back(
      events_->Append(now_ms, log_ != nullptr ? seq : 0, "session", fields, &shard.log));
}

void SessionStore::Insert(Shard& shard, StoredSession session, int64_t now_ms) {
  shard.subjects[session.sub].push_back(session.handle);
  shard.expiry.Add(DueTick(session.deadline_ms()), ToRaw(session.handle), now_ms);
  std::string handle = session.handle;
  shard.sessions[handle] = std::move(session);
}

void SessionStore::Erase(Shard& shard, const std::string& raw_handle, Followups* followups) {
  auto it = shard.sessions.find(raw_handle);
  if (it == shard.sessions.end()) return;
  StoredSession& s = it->second;
  followups->remove.push_back(IdRouteKey(s.id_hash));
  if (s.grace_deadline_ms != 0) followups->remove.push_back(IdRouteKey(s.grace_hash));
  followups->remove.push_back(HandleRouteKey(raw_handle));
  auto sub = shard.subjects.find(s.sub);
  if (sub != shard.subjects.end()) {
    auto& handles = sub->second;
    handles.erase(std::remove(handles.begin(), handles.end(), raw_handle), handles.end());
    if (handles.empty()) shard.subjects.erase(sub);
  }
  shard.sessions.erase(it);  // its expiry entry goes stale and is dropped
}

StoredSession* SessionStore::FindLive(Shard& shard, const std::string& raw_handle, const Digest& hash,
                                      int64_t now_ms, Followups* followups) {
  auto it = shard.sessions.find(raw_handle);
  if (it == shard.sessions.end()) return nullptr;
  if (!it->second.LiveAt(now_ms)) {
    Erase(shard, raw_handle, followups);  // reclaimed lazily, like a key; nothing written
    expired_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  if (!it->second.Accepts(hash, now_ms)) return nullptr;
  return &it->second;
}

SessionStore::View SessionStore::MakeView(const StoredSession& s) {
  return View{s.sub,          Base64UrlEncode(s.handle), s.client,         s.data, s.created_ms,
              s.last_seen_ms, s.deadline_ms(),           s.abs_deadline_ms};
}

SessionStore::CreateResult SessionStore::Create(int64_t now_ms, const CreateOptions& o, Created* out) {
  StoredSession s;
  const std::string id = NewId();
  s.handle = RandomBytes(kSessionHandleBytes);
  s.sub.assign(o.sub);
  s.client.assign(o.client);
  s.data.assign(o.data);
  s.id_hash = Sha256(id);
  s.created_ms = s.last_seen_ms = s.persisted_last_seen_ms = now_ms;
  s.created_seq = next_created_seq_.fetch_add(1, std::memory_order_relaxed);
  s.idle_ms = o.idle_ms;
  s.abs_deadline_ms = now_ms + o.abs_ms;
  const uint32_t index = ShardOf(o.sub);
  Shard& shard = shards_[index];
  Followups f;
  bool limited = false;
  {
    std::lock_guard lock(shard.mu);
    const uint64_t seq = NextSeq(shard);
    if (o.max_per_sub > 0) {
      // The subject's live sessions, oldest first (expired ones are reclaimed on the way).
      std::vector<std::pair<std::pair<int64_t, uint64_t>, std::string>> live;  // ((created, seq), handle)
      if (auto it = shard.subjects.find(s.sub); it != shard.subjects.end()) {
        for (const std::string& h : std::vector<std::string>(it->second)) {
          const StoredSession& other = shard.sessions.at(h);
          if (other.LiveAt(now_ms)) {
            live.emplace_back(std::make_pair(other.created_ms, other.created_seq), h);
          } else {
            Erase(shard, h, &f);
            expired_.fetch_add(1, std::memory_order_relaxed);
          }
        }
      }
      limited = live.size() >= o.max_per_sub && !o.evict_oldest;
      std::sort(live.begin(), live.end());
      for (size_t i = 0; !limited && live.size() - i >= o.max_per_sub; ++i) {
        const std::string& h = live[i].second;
        RecordSession(shard, seq, h, nullptr, &f);
        RecordEvent(shard, seq, now_ms, EventLog::Escape(s.sub) + " " + Base64UrlEncode(h) + " evicted", &f);
        Erase(shard, h, &f);
        evicted_.fetch_add(1, std::memory_order_relaxed);
      }
    }
    if (!limited) {
      RecordSession(shard, seq, s.handle, &s, &f);
      f.add.emplace_back(IdRouteKey(s.id_hash), Route{s.handle, index});
      f.add.emplace_back(HandleRouteKey(s.handle), Route{s.handle, index});
      out->id = id;
      out->handle = Base64UrlEncode(s.handle);
      out->idle_deadline_ms = s.deadline_ms();
      out->abs_deadline_ms = s.abs_deadline_ms;
      Insert(shard, std::move(s), now_ms);
    }
    ApplyRoutes(f);
  }
  Apply(f);  // never under the shard lock: publishing an event may reach a connection
  if (limited) return CreateResult::kLimit;
  created_.fetch_add(1, std::memory_order_relaxed);
  return CreateResult::kOk;
}

template <typename Fn>
bool SessionStore::WithLiveSession(int64_t now_ms, std::string_view id, Fn&& fn) {
  const Digest hash = Sha256(id);
  auto route = FindRoute(IdRouteKey(hash));
  if (!route) return false;
  Shard& shard = shards_[route->shard];
  Followups f;
  bool found = false;
  {
    std::lock_guard lock(shard.mu);
    if (StoredSession* s = FindLive(shard, route->handle(), hash, now_ms, &f)) {
      found = fn(shard, route->shard, *s, hash, f);
    }
    ApplyRoutes(f);
  }
  Apply(f);
  return found;
}

bool SessionStore::Get(int64_t now_ms, std::string_view id, bool touch, View* out) {
  return WithLiveSession(
      now_ms, id, [&](Shard& shard, uint32_t, StoredSession& s, const Digest&, Followups& f) {
        if (touch) {
          const int64_t old_deadline = s.deadline_ms();
          s.last_seen_ms = std::max(s.last_seen_ms, now_ms);  // a late clock never pulls it back
          shard.expiry.Rearm(DueTick(old_deadline), DueTick(s.deadline_ms()), ToRaw(s.handle), now_ms);
          touches_.fetch_add(1, std::memory_order_relaxed);
          if (now_ms - s.persisted_last_seen_ms >= kTouchCoalesceMs) {
            s.persisted_last_seen_ms = s.last_seen_ms;
            RecordSession(shard, NextSeq(shard), s.handle, &s, &f);
          }
        }
        if (out != nullptr) *out = MakeView(s);
        shard.log.NoteObserved(log_);
        return true;
      });
}

std::optional<int64_t> SessionStore::Touch(int64_t now_ms, std::string_view id) {
  View view;
  if (!Get(now_ms, id, /*touch=*/true, &view)) return std::nullopt;
  return view.idle_deadline_ms - now_ms;
}

bool SessionStore::SetData(int64_t now_ms, std::string_view id, std::string_view data) {
  return WithLiveSession(now_ms, id,
                         [&](Shard& shard, uint32_t, StoredSession& s, const Digest&, Followups& f) {
                           s.data.assign(data);
                           RecordSession(shard, NextSeq(shard), s.handle, &s, &f);
                           return true;
                         });
}

std::optional<SessionStore::Renewed> SessionStore::Renew(int64_t now_ms, std::string_view id,
                                                         int64_t grace_ms) {
  std::optional<Renewed> renewed;
  WithLiveSession(now_ms, id,
                  [&](Shard& shard, uint32_t index, StoredSession& s, const Digest& hash, Followups& f) {
                    if (s.id_hash != hash) return false;  // an id kept alive by GRACE cannot renew
                    const std::string new_id = NewId();
                    if (s.grace_deadline_ms != 0) f.remove.push_back(IdRouteKey(s.grace_hash));
                    if (grace_ms > 0) {
                      s.grace_hash = s.id_hash;
                      s.grace_deadline_ms = now_ms + grace_ms;
                    } else {
                      f.remove.push_back(IdRouteKey(s.id_hash));
                      s.grace_hash = {};
                      s.grace_deadline_ms = 0;
                    }
                    s.id_hash = Sha256(new_id);
                    f.add.emplace_back(IdRouteKey(s.id_hash), Route{s.handle, index});
                    RecordSession(shard, NextSeq(shard), s.handle, &s, &f);
                    renewed = Renewed{new_id, Base64UrlEncode(s.handle)};
                    return true;
                  });
  return renewed;
}

void SessionStore::RevokeLocked(Shard& shard, const std::string& raw_handle, int64_t now_ms,
                                std::string_view reason, Followups* f) {
  const StoredSession& s = shard.sessions.at(raw_handle);
  const uint64_t seq = NextSeq(shard);
  RecordSession(shard, seq, raw_handle, nullptr, f);
  RecordEvent(shard, seq, now_ms,
              EventLog::Escape(s.sub) + " " + Base64UrlEncode(raw_handle) + " " + EventLog::Escape(reason),
              f);
  Erase(shard, raw_handle, f);
  revoked_.fetch_add(1, std::memory_order_relaxed);
}

bool SessionStore::Revoke(int64_t now_ms, std::string_view id, std::string_view reason) {
  return WithLiveSession(now_ms, id,
                         [&](Shard& shard, uint32_t, StoredSession& s, const Digest&, Followups& f) {
                           const std::string handle = s.handle;  // `s` dies in RevokeLocked
                           RevokeLocked(shard, handle, now_ms, reason, &f);
                           return true;
                         });
}

bool SessionStore::RevokeHandle(int64_t now_ms, std::string_view handle, std::string_view reason) {
  auto raw = Base64UrlDecode(handle);
  if (!raw || raw->size() != kSessionHandleBytes) return false;
  auto route = FindRoute(HandleRouteKey(*raw));
  if (!route) return false;
  Shard& shard = shards_[route->shard];
  Followups f;
  bool revoked = false;
  {
    std::lock_guard lock(shard.mu);
    auto it = shard.sessions.find(*raw);
    if (it != shard.sessions.end() && FindLive(shard, *raw, it->second.id_hash, now_ms, &f) != nullptr) {
      RevokeLocked(shard, *raw, now_ms, reason, &f);
      revoked = true;
    }
    ApplyRoutes(f);
  }
  Apply(f);
  return revoked;
}

bool SessionStore::IsLiveHandle(int64_t now_ms, std::string_view handle) {
  auto raw = Base64UrlDecode(handle);
  if (!raw || raw->size() != kSessionHandleBytes) return false;
  auto route = FindRoute(HandleRouteKey(*raw));
  if (!route) return false;
  Shard& shard = shards_[route->shard];
  std::lock_guard lock(shard.mu);
  shard.log.NoteObserved(log_);
  auto it = shard.sessions.find(*raw);
  return it != shard.sessions.end() && it->second.LiveAt(now_ms);
}

std::vector<SessionStore::View> SessionStore::List(int64_t now_ms, std::string_view sub) {
  Shard& shard = shards_[ShardOf(sub)];
  Followups f;
  std::vector<std::pair<std::pair<int64_t, uint64_t>, View>> ordered;  // ((created, seq), view)
  {
    std::lock_guard lock(shard.mu);
    auto it = shard.subjects.find(absl::string_view(sub.data(), sub.size()));
    if (it != shard.subjects.end()) {
      for (const std::string& h : std::vector<std::string>(it->second)) {
        const StoredSession& s = shard.sessions.at(h);
        if (s.LiveAt(now_ms)) {
          ordered.emplace_back(std::make_pair(s.created_ms, s.created_seq), MakeView(s));
        } else {
          Erase(shard, h, &f);
          expired_.fetch_add(1, std::memory_order_relaxed);
        }
      }
    }
    shard.log.NoteObserved(log_);
    ApplyRoutes(f);
  }
  Apply(f);
  std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<View> views;
  views.reserve(ordered.size());
  for (auto& entry : ordered) views.push_back(std::move(entry.second));
  return views;
}

size_t SessionStore::RevokeAll(int64_t now_ms, std::string_view sub, std::string_view except_handle,
                               std::string_view reason) {
  std::string except_raw;
  if (!except_handle.empty()) except_raw = Base64UrlDecode(except_handle).value_or("");
  Shard& shard = shards_[ShardOf(sub)];
  Followups f;
  size_t count = 0;
  {
    std::lock_guard lock(shard.mu);
    auto it = shard.subjects.find(absl::string_view(sub.data(), sub.size()));
    if (it != shard.subjects.end()) {
      const uint64_t seq = NextSeq(shard);
      for (const std::string& h : std::vector<std::string>(it->second)) {
        const bool live = shard.sessions.at(h).LiveAt(now_ms);
        if (live && h == except_raw) continue;
        if (live) {
          RecordSession(shard, seq, h, nullptr, &f);
          ++count;
        } else {
          expired_.fetch_add(1, std::memory_order_relaxed);
        }
        Erase(shard, h, &f);
      }
      if (count > 0) {
        std::string fields = EventLog::Escape(sub) + " * " + EventLog::Escape(reason);
        if (!except_handle.empty()) fields += " except " + EventLog::Escape(except_handle);
        RecordEvent(shard, seq, now_ms, std::move(fields), &f);
      }
    }
    ApplyRoutes(f);
  }
  Apply(f);
  revoked_.fetch_add(count, std::memory_order_relaxed);
  return count;
}

size_t SessionStore::RemoveExpired(int64_t now_ms, size_t limit_per_shard) {
  size_t removed = 0;
  for (Shard& shard : shards_) {
    Followups f;
    {
      std::lock_guard lock(shard.mu);
      size_t here = 0;
      shard.expiry.Advance(
          now_ms, limit_per_shard,
          [&shard](const RawHandle& h) -> std::optional<int64_t> {
            auto it = shard.sessions.find(absl::string_view(h.data(), h.size()));
            if (it == shard.sessions.end()) return std::nullopt;
            return DueTick(it->second.deadline_ms());
          },
          [&](const RawHandle& h) {
            Erase(shard, std::string(h.data(), h.size()), &f);
            ++here;
          });
      removed += here;
      ApplyRoutes(f);
    }
    Apply(f);
  }
  expired_.fetch_add(removed, std::memory_order_relaxed);
  return removed;
}

bool SessionStore::Load(std::string_view key, std::string_view value, int64_t now_ms) {
  StoredSession s;
  if (!DecodeSession(key, value, &s) || !s.LiveAt(now_ms)) return false;
  // Later creations must sort after every loaded one.
  uint64_t next = next_created_seq_.load(std::memory_order_relaxed);
  while (s.created_seq >= next && !next_created_seq_.compare_exchange_weak(next, s.created_seq + 1)) {
  }
  const uint32_t index = ShardOf(s.sub);
  Followups f;
  f.add.emplace_back(IdRouteKey(s.id_hash), Route{s.handle, index});
  if (s.grace_deadline_ms != 0) f.add.emplace_back(IdRouteKey(s.grace_hash), Route{s.handle, index});
  f.add.emplace_back(HandleRouteKey(s.handle), Route{s.handle, index});
  {
    std::lock_guard lock(shards_[index].mu);
    Insert(shards_[index], std::move(s), now_ms);
    ApplyRoutes(f);
  }
  Apply(f);
  return true;
}

SessionStore::Counters SessionStore::counters() {
  Counters c;
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    c.live += shard.sessions.size();
    c.expiry_entries += shard.expiry.size();
  }
  c.created = created_.load();
  c.revoked = revoked_.load();
  c.expired = expired_.load();
  c.evicted = evicted_.load();
  c.touches = touches_.load();
  return c;
}

void SessionStore::Drain(uint64_t upto, std::vector<PendingWrite>* out) {
  for (Shard& shard : shards_) shard.log.Take(shard.mu, upto, out);
}

void SessionStore::Undo(const PendingWrite& record, DurableStore& store) {
  std::string value;
  bool found = false;
  StoredSession on_disk;
  if (!store.ReadRecord(Column::kSessions, record.key, &value, &found).ok()) return;
  if (found && !DecodeSession(record.key, value, &on_disk)) found = false;
  // The session's shard: from the disk copy, else from memory (the route of its handle).
  std::optional<uint32_t> index;
  if (found) {
    index = ShardOf(on_disk.sub);
  } else if (auto route = FindRoute(HandleRouteKey(record.key))) {
    index = route->shard;
  }
  if (!index) return;
  Shard& shard = shards_[*index];
  Followups f;
  {
    std::lock_guard lock(shard.mu);
    shard.log.Undone(record.seq);
    Erase(shard, record.key, &f);
    if (found) {
      f.add.emplace_back(IdRouteKey(on_disk.id_hash), Route{on_disk.handle, *index});
      if (on_disk.grace_deadline_ms != 0) {
        f.add.emplace_back(IdRouteKey(on_disk.grace_hash), Route{on_disk.handle, *index});
      }
      f.add.emplace_back(HandleRouteKey(on_disk.handle), Route{on_disk.handle, *index});
      Insert(shard, std::move(on_disk), NowMs());
    }
    ApplyRoutes(f);
  }
  f.events.clear();
  Apply(f);
}

}  // namespace latchkey
