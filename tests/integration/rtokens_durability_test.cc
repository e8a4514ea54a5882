// RTOKEN.* across restarts and kill -9, and what reaches the disk (SPEC §4): families, head generations
// and grace windows survive; a dump holds no usable token; the generated key file is private, survives
// restarts and travels with SAVE's checkpoints.
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "rtoken_test_helpers.h"

namespace latchkey::testing {
namespace {

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

// The permission bits of `path` (-1 if it does not exist).
int Mode(const std::filesystem::path& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 0777);
}

// SHUTDOWN over a raw socket, as an operator would; fails the test unless the server exits with 0.
void Shutdown(ServerProcess& server) {
  RawClient raw(server.port());
  raw.Send("SHUTDOWN\r\n");
  EXPECT_TRUE(raw.ClosedByPeer());
  EXPECT_EQ(WEXITSTATUS(server.WaitExit(10)), 0);
}

// ---- 1. Restarts. ----

TEST(RtokenDurability, RestartKeepsFamiliesHeadsAndGraceState) {
  DataDir dir;
  IssuedFamily a, b, revoked;
  std::string a1, b2;
  int64_t a_grace_deadline = 0, a_created = 0;
  {
    ServerProcess server(dir.path(), {});
    auto c = server.Connect();
    a = IssueFamily(c.get(), "mia", "web", 3600, 600,
                    {"GRACE", "60", "GRACEUSES", "2", "SESSION", "sess-1", "DATA", std::string("d\0x", 3)});
    a1 = RotateToken(c.get(), a.token);
    EXPECT_EQ(RotateToken(c.get(), a.token), a1);  // one grace use spent before the restart
    auto view = Inspect(c.get(), a1);
    ASSERT_TRUE(view);
    a_grace_deadline = view->num("grace_deadline");
    a_created = view->num("created");
    b = IssueFamily(c.get(), "mia", "mobile", 3600, 600, {"GRACE", "0"});
    b2 = RotateToken(c.get(), RotateToken(c.get(), b.token));
    revoked = IssueFamily(c.get(), "mia", "web", 3600, 600);
    EXPECT_EQ(Int(Command(c.get(), {"RTOKEN.REVOKE", revoked.token, "REASON", "lost phone"})), 1);
    Shutdown(server);
  }
  ServerProcess server(dir.path(), {});
  auto c = server.Connect();
  EXPECT_EQ(InfoField(c.get(), "rtokens", "rtoken_loaded"), 3);
  EXPECT_EQ(InfoField(c.get(), "rtokens", "rtoken_families_live"), 2);
  EXPECT_EQ(InfoField(c.get(), "rtokens", "rtoken_families_ended"), 1);
  // a: head generation 1, the window and its one spent use, every field.
  auto view = Inspect(c.get(), a1);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->str("presented"), "head");
  EXPECT_EQ(view->num("gen"), 1);
  EXPECT_EQ(view->str("sub"), "mia");
  EXPECT_EQ(view->str("client"), "web");
  EXPECT_EQ(view->str("session"), "sess-1");
  EXPECT_EQ(view->str("data"), std::string("d\0x", 3));
  EXPECT_EQ(view->num("created"), a_created);
  EXPECT_EQ(view->num("abs_deadline"), a.abs_deadline);
  EXPECT_EQ(view->num("grace_deadline"), a_grace_deadline);
  EXPECT_EQ(view->num("grace_uses"), 1);
  EXPECT_EQ(Presented(c.get(), a.token), "grace");
  // A replay after the restart: the same successor (unsealed from disk), and it counts a use...
  auto replay = Rotate(c.get(), a.token);
  ASSERT_TRUE(replay);
  EXPECT_EQ(replay->str("token"), a1);
  EXPECT_EQ(replay->num("grace"), 1);
  EXPECT_EQ(Inspect(c.get(), a1)->num("grace_uses"), 2);
  // ...so the next one has no use left: reuse.
  EXPECT_TRUE(IsError(RotateReply(c.get(), a.token), kReusedError));
  EXPECT_TRUE(IsError(RotateReply(c.get(), a1), kRevokedError));
  // b: generation 2 rotates on; its predecessors are reuse.
  auto b3 = Rotate(c.get(), b2);
  ASSERT_TRUE(b3);
  EXPECT_EQ(b3->num("gen"), 3);
  EXPECT_EQ(b3->num("abs_deadline"), b.abs_deadline);
  EXPECT_TRUE(IsError(RotateReply(c.get(), b2), kReusedError));
  // The revoked family stays revoked, with its reason.
  EXPECT_TRUE(IsError(RotateReply(c.get(), revoked.token), kRevokedError));
  EXPECT_EQ(Inspect(c.get(), revoked.token)->str("reason"), "lost phone");
  EXPECT_EQ(Command(c.get(), {"RTOKEN.LIST", "mia"})->elements, 3u);
}

