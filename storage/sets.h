// The set commands' semantics over a Database: what SADD, SREM, SPOP, SRANDMEMBER, SSCAN, SINTER...
// do to keys, with Redis 7.0's rules for types and errors. The server's handlers parse arguments, call
// one of these, and encode the result.
//
// Rules every function follows:
//   - a key holding another type gives Status::WrongType() and changes nothing;
//   - a missing key reads as an empty set;
//   - a set never stays empty: the write that removes its last member deletes the key;
//   - an in-place edit is declared to the write log, so it reaches RocksDB like any other write.
//
// Members handed out in bulk come in Redis's order where Redis has a stable one: ascending numbers for
// a set Redis would hold as an intset (container_info.h); otherwise the table's order.
//
// Every function locks the shards of the keys it names for its whole duration, so each is atomic.
// Functions that hand out members do it through callbacks run under the lock (nothing is copied); a
// callback must not block or call back into storage.
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

// Receives members in bulk; the span is only valid during the call.
using MembersSink = absl::FunctionRef<void(std::span<const std::string* const> members)>;

// SADD: *added = how many members were new.
Status SetAdd(Database& db, int64_t now_ms, std::string_view key, std::span<const std::string_view> members,
              size_t* added);

// SREM: *removed = how many of `members` were present (a repeated member counts once).
Status SetRemove(Database& db, int64_t now_ms, std::string_view key,
                 std::span<const std::string_view> members, size_t* removed);

// SMEMBERS: calls `sink` once with every member (none for a missing key).
Status SetMembers(Database& db, int64_t now_ms, std::string_view key, MembersSink sink);

// SISMEMBER and SMISMEMBER: calls `sink` once per member, in order.
Status SetContains(Database& db, int64_t now_ms, std::string_view key,
                   std::span<const std::string_view> members, absl::FunctionRef<void(bool present)> sink);

// SCARD (0 for a missing key).
Status SetCardinality(Database& db, int64_t now_ms, std::string_view key, size_t* size);

// SPOP: removes min(count, size) random members and calls `sink` once with them (before they are
// removed). When count >= size the whole set goes, in Redis's order. A missing key gives no members.
Status SetPop(Database& db, int64_t now_ms, std::string_view key, uint64_t count, MembersSink sink);

// SRANDMEMBER's picks. With `distinct`, min(count, size) different members in random order (the whole
// set, in Redis's order, when count >= size); otherwise `count` independent uniform picks, repeats
// allowed. Calls `begin(n)` with the number of picks that follow (0 for a missing key), then `each` per
// pick until it returns false.
Status SetRandomMembers(Database& db, int64_t now_ms, std::string_view key, uint64_t count, bool distinct,
                        absl::FunctionRef<void(uint64_t n)> begin,
                        absl::FunctionRef<bool(const std::string& member)> each);

// SSCAN. A set Redis would hold as an intset is returned whole, with next cursor 0, whatever the cursor
// (as Redis does); a larger one is walked in element-hash order (element_scan.h), which guarantees that
// members present for the whole scan are returned at least once. `pattern` (empty: all) filters the
// step's members by glob after they are chosen. REQUIRES: count >= 1.
Status SetScan(
    Database& db, int64_t now_ms, std::string_view key, uint64_t cursor, size_t count,
    std::string_view pattern,
    absl::FunctionRef<void(uint64_t next_cursor, std::span<const std::string* const> members)> sink);

// SINTER, SUNION, SDIFF over `keys` (missing keys are empty sets; any key of another type is an error,
// even after a missing one). REQUIRES: keys is non-empty. Calls `sink` once with the result.
enum class SetOp { kIntersection, kUnion, kDifference };
Status SetCombine(Database& db, int64_t now_ms, SetOp op, std::span<const std::string_view> keys,
                  MembersSink sink);

}  // namespace latchkey
