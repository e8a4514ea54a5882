// RequestParser turns the bytes one client sent into requests (argument vectors), RESP multibulk
// (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`) or inline (`GET k\r\n`), as Redis reads them.
//
// It is incremental and sans-I/O: the caller keeps the client's unconsumed input in one contiguous
// buffer and calls Parse() with it after each read. Parse() either returns a complete request (and how
// many bytes it used), or says more input is needed (remembering how far it got, so a large value
// arriving in pieces is not re-scanned), or reports a protocol error with Redis's exact text, after which
// the caller replies with the error and closes the connection.
//
// Buffer contract (state is kept as offsets, so the buffer may be moved or grown between calls):
//
//     data ──► [ request being parsed ........ | bytes not yet read ]
//              ^ must start here on every call until kRequest consumes it
//
// Arguments of a multibulk request are views into `data` (no copy, no allocation once the vectors are
// warm); inline arguments, which may carry escapes, are views into the parser's own scratch buffer.
// Either kind stays valid until the next Parse() call or until the caller changes `data`.
//
// Thread-safety: one parser per connection; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace latchkey {

struct ParserLimits {
  uint64_t max_bulk_len = 512ull * 1024 * 1024;  // proto-max-bulk-len
  uint64_t max_multibulk_len = INT32_MAX;        // elements per request (Redis: INT_MAX)
  size_t max_inline_len = 64 * 1024;             // an inline request, or a length line, without newline
  // Before authentication Redis allows only small requests (10 elements, 16 KiB bulks).
  uint64_t unauthenticated_max_multibulk_len = 10;
  uint64_t unauthenticated_max_bulk_len = 16384;
};

class RequestParser {
 public:
  enum class Result {
    kRequest,   // args() holds a complete request; *consumed bytes of data belong to it
    kNeedMore,  // the request is incomplete: drop the *consumed bytes (empty requests skipped before
                // it, usually 0), then call again from there once more bytes arrived
    kError,     // protocol violation; error() has the text (without the "ERR " prefix)
  };

  explicit RequestParser(const ParserLimits* limits) : limits_(limits) {}

  // Parses the request at the start of data[0, size). `authenticated` selects the limits. An empty
  // request (`*0`, `*-1`, an empty inline line) is consumed silently and parsing continues after it.
  Result Parse(const char* data, size_t size, bool authenticated, size_t* consumed);

  const std::vector<std::string_view>& args() const { return args_; }
  const std::string& error() const { return error_; }

  // Forgets any partial request (the caller dropped the buffer).
  void Reset();

 private:
  Result ParseMultibulk(const char* data, size_t size, bool authenticated, size_t* consumed);
  Result ParseInline(const char* data, size_t size, size_t* consumed);
  Result Fail(std::string text);

  const ParserLimits* limits_;
  std::vector<std::string_view> args_;

  // Progress through a multibulk request, as offsets from its first byte.
  bool in_multibulk_ = false;
  size_t pos_ = 0;                                // next byte to look at
  int64_t pending_args_ = 0;                      // elements still to read
  int64_t bulk_len_ = -1;                         // length of the bulk being read, or -1 before its `$` line
  std::vector<std::pair<size_t, size_t>> spans_;  // (offset, length) of the elements read so far

  std::string inline_scratch_;
  std::string error_;
};

}  // namespace latchkey
