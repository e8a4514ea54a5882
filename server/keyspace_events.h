// Keyspace notifications (notify-keyspace-events), as far as Latchkey emits them: the expired event.
//
// The directive accepts Redis's whole flag syntax (K E g $ l s h z x e t m d n A) and CONFIG GET
// prints it back in Redis's canonical order; of the events only `expired` (class x) is published, on
// `__keyevent@<db>__:expired` (message: the key) with E and on `__keyspace@<db>__:<key>` (message:
// "expired") with K, when an expired key is reclaimed, lazily by a command or by the active cycle.
//
// Thread-safety: all functions are safe to call concurrently.
#pragma once

#include <string>
#include <string_view>

namespace latchkey {

struct ServerState;

enum KeyspaceEventFlag : int {
  kNotifyKeyspace = 1 << 0,  // K
  kNotifyKeyevent = 1 << 1,  // E
  kNotifyGeneric = 1 << 2,   // g
  kNotifyString = 1 << 3,    // $
  kNotifyList = 1 << 4,      // l
  kNotifySet = 1 << 5,       // s
  kNotifyHash = 1 << 6,      // h
  kNotifyZset = 1 << 7,      // z
  kNotifyExpired = 1 << 8,   // x
  kNotifyEvicted = 1 << 9,   // e
  kNotifyStream = 1 << 10,   // t
  kNotifyKeyMiss = 1 << 11,  // m
  kNotifyLoaded = 1 << 12,   // d (module events in Redis)
  kNotifyNew = 1 << 13,      // n
  // A: every class but m and n.
  kNotifyAll = kNotifyGeneric | kNotifyString | kNotifyList | kNotifySet | kNotifyHash | kNotifyZset |
               kNotifyExpired | kNotifyEvicted | kNotifyStream | kNotifyLoaded,
};

// Parses a flag string; false (with Redis's message in *error) on an unknown character.
bool ParseKeyspaceEvents(std::string_view text, int* flags, std::string* error);
// The canonical spelling CONFIG GET shows.
std::string FormatKeyspaceEvents(int flags);

// Publishes the expiry notices queued on this thread (storage/expiry_notices.h). Call with no storage
// lock held and outside a transaction scope.
void PublishExpiryNotices(ServerState& server);

}  // namespace latchkey
