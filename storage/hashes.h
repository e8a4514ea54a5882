// The hash commands' semantics over a Database: what HSET, HGET, HDEL, HINCRBY, HSCAN, HRANDFIELD...
// do to a key, with Redis 7.0's rules for types and errors. The server's handlers parse arguments, call
// one of these, and encode the result.
//
// Rules every function follows:
//   - a key holding another type gives Status::WrongType() and changes nothing;
//   - a missing key reads as an empty hash;
//   - a hash never stays empty: the write that removes its last field deletes the key;
//   - an in-place edit is declared to the write log, so it reaches RocksDB like any other write.
//
// Every function locks the key's shard for its whole duration, so each is atomic. Functions that hand
// out fields or values do it through callbacks run under the lock (nothing is copied); a callback must
// not block or call back into storage. Field order is the table's and unspecified, as in Redis.
//
// Thread-safety: all functions are safe to call concurrently.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "storage/keyspace.h"
#include "storage/status.h"

namespace latchkey {

// Receives a field's value, or nullptr when the field (or the key) is missing.
using HashValueSink = absl::FunctionRef<void(const std::string* value)>;

// HSET/HMSET: `pairs` alternates field and value (a later pair wins over an earlier one with the same
// field). REQUIRES: pairs is non-empty and of even size. *added = how many fields were new.
Status HashSet(Database& db, int64_t now_ms, std::string_view key, std::span<const std::string_view> pairs,
               size_t* added);

// HSETNX: sets the field only if it is absent; *applied says whether it did.
Status HashSetIfAbsent(Database& db, int64_t now_ms, std::string_view key, std::string_view field,
                       std::string_view value, bool* applied);

// HGET: calls `sink` once.
Status HashGet(Database& db, int64_t now_ms, std::string_view key, std::string_view field,
               HashValueSink sink);

// HMGET: calls `sink` once per field, in order.
Status HashMultiGet(Database& db, int64_t now_ms, std::string_view key,
                    std::span<const std::string_view> fields, HashValueSink sink);

// HGETALL, HKEYS, HVALS: calls `sink` once with the hash, or nullptr when the key is missing.
Status HashRead(Database& db, int64_t now_ms, std::string_view key,
                absl::FunctionRef<void(const HashValue* hash)> sink);

// HDEL: *removed = how many of `fields` existed (a repeated field counts once).
Status HashDelete(Database& db, int64_t now_ms, std::string_view key,
                  std::span<const std::string_view> fields, size_t* removed);

// HEXISTS.
Status HashExists(Database& db, int64_t now_ms, std::string_view key, std::string_view field, bool* exists);

// HLEN (0 for a missing key).
Status HashLength(Database& db, int64_t now_ms, std::string_view key, size_t* len);

// HSTRLEN (0 for a missing key or field).
Status HashValueLength(Database& db, int64_t now_ms, std::string_view key, std::string_view field,
                       size_t* len);

// HINCRBY: a missing field counts as 0. Errors: "hash value is not an integer", kErrOverflow.
Status HashIncrBy(Database& db, int64_t now_ms, std::string_view key, std::string_view field, int64_t delta,
                  int64_t* result);

// HINCRBYFLOAT: stores and returns Redis's human-readable long double form. REQUIRES: delta is finite.
// Errors: "hash value is not a float", "increment would produce NaN or Infinity".
Status HashIncrByFloat(Database& db, int64_t now_ms, std::string_view key, std::string_view field,
                       long double delta, std::string* result);

// HSCAN. A hash Redis would hold as a listpack is returned whole, with next cursor 0, whatever the
// cursor (as Redis does); a larger one is walked in element-hash order (element_scan.h), which
// guarantees that fields present for the whole scan are returned at least once. `pattern` (empty: all)
// filters the step's fields by glob after they are chosen, so a step may return nothing while the
// scan goes on. REQUIRES: count >= 1. Calls `sink` once with the next cursor and the step's entries.
using HashEntry = HashValue::value_type;
Status HashScan(
    Database& db, int64_t now_ms, std::string_view key, uint64_t cursor, size_t count,
    std::string_view pattern,
    absl::FunctionRef<void(uint64_t next_cursor, std::span<const HashEntry* const> entries)> sink);

// HRANDFIELD's picks. With `distinct`, min(count, size) different fields in random order (the whole
// hash when count >= size); otherwise `count` independent uniform picks, repeats allowed. Calls
// `begin(n)` with the number of picks that follow (0 for a missing key), then `each` per pick until it
// returns false.
Status HashRandomFields(Database& db, int64_t now_ms, std::string_view key, uint64_t count, bool distinct,
                        absl::FunctionRef<void(uint64_t n)> begin,
                        absl::FunctionRef<bool(const HashEntry& entry)> each);

}  // namespace latchkey
