// A RESP3 test client over a plain socket (the Debian hiredis predates RESP3): frames of any type,
// parsed incrementally, with timeouts that fail the test instead of hanging it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server_process.h"

namespace latchkey::testing {

// One RESP3 frame, any type. Aggregates (array, push, map, set) keep their children in `elems`
// (a map as key, value, key, value...); simple strings, errors, bulk strings and doubles keep their
// text in `str`; integers and booleans their value in `integer`.
struct Frame {
  char type = 0;
  std::string str;
  int64_t integer = 0;
  std::vector<Frame> elems;
  bool null = false;
};

// Parses one frame from buf[*pos...]; nullopt (and *pos unchanged) if the frame is not complete yet.
std::optional<Frame> ParseFrame(const std::string& buf, size_t* pos);

class Resp3Client {
 public:
  explicit Resp3Client(int port) : raw_(port) {}

  void Send(const std::vector<std::string>& args);
  // The next frame; fails the test (and returns a frame of type 0) after `seconds` without one.
  Frame Next(double seconds = 5);
  Frame Call(const std::vector<std::string>& args) {
    Send(args);
    return Next();
  }
  // Whether nothing at all arrives within `seconds`.
  bool Silent(double seconds);

 private:
  RawClient raw_;
  std::string buf_;
};

}  // namespace latchkey::testing
