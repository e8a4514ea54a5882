#include "protocol/reply_writer.h"

#include <algorithm>

#include "storage/numbers.h"

namespace latchkey {

void ReplyWriter::Header(char type, size_t n) {
  out_->push_back(type);
  AppendInt64(out_, static_cast<int64_t>(n));
  out_->append("\r\n");
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
  out_->push_back(':');
  AppendInt64(out_, value);
  out_->append("\r\n");
}

void ReplyWriter::Bulk(std::string_view value) {
  Header('$', value.size());
  out_->append(value);
  out_->append("\r\n");
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
