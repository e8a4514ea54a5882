// libFuzzer target: RequestParser over arbitrary bytes, fed the way a connection feeds it (the input cut
// into reads whose sizes come from the first byte), under small limits so length checks are reached.
// Invariants checked: consumed never passes the buffer, a request has at least one argument and every
// argument lies inside the buffer (multibulk) or the parser's scratch (inline), and an error stops it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "protocol/request_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  latchkey::ParserLimits limits;
  limits.max_bulk_len = 1024;
  limits.max_multibulk_len = 64;
  limits.max_inline_len = 256;
  latchkey::RequestParser parser(&limits);
  const size_t step = 1 + data[0] % 16;  // bytes per simulated read
  const bool authenticated = (data[0] & 0x80) != 0;
  const std::string input(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string buffer;  // unconsumed input, as a connection keeps it
  size_t fed = 0;
  while (fed < input.size() || !buffer.empty()) {
    const size_t more = std::min(step, input.size() - fed);
    buffer.append(input, fed, more);
    fed += more;
    size_t consumed = 0;
    const auto result = parser.Parse(buffer.data(), buffer.size(), authenticated, &consumed);
    if (consumed > buffer.size()) abort();
    if (result == latchkey::RequestParser::Result::kError) return 0;
    if (result == latchkey::RequestParser::Result::kRequest && parser.args().empty()) abort();
    buffer.erase(0, consumed);
    if (result == latchkey::RequestParser::Result::kNeedMore && fed == input.size()) return 0;
  }
  return 0;
}
