// The generic key commands' semantics over a Database (DEL, EXISTS, TYPE, EXPIRE..., TTL, PERSIST,
// RENAME, TOUCH, KEYS, SCAN, OBJECT), with Redis's rules. Handlers parse, call one of these, encode.
//
// Each function is atomic over the keys it names. Thread-safety: safe to call concurrently.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/keyspace.h"
#include "storage/status.h"

namespace latchkey {

// DEL/UNLINK: returns how many of `keys` existed and were removed.
size_t DeleteKeys(Database& db, int64_t now_ms, std::span<const std::string_view> keys);

// EXISTS: counts keys that exist, a repeated key once per mention. TOUCH is the same count.
size_t CountExisting(Database& db, int64_t now_ms, std::span<const std::string_view> keys);

// TYPE: the key's type, or nullopt when missing.
std::optional<ValueType> TypeOfKey(Database& db, int64_t now_ms, std::string_view key);

// EXPIRE family: `deadline_ms` is absolute (a past one deletes the key). Returns whether the key existed
// and the conditions (expire_options.h) held, i.e. Redis's 1/0.
bool ExpireKey(Database& db, int64_t now_ms, std::string_view key, int64_t deadline_ms, int conditions);

// PTTL-style answer: -2 missing key, -1 no deadline, else milliseconds left (never negative).
int64_t KeyTtlMs(Database& db, int64_t now_ms, std::string_view key);

// PEXPIRETIME-style answer: -2 missing key, -1 no deadline, else the absolute deadline in ms.
int64_t KeyDeadlineMs(Database& db, int64_t now_ms, std::string_view key);

// PERSIST: whether a deadline was removed.
bool PersistKey(Database& db, int64_t now_ms, std::string_view key);

// RENAME (only_if_absent false) / RENAMENX (true). The deadline moves with the value. NoSuchKey if
// `from` is missing. *renamed reports whether the key moved (RENAMENX's 1/0).
Status RenameKey(Database& db, int64_t now_ms, std::string_view from, std::string_view to,
                 bool only_if_absent, bool* renamed);

// KEYS: every live key matching the glob `pattern`.
std::vector<std::string> KeysMatching(Database& db, int64_t now_ms, std::string_view pattern);

struct ScanFilter {
  std::string_view pattern;       // empty: all keys
  std::optional<ValueType> type;  // nullopt: all types
};
// SCAN: appends matching keys of one step to *out and returns the next cursor (0 when complete).
uint64_t ScanKeys(Database& db, int64_t now_ms, uint64_t cursor, size_t count, const ScanFilter& filter,
                  std::vector<std::string>* out);

struct ObjectInfo {
  std::string_view encoding;
  int64_t idle_seconds = 0;
  int64_t refcount = 1;
};
// OBJECT ENCODING/IDLETIME/REFCOUNT. Reads do not refresh the idle time. nullopt when missing.
std::optional<ObjectInfo> DescribeObject(Database& db, int64_t now_ms, std::string_view key);

// MEMORY USAGE: an estimate of the bytes the key and its value occupy, or nullopt when missing.
std::optional<size_t> KeyMemoryUsage(Database& db, int64_t now_ms, std::string_view key);
// The bytes one key takes in memory (node, name, index slots, value), as MEMORY USAGE reports them.
size_t NodeMemoryUsage(const KeyNode& node);

}  // namespace latchkey
