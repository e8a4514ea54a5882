// INFO: the server's state as `# Section` blocks of `field:value` lines, as Redis formats them.
#include <sys/utsname.h>
#include <unistd.h>

#include "fmt/format.h"
#include "server/command_context.h"
#include "server/memory_limit.h"
#include "server/memory_usage.h"
#include "storage/clock.h"
#include "storage/expiry_compaction.h"

namespace latchkey {
namespace {

std::string HumanBytes(uint64_t n) {
  const char* units[] = {"B", "K", "M", "G", "T"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{}B", n) : fmt::format("{:.2f}{}", v, units[u]);
}

using Section = void (*)(CommandContext&, std::string&);

void ServerSection(CommandContext& ctx, std::string& out) {
  struct utsname name {};
  uname(&name);
  const int64_t uptime = (ctx.now_ms - ctx.server.start_ms) / 1000;
  out += fmt::format(
      "redis_version:{}\r\nlatchkey_version:{}\r\nredis_mode:standalone\r\nos:{} {} {}\r\narch_bits:64\r\n"
      "multiplexing_api:epoll\r\nprocess_id:{}\r\nrun_id:{}\r\ntcp_port:{}\r\nserver_time_usec:{}\r\n"
      "uptime_in_seconds:{}\r\nuptime_in_days:{}\r\nhz:{}\r\nconfigured_hz:{}\r\nio_threads_active:{}\r\n",
      kRedisCompatVersion, LATCHKEY_VERSION, name.sysname, name.release, name.machine, getpid(),
      ctx.server.run_id, ctx.server.tcp_port, NowUs(), uptime, uptime / 86400, ctx.server.config.hz(),
      ctx.server.config.hz(), ctx.server.io_threads);
}

void ClientsSection(CommandContext& ctx, std::string& out) {
  out += fmt::format("connected_clients:{}\r\nmaxclients:{}\r\nblocked_clients:0\r\n",
                     ctx.server.clients.size(), ctx.server.config.maxclients());
}

void MemorySection(CommandContext& ctx, std::string& out) {
  const uint64_t used = UsedMemory();
  const uint64_t counted = RefreshMemoryForLimit(ctx.server);
  const uint64_t rss = ResidentMemory();
  const uint64_t max = ctx.server.config.maxmemory();
  out += fmt::format(
      "used_memory:{}\r\nused_memory_human:{}\r\nused_memory_rss:{}\r\nused_memory_rss_human:{}\r\n"
      "used_memory_for_maxmemory:{}\r\nmaxmemory:{}\r\nmaxmemory_human:{}\r\nmaxmemory_policy:{}\r\n"
      "mem_allocator:libc\r\n",
      used, HumanBytes(used), rss, HumanBytes(rss), counted, max, HumanBytes(max),
      ctx.server.config.Find("maxmemory-policy")->get());
}

void PersistenceSection(CommandContext& ctx, std::string& out) {
  ServerState& server = ctx.server;
  std::string checkpoint;
  {
    std::lock_guard lock(server.checkpoint_mu);
    checkpoint = server.last_checkpoint;
  }
  out += fmt::format(
      "loading:0\r\nloading_loaded_keys:{}\r\nloading_expired_dropped:{}\r\nloading_time_ms:{}\r\n"
      "rdb_bgsave_in_progress:{}\r\nrdb_last_save_time:{}\r\nrdb_last_bgsave_status:{}\r\n"
      "rdb_last_bgsave_time_ms:{}\r\nlast_checkpoint:{}\r\nfsync:{}\r\n",
      server.load_stats.keys_loaded, server.load_stats.expired_skipped, server.load_stats.duration_ms,
      server.bgsave_in_progress ? 1 : 0, server.last_save_ms.load() / 1000,
      server.last_save_ok ? "ok" : "err", server.last_save_duration_ms.load(), checkpoint,
      server.config.fsync());
  if (server.pipeline == nullptr) return;
  const auto c = server.pipeline->counters();
  DurableStore& store = *server.store;
  out += fmt::format(
      "wal_syncs:{}\r\ncommit_rounds:{}\r\ncommitted_records:{}\r\nwrite_errors:{}\r\nwrites_refused:{}\r\n"
      "last_write_error:{}\r\ndurable_seq:{}\r\nrecorded_seq:{}\r\nrocksdb_sst_bytes:{}\r\n"
      "rocksdb_memtable_bytes:{}\r\nrocksdb_live_data_bytes:{}\r\nrocksdb_pending_compaction_bytes:{}\r\n"
      "compaction_expired_dropped:{}\r\n",
      c.wal_syncs, c.rounds, c.records, c.write_errors, server.pipeline->failed() ? 1 : 0,
      server.pipeline->failure(), server.pipeline->durable_seq(), server.pipeline->last_seq(),
      store.IntProperty("rocksdb.total-sst-files-size"), store.IntProperty("rocksdb.cur-size-all-mem-tables"),
      store.IntProperty("rocksdb.estimate-live-data-size"),
      store.IntProperty("rocksdb.estimate-pending-compaction-bytes"), ExpiryCompactionFilter::dropped.load());
}

void StatsSection(CommandContext& ctx, std::string& out) {
  const Stats& s = ctx.server.stats;
  uint64_t expired = 0;
  for (int i = 0; i < ctx.server.keyspace.num_databases(); ++i)
    expired += ctx.server.keyspace.db(i).ExpiredKeys();
  out += fmt::format(
      "total_connections_received:{}\r\ntotal_commands_processed:{}\r\ntotal_net_input_bytes:{}\r\n"
      "total_net_output_bytes:{}\r\nrejected_connections:{}\r\nexpired_keys:{}\r\nkeyspace_hits:{}\r\n"
      "keyspace_misses:{}\r\ntotal_error_replies:{}\r\n",
      s.Sum(&ThreadStats::connections), s.Sum(&ThreadStats::commands), s.Sum(&ThreadStats::net_input_bytes),
      s.Sum(&ThreadStats::net_output_bytes), s.Sum(&ThreadStats::rejected_connections), expired,
      s.Sum(&ThreadStats::keyspace_hits), s.Sum(&ThreadStats::keyspace_misses),
      s.Sum(&ThreadStats::error_replies));
  if (ctx.server.active_expiry != nullptr) {
    const ExpiryStats& e = ctx.server.active_expiry->stats();
    const uint32_t stale = e.stale_perc_x100.load();
    out += fmt::format(
        "expired_stale_perc:{}.{:02}\r\nexpired_time_cap_reached_count:{}\r\nexpire_cycle_cpu_milliseconds:{}"
        "\r\n"
        "expire_cycles:{}\r\nexpire_lag_p50_ms:{}\r\nexpire_lag_p99_ms:{}\r\nevicted_keys:{}\r\n",
        stale / 100, stale % 100, e.time_cap_reached.load(), e.cpu_us.load() / 1000, e.cycles.load(),
        e.lags.Quantile(0.5), e.lags.Quantile(0.99), ctx.server.evicted_keys.load());
  }
}

void KeyspaceSection(CommandContext& ctx, std::string& out) {
  for (int i = 0; i < ctx.server.keyspace.num_databases(); ++i) {
    Database& db = ctx.server.keyspace.db(i);
    const size_t keys = db.Size(ctx.now_ms);
    if (keys == 0) continue;
    out += fmt::format("db{}:keys={},expires={},avg_ttl=0\r\n", i, keys, db.ExpiringSize(ctx.now_ms));
  }
}

void WriteCommandStats(CommandContext& ctx, const CommandSpec& spec, std::string& out) {
  const Stats& s = ctx.server.stats;
  const uint64_t calls = s.SumCommand(spec.id, &CommandStats::calls);
  const uint64_t rejected = s.SumCommand(spec.id, &CommandStats::rejected);
  if (calls > 0 || rejected > 0) {
    const uint64_t usec = s.SumCommand(spec.id, &CommandStats::usec);
    out +=
        fmt::format("cmdstat_{}:calls={},usec={},usec_per_call={:.2f},rejected_calls={},failed_calls={}\r\n",
                    spec.fullname, calls, usec, calls > 0 ? static_cast<double>(usec) / calls : 0.0, rejected,
                    s.SumCommand(spec.id, &CommandStats::failed));
  }
  for (const CommandSpec& sub : spec.subcommands) WriteCommandStats(ctx, sub, out);
}

void CommandStatsSection(CommandContext& ctx, std::string& out) {
  for (const auto& spec : ctx.server.commands.all()) WriteCommandStats(ctx, *spec, out);
}

void SessionsSection(CommandContext& ctx, std::string& out) {
  if (ctx.server.sessions == nullptr) return;
  const SessionStore::Counters c = ctx.server.sessions->counters();
  const DurableStore::LoadStats& load = ctx.server.session_load_stats;
  out += fmt::format(
      "sessions_live:{}\r\nsessions_created:{}\r\nsessions_revoked:{}\r\nsessions_expired:{}\r\n"
      "sessions_evicted:{}\r\nsessions_touches:{}\r\nsessions_loaded:{}\r\nsessions_load_ms:{}\r\n"
      "events_head_seq:{}\r\n",
      c.live, c.created, c.revoked, c.expired, c.evicted, c.touches, load.keys_loaded, load.duration_ms,
      ctx.server.events != nullptr ? ctx.server.events->head() : 0);
}

void RefreshTokensSection(CommandContext& ctx, std::string& out) {
  if (ctx.server.families == nullptr) return;
  const TokenFamilies::Counters c = ctx.server.families->counters();
  const DurableStore::LoadStats& load = ctx.server.family_load_stats;
  out += fmt::format(
      "rtoken_families_live:{}\r\nrtoken_families_ended:{}\r\nrtoken_issued:{}\r\nrtoken_rotations:{}\r\n"
      "rtoken_grace_replays:{}\r\nrtoken_grace_rejections:{}\r\nrtoken_reuse_detections:{}\r\n"
      "rtoken_revoked:{}\r\nrtoken_evictions:{}\r\nrtoken_expired:{}\r\nrtoken_loaded:{}\r\n"
      "rtoken_load_ms:{}\r\n",
      c.live, c.tombstones, c.issued, c.rotations, c.grace_replays, c.grace_rejections, c.reuse_detections,
      c.revoked, c.evictions, c.expired, load.keys_loaded, load.duration_ms);
}

void DenylistSection(CommandContext& ctx, std::string& out) {
  if (ctx.server.denylist == nullptr) return;
  const Denylist::Counters c = ctx.server.denylist->counters();
  const DurableStore::LoadStats& load = ctx.server.denylist_load_stats;
  out += fmt::format(
      "denylist_entries:{}\r\ndenylist_bytes:{}\r\ndenylist_bytes_per_entry:{:.1f}\r\ndenylist_adds:{}\r\n"
      "denylist_checks:{}\r\ndenylist_hits:{}\r\ndenylist_expired:{}\r\nwatermarks_sub:{}\r\n"
      "watermarks_client:{}\r\nwatermarks_global:{}\r\ndenylist_loaded:{}\r\ndenylist_load_ms:{}\r\n"
      "events_head_seq:{}\r\nevents_published_seq:{}\r\n",
      c.entries, c.bytes,
      c.entries != 0 ? static_cast<double>(c.bytes) / static_cast<double>(c.entries) : 0.0, c.adds, c.checks,
      c.hits, c.expired, c.watermarks[0], c.watermarks[1], c.watermarks[2], load.keys_loaded,
      load.duration_ms, ctx.server.events->head(), ctx.server.events->published());
}

struct SectionEntry {
  const char* name;
  const char* title;
  Section write;
  bool in_default;  // part of a bare INFO (else only when named, or with "all")
};
constexpr SectionEntry kSections[] = {
    {"server", "Server", ServerSection, true},
    {"clients", "Clients", ClientsSection, true},
    {"memory", "Memory", MemorySection, true},
    {"persistence", "Persistence", PersistenceSection, true},
    {"stats", "Stats", StatsSection, true},
    {"commandstats", "Commandstats", CommandStatsSection, false},
    {"keyspace", "Keyspace", KeyspaceSection, true},
    {"sessions", "Sessions", SessionsSection, true},
    {"rtokens", "Rtokens", RefreshTokensSection, true},
    {"denylist", "Denylist", DenylistSection, true},
};

}  // namespace

void InfoCommand(CommandContext& ctx) {
  bool all = false;
  bool defaults = ctx.argc() == 1;
  std::vector<bool> wanted(std::size(kSections), false);
  for (size_t j = 1; j < ctx.argc(); ++j) {
    std::string_view arg = ctx.arg(j);
    if (EqualsIgnoreCase(arg, "all") || EqualsIgnoreCase(arg, "everything")) all = true;
    if (EqualsIgnoreCase(arg, "default")) defaults = true;
    for (size_t i = 0; i < std::size(kSections); ++i) {
      if (EqualsIgnoreCase(arg, kSections[i].name)) wanted[i] = true;
    }
  }
  std::string out;
  for (size_t i = 0; i < std::size(kSections); ++i) {
    if (!all && !wanted[i] && !(defaults && kSections[i].in_default)) continue;
    if (!out.empty()) out += "\r\n";
    out += fmt::format("# {}\r\n", kSections[i].title);
    kSections[i].write(ctx, out);
  }
  ctx.reply.Verbatim(out);
}

}  // namespace latchkey
