// How Redis 7.0 would represent a hash or a set: what OBJECT ENCODING reports, whether HSCAN/SSCAN
// answer in one step, and in which order set replies list their members. Also MEMORY USAGE's estimate.
//
// Redis keeps a small hash as a listpack (at most hash-max-listpack-entries = 512 fields, every field
// and value at most hash-max-listpack-value = 64 bytes) and a set of integers as an intset (at most
// set-max-intset-entries = 512 members, each a canonical 64-bit integer); anything else becomes a
// hashtable. We decide from the current contents. Redis never converts back while running, so a hash
// that grew past a limit and shrank again reports "hashtable" in Redis and "listpack" here; after a
// restart Redis agrees with us, because loading re-encodes. The limits are redis-server 7.0's built-in
// defaults (server.h), which differ from the sample redis.conf's hash-max-listpack-entries 128.
//
// Thread-safety: pure functions; the caller holds the key's lock while it passes a container in.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "storage/value.h"

namespace latchkey {

inline constexpr size_t kHashMaxListpackEntries = 512;
inline constexpr size_t kHashMaxListpackValue = 64;
inline constexpr size_t kSetMaxIntsetEntries = 512;

// Whether Redis would hold `hash` as a listpack.
bool HashIsListpack(const HashValue& hash);
// Whether Redis would hold `set` as an intset.
bool SetIsIntset(const SetValue& set);

// OBJECT ENCODING: "listpack" or "hashtable".
std::string_view HashEncoding(const HashValue& hash);
// OBJECT ENCODING: "intset" or "hashtable".
std::string_view SetEncoding(const SetValue& set);

// Puts set members in the order Redis replies with them: ascending numbers when they would form an
// intset (Redis's replies then come straight from the sorted intset); otherwise leaves them as they are
// (Redis's own order is its dict's, which no client can rely on).
void SortLikeIntset(std::vector<const std::string*>* members);

// MEMORY USAGE: bytes the container's table and its strings occupy beyond the container object itself.
size_t HashMemoryUsage(const HashValue& hash);
size_t SetMemoryUsage(const SetValue& set);

}  // namespace latchkey