TEST(RtokenDurability, Kill9RightAfterRotateKeepsTheRotation) {
  DataDir dir;
  IssuedFamily f, closed;
  std::string t1, closed1;
  {
    ServerProcess server(dir.path(), {"--fsync", "always"});
    auto c = server.Connect();
    f = IssueFamily(c.get(), "ned", "web", 3600, 600, {"GRACE", "60"});
    closed = IssueFamily(c.get(), "ned", "web", 3600, 600, {"GRACE", "0"});
    closed1 = RotateToken(c.get(), closed.token);
    t1 = RotateToken(c.get(), f.token);
    ASSERT_FALSE(t1.empty());
    server.Kill9();
  }
  std::string t2;
  {
    ServerProcess server(dir.path(), {"--fsync", "always"});
    auto c = server.Connect();
    EXPECT_EQ(Presented(c.get(), t1), "head") << "an acknowledged ROTATE was lost by kill -9";
    // Inside the window the old token replays the same successor; without a window it is reuse.
    auto replay = Rotate(c.get(), f.token);
    ASSERT_TRUE(replay);
    EXPECT_EQ(replay->str("token"), t1);
    EXPECT_EQ(replay->num("grace"), 1);
    EXPECT_TRUE(IsError(RotateReply(c.get(), closed.token), kReusedError));
    // The new head rotates; kill -9 again right after that reply, and after a REUSED one.
    auto r2 = Rotate(c.get(), t1);
    ASSERT_TRUE(r2);
    EXPECT_EQ(r2->num("gen"), 2);
    t2 = r2->str("token");
    server.Kill9();
  }
  {
    ServerProcess server(dir.path(), {"--fsync", "always"});
    auto c = server.Connect();
    EXPECT_TRUE(IsError(RotateReply(c.get(), closed1), kRevokedError)) << "a reuse revocation was lost";
    auto view = Inspect(c.get(), t2);
    ASSERT_TRUE(view);
    EXPECT_EQ(view->str("presented"), "head");
    EXPECT_EQ(view->num("gen"), 2);
    EXPECT_EQ(view->num("grace_uses"), 0);
    EXPECT_EQ(RotateToken(c.get(), t1), t2) << "t1 is t2's predecessor, inside its window";
    EXPECT_TRUE(IsError(RotateReply(c.get(), f.token), kReusedError));
    server.Kill9();
  }
  ServerProcess server(dir.path(), {});
  auto c = server.Connect();
  EXPECT_TRUE(IsError(RotateReply(c.get(), t2), kRevokedError)) << "an acknowledged REUSED was lost";
  EXPECT_EQ(Inspect(c.get(), t2)->str("reason"), "reuse");
}

