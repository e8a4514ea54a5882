// Pub/sub commands: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, PUBSUB.
//
// Subscription confirmations are push frames in RESP3 and arrays in RESP2 (ReplyWriter::Push), one per
// channel, each carrying the client's total subscription count. The registry is server/pubsub.h; the
// per-client sets live in the Session so counts and "unsubscribe from all" need no lock.
#include <algorithm>
#include <optional>

#include "server/command_context.h"

namespace latchkey {
namespace {

void Confirm(CommandContext& ctx, std::string_view kind, const std::string_view* name) {
  MirrorSessionState(ctx.session);
  ctx.reply.Push(3);
  ctx.reply.Bulk(kind);
  name != nullptr ? ctx.reply.Bulk(*name) : ctx.reply.Null();
  ctx.reply.Integer(static_cast<int64_t>(ctx.session.subscriptions.count()));
}

uint64_t ClientId(const Session& session) {
  return session.info != nullptr ? session.info->id : 0;
}

void Subscribe(CommandContext& ctx) {
  SubscriptionState& subs = ctx.session.subscriptions;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    std::string_view channel = ctx.arg(i);
    if (subs.channels.emplace(channel).second) {
      ctx.server.pubsub.Subscribe(channel, ClientId(ctx.session), subs.self);
    }
    Confirm(ctx, "subscribe", &channel);
  }
}

void PSubscribe(CommandContext& ctx) {
  SubscriptionState& subs = ctx.session.subscriptions;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    std::string_view pattern = ctx.arg(i);
    if (std::find(subs.patterns.begin(), subs.patterns.end(), pattern) == subs.patterns.end()) {
      subs.patterns.emplace_back(pattern);
      ctx.server.pubsub.PSubscribe(pattern, ClientId(ctx.session), subs.self);
    }
    Confirm(ctx, "psubscribe", &pattern);
  }
}

void UnsubscribeChannel(CommandContext& ctx, std::string_view channel) {
  auto& channels = ctx.session.subscriptions.channels;
  if (auto it = channels.find(absl::string_view(channel.data(), channel.size())); it != channels.end()) {
    ctx.server.pubsub.Unsubscribe(channel, ClientId(ctx.session));
    channels.erase(it);
  }
  Confirm(ctx, "unsubscribe", &channel);
}

void UnsubscribePattern(CommandContext& ctx, std::string_view pattern) {
  auto& patterns = ctx.session.subscriptions.patterns;
  if (auto it = std::find(patterns.begin(), patterns.end(), pattern); it != patterns.end()) {
    ctx.server.pubsub.PUnsubscribe(pattern, ClientId(ctx.session));
    patterns.erase(it);
  }
  Confirm(ctx, "punsubscribe", &pattern);
}

void Unsubscribe(CommandContext& ctx) {
  if (ctx.argc() == 1) {
    auto& channels = ctx.session.subscriptions.channels;
    if (channels.empty()) return Confirm(ctx, "unsubscribe", nullptr);
    const std::vector<std::string> all(channels.begin(), channels.end());
    for (const std::string& channel : all) UnsubscribeChannel(ctx, channel);
    return;
  }
  for (size_t i = 1; i < ctx.argc(); ++i) UnsubscribeChannel(ctx, ctx.arg(i));
}

void PUnsubscribe(CommandContext& ctx) {
  if (ctx.argc() == 1) {
    auto& patterns = ctx.session.subscriptions.patterns;
    if (patterns.empty()) return Confirm(ctx, "punsubscribe", nullptr);
    const std::vector<std::string> all = patterns;
    for (const std::string& pattern : all) UnsubscribePattern(ctx, pattern);
    return;
  }
  for (size_t i = 1; i < ctx.argc(); ++i) UnsubscribePattern(ctx, ctx.arg(i));
}

void Publish(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.server.pubsub.Publish(ctx.arg(1), ctx.arg(2))));
}

// PUBSUB CHANNELS and SHARDCHANNELS take at most a pattern; Redis words the error this way.
bool PatternArgOk(CommandContext& ctx) {
  if (ctx.argc() <= 3) return true;
  ctx.reply.Error("ERR unknown subcommand or wrong number of arguments for '" + std::string(ctx.arg(1)) +
                  "'. Try PUBSUB HELP.");
  return false;
}

void PubSubChannels(CommandContext& ctx) {
  if (!PatternArgOk(ctx)) return;
  std::optional<std::string_view> pattern;
  if (ctx.argc() == 3) pattern = ctx.arg(2);
  const auto names = ctx.server.pubsub.Channels(pattern);
  ctx.reply.Array(names.size());
  for (const auto& name : names) ctx.reply.Bulk(name);
}

// NUMSUB and SHARDNUMSUB answer a flat array of (channel, count) pairs, even in RESP3.
void PubSubNumSub(CommandContext& ctx) {
  ctx.reply.Array(2 * (ctx.argc() - 2));
  for (size_t i = 2; i < ctx.argc(); ++i) {
    ctx.reply.Bulk(ctx.arg(i));
    ctx.reply.Integer(static_cast<int64_t>(ctx.server.pubsub.NumSubscribers(ctx.arg(i))));
  }
}

void PubSubNumPat(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.server.pubsub.NumPatterns()));
}

