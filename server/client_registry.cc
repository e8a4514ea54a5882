#include "server/client_registry.h"

#include <algorithm>

namespace latchkey {

std::shared_ptr<ClientInfo> ClientRegistry::Register(uint64_t max_clients) {
  std::lock_guard lock(mu_);
  if (clients_.size() >= max_clients) return nullptr;
  auto info = std::make_shared<ClientInfo>();
  info->id = next_id_++;
  clients_[info->id] = info;
  return info;
}

void ClientRegistry::Unregister(uint64_t id) {
  std::lock_guard lock(mu_);
  clients_.erase(id);
}

size_t ClientRegistry::size() const {
  std::lock_guard lock(mu_);
  return clients_.size();
}

std::vector<std::shared_ptr<ClientInfo>> ClientRegistry::Snapshot() const {
  std::vector<std::shared_ptr<ClientInfo>> out;
  {
    std::lock_guard lock(mu_);
    out.reserve(clients_.size());
    for (const auto& [id, info] : clients_) out.push_back(info);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a->id < b->id; });
  return out;
}

std::shared_ptr<ClientInfo> ClientRegistry::Get(uint64_t id) const {
  std::lock_guard lock(mu_);
  auto it = clients_.find(id);
  return it == clients_.end() ? nullptr : it->second;
}

}  // namespace latchkey
