#include "server/session.h"

namespace latchkey {

void MirrorSessionState(Session& session) {
  ClientInfo* info = session.info;
  if (info == nullptr) return;
  info->channels.store(static_cast<int>(session.subscriptions.channels.size()), std::memory_order_relaxed);
  info->patterns.store(static_cast<int>(session.subscriptions.patterns.size()), std::memory_order_relaxed);
  info->multi.store(session.txn.active ? static_cast<int>(session.txn.queued.size()) : -1,
                    std::memory_order_relaxed);
  info->monitor.store(session.monitor, std::memory_order_relaxed);
}

}  // namespace latchkey
