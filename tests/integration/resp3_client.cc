#include "resp3_client.h"

#include <chrono>

#include "gtest/gtest.h"

namespace latchkey::testing {
namespace {

double Seconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

std::optional<Frame> ParseFrame(const std::string& buf, size_t* pos) {
  size_t at = *pos;
  if (at >= buf.size()) return std::nullopt;
  const size_t eol = buf.find("\r\n", at);
  if (eol == std::string::npos) return std::nullopt;
  Frame f;
  f.type = buf[at];
  const std::string line = buf.substr(at + 1, eol - at - 1);
  at = eol + 2;
  switch (f.type) {
    case '+':
    case '-':
    case ',':
    case '(':
      f.str = line;
      break;
    case ':':
      f.integer = std::stoll(line);
      break;
    case '#':
      f.integer = line == "t" ? 1 : 0;
      break;
    case '_':
      f.null = true;
      break;
    case '$':
    case '=':
    case '!': {
      const int64_t len = std::stoll(line);
      if (len < 0) {
        f.null = true;
        break;
      }
      if (buf.size() < at + static_cast<size_t>(len) + 2) return std::nullopt;
      f.str = buf.substr(at, static_cast<size_t>(len));
      at += static_cast<size_t>(len) + 2;
      break;
    }
    case '*':
    case '>':
    case '~':
    case '%':
    case '|': {
      int64_t n = std::stoll(line);
      if (n < 0) {
        f.null = true;
        break;
      }
      if (f.type == '%' || f.type == '|') n *= 2;
      for (int64_t i = 0; i < n; ++i) {
        auto child = ParseFrame(buf, &at);
        if (!child) return std::nullopt;
        f.elems.push_back(std::move(*child));
      }
      break;
    }
    default:
      ADD_FAILURE() << "unknown RESP3 type byte '" << f.type << "'";
      f.null = true;
  }
  *pos = at;
  return f;
}

void Resp3Client::Send(const std::vector<std::string>& args) {
  std::string out("*");
  out.append(std::to_string(args.size())).append("\r\n");
  for (const auto& a : args)
    out.append("$").append(std::to_string(a.size())).append("\r\n").append(a).append("\r\n");
  raw_.Send(out);
}

Frame Resp3Client::Next(double seconds) {
  const double deadline = Seconds() + seconds;
  while (true) {
    size_t pos = 0;
    if (auto f = ParseFrame(buf_, &pos)) {
      buf_.erase(0, pos);
      return *f;
    }
    if (Seconds() >= deadline) break;
    buf_ += raw_.Read(1, deadline - Seconds());
  }
  ADD_FAILURE() << "no RESP3 frame within " << seconds << " s; have '" << buf_ << "'";
  return Frame{};
}

bool Resp3Client::Silent(double seconds) {
  buf_ += raw_.Read(1, seconds);
  return buf_.empty();
}

}  // namespace latchkey::testing
