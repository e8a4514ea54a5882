#include "server/config.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "server/keyspace_events.h"
#include "storage/expiry_notices.h"
#include "storage/numbers.h"
#include "storage/token_keyring.h"

namespace latchkey {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Status ParseBool(std::string_view value, bool* out) {
  std::string v = Lower(value);
  if (v == "yes") {
    *out = true;
  } else if (v == "no") {
    *out = false;
  } else {
    return Status::Err("argument must be 'yes' or 'no'");
  }
  return Status::Ok();
}

Status ParseBoundedInt(std::string_view value, int64_t min, int64_t max, int64_t* out) {
  int64_t v = 0;
  if (!ParseInt64(value, &v)) return Status::Err("argument couldn't be parsed into an integer");
  if (v < min || v > max) {
    return Status::Err("argument must be between " + std::to_string(min) + " and " + std::to_string(max) +
                       " inclusive");
  }
  *out = v;
  return Status::Ok();
}

std::vector<std::string> SplitWords(std::string_view text) {
  std::vector<std::string> words;
  std::istringstream in{std::string(text)};
  std::string w;
  while (in >> w) words.push_back(w);
  return words;
}

}  // namespace

bool ParseMemory(std::string_view text, uint64_t* bytes) {
  std::string t = Lower(text);
  size_t digits = 0;
  while (digits < t.size() && std::isdigit(static_cast<unsigned char>(t[digits]))) ++digits;
  if (digits == 0) return false;
  std::string_view unit = std::string_view(t).substr(digits);
  uint64_t mul = 1;
  if (unit.empty() || unit == "b")
    mul = 1;
  else if (unit == "k")
    mul = 1000;
  else if (unit == "kb")
    mul = 1024;
  else if (unit == "m")
    mul = 1000 * 1000;
  else if (unit == "mb")
    mul = 1024 * 1024;
  else if (unit == "g")
    mul = 1000ull * 1000 * 1000;
  else if (unit == "gb")
    mul = 1024ull * 1024 * 1024;
  else
    return false;
  int64_t n = 0;
  if (!ParseInt64(std::string_view(t).substr(0, digits), &n)) return false;
  if (__builtin_mul_overflow(static_cast<uint64_t>(n), mul, bytes)) return false;
  return true;
}

void Config::Register(Directive directive) {
  directives_.push_back(std::move(directive));
}

