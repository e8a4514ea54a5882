#include "server/slowlog.h"

#include "storage/clock.h"

namespace latchkey {

static constexpr size_t kMaxArgs = 32;
static constexpr size_t kMaxArgBytes = 128;

void SlowLog::Add(std::span<const std::string_view> args, int64_t duration_us, std::string client_addr,
                  std::string client_name, size_t max_len) {
  Entry entry{0, NowMs() / 1000, duration_us, {}, std::move(client_addr), std::move(client_name)};
  const size_t kept = std::min(args.size(), kMaxArgs);
  for (size_t i = 0; i < kept; ++i) {
    if (kept < args.size() && i == kept - 1) {
      entry.args.push_back("... (" + std::to_string(args.size() - kept + 1) + " more arguments)");
    } else if (args[i].size() > kMaxArgBytes) {
      entry.args.push_back(std::string(args[i].substr(0, kMaxArgBytes)) + "... (" +
                           std::to_string(args[i].size() - kMaxArgBytes) + " more bytes)");
    } else {
      entry.args.emplace_back(args[i]);
    }
  }
  std::lock_guard lock(mu_);
  entry.id = next_id_++;
  entries_.push_front(std::move(entry));
  while (entries_.size() > max_len) entries_.pop_back();
}

std::vector<SlowLog::Entry> SlowLog::Newest(int64_t count) const {
  std::lock_guard lock(mu_);
  size_t n = count < 0 ? entries_.size() : std::min(entries_.size(), static_cast<size_t>(count));
  return std::vector<Entry>(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(n));
}

size_t SlowLog::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

void SlowLog::Reset() {
  std::lock_guard lock(mu_);
  entries_.clear();
}

}  // namespace latchkey
