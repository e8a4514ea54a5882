// Start-up and shutdown: signals, SHUTDOWN, bad configuration, CONFIG SET taking effect live.
#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "server_process.h"

namespace latchkey::testing {
namespace {

TEST(Lifecycle, SigtermShutsDownCleanly) {
  ServerProcess server;
  auto c = server.Connect();
  Command(c.get(), {"SET", "k", "v"});
  int status = server.Terminate(SIGTERM);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(Lifecycle, SigintShutsDownCleanly) {
  ServerProcess server;
  int status = server.Terminate(SIGINT);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(Lifecycle, ShutdownCommandStopsTheServer) {
  ServerProcess server;
  RawClient raw(server.port());
  raw.Send("SHUTDOWN NOSAVE\r\n");
  EXPECT_TRUE(raw.ClosedByPeer());
  int status = server.WaitExit(10);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(Lifecycle, BadConfigurationFailsToStart) {
  std::string cmd = std::string(LATCHKEY_SERVER_PATH) + " --port notaport 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  char buf[512] = {0};
  size_t n = fread(buf, 1, sizeof(buf) - 1, p);
  int status = pclose(p);
  EXPECT_NE(WEXITSTATUS(status), 0);
  EXPECT_NE(std::string(buf, n).find("port"), std::string::npos) << buf;
}

TEST(Lifecycle, ConfigFileIsReadAndFlagsOverrideIt) {
  char path[] = "/tmp/latchkey-conf-XXXXXX";
  int fd = mkstemp(path);
  close(fd);
  {
    std::ofstream conf(path);
    conf << "# test\nmaxclients 123\ntimeout 7\n";
  }
  ServerProcess server({path, "--timeout", "9"});
  auto c = server.Connect();
  auto maxclients = Command(c.get(), {"CONFIG", "GET", "maxclients"});
  ASSERT_EQ(maxclients->elements, 2u);
  EXPECT_STREQ(maxclients->element[1]->str, "123");
  EXPECT_STREQ(Command(c.get(), {"CONFIG", "GET", "timeout"})->element[1]->str, "9");
  // CONFIG SET changes it live, and CONFIG REWRITE writes it back to the file.
  EXPECT_STREQ(Command(c.get(), {"CONFIG", "SET", "maxclients", "456"})->str, "OK");
  EXPECT_STREQ(Command(c.get(), {"CONFIG", "REWRITE"})->str, "OK");
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("maxclients 456"), std::string::npos) << text;
  EXPECT_NE(text.find("# test"), std::string::npos) << text;
  std::remove(path);
}

TEST(Lifecycle, VersionFlag) {
  std::string cmd = std::string(LATCHKEY_SERVER_PATH) + " --version";
  FILE* p = popen(cmd.c_str(), "r");
  char buf[256] = {0};
  size_t n = fread(buf, 1, sizeof(buf) - 1, p);
  pclose(p);
  EXPECT_NE(std::string(buf, n).find("latchkey-server v="), std::string::npos);
}

}  // namespace
}  // namespace latchkey::testing