Config::Config() {
  pubsub_output_.hard = 32ull << 20;  // Redis's defaults for subscribers
  pubsub_output_.soft = 8ull << 20;
  pubsub_output_.soft_seconds = 60;
  bind_ = {"127.0.0.1"};
  dir_ = "./data";
  loglevel_ = "notice";
  revocation_channel_ = "lk:revocations";
  maxmemory_policy_ = "noeviction";
  fsync_ = "everysec";
  tls_.auth_clients = "yes";  // as Redis: a TLS client must present a certificate the CA signed

  // Helpers that bind a table row to one field; each returns the row.
  auto integer = [this](std::string name, bool live, int64_t min, int64_t max, auto* field,
                        std::string help) {
    Register({std::move(name), live, std::move(help),
              [field, min, max](std::string_view v) {
                int64_t n = 0;
                Status s = ParseBoundedInt(v, min, max, &n);
                if (s.ok()) field->store(static_cast<std::remove_reference_t<decltype(field->load())>>(n));
                return s;
              },
              [field] { return std::to_string(field->load()); }});
  };
  auto memory = [this](std::string name, bool live, std::atomic<uint64_t>* field, std::string help) {
    Register({std::move(name), live, std::move(help),
              [field](std::string_view v) {
                uint64_t n = 0;
                if (!ParseMemory(v, &n)) return Status::Err("argument must be a memory value");
                field->store(n);
                return Status::Ok();
              },
              [field] { return std::to_string(field->load()); }});
  };
  auto boolean = [this](std::string name, bool live, std::atomic<bool>* field, std::string help) {
    Register({std::move(name), live, std::move(help),
              [field](std::string_view v) {
                bool b = false;
                Status s = ParseBool(v, &b);
                if (s.ok()) field->store(b);
                return s;
              },
              [field] { return std::string(field->load() ? "yes" : "no"); }});
  };
  auto text = [this](std::string name, bool live, std::string* field, std::vector<std::string> choices,
                     std::string help) {
    Register({std::move(name), live, std::move(help),
              [this, field, choices](std::string_view v) {
                std::string value(v);
                if (!choices.empty()) {
                  value = Lower(v);
                  if (std::find(choices.begin(), choices.end(), value) == choices.end()) {
                    std::string list;
                    for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
                    return Status::Err("argument(s) must be one of the following: " + list);
                  }
                }
                std::lock_guard lock(mu_);
                *field = value;
                return Status::Ok();
              },
              [this, field] {
                std::lock_guard lock(mu_);
                return *field;
              }});
  };

  Register({"bind", false, "addresses to listen on (default loopback only)",
            [this](std::string_view v) {
              auto words = SplitWords(v);
              if (words.empty()) return Status::Err("wrong number of arguments");
              std::lock_guard lock(mu_);
              bind_ = std::move(words);
              return Status::Ok();
            },
            [this] {
              std::lock_guard lock(mu_);
              std::string out;
              for (const auto& b : bind_) out += (out.empty() ? "" : " ") + b;
              return out;
            },
            /*multi_word=*/true});
  integer("port", false, 0, 65535, &port_, "TCP port");
  integer("tls-port", false, 0, 65535, &tls_port_, "TLS port (0: no TLS listener)");
  text("tls-cert-file", false, &tls_.cert_file, {}, "server certificate chain (PEM)");
  text("tls-key-file", false, &tls_.key_file, {}, "server private key (PEM)");
  text("tls-ca-cert-file", false, &tls_.ca_cert_file, {},
       "CA certificates that client certificates chain to");
  text("tls-auth-clients", false, &tls_.auth_clients, {"yes", "no", "optional"},
       "require (yes), accept (optional) or ignore (no) client certificates");
  boolean("protected-mode", true, &protected_mode_, "refuse non-loopback clients when no password is set");
  Register({"requirepass", true, "password clients must AUTH with (empty: none)",
            [this](std::string_view v) {
              std::lock_guard lock(mu_);
              requirepass_ = std::string(v);
              return Status::Ok();
            },
            [this] {
              std::lock_guard lock(mu_);
              return requirepass_;
            }});
  Register({"user", false, "<name> <ACL rules...>: an ACL user, one line each (as ACL SETUSER)",
            [this](std::string_view v) {
              if (SplitWords(v).empty()) return Status::Err("wrong number of arguments");
              std::lock_guard lock(mu_);
              users_.emplace_back(v);
              return Status::Ok();
            },
            [] { return std::string(); }, /*multi_word=*/true, /*show=*/nullptr, /*repeatable=*/true});
  integer("acllog-max-len", true, 0, INT64_MAX, &acllog_max_len_, "ACL LOG entries kept");
  text("dir", false, &dir_, {}, "data directory");
  integer("io-threads", false, 0, 128, &io_threads_, "I/O threads; 0 means one per core");
  integer("databases", false, 1, 1024, &databases_, "number of databases for SELECT");
  integer("maxclients", true, 1, 1000000, &maxclients_, "maximum connected clients");
  integer("timeout", true, 0, INT32_MAX, &timeout_s_, "close clients idle this many seconds (0: never)");
  integer("tcp-backlog", false, 0, 65535, &tcp_backlog_, "listen backlog");
  memory("proto-max-bulk-len", true, &proto_max_bulk_len_, "largest bulk string a client may send");
  memory("client-query-buffer-limit", true, &query_buffer_limit_, "largest unparsed input per client");
  Register({"client-output-buffer-limit", true,
            "<class> <hard> <soft> <soft-seconds>: limits on a client's pending replies (0: none); classes "
            "normal and pubsub (replica is accepted and ignored)",
            [this](std::string_view v) {
              auto words = SplitWords(v);
              if (words.size() % 4 != 0 || words.empty())
                return Status::Err("Wrong number of arguments in buffer limit configuration.");
              for (size_t i = 0; i < words.size(); i += 4) {
                std::string cls = Lower(words[i]);
                uint64_t hard = 0, soft = 0;
                int64_t secs = 0;
                if (cls != "normal" && cls != "replica" && cls != "slave" && cls != "pubsub") {
                  return Status::Err("Invalid client class specified in buffer limit configuration.");
                }
                if (!ParseMemory(words[i + 1], &hard) || !ParseMemory(words[i + 2], &soft) ||
                    !ParseInt64(words[i + 3], &secs) || secs < 0) {
                  return Status::Err(
                      "Error in hard, soft or soft_seconds setting in buffer limit configuration.");
                }
                if (cls == "normal" || cls == "pubsub") {
                  OutputLimit& limit = cls == "normal" ? normal_output_ : pubsub_output_;
                  limit.hard = hard;
                  limit.soft = soft;
                  limit.soft_seconds = secs;
                }
              }
              return Status::Ok();
            },
            [this] {
              auto words = [](const OutputLimit& l) {
                return std::to_string(l.hard.load()) + " " + std::to_string(l.soft.load()) + " " +
                       std::to_string(l.soft_seconds.load());
              };
              return "normal " + words(normal_output_) + " slave 268435456 67108864 60 pubsub " +
                     words(pubsub_output_);
            },
            /*multi_word=*/true});
  memory("maxmemory", true, &maxmemory_, "memory limit for generic keys (0: none)");
  text("maxmemory-policy", true, &maxmemory_policy_,
       {"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu",
        "allkeys-random", "noeviction"},
       "what to evict at maxmemory (generic keys only)");
  integer("hz", true, 1, 500, &hz_, "background task frequency (active expiry)");
  integer("active-expire-effort", true, 1, 10, &active_expire_effort_, "active expiry effort 1..10");
  text("loglevel", true, &loglevel_, {"debug", "verbose", "notice", "warning", "nothing"},
       "debug, verbose, notice, warning or nothing");
  text("logfile", false, &logfile_, {}, "log file (empty: standard output)");
  integer("slowlog-log-slower-than", true, -1, INT64_MAX, &slowlog_slower_than_us_,
          "log commands slower than this many microseconds (-1: never)");
  integer("slowlog-max-len", true, 0, INT64_MAX, &slowlog_max_len_, "slow log entries kept");
  text("fsync", true, &fsync_, {"always", "everysec", "no"}, "when the write-ahead log is synced");
  Register({"notify-keyspace-events", true,
            "keyspace notifications (Redis's flag letters); Latchkey publishes the expired event (x)",
            [this](std::string_view v) {
              int flags = 0;
              std::string error;
              if (!ParseKeyspaceEvents(v, &flags, &error)) return Status::Err(error);
              keyspace_events_ = flags;
              ExpiryNotices::SetEnabled((flags & kNotifyExpired) &&
                                        (flags & (kNotifyKeyspace | kNotifyKeyevent)));
              return Status::Ok();
            },
            [this] { return FormatKeyspaceEvents(keyspace_events_); }});
  text("revocation-channel", true, &revocation_channel_, {}, "pub/sub channel of revocation events");
  integer("max-token-lifetime", true, 1, INT32_MAX, &max_token_lifetime_s_,
          "seconds revocation events (and default watermarks) are kept");
  integer("deny-leeway-seconds", true, 0, 366 * 24 * 3600, &deny_leeway_s_,
          "seconds a denylist entry outlives its token's exp (clock skew between issuers and gateways)");
  Register({"rtoken-keys", false,
            "refresh-token signing keys, kid:hex ... (first signs; empty: dir/rtoken.keys, generated)",
            [this](std::string_view v) {
              std::unique_ptr<TokenKeyring> parsed;
              if (!SplitWords(v).empty()) {
                Status s = TokenKeyring::Parse(v, &parsed);
                if (!s.ok()) return s;
              }
              std::lock_guard lock(mu_);
              rtoken_keys_ = std::string(v);
              return Status::Ok();
            },
            [this] {
              std::lock_guard lock(mu_);
              return rtoken_keys_;
            },
            /*multi_word=*/true,
            [this] {  // key ids only: whoever holds a key can mint tokens that revoke families
              std::lock_guard lock(mu_);
              std::string shown;
              for (const std::string& word : SplitWords(rtoken_keys_)) {
                if (!shown.empty()) shown += ' ';
                shown.append(word, 0, word.find(':'));
                shown += ":(hidden)";
              }
              return shown;
            }});
  integer("rtoken-grace-seconds", true, 0, 60, &rtoken_grace_s_,
          "default grace window in which a rotated refresh token's retry gets the same successor");
  integer("rtoken-grace-uses", true, 0, 5, &rtoken_grace_uses_, "default replays allowed per grace window");
  integer("rtoken-max-families", true, 0, INT32_MAX, &rtoken_max_families_,
          "live refresh-token families per (sub, client); the oldest is revoked beyond (0: no cap)");
  boolean("enable-debug-command", false, &enable_debug_command_,
          "allow DEBUG (fault injection for tests); never on in production");
}

