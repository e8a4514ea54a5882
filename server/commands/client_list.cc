#include "server/commands/client_list.h"

#include <algorithm>
#include <vector>

#include "fmt/format.h"
#include "storage/numbers.h"

namespace latchkey {

std::string FormatClient(const ClientInfo& c, int64_t now_ms) {
  const int64_t age = (now_ms - c.created_ms) / 1000;
  const int64_t idle = (now_ms - c.last_interaction_ms.load()) / 1000;
  return fmt::format(
      "id={} addr={} laddr={} fd=0 name={} age={} idle={} flags={} db={} sub={} psub={} ssub=0 multi={} "
      "qbuf={} qbuf-free=0 argv-mem=0 multi-mem=0 obl=0 oll=0 omem={} tot-mem=0 events=r cmd={} "
      "user={} redir=-1 resp={} lib-name={} lib-ver={}",
      c.id, c.addr, c.laddr, c.name(), age, idle < 0 ? 0 : idle, c.flags(), c.db.load(), c.channels.load(),
      c.patterns.load(), c.multi.load(), c.query_buffer.load(), c.output_buffer.load(), c.last_command.load(),
      c.user(), c.resp.load(), c.lib_name(), c.lib_version());
}

namespace {

// CLIENT LIST TYPE / CLIENT KILL TYPE: the class named, as ClientInfo::type() spells it, or "" if
// the name is unknown. Latchkey has no replicas or masters, so those classes are always empty.
std::string_view ClientTypeNamed(std::string_view name) {
  if (EqualsIgnoreCase(name, "normal")) return "normal";
  if (EqualsIgnoreCase(name, "pubsub")) return "pubsub";
  if (EqualsIgnoreCase(name, "master")) return "master";
  if (EqualsIgnoreCase(name, "replica") || EqualsIgnoreCase(name, "slave")) return "replica";
  return "";
}

}  // namespace

void ClientInfoCommand(CommandContext& ctx) {
  ctx.reply.Verbatim(FormatClient(*ctx.session.info, ctx.now_ms) + "\n");
}

void ClientListCommand(CommandContext& ctx) {
  std::vector<uint64_t> ids;
  std::string_view wanted_type;  // empty: every class
  for (size_t j = 2; j < ctx.argc(); ++j) {
    if (EqualsIgnoreCase(ctx.arg(j), "type") && j + 1 < ctx.argc()) {
      std::string_view type = ctx.arg(++j);
      wanted_type = ClientTypeNamed(type);
      if (wanted_type.empty()) return ctx.reply.Error("ERR Unknown client type '" + std::string(type) + "'");
    } else if (EqualsIgnoreCase(ctx.arg(j), "id") && j + 1 < ctx.argc()) {
      for (++j; j < ctx.argc(); ++j) {
        int64_t id = 0;
        if (!ParseInt64(ctx.arg(j), &id) || id <= 0) return ctx.reply.Error("ERR Invalid client ID");
        ids.push_back(static_cast<uint64_t>(id));
      }
    } else {
      return ctx.ReplySyntaxError();
    }
  }
  std::string text;
  for (const auto& c : ctx.server.clients.Snapshot()) {
    if (!ids.empty() && std::find(ids.begin(), ids.end(), c->id) == ids.end()) continue;
    if (!wanted_type.empty() && c->type() != wanted_type) continue;
    text += FormatClient(*c, ctx.now_ms);
    text += '\n';
  }
  ctx.reply.Verbatim(text);
}

void ClientKillCommand(CommandContext& ctx) {
  auto clients = ctx.server.clients.Snapshot();
  if (ctx.argc() == 3) {  // old form: CLIENT KILL ip:port
    for (const auto& c : clients) {
      if (c->addr == ctx.arg(2)) {
        if (c->id == ctx.session.info->id) {
          ctx.session.close_after_reply = true;
        } else {
          c->kill();
        }
        return ctx.reply.Ok();
      }
    }
    return ctx.reply.Error("ERR No such client");
  }
  // New form: filters, all of which must match; SKIPME defaults to yes.
  int64_t id = 0;
  std::string_view addr, laddr, user;
  int64_t max_age = 0;
  bool skip_me = true;
  std::string_view wanted_type;  // empty: every class
  for (size_t j = 2; j < ctx.argc(); j += 2) {
    if (j + 1 >= ctx.argc()) return ctx.ReplySyntaxError();
    std::string_view opt = ctx.arg(j), value = ctx.arg(j + 1);
    if (EqualsIgnoreCase(opt, "id")) {
      if (!ParseInt64(value, &id) || id <= 0)
        return ctx.reply.Error("ERR client-id should be greater than 0");
    } else if (EqualsIgnoreCase(opt, "addr")) {
      addr = value;
    } else if (EqualsIgnoreCase(opt, "laddr")) {
      laddr = value;
    } else if (EqualsIgnoreCase(opt, "user")) {
      user = value;
    } else if (EqualsIgnoreCase(opt, "maxage")) {
      if (!ctx.IntArg(j + 1, &max_age)) return;
    } else if (EqualsIgnoreCase(opt, "type")) {
      wanted_type = ClientTypeNamed(value);
      if (wanted_type.empty()) return ctx.reply.Error("ERR Unknown client type '" + std::string(value) + "'");
    } else if (EqualsIgnoreCase(opt, "skipme")) {
      if (EqualsIgnoreCase(value, "yes"))
        skip_me = true;
      else if (EqualsIgnoreCase(value, "no"))
        skip_me = false;
      else
        return ctx.ReplySyntaxError();
    } else {
      return ctx.ReplySyntaxError();
    }
  }
  int64_t killed = 0;
  for (const auto& c : clients) {
    if (id != 0 && c->id != static_cast<uint64_t>(id)) continue;
    if (!addr.empty() && c->addr != addr) continue;
    if (!laddr.empty() && c->laddr != laddr) continue;
    if (!user.empty() && user != "default") continue;
    if (!wanted_type.empty() && c->type() != wanted_type) continue;
    if (max_age > 0 && (ctx.now_ms - c->created_ms) / 1000 < max_age) continue;
    if (c->id == ctx.session.info->id) {
      if (skip_me) continue;
      ctx.session.close_after_reply = true;
    } else {
      c->kill();
    }
    ++killed;
  }
  ctx.reply.Integer(killed);
}

}  // namespace latchkey
