// COMMAND and its subcommands (COUNT, INFO, DOCS, LIST, HELP), answered from the command table.
// redis-cli 7 reads COMMAND DOCS at start for its hints.
#include <utility>

#include "server/command_context.h"
#include "storage/glob.h"

namespace latchkey {
namespace {

constexpr std::pair<uint32_t, const char*> kFlagNames[] = {
    {kCmdWrite, "write"},      {kCmdReadonly, "readonly"},    {kCmdDenyOom, "denyoom"},
    {kCmdAdmin, "admin"},      {kCmdPubSub, "pubsub"},        {kCmdNoScript, "noscript"},
    {kCmdLoading, "loading"},  {kCmdStale, "stale"},          {kCmdSkipMonitor, "skip_monitor"},
    {kCmdFast, "fast"},        {kCmdNoAuth, "no_auth"},       {kCmdSentinel, "sentinel"},
    {kCmdNoMulti, "no_multi"}, {kCmdAllowBusy, "allow_busy"},
};

void WriteInfo(ReplyWriter& r, const CommandSpec& c) {
  r.Array(10);
  r.Bulk(c.fullname);
  r.Integer(c.arity);
  size_t flags = 0;
  for (auto [bit, name] : kFlagNames) flags += (c.flags & bit) ? 1 : 0;
  r.Set(flags);
  for (auto [bit, name] : kFlagNames) {
    if (c.flags & bit) r.Simple(name);
  }
  r.Integer(c.first_key);
  r.Integer(c.last_key);
  r.Integer(c.key_step);
  r.Set(c.acl_categories.size());
  for (const auto& cat : c.acl_categories) r.Simple("@" + cat);
  r.Array(0);  // tips
  r.Array(0);  // key specifications
  r.Array(c.subcommands.size());
  for (const auto& sub : c.subcommands) WriteInfo(r, sub);
}

void WriteDocs(ReplyWriter& r, const CommandSpec& c) {
  const bool has_subs = !c.subcommands.empty();
  r.Map(4 + (has_subs ? 1 : 0));
  r.Bulk("summary");
  r.Bulk(c.summary);
  r.Bulk("since");
  r.Bulk(c.since);
  r.Bulk("group");
  r.Bulk(c.group);
  r.Bulk("complexity");
  r.Bulk(c.complexity);
  if (has_subs) {
    r.Bulk("subcommands");
    r.Map(c.subcommands.size());
    for (const auto& sub : c.subcommands) {
      r.Bulk(sub.fullname);
      WriteDocs(r, sub);
    }
  }
}

// Finds "get" or "client|setname" style names.
const CommandSpec* FindByFullName(const CommandTable& table, std::string_view name) {
  size_t bar = name.find('|');
  const CommandSpec* c = table.Find(name.substr(0, bar));
  if (c == nullptr || bar == std::string_view::npos) return c;
  return CommandTable::FindSub(*c, name.substr(bar + 1));
}

void Command(CommandContext& ctx) {
  const auto& all = ctx.server.commands.all();
  ctx.reply.Array(all.size());
  for (const auto& c : all) WriteInfo(ctx.reply, *c);
}

void CommandCount(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.server.commands.all().size()));
}

void CommandInfo(CommandContext& ctx) {
  if (ctx.argc() == 2) return Command(ctx);
  ctx.reply.Array(ctx.argc() - 2);
  for (size_t j = 2; j < ctx.argc(); ++j) {
    const CommandSpec* c = FindByFullName(ctx.server.commands, ctx.arg(j));
    c != nullptr ? WriteInfo(ctx.reply, *c) : ctx.reply.NullArray();
  }
}

void CommandDocs(CommandContext& ctx) {
  std::vector<const CommandSpec*> chosen;
  if (ctx.argc() == 2) {
    for (const auto& c : ctx.server.commands.all()) chosen.push_back(c.get());
  } else {
    for (size_t j = 2; j < ctx.argc(); ++j) {
      if (const CommandSpec* c = FindByFullName(ctx.server.commands, ctx.arg(j))) chosen.push_back(c);
    }
  }
  ctx.reply.Map(chosen.size());
  for (const CommandSpec* c : chosen) {
    ctx.reply.Bulk(c->fullname);
    WriteDocs(ctx.reply, *c);
  }
}

