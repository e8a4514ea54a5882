// Persistence commands: SAVE, BGSAVE, LASTSAVE (RocksDB checkpoints), and for tests, only with
// enable-debug-command yes, DEBUG DISK-FAIL (fault injection) and DEBUG SET-ACTIVE-EXPIRE 0|1 (pauses
// the active expiry cycle, as Redis's does). INFO persistence is in info.cc.
#include <filesystem>

#include "server/command_context.h"
#include "spdlog/spdlog.h"
#include "storage/clock.h"

namespace latchkey {

// Syncs everything acknowledged so far and hard-links the database into dir/checkpoints/<unix ms>.
// Thread-safe; used by SAVE and BGSAVE.
Status TakeCheckpoint(ServerState& server) {
  const int64_t started = MonotonicUs();
  Status s = server.pipeline->SyncNow();
  if (s.ok()) {
    const std::filesystem::path parent = std::filesystem::path(server.config.dir()) / "checkpoints";
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    const int64_t now = NowMs();
    const std::filesystem::path target = parent / std::to_string(now);
    s = server.store->Checkpoint(target.string());
    // The generated refresh-token key belongs with the data: without it no token of the copy verifies.
    const std::filesystem::path keys = std::filesystem::path(server.config.dir()) / TokenKeyring::kFileName;
    if (s.ok() && std::filesystem::exists(keys, ec)) {
      std::filesystem::copy_file(keys, target / TokenKeyring::kFileName, ec);
      if (ec) s = Status::IoError("cannot copy " + keys.string() + " into the checkpoint: " + ec.message());
    }
    if (s.ok()) {
      server.last_save_ms = now;
      std::lock_guard lock(server.checkpoint_mu);
      server.last_checkpoint = (parent / std::to_string(now)).string();
    }
  }
  server.last_save_ok = s.ok();
  server.last_save_duration_ms = (MonotonicUs() - started) / 1000;
  if (s.ok()) {
    spdlog::info("checkpoint taken in {} ms", server.last_save_duration_ms.load());
  } else {
    spdlog::error("checkpoint failed: {}", s.message());
  }
  return s;
}

namespace {

void Save(CommandContext& ctx) {
  if (ctx.server.bgsave_in_progress) return ctx.reply.Error("ERR Background save already in progress");
  Status s = TakeCheckpoint(ctx.server);
  s.ok() ? ctx.reply.Ok() : ctx.reply.Error("ERR " + s.message());
}

void BgSave(CommandContext& ctx) {
  for (size_t j = 1; j < ctx.argc(); ++j) {
    if (!EqualsIgnoreCase(ctx.arg(j), "schedule")) return ctx.ReplySyntaxError();
  }
  if (ctx.server.bgsave_in_progress.exchange(true)) {
    return ctx.reply.Error("ERR Background save already in progress");
  }
  std::lock_guard lock(ctx.server.bgsave_mu);
  if (ctx.server.bgsave_thread.joinable()) ctx.server.bgsave_thread.join();
  ServerState* server = &ctx.server;
  ctx.server.bgsave_thread = std::thread([server] {
    TakeCheckpoint(*server);
    server->bgsave_in_progress = false;
  });
  ctx.reply.Simple("Background saving started");
}

void LastSave(CommandContext& ctx) {
  ctx.reply.Integer(ctx.server.last_save_ms.load() / 1000);
}

void Debug(CommandContext& ctx) {
  if (!ctx.server.config.enable_debug_command()) {
    return ctx.reply.Error(
        "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run "
        "it from a local connection, otherwise you need to set this option in the configuration file, and "
        "then restart the server.");
  }
  if (ctx.argc() == 3 && EqualsIgnoreCase(ctx.arg(1), "disk-fail")) {
    const bool on = EqualsIgnoreCase(ctx.arg(2), "on");
    if (!on && !EqualsIgnoreCase(ctx.arg(2), "off")) return ctx.ReplySyntaxError();
    ctx.server.store->set_fail_writes(on);
    spdlog::warn("DEBUG DISK-FAIL {}", on ? "on" : "off");
    return ctx.reply.Ok();
  }
  if (ctx.argc() == 3 && EqualsIgnoreCase(ctx.arg(1), "set-active-expire")) {  // as Redis: 0 pauses it
    ctx.server.active_expire_enabled = ctx.arg(2) != "0";
    return ctx.reply.Ok();
  }
  ctx.reply.Error("ERR Unknown DEBUG subcommand or wrong number of arguments for '" +
                  std::string(ctx.arg(1)) + "'");
}

}  // namespace

void RegisterPersistenceCommands(CommandTable& t) {
  const CommandGroup Cmd{"server"};
  const uint32_t kAdminCmd = kCmdAdmin | kCmdNoScript | kCmdNoMulti;
  const std::vector<std::string> kAdmin = {"admin", "slow", "dangerous"};
  t.Add(Cmd("save", 1, kAdminCmd, kAdmin, 0, 0, 0, Save, "Synchronously save the dataset to disk", "1.0.0",
            "O(N) where N is the total number of keys in all databases"));
  t.Add(Cmd("bgsave", -1, kAdminCmd, kAdmin, 0, 0, 0, BgSave, "Asynchronously save the dataset to disk",
            "1.0.0", "O(N) where N is the total number of keys in all databases"));
  t.Add(Cmd("lastsave", 1, kCmdLoading | kCmdStale | kCmdFast, {"admin", "fast", "dangerous"}, 0, 0, 0,
            LastSave, "Get the UNIX time stamp of the last successful save to disk", "1.0.0", "O(1)"));
  t.Add(Cmd("debug", -2, kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale, kAdmin, 0, 0, 0, Debug,
            "A container for debugging commands", "1.0.0", "Depends on subcommand."));
}

}  // namespace latchkey
