// Durability as a client sees it: restarts keep data and absolute deadlines, expired keys stay gone,
// one server per data directory, checkpoints restore, and a failing disk gives errors, not lost or
// phantom data.
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "server_process.h"

namespace latchkey::testing {
namespace {

class DataDir {
 public:
  DataDir() {
    char tmpl[] = "/tmp/latchkey-durable-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~DataDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string Info(redisContext* c, const std::string& field) {
  std::string text = Command(c, {"INFO", "persistence"})->str;
  size_t at = text.find(field + ":");
  if (at == std::string::npos) return "";
  at += field.size() + 1;
  return text.substr(at, text.find("\r\n", at) - at);
}

void Sleep(double seconds) {
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
}

TEST(Durability, RestartKeepsValuesAndAbsoluteDeadlines) {
  DataDir dir;
  {
    ServerProcess server(dir.path(), {"--fsync", "always"});
    auto c = server.Connect();
    EXPECT_STREQ(Command(c.get(), {"SET", "k", "v", "EX", "100"})->str, "OK");
    EXPECT_STREQ(Command(c.get(), {"SET", "bin", std::string("a\0b", 3)})->str, "OK");
    EXPECT_EQ(Command(c.get(), {"INCRBY", "n", "41"})->integer, 41);
    EXPECT_EQ(Command(c.get(), {"APPEND", "s", "xyz"})->integer, 3);
    EXPECT_STREQ(Command(c.get(), {"SELECT", "5"})->str, "OK");
    EXPECT_STREQ(Command(c.get(), {"SET", "in5", "five"})->str, "OK");
    ASSERT_EQ(WEXITSTATUS(server.Terminate(SIGTERM)), 0);
  }
  Sleep(2.1);
  ServerProcess server(dir.path(), {});
  auto c = server.Connect();
  EXPECT_STREQ(Command(c.get(), {"GET", "k"})->str, "v");
  const int64_t ttl = Command(c.get(), {"TTL", "k"})->integer;
  EXPECT_LE(ttl, 98);
  EXPECT_GT(ttl, 90);
  auto bin = Command(c.get(), {"GET", "bin"});
  EXPECT_EQ(std::string(bin->str, bin->len), std::string("a\0b", 3));
  EXPECT_STREQ(Command(c.get(), {"GET", "n"})->str, "41");
  EXPECT_STREQ(Command(c.get(), {"OBJECT", "ENCODING", "n"})->str, "int");
  EXPECT_STREQ(Command(c.get(), {"GET", "s"})->str, "xyz");
  EXPECT_STREQ(Command(c.get(), {"TYPE", "s"})->str, "string");
  EXPECT_EQ(Command(c.get(), {"EXISTS", "in5"})->integer, 0);
  Command(c.get(), {"SELECT", "5"});
  EXPECT_STREQ(Command(c.get(), {"GET", "in5"})->str, "five");
}

TEST(Durability, KeyExpiredWhileDownIsGoneAfterRestart) {
  DataDir dir;
  {
    ServerProcess server(dir.path(), {"--fsync", "always"});
    auto c = server.Connect();
    Command(c.get(), {"SET", "brief", "v", "PX", "300"});
    Command(c.get(), {"SET", "lasting", "v", "EX", "1000"});
    server.Terminate(SIGTERM);
  }
  Sleep(0.5);
  {
    ServerProcess server(dir.path(), {});
    auto c = server.Connect();
    EXPECT_EQ(Command(c.get(), {"EXISTS", "brief"})->integer, 0);
    EXPECT_EQ(Command(c.get(), {"EXISTS", "lasting"})->integer, 1);
    EXPECT_EQ(Info(c.get(), "loading_expired_dropped"), "1");
    EXPECT_EQ(Info(c.get(), "loading_loaded_keys"), "1");
    server.Terminate(SIGTERM);
  }
  // The record was deleted at load, so the next start does not even see it.
  ServerProcess server(dir.path(), {});
  auto c = server.Connect();
  EXPECT_EQ(Info(c.get(), "loading_expired_dropped"), "0");
}

TEST(Durability, SecondServerOnSameDirectoryRefusesToStart) {
  DataDir dir;
  ServerProcess server(dir.path(), {});
  std::string cmd = std::string(LATCHKEY_SERVER_PATH) + " --port 0 --dir " + dir.path() + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string output;
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof(buf), p)) output.append(buf, n);
  int status = pclose(p);
  EXPECT_NE(WEXITSTATUS(status), 0);
  EXPECT_NE(output.find("in use by another latchkey-server"), std::string::npos) << output;
  auto c = server.Connect();
  EXPECT_STREQ(Command(c.get(), {"PING"})->str, "PONG");
}

TEST(Durability, FlushAndSwapPersist) {
  DataDir dir;
  {
    ServerProcess server(dir.path(), {"--fsync", "always"});
    auto c = server.Connect();
    Command(c.get(), {"SET", "a", "0"});
    Command(c.get(), {"SELECT", "1"});
    Command(c.get(), {"SET", "b", "1"});
    EXPECT_STREQ(Command(c.get(), {"SWAPDB", "0", "1"})->str, "OK");
    Command(c.get(), {"SELECT", "2"});
    Command(c.get(), {"SET", "c", "2"});
    EXPECT_STREQ(Command(c.get(), {"FLUSHDB"})->str, "OK");
    server.Terminate(SIGTERM);
  }
  ServerProcess server(dir.path(), {});
  auto c = server.Connect();
  EXPECT_STREQ(Command(c.get(), {"GET", "b"})->str, "1");
  Command(c.get(), {"SELECT", "1"});
  EXPECT_STREQ(Command(c.get(), {"GET", "a"})->str, "0");
  Command(c.get(), {"SELECT", "2"});
  EXPECT_EQ(Command(c.get(), {"DBSIZE"})->integer, 0);
  EXPECT_STREQ(Command(c.get(), {"FLUSHALL"})->str, "OK");
  server.Terminate(SIGTERM);
  ServerProcess again(dir.path(), {});
  auto c2 = again.Connect();
  EXPECT_EQ(Command(c2.get(), {"DBSIZE"})->integer, 0);
  Command(c2.get(), {"SELECT", "1"});
  EXPECT_EQ(Command(c2.get(), {"DBSIZE"})->integer, 0);
}

TEST(Durability, AcknowledgedWritesSurviveShutdownNosaveAndKill9) {
  DataDir dir;
  {
    ServerProcess server(dir.path(), {"--fsync", "always"});
    auto c = server.Connect();
    Command(c.get(), {"SET", "x", "1"});
    RawClient raw(server.port());
    raw.Send("SHUTDOWN NOSAVE\r\n");
    EXPECT_TRUE(raw.ClosedByPeer());
    server.WaitExit(10);
  }
  {
    ServerProcess server(dir.path(), {"--fsync", "always"});
    auto c = server.Connect();
    EXPECT_STREQ(Command(c.get(), {"GET", "x"})->str, "1");
    EXPECT_STREQ(Command(c.get(), {"SET", "y", "2"})->str, "OK");
    server.Kill9();
  }
  ServerProcess server(dir.path(), {});
  auto c = server.Connect();
  EXPECT_STREQ(Command(c.get(), {"GET", "y"})->str, "2");
}

TEST(Durability, SaveTakesACheckpointThatRestores) {
  DataDir dir;
  std::string checkpoint;
  {
    ServerProcess server(dir.path(), {});
    auto c = server.Connect();
    Command(c.get(), {"SET", "a", "1"});
    EXPECT_STREQ(Command(c.get(), {"SAVE"})->str, "OK");
    EXPECT_GT(Command(c.get(), {"LASTSAVE"})->integer, 1700000000);
    checkpoint = Info(c.get(), "last_checkpoint");
    ASSERT_FALSE(checkpoint.empty());
    Command(c.get(), {"SET", "a", "2"});
    EXPECT_STREQ(Command(c.get(), {"BGSAVE"})->str, "Background saving started");
    server.Terminate(SIGTERM);
  }
  // The documented restore procedure: start a server on a copy of the checkpoint.
  DataDir restored;
  std::filesystem::copy(
      checkpoint, restored.path(),
      std::filesystem::copy_options::recursive | std::filesystem::copy_options::overwrite_existing);
  ServerProcess server(restored.path(), {});
  auto c = server.Connect();
  EXPECT_STREQ(Command(c.get(), {"GET", "a"})->str, "1");
}

TEST(Durability, FailingDiskGivesErrorsAndNoPhantomState) {
  DataDir dir;
  {
    ServerProcess server(dir.path(), {"--fsync", "always", "--enable-debug-command", "yes"});
    auto c = server.Connect();
    EXPECT_STREQ(Command(c.get(), {"SET", "a", "1"})->str, "OK");
    EXPECT_STREQ(Command(c.get(), {"DEBUG", "DISK-FAIL", "on"})->str, "OK");
    auto failed = Command(c.get(), {"SET", "a", "2"});
    ASSERT_EQ(failed->type, REDIS_REPLY_ERROR);
    EXPECT_EQ(std::string(failed->str).rfind("MISCONF", 0), 0u) << failed->str;
    EXPECT_STREQ(Command(c.get(), {"GET", "a"})->str, "1");  // memory was put back
    auto refused = Command(c.get(), {"SET", "b", "1"});
    EXPECT_EQ(std::string(refused->str).rfind("MISCONF", 0), 0u) << refused->str;
    EXPECT_EQ(Info(c.get(), "writes_refused"), "1");
    EXPECT_STREQ(Command(c.get(), {"DEBUG", "DISK-FAIL", "off"})->str, "OK");
    bool recovered = false;
    for (int i = 0; i < 50 && !recovered; ++i) {
      auto r = Command(c.get(), {"SET", "c", "3"});
      recovered = r->type == REDIS_REPLY_STATUS;
      if (!recovered) Sleep(0.1);
    }
    EXPECT_TRUE(recovered);
    server.Kill9();
  }
  ServerProcess server(dir.path(), {});
  auto c = server.Connect();
  EXPECT_STREQ(Command(c.get(), {"GET", "a"})->str, "1");
  EXPECT_EQ(Command(c.get(), {"EXISTS", "b"})->integer, 0);
  EXPECT_STREQ(Command(c.get(), {"GET", "c"})->str, "3");
}

// A real full disk (a 16 MB tmpfs, where this machine lets the test mount one): error replies, no
// crash, and after a restart exactly the acknowledged state.
TEST(Durability, FullDiskOnTmpfs) {
  DataDir mount_point;
  const std::string mount = "mount -t tmpfs -o size=16m tmpfs " + mount_point.path() + " 2>/dev/null";
  if (std::system(mount.c_str()) != 0) GTEST_SKIP() << "cannot mount a tmpfs here (needs root)";
  struct Unmount {
    std::string path;
    ~Unmount() { (void)std::system(("umount " + path).c_str()); }
  } unmount{mount_point.path()};
  const std::string dir = mount_point.path() + "/db";
  const std::string filler = mount_point.path() + "/filler";
  {
    ServerProcess server(dir, {"--fsync", "always"});
    auto c = server.Connect();
    EXPECT_STREQ(Command(c.get(), {"SET", "a", "1"})->str, "OK");
    {
      FILE* f = std::fopen(filler.c_str(), "w");
      std::string chunk(1 << 16, 'f');
      while (f != nullptr && std::fwrite(chunk.data(), 1, chunk.size(), f) == chunk.size()) {
      }
      if (f != nullptr) std::fclose(f);
    }
    bool refused = false;
    for (int i = 0; i < 20 && !refused; ++i) {
      auto r = Command(c.get(), {"SET", std::string("k").append(std::to_string(i)), std::string(20000, 'x')});
      ASSERT_NE(r, nullptr) << "server died on a full disk";
      refused = r->type == REDIS_REPLY_ERROR && std::string(r->str).rfind("MISCONF", 0) == 0;
    }
    EXPECT_TRUE(refused);
    EXPECT_STREQ(Command(c.get(), {"GET", "a"})->str, "1");
    int status = server.Terminate(SIGTERM);
    EXPECT_TRUE(WIFEXITED(status)) << "server crashed on shutdown with a full disk";
  }
  std::remove(filler.c_str());
  {
    ServerProcess server(dir, {});
    auto c = server.Connect();
    EXPECT_STREQ(Command(c.get(), {"GET", "a"})->str, "1");
    // Every key is either absent or complete: nothing half-applied.
    for (int i = 0; i < 20; ++i) {
      auto r = Command(c.get(), {"STRLEN", std::string("k").append(std::to_string(i))});
      EXPECT_TRUE(r->integer == 0 || r->integer == 20000);
    }
    server.Terminate(SIGTERM);
  }
}

TEST(Durability, DebugIsRefusedUnlessEnabled) {
  ServerProcess server;
  auto c = server.Connect();
  auto r = Command(c.get(), {"DEBUG", "DISK-FAIL", "on"});
  EXPECT_EQ(std::string(r->str).rfind("ERR DEBUG command not allowed", 0), 0u);
}

}  // namespace
}  // namespace latchkey::testing
