#include "storage/container_info.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "storage/numbers.h"

namespace latchkey {
namespace {

// Heap bytes a std::string owns beyond its own object (none while the text fits the small buffer).
size_t StringHeap(const std::string& s) {
  return s.capacity() > 15 ? s.capacity() + 1 : 0;
}

// An absl flat table: one slot and one control byte per bucket, plus a group of cloned control bytes.
template <typename Table>
size_t TableBytes(const Table& table) {
  return table.bucket_count() * (sizeof(typename Table::value_type) + 1) + 16;
}

}  // namespace

bool HashIsListpack(const HashValue& hash) {
  if (hash.size() > kHashMaxListpackEntries) return false;
  for (const auto& [field, value] : hash) {
    if (field.size() > kHashMaxListpackValue || value.size() > kHashMaxListpackValue) return false;
  }
  return true;
}

bool SetIsIntset(const SetValue& set) {
  if (set.size() > kSetMaxIntsetEntries) return false;
  int64_t number = 0;
  for (const std::string& member : set) {
    if (!ParseInt64(member, &number)) return false;
  }
  return true;
}

std::string_view HashEncoding(const HashValue& hash) {
  return HashIsListpack(hash) ? "listpack" : "hashtable";
}

std::string_view SetEncoding(const SetValue& set) {
  return SetIsIntset(set) ? "intset" : "hashtable";
}

void SortLikeIntset(std::vector<const std::string*>* members) {
  if (members->size() > kSetMaxIntsetEntries) return;
  std::vector<std::pair<int64_t, const std::string*>> numbers;
  numbers.reserve(members->size());
  for (const std::string* member : *members) {
    int64_t number = 0;
    if (!ParseInt64(*member, &number)) return;
    numbers.emplace_back(number, member);
  }
  std::sort(numbers.begin(), numbers.end());
  for (size_t i = 0; i < numbers.size(); ++i) (*members)[i] = numbers[i].second;
}

size_t HashMemoryUsage(const HashValue& hash) {
  size_t bytes = TableBytes(hash);
  for (const auto& [field, value] : hash) bytes += StringHeap(field) + StringHeap(value);
  return bytes;
}

size_t SetMemoryUsage(const SetValue& set) {
  size_t bytes = TableBytes(set);
  for (const std::string& member : set) bytes += StringHeap(member);
  return bytes;
}

}  // namespace latchkey
