// Server commands: DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, TIME, CONFIG, SHUTDOWN. INFO is in info.cc.
#include <algorithm>
#include <set>

#include "server/command_context.h"
#include "storage/clock.h"
#include "storage/glob.h"
#include "storage/keys.h"
#include "storage/numbers.h"

namespace latchkey {

void InfoCommand(CommandContext& ctx);  // info.cc

namespace {

void DbSize(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.db().Size(ctx.now_ms)));
}

// FLUSHDB/FLUSHALL accept one optional ASYNC or SYNC; both flush synchronously here.
bool FlushOptionsOk(CommandContext& ctx) {
  if (ctx.argc() > 2 ||
      (ctx.argc() == 2 && !EqualsIgnoreCase(ctx.arg(1), "async") && !EqualsIgnoreCase(ctx.arg(1), "sync"))) {
    ctx.ReplySyntaxError();
    return false;
  }
  return true;
}

void FlushDb(CommandContext& ctx) {
  if (!FlushOptionsOk(ctx)) return;
  ctx.db().Flush();
  ctx.reply.Ok();
}

void FlushAll(CommandContext& ctx) {
  if (!FlushOptionsOk(ctx)) return;
  ctx.server.keyspace.FlushAll();
  ctx.reply.Ok();
}

void SwapDb(CommandContext& ctx) {
  int64_t index[2];
  const char* kNames[2] = {"first", "second"};
  for (int i = 0; i < 2; ++i) {
    if (!ParseInt64(ctx.arg(1 + i), &index[i]) || index[i] < INT32_MIN || index[i] > INT32_MAX) {
      return ctx.reply.Error(std::string("ERR invalid ") + kNames[i] + " DB index");
    }
  }
  const int n = ctx.server.keyspace.num_databases();
  if (index[0] < 0 || index[0] >= n || index[1] < 0 || index[1] >= n) {
    return ctx.reply.Error("ERR DB index is out of range");
  }
  ctx.server.keyspace.SwapDatabases(static_cast<int>(index[0]), static_cast<int>(index[1]));
  ctx.reply.Ok();
}

void Time(CommandContext& ctx) {
  const int64_t us = NowUs();
  ctx.reply.Array(2);
  ctx.reply.Bulk(std::to_string(us / 1000000));
  ctx.reply.Bulk(std::to_string(us % 1000000));
}

bool HasGlobChars(std::string_view s) {
  return s.find_first_of("*?[") != std::string_view::npos;
}

void ConfigGet(CommandContext& ctx) {
  // (name as reported, directive): an exact name is echoed as the client typed it, as Redis does.
  std::vector<std::pair<std::string_view, const Config::Directive*>> matched;
  std::set<std::string_view> seen;
  for (size_t j = 2; j < ctx.argc(); ++j) {
    std::string_view pattern = ctx.arg(j);
    const bool glob = HasGlobChars(pattern);
    for (const auto& d : ctx.server.config.directives()) {
      if (d.repeatable) continue;
      bool hit = glob ? GlobMatch(pattern, d.name, true) : EqualsIgnoreCase(pattern, d.name);
      if (hit && seen.insert(d.name).second)
        matched.emplace_back(glob ? std::string_view(d.name) : pattern, &d);
    }
  }
  ctx.reply.Map(matched.size());
  for (const auto& [name, d] : matched) {
    ctx.reply.Bulk(name);
    ctx.reply.Bulk(d->show ? d->show() : d->get());
  }
}

void ConfigSet(CommandContext& ctx) {
  if ((ctx.argc() - 2) % 2 != 0) return ctx.ReplySyntaxError();
  Config& config = ctx.server.config;
  auto failed = [&](std::string_view name, std::string_view why) {
    ctx.reply.Error("ERR CONFIG SET failed (possibly related to argument '" + std::string(name) + "') - " +
                    std::string(why));
  };
  std::vector<const Config::Directive*> directives;
  for (size_t j = 2; j < ctx.argc(); j += 2) {
    const Config::Directive* d = config.Find(ctx.arg(j));
    if (d == nullptr) {
      return ctx.reply.Error("ERR Unknown option or number of arguments for CONFIG SET - '" +
                             std::string(ctx.arg(j)) + "'");
    }
    if (std::find(directives.begin(), directives.end(), d) != directives.end()) {
      return failed(ctx.arg(j), "duplicate parameter");
    }
    if (!d->mutable_live) return failed(ctx.arg(j), "can't set immutable config");
    directives.push_back(d);
  }
  // Apply in order; if one fails, put back the values already changed.
  std::vector<std::string> previous;
  for (size_t i = 0; i < directives.size(); ++i) {
    previous.push_back(directives[i]->get());
    Status s = config.Set(directives[i]->name, ctx.arg(3 + 2 * i), /*live=*/true);
    if (!s.ok()) {
      for (size_t k = 0; k < i; ++k) (void)config.Set(directives[k]->name, previous[k], true);
      return failed(ctx.arg(2 + 2 * i), s.message());
    }
  }
  ctx.reply.Ok();
}

