#include "storage/event_log.h"

#include <algorithm>

#include "storage/commit_pipeline.h"
#include "storage/record_codec.h"

namespace latchkey {

EventLog::EventLog(Publisher publish, int64_t retention_ms)
    : publish_(std::move(publish)), retention_ms_(retention_ms) {}

void EventLog::SetHead(uint64_t seq) {
  std::lock_guard lock(mu_);
  head_ = seq;
  next_publish_ = seq + 1;
  if (marks_.empty()) floor_ = seq + 1;
}

uint64_t EventLog::head() const {
  std::lock_guard lock(mu_);
  return head_;
}

uint64_t EventLog::published() const {
  std::lock_guard lock(mu_);
  return next_publish_ - 1;
}

void EventLog::AddMark(uint64_t seq, int64_t expire_at_ms) {
  // Marks are per second of expiry, so they stay few (at most one per second of the retention).
  if (!marks_.empty() && expire_at_ms / 1000 <= marks_.back().expire_at_ms / 1000) {
    marks_.back().expire_at_ms = std::max(marks_.back().expire_at_ms, expire_at_ms);
    return;
  }
  marks_.push_back(Mark{seq, expire_at_ms});
}

void EventLog::NoteLoaded(uint64_t seq, int64_t expire_at_ms) {
  std::lock_guard lock(mu_);
  if (marks_.empty()) floor_ = seq;  // nothing older survived
  AddMark(seq, expire_at_ms);
}

uint64_t EventLog::Floor(int64_t now_ms) {
  std::lock_guard lock(mu_);
  while (!marks_.empty() && marks_.front().expire_at_ms <= now_ms) {
    marks_.pop_front();
    floor_ = marks_.empty() ? head_ + 1 : marks_.front().first_seq;
  }
  return floor_;
}

std::string EventLog::Escape(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (char c : field) {
    if (c == ' ') {
      out += "%20";
    } else if (c == '%') {
      out += "%25";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string EventLog::Key(uint64_t seq) {
  std::string key = "ev:";
  for (int i = 7; i >= 0; --i) key.push_back(static_cast<char>(seq >> (8 * i)));
  return key;
}

PendingEvent EventLog::Append(int64_t now_ms, uint64_t write_seq, std::string_view type,
                              std::string_view fields, ShardLog* shard) {
  PendingEvent event;
  const int64_t expire_at_ms = now_ms + retention_ms_.load(std::memory_order_relaxed);
  {
    std::lock_guard lock(mu_);
    event.event_seq = ++head_;
    AddMark(event.event_seq, expire_at_ms);
  }
  event.write_seq = write_seq;
  event.message = std::to_string(event.event_seq);
  event.message.append(" ").append(type);
  if (!fields.empty()) event.message.append(" ").append(fields);
  if (write_seq != 0) {
    PendingWrite record{write_seq, PendingWrite::Kind::kPut, Key(event.event_seq), {}};
    record.column = Column::kMeta;
    EncodeHeader(kEventRecord, expire_at_ms, &record.value);
    record.value.append(event.message);
    shard->Record(std::move(record));
  }
  return event;
}

void EventLog::Schedule(PendingEvent event) {
  if (pipeline_ == nullptr || event.write_seq == 0) {
    Resolve(event.event_seq, std::move(event.message));
    return;
  }
  const uint64_t seq = event.event_seq;
  pipeline_->WhenCommitted(event.write_seq, [this, seq, message = std::move(event.message)](bool ok) mutable {
    Resolve(seq, ok ? std::optional<std::string>(std::move(message)) : std::nullopt);
  });
}

void EventLog::Resolve(uint64_t event_seq, std::optional<std::string> message) {
  // One publisher at a time, so publications leave in sequence order even when two threads resolve.
  std::lock_guard publishing(publish_mu_);
  std::vector<std::string> ready;
  {
    std::lock_guard lock(mu_);
    resolved_.emplace(event_seq, std::move(message));
    for (auto it = resolved_.begin(); it != resolved_.end() && it->first == next_publish_;) {
      if (it->second) ready.push_back(std::move(*it->second));
      ++next_publish_;
      it = resolved_.erase(it);
    }
  }
  for (const std::string& m : ready) publish_(m);
}

}  // namespace latchkey
