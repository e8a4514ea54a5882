#include "server/acl_log.h"

namespace latchkey {

void AclLog::Add(Entry entry, size_t max_len) {
  std::lock_guard lock(mu_);
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->reason == entry.reason && it->context == entry.context && it->object == entry.object &&
        it->username == entry.username && entry.created_ms - it->updated_ms < 60000) {
      Entry merged = std::move(*it);
      ++merged.count;
      merged.updated_ms = entry.created_ms;
      merged.client_info = std::move(entry.client_info);
      entries_.erase(it);
      entries_.push_front(std::move(merged));
      return;
    }
  }
  entry.updated_ms = entry.created_ms;
  entries_.push_front(std::move(entry));
  while (entries_.size() > max_len) entries_.pop_back();
}

std::vector<AclLog::Entry> AclLog::Recent(size_t count) const {
  std::lock_guard lock(mu_);
  return {entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(std::min(count, entries_.size()))};
}

void AclLog::Reset() {
  std::lock_guard lock(mu_);
  entries_.clear();
}

}  // namespace latchkey
