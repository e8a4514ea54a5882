#include "server/command_context.h"

#include <cctype>

#include "storage/numbers.h"

namespace latchkey {

void CommandContext::ReplyError(const Status& status) {
  std::string_view prefix = "ERR ";
  switch (status.code()) {
    case Status::Code::kWrongType:
      prefix = "WRONGTYPE ";
      break;
    case Status::Code::kOutOfMemory:
      prefix = "OOM ";
      break;
    case Status::Code::kNoPerm:
      prefix = "NOPERM ";
      break;
    case Status::Code::kIoError:
      prefix = "MISCONF ";
      break;
    case Status::Code::kOk:
    case Status::Code::kErr:
    case Status::Code::kNotFound:
      break;
  }
  std::string text;
  text.reserve(prefix.size() + status.message().size());
  text.append(prefix).append(status.message());
  reply.Error(text);
}

void CommandContext::ReplyArityError() {
  reply.Error("ERR wrong number of arguments for '" + spec.fullname + "' command");
}

void CommandContext::ReplyHelp(std::span<const char* const> lines) {
  reply.Array(lines.size());
  for (const char* line : lines) reply.Simple(line);
}

bool CommandContext::IntArg(size_t i, int64_t* out) {
  if (ParseInt64(args[i], out)) return true;
  reply.Error("ERR value is not an integer or out of range");
  return false;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace latchkey
