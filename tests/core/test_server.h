// A server under test on 127.0.0.1 and a random port: Meridian (the
// meridian-server launcher and the daemons it starts) or, for cross-checks,
// the reference nats-server. Stopped with everything it started when the
// object goes away, also when a test fails.
#pragma once

#include <sys/types.h>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "tests/support/process.h"

namespace meridian::testing {

enum class ServerKind { kMeridian, kNatsServer };

// "meridian" / "nats_server" (usable in test names).
std::string KindName(ServerKind kind);
inline void PrintTo(ServerKind kind, std::ostream* os) { *os << KindName(kind); }
// Path of the reference nats-server, "" when it is not installed.

struct ServerSetup {
  std::string config;             // configuration file text ("" = no -c)
  std::vector<std::string> args;  // extra flags, e.g. {"--user", "a", "--pass", "b"}
};
inline ServerSetup WithConfig(std::string config) { return ServerSetup{std::move(config), {}}; }
inline ServerSetup WithArgs(std::vector<std::string> args) {
  return ServerSetup{"", std::move(args)};
}

class TestServer {
 public:
  // Starts the server and waits for its client port; nullptr on failure
  // with the reason in *error.
  static std::unique_ptr<TestServer> Start(ServerKind kind, const ServerSetup& setup,
                                           std::string* error);
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  ServerKind kind() const { return kind_; }
  const std::string& host() const { return host_; }
  int port() const { return port_; }
  std::string url() const;
  std::string Log() const { return process_.Stderr(); }
  // Meridian: launcher log lines saying a daemon exited (a crash the
  // supervisor would hide by restarting it); "" when none.
  std::string DaemonExits() const;

 private:
  TestServer(ServerKind kind, std::string dir, std::vector<std::string> argv);
  bool WaitReady(std::string* error);
  void Stop();

  ServerKind kind_;
  std::string dir_;
  std::string host_ = "127.0.0.1";
  int port_ = 0;
  Process process_;
  pid_t pid_ = -1;
};

}  // namespace meridian::testing
