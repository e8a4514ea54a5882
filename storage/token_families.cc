#include "storage/token_families.h"

#include <openssl/crypto.h>
#include <xxhash.h>

#include <algorithm>

#include "spdlog/spdlog.h"
#include "storage/clock.h"
#include "storage/durable_store.h"

namespace latchkey {
namespace {

constexpr std::string_view kReuseReason = "reuse";
constexpr std::string_view kEvictedReason = "evicted";

bool SameDigest(const Digest& a, const Digest& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// Row 7's conditions but the hash: the window is open and has uses left.
bool GraceOpen(const StoredFamily& f, int64_t now_ms) {
  return f.grace_deadline_ms != 0 && now_ms <= f.grace_deadline_ms && f.grace_uses < f.grace_uses_allowed;
}

}  // namespace

uint32_t TokenFamilies::ShardOf(std::string_view sub) const {
  return static_cast<uint32_t>(XXH3_64bits(sub.data(), sub.size()) % kShards);
}

void TokenFamilies::Apply(Followups& f) {
  if (f.recorded && log_ != nullptr) log_->Notify();
  if (events_ != nullptr) {
    for (PendingEvent& event : f.events) events_->Schedule(std::move(event));
  }
}

void TokenFamilies::RecordFamily(Shard& shard, uint64_t seq, const StoredFamily& f, Followups* followups) {
  if (log_ == nullptr) return;
  followups->recorded = true;
  PendingWrite write{seq, PendingWrite::Kind::kPut, std::string(f.id.data(), f.id.size()), EncodeFamily(f)};
  write.column = Column::kFamilies;
  shard.log.Record(std::move(write));
}

void TokenFamilies::Insert(Shard& shard, StoredFamily f, int64_t now_ms) {
  if (f.revoked) f.ended = true;
  SubjectIndex& index = shard.subjects[f.sub];
  if (f.ended) {
    index.ended.insert(f.id);
    ++shard.tombstones;
  } else {
    index.live.push_back(f.id);
  }
  shard.expiry.Add(DueTick(NextDeadline(f)), f.id, now_ms);
  const FamilyId id = f.id;
  shard.families[id] = std::move(f);
}

void TokenFamilies::Erase(Shard& shard, const FamilyId& id) {
  auto it = shard.families.find(id);
  if (it == shard.families.end()) return;
  if (auto sub = shard.subjects.find(it->second.sub); sub != shard.subjects.end()) {
    SubjectIndex& index = sub->second;
    if (!index.ended.erase(id))
      index.live.erase(std::remove(index.live.begin(), index.live.end(), id), index.live.end());
    if (index.live.empty() && index.ended.empty()) shard.subjects.erase(sub);
  }
  if (it->second.ended) --shard.tombstones;
  shard.families.erase(it);  // its expiry entries go stale and are skipped
}

void TokenFamilies::MarkEnded(Shard& shard, StoredFamily& f) {
  if (f.ended) return;
  f.ended = true;
  ++shard.tombstones;
  SubjectIndex& index = shard.subjects[f.sub];
  index.live.erase(std::remove(index.live.begin(), index.live.end(), f.id), index.live.end());
  index.ended.insert(f.id);
}

void TokenFamilies::RevokeLocked(Shard& shard, StoredFamily& f, int64_t now_ms, uint64_t seq,
                                 std::string_view reason, Followups* followups) {
  f.revoked = true;
  f.reason.assign(reason);
  f.CloseGrace();
  const int64_t old_deadline = NextDeadline(f);
  MarkEnded(shard, f);
  shard.expiry.Rearm(DueTick(old_deadline), DueTick(f.abs_deadline_ms), f.id, now_ms);
  RecordFamily(shard, seq, f, followups);
  if (events_ != nullptr) {
    const std::string fields =
        EventLog::Escape(f.sub) + " " + FamilyText(f.id) + " " + EventLog::Escape(reason);
    followups->events.push_back(
        events_->Append(now_ms, log_ != nullptr ? seq : 0, "family", fields, &shard.log));
  }
  revoked_.fetch_add(1, std::memory_order_relaxed);
}

TokenFamilies::View TokenFamilies::MakeView(const StoredFamily& f, int64_t now_ms) {
  View v;
  v.family = FamilyText(f.id);
  v.sub = f.sub;
  v.client = f.client;
  v.session = f.session;
  v.data = f.data;
  v.reason = f.reason;
  v.state = f.revoked ? "revoked" : f.LiveAt(now_ms) ? "live" : "expired";
  v.gen = f.head_gen;
  v.created_ms = f.created_ms;
  v.last_rotated_ms = f.last_rotated_ms;
  v.idle_deadline_ms = f.idle_deadline_ms();
  v.abs_deadline_ms = f.abs_deadline_ms;
  v.grace_deadline_ms = f.grace_deadline_ms;
  v.grace_uses = f.grace_uses;
  return v;
}

TokenFamilies::Issued TokenFamilies::Issue(int64_t now_ms, const IssueOptions& o) {
  const uint32_t index = ShardOf(o.sub);
  Shard& shard = shards_[index];
  StoredFamily f;
  f.sub.assign(o.sub);
  f.client.assign(o.client);
  f.session.assign(o.session);
  f.data.assign(o.data);
  f.created_ms = f.last_rotated_ms = now_ms;
  f.created_seq = next_created_seq_.fetch_add(1, std::memory_order_relaxed);
  f.abs_deadline_ms = now_ms + o.abs_ms;
  f.idle_ms = o.idle_ms;
  f.grace_ms = o.grace_ms;
  f.grace_uses_allowed = o.grace_uses;
  Issued issued;
  Followups followups;
  for (bool placed = false; !placed;) {
    const std::string random = RandomBytes(kFamilyIdBytes);
    std::copy(random.begin(), random.end(), f.id.begin());
    f.id[0] = static_cast<char>((static_cast<uint8_t>(f.id[0]) & ~(kShards - 1)) | index);
    const RefreshToken token = NewRefreshToken(*keys_, f.id, 0);
    f.head_hash = Sha256(token.secret_bytes());
    const std::string body = RefreshTokenBody(token, *keys_);
    std::lock_guard lock(shard.mu);
    if (shard.families.contains(f.id)) continue;  // 90 random bits collided: draw again
    placed = true;
    const uint64_t seq = NextSeq(shard);
    if (o.max_families > 0) {
      // The (sub, client) pair's live families, oldest first.
      std::vector<std::pair<std::pair<int64_t, uint64_t>, StoredFamily*>> live;
      if (auto it = shard.subjects.find(f.sub); it != shard.subjects.end()) {
        for (const FamilyId& id : it->second.live) {
          StoredFamily& other = shard.families.at(id);
          if (other.client == f.client && other.LiveAt(now_ms)) {
            live.emplace_back(std::make_pair(other.created_ms, other.created_seq), &other);
          }
        }
      }
      std::sort(live.begin(), live.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      for (size_t i = 0; live.size() - i >= o.max_families; ++i) {
        RevokeLocked(shard, *live[i].second, now_ms, seq, kEvictedReason, &followups);
        evictions_.fetch_add(1, std::memory_order_relaxed);
      }
    }
    RecordFamily(shard, seq, f, &followups);
    issued.token = RefreshTokenText(body);
    issued.family = FamilyText(f.id);
    issued.idle_deadline_ms = f.idle_deadline_ms();
    issued.abs_deadline_ms = f.abs_deadline_ms;
    Insert(shard, std::move(f), now_ms);
  }
  Apply(followups);
  issued_.fetch_add(1, std::memory_order_relaxed);
  return issued;
}

TokenFamilies::Outcome TokenFamilies::Rotate(int64_t now_ms, std::string_view text,
                                             std::optional<std::string_view> client, Rotated* out) {
  const std::optional<RefreshToken> presented = ParseRefreshToken(text, *keys_);
  if (!presented) return Outcome::kBadToken;  // row 1
  const Digest hash = Sha256(presented->secret_bytes());
  // Row 6's successor, prepared before locking so the lock is held for the decision only.
  const uint32_t next_gen = presented->generation + 1;
  const RefreshToken next = NewRefreshToken(*keys_, presented->family, next_gen);
  const std::string next_body = RefreshTokenBody(next, *keys_);
  std::string sealed = SealSuccessor(*presented, next_gen, next_body);

  Shard& shard = shards_[ShardOf(presented->family)];
  Followups followups;
  Outcome outcome;
  {
    std::lock_guard lock(shard.mu);
    shard.log.NoteObserved(log_);  // every answer below depends on the family's state
    auto it = shard.families.find(presented->family);
    if (it == shard.families.end()) {
      outcome = Outcome::kNotFound;  // row 2
    } else if (StoredFamily& f = it->second; f.revoked) {
      outcome = Outcome::kRevoked;  // row 3
    } else if (!f.LiveAt(now_ms) || (presented->generation == f.head_gen && next_gen == 0)) {
      outcome = Outcome::kExpired;  // row 4 (or a generation counter that would wrap)
    } else if (client && *client != f.client) {
      outcome = Outcome::kMismatch;  // row 5
    } else if (presented->generation == f.head_gen && SameDigest(hash, f.head_hash)) {
      const int64_t old_deadline = NextDeadline(f);
      f.prev_hash = f.head_hash;  // row 6
      f.head_hash = Sha256(next.secret_bytes());
      f.head_gen = next_gen;
      f.last_rotated_ms = std::max(f.last_rotated_ms, now_ms);  // a late clock never pulls it back
      f.grace_uses = 0;
      if (f.grace_ms > 0 && f.grace_uses_allowed > 0) {
        f.sealed = std::move(sealed);
        f.grace_deadline_ms = now_ms + f.grace_ms;
      } else {
        f.CloseGrace();
      }
      shard.expiry.Rearm(DueTick(old_deadline), DueTick(NextDeadline(f)), f.id, now_ms);
      RecordFamily(shard, NextSeq(shard), f, &followups);
      out->token = RefreshTokenText(next_body);
      out->view = MakeView(f, now_ms);
      outcome = Outcome::kRotated;
      rotations_.fetch_add(1, std::memory_order_relaxed);
    } else {
      const bool predecessor =
          next_gen == f.head_gen && f.grace_deadline_ms != 0 && SameDigest(hash, f.prev_hash);
      std::optional<std::string> replayed;
      if (predecessor && GraceOpen(f, now_ms)) {
        replayed = UnsealSuccessor(*presented, next_gen, f.sealed);
        if (!replayed)
          spdlog::error("refresh-token family {}: sealed successor unreadable", FamilyText(f.id));
      }
      if (replayed) {
        ++f.grace_uses;  // row 7
        RecordFamily(shard, NextSeq(shard), f, &followups);
        out->token = RefreshTokenText(*replayed);
        out->view = MakeView(f, now_ms);
        outcome = Outcome::kReplayed;
        grace_replays_.fetch_add(1, std::memory_order_relaxed);
      } else {
        if (predecessor) grace_rejections_.fetch_add(1, std::memory_order_relaxed);
        RevokeLocked(shard, f, now_ms, NextSeq(shard), kReuseReason, &followups);  // row 8
        outcome = Outcome::kReused;
        reuse_detections_.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }
  Apply(followups);  // never under the shard lock: publishing an event may reach a connection
  return outcome;
}

TokenFamilies::Lookup TokenFamilies::Inspect(int64_t now_ms, std::string_view text, View* out,
                                             std::string_view* presented_as) {
  const std::optional<RefreshToken> presented = ParseRefreshToken(text, *keys_);
  if (!presented) return Lookup::kBadToken;
  const Digest hash = Sha256(presented->secret_bytes());
  Shard& shard = shards_[ShardOf(presented->family)];
  std::lock_guard lock(shard.mu);
  shard.log.NoteObserved(log_);
  auto it = shard.families.find(presented->family);
  if (it == shard.families.end()) return Lookup::kNotFound;
  const StoredFamily& f = it->second;
  *out = MakeView(f, now_ms);
  if (presented->generation == f.head_gen && SameDigest(hash, f.head_hash)) {
    *presented_as = "head";
  } else if (presented->generation + 1 == f.head_gen && GraceOpen(f, now_ms) &&
             SameDigest(hash, f.prev_hash)) {
    *presented_as = "grace";
  } else {
    *presented_as = "stale";
  }
  return Lookup::kFound;
}

TokenFamilies::Lookup TokenFamilies::Revoke(int64_t now_ms, std::string_view text, std::string_view reason,
                                            bool* revoked) {
  const std::optional<RefreshToken> presented = ParseRefreshToken(text, *keys_);
  if (!presented) return Lookup::kBadToken;
  *revoked = RevokeId(now_ms, presented->family, reason);
  return Lookup::kFound;
}

bool TokenFamilies::RevokeFamily(int64_t now_ms, std::string_view family, std::string_view reason) {
  const std::optional<FamilyId> id = ParseFamily(family);
  return id && RevokeId(now_ms, *id, reason);
}

bool TokenFamilies::RevokeId(int64_t now_ms, const FamilyId& id, std::string_view reason) {
  Shard& shard = shards_[ShardOf(id)];
  Followups followups;
  bool revoked = false;
  {
    std::lock_guard lock(shard.mu);
    shard.log.NoteObserved(log_);
    auto it = shard.families.find(id);
    if (it != shard.families.end() && it->second.LiveAt(now_ms)) {
      RevokeLocked(shard, it->second, now_ms, NextSeq(shard), reason, &followups);
      revoked = true;
    }
  }
  Apply(followups);
  return revoked;
}

bool TokenFamilies::IsLive(int64_t now_ms, std::string_view family) {
  const std::optional<FamilyId> id = ParseFamily(family);
  if (!id) return false;
  Shard& shard = shards_[ShardOf(*id)];
  std::lock_guard lock(shard.mu);
  shard.log.NoteObserved(log_);
  auto it = shard.families.find(*id);
  return it != shard.families.end() && it->second.LiveAt(now_ms);
}

std::vector<TokenFamilies::View> TokenFamilies::List(int64_t now_ms, std::string_view sub,
                                                     std::optional<std::string_view> client) {
  Shard& shard = shards_[ShardOf(sub)];
  std::vector<std::pair<std::pair<int64_t, uint64_t>, View>> ordered;  // ((created, seq), view)
  {
    std::lock_guard lock(shard.mu);
    shard.log.NoteObserved(log_);
    auto it = shard.subjects.find(absl::string_view(sub.data(), sub.size()));
    if (it != shard.subjects.end()) {
      auto add = [&](const FamilyId& id) {
        const StoredFamily& f = shard.families.at(id);
        if ((client && *client != f.client) || now_ms > f.abs_deadline_ms ||
            !(f.revoked || f.LiveAt(now_ms))) {
          return;  // a revoked family is listed until its absolute deadline, purged or not
        }
        ordered.emplace_back(std::make_pair(f.created_ms, f.created_seq), MakeView(f, now_ms));
      };
      for (const FamilyId& id : it->second.live) add(id);
      for (const FamilyId& id : it->second.ended) add(id);
    }
  }
  std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<View> views;
  views.reserve(ordered.size());
  for (auto& entry : ordered) views.push_back(std::move(entry.second));
  return views;
}

size_t TokenFamilies::RevokeAll(int64_t now_ms, std::string_view sub, std::optional<std::string_view> client,
                                std::string_view reason) {
  Shard& shard = shards_[ShardOf(sub)];
  Followups followups;
  size_t count = 0;
  {
    std::lock_guard lock(shard.mu);
    shard.log.NoteObserved(log_);
    auto it = shard.subjects.find(absl::string_view(sub.data(), sub.size()));
    if (it != shard.subjects.end()) {
      const uint64_t seq = NextSeq(shard);                 // one batch for all of them
      const std::vector<FamilyId> live = it->second.live;  // revoking moves them out of the index
      for (const FamilyId& id : live) {
        StoredFamily& f = shard.families.at(id);
        if ((client && *client != f.client) || !f.LiveAt(now_ms)) continue;
        RevokeLocked(shard, f, now_ms, seq, reason, &followups);
        ++count;
      }
    }
  }
  Apply(followups);
  return count;
}

size_t TokenFamilies::RemoveExpired(int64_t now_ms, size_t limit_per_shard) {
  size_t reclaimed = 0;
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    size_t here = 0;
    shard.expiry.Advance(
        now_ms, limit_per_shard,
        [&shard](const FamilyId& id) -> std::optional<int64_t> {
          auto it = shard.families.find(id);
          if (it == shard.families.end()) return std::nullopt;
          return DueTick(NextDeadline(it->second));
        },
        [&](const FamilyId& id) {
          StoredFamily& f = shard.families.find(id)->second;
          if (!f.ended) expired_.fetch_add(1, std::memory_order_relaxed);
          if (now_ms > f.abs_deadline_ms) {
            Erase(shard, id);  // nothing left to answer for: purged
          } else {
            MarkEnded(shard, f);  // idle-expired: a tombstone until the absolute deadline
            shard.expiry.Add(DueTick(f.abs_deadline_ms), id, now_ms);
            f.CloseGrace();
            f.data.clear();
            f.data.shrink_to_fit();
          }
          ++here;
        });
    reclaimed += here;
  }
  return reclaimed;
}

bool TokenFamilies::Load(std::string_view key, std::string_view value, int64_t now_ms) {
  StoredFamily f;
  if (!DecodeFamily(key, value, &f) || now_ms > f.abs_deadline_ms) return false;
  uint64_t next = next_created_seq_.load(std::memory_order_relaxed);
  while (f.created_seq >= next && !next_created_seq_.compare_exchange_weak(next, f.created_seq + 1)) {
  }
  f.ended = !f.LiveAt(now_ms);
  Shard& shard = shards_[ShardOf(f.id)];
  std::lock_guard lock(shard.mu);
  Insert(shard, std::move(f), now_ms);
  return true;
}

TokenFamilies::Counters TokenFamilies::counters() {
  Counters c;
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    c.live += shard.families.size() - shard.tombstones;
    c.tombstones += shard.tombstones;
    c.expiry_entries += shard.expiry.size();
  }
  c.issued = issued_.load();
  c.rotations = rotations_.load();
  c.grace_replays = grace_replays_.load();
  c.grace_rejections = grace_rejections_.load();
  c.reuse_detections = reuse_detections_.load();
  c.revoked = revoked_.load();
  c.evictions = evictions_.load();
  c.expired = expired_.load();
  return c;
}

void TokenFamilies::Drain(uint64_t upto, std::vector<PendingWrite>* out) {
  for (Shard& shard : shards_) shard.log.Take(shard.mu, upto, out);
}

void TokenFamilies::Undo(const PendingWrite& record, DurableStore& store) {
  if (record.key.size() != kFamilyIdBytes) return;
  FamilyId id;
  std::copy(record.key.begin(), record.key.end(), id.begin());
  std::string value;
  bool found = false;
  StoredFamily on_disk;
  // Unreadable: the family is dropped from memory (NOTFOUND until a restart loads it from disk) rather
  // than kept in a state the disk never got.
  if (!store.ReadRecord(Column::kFamilies, record.key, &value, &found).ok()) found = false;
  if (found && !DecodeFamily(record.key, value, &on_disk)) found = false;
  Shard& shard = shards_[ShardOf(id)];
  std::lock_guard lock(shard.mu);
  shard.log.Undone(record.seq);
  Erase(shard, id);
  if (found) Insert(shard, std::move(on_disk), NowMs());  // idle expiry, if due: the next cycle marks it
}

}  // namespace latchkey
