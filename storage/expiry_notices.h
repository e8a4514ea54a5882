// ExpiryNotices queues the keys reclaimed because their deadline passed, while keyspace notifications
// for expiry are on (notify-keyspace-events with x and K or E), so the server can publish
// `__keyevent@<db>__:expired` after the storage locks are released. Each thread queues its own
// reclamations (lazy expiry in a command, or an active expiry cycle) and drains them itself.
//
// Costs one relaxed load per reclaimed key while notifications are off.
//
// Thread-safety: SetEnabled/enabled from anywhere; Add and Take touch only the calling thread's queue.
#pragma once

#include <atomic>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace latchkey {

class ExpiryNotices {
 public:
  static void SetEnabled(bool on) { enabled_.store(on, std::memory_order_relaxed); }
  static bool enabled() { return enabled_.load(std::memory_order_relaxed); }

  // Queues (database index, key) on this thread, if enabled.
  static void Add(int db, std::string_view key) {
    if (enabled()) queue_.emplace_back(db, std::string(key));
  }
  // Whether this thread has queued notices.
  static bool pending() { return !queue_.empty(); }
  // This thread's queued notices, oldest first; the queue is left empty.
  static std::vector<std::pair<int, std::string>> Take() { return std::exchange(queue_, {}); }

 private:
  static inline std::atomic<bool> enabled_{false};
  static inline thread_local std::vector<std::pair<int, std::string>> queue_;
};

}  // namespace latchkey
