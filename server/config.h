// Config holds every directive of latchkey.conf, read from the file and the command line at start and
// changed live by CONFIG SET where a directive allows it.
//
// Each directive is one row of a table (name, kind, default, whether it can change live, and a one-line
// meaning) so the file parser, the command-line flags, CONFIG GET/SET and --help all come from one place.
// Values that hot paths read are atomics; reads of those are lock-free.
//
// Thread-safety: Get/Set and the accessors are safe to call concurrently.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "storage/status.h"

namespace latchkey {

// The tls-* file and client-certificate settings (tls-port is read on its own).
struct TlsSettings {
  std::string cert_file;
  std::string key_file;
  std::string ca_cert_file;
  std::string auth_clients;  // "yes", "no" or "optional"
};

class Config {
 public:
  Config();

  // One directive. `set` parses and applies a value (all arguments joined by spaces, as the file and
  // CONFIG SET give them); `get` formats the current value as CONFIG GET shows it.
  struct Directive {
    std::string name;
    bool mutable_live;
    std::string help;
    std::function<Status(std::string_view)> set;
    std::function<std::string()> get;
    bool multi_word = false;  // the value is a list of words (bind, client-output-buffer-limit)
    // What CONFIG GET shows, when it must not show `get` (secret keys); CONFIG REWRITE uses `get`.
    std::function<std::string()> show = nullptr;
    // May appear on many lines, each adding to the value (`user`): CONFIG GET leaves it out and
    // CONFIG REWRITE keeps its lines as they are.
    bool repeatable = false;
  };

  // Applies a config file's text: `directive value...` lines, `#` comments. Errors name the line.
  Status LoadFileText(std::string_view text, std::string_view file_name);
  // Applies one directive by name (file, flag or CONFIG SET); `live` refuses immutable ones.
  Status Set(std::string_view name, std::string_view value, bool live);
  const Directive* Find(std::string_view name) const;

  // The file the configuration was read from ("" if none), for CONFIG REWRITE.
  void set_file(std::string path);
  // CONFIG REWRITE: rewrites the value of every directive line in the file with its current value and
  // appends the directives changed live that the file does not mention. Comments are kept.
  Status Rewrite();
  const std::vector<Directive>& directives() const { return directives_; }

  // Values read by the server. Numbers are atomics so CONFIG SET can change them under live traffic.
  std::vector<std::string> bind() const;
  int port() const { return port_; }
  bool protected_mode() const { return protected_mode_; }
  int tls_port() const { return tls_port_; }
  TlsSettings tls() const;
  std::string requirepass() const;
  // The `user` lines, in file order: each one a user name and its ACL rules.
  std::vector<std::string> users() const;
  uint64_t acllog_max_len() const { return acllog_max_len_; }
  std::string dir() const;
  int io_threads() const { return io_threads_; }
  int databases() const { return databases_; }
  uint64_t maxclients() const { return maxclients_; }
  int64_t timeout_s() const { return timeout_s_; }
  uint64_t proto_max_bulk_len() const { return proto_max_bulk_len_; }
  uint64_t query_buffer_limit() const { return query_buffer_limit_; }
  // client-output-buffer-limit of one client class (Redis's normal and pubsub; 0 means no limit).
  struct OutputLimit {
    std::atomic<uint64_t> hard{0};
    std::atomic<uint64_t> soft{0};
    std::atomic<int64_t> soft_seconds{0};
  };
  const OutputLimit& output_limit(bool pubsub) const { return pubsub ? pubsub_output_ : normal_output_; }
  uint64_t maxmemory() const { return maxmemory_; }
  std::string maxmemory_policy() const;
  int hz() const { return hz_; }
  int active_expire_effort() const { return active_expire_effort_; }
  std::string loglevel() const;
  std::string logfile() const;
  int64_t slowlog_slower_than_us() const { return slowlog_slower_than_us_; }
  uint64_t slowlog_max_len() const { return slowlog_max_len_; }
  int tcp_backlog() const { return tcp_backlog_; }

  std::string fsync() const;
  std::string revocation_channel() const;
  int64_t max_token_lifetime_s() const { return max_token_lifetime_s_; }
  int64_t deny_leeway_s() const { return deny_leeway_s_; }
  std::string rtoken_keys() const;  // "" : use the data directory's key file
  int64_t rtoken_grace_s() const { return rtoken_grace_s_; }
  int64_t rtoken_grace_uses() const { return rtoken_grace_uses_; }
  int64_t rtoken_max_families() const { return rtoken_max_families_; }
  int keyspace_events() const { return keyspace_events_; }  // KeyspaceEventFlag bits
  bool enable_debug_command() const { return enable_debug_command_; }

  // Runs `callback` with the new value after every successful Set of directive `name`.
  void OnChange(std::string name, std::function<void(const std::string&)> callback);

 private:
  void Register(Directive directive);

  std::vector<Directive> directives_;
  std::vector<std::string> changed_live_;  // directives changed by CONFIG SET, guarded by mu_
  std::string file_;

  mutable std::mutex mu_;  // guards the strings below
  std::vector<std::string> bind_;
  std::string requirepass_;
  std::string dir_;
  std::string loglevel_;
  std::string logfile_;
  std::string maxmemory_policy_;
  std::string fsync_;
  std::string revocation_channel_;
  std::atomic<int64_t> max_token_lifetime_s_{86400};
  std::atomic<int64_t> deny_leeway_s_{120};
  std::string rtoken_keys_;
  std::atomic<int64_t> rtoken_grace_s_{10};
  std::atomic<int64_t> rtoken_grace_uses_{3};
  std::atomic<int64_t> rtoken_max_families_{200};
  std::atomic<int> keyspace_events_{0};
  std::vector<std::pair<std::string, std::function<void(const std::string&)>>> on_change_;

  std::atomic<int> port_{6379};
  std::atomic<int> tls_port_{0};
  TlsSettings tls_;
  std::atomic<bool> protected_mode_{true};
  std::vector<std::string> users_;
  std::atomic<uint64_t> acllog_max_len_{128};
  std::atomic<bool> enable_debug_command_{false};
  std::atomic<int> io_threads_{0};
  std::atomic<int> databases_{16};
  std::atomic<uint64_t> maxclients_{10000};
  std::atomic<int64_t> timeout_s_{0};
  std::atomic<uint64_t> proto_max_bulk_len_{512ull * 1024 * 1024};
  std::atomic<uint64_t> query_buffer_limit_{1024ull * 1024 * 1024};
  OutputLimit normal_output_;
  OutputLimit pubsub_output_;
  std::atomic<uint64_t> maxmemory_{0};
  std::atomic<int> hz_{10};
  std::atomic<int> active_expire_effort_{1};
  std::atomic<int64_t> slowlog_slower_than_us_{10000};
  std::atomic<uint64_t> slowlog_max_len_{128};
  std::atomic<int> tcp_backlog_{511};
};

// Parses Redis memory notation ("512mb", "1gb", "100k", "42"); false on malformed input.
bool ParseMemory(std::string_view text, uint64_t* bytes);

}  // namespace latchkey