void ConfigResetStat(CommandContext& ctx) {
  ctx.server.stats.Reset();
  ctx.reply.Ok();
}

void ConfigRewrite(CommandContext& ctx) {
  Status s = ctx.server.config.Rewrite();
  s.ok() ? ctx.reply.Ok() : ctx.ReplyError(s);
}

void ConfigHelp(CommandContext& ctx) {
  static const char* kLines[] = {"CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                                 "GET <pattern>",
                                 "    Return parameters matching the glob-like <pattern> and their values.",
                                 "SET <directive> <value>",
                                 "    Set the configuration <directive> to <value>.",
                                 "RESETSTAT",
                                 "    Reset statistics reported by the INFO command.",
                                 "REWRITE",
                                 "    Rewrite the configuration file.",
                                 "HELP",
                                 "    Print this help."};
  ctx.ReplyHelp(kLines);
}

void Shutdown(CommandContext& ctx) {
  for (size_t j = 1; j < ctx.argc(); ++j) {
    std::string_view opt = ctx.arg(j);
    if (EqualsIgnoreCase(opt, "abort")) return ctx.reply.Error("ERR No shutdown in progress.");
    if (!EqualsIgnoreCase(opt, "nosave") && !EqualsIgnoreCase(opt, "save") && !EqualsIgnoreCase(opt, "now") &&
        !EqualsIgnoreCase(opt, "force")) {
      return ctx.ReplySyntaxError();
    }
  }
  // As Redis, no reply: the connection closes when the server stops.
  ctx.session.close_after_reply = true;
  ctx.server.request_shutdown();
}

void SlowLogGet(CommandContext& ctx) {
  int64_t count = 10;
  if (ctx.argc() == 3) {
    if (!ParseInt64(ctx.arg(2), &count) || count < -1) {
      return ctx.reply.Error("ERR count should be greater than or equal to -1");
    }
  }
  auto entries = ctx.server.slowlog.Newest(count);
  ctx.reply.Array(entries.size());
  for (const auto& e : entries) {
    ctx.reply.Array(6);
    ctx.reply.Integer(static_cast<int64_t>(e.id));
    ctx.reply.Integer(e.unix_seconds);
    ctx.reply.Integer(e.duration_us);
    ctx.reply.Array(e.args.size());
    for (const auto& a : e.args) ctx.reply.Bulk(a);
    ctx.reply.Bulk(e.client_addr);
    ctx.reply.Bulk(e.client_name);
  }
}

void SlowLogLen(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.server.slowlog.size()));
}

void SlowLogReset(CommandContext& ctx) {
  ctx.server.slowlog.Reset();
  ctx.reply.Ok();
}

void SlowLogHelp(CommandContext& ctx) {
  static const char* kLines[] = {"SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                                 "GET [<count>]",
                                 "    Return the newest <count> entries (default 10, -1 for all).",
                                 "LEN",
                                 "    Return the number of entries.",
                                 "RESET",
                                 "    Remove every entry.",
                                 "HELP",
                                 "    Print this help."};
  ctx.ReplyHelp(kLines);
}

void MemoryUsage(CommandContext& ctx) {
  if (ctx.argc() != 3) {
    int64_t samples = 0;
    if (ctx.argc() != 5 || !EqualsIgnoreCase(ctx.arg(3), "samples")) return ctx.ReplySyntaxError();
    if (!ctx.IntArg(4, &samples)) return;
  }
  auto bytes = KeyMemoryUsage(ctx.db(), ctx.now_ms, ctx.arg(2));
  bytes ? ctx.reply.Integer(static_cast<int64_t>(*bytes)) : ctx.reply.Null();
}

void MemoryHelp(CommandContext& ctx) {
  static const char* kLines[] = {
      "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", "USAGE <key> [SAMPLES <count>]",
      "    Return an estimate of the memory the key and its value use.", "HELP", "    Print this help."};
  ctx.ReplyHelp(kLines);
}

}  // namespace

