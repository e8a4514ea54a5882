#include "server/acl_user.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>

#include "server/command_context.h"
#include "storage/glob.h"
#include "storage/secrets.h"

namespace latchkey {
namespace {

// SESSION.GET ... TOUCH's own permission bit sits after every command's.
constexpr std::string_view kTouchCommand = "session.get";
const std::vector<std::string>& TouchCategories() {
  static const std::vector<std::string> kCategories = {"write", "lk-issue", "slow"};
  return kCategories;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

constexpr std::string_view kBadHash =
    "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters";

// The digest a password rule names: SHA-256 of the text after '>' or '<', or the hex after '#' or '!'
// (64 lowercase hex digits, as Redis requires). False when the hex is malformed.
bool RuleDigest(std::string_view rule, Digest* out) {
  if (rule[0] == '>' || rule[0] == '<') {
    *out = Sha256(rule.substr(1));
    return true;
  }
  const std::string_view hex = rule.substr(1);
  std::string bytes;
  if (hex.size() != 64 || hex.find_first_not_of("0123456789abcdef") != std::string_view::npos ||
      !DecodeHex(hex, &bytes)) {
    return false;
  }
  std::copy(bytes.begin(), bytes.end(), out->begin());
  return true;
}

bool HasCategory(const std::vector<std::string>& categories, std::string_view category) {
  return std::find(categories.begin(), categories.end(), category) != categories.end();
}

bool SendsTouch(const CommandSpec& spec, std::span<const std::string_view> args) {
  if (spec.fullname != kTouchCommand) return false;
  for (size_t i = 2; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "touch")) return true;
  }
  return false;
}

}  // namespace

const std::vector<std::string>& AclUser::Categories() {
  static const std::vector<std::string> kCategories = {
      "keyspace", "read",        "write",      "set",         "sortedset", "list",      "hash",    "string",
      "bitmap",   "hyperloglog", "geo",        "stream",      "pubsub",    "admin",     "fast",    "slow",
      "blocking", "dangerous",   "connection", "transaction", "scripting", "lk-verify", "lk-issue"};
  return kCategories;
}

AclUser::AclUser(std::string name, const CommandTable& table)
    : name_(std::move(name)), table_(&table), allowed_(table.spec_count() + 1, false) {}

bool AclUser::CheckPassword(std::string_view password) const {
  if (nopass_) return true;
  const Digest given = Sha256(password);
  bool match = false;
  for (const Digest& d : passwords_) match |= CRYPTO_memcmp(d.data(), given.data(), d.size()) == 0;
  return match;
}

std::optional<std::string> AclUser::Apply(std::string_view rule) {
  const std::string lower = Lower(rule);
  if (lower == "on") {
    enabled_ = true;
  } else if (lower == "off") {
    enabled_ = false;
  } else if (lower == "nopass") {
    nopass_ = true;
    passwords_.clear();
  } else if (lower == "resetpass") {
    nopass_ = false;
    passwords_.clear();
  } else if (rule.starts_with('>') || rule.starts_with('#')) {
    Digest d{};
    if (!RuleDigest(rule, &d)) return std::string(kBadHash);
    if (std::find(passwords_.begin(), passwords_.end(), d) == passwords_.end()) passwords_.push_back(d);
    nopass_ = false;
  } else if (rule.starts_with('<') || rule.starts_with('!')) {
    Digest d{};
    if (!RuleDigest(rule, &d)) return std::string(kBadHash);
    auto it = std::find(passwords_.begin(), passwords_.end(), d);
    if (it == passwords_.end()) return "The password you are trying to remove from the user does not exist";
    passwords_.erase(it);
  } else if (lower == "allkeys" || rule == "~*") {
    keys_ = {{"*", true, true}};
    all_keys_ = true;
  } else if (lower == "resetkeys") {
    keys_.clear();
    all_keys_ = false;
  } else if (rule.starts_with('~') || rule.starts_with('%')) {
    KeyPattern p;
    std::string_view glob = rule;
    if (rule[0] == '~') {
      p.read = p.write = true;
      glob.remove_prefix(1);
    } else {
      const size_t tilde = rule.find('~');
      if (tilde == std::string_view::npos || tilde == 1) return "Syntax error";
      for (char c : rule.substr(1, tilde - 1)) {
        if (c == 'R' || c == 'r') {
          p.read = true;
        } else if (c == 'W' || c == 'w') {
          p.write = true;
        } else {
          return "Syntax error";
        }
      }
      glob = rule.substr(tilde + 1);
    }
    p.glob.assign(glob);
    if (!all_keys_) keys_.push_back(std::move(p));
  } else if (lower == "allchannels" || rule == "&*") {
    channels_ = {"*"};
    all_channels_ = true;
  } else if (lower == "resetchannels") {
    channels_.clear();
    all_channels_ = false;
  } else if (rule.starts_with('&')) {
    if (!all_channels_) channels_.emplace_back(rule.substr(1));
  } else if (lower == "allcommands") {
    return ApplyCommandRule(true, "@all");
  } else if (lower == "nocommands") {
    return ApplyCommandRule(false, "@all");
  } else if (rule.starts_with('+') || rule.starts_with('-')) {
    return ApplyCommandRule(rule[0] == '+', lower.substr(1));
  } else if (lower == "reset") {
    *this = AclUser(name_, *table_);  // off, no passwords, keys or channels, -@all
  } else {
    return "Syntax error";
  }
  return std::nullopt;
}

