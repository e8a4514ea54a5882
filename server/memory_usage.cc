#include "server/memory_usage.h"

#include <malloc.h>
#include <unistd.h>

#include <fstream>

namespace latchkey {

uint64_t UsedMemory() {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

uint64_t ResidentMemory() {
  std::ifstream statm("/proc/self/statm");
  uint64_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace latchkey