// SPEC §2 under the default `fsync everysec`: a crash of the process alone (not of the machine) loses
// nothing acknowledged (as DenylistRegressions.Kill9UnderEverysecKeepsAcknowledgedEntries for
// DENY.ADD): pipelined ISSUEs, ROTATEs and reuse revocations all survive a kill -9 after their replies.
TEST(RtokenDurability, Kill9UnderEverysecKeepsAcknowledgedRotations) {
  DataDir dir;
  constexpr int kRounds = 5, kBurst = 20;
  int lost = 0;
  std::string first_lost;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::string> issued, rotated, reused;
    {
      ServerProcess server(dir.path(), {});
      auto c = server.Connect();
      std::vector<std::string> stale;
      for (int i = 0; i < kBurst; ++i) {
        IssuedFamily f = IssueFamily(c.get(), Numbered("tim", round), "web", 3600, 600, {"GRACE", "0"});
        stale.push_back(f.token);
        reused.push_back(RotateToken(c.get(), f.token));
      }
      for (int i = 0; i < kBurst; ++i) {
        AppendCommand(c.get(), {"RTOKEN.ISSUE", Numbered("tom", round), "web", "ABS", "3600", "IDLE", "600"});
        AppendCommand(c.get(), {"RTOKEN.ROTATE", stale[static_cast<size_t>(i)]});
      }
      for (int i = 0; i < kBurst; ++i) {
        auto m = AsMap(NextReply(c.get()), 5);
        issued.push_back(m ? m->str("token") : std::string());
        EXPECT_TRUE(IsError(NextReply(c.get()), kReusedError));
      }
      for (const auto& token : issued) AppendCommand(c.get(), {"RTOKEN.ROTATE", token});
      for (int i = 0; i < kBurst; ++i) {
        auto m = AsMap(NextReply(c.get()), 10);
        rotated.push_back(m ? m->str("token") : std::string());
      }
      server.Kill9();
    }
    ServerProcess server(dir.path(), {});
    auto c = server.Connect();
    for (int i = 0; i < kBurst; ++i) {
      const size_t at = static_cast<size_t>(i);
      const std::string head = Presented(c.get(), rotated[at]);
      const bool revoked = IsError(RotateReply(c.get(), reused[at]), kRevokedError);
      if (head != "head" || !revoked) {
        ++lost;
        if (first_lost.empty()) first_lost = "round " + std::to_string(round) + " #" + std::to_string(i);
      }
    }
  }
  EXPECT_EQ(lost, 0) << lost << " of " << kRounds * kBurst
                     << " acknowledged rotations or reuse revocations lost by kill -9 under fsync everysec, "
                     << "the first " << first_lost;
}

