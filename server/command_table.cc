#include "server/command_table.h"

#include <cctype>

namespace latchkey {
namespace {

// Lowercases `name` into `buf`; returns false if it is too long to be any command's name.
bool LowerInto(std::string_view name, char (&buf)[64], std::string_view* out) {
  if (name.size() > sizeof(buf)) return false;
  for (size_t i = 0; i < name.size(); ++i) {  // ASCII only, as command names are: no locale call
    const char c = name[i];
    buf[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
  }
  *out = std::string_view(buf, name.size());
  return true;
}

void Link(CommandSpec& spec, const CommandSpec* parent, size_t* next_id) {
  spec.parent = parent;
  spec.fullname = parent != nullptr ? parent->name + "|" + spec.name : spec.name;
  spec.id = (*next_id)++;
  for (CommandSpec& sub : spec.subcommands) Link(sub, &spec, next_id);
}

}  // namespace

void CommandTable::Add(CommandSpec spec) {
  auto owned = std::make_unique<CommandSpec>(std::move(spec));
  Link(*owned, nullptr, &spec_count_);
  by_name_[owned->name] = owned.get();
  commands_.push_back(std::move(owned));
}

const CommandSpec* CommandTable::Find(std::string_view name) const {
  char buf[64];
  std::string_view lower;
  if (!LowerInto(name, buf, &lower)) return nullptr;
  auto it = by_name_.find(absl::string_view(lower.data(), lower.size()));
  return it == by_name_.end() ? nullptr : it->second;
}

const CommandSpec* CommandTable::FindSub(const CommandSpec& parent, std::string_view name) {
  char buf[64];
  std::string_view lower;
  if (!LowerInto(name, buf, &lower)) return nullptr;
  for (const CommandSpec& sub : parent.subcommands) {
    if (sub.name == lower) return &sub;
  }
  return nullptr;
}

CommandSpec MakeCommand(std::string group, std::string name, int arity, uint32_t flags,
                        std::vector<std::string> acl_categories, int first_key, int last_key, int key_step,
                        CommandHandler handler, std::string summary, std::string since,
                        std::string complexity) {
  CommandSpec spec;
  spec.name = std::move(name);
  spec.arity = arity;
  spec.flags = flags;
  spec.acl_categories = std::move(acl_categories);
  spec.first_key = first_key;
  spec.last_key = last_key;
  spec.key_step = key_step;
  spec.handler = handler;
  spec.group = std::move(group);
  spec.summary = std::move(summary);
  spec.since = std::move(since);
  spec.complexity = std::move(complexity);
  return spec;
}

CommandTable BuildCommandTable() {
  CommandTable table;
  RegisterConnectionCommands(table);
  RegisterServerCommands(table);
  RegisterKeyCommands(table);
  RegisterStringCommands(table);
  RegisterHashCommands(table);
  RegisterSetCommands(table);
  RegisterIntrospectionCommands(table);
  RegisterPersistenceCommands(table);
  RegisterTransactionCommands(table);
  RegisterPubSubCommands(table);
  RegisterLatencyCommands(table);
  RegisterMonitorCommands(table);
  RegisterSessionCommands(table);
  RegisterDenylistCommands(table);
  RegisterRefreshTokenCommands(table);
  RegisterEventCommands(table);
  RegisterAclCommands(table);
  return table;
}

std::vector<std::string_view> CommandKeys(const CommandSpec& spec, std::span<const std::string_view> args) {
  std::vector<std::string_view> keys;
  if (spec.first_key <= 0 || spec.key_step <= 0) return keys;
  const int64_t argc = static_cast<int64_t>(args.size());
  const int64_t last = spec.last_key < 0 ? argc + spec.last_key : spec.last_key;
  for (int64_t i = spec.first_key; i <= last && i < argc; i += spec.key_step) keys.push_back(args[i]);
  return keys;
}

}  // namespace latchkey
