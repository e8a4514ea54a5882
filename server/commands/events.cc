// EVENTS.SINCE (SPEC §5): the revocation event log, for a gateway that was disconnected. It answers
// [head_seq, events] where events are the messages published on the revocation channel with
// sequence numbers after <seq> ("<seq> <type> <fields...>", at most COUNT of them, default 1000) and
// head_seq is the newest sequence number published. Events are read from RocksDB and only up to the
// newest published one, so nothing a subscriber has not been sent yet (or that may still fail) is
// served. A client pages with the sequence number of the last event it got; asking for events the
// retention (max-token-lifetime) has trimmed answers TRIMMED.
#include <charconv>
#include <string>

#include "server/command_context.h"
#include "storage/numbers.h"
#include "storage/record_codec.h"

namespace latchkey {
namespace {

constexpr int64_t kDefaultCount = 1000;
constexpr int64_t kMaxCount = 100000;

uint64_t EventSeq(std::string_view key) {
  uint64_t seq = 0;
  for (size_t i = 3; i < 11; ++i) seq = (seq << 8) | static_cast<uint8_t>(key[i]);
  return seq;
}

// EVENTS.SINCE <seq> [COUNT <n>]
void Since(CommandContext& ctx) {
  uint64_t since = 0;
  const std::string_view text = ctx.arg(1);
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), since);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return ctx.reply.Error("ERR seq is not a non-negative integer");
  }
  int64_t count = kDefaultCount;
  if (ctx.argc() == 4 && EqualsIgnoreCase(ctx.arg(2), "count")) {
    if (!ParseInt64(ctx.arg(3), &count) || count < 1 || count > kMaxCount) {
      return ctx.reply.Error("ERR COUNT must be between 1 and 100000");
    }
  } else if (ctx.argc() != 2) {
    return ctx.ReplySyntaxError();
  }
  EventLog& log = *ctx.server.events;
  const uint64_t head = log.published();
  const uint64_t floor = log.Floor(ctx.now_ms);
  if (since < head && since + 1 < floor) {
    return ctx.reply.Error("TRIMMED events before " + std::to_string(floor) +
                           " are no longer kept; resync and continue from the current head");
  }
  std::vector<std::string> events;
  if (since < head) {
    Status s = ctx.server.store->Scan(Column::kMeta, EventLog::Key(since + 1),
                                      [&](std::string_view key, std::string_view value) {
                                        if (key.size() != 11 || key.substr(0, 3) != "ev:") return false;
                                        if (EventSeq(key) > head) return false;
                                        uint8_t type = 0;
                                        int64_t expire_at_ms = 0;
                                        if (DecodeHeader(&value, &type, &expire_at_ms) &&
                                            type == kEventRecord && expire_at_ms > ctx.now_ms) {
                                          events.emplace_back(value);
                                        }
                                        return static_cast<int64_t>(events.size()) < count;
                                      });
    if (!s.ok()) return ctx.reply.Error("ERR " + s.message());
  }
  ctx.reply.Array(2);
  ctx.reply.Integer(static_cast<int64_t>(head));
  ctx.reply.Array(events.size());
  for (const std::string& e : events) ctx.reply.Bulk(e);
}

}  // namespace

void RegisterEventCommands(CommandTable& t) {
  const CommandGroup Cmd{"events"};
  t.Add(Cmd("events.since", -2, kCmdReadonly, {"lk-verify", "read", "slow"}, 0, 0, 0, Since,
            "Revocation events after a sequence number, for catching up after a disconnect", "0.1.0",
            "O(N) with N the events returned"));
}

}  // namespace latchkey