void CommandList(CommandContext& ctx) {
  std::string_view filter, value;
  if (ctx.argc() == 5 && EqualsIgnoreCase(ctx.arg(2), "filterby")) {
    filter = ctx.arg(3);
    value = ctx.arg(4);
    if (!EqualsIgnoreCase(filter, "module") && !EqualsIgnoreCase(filter, "aclcat") &&
        !EqualsIgnoreCase(filter, "pattern")) {
      return ctx.ReplySyntaxError();
    }
  } else if (ctx.argc() != 2) {
    return ctx.ReplySyntaxError();
  }
  std::vector<std::string_view> names;
  auto consider = [&](const CommandSpec& c) {
    if (EqualsIgnoreCase(filter, "module")) return;  // no modules
    if (EqualsIgnoreCase(filter, "aclcat")) {
      bool in = false;
      for (const auto& cat : c.acl_categories) in = in || EqualsIgnoreCase(cat, value);
      if (!in) return;
    }
    if (EqualsIgnoreCase(filter, "pattern") && !GlobMatch(value, c.fullname, true)) return;
    names.push_back(c.fullname);
  };
  for (const auto& c : ctx.server.commands.all()) {
    consider(*c);
    for (const auto& sub : c->subcommands) consider(sub);
  }
  ctx.reply.Array(names.size());
  for (auto n : names) ctx.reply.Bulk(n);
}

void CommandHelp(CommandContext& ctx) {
  static const char* kLines[] = {"COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                                 "(no subcommand)",
                                 "    Return details about all commands.",
                                 "COUNT",
                                 "    Return the total number of commands.",
                                 "INFO [<command-name> ...]",
                                 "    Return details about the named commands (or all).",
                                 "DOCS [<command-name> ...]",
                                 "    Return documentation about the named commands (or all).",
                                 "LIST [FILTERBY (MODULE <name>|ACLCAT <category>|PATTERN <pattern>)]",
                                 "    Return command names.",
                                 "HELP",
                                 "    Print this help."};
  ctx.ReplyHelp(kLines);
}

// COMMAND with no subcommand lists everything; with one, Dispatch routes to the subcommand.
void CommandContainer(CommandContext& ctx) {
  Command(ctx);
}

}  // namespace

void RegisterIntrospectionCommands(CommandTable& t) {
  const CommandGroup Cmd{"server"};
  const uint32_t kAny = kCmdLoading | kCmdStale;
  const std::vector<std::string> kConn = {"slow", "connection"};
  CommandSpec command =
      Cmd("command", -1, kAny, kConn, 0, 0, 0, CommandContainer, "Get array of Redis command details",
          "2.8.13", "O(N) where N is the total number of Redis commands");
  command.subcommands = {
      Cmd("count", 2, kAny, kConn, 0, 0, 0, CommandCount, "Get total number of Redis commands", "2.8.13",
          "O(1)"),
      Cmd("info", -2, kAny, kConn, 0, 0, 0, CommandInfo,
          "Get array of specific Redis command details, or all when no argument is given.", "2.8.13",
          "O(N) where N is the number of commands to look up"),
      Cmd("docs", -2, kAny, kConn, 0, 0, 0, CommandDocs, "Get array of specific Redis command documentation",
          "7.0.0", "O(N) where N is the number of commands to look up"),
      Cmd("list", -2, kAny, kConn, 0, 0, 0, CommandList, "Get an array of Redis command names", "7.0.0",
          "O(N) where N is the total number of Redis commands"),
      Cmd("help", 2, kAny, kConn, 0, 0, 0, CommandHelp, "Show helpful text about the different subcommands",
          "5.0.0", "O(1)"),
  };
  t.Add(std::move(command));
}

}  // namespace latchkey
