// ReplyWriter encodes replies in RESP2 or RESP3 by appending to a caller-owned byte buffer.
//
// Commands describe a reply in RESP3 terms (map, set, double, null, push...); the writer downgrades it
// for RESP2 clients the way Redis does: a map becomes a flat array of 2n elements, a set an array, a
// double or big number a bulk string, a boolean an integer, a null a null bulk (or a null array where
// the command used one in RESP2, see NullArray). Aggregates are written as a header followed by their
// elements; the writer does not check that the caller writes as many elements as it announced.
//
// Thread-safety: none; one writer per connection.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace latchkey {

class ReplyWriter {
 public:
  explicit ReplyWriter(std::string* out) : out_(out) {}

  void set_protocol(int version) { resp3_ = version >= 3; }
  bool resp3() const { return resp3_; }
  std::string* buffer() { return out_; }

  void Ok() { out_->append("+OK\r\n"); }
  void Simple(std::string_view text);
  // `text` is the full message including its code, e.g. "ERR syntax error". Newlines are replaced by
  // spaces so a message can never break the framing.
  void Error(std::string_view text);
  void Integer(int64_t value);
  void Bulk(std::string_view value);
  void Null();       // RESP2: $-1   RESP3: _
  void NullArray();  // RESP2: *-1   RESP3: _
  void Array(size_t n);
  void Map(size_t n);  // n key/value pairs
  void Set(size_t n);
  void Push(size_t n);  // RESP2: an array
  void Double(double value);
  void Bool(bool value);
  void BigNumber(std::string_view digits);
  void Verbatim(std::string_view text, std::string_view format = "txt");

  // How many errors this writer has written (the dispatcher tells failed commands by it).
  uint64_t errors() const { return errors_; }

 private:
  void Header(char type, size_t n);

  std::string* out_;
  bool resp3_ = false;
  uint64_t errors_ = 0;
};

}  // namespace latchkey