void RegisterServerCommands(CommandTable& t) {
  const CommandGroup Cmd{"server"};
  const uint32_t kAdminCmd = kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale;
  const std::vector<std::string> kDangerous = {"keyspace", "write", "slow", "dangerous"};
  t.Add(Cmd("dbsize", 1, kCmdReadonly | kCmdFast, {"keyspace", "read", "fast"}, 0, 0, 0, DbSize,
            "Return the number of keys in the selected database", "1.0.0", "O(1)"));
  t.Add(Cmd("flushdb", -1, kCmdWrite, kDangerous, 0, 0, 0, FlushDb,
            "Remove all keys from the current database", "1.0.0", "O(N)"));
  t.Add(Cmd("flushall", -1, kCmdWrite, kDangerous, 0, 0, 0, FlushAll, "Remove all keys from all databases",
            "1.0.0", "O(N)"));
  t.Add(Cmd("swapdb", 3, kCmdWrite | kCmdFast, {"keyspace", "write", "fast", "dangerous"}, 0, 0, 0, SwapDb,
            "Swaps two Redis databases", "4.0.0", "O(N)"));
  t.Add(Cmd("time", 1, kCmdLoading | kCmdStale | kCmdFast, {"fast"}, 0, 0, 0, Time,
            "Return the current server time", "2.6.0", "O(1)"));
  t.Add(Cmd("info", -1, kCmdLoading | kCmdStale | kCmdSentinel, {"slow", "dangerous"}, 0, 0, 0, InfoCommand,
            "Get information and statistics about the server", "1.0.0", "O(1)"));
  t.Add(Cmd("shutdown", -1, kAdminCmd | kCmdNoMulti | kCmdSentinel | kCmdAllowBusy,
            {"admin", "slow", "dangerous"}, 0, 0, 0, Shutdown,
            "Synchronously save the dataset to disk and then shut down the server", "1.0.0", "O(N)"));

  const std::vector<std::string> kAdmin = {"admin", "slow", "dangerous"};
  CommandSpec config =
      Cmd("config", -2, 0, {"slow"}, 0, 0, 0, nullptr, "A container for server configuration commands",
          "2.0.0", "Depends on subcommand.");
  config.subcommands = {
      Cmd("get", -3, kAdminCmd, kAdmin, 0, 0, 0, ConfigGet, "Get the values of configuration parameters",
          "2.0.0", "O(N)"),
      Cmd("set", -4, kAdminCmd, kAdmin, 0, 0, 0, ConfigSet,
          "Set configuration parameters to the given values", "2.0.0", "O(N)"),
      Cmd("resetstat", 2, kAdminCmd, kAdmin, 0, 0, 0, ConfigResetStat, "Reset the stats returned by INFO",
          "2.0.0", "O(1)"),
      Cmd("rewrite", 2, kAdminCmd, kAdmin, 0, 0, 0, ConfigRewrite,
          "Rewrite the configuration file with the in memory configuration", "2.8.0", "O(1)"),
      Cmd("help", 2, kCmdLoading | kCmdStale, {"slow"}, 0, 0, 0, ConfigHelp,
          "Show helpful text about the different subcommands", "5.0.0", "O(1)"),
  };
  t.Add(std::move(config));

  CommandSpec slowlog = Cmd("slowlog", -2, 0, {"slow"}, 0, 0, 0, nullptr, "A container for slow log commands",
                            "2.2.12", "Depends on subcommand.");
  slowlog.subcommands = {
      Cmd("get", -2, kAdminCmd, kAdmin, 0, 0, 0, SlowLogGet, "Get the slow log's entries", "2.2.12",
          "O(N) where N is the number of entries returned"),
      Cmd("len", 2, kAdminCmd, kAdmin, 0, 0, 0, SlowLogLen, "Get the slow log's length", "2.2.12", "O(1)"),
      Cmd("reset", 2, kAdminCmd, kAdmin, 0, 0, 0, SlowLogReset, "Clear all entries from the slow log",
          "2.2.12", "O(N) where N is the number of entries in the slowlog"),
      Cmd("help", 2, kCmdLoading | kCmdStale, {"slow"}, 0, 0, 0, SlowLogHelp,
          "Show helpful text about the different subcommands", "6.2.0", "O(1)"),
  };
  t.Add(std::move(slowlog));
  CommandSpec memory = Cmd("memory", -2, 0, {"slow"}, 0, 0, 0, nullptr,
                           "A container for memory diagnostics commands", "4.0.0", "Depends on subcommand.");
  memory.subcommands = {
      Cmd("usage", -3, kCmdReadonly, {"read", "slow"}, 2, 2, 1, MemoryUsage,
          "Estimate the memory usage of a key", "4.0.0", "O(N) where N is the number of samples."),
      Cmd("help", 2, kCmdLoading | kCmdStale, {"slow"}, 0, 0, 0, MemoryHelp,
          "Show helpful text about the different subcommands", "4.0.0", "O(1)"),
  };
  t.Add(std::move(memory));
}

}  // namespace latchkey
