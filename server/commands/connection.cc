// Connection commands: PING, ECHO, AUTH, HELLO, SELECT, QUIT, RESET and CLIENT's subcommands.
// CLIENT LIST/INFO formatting lives in client_list.cc.
#include "server/auth.h"
#include "server/command_context.h"
#include "server/commands/client_list.h"
#include "storage/numbers.h"

namespace latchkey {
namespace {

void Ping(CommandContext& ctx) {
  if (ctx.argc() > 2) return ctx.ReplyArityError();
  if (ctx.session.protocol == 2 && ctx.session.subscriptions.count() > 0) {
    // A RESP2 subscriber reads only arrays, so Redis answers it with one.
    ctx.reply.Array(2);
    ctx.reply.Bulk("pong");
    return ctx.reply.Bulk(ctx.argc() == 2 ? ctx.arg(1) : "");
  }
  ctx.argc() == 2 ? ctx.reply.Bulk(ctx.arg(1)) : ctx.reply.Simple("PONG");
}

void Echo(CommandContext& ctx) {
  ctx.reply.Bulk(ctx.arg(1));
}

void Auth(CommandContext& ctx) {
  if (ctx.argc() > 3) return ctx.ReplySyntaxError();
  if (ctx.argc() == 2 && ctx.server.acl.DefaultLogsInAutomatically()) {
    return ctx.reply.Error(
        "ERR AUTH <password> called without any password configured for the default user. Are you sure "
        "your configuration is correct?");
  }
  std::string_view user = ctx.argc() == 3 ? ctx.arg(1) : "default";
  if (!LogIn(ctx, user, ctx.arg(ctx.argc() - 1))) return ctx.reply.Error(kWrongPass);
  ctx.reply.Ok();
}

// Redis's rule for client names: printable ASCII without spaces. Empty clears the name.
bool ValidClientName(std::string_view name) {
  for (char c : name) {
    if (c < '!' || c > '~') return false;
  }
  return true;
}

bool SetClientName(CommandContext& ctx, std::string_view name) {
  if (!ValidClientName(name)) {
    ctx.reply.Error("ERR Client names cannot contain spaces, newlines or special characters.");
    return false;
  }
  ctx.session.info->set_name(std::string(name));
  return true;
}

void Hello(CommandContext& ctx) {
  int64_t version = 0;
  size_t next = 1;
  if (ctx.argc() >= 2) {
    if (!ParseInt64(ctx.arg(1), &version)) {
      return ctx.reply.Error("ERR Protocol version is not an integer or out of range");
    }
    if (version < 2 || version > 3) return ctx.reply.Error("NOPROTO unsupported protocol version");
    next = 2;
  }
  std::string_view user, password;
  bool has_auth = false;
  for (size_t j = next; j < ctx.argc(); ++j) {
    const size_t more = ctx.argc() - 1 - j;
    if (EqualsIgnoreCase(ctx.arg(j), "auth") && more >= 2) {
      has_auth = true;
      user = ctx.arg(j + 1);
      password = ctx.arg(j + 2);
      j += 2;
    } else if (EqualsIgnoreCase(ctx.arg(j), "setname") && more >= 1) {
      // Redis 7.0 names the client while parsing, before a later bad option or failed AUTH.
      if (!SetClientName(ctx, ctx.arg(++j))) return;
    } else {
      return ctx.reply.Error("ERR Syntax error in HELLO option '" + std::string(ctx.arg(j)) + "'");
    }
  }
  if (has_auth) {
    if (!LogIn(ctx, user, password)) return ctx.reply.Error(kWrongPass);
  }
  if (!ctx.session.authenticated) {
    return ctx.reply.Error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> "
        "AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol "
        "version at the same time");
  }
  if (version != 0) {
    ctx.session.protocol = static_cast<int>(version);
    ctx.session.info->resp = ctx.session.protocol;
    ctx.reply.set_protocol(ctx.session.protocol);
  }
  ctx.reply.Map(7);
  ctx.reply.Bulk("server");
  ctx.reply.Bulk("latchkey");
  ctx.reply.Bulk("version");
  ctx.reply.Bulk(kRedisCompatVersion);
  ctx.reply.Bulk("proto");
  ctx.reply.Integer(ctx.session.protocol);
  ctx.reply.Bulk("id");
  ctx.reply.Integer(static_cast<int64_t>(ctx.session.info->id));
  ctx.reply.Bulk("mode");
  ctx.reply.Bulk("standalone");
  ctx.reply.Bulk("role");
  ctx.reply.Bulk("master");
  ctx.reply.Bulk("modules");
  ctx.reply.Array(0);
}

void Select(CommandContext& ctx) {
  int64_t index = 0;
  if (!ctx.IntArg(1, &index)) return;
  if (index < INT32_MIN || index > INT32_MAX) {
    return ctx.reply.Error("ERR value is out of range, value must between -2147483648 and 2147483647");
  }
  if (index < 0 || index >= ctx.server.keyspace.num_databases()) {
    return ctx.reply.Error("ERR DB index is out of range");
  }
  ctx.session.db = static_cast<int>(index);
  ctx.session.info->db = ctx.session.db;
  ctx.reply.Ok();
}

void Quit(CommandContext& ctx) {
  ctx.reply.Ok();
  ctx.session.close_after_reply = true;
}

void Reset(CommandContext& ctx) {
  EndTransaction(ctx.server, ctx.session);
  DropSubscriptions(ctx.server, ctx.session);
  StopMonitoring(ctx.server, ctx.session);
  ctx.session.db = 0;
  ctx.session.info->db = 0;
  ctx.session.protocol = 2;
  ctx.session.info->resp = 2;
  ctx.reply.set_protocol(2);
  ctx.session.replies_off = false;
  ctx.session.skip_next = false;
  ctx.session.info->set_name("");
  ResetLogin(ctx.server, ctx.session);
  ctx.reply.Simple("RESET");
}

void ClientId(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.session.info->id));
}

