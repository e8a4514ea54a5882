#include "storage/hashes.h"

#include <cmath>
#include <vector>

#include "storage/container_info.h"
#include "storage/container_lookup.h"
#include "storage/element_scan.h"
#include "storage/glob.h"
#include "storage/key_access.h"
#include "storage/numbers.h"
#include "storage/random_pick.h"

namespace latchkey {
namespace {

// The hash at `key`, created empty when missing. Used only once the write is certain to happen, so an
// empty hash never survives the command.
HashValue& HashForWrite(KeyAccess& access, std::string_view key, HashValue* existing) {
  if (existing != nullptr) return *existing;
  return access.Create(key)->value.emplace<HashValue>();
}

const std::string* FindField(const HashValue* hash, std::string_view field) {
  if (hash == nullptr) return nullptr;
  auto it = hash->find(AbslView(field));
  return it == hash->end() ? nullptr : &it->second;
}

}  // namespace

Status HashSet(Database& db, int64_t now_ms, std::string_view key, std::span<const std::string_view> pairs,
               size_t* added) {
  KeyAccess access(db, now_ms, key, KeyAccess::Mode::kWrite);
  HashValue* existing = nullptr;
  Status s = FindContainer(access, key, &existing);
  if (!s.ok()) return s;
  HashValue& hash = HashForWrite(access, key, existing);
  *added = 0;
  for (size_t i = 0; i + 1 < pairs.size(); i += 2) {
    auto [it, inserted] = hash.try_emplace(AbslView(pairs[i]));
    it->second.assign(pairs[i + 1]);
    if (inserted) ++*added;
  }
  access.Changed(key);
  return Status::Ok();
}

Status HashSetIfAbsent(Database& db, int64_t now_ms, std::string_view key, std::string_view field,
                       std::string_view value, bool* applied) {
  KeyAccess access(db, now_ms, key, KeyAccess::Mode::kWrite);
  HashValue* existing = nullptr;
  Status s = FindContainer(access, key, &existing);
  if (!s.ok()) return s;
  *applied = FindField(existing, field) == nullptr;
  if (!*applied) return Status::Ok();
  HashForWrite(access, key, existing).try_emplace(AbslView(field), value);
  access.Changed(key);
  return Status::Ok();
}

Status HashGet(Database& db, int64_t now_ms, std::string_view key, std::string_view field,
               HashValueSink sink) {
  KeyAccess access(db, now_ms, key);
  HashValue* hash = nullptr;
  Status s = FindContainer(access, key, &hash);
  if (!s.ok()) return s;
  sink(FindField(hash, field));
  return Status::Ok();
}

Status HashMultiGet(Database& db, int64_t now_ms, std::string_view key,
                    std::span<const std::string_view> fields, HashValueSink sink) {
  KeyAccess access(db, now_ms, key);
  HashValue* hash = nullptr;
  Status s = FindContainer(access, key, &hash);
  if (!s.ok()) return s;
  for (std::string_view field : fields) sink(FindField(hash, field));
  return Status::Ok();
}

Status HashRead(Database& db, int64_t now_ms, std::string_view key,
                absl::FunctionRef<void(const HashValue* hash)> sink) {
  KeyAccess access(db, now_ms, key);
  HashValue* hash = nullptr;
  Status s = FindContainer(access, key, &hash);
  if (!s.ok()) return s;
  sink(hash);
  return Status::Ok();
}

Status HashDelete(Database& db, int64_t now_ms, std::string_view key,
                  std::span<const std::string_view> fields, size_t* removed) {
  KeyAccess access(db, now_ms, key, KeyAccess::Mode::kWrite);
  KeyNode* node = access.Find(key);
  HashValue* hash = nullptr;
  Status s = ContainerAt(node, &hash);
  *removed = 0;
  if (!s.ok() || hash == nullptr) return s;
  for (std::string_view field : fields) *removed += hash->erase(AbslView(field));
  if (hash->empty()) {
    access.Erase(node);
  } else if (*removed > 0) {
    access.Changed(key);
  }
  return Status::Ok();
}

Status HashExists(Database& db, int64_t now_ms, std::string_view key, std::string_view field, bool* exists) {
  KeyAccess access(db, now_ms, key);
  HashValue* hash = nullptr;
  Status s = FindContainer(access, key, &hash);
  *exists = s.ok() && FindField(hash, field) != nullptr;
  return s;
}

Status HashLength(Database& db, int64_t now_ms, std::string_view key, size_t* len) {
  KeyAccess access(db, now_ms, key);
  HashValue* hash = nullptr;
  Status s = FindContainer(access, key, &hash);
  *len = hash != nullptr ? hash->size() : 0;
  return s;
}

Status HashValueLength(Database& db, int64_t now_ms, std::string_view key, std::string_view field,
                       size_t* len) {
  KeyAccess access(db, now_ms, key);
  HashValue* hash = nullptr;
  Status s = FindContainer(access, key, &hash);
  const std::string* value = FindField(hash, field);
  *len = value != nullptr ? value->size() : 0;
  return s;
}

Status HashIncrBy(Database& db, int64_t now_ms, std::string_view key, std::string_view field, int64_t delta,
                  int64_t* result) {
  KeyAccess access(db, now_ms, key, KeyAccess::Mode::kWrite);
  HashValue* existing = nullptr;
  Status s = FindContainer(access, key, &existing);
  if (!s.ok()) return s;
  int64_t value = 0;
  if (const std::string* old = FindField(existing, field); old != nullptr && !ParseInt64(*old, &value)) {
    return Status::Err("hash value is not an integer");
  }
  if (__builtin_add_overflow(value, delta, &value)) return Status::Err(std::string(kErrOverflow));
  std::string& stored = HashForWrite(access, key, existing)[AbslView(field)];
  stored.clear();
  AppendInt64(&stored, value);
  access.Changed(key);
  *result = value;
  return Status::Ok();
}

Status HashIncrByFloat(Database& db, int64_t now_ms, std::string_view key, std::string_view field,
                       long double delta, std::string* result) {
  KeyAccess access(db, now_ms, key, KeyAccess::Mode::kWrite);
  HashValue* existing = nullptr;
  Status s = FindContainer(access, key, &existing);
  if (!s.ok()) return s;
  long double value = 0;
  if (const std::string* old = FindField(existing, field); old != nullptr && !ParseLongDouble(*old, &value)) {
    return Status::Err("hash value is not a float");
  }
  value += delta;
  if (std::isnan(value) || std::isinf(value)) return Status::Err("increment would produce NaN or Infinity");
  *result = FormatLongDoubleHuman(value);
  HashForWrite(access, key, existing)[AbslView(field)] = *result;
  access.Changed(key);
  return Status::Ok();
}

Status HashScan(
    Database& db, int64_t now_ms, std::string_view key, uint64_t cursor, size_t count,
    std::string_view pattern,
    absl::FunctionRef<void(uint64_t next_cursor, std::span<const HashEntry* const> entries)> sink) {
  KeyAccess access(db, now_ms, key);
  HashValue* hash = nullptr;
  Status s = FindContainer(access, key, &hash);
  if (!s.ok()) return s;
  std::vector<const HashEntry*> step;
  uint64_t next = 0;
  if (hash != nullptr && HashIsListpack(*hash)) {
    for (const HashEntry& entry : *hash) step.push_back(&entry);
  } else if (hash != nullptr) {
    step = ScanContainerStep(
        *hash, cursor, count, [](const HashEntry& e) -> const std::string& { return e.first; }, &next);
  }
  if (!pattern.empty() && pattern != "*") {
    std::erase_if(step, [&](const HashEntry* entry) { return !GlobMatch(pattern, entry->first); });
  }
  sink(next, step);
  return Status::Ok();
}

Status HashRandomFields(Database& db, int64_t now_ms, std::string_view key, uint64_t count, bool distinct,
                        absl::FunctionRef<void(uint64_t n)> begin,
                        absl::FunctionRef<bool(const HashEntry& entry)> each) {
  KeyAccess access(db, now_ms, key);
  HashValue* hash = nullptr;
  Status s = FindContainer(access, key, &hash);
  if (!s.ok()) return s;
  if (hash == nullptr) {
    begin(0);
    return Status::Ok();
  }
  PickRandomElements(*hash, count, distinct, begin, each, [](std::vector<const HashEntry*>*) {});
  return Status::Ok();
}

}  // namespace latchkey