// Latchkey has no shard channels (SSUBSCRIBE is a cluster feature): none are ever active.
void PubSubShardChannels(CommandContext& ctx) {
  if (!PatternArgOk(ctx)) return;
  ctx.reply.Array(0);
}

void PubSubShardNumSub(CommandContext& ctx) {
  ctx.reply.Array(2 * (ctx.argc() - 2));
  for (size_t i = 2; i < ctx.argc(); ++i) {
    ctx.reply.Bulk(ctx.arg(i));
    ctx.reply.Integer(0);
  }
}

void PubSubHelp(CommandContext& ctx) {
  static const char* const kLines[] = {
      "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CHANNELS [<pattern>]",
      "    Return the currently active channels matching a <pattern> (default: '*').",
      "NUMPAT",
      "    Return number of subscriptions to patterns.",
      "NUMSUB [<channel> ...]",
      "    Return the number of subscribers for the specified channels, excluding",
      "    pattern subscriptions(default: no channels).",
      "SHARDCHANNELS [<pattern>]",
      "    Return the currently active shard level channels matching a <pattern> (default: '*').",
      "SHARDNUMSUB [<shardchannel> ...]",
      "    Return the number of subscribers for the specified shard level channel(s)",
      "HELP",
      "    Prints this help.",
  };
  ctx.ReplyHelp(kLines);
}

}  // namespace

void DropSubscriptions(ServerState& server, Session& session) {
  SubscriptionState& subs = session.subscriptions;
  for (const std::string& channel : subs.channels) server.pubsub.Unsubscribe(channel, ClientId(session));
  for (const std::string& pattern : subs.patterns) server.pubsub.PUnsubscribe(pattern, ClientId(session));
  subs.channels.clear();
  subs.patterns.clear();
  MirrorSessionState(session);
}

void RegisterPubSubCommands(CommandTable& t) {
  const CommandGroup Cmd{"pubsub"};
  const uint32_t kSub = kCmdPubSub | kCmdNoScript | kCmdLoading | kCmdStale;
  const std::vector<std::string> kSlow = {"pubsub", "slow"};
  // SUBSCRIBE and UNSUBSCRIBE are also @lk-verify (SPEC §2): a gateway listens for revocations.
  const std::vector<std::string> kVerify = {"pubsub", "slow", "lk-verify"};
  t.Add(Cmd("subscribe", -2, kSub, kVerify, 0, 0, 0, Subscribe,
            "Listen for messages published to the given channels", "2.0.0",
            "O(N) where N is the number of channels to subscribe to."));
  t.Add(Cmd("unsubscribe", -1, kSub, kVerify, 0, 0, 0, Unsubscribe,
            "Stop listening for messages posted to the given channels", "2.0.0",
            "O(N) where N is the number of clients already subscribed to a channel."));
  t.Add(Cmd("psubscribe", -2, kSub, kSlow, 0, 0, 0, PSubscribe,
            "Listen for messages published to channels matching the given patterns", "2.0.0",
            "O(N) where N is the number of patterns the client is already subscribed to."));
  t.Add(
      Cmd("punsubscribe", -1, kSub, kSlow, 0, 0, 0, PUnsubscribe,
          "Stop listening for messages posted to channels matching the given patterns", "2.0.0",
          "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of "
          "total patterns subscribed in the system (by any client)."));
  t.Add(Cmd("publish", 3, kCmdPubSub | kCmdLoading | kCmdStale | kCmdFast, {"pubsub", "fast"}, 0, 0, 0,
            Publish, "Post a message to a channel", "2.0.0",
            "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total "
            "number of subscribed patterns (by any client)."));

  const uint32_t kInfo = kCmdPubSub | kCmdLoading | kCmdStale;
  CommandSpec pubsub = Cmd("pubsub", -2, 0, {"slow"}, 0, 0, 0, nullptr, "A container for Pub/Sub commands",
                           "2.8.0", "Depends on subcommand.");
  pubsub.subcommands = {
      Cmd("channels", -2, kInfo, kSlow, 0, 0, 0, PubSubChannels, "List active channels", "2.8.0",
          "O(N) where N is the number of active channels, and assuming constant time pattern matching "
          "(relatively short channels and patterns)"),
      Cmd("numsub", -2, kInfo, kSlow, 0, 0, 0, PubSubNumSub, "Get the count of subscribers for channels",
          "2.8.0", "O(N) for the NUMSUB subcommand, where N is the number of requested channels"),
      Cmd("numpat", 2, kInfo, kSlow, 0, 0, 0, PubSubNumPat,
          "Get the count of unique patterns pattern subscriptions", "2.8.0", "O(1)"),
      Cmd("shardchannels", -2, kInfo, kSlow, 0, 0, 0, PubSubShardChannels, "List active shard channels",
          "7.0.0",
          "O(N) where N is the number of active shard channels, and assuming constant time pattern matching "
          "(relatively short shard channels)."),
      Cmd("shardnumsub", -2, kInfo, kSlow, 0, 0, 0, PubSubShardNumSub,
          "Get the count of subscribers for shard channels", "7.0.0",
          "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels"),
      Cmd("help", 2, kCmdLoading | kCmdStale, {"slow"}, 0, 0, 0, PubSubHelp,
          "Show helpful text about the different subcommands", "6.2.0", "O(1)"),
  };
  t.Add(std::move(pubsub));
}

}  // namespace latchkey
