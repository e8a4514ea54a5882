#include "storage/element_scan.h"

#include <xxhash.h>

namespace latchkey {

uint64_t ElementHash(std::string_view element) {
  return XXH3_64bits(element.data(), element.size()) >> (64 - kElementHashBits);
}

}  // namespace latchkey
