// SESSION.* across restarts and kill -9, and what reaches the disk: never a plaintext id.
#include "session_test_helpers.h"

namespace latchkey::testing {
namespace {

// ---- 5. Restarts and crashes. ----

TEST(Sessions, RestartKeepsSessionsDataAndDeadlines) {
  DataDir dir;
  Session a, b, brief, revoked;
  std::string renewed_id;
  int64_t created_ms = 0;
  double brief_created = 0;
  {
    ServerProcess server(dir.path(), {});
    auto c = server.Connect();
    a = Create(c.get(), "hank", 600, 3600, {"CLIENT", "mobile", "DATA", "first"});
    b = Create(c.get(), "hank", 600, 3600);
    revoked = Create(c.get(), "hank", 600, 3600);
    EXPECT_STREQ(Command(c.get(), {"SESSION.SETDATA", a.id, std::string("second\0", 7)})->str, "OK");
    auto r = AsMap(Command(c.get(), {"SESSION.RENEW", b.id, "GRACE", "600"}), 2);
    ASSERT_TRUE(r);
    renewed_id = r->str("id");
    EXPECT_EQ(Command(c.get(), {"SESSION.REVOKE", revoked.id})->integer, 1);
    created_ms = GetSession(c.get(), a.id)->num("created");
    brief = Create(c.get(), "hank", 1, 3600);
    brief_created = Now();
    ASSERT_EQ(WEXITSTATUS(server.Terminate(SIGTERM)), 0);
  }
  // `first`: no TOUCH happened yet, so the idle deadline is still the one CREATE answered.
  auto check = [&](redisContext* c, bool first) {
    auto got = GetSession(c, a.id);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->str("sub"), "hank");
    EXPECT_EQ(got->str("handle"), a.handle);
    EXPECT_EQ(got->str("client"), "mobile");
    EXPECT_EQ(got->str("data"), std::string("second\0", 7));
    EXPECT_EQ(got->num("created"), created_ms);
    EXPECT_EQ(got->num("abs_deadline"), a.abs_deadline) << "the absolute deadline moved across a restart";
    if (first) {
      EXPECT_EQ(got->num("idle_deadline"), a.idle_deadline);
    } else {
      EXPECT_GE(got->num("idle_deadline"), a.idle_deadline);
      EXPECT_EQ(got->num("idle_deadline"), got->num("last_seen") + 600 * 1000);
    }
    // The renewed session: both ids (the old one in its grace), same handle.
    auto by_new = GetSession(c, renewed_id);
    ASSERT_TRUE(by_new);
    EXPECT_EQ(by_new->str("handle"), b.handle);
    EXPECT_EQ(by_new->num("abs_deadline"), b.abs_deadline);
    auto by_old = GetSession(c, b.id);
    ASSERT_TRUE(by_old) << "the grace of a renewed id did not survive the restart";
    EXPECT_EQ(by_old->str("handle"), b.handle);
    EXPECT_TRUE(IsError(Command(c, {"SESSION.RENEW", b.id}), "NOTFOUND no live session for this id"));
    // The revoked one stays revoked.
    EXPECT_FALSE(Live(c, revoked.id));
    EXPECT_EQ(Command(c, {"SESSION.REVOKE", "HANDLE", revoked.handle})->integer, 0);
  };
  {
    ServerProcess server(dir.path(), {});
    auto c = server.Connect();
    check(c.get(), true);
    EXPECT_GE(InfoField(c.get(), "sessions", "sessions_loaded"), 2);
    // The idle deadline of a session created just before the stop still runs out on time.
    SleepUntil(brief_created, 1.1);
    EXPECT_FALSE(Live(c.get(), brief.id));
    EXPECT_EQ(ListHandles(c.get(), "hank"), (std::set<std::string>{a.handle, b.handle}));
    // TOUCH after the restart slides only the idle deadline.
    auto touched = GetSession(c.get(), a.id, true);
    ASSERT_TRUE(touched);
    EXPECT_EQ(touched->num("abs_deadline"), a.abs_deadline);
    RawClient raw(server.port());
    raw.Send("SHUTDOWN\r\n");
    EXPECT_TRUE(raw.ClosedByPeer());
    EXPECT_EQ(WEXITSTATUS(server.WaitExit(10)), 0);
  }
  // A second restart, after SHUTDOWN: the same.
  ServerProcess server(dir.path(), {});
  auto c = server.Connect();
  check(c.get(), false);
  EXPECT_EQ(InfoField(c.get(), "sessions", "sessions_live"), 2);
}

TEST(Sessions, Kill9RightAfterAcknowledgedCreateKeepsTheSession) {
  DataDir dir;
  Session s, gone;
  {
    ServerProcess server(dir.path(), {"--fsync", "always"});
    auto c = server.Connect();
    gone = Create(c.get(), "ivan", 600, 3600);
    EXPECT_EQ(Command(c.get(), {"SESSION.REVOKE", gone.id})->integer, 1);
    s = Create(c.get(), "ivan", 600, 3600, {"DATA", "payload"});
    ASSERT_FALSE(s.id.empty());
    server.Kill9();
  }
  {
    ServerProcess server(dir.path(), {"--fsync", "always"});
    auto c = server.Connect();
    auto got = GetSession(c.get(), s.id);
    ASSERT_TRUE(got) << "an acknowledged SESSION.CREATE was lost by kill -9";
    EXPECT_EQ(got->str("data"), "payload");
    EXPECT_EQ(got->num("abs_deadline"), s.abs_deadline);
    EXPECT_FALSE(Live(c.get(), gone.id)) << "a revoked session came back after kill -9";
    // SETDATA and RENEW acknowledged just before another kill -9 survive too.
    EXPECT_STREQ(Command(c.get(), {"SESSION.SETDATA", s.id, "changed"})->str, "OK");
    auto r = AsMap(Command(c.get(), {"SESSION.RENEW", s.id}), 2);
    ASSERT_TRUE(r);
    const std::string new_id = r->str("id");
    server.Kill9();
    ServerProcess again(dir.path(), {});
    auto c2 = again.Connect();
    auto after = GetSession(c2.get(), new_id);
    ASSERT_TRUE(after) << "an acknowledged SESSION.RENEW was lost by kill -9";
    EXPECT_EQ(after->str("data"), "changed");
    EXPECT_FALSE(Live(c2.get(), s.id));
  }
}

// ---- 6. Only SHA-256(id) is stored. ----

TEST(Sessions, NoPlaintextIdInTheDataDirectory) {
  DataDir dir;
  std::vector<std::string> ids;
  const std::string marker = "marker-7f3a9c2e41d8b605";
  {
    ServerProcess server(dir.path(), {});
    auto c = server.Connect();
    for (int i = 0; i < 20; ++i) {
      Session s = Create(c.get(), Numbered("user", i % 4), 600, 3600, {"DATA", marker});
      ids.push_back(s.id);
    }
    // Renewed ids (and the old ones kept for a grace) are secrets too.
    for (int i = 0; i < 5; ++i) {
      auto r = AsMap(Command(c.get(), {"SESSION.RENEW", ids[static_cast<size_t>(i)], "GRACE", "600"}), 2);
      ASSERT_TRUE(r);
      ids.push_back(r->str("id"));
    }
    EXPECT_EQ(Command(c.get(), {"SESSION.REVOKE", ids[10], "REASON", "test"})->integer, 1);
    EXPECT_EQ(InfoField(c.get(), "sessions", "sessions_live"), 19);
    EXPECT_EQ(InfoField(c.get(), "sessions", "sessions_created"), 20);
    EXPECT_EQ(InfoField(c.get(), "sessions", "sessions_revoked"), 1);
    EXPECT_STREQ(Command(c.get(), {"SAVE"})->str, "OK");
    ASSERT_EQ(WEXITSTATUS(server.Terminate(SIGTERM)), 0);
  }
  size_t files = 0, with_marker = 0, wal_or_sst = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path())) {
    if (!entry.is_regular_file()) continue;
    ++files;
    const std::string name = entry.path().filename().string();
    if (name.size() > 4 &&
        (name.substr(name.size() - 4) == ".log" || name.substr(name.size() - 4) == ".sst")) {
      ++wal_or_sst;
    }
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    const std::string bytes = content.str();
    if (bytes.find(marker) != std::string::npos) ++with_marker;
    for (const auto& id : ids) {
      EXPECT_EQ(bytes.find(id), std::string::npos) << "plaintext id in " << entry.path();
      // Nor the id without its prefix (its base64url body).
      EXPECT_EQ(bytes.find(id.substr(3)), std::string::npos) << "id body in " << entry.path();
    }
  }
  EXPECT_GT(files, 0u);
  EXPECT_GT(wal_or_sst, 0u) << "no WAL or SST file found: the scan looked at the wrong place";
  // The scan does see session records: their data is stored readable.
  EXPECT_GT(with_marker, 0u) << "session data not found in any file: the scan proves nothing";

  // And the sessions are still there after the restart (the ids are not needed on disk to find them).
  ServerProcess server(dir.path(), {});
  auto c = server.Connect();
  EXPECT_TRUE(Live(c.get(), ids[0]));
  EXPECT_TRUE(Live(c.get(), ids[20]));
  EXPECT_FALSE(Live(c.get(), ids[10]));
  EXPECT_EQ(InfoField(c.get(), "sessions", "sessions_live"), 19);
}

}  // namespace
}  // namespace latchkey::testing
