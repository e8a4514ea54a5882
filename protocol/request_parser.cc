#include "protocol/request_parser.h"

#include <cstring>

#include "protocol/inline_split.h"
#include "storage/numbers.h"

namespace latchkey {

void RequestParser::Reset() {
  in_multibulk_ = false;
  pos_ = 0;
  pending_args_ = 0;
  bulk_len_ = -1;
  spans_.clear();
}

RequestParser::Result RequestParser::Fail(std::string text) {
  error_ = std::move(text);
  Reset();
  return Result::kError;
}

RequestParser::Result RequestParser::Parse(const char* data, size_t size, bool authenticated,
                                           size_t* consumed) {
  size_t skipped = 0;
  while (true) {
    if (!in_multibulk_ && skipped == size) {
      *consumed = skipped;
      return Result::kNeedMore;
    }
    const char* start = data + skipped;
    const size_t left = size - skipped;
    size_t used = 0;
    Result r = (in_multibulk_ || start[0] == '*') ? ParseMultibulk(start, left, authenticated, &used)
                                                  : ParseInline(start, left, &used);
    if (r == Result::kRequest && args_.empty()) {  // empty request: consume and go on
      skipped += used;
      continue;
    }
    if (r == Result::kNeedMore && skipped > 0) {
      // Report the skipped empty requests as consumed; the caller calls again from the real start.
      *consumed = skipped;
      return Result::kNeedMore;
    }
    *consumed = skipped + used;
    return r;
  }
}

// Finds "\r" at or after `from`; returns its offset or npos.
static size_t FindCr(const char* data, size_t size, size_t from) {
  if (from >= size) return std::string_view::npos;
  const void* p = std::memchr(data + from, '\r', size - from);
  return p == nullptr ? std::string_view::npos : static_cast<size_t>(static_cast<const char*>(p) - data);
}

RequestParser::Result RequestParser::ParseMultibulk(const char* data, size_t size, bool authenticated,
                                                    size_t* consumed) {
  if (!in_multibulk_) {
    size_t cr = FindCr(data, size, 0);
    if (cr == std::string_view::npos || cr + 1 >= size) {
      if (size > limits_->max_inline_len) return Fail("Protocol error: too big mbulk count string");
      return Result::kNeedMore;
    }
    int64_t count = 0;
    bool ok = ParseInt64(std::string_view(data + 1, cr - 1), &count);
    if (!ok || count > static_cast<int64_t>(limits_->max_multibulk_len)) {
      return Fail("Protocol error: invalid multibulk length");
    }
    if (count > static_cast<int64_t>(limits_->unauthenticated_max_multibulk_len) && !authenticated) {
      return Fail("Protocol error: unauthenticated multibulk length");
    }
    args_.clear();
    if (count <= 0) {
      *consumed = cr + 2;
      return Result::kRequest;  // empty request
    }
    in_multibulk_ = true;
    pos_ = cr + 2;
    pending_args_ = count;
    bulk_len_ = -1;
    spans_.clear();
    spans_.reserve(static_cast<size_t>(count < 1024 ? count : 1024));
  }
  while (pending_args_ > 0) {
    if (bulk_len_ < 0) {
      size_t cr = FindCr(data, size, pos_);
      if (cr == std::string_view::npos || cr + 1 >= size) {
        if (size - pos_ > limits_->max_inline_len) return Fail("Protocol error: too big bulk count string");
        return Result::kNeedMore;
      }
      if (data[pos_] != '$') {
        return Fail(std::string("Protocol error: expected '$', got '") + data[pos_] + "'");
      }
      int64_t len = 0;
      bool ok = ParseInt64(std::string_view(data + pos_ + 1, cr - pos_ - 1), &len);
      if (!ok || len < 0 || static_cast<uint64_t>(len) > limits_->max_bulk_len) {
        return Fail("Protocol error: invalid bulk length");
      }
      if (static_cast<uint64_t>(len) > limits_->unauthenticated_max_bulk_len && !authenticated) {
        return Fail("Protocol error: unauthenticated bulk length");
      }
      bulk_len_ = len;
      pos_ = cr + 2;
    }
    const size_t need = static_cast<size_t>(bulk_len_) + 2;
    if (size - pos_ < need) return Result::kNeedMore;
    // Redis does not check the two bytes after a bulk; neither do we, to stay byte-compatible.
    spans_.emplace_back(pos_, static_cast<size_t>(bulk_len_));
    pos_ += need;
    bulk_len_ = -1;
    --pending_args_;
  }
  args_.clear();
  for (auto [offset, length] : spans_) args_.emplace_back(data + offset, length);
  *consumed = pos_;
  in_multibulk_ = false;
  pos_ = 0;
  spans_.clear();
  return Result::kRequest;
}

RequestParser::Result RequestParser::ParseInline(const char* data, size_t size, size_t* consumed) {
  const void* nl = std::memchr(data, '\n', size);
  if (nl == nullptr) {
    if (size > limits_->max_inline_len) return Fail("Protocol error: too big inline request");
    return Result::kNeedMore;
  }
  size_t line_end = static_cast<size_t>(static_cast<const char*>(nl) - data);
  *consumed = line_end + 1;
  if (line_end > 0 && data[line_end - 1] == '\r') --line_end;
  args_.clear();
  if (!SplitInlineArgs(std::string_view(data, line_end), &inline_scratch_, &args_)) {
    return Fail("Protocol error: unbalanced quotes in request");
  }
  return Result::kRequest;
}

}  // namespace latchkey