std::optional<std::string> AclUser::ApplyCommandRule(bool allow, std::string_view what) {
  std::string text(allow ? "+" : "-");
  text.append(what);
  if (what == "@all") {
    SetAllCommands(allow);
    command_rules_ = text;
    return std::nullopt;
  }
  if (what.starts_with('@')) {
    const auto& cats = Categories();
    if (std::find(cats.begin(), cats.end(), what.substr(1)) == cats.end()) {
      return "Unknown command or category name in ACL";
    }
    SetCategory(allow, what.substr(1));
  } else {
    const size_t bar = what.find('|');
    const CommandSpec* spec = table_->Find(what.substr(0, bar));
    if (spec != nullptr && bar != std::string_view::npos)
      spec = CommandTable::FindSub(*spec, what.substr(bar + 1));
    if (spec == nullptr) return "Unknown command or category name in ACL";
    SetCommand(allow, *spec, bar == std::string_view::npos);
  }
  command_rules_.append(" ").append(text);
  RefreshAllCommands();
  return std::nullopt;
}

void AclUser::SetAllCommands(bool allow) {
  allowed_.assign(allowed_.size(), allow);
  all_commands_ = allow;
}

void AclUser::SetCategory(bool allow, std::string_view category) {
  for (const auto& spec : table_->all()) {
    if (HasCategory(spec->acl_categories, category)) allowed_[spec->id] = allow;
    for (const CommandSpec& sub : spec->subcommands) {
      if (HasCategory(sub.acl_categories, category)) allowed_[sub.id] = allow;
    }
  }
  if (HasCategory(TouchCategories(), category)) allowed_.back() = allow;
}

void AclUser::SetCommand(bool allow, const CommandSpec& spec, bool with_subcommands) {
  allowed_[spec.id] = allow;
  if (with_subcommands) {
    for (const CommandSpec& sub : spec.subcommands) allowed_[sub.id] = allow;
  }
  if (spec.fullname == kTouchCommand) allowed_.back() = allow;
}

void AclUser::RefreshAllCommands() {
  all_commands_ = std::all_of(allowed_.begin(), allowed_.end(), [](bool b) { return b; });
}

bool AclUser::KeyAllowed(std::string_view key, bool write) const {
  for (const KeyPattern& p : keys_) {
    if ((write ? p.write : p.read) && GlobMatch(p.glob, key)) return true;
  }
  return false;
}

bool AclUser::ChannelAllowed(std::string_view channel, bool literal) const {
  for (const std::string& p : channels_) {
    if (literal ? p == channel : GlobMatch(p, channel)) return true;
  }
  return false;
}

AclUser::Verdict AclUser::Check(const CommandSpec& spec, std::span<const std::string_view> args) const {
  if (!all_commands_ && (!allowed_[spec.id] || (SendsTouch(spec, args) && !allowed_.back()))) {
    return {Denied::kCommand, spec.fullname};
  }
  if (!all_keys_ && spec.first_key > 0) {
    const bool write = (spec.flags & kCmdWrite) != 0;
    for (std::string_view key : CommandKeys(spec, args)) {
      if (!KeyAllowed(key, write)) return {Denied::kKey, std::string(key)};
    }
  }
  if (!all_channels_) {
    const std::string& n = spec.fullname;
    const bool publish = n == "publish" || n == "spublish";
    const bool pattern = n == "psubscribe";
    if (publish || pattern || n == "subscribe" || n == "ssubscribe") {
      const size_t last = publish ? std::min<size_t>(args.size(), 2) : args.size();
      for (size_t i = 1; i < last; ++i) {
        if (!ChannelAllowed(args[i], pattern)) return {Denied::kChannel, std::string(args[i])};
      }
    }
  }
  return {};
}

std::vector<std::string> AclUser::Flags() const {
  std::vector<std::string> flags = {enabled_ ? "on" : "off"};
  if (nopass_) flags.push_back("nopass");
  return flags;
}

std::vector<std::string> AclUser::PasswordHexes() const {
  std::vector<std::string> out;
  for (const Digest& d : passwords_) out.push_back(EncodeHex(DigestBytes(d)));
  return out;
}

std::string AclUser::KeyRules() const {
  std::string out;
  for (const KeyPattern& p : keys_) {
    if (!out.empty()) out += ' ';
    out += p.read && p.write ? "~" : p.read ? "%R~" : "%W~";
    out += p.glob;
  }
  return out;
}

std::string AclUser::ChannelRules() const {
  std::string out;
  for (const std::string& p : channels_) {
    if (!out.empty()) out += ' ';
    out.append("&").append(p);
  }
  return out;
}

std::string AclUser::Describe() const {
  std::string out = "user " + name_;
  for (const std::string& f : Flags()) out.append(" ").append(f);
  for (const std::string& h : PasswordHexes()) out.append(" #").append(h);
  if (!keys_.empty()) out.append(" ").append(KeyRules());
  if (!all_channels_) out.append(" resetchannels");
  if (!channels_.empty()) out.append(" ").append(ChannelRules());
  return out.append(" ").append(command_rules_);
}

}  // namespace latchkey
