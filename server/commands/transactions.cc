// Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//
// MULTI only sets a flag: Dispatch queues later commands (copying their arguments) and answers
// +QUEUED, or flags the transaction when a command cannot be queued (EXECABORT at EXEC). EXEC runs the
// queue inside one TransactionScope: every shard the queued commands name is locked up front, so no
// other client sees or interleaves with a half-run transaction, and every write gets one sequence
// number, so RocksDB receives all of them in one batch or none.
#include <string>
#include <vector>

#include "server/command_context.h"
#include "server/dispatcher.h"
#include "storage/key_watch.h"
#include "storage/transaction_scope.h"

namespace latchkey {
namespace {

// Commands without keys that never touch the keyspace: a transaction made only of these and of keyed
// commands locks just the named keys' shards. Any other keyless command (FLUSHALL, SCAN, DBSIZE,
// INFO, SELECT...) makes EXEC lock every shard of every database.
bool KeyspaceFree(const CommandSpec& spec) {
  static const char* const kNames[] = {"ping",     "echo",    "time",    "publish", "pubsub", "client",
                                       "config",   "command", "slowlog", "latency", "hello",  "auth",
                                       "lastsave", "multi",   "discard", "unwatch"};
  const std::string& name = spec.parent != nullptr ? spec.parent->name : spec.name;
  for (const char* n : kNames) {
    if (name == n) return true;
  }
  // Domain commands (SESSION.* ...) use their own stores, never the keyspace.
  for (const std::string& category : spec.acl_categories) {
    if (category == "lk-issue" || category == "lk-verify") return true;
  }
  return false;
}

// The (database, key) pairs a transaction touches; sets *all when they cannot be known in advance.
std::vector<TransactionScope::NamedKey> TransactionKeys(
    const CommandTable& table, const Session& session,
    const std::vector<std::vector<std::string_view>>& queue, bool* all) {
  std::vector<TransactionScope::NamedKey> keys;
  for (const auto& [db, key] : session.txn.watched) keys.emplace_back(db, key);
  *all = false;
  for (const auto& args : queue) {
    const CommandSpec* spec = table.Find(args[0]);
    if (spec != nullptr && !spec->subcommands.empty() && args.size() >= 2) {
      spec = CommandTable::FindSub(*spec, args[1]);
    }
    if (spec == nullptr) continue;  // answered with an error when run
    if (spec->first_key == 0) {
      if (!KeyspaceFree(*spec)) *all = true;
      continue;
    }
    for (std::string_view key : CommandKeys(*spec, args)) keys.emplace_back(session.db, key);
  }
  return keys;
}

void Multi(CommandContext& ctx) {
  if (ctx.session.txn.active) return ctx.reply.Error("ERR MULTI calls can not be nested");
  ctx.session.txn.active = true;
  MirrorSessionState(ctx.session);
  ctx.reply.Ok();
}

void Discard(CommandContext& ctx) {
  if (!ctx.session.txn.active) return ctx.reply.Error("ERR DISCARD without MULTI");
  EndTransaction(ctx.server, ctx.session);
  ctx.reply.Ok();
}

void Exec(CommandContext& ctx) {
  TransactionState& txn = ctx.session.txn;
  if (!txn.active) return ctx.reply.Error("ERR EXEC without MULTI");
  if (txn.aborted) {
    EndTransaction(ctx.server, ctx.session);
    return ctx.reply.Error("EXECABORT Transaction discarded because of previous errors.");
  }
  std::vector<std::vector<std::string>> queued = std::move(txn.queued);
  txn.active = false;
  std::vector<std::vector<std::string_view>> queue;
  for (const auto& command : queued) queue.emplace_back(command.begin(), command.end());
  bool all = false;
  const auto keys = TransactionKeys(ctx.server.commands, ctx.session, queue, &all);
  {
    TransactionScope scope(ctx.server.keyspace, keys, all);
    // A watched key whose deadline passed since WATCH counts as changed, even if nobody touched it.
    for (const auto& [db, key] : txn.watched) ExpireWatchedKey(ctx.server.keyspace.db(db), ctx.now_ms, key);
    if (txn.watch_flag != nullptr && txn.watch_flag->dirty.load(std::memory_order_relaxed)) {
      ctx.reply.NullArray();
    } else {
      ctx.reply.Array(queue.size());
      txn.executing = true;  // permissions are checked again as each runs: they may have changed
      for (const auto& args : queue) Dispatch(ctx.server, ctx.session, ctx.reply, ctx.stats, args);
      txn.executing = false;
    }
  }
  EndTransaction(ctx.server, ctx.session);
}

void Watch(CommandContext& ctx) {
  TransactionState& txn = ctx.session.txn;
  if (txn.active) return ctx.reply.Error("ERR WATCH inside MULTI is not allowed");
  if (txn.watch_flag == nullptr) txn.watch_flag = std::make_shared<WatchFlag>();
  for (size_t i = 1; i < ctx.argc(); ++i) {
    std::string_view key = ctx.arg(i);
    bool already = false;
    for (const auto& [db, watched] : txn.watched) already |= db == ctx.session.db && watched == key;
    if (already) continue;
    WatchKey(ctx.db(), ctx.now_ms, key, txn.watch_flag);
    txn.watched.emplace_back(ctx.session.db, std::string(key));
  }
  ctx.reply.Ok();
}

void UnwatchAll(ServerState& server, TransactionState& txn) {
  if (txn.watch_flag == nullptr) return;
  for (const auto& [db, key] : txn.watched) UnwatchKey(server.keyspace.db(db), key, txn.watch_flag.get());
  txn.watched.clear();
  txn.watch_flag->dirty.store(false, std::memory_order_relaxed);
}

void Unwatch(CommandContext& ctx) {
  UnwatchAll(ctx.server, ctx.session.txn);
  ctx.reply.Ok();
}

}  // namespace

void EndTransaction(ServerState& server, Session& session) {
  TransactionState& txn = session.txn;
  txn.active = false;
  txn.aborted = false;
  txn.queued.clear();
  UnwatchAll(server, txn);
  MirrorSessionState(session);
}

void RegisterTransactionCommands(CommandTable& t) {
  const CommandGroup Cmd{"transactions"};
  const uint32_t kAlways = kCmdNoScript | kCmdLoading | kCmdStale | kCmdAllowBusy;
  t.Add(Cmd("multi", 1, kAlways | kCmdFast, {"fast", "transaction"}, 0, 0, 0, Multi,
            "Mark the start of a transaction block", "1.2.0", "O(1)"));
  t.Add(Cmd("exec", 1, kCmdNoScript | kCmdLoading | kCmdStale, {"slow", "transaction"}, 0, 0, 0, Exec,
            "Execute all commands issued after MULTI", "1.2.0", "Depends on commands in the transaction"));
  t.Add(Cmd("discard", 1, kAlways | kCmdFast, {"fast", "transaction"}, 0, 0, 0, Discard,
            "Discard all commands issued after MULTI", "2.0.0",
            "O(N), when N is the number of queued commands"));
  t.Add(Cmd("watch", -2, kAlways | kCmdFast, {"fast", "transaction"}, 1, -1, 1, Watch,
            "Monitor changes to keys to determine execution of the MULTI/EXEC block", "2.2.0",
            "O(1) for every key."));
  t.Add(Cmd("unwatch", 1, kAlways | kCmdFast, {"fast", "transaction"}, 0, 0, 0, Unwatch,
            "Forget about all watched keys", "2.2.0", "O(1)"));
}

}  // namespace latchkey
