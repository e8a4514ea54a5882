// AclUser is one ACL user: whether it may log in, its password hashes, and which commands, keys and
// pub/sub channels it may use. It is built by applying Redis 7 ACL rules in order ("on", ">secret",
// "~cache:*", "%R~ro:*", "&news", "+@read", "-flushall", "+config|get", "reset"...), the syntax of
// ACL SETUSER and of `user` lines in the config file.
//
// Passwords are kept only as SHA-256 digests and checked in constant time. Key patterns grant read,
// write or both: a command flagged write needs write access to each of its keys, any other command
// read access. Channel patterns are globs for PUBLISH/SUBSCRIBE; PSUBSCRIBE needs one of them verbatim
// (as Redis). One option is a separate permission: SESSION.GET's TOUCH extends a session, so it counts
// as @write and @lk-issue, not as the read-only @lk-verify the plain lookup is in (SPEC §2).
//
// Thread-safety: immutable once shared (Acl hands out const pointers); build copies to change it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/command_table.h"
#include "storage/secrets.h"

namespace latchkey {

class AclUser {
 public:
  AclUser(std::string name, const CommandTable& table);

  // Applies one rule. Returns Redis's reason text when the rule is malformed (the caller reports
  // "Error in ACL SETUSER modifier '<rule>': <reason>" and drops the half-changed copy).
  std::optional<std::string> Apply(std::string_view rule);

  const std::string& name() const { return name_; }
  bool enabled() const { return enabled_; }
  bool nopass() const { return nopass_; }
  // Whether `password` is one of the user's (any password when nopass). Constant time per digest.
  bool CheckPassword(std::string_view password) const;
  // True when nothing is restricted: every command, key and channel (the dispatcher skips the checks).
  bool unrestricted() const { return all_commands_ && all_keys_ && all_channels_; }

  enum class Denied { kNone, kCommand, kKey, kChannel };
  struct Verdict {
    Denied denied = Denied::kNone;
    std::string object;  // the command's full name, the key or the channel refused
  };
  // Whether this user may run `args` (a whole command line resolved to `spec`).
  Verdict Check(const CommandSpec& spec, std::span<const std::string_view> args) const;

  // ACL LIST's line: "user <name> on|off [nopass] [#<sha256>...] <keys> <channels> <commands>".
  std::string Describe() const;
  // ACL GETUSER's parts.
  std::vector<std::string> Flags() const;
  std::vector<std::string> PasswordHexes() const;
  const std::string& CommandRules() const { return command_rules_; }
  std::string KeyRules() const;
  std::string ChannelRules() const;

  // Every category name ACL CAT lists: Redis's, then Latchkey's.
  static const std::vector<std::string>& Categories();

 private:
  struct KeyPattern {
    std::string glob;
    bool read = false;
    bool write = false;
  };

  std::optional<std::string> ApplyCommandRule(bool allow, std::string_view what);
  void SetAllCommands(bool allow);
  void SetCategory(bool allow, std::string_view category);
  void SetCommand(bool allow, const CommandSpec& spec, bool with_subcommands);
  void RefreshAllCommands();
  bool KeyAllowed(std::string_view key, bool write) const;
  bool ChannelAllowed(std::string_view channel, bool literal) const;

  std::string name_;
  const CommandTable* table_;
  bool enabled_ = false;
  bool nopass_ = false;
  std::vector<Digest> passwords_;
  std::vector<bool> allowed_;  // by CommandSpec::id, plus kTouchSlot at the end
  bool all_commands_ = false;
  std::string command_rules_ = "-@all";
  std::vector<KeyPattern> keys_;
  bool all_keys_ = false;
  std::vector<std::string> channels_;
  bool all_channels_ = false;
};

}  // namespace latchkey
