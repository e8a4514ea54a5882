// latchkey-server: parses the config file and flags, sets up logging, runs the server until shutdown.
#include <malloc.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "CLI/CLI.hpp"
#include "server/server.h"
#include "spdlog/sinks/basic_file_sink.h"
#include "spdlog/spdlog.h"

namespace {

spdlog::level::level_enum LogLevel(const std::string& name) {
  if (name == "debug") return spdlog::level::debug;
  if (name == "verbose") return spdlog::level::info;
  if (name == "warning") return spdlog::level::warn;
  if (name == "nothing") return spdlog::level::off;
  return spdlog::level::info;  // notice
}

}  // namespace

int main(int argc, char** argv) {
  // No glibc fastbins: freed small chunks coalesce at once instead of piling up unmerged until some
  // large allocation or free makes malloc_consolidate walk them all under the arena lock. With a
  // million keys reclaimed, that walk stalled the expiry thread (and every thread allocating from the
  // arena) for ~140 ms (perf during bench/expiry_bench.py); the thread caches still serve hot sizes.
  mallopt(M_MXFAST, 0);
  using latchkey::Config;
  Config config;

  CLI::App app{"Latchkey: a Redis-compatible session and revocation store"};
  std::string config_file;
  app.add_option("config-file", config_file, "redis.conf-style configuration file");
  app.set_version_flag("-v,--version", std::string("latchkey-server v=") + LATCHKEY_VERSION);
  // Every directive is also a flag: --port 7000, --bind 127.0.0.1 ::1. Only directives whose value is a
  // list take several words, so a config file named after the flags is not swallowed by one of them.
  std::vector<std::pair<std::string, std::vector<std::string>>> flags;
  flags.reserve(config.directives().size());
  for (const auto& d : config.directives()) {
    flags.emplace_back(d.name, std::vector<std::string>{});
    auto* option = app.add_option("--" + d.name, flags.back().second, d.help);
    if (d.multi_word) {
      option->expected(1, -1)->allow_extra_args();
    } else {
      option->expected(1)->allow_extra_args(false);
    }
  }
  CLI11_PARSE(app, argc, argv);

  if (!config_file.empty()) {
    std::ifstream in(config_file);
    if (!in) {
      std::fprintf(stderr, "Fatal error, can't open config file '%s'\n", config_file.c_str());
      return 1;
    }
    std::stringstream text;
    text << in.rdbuf();
    config.set_file(config_file);
    auto status = config.LoadFileText(text.str(), config_file);
    if (!status.ok()) {
      std::fprintf(stderr, "*** FATAL CONFIG FILE ERROR *** %s\n", status.message().c_str());
      return 1;
    }
  }
  for (const auto& [name, values] : flags) {
    if (values.empty()) continue;
    std::string joined;
    for (const auto& v : values) joined += (joined.empty() ? "" : " ") + v;
    auto status = config.Set(name, joined, /*live=*/false);
    if (!status.ok()) {
      std::fprintf(stderr, "*** FATAL CONFIG ERROR *** --%s: %s\n", name.c_str(), status.message().c_str());
      return 1;
    }
  }

  if (!config.logfile().empty()) {
    spdlog::set_default_logger(spdlog::basic_logger_mt("latchkey", config.logfile()));
    spdlog::flush_every(std::chrono::seconds(1));
  }
  spdlog::set_level(LogLevel(config.loglevel()));
  config.OnChange("loglevel", [](const std::string& level) { spdlog::set_level(LogLevel(level)); });

  latchkey::Server server(config);
  auto status = server.Start();
  if (!status.ok()) {
    spdlog::critical("{}", status.message());
    return 1;
  }
  server.Wait();
  spdlog::warn("Latchkey is now ready to exit, bye bye...");
  spdlog::shutdown();
  return 0;
}
