// Status is the result of a storage operation: OK, or an error kind plus a message.
//
// The kind decides the Redis error prefix the server sends (ERR, WRONGTYPE, OOM...); the message is the
// text after the prefix, exactly as Redis words it where Redis has the same situation. The mapping from
// kind to prefix lives in one place (server/reply_errors.cc); storage/ never formats RESP.
//
// Thread-safety: a Status is a value; distinct objects may be used from distinct threads.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace latchkey {

class Status {
 public:
  enum class Code {
    kOk,
    kErr,          // generic "ERR ..." (syntax, range, parse errors)
    kWrongType,    // "WRONGTYPE ..."
    kNotFound,     // "ERR no such key" for generic keys; "NOTFOUND" for domain records
    kOutOfMemory,  // "OOM ..."
    kNoPerm,       // "NOPERM ..."
    kIoError,      // durability layer failed; "MISCONF"-style refusal
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status Err(std::string msg) { return Status(Code::kErr, std::move(msg)); }
  static Status WrongType() {
    return Status(Code::kWrongType, "Operation against a key holding the wrong kind of value");
  }
  static Status NoSuchKey() { return Status(Code::kNotFound, "no such key"); }
  static Status IoError(std::string msg) { return Status(Code::kIoError, std::move(msg)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}

  Code code_ = Code::kOk;
  std::string message_;
};

// Texts shared by several commands, worded exactly as Redis 7.0 words them.
inline constexpr std::string_view kErrNotInteger = "value is not an integer or out of range";
inline constexpr std::string_view kErrNotFloat = "value is not a valid float";
inline constexpr std::string_view kErrSyntax = "syntax error";
inline constexpr std::string_view kErrOverflow = "increment or decrement would overflow";

}  // namespace latchkey
