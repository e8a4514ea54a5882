// Lookup helpers the hash and set functions share (hashes.cc, sets.cc): a key's container or
// WrongType, and absl's heterogeneous lookups with a std::string_view.
//
// Thread-safety: the caller holds the key's lock (through its KeyAccess).
#pragma once

#include <string_view>
#include <variant>

#include "absl/strings/string_view.h"
#include "storage/key_access.h"
#include "storage/status.h"

namespace latchkey {

// absl's containers take absl::string_view, which is not std::string_view in this build.
inline absl::string_view AbslView(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

// The container of type T (HashValue or SetValue) at `node`: nullptr for a missing key (nullptr node),
// WrongType when the key holds another type.
template <typename T>
Status ContainerAt(KeyNode* node, T** container) {
  *container = nullptr;
  if (node == nullptr) return Status::Ok();
  *container = std::get_if<T>(&node->value);
  return *container != nullptr ? Status::Ok() : Status::WrongType();
}

// As ContainerAt, finding `key` through `access` first.
template <typename T>
Status FindContainer(KeyAccess& access, std::string_view key, T** container) {
  return ContainerAt(access.Find(key), container);
}

}  // namespace latchkey
