// The cursor of HSCAN and SSCAN over a hash or set too large for Redis's compact encodings.
//
// Redis walks its dict with a reverse-binary bucket cursor that survives rehashing. Our containers are
// absl flat tables: their iteration order changes whenever they grow or rehash, so a position in them
// cannot serve as a cursor. The order used instead is a 48-bit XXH3 hash (kElementHashBits) of each element
// (the field of a hash, the member of a set), which is fixed for as long as the element exists, and is the
// same after a restart:
//
//   - a step with cursor c returns the elements whose hash h is in [c, last], `last` chosen so that about
//     `count` elements qualify; elements that share a hash are never split between two steps;
//   - the next cursor is the smallest hash above `last`, or 0 when there is none.
//
// Guarantee (SCAN's own): an element present for the whole scan is returned at least once, since the
// cursors only grow and the steps together cover every hash from 0 up. An element added or removed
// during the scan may or may not be returned. No element is returned twice by one full scan.
//
// Cost: a step hashes the whole container and selects with nth_element, O(N) under the key's lock. With
// a small COUNT a full scan would cost O(N^2 / COUNT), so a step takes at least N / kScanStepsPerPass
// elements, bounding a full scan by about kScanStepsPerPass passes. COUNT is a hint in Redis as well
// (its compact encodings ignore it), so a client cannot rely on getting exactly COUNT.
//
// Thread-safety: pure functions over the caller's data.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace latchkey {

// A full scan of a large container costs at most about this many reads of it.
inline constexpr size_t kScanStepsPerPass = 64;

// Cursors are order keys, so they must survive clients that hold a cursor in a double: node-redis v4
// turns it into a JavaScript Number, exact only below 2^53. Redis's own cursors stay that small.
inline constexpr int kElementHashBits = 48;

// The order key of an element: the top kElementHashBits bits of XXH3-64 of its bytes.
uint64_t ElementHash(std::string_view element);

template <typename Entry>
struct HashedEntry {
  uint64_t hash;
  const Entry* entry;
};

// Chooses one step. REQUIRES: `*items` holds exactly the container's entries whose hash is >= the
// cursor; `total` is the container's size; count >= 1. Reorders `*items` so that the step's entries come
// first, sorted by hash, returns how many they are, and sets `*next` to the next cursor (0: done).
template <typename Entry>
size_t SelectScanStep(std::vector<HashedEntry<Entry>>* items, size_t count, size_t total, uint64_t* next) {
  auto by_hash = [](const HashedEntry<Entry>& a, const HashedEntry<Entry>& b) { return a.hash < b.hash; };
  const size_t want = std::max(count, total / kScanStepsPerPass);
  if (items->size() <= want) {
    std::sort(items->begin(), items->end(), by_hash);
    *next = 0;
    return items->size();
  }
  const auto nth = items->begin() + static_cast<std::ptrdiff_t>(want - 1);
  std::nth_element(items->begin(), nth, items->end(), by_hash);
  const uint64_t last = nth->hash;
  // Everything after `nth` hashes to `last` or more; entries equal to `last` belong to this step.
  const auto end =
      std::partition(nth + 1, items->end(), [&](const HashedEntry<Entry>& e) { return e.hash == last; });
  *next = end == items->end() ? 0 : std::min_element(end, items->end(), by_hash)->hash;
  std::sort(items->begin(), end, by_hash);
  return static_cast<size_t>(end - items->begin());
}

// One step over `container` from `cursor` (SelectScanStep over every element), with `key_of(element)`
// naming the bytes that are hashed. Returns the step's elements in hash order; sets `*next`.
template <typename Container, typename KeyOf>
std::vector<const typename Container::value_type*> ScanContainerStep(const Container& container,
                                                                     uint64_t cursor, size_t count,
                                                                     KeyOf key_of, uint64_t* next) {
  using Entry = typename Container::value_type;
  std::vector<HashedEntry<Entry>> items;
  for (const Entry& element : container) {
    const uint64_t h = ElementHash(key_of(element));
    if (h >= cursor) items.push_back({h, &element});
  }
  const size_t taken = SelectScanStep(&items, count, container.size(), next);
  std::vector<const Entry*> step;
  step.reserve(taken);
  for (size_t i = 0; i < taken; ++i) step.push_back(items[i].entry);
  return step;
}

}  // namespace latchkey
