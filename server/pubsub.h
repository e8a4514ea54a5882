// PubSub is the server's channel registry: who is subscribed to which channel or pattern, and the
// delivery of PUBLISH to them. It knows nothing of sockets: a subscriber is anything that can take a
// message from another thread (Connection posts it to its own I/O thread and encodes it there, in
// the subscriber's protocol).
//
// Subscribers are registered by their client id and held weakly, so a connection that dies without
// unsubscribing (it always tries) can only leave a dead entry, never a dangling one.
//
// Thread-safety: all methods are safe to call concurrently; Deliver is called without the registry's
// lock held.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace latchkey {

// One PUBLISH as every receiver sees it; shared by all deliveries of that message.
struct Publication {
  std::string channel;
  std::string message;
};

class Subscriber {
 public:
  virtual ~Subscriber() = default;
  // Hands `publication` over, as a `message` (pattern == nullptr) or a `pmessage` for `pattern`.
  // Called from any thread; must not block. With `queued`, the message goes behind everything
  // already handed over, even on the subscriber's own thread (see PubSub::Publish).
  virtual void Deliver(std::shared_ptr<const Publication> publication,
                       std::shared_ptr<const std::string> pattern, bool queued) = 0;
};

class PubSub {
 public:
  // Each returns whether the subscription changed (subscribing twice is a no-op).
  bool Subscribe(std::string_view channel, uint64_t client_id, std::weak_ptr<Subscriber> subscriber);
  bool Unsubscribe(std::string_view channel, uint64_t client_id);
  bool PSubscribe(std::string_view pattern, uint64_t client_id, std::weak_ptr<Subscriber> subscriber);
  bool PUnsubscribe(std::string_view pattern, uint64_t client_id);

  // Delivers `message` to the subscribers of `channel` and of every matching pattern; returns how
  // many deliveries were made (PUBLISH's reply).
  // `ordered`: the publications of several threads must reach every subscriber in the order of the
  // calls (revocation events, published in sequence order from whichever thread commits); else a
  // subscriber on the publisher's own thread gets it at once (a client publishing to itself sees the
  // message before PUBLISH's reply, as in Redis).
  size_t Publish(std::string_view channel, std::string_view message, bool ordered = false);

  // PUBSUB CHANNELS [pattern]: channels with at least one subscriber.
  std::vector<std::string> Channels(std::optional<std::string_view> pattern) const;
  // PUBSUB NUMSUB: subscribers of `channel`.
  size_t NumSubscribers(std::string_view channel) const;
  // PUBSUB NUMPAT: distinct patterns with at least one subscriber.
  size_t NumPatterns() const;

 private:
  using Subscribers = absl::flat_hash_map<uint64_t, std::weak_ptr<Subscriber>>;
  struct PatternEntry {
    std::shared_ptr<const std::string> pattern;
    Subscribers subscribers;
  };

  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, Subscribers> channels_;
  absl::flat_hash_map<std::string, PatternEntry> patterns_;
};

}  // namespace latchkey
