// Monitors feeds every command the server runs to the clients that sent MONITOR, one line per command
// formatted as Redis does: `<unix seconds>.<micros> [<db> <client addr>] "arg" "arg" ...`, each argument
// quoted and escaped (sdscatrepr), secrets (AUTH's arguments, HELLO's AUTH pair) replaced by
// "(redacted)". Admin commands are not fed, as in Redis.
//
// Feeding costs one relaxed atomic load per command while nobody monitors.
//
// Thread-safety: all methods are safe to call concurrently; sinks are called without the lock held.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace latchkey {

class MonitorSink {
 public:
  virtual ~MonitorSink() = default;
  // Hands one line over (without the leading '+' and CRLF). Called from any thread; must not block.
  virtual void DeliverMonitorLine(std::shared_ptr<const std::string> line) = 0;
};

class Monitors {
 public:
  void Add(uint64_t client_id, std::weak_ptr<MonitorSink> sink);
  void Remove(uint64_t client_id);
  bool active() const { return count_.load(std::memory_order_relaxed) > 0; }

  // Feeds one executed command. `redact[i]` says whether args[i] is a secret.
  void Feed(int db, std::string_view client_addr, std::span<const std::string_view> args,
            const std::vector<bool>& redact);

  // The line Feed sends (exposed for tests).
  static std::string FormatLine(int64_t unix_us, int db, std::string_view client_addr,
                                std::span<const std::string_view> args, const std::vector<bool>& redact);

 private:
  mutable std::mutex mu_;
  absl::flat_hash_map<uint64_t, std::weak_ptr<MonitorSink>> sinks_;
  std::atomic<size_t> count_{0};
};

}  // namespace latchkey
