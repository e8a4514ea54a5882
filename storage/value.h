// The value types a generic key can hold, and the node that stores one key in a shard's table.
//
// A KeyNode is owned by exactly one KeyTable and is only touched while its shard's lock is held. Node
// addresses are stable for the node's whole life (tables chain nodes, they never move them), which lets
// the expiry index (key_expiry.h) point at nodes directly.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"

namespace latchkey {

enum class ValueType : uint8_t { kString = 0, kHash = 1, kSet = 2 };

// Redis's name for a type, as TYPE and SCAN TYPE spell it.
std::string_view TypeName(ValueType type);

using HashValue = absl::flat_hash_map<std::string, std::string>;
using SetValue = absl::flat_hash_set<std::string>;

// Alternatives are in ValueType order, so `value.index()` is the type.
using Value = std::variant<std::string, HashValue, SetValue>;

inline ValueType TypeOf(const Value& value) {
  return static_cast<ValueType>(value.index());
}

// How Redis would have encoded a string, which OBJECT ENCODING reports: as written by SET (int if it
// is a canonical integer, else embstr up to 44 bytes, else raw), computed (INCRBYFLOAT: never int), or
// edited in place (APPEND, SETRANGE: always raw).
enum class StringForm : uint8_t { kAsWritten, kComputed, kEdited };

// Deadline value meaning "no expiry".
inline constexpr int64_t kNoExpiry = 0;

// The key's bytes are stored right after the node in the same allocation (KeyTable allocates them), so
// a lookup touches the bucket, the node and nothing else until the value is read.
struct KeyNode {
  KeyNode* next = nullptr;           // chain within one bucket
  uint64_t hash = 0;                 // XXH3 of key
  int64_t expire_at_ms = kNoExpiry;  // absolute Unix ms, or kNoExpiry
  uint32_t wheel_index = 0;          // position within its expiry-wheel slot (key_expiry.h)
  uint32_t access_s = 0;             // last access, seconds since the epoch (OBJECT IDLETIME)
  StringForm string_form = StringForm::kAsWritten;
  uint16_t wheel_slot = UINT16_MAX;  // its expiry-wheel slot, or UINT16_MAX when it has no deadline
  uint32_t key_size = 0;
  Value value;

  std::string_view key() const { return {reinterpret_cast<const char*>(this + 1), key_size}; }

  bool has_expiry() const { return expire_at_ms != kNoExpiry; }
  // REQUIRES: the caller knows the type is kString.
  std::string& str() { return std::get<std::string>(value); }
};

// A key is logically gone once the clock has passed its deadline (a deadline equal to now is still live,
// as in Redis's keyIsExpired).
inline bool IsExpired(const KeyNode& node, int64_t now_ms) {
  return node.has_expiry() && node.expire_at_ms < now_ms;
}

}  // namespace latchkey
