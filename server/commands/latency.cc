// LATENCY: per-command latency histograms (HISTOGRAM) from the dispatcher's counters (stats.h).
//
// Latchkey has no latency monitor (Redis's latency-monitor-threshold event log): LATEST, HISTORY and
// RESET answer as Redis does with monitoring disabled (no events), GRAPH has no samples, and DOCTOR
// says so and points at what is measured instead.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "server/command_context.h"

namespace latchkey {
namespace {

void LatencyEmpty(CommandContext& ctx) {
  ctx.reply.Array(0);
}

void LatencyReset(CommandContext& ctx) {
  ctx.reply.Integer(0);
}

void LatencyGraph(CommandContext& ctx) {
  ctx.reply.Error("ERR No samples available for event '" + std::string(ctx.arg(2)) + "'");
}

void LatencyDoctor(CommandContext& ctx) {
  ctx.reply.Verbatim(
      "Latchkey keeps no latency event log (latency-monitor-threshold), so there is nothing to diagnose "
      "here. Per-command latency is always measured: see LATENCY HISTOGRAM and INFO commandstats.\n");
}

// One command's entry: {calls, histogram_usec: {upper bound in µs: cumulative calls}}, listing only
// the buckets where the cumulative count grows, as Redis does.
void WriteHistogram(CommandContext& ctx, const CommandSpec& spec, uint64_t calls) {
  const Stats& stats = ctx.server.stats;
  std::vector<std::pair<int64_t, uint64_t>> points;
  uint64_t cumulative = 0;
  for (int b = 0; b < CommandStats::kBuckets; ++b) {
    const uint64_t n = stats.SumBucket(spec.id, b);
    if (n == 0) continue;
    cumulative += n;
    points.emplace_back((int64_t{1024} << b) / 1000, cumulative);
  }
  ctx.reply.Bulk(spec.fullname);
  ctx.reply.Map(2);
  ctx.reply.Bulk("calls");
  ctx.reply.Integer(static_cast<int64_t>(calls));
  ctx.reply.Bulk("histogram_usec");
  ctx.reply.Map(points.size());
  for (const auto& [usec, count] : points) {
    ctx.reply.Integer(usec);
    ctx.reply.Integer(static_cast<int64_t>(count));
  }
}

// Adds `spec` and its subcommands to `out` if they have been called.
void CollectCalled(const Stats& stats, const CommandSpec& spec,
                   std::vector<std::pair<const CommandSpec*, uint64_t>>* out) {
  const uint64_t calls = stats.SumCommand(spec.id, &CommandStats::calls);
  if (calls > 0) out->emplace_back(&spec, calls);
  for (const CommandSpec& sub : spec.subcommands) CollectCalled(stats, sub, out);
}

void LatencyHistogram(CommandContext& ctx) {
  std::vector<std::pair<const CommandSpec*, uint64_t>> called;
  if (ctx.argc() == 2) {
    for (const auto& spec : ctx.server.commands.all()) CollectCalled(ctx.server.stats, *spec, &called);
  } else {
    std::vector<const CommandSpec*> seen;
    for (size_t i = 2; i < ctx.argc(); ++i) {
      const CommandSpec* spec = ctx.server.commands.Find(ctx.arg(i));
      if (spec == nullptr || std::find(seen.begin(), seen.end(), spec) != seen.end()) continue;
      seen.push_back(spec);
      CollectCalled(ctx.server.stats, *spec, &called);
    }
  }
  ctx.reply.Map(called.size());
  for (const auto& [spec, calls] : called) WriteHistogram(ctx, *spec, calls);
}

void LatencyHelp(CommandContext& ctx) {
  static const char* const kLines[] = {
      "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "DOCTOR",
      "    Return a human readable latency analysis report.",
      "GRAPH <event>",
      "    Return an ASCII latency graph for the <event> class.",
      "HISTORY <event>",
      "    Return time-latency samples for the <event> class.",
      "LATEST",
      "    Return the latest latency samples for all events.",
      "RESET [<event> ...]",
      "    Reset latency data of one or more <event> classes.",
      "    (default: reset all data for all event classes)",
      "HISTOGRAM [COMMAND ...]",
      "    Return a cumulative distribution of latencies in the format of a histogram for the specified "
      "command names.",
      "    If no commands are specified then all histograms are replied.",
      "HELP",
      "    Prints this help.",
  };
  ctx.ReplyHelp(kLines);
}

}  // namespace

void RegisterLatencyCommands(CommandTable& t) {
  const CommandGroup Cmd{"server"};
  const uint32_t kAdmin = kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale;
  const std::vector<std::string> kCats = {"admin", "slow", "dangerous"};
  CommandSpec latency =
      Cmd("latency", -2, 0, {"slow"}, 0, 0, 0, nullptr, "A container for latency diagnostics commands",
          "2.8.13", "Depends on subcommand.");
  latency.subcommands = {
      Cmd("latest", 2, kAdmin, kCats, 0, 0, 0, LatencyEmpty,
          "Return the latest latency samples for all events", "2.8.13", "O(1)"),
      Cmd("history", 3, kAdmin, kCats, 0, 0, 0, LatencyEmpty,
          "Return timestamp-latency samples for the event", "2.8.13", "O(1)"),
      Cmd("reset", -2, kAdmin, kCats, 0, 0, 0, LatencyReset, "Reset latency data for one or more events",
          "2.8.13", "O(1)"),
      Cmd("graph", 3, kAdmin, kCats, 0, 0, 0, LatencyGraph, "Return a latency graph for the event", "2.8.13",
          "O(1)"),
      Cmd("doctor", 2, kAdmin, kCats, 0, 0, 0, LatencyDoctor,
          "Return a human readable latency analysis report", "2.8.13", "O(1)"),
      Cmd("histogram", -2, kAdmin, kCats, 0, 0, 0, LatencyHistogram,
          "Return the cumulative distribution of latencies of a subset of commands or all", "7.0.0",
          "O(N) where N is the number of commands with latency information being retrieved."),
      Cmd("help", 2, kCmdLoading | kCmdStale, {"slow"}, 0, 0, 0, LatencyHelp,
          "Show helpful text about the different subcommands", "2.8.13", "O(1)"),
  };
  t.Add(std::move(latency));
}

}  // namespace latchkey