// SPEC §2: a failed write changes nothing in memory either, and announces nothing.
TEST(RtokenDurability, FailingDiskChangesNothingAndPublishesNothing) {
  DataDir dir;
  ServerProcess server(dir.path(), {"--fsync", "always", "--enable-debug-command", "yes"});
  auto c = server.Connect();
  auto sub = SubscribeRevocations(server, 10);
  EXPECT_STREQ(Command(c.get(), {"CONFIG", "SET", "rtoken-max-families", "2"})->str, "OK");
  IssuedFamily f = IssueFamily(c.get(), "rita", "web", 3600, 600, {"GRACE", "60"});
  const std::string f1 = RotateToken(c.get(), f.token);
  IssuedFamily g = IssueFamily(c.get(), "rita", "web", 3600, 600, {"GRACE", "60"});
  const std::string g2 = RotateToken(c.get(), RotateToken(c.get(), g.token));  // g.token: stale
  ASSERT_FALSE(g2.empty());
  const RtokenCounters before = ReadCounters(c.get());

  EXPECT_STREQ(Command(c.get(), {"DEBUG", "DISK-FAIL", "on"})->str, "OK");
  auto refused = [&](const std::vector<std::string>& args) {
    auto r = Command(c.get(), args);
    EXPECT_TRUE(r != nullptr && r->type == REDIS_REPLY_ERROR && Str(r.get()).rfind("MISCONF", 0) == 0)
        << args[0] << " answered '" << Str(r.get()) << "'";
  };
  refused({"RTOKEN.ROTATE", f1});                                       // a rotation
  refused({"RTOKEN.ROTATE", f.token});                                  // a replay (spends a use)
  refused({"RTOKEN.ROTATE", g.token});                                  // a reuse (revokes)
  refused({"RTOKEN.REVOKE", f1});                                       // a revocation
  refused({"RTOKEN.REVOKEALL", "rita"});                                // two
  refused({"RTOKEN.ISSUE", "rita", "web", "ABS", "60", "IDLE", "60"});  // an eviction
  // Reads still work, and show the state before the failed writes.
  auto fv = Inspect(c.get(), f1);
  ASSERT_TRUE(fv);
  EXPECT_EQ(fv->str("presented"), "head") << "a failed ROTATE moved the head";
  EXPECT_EQ(fv->num("gen"), 1);
  EXPECT_EQ(fv->num("grace_uses"), 0) << "a failed replay spent a use";
  EXPECT_EQ(fv->str("state"), "live");
  EXPECT_EQ(Inspect(c.get(), g2)->str("state"), "live") << "a failed reuse revoked the family";
  EXPECT_EQ(Command(c.get(), {"RTOKEN.LIST", "rita"})->elements, 2u) << "a failed ISSUE left a family";
  EXPECT_EQ(DenyCheck(c.get(), kIss, "j", {"FAMILY", f.family}), 0);
  EXPECT_TRUE(NoMoreMessages(sub.get(), 0.5)) << "an event was published for a failed write";

  EXPECT_STREQ(Command(c.get(), {"DEBUG", "DISK-FAIL", "off"})->str, "OK");
  bool recovered = false;
  for (int i = 0; i < 100 && !recovered; ++i) {
    auto r = Command(c.get(), {"RTOKEN.ISSUE", "someone else", "web", "ABS", "60", "IDLE", "60"});
    recovered = r->type == REDIS_REPLY_ARRAY;
    if (!recovered) Sleep(0.1);
  }
  ASSERT_TRUE(recovered);
  const RtokenCounters after = ReadCounters(c.get());
  EXPECT_EQ(after.live, before.live + 1);
  EXPECT_EQ(after.ended, before.ended);
  // Everything goes on from the state before the failure.
  EXPECT_EQ(RotateToken(c.get(), f.token), f1) << "the replay the failure refused";
  const std::string f2 = RotateToken(c.get(), f1);
  EXPECT_FALSE(f2.empty());
  auto sub2 = SubscribeRevocations(server, 10);  // NoMoreMessages left `sub` timed out, unusable
  EXPECT_TRUE(IsError(RotateReply(c.get(), g.token), kReusedError));
  auto event = NextMessage(sub2.get());
  ASSERT_TRUE(event);
  EXPECT_EQ(event->substr(event->find(' ') + 1), "family rita " + g.family + " reuse");
  server.Kill9();
  ServerProcess again(dir.path(), {});
  auto c2 = again.Connect();
  EXPECT_EQ(Presented(c2.get(), f2), "head");
  EXPECT_TRUE(IsError(RotateReply(c2.get(), g2), kRevokedError));
  EXPECT_EQ(Command(c2.get(), {"RTOKEN.LIST", "rita"})->elements, 2u);
}

// ---- 2. What reaches the disk. ----

