// ACL and its subcommands: SETUSER, GETUSER, DELUSER, LIST, USERS, WHOAMI, CAT, LOG, DRYRUN, GENPASS,
// LOAD, SAVE, HELP. Users live in ServerState::acl (server/acl.h); replies follow Redis 7.0's.
#include <algorithm>
#include <string>
#include <vector>

#include "server/command_context.h"
#include "storage/numbers.h"
#include "storage/secrets.h"

namespace latchkey {
namespace {

void SetUser(CommandContext& ctx) {
  std::vector<std::string_view> rules;
  for (size_t j = 3; j < ctx.argc(); ++j) rules.push_back(ctx.arg(j));
  if (auto error = ctx.server.acl.SetUser(ctx.arg(2), rules)) return ctx.reply.Error(*error);
  ctx.reply.Ok();
}

void BulkStrings(CommandContext& ctx, const std::vector<std::string>& items) {
  ctx.reply.Array(items.size());
  for (const std::string& s : items) ctx.reply.Bulk(s);
}

void GetUser(CommandContext& ctx) {
  auto user = ctx.server.acl.Find(ctx.arg(2));
  if (user == nullptr) return ctx.reply.Null();
  ctx.reply.Map(6);
  ctx.reply.Bulk("flags");
  BulkStrings(ctx, user->Flags());
  ctx.reply.Bulk("passwords");
  BulkStrings(ctx, user->PasswordHexes());
  ctx.reply.Bulk("commands");
  ctx.reply.Bulk(user->CommandRules());
  ctx.reply.Bulk("keys");
  ctx.reply.Bulk(user->KeyRules());
  ctx.reply.Bulk("channels");
  ctx.reply.Bulk(user->ChannelRules());
  ctx.reply.Bulk("selectors");
  ctx.reply.Array(0);
}

void DelUser(CommandContext& ctx) {
  for (size_t j = 2; j < ctx.argc(); ++j) {
    if (ctx.arg(j) == "default") return ctx.reply.Error("ERR The 'default' user cannot be removed");
  }
  int64_t deleted = 0;
  for (size_t j = 2; j < ctx.argc(); ++j) {
    if (!ctx.server.acl.DelUser(ctx.arg(j))) continue;
    ++deleted;
    // Its connections lose every permission now, as Redis disconnects them.
    for (const auto& client : ctx.server.clients.Snapshot()) {
      if (client->user() != ctx.arg(j)) continue;
      if (client.get() == ctx.session.info) {
        ctx.session.close_after_reply = true;
      } else if (client->kill) {
        client->kill();
      }
    }
  }
  ctx.reply.Integer(deleted);
}

void List(CommandContext& ctx) {
  auto users = ctx.server.acl.Users();
  ctx.reply.Array(users.size());
  for (const auto& user : users) ctx.reply.Bulk(user->Describe());
}

void Users(CommandContext& ctx) {
  auto users = ctx.server.acl.Users();
  ctx.reply.Array(users.size());
  for (const auto& user : users) ctx.reply.Bulk(user->name());
}

void WhoAmI(CommandContext& ctx) {
  ctx.reply.Bulk(ctx.session.user != nullptr ? ctx.session.user->name() : "default");
}

void Cat(CommandContext& ctx) {
  const auto& categories = AclUser::Categories();
  if (ctx.argc() == 2) return BulkStrings(ctx, categories);
  std::string category(ctx.arg(2));
  for (char& c : category) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (std::find(categories.begin(), categories.end(), category) == categories.end()) {
    return ctx.reply.Error("ERR Unknown category '" + std::string(ctx.arg(2)) + "'");
  }
  std::vector<std::string> names;
  auto in = [&](const CommandSpec& spec) {
    if (std::find(spec.acl_categories.begin(), spec.acl_categories.end(), category) !=
        spec.acl_categories.end())
      names.push_back(spec.fullname);
  };
  for (const auto& spec : ctx.server.commands.all()) {
    in(*spec);
    for (const CommandSpec& sub : spec->subcommands) in(sub);
  }
  BulkStrings(ctx, names);
}

void Log(CommandContext& ctx) {
  size_t count = 10;
  if (ctx.argc() == 3) {
    if (EqualsIgnoreCase(ctx.arg(2), "reset")) {
      ctx.server.acl_log.Reset();
      return ctx.reply.Ok();
    }
    int64_t n = 0;
    if (!ParseInt64(ctx.arg(2), &n) || n < 0) {
      return ctx.reply.Error("ERR value is out of range, must be positive");
    }
    count = static_cast<size_t>(n);
  } else if (ctx.argc() > 3) {
    return ctx.ReplySyntaxError();
  }
  const auto entries = ctx.server.acl_log.Recent(count);
  ctx.reply.Array(entries.size());
  for (const auto& e : entries) {
    ctx.reply.Map(7);
    ctx.reply.Bulk("count");
    ctx.reply.Integer(static_cast<int64_t>(e.count));
    ctx.reply.Bulk("reason");
    ctx.reply.Bulk(e.reason);
    ctx.reply.Bulk("context");
    ctx.reply.Bulk(e.context);
    ctx.reply.Bulk("object");
    ctx.reply.Bulk(e.object);
    ctx.reply.Bulk("username");
    ctx.reply.Bulk(e.username);
    ctx.reply.Bulk("age-seconds");
    ctx.reply.Double(static_cast<double>(ctx.now_ms - e.created_ms) / 1000.0);
    ctx.reply.Bulk("client-info");
    ctx.reply.Bulk(e.client_info);
  }
}

void DryRun(CommandContext& ctx) {
  auto user = ctx.server.acl.Find(ctx.arg(2));
  if (user == nullptr) return ctx.reply.Error("ERR User '" + std::string(ctx.arg(2)) + "' not found");
  std::vector<std::string_view> args;
  for (size_t j = 3; j < ctx.argc(); ++j) args.push_back(ctx.arg(j));
  const CommandSpec* spec = ctx.server.commands.Find(args[0]);
  if (spec != nullptr && !spec->subcommands.empty() && args.size() >= 2) {
    spec = CommandTable::FindSub(*spec, args[1]);
  }
  if (spec == nullptr) return ctx.reply.Error("ERR Command '" + std::string(args[0]) + "' not found");
  if (!spec->ArityOk(args.size())) {
    return ctx.reply.Error("ERR wrong number of arguments for '" + spec->fullname + "' command");
  }
  const AclUser::Verdict v = user->Check(*spec, args);
  switch (v.denied) {
    case AclUser::Denied::kNone:
      return ctx.reply.Ok();
    case AclUser::Denied::kCommand:
      return ctx.reply.Bulk("This user has no permissions to run the '" + v.object + "' command");
    case AclUser::Denied::kKey:
      return ctx.reply.Bulk("This user has no permissions to access the '" + v.object + "' key");
    case AclUser::Denied::kChannel:
      return ctx.reply.Bulk("This user has no permissions to access the '" + v.object + "' channel");
  }
}

void GenPass(CommandContext& ctx) {
  int64_t bits = 256;
  if (ctx.argc() == 3 && (!ParseInt64(ctx.arg(2), &bits) || bits <= 0 || bits > 4096)) {
    return ctx.reply.Error(
        "ERR ACL GENPASS argument must be the number of bits for the output password, a "
        "positive number up to 4096");
  }
  const size_t chars = static_cast<size_t>((bits + 3) / 4);
  std::string hex = EncodeHex(RandomBytes((chars + 1) / 2));
  hex.resize(chars);
  ctx.reply.Bulk(hex);
}

void NoAclFile(CommandContext& ctx) {
  ctx.reply.Error(
      "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the "
      "ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file "
      "set) in order to store users in the Redis configuration.");
}

void Help(CommandContext& ctx) {
  static constexpr const char* kLines[] = {
      "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CAT [<category>]",
      "    List all commands that belong to <category>, or all command categories",
      "    when no category is specified.",
      "DELUSER <username> [<username> ...]",
      "    Delete a list of users.",
      "DRYRUN <username> <command> [<arg> ...]",
      "    Returns whether the user can execute the given command without executing the command.",
      "GETUSER <username>",
      "    Get the user's details.",
      "GENPASS [<bits>]",
      "    Generate a secure 256-bit user password. The optional `bits` argument can",
      "    be used to specify a different size.",
      "LIST",
      "    Show users details in config file format.",
      "LOG [<count> | RESET]",
      "    Show the ACL log entries.",
      "SETUSER <username> <attribute> [<attribute> ...]",
      "    Create or modify a user with the specified attributes.",
      "USERS",
      "    List all the registered usernames.",
      "WHOAMI",
      "    Return the current connection username.",
      "HELP",
      "    Print this help.",
  };
  ctx.ReplyHelp(kLines);
}

}  // namespace

void RegisterAclCommands(CommandTable& t) {
  CommandGroup Cmd{"server"};
  const std::vector<std::string> kAdmin = {"admin", "slow", "dangerous"};
  const uint32_t kAdminFlags = kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale;
  const uint32_t kInfoFlags = kCmdNoScript | kCmdLoading | kCmdStale;
  CommandSpec acl = Cmd("acl", -2, 0, {"slow"}, 0, 0, 0, nullptr,
                        "A container for Access List Control commands", "6.0.0", "Depends on subcommand.");
  acl.subcommands = {
      Cmd("setuser", -3, kAdminFlags, kAdmin, 0, 0, 0, SetUser,
          "Modify or create the rules for a specific ACL user", "6.0.0",
          "O(N). Where N is the number of rules provided."),
      Cmd("getuser", 3, kAdminFlags, kAdmin, 0, 0, 0, GetUser, "Get the rules for a specific ACL user",
          "6.0.0", "O(N). Where N is the number of password, command and pattern rules that the user has."),
      Cmd("deluser", -3, kAdminFlags, kAdmin, 0, 0, 0, DelUser,
          "Remove the specified ACL users and the associated rules", "6.0.0",
          "O(1) amortized time considering the typical user."),
      Cmd("list", 2, kAdminFlags, kAdmin, 0, 0, 0, List,
          "List the current ACL rules in ACL config file format", "6.0.0",
          "O(N). Where N is the number of configured users."),
      Cmd("users", 2, kAdminFlags, kAdmin, 0, 0, 0, Users,
          "List the username of all the configured ACL rules", "6.0.0",
          "O(N). Where N is the number of configured users."),
      Cmd("whoami", 2, kInfoFlags, {"slow"}, 0, 0, 0, WhoAmI,
          "Return the name of the user associated to the current connection", "6.0.0", "O(1)"),
      Cmd("cat", -2, kInfoFlags, {"slow"}, 0, 0, 0, Cat,
          "List the ACL categories or the commands inside a category", "6.0.0",
          "O(1) since the categories and "
          "commands are a fixed set."),
      Cmd("log", -2, kAdminFlags, kAdmin, 0, 0, 0, Log, "List latest events denied because of ACLs in place",
          "6.0.0", "O(N) with N being the number of entries shown."),
      Cmd("dryrun", -4, kAdminFlags, kAdmin, 0, 0, 0, DryRun,
          "Returns whether the user can execute the given command without executing the command.", "7.0.0",
          "O(1)."),
      Cmd("genpass", -2, kInfoFlags, {"slow"}, 0, 0, 0, GenPass,
          "Generate a pseudorandom secure password to use for ACL users", "6.0.0", "O(1)"),
      Cmd("load", 2, kAdminFlags, kAdmin, 0, 0, 0, NoAclFile, "Reload the ACLs from the configured ACL file",
          "6.0.0", "O(N). Where N is the number of configured users."),
      Cmd("save", 2, kAdminFlags, kAdmin, 0, 0, 0, NoAclFile,
          "Save the current ACL rules in the configured ACL file", "6.0.0",
          "O(N). Where N is the number of configured users."),
      Cmd("help", 2, kCmdLoading | kCmdStale, {"slow"}, 0, 0, 0, Help,
          "Show helpful text about the different subcommands", "6.0.0", "O(1)"),
  };
  t.Add(std::move(acl));
}

}  // namespace latchkey
