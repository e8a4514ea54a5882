#include "protocol/reply_writer.h"

#include <algorithm>
#include <charconv>

#include "storage/numbers.h"

namespace latchkey {

namespace {

// "<type><decimal>\r\n" into `buf` (at least 24 bytes); returns its length.
size_t FormatLine(char* buf, char type, int64_t value) {
  buf[0] = type;
  char* end = std::to_chars(buf + 1, buf + 22, value).ptr;
  end[0] = '\r';
  end[1] = '\n';
  return static_cast<size_t>(end + 2 - buf);
}

}  // namespace

// Each element is appended in as few appends as possible: replies are built on every command.
void ReplyWriter::Header(char type, size_t n) {
  char buf[24];
  out_->append(buf, FormatLine(buf, type, static_cast<int64_t>(n)));
}

void ReplyWriter::Simple(std::string_view text) {
  out_->push_back('+');
  out_->append(text);
  out_->append("\r\n");
}

void ReplyWriter::Error(std::string_view text) {
  ++errors_;
  const size_t start = out_->size() + 1;
  out_->push_back('-');
  out_->append(text);
  std::replace_if(
      out_->begin() + static_cast<std::ptrdiff_t>(start), out_->end(),
      [](char c) { return c == '\r' || c == '\n'; }, ' ');
  out_->append("\r\n");
}

void ReplyWriter::Integer(int64_t value) {
  char buf[24];
  out_->append(buf, FormatLine(buf, ':', value));
}

void ReplyWriter::Bulk(std::string_view value) {
  char buf[24];
  const size_t header = FormatLine(buf, '$', static_cast<int64_t>(value.size()));
  out_->reserve(out_->size() + header + value.size() + 2);
  out_->append(buf, header).append(value).append("\r\n", 2);
}

void ReplyWriter::Null() {
  out_->append(resp3_ ? "_\r\n" : "$-1\r\n");
}
void ReplyWriter::NullArray() {
  out_->append(resp3_ ? "_\r\n" : "*-1\r\n");
}
void ReplyWriter::Array(size_t n) {
  Header('*', n);
}
void ReplyWriter::Map(size_t n) {
  resp3_ ? Header('%', n) : Header('*', n * 2);
}
void ReplyWriter::Set(size_t n) {
  Header(resp3_ ? '~' : '*', n);
}
void ReplyWriter::Push(size_t n) {
  Header(resp3_ ? '>' : '*', n);
}

void ReplyWriter::Double(double value) {
  std::string text = FormatDouble(value);
  if (resp3_) {
    out_->push_back(',');
    out_->append(text);
    out_->append("\r\n");
  } else {
    Bulk(text);
  }
}

void ReplyWriter::Bool(bool value) {
  if (resp3_) {
    out_->append(value ? "#t\r\n" : "#f\r\n");
  } else {
    Integer(value ? 1 : 0);
  }
}

void ReplyWriter::BigNumber(std::string_view digits) {
  if (resp3_) {
    out_->push_back('(');
    out_->append(digits);
    out_->append("\r\n");
  } else {
    Bulk(digits);
  }
}

void ReplyWriter::Verbatim(std::string_view text, std::string_view format) {
  if (!resp3_) {
    Bulk(text);
    return;
  }
  Header('=', text.size() + 4);
  out_->append(format.substr(0, 3));
  out_->push_back(':');
  out_->append(text);
  out_->append("\r\n");
}

}  // namespace latchkey