void ClientSetName(CommandContext& ctx) {
  if (SetClientName(ctx, ctx.arg(2))) ctx.reply.Ok();
}

void ClientGetName(CommandContext& ctx) {
  std::string name = ctx.session.info->name();
  name.empty() ? ctx.reply.Null() : ctx.reply.Bulk(name);
}

void ClientSetInfo(CommandContext& ctx) {
  std::string_view attr = ctx.arg(2);
  std::string_view value = ctx.arg(3);
  const bool is_name = EqualsIgnoreCase(attr, "lib-name");
  if (!is_name && !EqualsIgnoreCase(attr, "lib-ver")) {
    return ctx.reply.Error("ERR Unrecognized option '" + std::string(attr) + "'");
  }
  for (char c : value) {
    if (c < '!' || c > '~') {
      return ctx.reply.Error("ERR " + std::string(is_name ? "lib-name" : "lib-ver") +
                             " cannot contain spaces, newlines or special characters.");
    }
  }
  is_name ? ctx.session.info->set_lib(std::string(value), "")
          : ctx.session.info->set_lib("", std::string(value));
  ctx.reply.Ok();
}

void ClientNoEvict(CommandContext& ctx) {
  if (!EqualsIgnoreCase(ctx.arg(2), "on") && !EqualsIgnoreCase(ctx.arg(2), "off")) {
    return ctx.ReplySyntaxError();
  }
  ctx.reply.Ok();
}

void ClientReply(CommandContext& ctx) {
  std::string_view mode = ctx.arg(2);
  if (EqualsIgnoreCase(mode, "on")) {
    ctx.session.replies_off = false;
    ctx.reply.Ok();
  } else if (EqualsIgnoreCase(mode, "off")) {
    ctx.session.replies_off = true;
  } else if (EqualsIgnoreCase(mode, "skip")) {
    if (!ctx.session.replies_off) ctx.session.skip_next = true;
  } else {
    ctx.ReplySyntaxError();
  }
}

void ClientHelp(CommandContext& ctx) {
  static const char* kLines[] = {"CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                                 "ID",
                                 "    Return the ID of the current connection.",
                                 "GETNAME",
                                 "    Return the name of the current connection.",
                                 "SETNAME <name>",
                                 "    Assign the name <name> to the current connection.",
                                 "SETINFO <LIB-NAME|LIB-VER> <value>",
                                 "    Record the client library's name or version.",
                                 "INFO",
                                 "    Return information about the current connection.",
                                 "LIST [TYPE <normal|pubsub>] [ID <id> [<id> ...]]",
                                 "    Return information about connections.",
                                 "KILL <ip:port> | <ID|ADDR|LADDR|SKIPME|MAXAGE|TYPE|USER> <value> ...",
                                 "    Close connections.",
                                 "REPLY <ON|OFF|SKIP>",
                                 "    Control the replies sent to the current connection.",
                                 "NO-EVICT <ON|OFF>",
                                 "    Accepted for compatibility.",
                                 "HELP",
                                 "    Print this help."};
  ctx.ReplyHelp(kLines);
}

}  // namespace

