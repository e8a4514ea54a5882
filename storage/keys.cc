#include "storage/keys.h"

#include <climits>

#include "storage/container_info.h"
#include "storage/expire_options.h"
#include "storage/glob.h"
#include "storage/key_access.h"
#include "storage/numbers.h"

namespace latchkey {

size_t DeleteKeys(Database& db, int64_t now_ms, std::span<const std::string_view> keys) {
  KeyAccess access(db, now_ms, keys, KeyAccess::Mode::kWrite);
  size_t removed = 0;
  for (std::string_view key : keys) {
    if (KeyNode* node = access.Find(key)) {
      access.Erase(node);
      ++removed;
    }
  }
  return removed;
}

size_t CountExisting(Database& db, int64_t now_ms, std::span<const std::string_view> keys) {
  KeyAccess access(db, now_ms, keys);
  size_t count = 0;
  for (std::string_view key : keys) {
    if (access.Find(key) != nullptr) ++count;
  }
  return count;
}

std::optional<ValueType> TypeOfKey(Database& db, int64_t now_ms, std::string_view key) {
  KeyAccess access(db, now_ms, key);
  KeyNode* node = access.Find(key);
  if (node == nullptr) return std::nullopt;
  return TypeOf(node->value);
}

bool ExpireKey(Database& db, int64_t now_ms, std::string_view key, int64_t deadline_ms, int conditions) {
  KeyAccess access(db, now_ms, key, KeyAccess::Mode::kWrite);
  KeyNode* node = access.Find(key);
  if (node == nullptr) return false;
  if (!ExpireConditionsHold(conditions, node->expire_at_ms, deadline_ms)) return false;
  if (deadline_ms <= now_ms) {
    access.Erase(node);
  } else {
    access.SetExpiry(node, deadline_ms);
  }
  return true;
}

int64_t KeyTtlMs(Database& db, int64_t now_ms, std::string_view key) {
  KeyAccess access(db, now_ms, key);
  KeyNode* node = access.Find(key);
  if (node == nullptr) return -2;
  if (!node->has_expiry()) return -1;
  int64_t left = node->expire_at_ms - now_ms;
  return left < 0 ? 0 : left;
}

int64_t KeyDeadlineMs(Database& db, int64_t now_ms, std::string_view key) {
  KeyAccess access(db, now_ms, key);
  KeyNode* node = access.Find(key);
  if (node == nullptr) return -2;
  return node->has_expiry() ? node->expire_at_ms : -1;
}

bool PersistKey(Database& db, int64_t now_ms, std::string_view key) {
  KeyAccess access(db, now_ms, key, KeyAccess::Mode::kWrite);
  KeyNode* node = access.Find(key);
  if (node == nullptr || !node->has_expiry()) return false;
  access.SetExpiry(node, kNoExpiry);
  return true;
}

Status RenameKey(Database& db, int64_t now_ms, std::string_view from, std::string_view to,
                 bool only_if_absent, bool* renamed) {
  const std::string_view keys[] = {from, to};
  KeyAccess access(db, now_ms, keys, KeyAccess::Mode::kWrite);
  KeyNode* source = access.Find(from);
  if (source == nullptr) return Status::NoSuchKey();
  *renamed = false;
  if (from == to) {
    *renamed = !only_if_absent;
    return Status::Ok();
  }
  KeyNode* target = access.Find(to);
  if (target != nullptr) {
    if (only_if_absent) return Status::Ok();
    access.Erase(target);
  }
  target = access.Create(to);
  target->value = std::move(source->value);
  target->string_form = source->string_form;
  const int64_t deadline = source->expire_at_ms;
  access.Erase(source);
  if (deadline != kNoExpiry) access.SetExpiry(target, deadline);
  *renamed = true;
  return Status::Ok();
}

std::vector<std::string> KeysMatching(Database& db, int64_t now_ms, std::string_view pattern) {
  std::vector<std::string> keys;
  const bool all = pattern == "*";
  uint64_t cursor = 0;
  do {
    cursor = db.Scan(cursor, SIZE_MAX, now_ms, [&](const KeyNode& node) {
      if (all || GlobMatch(pattern, node.key())) keys.emplace_back(node.key());
    });
  } while (cursor != 0);
  return keys;
}

uint64_t ScanKeys(Database& db, int64_t now_ms, uint64_t cursor, size_t count, const ScanFilter& filter,
                  std::vector<std::string>* out) {
  const bool match_all = filter.pattern.empty() || filter.pattern == "*";
  return db.Scan(cursor, count, now_ms, [&](const KeyNode& node) {
    if (filter.type && TypeOf(node.value) != *filter.type) return;
    if (!match_all && !GlobMatch(filter.pattern, node.key())) return;
    out->emplace_back(node.key());
  });
}

// Redis's encoding names for what it would hold; strings follow tryObjectEncoding's rules.
static std::string_view EncodingOf(const KeyNode& node, int64_t* refcount) {
  switch (TypeOf(node.value)) {
    case ValueType::kString: {
      const std::string& str = std::get<std::string>(node.value);
      int64_t number = 0;
      if (node.string_form == StringForm::kAsWritten && str.size() <= 20 && ParseInt64(str, &number)) {
        if (number >= 0 && number < 10000) *refcount = INT_MAX;  // Redis's shared integers
        return "int";
      }
      if (node.string_form != StringForm::kEdited && str.size() <= 44) return "embstr";
      return "raw";
    }
    case ValueType::kHash:
      return HashEncoding(std::get<HashValue>(node.value));
    case ValueType::kSet:
      return SetEncoding(std::get<SetValue>(node.value));
  }
  return "raw";
}

std::optional<ObjectInfo> DescribeObject(Database& db, int64_t now_ms, std::string_view key) {
  KeyAccess access(db, now_ms, key);
  KeyNode* node = access.Peek(key);
  if (node == nullptr) return std::nullopt;
  ObjectInfo info;
  info.encoding = EncodingOf(*node, &info.refcount);
  int64_t idle = now_ms / 1000 - node->access_s;
  info.idle_seconds = idle < 0 ? 0 : idle;
  return info;
}

// Heap bytes a std::string owns beyond its own object (none while the text fits the small buffer).
static size_t StringHeap(const std::string& s) {
  return s.capacity() > 15 ? s.capacity() + 1 : 0;
}

std::optional<size_t> KeyMemoryUsage(Database& db, int64_t now_ms, std::string_view key) {
  KeyAccess access(db, now_ms, key);
  KeyNode* node = access.Peek(key);
  if (node == nullptr) return std::nullopt;
  return NodeMemoryUsage(*node);
}

size_t NodeMemoryUsage(const KeyNode& node) {
  size_t bytes = sizeof(KeyNode) + node.key_size + sizeof(KeyNode*);
  if (node.has_expiry()) bytes += sizeof(KeyNode*);  // expiry index slot
  std::visit(
      [&](const auto& value) {
        using T = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<T, std::string>) {
          bytes += StringHeap(value);
        } else if constexpr (std::is_same_v<T, HashValue>) {
          bytes += HashMemoryUsage(value);
        } else {
          bytes += SetMemoryUsage(value);
        }
      },
      node.value);
  return bytes;
}

}  // namespace latchkey
