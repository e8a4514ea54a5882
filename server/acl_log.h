// AclLog is ACL LOG: the most recent refusals (failed logins, commands, keys and channels a user was
// denied), newest first, at most `acllog-max-len` of them. A refusal like one logged less than 60 s
// ago (same reason, context, object and user) bumps that entry's count instead, as Redis groups them.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

namespace latchkey {

class AclLog {
 public:
  struct Entry {
    uint64_t count = 1;
    std::string reason;   // "auth", "command", "key", "channel"
    std::string context;  // "toplevel" or "multi"
    std::string object;   // the command, key or channel; "AUTH" for logins
    std::string username;
    int64_t created_ms = 0;
    int64_t updated_ms = 0;
    std::string client_info;  // the client's CLIENT LIST line
  };

  void Add(Entry entry, size_t max_len);
  // Up to `count` entries, newest first.
  std::vector<Entry> Recent(size_t count) const;
  void Reset();

 private:
  mutable std::mutex mu_;
  std::deque<Entry> entries_;  // newest first
};

}  // namespace latchkey
