// Random choices for SPOP, SRANDMEMBER and HRANDFIELD.
//
// Each thread has its own generator (std::mt19937_64 seeded from std::random_device when the thread
// first asks), so picking never takes a lock and never contends with other I/O threads. The numbers are
// not for secrets: session ids and token secrets come from the CSPRNG, never from here.
//
// Thread-safety: every function uses the calling thread's generator only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"

namespace latchkey {

// A uniform integer in [0, n). REQUIRES: n > 0.
uint64_t RandomBelow(uint64_t n);

// Moves `k` distinct, uniformly chosen elements of `*items` to its front, in random order (a partial
// Fisher-Yates shuffle: O(k) swaps). The rest keep an unspecified order. REQUIRES: k <= items->size().
template <typename T>
void ShuffleFront(std::vector<T>* items, size_t k) {
  const size_t n = items->size();
  for (size_t i = 0; i < k; ++i) {
    const size_t j = i + static_cast<size_t>(RandomBelow(n - i));
    std::swap((*items)[i], (*items)[j]);
  }
}

// One uniformly chosen element. REQUIRES: !container.empty(). O(size): absl's flat tables offer no
// random access to their slots, so this walks to a random position.
template <typename Container>
const typename Container::value_type& RandomElement(const Container& container) {
  return *std::next(container.begin(), static_cast<std::ptrdiff_t>(RandomBelow(container.size())));
}

// The picks of HRANDFIELD and SRANDMEMBER out of `container`. With `distinct`: min(count, size) different
// elements, in random order, or when count >= size the whole container in its order after `order_whole`
// has arranged it. Without: `count` independent uniform picks. Calls `begin(n)` with the number of picks,
// then `each` per pick until it returns false.
template <typename Container>
void PickRandomElements(
    const Container& container, uint64_t count, bool distinct, absl::FunctionRef<void(uint64_t n)> begin,
    absl::FunctionRef<bool(const typename Container::value_type&)> each,
    absl::FunctionRef<void(std::vector<const typename Container::value_type*>*)> order_whole) {
  const size_t size = container.size();
  if (size == 0 || count == 0) return begin(0);
  if (!distinct && count > 1) {
    std::vector<const typename Container::value_type*> all;
    all.reserve(size);
    for (const auto& element : container) all.push_back(&element);
    begin(count);
    for (uint64_t i = 0; i < count; ++i) {
      if (!each(*all[RandomBelow(size)])) return;
    }
    return;
  }
  if (count == 1) {
    begin(1);
    each(RandomElement(container));
    return;
  }
  std::vector<const typename Container::value_type*> all;
  all.reserve(size);
  for (const auto& element : container) all.push_back(&element);
  if (count >= size) {
    order_whole(&all);
  } else {
    ShuffleFront(&all, static_cast<size_t>(count));
    all.resize(static_cast<size_t>(count));
  }
  begin(all.size());
  for (const auto* element : all) {
    if (!each(*element)) return;
  }
}

}  // namespace latchkey
