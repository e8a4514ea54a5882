// SlowLog keeps the most recent commands that ran longer than `slowlog-log-slower-than` microseconds,
// at most `slowlog-max-len` of them (SLOWLOG GET/LEN/RESET). Arguments are stored trimmed as Redis
// trims them (32 arguments, 128 bytes each), so a huge value never lands here whole.
//
// Thread-safety: all methods are safe to call concurrently (one mutex; only slow commands take it).
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace latchkey {

class SlowLog {
 public:
  struct Entry {
    uint64_t id;
    int64_t unix_seconds;
    int64_t duration_us;
    std::vector<std::string> args;
    std::string client_addr;
    std::string client_name;
  };

  void Add(std::span<const std::string_view> args, int64_t duration_us, std::string client_addr,
           std::string client_name, size_t max_len);
  // The newest `count` entries, newest first (count < 0: all).
  std::vector<Entry> Newest(int64_t count) const;
  size_t size() const;
  void Reset();

 private:
  mutable std::mutex mu_;
  std::deque<Entry> entries_;  // newest at the front
  uint64_t next_id_ = 0;
};

}  // namespace latchkey
