#include "storage/sets.h"

#include <algorithm>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "storage/container_info.h"
#include "storage/container_lookup.h"
#include "storage/element_scan.h"
#include "storage/glob.h"
#include "storage/key_access.h"
#include "storage/random_pick.h"

namespace latchkey {
namespace {

std::vector<const std::string*> MemberPointers(const SetValue& set) {
  std::vector<const std::string*> members;
  members.reserve(set.size());
  for (const std::string& member : set) members.push_back(&member);
  return members;
}

bool Contains(const SetValue* set, std::string_view member) {
  return set != nullptr && set->contains(AbslView(member));
}

// SINTER's members: those of the smallest set that every other set holds.
std::vector<const std::string*> Intersect(std::vector<const SetValue*> sets) {
  std::vector<const std::string*> result;
  if (std::find(sets.begin(), sets.end(), nullptr) != sets.end()) return result;
  std::sort(sets.begin(), sets.end(),
            [](const SetValue* a, const SetValue* b) { return a->size() < b->size(); });
  for (const std::string& member : *sets[0]) {
    bool everywhere = true;
    for (size_t i = 1; i < sets.size() && everywhere; ++i) everywhere = sets[i]->contains(member);
    if (everywhere) result.push_back(&member);
  }
  return result;
}

// SUNION's members, each once.
std::vector<const std::string*> Unite(const std::vector<const SetValue*>& sets) {
  std::vector<const std::string*> result;
  absl::flat_hash_set<absl::string_view> seen;
  for (const SetValue* set : sets) {
    if (set == nullptr) continue;
    for (const std::string& member : *set) {
      if (seen.insert(member).second) result.push_back(&member);
    }
  }
  return result;
}

// SDIFF's members: those of the first set that no other set holds.
std::vector<const std::string*> Subtract(const std::vector<const SetValue*>& sets) {
  std::vector<const std::string*> result;
  if (sets[0] == nullptr) return result;
  for (const std::string& member : *sets[0]) {
    bool elsewhere = false;
    for (size_t i = 1; i < sets.size() && !elsewhere; ++i) elsewhere = Contains(sets[i], member);
    if (!elsewhere) result.push_back(&member);
  }
  return result;
}

}  // namespace

Status SetAdd(Database& db, int64_t now_ms, std::string_view key, std::span<const std::string_view> members,
              size_t* added) {
  KeyAccess access(db, now_ms, key, KeyAccess::Mode::kWrite);
  SetValue* set = nullptr;
  Status s = FindContainer(access, key, &set);
  if (!s.ok()) return s;
  if (set == nullptr) set = &access.Create(key)->value.emplace<SetValue>();
  *added = 0;
  for (std::string_view member : members) *added += set->emplace(member).second ? 1 : 0;
  if (*added > 0) access.Changed(key);
  return Status::Ok();
}

Status SetRemove(Database& db, int64_t now_ms, std::string_view key,
                 std::span<const std::string_view> members, size_t* removed) {
  KeyAccess access(db, now_ms, key, KeyAccess::Mode::kWrite);
  KeyNode* node = access.Find(key);
  SetValue* set = nullptr;
  Status s = ContainerAt(node, &set);
  *removed = 0;
  if (!s.ok() || set == nullptr) return s;
  for (std::string_view member : members) *removed += set->erase(AbslView(member));
  if (set->empty()) {
    access.Erase(node);
  } else if (*removed > 0) {
    access.Changed(key);
  }
  return Status::Ok();
}

Status SetMembers(Database& db, int64_t now_ms, std::string_view key, MembersSink sink) {
  KeyAccess access(db, now_ms, key);
  SetValue* set = nullptr;
  Status s = FindContainer(access, key, &set);
  if (!s.ok()) return s;
  std::vector<const std::string*> members;
  if (set != nullptr) members = MemberPointers(*set);
  SortLikeIntset(&members);
  sink(members);
  return Status::Ok();
}

Status SetContains(Database& db, int64_t now_ms, std::string_view key,
                   std::span<const std::string_view> members, absl::FunctionRef<void(bool present)> sink) {
  KeyAccess access(db, now_ms, key);
  SetValue* set = nullptr;
  Status s = FindContainer(access, key, &set);
  if (!s.ok()) return s;
  for (std::string_view member : members) sink(Contains(set, member));
  return Status::Ok();
}

Status SetCardinality(Database& db, int64_t now_ms, std::string_view key, size_t* size) {
  KeyAccess access(db, now_ms, key);
  SetValue* set = nullptr;
  Status s = FindContainer(access, key, &set);
  *size = set != nullptr ? set->size() : 0;
  return s;
}

Status SetPop(Database& db, int64_t now_ms, std::string_view key, uint64_t count, MembersSink sink) {
  KeyAccess access(db, now_ms, key, KeyAccess::Mode::kWrite);
  KeyNode* node = access.Find(key);
  SetValue* set = nullptr;
  Status s = ContainerAt(node, &set);
  if (!s.ok()) return s;
  std::vector<const std::string*> popped;
  if (set == nullptr || count == 0) {
    sink(popped);
    return Status::Ok();
  }
  if (count >= set->size()) {
    popped = MemberPointers(*set);
    SortLikeIntset(&popped);
    sink(popped);
    access.Erase(node);
    return Status::Ok();
  }
  if (count == 1) {
    popped.push_back(&RandomElement(*set));
  } else {
    popped = MemberPointers(*set);
    ShuffleFront(&popped, static_cast<size_t>(count));
    popped.resize(static_cast<size_t>(count));
  }
  sink(popped);
  for (const std::string* member : popped) set->erase(set->find(*member));
  access.Changed(key);
  return Status::Ok();
}

Status SetRandomMembers(Database& db, int64_t now_ms, std::string_view key, uint64_t count, bool distinct,
                        absl::FunctionRef<void(uint64_t n)> begin,
                        absl::FunctionRef<bool(const std::string& member)> each) {
  KeyAccess access(db, now_ms, key);
  SetValue* set = nullptr;
  Status s = FindContainer(access, key, &set);
  if (!s.ok()) return s;
  if (set == nullptr) {
    begin(0);
    return Status::Ok();
  }
  PickRandomElements(*set, count, distinct, begin, each, SortLikeIntset);
  return Status::Ok();
}

Status SetScan(
    Database& db, int64_t now_ms, std::string_view key, uint64_t cursor, size_t count,
    std::string_view pattern,
    absl::FunctionRef<void(uint64_t next_cursor, std::span<const std::string* const> members)> sink) {
  KeyAccess access(db, now_ms, key);
  SetValue* set = nullptr;
  Status s = FindContainer(access, key, &set);
  if (!s.ok()) return s;
  std::vector<const std::string*> step;
  uint64_t next = 0;
  if (set != nullptr && SetIsIntset(*set)) {
    step = MemberPointers(*set);
    SortLikeIntset(&step);
  } else if (set != nullptr) {
    step = ScanContainerStep(
        *set, cursor, count, [](const std::string& m) -> const std::string& { return m; }, &next);
  }
  if (!pattern.empty() && pattern != "*") {
    std::erase_if(step, [&](const std::string* member) { return !GlobMatch(pattern, *member); });
  }
  sink(next, step);
  return Status::Ok();
}

Status SetCombine(Database& db, int64_t now_ms, SetOp op, std::span<const std::string_view> keys,
                  MembersSink sink) {
  KeyAccess access(db, now_ms, keys);
  std::vector<const SetValue*> sets;
  sets.reserve(keys.size());
  for (std::string_view key : keys) {
    SetValue* set = nullptr;
    Status s = FindContainer(access, key, &set);
    if (!s.ok()) return s;
    sets.push_back(set);
  }
  std::vector<const std::string*> result = op == SetOp::kIntersection ? Intersect(sets)
                                           : op == SetOp::kUnion      ? Unite(sets)
                                                                      : Subtract(sets);
  SortLikeIntset(&result);
  sink(result);
  return Status::Ok();
}

}  // namespace latchkey
