// The command table: every command's metadata as data (name, arity, flags, ACL categories, key
// positions, documentation) plus its handler, as Redis's src/commands/*.json describe them. Dispatch,
// COMMAND INFO/DOCS/COUNT/LIST, arity errors and ACL checks all read from it.
//
// Container commands (CLIENT, CONFIG, COMMAND, OBJECT...) hold their subcommands; a subcommand's full
// name is "parent|sub", as Redis reports it.
//
// Thread-safety: filled once at start, read-only afterwards; reads are safe from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace latchkey {

struct CommandContext;
using CommandHandler = void (*)(CommandContext& ctx);

// Command flags, named as in Redis's COMMAND INFO.
enum CommandFlag : uint32_t {
  kCmdWrite = 1 << 0,
  kCmdReadonly = 1 << 1,
  kCmdFast = 1 << 2,
  kCmdAdmin = 1 << 3,
  kCmdNoAuth = 1 << 4,  // allowed before AUTH
  kCmdLoading = 1 << 5,
  kCmdStale = 1 << 6,
  kCmdNoScript = 1 << 7,
  kCmdDenyOom = 1 << 8,
  kCmdPubSub = 1 << 9,
  kCmdSkipMonitor = 1 << 10,
  kCmdNoMulti = 1 << 11,
  kCmdSentinel = 1 << 12,
  kCmdAllowBusy = 1 << 13,
};

struct CommandSpec {
  std::string name;  // lowercase, e.g. "get", or "setname" for CLIENT SETNAME
  int arity = 0;     // > 0: exact argument count (with the name); < 0: at least -arity
  uint32_t flags = 0;
  std::vector<std::string> acl_categories;  // without '@', e.g. "string", "fast"
  int first_key = 0;                        // 0: no keys
  int last_key = 0;                         // -1: the last argument
  int key_step = 0;
  CommandHandler handler = nullptr;
  std::string group;  // COMMAND DOCS: "string", "generic", "server", "connection"
  std::string summary;
  std::string since;
  std::string complexity;
  std::vector<CommandSpec> subcommands;

  std::string fullname;  // set by the table: "get", "client|setname"
  const CommandSpec* parent = nullptr;
  size_t id = 0;  // set by the table: dense over every command and subcommand (per-command stats)

  // Whether `argc` (counting the name, and the parent for subcommands) satisfies the arity.
  bool ArityOk(size_t argc) const {
    return arity > 0 ? argc == static_cast<size_t>(arity) : argc >= static_cast<size_t>(-arity);
  }
};

class CommandTable {
 public:
  // Adds `spec` (and its subcommands). REQUIRES: called before the server starts; name is unique.
  void Add(CommandSpec spec);

  // The top-level command named `name` (any case), or nullptr.
  const CommandSpec* Find(std::string_view name) const;
  // The subcommand `name` (any case) of `parent`, or nullptr.
  static const CommandSpec* FindSub(const CommandSpec& parent, std::string_view name);

  const std::vector<std::unique_ptr<CommandSpec>>& all() const { return commands_; }
  // How many commands and subcommands there are (one past the largest id).
  size_t spec_count() const { return spec_count_; }

 private:
  std::vector<std::unique_ptr<CommandSpec>> commands_;
  absl::flat_hash_map<std::string, const CommandSpec*> by_name_;
  size_t spec_count_ = 0;
};

// Builds a spec from the fields Redis's command JSON gives, in that order.
CommandSpec MakeCommand(std::string group, std::string name, int arity, uint32_t flags,
                        std::vector<std::string> acl_categories, int first_key, int last_key, int key_step,
                        CommandHandler handler, std::string summary, std::string since,
                        std::string complexity);

// The keys `args` (a whole command line) names according to `spec`'s key positions.
std::vector<std::string_view> CommandKeys(const CommandSpec& spec, std::span<const std::string_view> args);

// Makes specs of one COMMAND DOCS group: `CommandGroup Cmd{"string"}; t.Add(Cmd("get", 2, ...));`
struct CommandGroup {
  std::string group;
  CommandSpec operator()(std::string name, int arity, uint32_t flags, std::vector<std::string> acl_categories,
                         int first_key, int last_key, int key_step, CommandHandler handler,
                         std::string summary, std::string since, std::string complexity) const {
    return MakeCommand(group, std::move(name), arity, flags, std::move(acl_categories), first_key, last_key,
                       key_step, handler, std::move(summary), std::move(since), std::move(complexity));
  }
};

// Registration, one function per command family (server/commands/*.cc).
void RegisterConnectionCommands(CommandTable& table);
void RegisterServerCommands(CommandTable& table);
void RegisterKeyCommands(CommandTable& table);
void RegisterStringCommands(CommandTable& table);
void RegisterHashCommands(CommandTable& table);
void RegisterSetCommands(CommandTable& table);
void RegisterIntrospectionCommands(CommandTable& table);
void RegisterPersistenceCommands(CommandTable& table);
void RegisterTransactionCommands(CommandTable& table);
void RegisterPubSubCommands(CommandTable& table);
void RegisterLatencyCommands(CommandTable& table);
void RegisterMonitorCommands(CommandTable& table);
void RegisterSessionCommands(CommandTable& table);
void RegisterDenylistCommands(CommandTable& table);
void RegisterRefreshTokenCommands(CommandTable& table);
void RegisterEventCommands(CommandTable& table);
void RegisterAclCommands(CommandTable& table);

// Builds the table with every command.
CommandTable BuildCommandTable();

}  // namespace latchkey
