// TLS as a client sees it: redis-cli --tls with a client certificate the CA signed gets answers on the
// TLS port while the plain port keeps serving; a certificate from another CA, no certificate when
// tls-auth-clients is yes, and plaintext on the TLS port are all refused in the handshake without
// disturbing anyone else; tls-auth-clients no serves clients without certificates; a TLS port without
// its files refuses to start. Certificates are made per test run with the openssl command.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "server_process.h"

namespace latchkey::testing {
namespace {

// Runs a shell command; returns its stdout and stderr, and sets `*status` to its exit code.
std::string Shell(const std::string& command, int* status = nullptr) {
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  const int rc = pclose(p);
  if (status != nullptr) *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return out;
}

// A CA, a server certificate for 127.0.0.1 and a client certificate it signed, and a second CA with
// a client certificate of its own (the "rogue" one), in a fresh directory.
class Certificates {
 public:
  Certificates() {
    char tmpl[] = "/tmp/latchkey-tls-XXXXXX";
    dir_ = mkdtemp(tmpl);
    MakeCa("ca");
    MakeCa("rogue-ca");
    MakeSigned("server", "ca", "subjectAltName=IP:127.0.0.1");
    MakeSigned("client", "ca", "");
    MakeSigned("rogue-client", "rogue-ca", "");
  }
  ~Certificates() { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

 private:
  void MakeCa(const std::string& name) {
    Run("openssl req -x509 -new -nodes -newkey rsa:2048 -sha256 -days 2 -subj /CN=" + name + " -keyout " +
        Path(name + ".key") + " -out " + Path(name + ".crt"));
  }
  void MakeSigned(const std::string& name, const std::string& ca, const std::string& extension) {
    Run("openssl req -new -nodes -newkey rsa:2048 -subj /CN=" + name + " -keyout " + Path(name + ".key") +
        " -out " + Path(name + ".csr"));
    std::string ext_file;
    if (!extension.empty()) {
      ext_file = Path(name + ".ext");
      Run("echo '" + extension + "' > " + ext_file);
    }
    Run("openssl x509 -req -sha256 -days 2 -in " + Path(name + ".csr") + " -CA " + Path(ca + ".crt") +
        " -CAkey " + Path(ca + ".key") + " -CAcreateserial -out " + Path(name + ".crt") +
        (ext_file.empty() ? "" : " -extfile " + ext_file));
  }
  void Run(const std::string& command) {
    int status = 0;
    const std::string out = Shell(command, &status);
    ASSERT_EQ(status, 0) << command << "\n" << out;
  }
  std::string dir_;
};

class TlsTest : public ::testing::Test {
 protected:
  std::vector<std::string> TlsArgs(const std::string& auth_clients) const {
    return {"--tls-port",         std::to_string(tls_port_),
            "--tls-cert-file",    certs_.Path("server.crt"),
            "--tls-key-file",     certs_.Path("server.key"),
            "--tls-ca-cert-file", certs_.Path("ca.crt"),
            "--tls-auth-clients", auth_clients};
  }
  // redis-cli over TLS to the TLS port, trusting our CA, with `client` ("" for no certificate).
  std::string Cli(const std::string& client, const std::string& command, int* status = nullptr) const {
    std::string line =
        "redis-cli --tls --cacert " + certs_.Path("ca.crt") + " -h 127.0.0.1 -p " + std::to_string(tls_port_);
    if (!client.empty()) {
      line += " --cert " + certs_.Path(client + ".crt") + " --key " + certs_.Path(client + ".key");
    }
    return Shell(line + " " + command, status);
  }

  Certificates certs_;
  int tls_port_ = FreePort();
};

TEST_F(TlsTest, ClientWithACertificateTheCaSignedIsServed) {
  ServerProcess server(TlsArgs("yes"));
  EXPECT_EQ(Cli("client", "SET k over-tls"), "OK\n");
  EXPECT_EQ(Cli("client", "GET k"), "over-tls\n");
  // Two thousand round trips on one TLS connection.
  EXPECT_EQ(Cli("client", "-r 2000 INCR counter").substr(0, 2), "1\n");
  EXPECT_EQ(Cli("client", "GET counter"), "2000\n");
  ExpectServes(server);  // the plain port still answers
      RedisConn c = server.Connect();
  Reply r = Command(c.get(), {"GET", "k"});
  ASSERT_NE(r, nullptr);
  EXPECT_STREQ(r->str, "over-tls");  // one keyspace behind both ports
}

TEST_F(TlsTest, HandshakesThatMustFailAreRefusedAndOthersAreUndisturbed) {
  ServerProcess server(TlsArgs("yes"));
  int status = 0;
  std::string out = Cli("rogue-client", "PING", &status);
  EXPECT_EQ(out.find("PONG"), std::string::npos) << "a certificate from another CA was accepted";
  out = Cli("", "PING", &status);
  EXPECT_EQ(out.find("PONG"), std::string::npos) << "no client certificate, yet tls-auth-clients is yes";
  // Plaintext RESP on the TLS port: no reply, the connection is closed.
  RawClient raw(tls_port_);
  raw.Send("PING\r\n");
  EXPECT_TRUE(raw.ClosedByPeer());
  // A client trusting another CA refuses the server's certificate.
  out = Shell("redis-cli --tls --cacert " + certs_.Path("rogue-ca.crt") + " --cert " +
              certs_.Path("client.crt") + " --key " + certs_.Path("client.key") + " -h 127.0.0.1 -p " +
              std::to_string(tls_port_) + " PING");
  EXPECT_EQ(out.find("PONG"), std::string::npos);
  EXPECT_EQ(Cli("client", "PING"), "PONG\n");
  ExpectServes(server);  // the plain port still answers
}

TEST_F(TlsTest, OptionalAndNoClientCertificates) {
  {
    ServerProcess server(TlsArgs("optional"));
    EXPECT_EQ(Cli("", "PING"), "PONG\n");
    EXPECT_EQ(Cli("client", "PING"), "PONG\n");
    EXPECT_EQ(Cli("rogue-client", "PING").find("PONG"), std::string::npos) << "one presented must verify";
  }
  tls_port_ = FreePort();
  ServerProcess server({"--tls-port", std::to_string(tls_port_), "--tls-cert-file", certs_.Path("server.crt"),
                        "--tls-key-file", certs_.Path("server.key"), "--tls-auth-clients", "no"});
  EXPECT_EQ(Cli("", "PING"), "PONG\n");
}

TEST_F(TlsTest, ATlsPortWithoutItsFilesRefusesToStart) {
  const std::string server = LATCHKEY_SERVER_PATH;
  const std::string port =
      " --port " + std::to_string(FreePort()) + " --tls-port " + std::to_string(tls_port_);
  int status = 0;
  std::string out = Shell(server + port + " --dir /tmp/latchkey-tls-nostart", &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("tls-cert-file"), std::string::npos) << out;
  out =
      Shell(server + port + " --dir /tmp/latchkey-tls-nostart --tls-cert-file " + certs_.Path("server.crt") +
                " --tls-key-file " + certs_.Path("client.key") + " --tls-auth-clients no",
            &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("tls-key-file"), std::string::npos) << out;
  std::filesystem::remove_all("/tmp/latchkey-tls-nostart");
}

}  // namespace
}  // namespace latchkey::testing
