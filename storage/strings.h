// The string commands' semantics over a Database: what GET, SET, INCR, APPEND... do to a key, with
// Redis's rules for types, deadlines (KEEPTTL and friends) and errors. The server's handlers parse
// arguments, call one of these, and encode the result.
//
// Every function locks the shards it needs for its whole duration, so each is atomic. Functions that
// hand out a value do it through a callback run under the lock (no copy of the value is made); the
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

// Receives a string value, or nullptr when the key is missing.
using StringSink = absl::FunctionRef<void(const std::string* value)>;

// GET: WrongType if the key holds another type; otherwise calls `sink` once.
Status StringGet(Database& db, int64_t now_ms, std::string_view key, StringSink sink);

struct SetParams {
  enum class Condition { kAlways, kIfAbsent, kIfPresent };  // -, NX, XX
  Condition condition = Condition::kAlways;
  bool return_old = false;          // GET: report the previous value
  bool keep_ttl = false;            // KEEPTTL
  int64_t deadline_ms = kNoExpiry;  // EX/PX/EXAT/PXAT, already absolute
};

struct SetOutcome {
  bool applied = false;   // the value was written (NX/XX held)
  bool had_old = false;   // with return_old: the key existed
  std::string old_value;  // with return_old: its previous value
};

// SET and its variants. With return_old, WrongType if the key holds another type (nothing is written).
Status StringSet(Database& db, int64_t now_ms, std::string_view key, std::string_view value,
                 const SetParams& params, SetOutcome* outcome);

// GETEX: calls `sink` with the value (or nullptr); then, if the key is a string, applies `action`.
struct GetExAction {
  enum class Kind { kNone, kSetDeadline, kPersist };
  Kind kind = Kind::kNone;
  int64_t deadline_ms = kNoExpiry;
};
Status StringGetEx(Database& db, int64_t now_ms, std::string_view key, const GetExAction& action,
                   StringSink sink);

// GETDEL: calls `sink` with the value (or nullptr) and deletes the key if it was a string.
Status StringGetDel(Database& db, int64_t now_ms, std::string_view key, StringSink sink);

// MGET: calls `sink` once per key, in order; keys of other types read as nullptr. Atomic.
void StringMultiGet(Database& db, int64_t now_ms, std::span<const std::string_view> keys, StringSink sink);

// MSET (only_if_none_exist false) or MSETNX (true): `pairs` alternates key and value. Returns whether the
// values were written. Atomic.
bool StringMultiSet(Database& db, int64_t now_ms, std::span<const std::string_view> pairs,
                    bool only_if_none_exist);

// INCRBY and friends. Errors: WrongType, kErrNotInteger (stored value), kErrOverflow.
Status StringIncrBy(Database& db, int64_t now_ms, std::string_view key, int64_t delta, int64_t* result);

// INCRBYFLOAT. Stores and returns Redis's human-readable long double form.
Status StringIncrByFloat(Database& db, int64_t now_ms, std::string_view key, long double delta,
                         std::string* result);

// APPEND. `max_len` is proto-max-bulk-len. Returns the new length.
Status StringAppend(Database& db, int64_t now_ms, std::string_view key, std::string_view suffix,
                    uint64_t max_len, uint64_t* new_len);

// STRLEN (0 for a missing key).
Status StringLength(Database& db, int64_t now_ms, std::string_view key, uint64_t* len);

// GETRANGE with Redis's index rules; calls `sink` with the (possibly empty) range.
Status StringGetRange(Database& db, int64_t now_ms, std::string_view key, int64_t start, int64_t end,
                      absl::FunctionRef<void(std::string_view)> sink);

// SETRANGE. REQUIRES: offset >= 0. Returns the new length (or the old one when `value` is empty).
Status StringSetRange(Database& db, int64_t now_ms, std::string_view key, int64_t offset,
                      std::string_view value, uint64_t max_len, uint64_t* new_len);

}  // namespace latchkey