TEST(RtokenDurability, NoTokenOrSecretInTheDataDirectory) {
  DataDir dir;
  std::vector<std::string> tokens;
  const std::string marker = "marker-rt-5d1e90c7a2b4f836";
  {
    ServerProcess server(dir.path(), {});
    auto c = server.Connect();
    for (int i = 0; i < 12; ++i) {
      IssuedFamily f =
          IssueFamily(c.get(), Numbered("user", i % 3), "web", 3600, 600, {"GRACE", "60", "DATA", marker});
      tokens.push_back(f.token);
      if (i % 3 == 0) continue;
      // Rotated families keep a sealed successor (an open window); some also a replay, some rotate
      // twice, one is reused.
      const std::string next = RotateToken(c.get(), f.token);
      tokens.push_back(next);
      if (i % 3 == 1) {
        EXPECT_EQ(RotateToken(c.get(), f.token), next);
      }
      if (i % 4 == 2) tokens.push_back(RotateToken(c.get(), next));
      if (i == 10) {
        EXPECT_TRUE(IsError(RotateReply(c.get(), f.token), kReusedError));
      }
    }
    EXPECT_EQ(Int(Command(c.get(), {"RTOKEN.REVOKE", tokens[0]})), 1);
    EXPECT_STREQ(Command(c.get(), {"SAVE"})->str, "OK");
    Shutdown(server);
  }
  size_t files = 0, wal_or_sst = 0, with_marker = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path())) {
    if (!entry.is_regular_file()) continue;
    ++files;
    const std::string name = entry.path().filename().string();
    if (name.size() > 4 && (name.substr(name.size() - 4) == ".log" || name.substr(name.size() - 4) == ".sst"))
      ++wal_or_sst;
    const std::string bytes = ReadFile(entry.path());
    if (bytes.find(marker) != std::string::npos) ++with_marker;
    for (const auto& token : tokens) {
      ASSERT_EQ(token.size(), kTokenTextChars);
      EXPECT_EQ(bytes.find(token), std::string::npos) << "a token in " << entry.path();
      // Its text from the secret on (secret and tag), in any 16-character window.
      for (size_t at = 3 + kTokenSecretAt * 4 / 3; at + 16 <= token.size(); ++at)
        EXPECT_EQ(bytes.find(token.substr(at, 16)), std::string::npos) << "token text in " << entry.path();
      // Nor the raw bytes: the whole body, the secret, the tag.
      const std::string body = TokenBody(token);
      EXPECT_EQ(bytes.find(body), std::string::npos) << "a token body in " << entry.path();
      EXPECT_EQ(bytes.find(body.substr(kTokenSecretAt, 16)), std::string::npos)
          << "a secret in " << entry.path();
      EXPECT_EQ(bytes.find(body.substr(kTokenTagAt, 16)), std::string::npos) << "a tag in " << entry.path();
    }
  }
  EXPECT_GT(files, 0u);
  EXPECT_GT(wal_or_sst, 0u) << "no WAL or SST file found: the scan looked at the wrong place";
  EXPECT_GT(with_marker, 0u) << "family data not found in any file: the scan proves nothing";

  // And the families still work from what is on disk.
  ServerProcess server(dir.path(), {});
  auto c = server.Connect();
  EXPECT_TRUE(IsError(RotateReply(c.get(), tokens[0]), kRevokedError));
  EXPECT_EQ(Presented(c.get(), tokens[1]), "grace");
  EXPECT_EQ(Presented(c.get(), tokens[2]), "head");
  EXPECT_EQ(RotateToken(c.get(), tokens[1]), tokens[2]);
}

// ---- 3. The generated key file. ----

TEST(RtokenDurability, GeneratedKeyFileIsPrivateAndSurvivesRestarts) {
  DataDir dir;
  const std::filesystem::path keys = std::filesystem::path(dir.path()) / "rtoken.keys";
  IssuedFamily f;
  std::string t1, key_bytes;
  {
    ServerProcess server(dir.path(), {});
    auto c = server.Connect();
    ASSERT_TRUE(std::filesystem::exists(keys)) << "no key file generated at start";
    EXPECT_EQ(Mode(keys), 0600);
    key_bytes = ReadFile(keys);
    EXPECT_FALSE(key_bytes.empty());
    f = IssueFamily(c.get(), "olga", "web", 3600, 600, {"GRACE", "60"});
    t1 = RotateToken(c.get(), f.token);
    Shutdown(server);
  }
  {
    ServerProcess server(dir.path(), {});
    auto c = server.Connect();
    EXPECT_EQ(ReadFile(keys), key_bytes) << "the key file changed across a restart";
    EXPECT_EQ(Mode(keys), 0600);
    EXPECT_EQ(Presented(c.get(), f.token), "grace");
    EXPECT_EQ(RotateToken(c.get(), f.token), t1);
    EXPECT_FALSE(RotateToken(c.get(), t1).empty());
    server.Kill9();
  }
  // Without the key file, a new key would turn every outstanding token into a forgery: the server
  // refuses to start and says why, and generates nothing.
  std::filesystem::remove(keys);
  const std::string cmd = std::string(LATCHKEY_SERVER_PATH) + " --port 0 --dir " + dir.path() + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string output;
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof(buf), p)) output.append(buf, n);
  const int status = pclose(p);
  EXPECT_NE(WEXITSTATUS(status), 0);
  EXPECT_NE(output.find("rtoken.keys is missing but the data holds refresh-token families"),
            std::string::npos)
      << output;
  EXPECT_FALSE(std::filesystem::exists(keys));
  // Restored, the same tokens work again.
  {
    std::ofstream restore(keys);
    restore << key_bytes;
  }
  std::filesystem::permissions(keys,
                               std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  ServerProcess server(dir.path(), {});
  auto c = server.Connect();
  EXPECT_EQ(Presented(c.get(), t1), "grace");
}