void RegisterConnectionCommands(CommandTable& t) {
  const CommandGroup Cmd{"connection"};
  const uint32_t kAnytime = kCmdNoAuth | kCmdLoading | kCmdStale | kCmdFast;
  t.Add(Cmd("ping", -1, kCmdFast | kCmdSentinel, {"fast", "connection"}, 0, 0, 0, Ping, "Ping the server",
            "1.0.0", "O(1)"));
  t.Add(Cmd("echo", 2, kCmdFast, {"fast", "connection"}, 0, 0, 0, Echo, "Echo the given string", "1.0.0",
            "O(1)"));
  t.Add(Cmd("auth", -2, kAnytime | kCmdNoScript, {"fast", "connection"}, 0, 0, 0, Auth,
            "Authenticate to the server", "1.0.0",
            "O(N) where N is the number of passwords defined for the user"));
  t.Add(Cmd("hello", -1, kAnytime | kCmdNoScript, {"fast", "connection"}, 0, 0, 0, Hello,
            "Handshake with Redis", "6.0.0", "O(1)"));
  t.Add(Cmd("select", 2, kCmdLoading | kCmdStale | kCmdFast, {"fast", "connection"}, 0, 0, 0, Select,
            "Change the selected database for the current connection", "1.0.0", "O(1)"));
  t.Add(Cmd("quit", -1, kAnytime | kCmdAllowBusy, {"fast", "connection"}, 0, 0, 0, Quit,
            "Close the connection", "1.0.0", "O(1)"));
  t.Add(Cmd("reset", 1, kAnytime | kCmdNoScript, {"fast", "connection"}, 0, 0, 0, Reset,
            "Reset the connection", "6.2.0", "O(1)"));

  const std::vector<std::string> kSlow = {"slow", "connection"};
  const std::vector<std::string> kAdmin = {"admin", "slow", "dangerous", "connection"};
  CommandSpec client = Cmd("client", -2, kCmdSentinel, {"slow"}, 0, 0, 0, nullptr,
                           "A container for client connection commands", "2.4.0", "Depends on subcommand.");
  client.subcommands = {
      Cmd("id", 2, kCmdNoScript | kCmdLoading | kCmdStale, kSlow, 0, 0, 0, ClientId,
          "Returns the client ID for the current connection", "5.0.0", "O(1)"),
      Cmd("setname", 3, kCmdNoScript | kCmdLoading | kCmdStale, kSlow, 0, 0, 0, ClientSetName,
          "Set the current connection name", "2.6.9", "O(1)"),
      Cmd("getname", 2, kCmdNoScript | kCmdLoading | kCmdStale, kSlow, 0, 0, 0, ClientGetName,
          "Get the current connection name", "2.6.9", "O(1)"),
      Cmd("setinfo", 4, kCmdNoScript | kCmdLoading | kCmdStale, kSlow, 0, 0, 0, ClientSetInfo,
          "Set client or connection specific info", "7.2.0", "O(1)"),
      Cmd("info", 2, kCmdNoScript | kCmdLoading | kCmdStale, kSlow, 0, 0, 0, ClientInfoCommand,
          "Returns information about the current client connection.", "6.2.0", "O(1)"),
      Cmd("list", -2, kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale, kAdmin, 0, 0, 0, ClientListCommand,
          "Get the list of client connections", "2.4.0", "O(N) where N is the number of client connections"),
      Cmd("kill", -3, kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale, kAdmin, 0, 0, 0, ClientKillCommand,
          "Kill the connection of a client", "2.4.0", "O(N) where N is the number of client connections"),
      Cmd("no-evict", 3, kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale, kAdmin, 0, 0, 0, ClientNoEvict,
          "Set client eviction mode for the current connection", "7.0.0", "O(1)"),
      Cmd("reply", 3, kCmdNoScript | kCmdLoading | kCmdStale, kSlow, 0, 0, 0, ClientReply,
          "Instruct the server whether to reply to commands", "3.2.0", "O(1)"),
      Cmd("help", 2, kCmdLoading | kCmdStale, kSlow, 0, 0, 0, ClientHelp,
          "Show helpful text about the different subcommands", "5.0.0", "O(1)"),
  };
  t.Add(std::move(client));
}

}  // namespace latchkey
