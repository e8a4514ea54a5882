#include "server/monitor.h"

#include <cctype>
#include <chrono>
#include <vector>

#include "fmt/format.h"

namespace latchkey {
namespace {

// Redis's sdscatrepr: a double-quoted string with C escapes and \xHH for other unprintables.
void AppendQuoted(std::string& out, std::string_view s) {
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      default:
        if (std::isprint(c)) {
          out.push_back(static_cast<char>(c));
        } else {
          out += fmt::format("\\x{:02x}", c);
        }
    }
  }
  out.push_back('"');
}

}  // namespace

void Monitors::Add(uint64_t client_id, std::weak_ptr<MonitorSink> sink) {
  std::lock_guard lock(mu_);
  sinks_[client_id] = std::move(sink);
  count_.store(sinks_.size(), std::memory_order_relaxed);
}

void Monitors::Remove(uint64_t client_id) {
  std::lock_guard lock(mu_);
  sinks_.erase(client_id);
  count_.store(sinks_.size(), std::memory_order_relaxed);
}

std::string Monitors::FormatLine(int64_t unix_us, int db, std::string_view client_addr,
                                 std::span<const std::string_view> args, const std::vector<bool>& redact) {
  std::string line = fmt::format("{}.{:06} [{} {}]", unix_us / 1000000, unix_us % 1000000, db, client_addr);
  for (size_t i = 0; i < args.size(); ++i) {
    line.push_back(' ');
    AppendQuoted(line, i < redact.size() && redact[i] ? "(redacted)" : args[i]);
  }
  return line;
}

void Monitors::Feed(int db, std::string_view client_addr, std::span<const std::string_view> args,
                    const std::vector<bool>& redact) {
  std::vector<std::shared_ptr<MonitorSink>> targets;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, weak] : sinks_) {
      if (auto sink = weak.lock()) targets.push_back(std::move(sink));
    }
  }
  if (targets.empty()) return;
  using namespace std::chrono;
  const int64_t now_us = duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
  auto line = std::make_shared<const std::string>(FormatLine(now_us, db, client_addr, args, redact));
  for (auto& sink : targets) sink->DeliverMonitorLine(line);
}

}  // namespace latchkey
