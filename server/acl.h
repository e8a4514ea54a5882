// Acl holds the server's users by name and answers who may log in. The `default` user always exists:
// "on nopass ~* &* +@all" until `requirepass` gives it a password (as Redis: requirepass is the
// default user's password), so a server without ACL configuration behaves like one without ACL.
//
// Users are immutable once published: SETUSER builds a changed copy and swaps it in only if every rule
// applied (all or nothing, as Redis), and bumps generation() so connections pick up the new
// permissions before their next command.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/acl_user.h"
#include "server/command_table.h"

namespace latchkey {

class Acl {
 public:
  explicit Acl(const CommandTable& table);

  // Applies `rules` to user `name` (created "off -@all resetchannels" if new). On a bad rule returns
  // Redis's error text and changes nothing.
  std::optional<std::string> SetUser(std::string_view name, std::span<const std::string_view> rules);
  // Removes user `name`; false if there is none. REQUIRES: name != "default".
  bool DelUser(std::string_view name);
  std::shared_ptr<const AclUser> Find(std::string_view name) const;
  // The user `name` if it is enabled and `password` is one of its passwords, else nullptr.
  std::shared_ptr<const AclUser> Authenticate(std::string_view name, std::string_view password) const;
  // Every user, by name.
  std::vector<std::shared_ptr<const AclUser>> Users() const;

  // requirepass: the default user's only password ("" : nopass).
  void SetDefaultPassword(std::string_view password);
  // Whether a new connection starts logged in as `default` (it is on and has nopass).
  bool DefaultLogsInAutomatically() const { return default_auto_.load(std::memory_order_relaxed); }

  // Bumped by every change: a connection whose copy is older looks its user up again.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  void Publish(std::shared_ptr<const AclUser> user);  // REQUIRES: mu_ held

  const CommandTable& table_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<const AclUser>, std::less<>> users_;
  std::atomic<bool> default_auto_{true};
  std::atomic<uint64_t> generation_{1};
};

}  // namespace latchkey
