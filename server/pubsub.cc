#include "server/pubsub.h"

#include "storage/glob.h"

namespace latchkey {
namespace {

absl::string_view View(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

}  // namespace

bool PubSub::Subscribe(std::string_view channel, uint64_t client_id, std::weak_ptr<Subscriber> subscriber) {
  std::lock_guard lock(mu_);
  return channels_[View(channel)].emplace(client_id, std::move(subscriber)).second;
}

bool PubSub::Unsubscribe(std::string_view channel, uint64_t client_id) {
  std::lock_guard lock(mu_);
  auto it = channels_.find(View(channel));
  if (it == channels_.end() || it->second.erase(client_id) == 0) return false;
  if (it->second.empty()) channels_.erase(it);
  return true;
}

bool PubSub::PSubscribe(std::string_view pattern, uint64_t client_id, std::weak_ptr<Subscriber> subscriber) {
  std::lock_guard lock(mu_);
  PatternEntry& entry = patterns_[View(pattern)];
  if (entry.pattern == nullptr) entry.pattern = std::make_shared<const std::string>(pattern);
  return entry.subscribers.emplace(client_id, std::move(subscriber)).second;
}

bool PubSub::PUnsubscribe(std::string_view pattern, uint64_t client_id) {
  std::lock_guard lock(mu_);
  auto it = patterns_.find(View(pattern));
  if (it == patterns_.end() || it->second.subscribers.erase(client_id) == 0) return false;
  if (it->second.subscribers.empty()) patterns_.erase(it);
  return true;
}

size_t PubSub::Publish(std::string_view channel, std::string_view message, bool ordered) {
  auto publication =
      std::make_shared<const Publication>(Publication{std::string(channel), std::string(message)});
  // Collected under the lock, delivered after it: Deliver only queues, but it takes other locks.
  std::vector<std::pair<std::shared_ptr<Subscriber>, std::shared_ptr<const std::string>>> targets;
  {
    std::lock_guard lock(mu_);
    if (auto it = channels_.find(View(channel)); it != channels_.end()) {
      for (const auto& [id, weak] : it->second) {
        if (auto subscriber = weak.lock()) targets.emplace_back(std::move(subscriber), nullptr);
      }
    }
    for (const auto& [name, entry] : patterns_) {
      if (!GlobMatch(name, channel)) continue;
      for (const auto& [id, weak] : entry.subscribers) {
        if (auto subscriber = weak.lock()) targets.emplace_back(std::move(subscriber), entry.pattern);
      }
    }
  }
  for (auto& [subscriber, pattern] : targets) subscriber->Deliver(publication, std::move(pattern), ordered);
  return targets.size();
}

std::vector<std::string> PubSub::Channels(std::optional<std::string_view> pattern) const {
  std::lock_guard lock(mu_);
  std::vector<std::string> names;
  for (const auto& [name, subscribers] : channels_) {
    if (!pattern || GlobMatch(*pattern, name)) names.push_back(name);
  }
  return names;
}

size_t PubSub::NumSubscribers(std::string_view channel) const {
  std::lock_guard lock(mu_);
  auto it = channels_.find(View(channel));
  return it == channels_.end() ? 0 : it->second.size();
}

size_t PubSub::NumPatterns() const {
  std::lock_guard lock(mu_);
  return patterns_.size();
}

}  // namespace latchkey
