// ShardMutex is the lock of one shard. It behaves as a std::mutex, except on a thread that runs a
// TransactionScope holding it: there lock() and unlock() do nothing, because the scope already owns
// the shard for the whole transaction. Storage code written for one command therefore runs unchanged,
// and atomically, inside MULTI/EXEC.
//
// Thread-safety: as std::mutex.
#pragma once

#include <mutex>

namespace latchkey {

class ShardMutex {
 public:
  void lock() {
    if (!HeldByScope()) mu_.lock();
  }
  void unlock() {
    if (!HeldByScope()) mu_.unlock();
  }

 private:
  friend class TransactionScope;
  // Whether a TransactionScope on this thread holds this lock.
  bool HeldByScope() const;

  std::mutex mu_;
};

}  // namespace latchkey
