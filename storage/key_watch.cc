#include "storage/key_watch.h"

#include <algorithm>

#include "storage/key_access.h"

namespace latchkey {

void WatchKey(Database& db, int64_t now_ms, std::string_view key, const std::shared_ptr<WatchFlag>& flag) {
  KeyAccess access(db, now_ms, key);
  access.Peek(key);
  auto& flags = access.WatchersOf(key)[absl::string_view(key.data(), key.size())];
  if (std::find(flags.begin(), flags.end(), flag) != flags.end()) return;
  flags.push_back(flag);
  db.AddWatchers(1);
}

void UnwatchKey(Database& db, std::string_view key, const WatchFlag* flag) {
  KeyAccess access(db, 0, key);
  WatcherMap& watchers = access.WatchersOf(key);
  auto it = watchers.find(absl::string_view(key.data(), key.size()));
  if (it == watchers.end()) return;
  auto& flags = it->second;
  auto pos = std::find_if(flags.begin(), flags.end(), [&](const auto& f) { return f.get() == flag; });
  if (pos == flags.end()) return;
  flags.erase(pos);
  if (flags.empty()) watchers.erase(it);
  db.AddWatchers(-1);
}

void ExpireWatchedKey(Database& db, int64_t now_ms, std::string_view key) {
  KeyAccess access(db, now_ms, key);
  access.Peek(key);
}

}  // namespace latchkey