const Config::Directive* Config::Find(std::string_view name) const {
  std::string lower = Lower(name);
  for (const auto& d : directives_) {
    if (d.name == lower) return &d;
  }
  return nullptr;
}

Status Config::Set(std::string_view name, std::string_view value, bool live) {
  const Directive* d = Find(name);
  if (d == nullptr)
    return Status::Err("Unknown option or number of arguments for CONFIG SET - '" + std::string(name) + "'");
  if (live && !d->mutable_live) return Status::Err("can't set immutable config");
  Status s = d->set(value);
  if (!s.ok()) return s;
  std::vector<std::function<void(const std::string&)>> callbacks;
  {
    std::lock_guard lock(mu_);
    if (live && std::find(changed_live_.begin(), changed_live_.end(), d->name) == changed_live_.end()) {
      changed_live_.push_back(d->name);
    }
    for (const auto& [watched, callback] : on_change_) {
      if (watched == d->name) callbacks.push_back(callback);
    }
  }
  const std::string current = d->get();
  for (const auto& callback : callbacks) callback(current);
  return s;
}

void Config::set_file(std::string path) {
  std::lock_guard lock(mu_);
  file_ = std::move(path);
}

Status Config::Rewrite() {
  std::string path;
  std::vector<std::string> changed;
  {
    std::lock_guard lock(mu_);
    path = file_;
    changed = changed_live_;
  }
  if (path.empty()) return Status::Err("The server is running without a config file");
  std::ifstream in(path);
  if (!in) return Status::Err("Rewriting config file: cannot open " + path);
  std::string out;
  std::string line;
  std::vector<std::string> written;
  while (std::getline(in, line)) {
    auto words = SplitWords(line);
    const Directive* d = words.empty() || words[0][0] == '#' ? nullptr : Find(words[0]);
    if (d != nullptr && !d->repeatable) {
      if (std::find(written.begin(), written.end(), d->name) != written.end()) continue;
      line = d->name + " " + d->get();
      written.push_back(d->name);
    }
    out += line + "\n";
  }
  bool header = false;
  for (const auto& name : changed) {
    if (std::find(written.begin(), written.end(), name) != written.end()) continue;
    if (!header) out += "# Generated by CONFIG REWRITE\n";
    header = true;
    out += name + " " + Find(name)->get() + "\n";
  }
  const std::string tmp = path + ".tmp";
  {
    std::ofstream file(tmp, std::ios::trunc);
    if (!(file << out) || !file.flush()) return Status::Err("Rewriting config file: cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return Status::Err("Rewriting config file: rename failed");
  return Status::Ok();
}

Status Config::LoadFileText(std::string_view text, std::string_view file_name) {
  std::istringstream in{std::string(text)};
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    auto words = SplitWords(line);
    if (words.empty() || words[0][0] == '#') continue;
    std::string value;
    for (size_t i = 1; i < words.size(); ++i) {
      std::string w = words[i];
      if (w.size() >= 2 && (w.front() == '"' || w.front() == '\'') && w.back() == w.front()) {
        w = w.substr(1, w.size() - 2);
      }
      value += (i > 1 ? " " : "") + w;
    }
    const Directive* d = Find(words[0]);
    Status s = d == nullptr ? Status::Err("Bad directive or wrong number of arguments") : d->set(value);
    if (!s.ok()) {
      return Status::Err(std::string(file_name) + ":" + std::to_string(number) + ": '" + words[0] +
                         "': " + s.message());
    }
  }
  return Status::Ok();
}

std::vector<std::string> Config::users() const {
  std::lock_guard lock(mu_);
  return users_;
}

std::vector<std::string> Config::bind() const {
  std::lock_guard lock(mu_);
  return bind_;
}
std::string Config::requirepass() const {
  std::lock_guard lock(mu_);
  return requirepass_;
}
std::string Config::maxmemory_policy() const {
  std::lock_guard lock(mu_);
  return maxmemory_policy_;
}

std::string Config::rtoken_keys() const {
  std::lock_guard lock(mu_);
  return rtoken_keys_;
}

std::string Config::dir() const {
  std::lock_guard lock(mu_);
  return dir_;
}
std::string Config::loglevel() const {
  std::lock_guard lock(mu_);
  return loglevel_;
}
std::string Config::logfile() const {
  std::lock_guard lock(mu_);
  return logfile_;
}
void Config::OnChange(std::string name, std::function<void(const std::string&)> callback) {
  std::lock_guard lock(mu_);
  on_change_.emplace_back(std::move(name), std::move(callback));
}

TlsSettings Config::tls() const {
  std::lock_guard lock(mu_);
  return tls_;
}
std::string Config::fsync() const {
  std::lock_guard lock(mu_);
  return fsync_;
}
std::string Config::revocation_channel() const {
  std::lock_guard lock(mu_);
  return revocation_channel_;
}

}  // namespace latchkey
