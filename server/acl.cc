#include "server/acl.h"

namespace latchkey {

Acl::Acl(const CommandTable& table) : table_(table) {
  auto user = std::make_shared<AclUser>("default", table);
  for (std::string_view rule : {"on", "nopass", "~*", "&*", "+@all"}) user->Apply(rule);
  std::lock_guard lock(mu_);
  Publish(std::move(user));
}

void Acl::Publish(std::shared_ptr<const AclUser> user) {
  if (user->name() == "default") default_auto_.store(user->enabled() && user->nopass());
  users_[user->name()] = std::move(user);
  generation_.fetch_add(1, std::memory_order_acq_rel);
}

std::optional<std::string> Acl::SetUser(std::string_view name, std::span<const std::string_view> rules) {
  std::lock_guard lock(mu_);
  auto it = users_.find(name);
  auto user = it != users_.end() ? std::make_shared<AclUser>(*it->second)
                                 : std::make_shared<AclUser>(std::string(name), table_);
  for (std::string_view rule : rules) {
    if (auto error = user->Apply(rule)) {
      return "ERR Error in ACL SETUSER modifier '" + std::string(rule) + "': " + *error;
    }
  }
  Publish(std::move(user));
  return std::nullopt;
}

bool Acl::DelUser(std::string_view name) {
  std::lock_guard lock(mu_);
  auto it = users_.find(name);
  if (it == users_.end()) return false;
  users_.erase(it);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  return true;
}

std::shared_ptr<const AclUser> Acl::Find(std::string_view name) const {
  std::lock_guard lock(mu_);
  auto it = users_.find(name);
  return it == users_.end() ? nullptr : it->second;
}

std::shared_ptr<const AclUser> Acl::Authenticate(std::string_view name, std::string_view password) const {
  std::shared_ptr<const AclUser> user = Find(name);
  if (user == nullptr || !user->enabled() || !user->CheckPassword(password)) return nullptr;
  return user;
}

std::vector<std::shared_ptr<const AclUser>> Acl::Users() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<const AclUser>> out;
  for (const auto& [name, user] : users_) out.push_back(user);
  return out;
}

void Acl::SetDefaultPassword(std::string_view password) {
  std::string rule = ">";
  rule.append(password);
  const std::string_view with_password[] = {"resetpass", rule};
  const std::string_view without[] = {"nopass"};
  if (password.empty()) {
    SetUser("default", without);
  } else {
    SetUser("default", with_password);
  }
}

}  // namespace latchkey
