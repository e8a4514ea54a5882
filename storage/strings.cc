#include "storage/strings.h"

#include <cmath>

#include "storage/key_access.h"
#include "storage/numbers.h"

namespace latchkey {
namespace {

bool IsString(const KeyNode* node) {
  return TypeOf(node->value) == ValueType::kString;
}

// Replaces the value of `node` with `value` as a fresh (not edited-in-place) string.
void AssignString(KeyNode* node, std::string_view value) {
  if (!IsString(node)) node->value.emplace<std::string>();
  node->str().assign(value);
  node->string_form = StringForm::kAsWritten;
}

// Redis's checkStringLength: a write may not grow a string past proto-max-bulk-len.
Status CheckLength(uint64_t existing, uint64_t added, uint64_t max_len) {
  uint64_t total = existing + added;
  if (total > max_len || total < existing) {
    return Status::Err("string exceeds maximum allowed size (proto-max-bulk-len)");
  }
  return Status::Ok();
}

}  // namespace

Status StringGet(Database& db, int64_t now_ms, std::string_view key, StringSink sink) {
  KeyAccess access(db, now_ms, key);
  KeyNode* node = access.Find(key);
  if (node != nullptr && !IsString(node)) return Status::WrongType();
  sink(node != nullptr ? &node->str() : nullptr);
  return Status::Ok();
}

Status StringSet(Database& db, int64_t now_ms, std::string_view key, std::string_view value,
                 const SetParams& params, SetOutcome* outcome) {
  KeyAccess access(db, now_ms, key, KeyAccess::Mode::kWrite);
  KeyNode* node = access.Find(key);
  if (params.return_old && node != nullptr) {
    if (!IsString(node)) return Status::WrongType();
    outcome->had_old = true;
    outcome->old_value = node->str();
  }
  if ((params.condition == SetParams::Condition::kIfAbsent && node != nullptr) ||
      (params.condition == SetParams::Condition::kIfPresent && node == nullptr)) {
    return Status::Ok();
  }
  if (node == nullptr) node = access.Create(key);
  AssignString(node, value);
  access.Changed(key);
  if (params.deadline_ms != kNoExpiry) {
    access.SetExpiry(node, params.deadline_ms);
  } else if (!params.keep_ttl && node->has_expiry()) {
    access.SetExpiry(node, kNoExpiry);
  }
  outcome->applied = true;
  return Status::Ok();
}

Status StringGetEx(Database& db, int64_t now_ms, std::string_view key, const GetExAction& action,
                   StringSink sink) {
  KeyAccess access(db, now_ms, key, KeyAccess::Mode::kWrite);
  KeyNode* node = access.Find(key);
  if (node == nullptr) {
    sink(nullptr);
    return Status::Ok();
  }
  if (!IsString(node)) return Status::WrongType();
  sink(&node->str());
  if (action.kind == GetExAction::Kind::kSetDeadline) {
    if (action.deadline_ms <= now_ms) {
      access.Erase(node);
    } else {
      access.SetExpiry(node, action.deadline_ms);
    }
  } else if (action.kind == GetExAction::Kind::kPersist && node->has_expiry()) {
    access.SetExpiry(node, kNoExpiry);
  }
  return Status::Ok();
}

Status StringGetDel(Database& db, int64_t now_ms, std::string_view key, StringSink sink) {
  KeyAccess access(db, now_ms, key, KeyAccess::Mode::kWrite);
  KeyNode* node = access.Find(key);
  if (node != nullptr && !IsString(node)) return Status::WrongType();
  sink(node != nullptr ? &node->str() : nullptr);
  if (node != nullptr) access.Erase(node);
  return Status::Ok();
}

void StringMultiGet(Database& db, int64_t now_ms, std::span<const std::string_view> keys, StringSink sink) {
  KeyAccess access(db, now_ms, keys);
  for (std::string_view key : keys) {
    KeyNode* node = access.Find(key);
    sink(node != nullptr && IsString(node) ? &node->str() : nullptr);
  }
}

bool StringMultiSet(Database& db, int64_t now_ms, std::span<const std::string_view> pairs,
                    bool only_if_none_exist) {
  absl::InlinedVector<std::string_view, 8> keys;
  for (size_t i = 0; i < pairs.size(); i += 2) keys.push_back(pairs[i]);
  KeyAccess access(db, now_ms, std::span<const std::string_view>(keys.data(), keys.size()),
                   KeyAccess::Mode::kWrite);
  if (only_if_none_exist) {
    for (std::string_view key : keys) {
      if (access.Find(key) != nullptr) return false;
    }
  }
  for (size_t i = 0; i + 1 < pairs.size(); i += 2) {
    KeyNode* node = access.Find(pairs[i]);
    if (node == nullptr) node = access.Create(pairs[i]);
    AssignString(node, pairs[i + 1]);
    access.Changed(pairs[i]);
    if (node->has_expiry()) access.SetExpiry(node, kNoExpiry);
  }
  return true;
}

Status StringIncrBy(Database& db, int64_t now_ms, std::string_view key, int64_t delta, int64_t* result) {
  KeyAccess access(db, now_ms, key, KeyAccess::Mode::kWrite);
  KeyNode* node = access.Find(key);
  int64_t value = 0;
  if (node != nullptr) {
    if (!IsString(node)) return Status::WrongType();
    if (!ParseInt64(node->str(), &value)) return Status::Err(std::string(kErrNotInteger));
  }
  if (__builtin_add_overflow(value, delta, &value)) return Status::Err(std::string(kErrOverflow));
  if (node == nullptr) node = access.Create(key);
  std::string& str = node->str();
  str.clear();
  AppendInt64(&str, value);
  node->string_form = StringForm::kAsWritten;
  access.Changed(key);
  *result = value;
  return Status::Ok();
}

Status StringIncrByFloat(Database& db, int64_t now_ms, std::string_view key, long double delta,
                         std::string* result) {
  KeyAccess access(db, now_ms, key, KeyAccess::Mode::kWrite);
  KeyNode* node = access.Find(key);
  long double value = 0;
  if (node != nullptr) {
    if (!IsString(node)) return Status::WrongType();
    if (!ParseLongDouble(node->str(), &value)) return Status::Err(std::string(kErrNotFloat));
  }
  value += delta;
  if (std::isnan(value) || std::isinf(value)) {
    return Status::Err("increment would produce NaN or Infinity");
  }
  *result = FormatLongDoubleHuman(value);
  if (node == nullptr) node = access.Create(key);
  AssignString(node, *result);
  node->string_form = StringForm::kComputed;
  access.Changed(key);
  return Status::Ok();
}

Status StringAppend(Database& db, int64_t now_ms, std::string_view key, std::string_view suffix,
                    uint64_t max_len, uint64_t* new_len) {
  KeyAccess access(db, now_ms, key, KeyAccess::Mode::kWrite);
  KeyNode* node = access.Find(key);
  if (node == nullptr) {
    node = access.Create(key);
    node->str().assign(suffix);
  } else {
    if (!IsString(node)) return Status::WrongType();
    Status s = CheckLength(node->str().size(), suffix.size(), max_len);
    if (!s.ok()) return s;
    node->str().append(suffix);
    node->string_form = StringForm::kEdited;
  }
  access.Changed(key);
  *new_len = node->str().size();
  return Status::Ok();
}

Status StringLength(Database& db, int64_t now_ms, std::string_view key, uint64_t* len) {
  KeyAccess access(db, now_ms, key);
  KeyNode* node = access.Find(key);
  if (node != nullptr && !IsString(node)) return Status::WrongType();
  *len = node != nullptr ? node->str().size() : 0;
  return Status::Ok();
}

Status StringGetRange(Database& db, int64_t now_ms, std::string_view key, int64_t start, int64_t end,
                      absl::FunctionRef<void(std::string_view)> sink) {
  KeyAccess access(db, now_ms, key);
  KeyNode* node = access.Find(key);
  if (node == nullptr) {
    sink({});
    return Status::Ok();
  }
  if (!IsString(node)) return Status::WrongType();
  const std::string& str = node->str();
  const int64_t len = static_cast<int64_t>(str.size());
  if (start < 0 && end < 0 && start > end) {
    sink({});
    return Status::Ok();
  }
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len == 0) {
    sink({});
  } else {
    sink(std::string_view(str).substr(static_cast<size_t>(start), static_cast<size_t>(end - start + 1)));
  }
  return Status::Ok();
}

Status StringSetRange(Database& db, int64_t now_ms, std::string_view key, int64_t offset,
                      std::string_view value, uint64_t max_len, uint64_t* new_len) {
  KeyAccess access(db, now_ms, key, KeyAccess::Mode::kWrite);
  KeyNode* node = access.Find(key);
  if (node != nullptr && !IsString(node)) return Status::WrongType();
  if (value.empty()) {
    *new_len = node != nullptr ? node->str().size() : 0;
    return Status::Ok();
  }
  Status s = CheckLength(static_cast<uint64_t>(offset), value.size(), max_len);
  if (!s.ok()) return s;
  if (node == nullptr) node = access.Create(key);
  std::string& str = node->str();
  const size_t end = static_cast<size_t>(offset) + value.size();
  if (str.size() < end) str.resize(end, '\0');
  str.replace(static_cast<size_t>(offset), value.size(), value);
  node->string_form = StringForm::kEdited;
  access.Changed(key);
  *new_len = str.size();
  return Status::Ok();
}

}  // namespace latchkey
