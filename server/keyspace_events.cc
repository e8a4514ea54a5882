#include "server/keyspace_events.h"

#include "server/server_state.h"
#include "storage/expiry_notices.h"

namespace latchkey {
namespace {

struct FlagChar {
  char c;
  int flag;
};
// In Redis's print order (keyspaceEventsFlagsToString).
constexpr FlagChar kClasses[] = {{'g', kNotifyGeneric}, {'$', kNotifyString},  {'l', kNotifyList},
                                 {'s', kNotifySet},     {'h', kNotifyHash},    {'z', kNotifyZset},
                                 {'x', kNotifyExpired}, {'e', kNotifyEvicted}, {'t', kNotifyStream},
                                 {'d', kNotifyLoaded}};

}  // namespace

bool ParseKeyspaceEvents(std::string_view text, int* flags, std::string* error) {
  int f = 0;
  for (char c : text) {
    switch (c) {
      case 'A':
        f |= kNotifyAll;
        break;
      case 'K':
        f |= kNotifyKeyspace;
        break;
      case 'E':
        f |= kNotifyKeyevent;
        break;
      case 'm':
        f |= kNotifyKeyMiss;
        break;
      case 'n':
        f |= kNotifyNew;
        break;
      default: {
        bool known = false;
        for (const FlagChar& fc : kClasses) {
          if (fc.c == c) {
            f |= fc.flag;
            known = true;
          }
        }
        if (!known) {
          *error = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
          return false;
        }
      }
    }
  }
  *flags = f;
  return true;
}

std::string FormatKeyspaceEvents(int flags) {
  std::string out;
  if ((flags & kNotifyAll) == kNotifyAll) {
    out += 'A';
  } else {
    for (const FlagChar& fc : kClasses) {
      if (flags & fc.flag) out += fc.c;
    }
  }
  if (flags & kNotifyKeyspace) out += 'K';
  if (flags & kNotifyKeyevent) out += 'E';
  if (flags & kNotifyKeyMiss) out += 'm';
  return out;
}

void PublishExpiryNotices(ServerState& server) {
  if (!ExpiryNotices::pending()) return;
  const int flags = server.config.keyspace_events();
  for (const auto& [db, key] : ExpiryNotices::Take()) {
    std::string prefix = "@";  // (built in steps: GCC 12 warns falsely on "literal" + std::string)
    prefix.append(std::to_string(db)).append("__:");
    if (flags & kNotifyKeyevent) server.pubsub.Publish("__keyevent" + prefix + "expired", key);
    if (flags & kNotifyKeyspace) server.pubsub.Publish("__keyspace" + prefix + key, "expired");
  }
}

}  // namespace latchkey