// Configured keys (`rtoken-keys kid:hex ...`): the first signs, every one verifies, so a new key put
// first keeps every outstanding token working; dropping the old key invalidates only its tokens.
TEST(RtokenDurability, ConfiguredKeysRotateWithoutLoggingAnyoneOut) {
  DataDir dir;
  const std::string old_key = "1:00112233445566778899aabbccddeeff",
                    new_key = "2:ffeeddccbbaa99887766554433221100";
  IssuedFamily f, g;
  std::string f1;
  {
    ServerProcess server(dir.path(), {"--rtoken-keys", old_key});
    auto c = server.Connect();
    f = IssueFamily(c.get(), "sam", "web", 3600, 600, {"GRACE", "60"});
    g = IssueFamily(c.get(), "sam", "web", 3600, 600);
    EXPECT_EQ(TokenBody(f.token)[0], 1) << "the token's kid";
    EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(dir.path()) / "rtoken.keys"))
        << "a key file was generated although keys are configured";
    Shutdown(server);
  }
  {
    ServerProcess server(dir.path(), {"--rtoken-keys", new_key + " " + old_key});
    auto c = server.Connect();
    EXPECT_EQ(Presented(c.get(), f.token), "head");
    f1 = RotateToken(c.get(), f.token);
    EXPECT_EQ(TokenBody(f1)[0], 2) << "the successor is signed by the first key";
    EXPECT_EQ(RotateToken(c.get(), f.token), f1) << "the replay under the old key's token";
    Shutdown(server);
  }
  ServerProcess server(dir.path(), {"--rtoken-keys", new_key});
  auto c = server.Connect();
  EXPECT_TRUE(IsError(RotateReply(c.get(), g.token), kBadTokenError)) << "the dropped key still verifies";
  EXPECT_TRUE(IsError(RotateReply(c.get(), f.token), kBadTokenError));
  EXPECT_EQ(Presented(c.get(), f1), "head");
  auto f2 = Rotate(c.get(), f1);
  ASSERT_TRUE(f2);
  EXPECT_EQ(f2->num("gen"), 2);
}

TEST(RtokenDurability, SaveCopiesTheKeyFileIntoTheCheckpoint) {
  DataDir dir, copy;
  IssuedFamily f, g;
  std::string f1;
  std::filesystem::path checkpoint;
  {
    ServerProcess server(dir.path(), {});
    auto c = server.Connect();
    f = IssueFamily(c.get(), "pia", "web", 3600, 600, {"GRACE", "60"});
    f1 = RotateToken(c.get(), f.token);
    g = IssueFamily(c.get(), "pia", "web", 3600, 600);
    EXPECT_STREQ(Command(c.get(), {"SAVE"})->str, "OK");
    for (const auto& entry :
         std::filesystem::directory_iterator(std::filesystem::path(dir.path()) / "checkpoints"))
      checkpoint = entry.path();
    ASSERT_FALSE(checkpoint.empty()) << "SAVE made no checkpoint";
    const std::filesystem::path keys = checkpoint / "rtoken.keys";
    ASSERT_TRUE(std::filesystem::exists(keys)) << "the checkpoint lacks rtoken.keys";
    EXPECT_EQ(ReadFile(keys), ReadFile(std::filesystem::path(dir.path()) / "rtoken.keys"));
    EXPECT_EQ(Mode(keys), 0600) << "the checkpoint's key file is readable by others";
    // Changes after the checkpoint are not in it.
    EXPECT_EQ(Int(Command(c.get(), {"RTOKEN.REVOKE", g.token})), 1);
    std::filesystem::copy(
        checkpoint, copy.path(),
        std::filesystem::copy_options::recursive | std::filesystem::copy_options::overwrite_existing);
  }
  ServerProcess server(copy.path(), {});
  auto c = server.Connect();
  EXPECT_EQ(Presented(c.get(), f1), "head");
  EXPECT_EQ(RotateToken(c.get(), f.token), f1) << "the copy does not replay the sealed successor";
  EXPECT_FALSE(RotateToken(c.get(), f1).empty());
  EXPECT_FALSE(RotateToken(c.get(), g.token).empty()) << "the checkpoint holds g before its revocation";
}

}  // namespace
}  // namespace latchkey::testing
