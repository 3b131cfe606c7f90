// The launcher end to end: meridian-server starts every daemon, each reports
// SERVING on gRPC health and serves /metrics, meridianctl lists them, SIGTERM
// stops them all with exit 0, a killed child is restarted, bad input ends the
// launcher with one line and exit 1.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "tests/support/process.h"
#include "tests/support/suite.h"

namespace meridian::testing {
namespace {

TEST(LauncherTest, StartsEveryDaemonServesMetricsAndStopsCleanly) {
  Suite suite;
  ASSERT_TRUE(suite.Start()) << suite.process().Stderr();
  // server + auth, router, jetstream, links, frontend
  std::vector<Member> members = suite.WaitAllServing(6);
  ASSERT_EQ(members.size(), 6u) << suite.Status().out << suite.process().Stderr();
  std::map<std::string, Member> by_kind;
  for (const Member& m : members) by_kind[m.kind] = m;
  for (const char* kind : {"server", "auth", "router", "jetstream", "links", "frontend"}) {
    ASSERT_TRUE(by_kind.count(kind)) << kind;
    std::string body;
    EXPECT_EQ(HttpGet(by_kind[kind].metrics, "/metrics", &body), 200) << kind;
    EXPECT_NE(body.find("# TYPE"), std::string::npos) << kind << ": " << body;
  }
  std::string body;
  EXPECT_NE(HttpGet(by_kind["server"].metrics, "/metrics", &body), 0);
  EXPECT_NE(body.find("meridian_launcher_child_restarts_total"), std::string::npos) << body;
  // The monitoring port answers /healthz as nats-server does.
  EXPECT_EQ(HttpGet(suite.MonitoringHostPort(), "/healthz", &body), 200);
  EXPECT_EQ(body, "{\"status\":\"ok\"}");

  EXPECT_EQ(suite.process().SignalAndWait(SIGTERM, absl::Seconds(30)), 0)
      << suite.process().Stderr();
  for (const Member& m : members) {
    EXPECT_FALSE(ProcessAlive(m.pid)) << m.kind << " pid " << m.pid << " left running";
  }
}

TEST(LauncherTest, KilledChildIsRestarted) {
  Suite suite;
  ASSERT_TRUE(suite.Start()) << suite.process().Stderr();
  std::vector<Member> members = suite.WaitAllServing(6);
  ASSERT_EQ(members.size(), 6u);
  int router_pid = 0;
  for (const Member& m : members) {
    if (m.kind == "router") router_pid = m.pid;
  }
  ASSERT_GT(router_pid, 0);
  ASSERT_EQ(::kill(router_pid, SIGKILL), 0);
  Member router;
  bool restarted = PollUntil(
      [&] {
        for (const Member& m : ParseStatus(suite.Status().out)) {
          if (m.kind == "router") router = m;
        }
        return router.restarts == 1 && router.health == "SERVING" && router.pid != router_pid &&
               router.pid != 0;
      },
      absl::Seconds(30));
  EXPECT_TRUE(restarted) << suite.Status().out;
  EXPECT_NE(suite.process().Stderr().find("meridian-router exited (killed by signal 9)"),
            std::string::npos)
      << suite.process().Stderr();
  std::string body;
  HttpGet(members[0].metrics, "/metrics", &body);
  EXPECT_NE(body.find("meridian_launcher_child_restarts_total{daemon=\"router\"} 1"),
            std::string::npos)
      << body;
  EXPECT_EQ(suite.process().SignalAndWait(SIGTERM, absl::Seconds(30)), 0);
  EXPECT_FALSE(ProcessAlive(router.pid));
}

TEST(LauncherTest, VersionAndHelp) {
  RunResult v = RunProgram({BinPath("meridian-server"), "-v"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_EQ(v.out.rfind("meridian-server: v2.", 0), 0u) << v.out;
  RunResult h = RunProgram({BinPath("meridian-server"), "--help"});
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_NE(h.out.find("--jetstream"), std::string::npos);
  for (const char* d : {"meridian-frontend", "meridian-router", "meridian-jetstream",
                        "meridian-links", "meridian-auth", "meridianctl"}) {
    EXPECT_EQ(RunProgram({BinPath(d), "--version"}).exit_code, 0) << d;
    RunResult help = RunProgram({BinPath(d), "--help"});
    EXPECT_EQ(help.exit_code, 0) << d;
    EXPECT_NE(help.out.find("Usage:"), std::string::npos) << d;
  }
}

TEST(LauncherTest, BadInputIsOneLineAndExitOne) {
  std::string dir = MakeTempDir("meridian-bad");
  auto one_line = [](const RunResult& r) {
    return r.exit_code == 1 && !r.err.empty() && r.err.find('\n') == r.err.size() - 1;
  };
  RunResult unknown = RunProgram({BinPath("meridian-server"), "--nope"});
  EXPECT_TRUE(one_line(unknown)) << unknown.err;
  EXPECT_NE(unknown.err.find("flag provided but not defined: -nope"), std::string::npos);

  std::string bad = dir + "/bad.conf";
  RunProgram({"/bin/sh", "-c", "printf 'port: 4222\\nauthorization {\\n  user: a\\n' > " + bad});
  RunResult malformed = RunProgram({BinPath("meridian-server"), "-c", bad});
  EXPECT_TRUE(one_line(malformed)) << malformed.err;
  EXPECT_NE(malformed.err.find(bad + ":"), std::string::npos) << malformed.err;

  std::string unsupported = dir + "/mqtt.conf";
  RunProgram({"/bin/sh", "-c", "printf 'port: 4222\\nmqtt {\\n port: 1883\\n}\\n' > " + unsupported});
  RunResult unsup = RunProgram({BinPath("meridian-server"), "-c", unsupported});
  EXPECT_TRUE(one_line(unsup)) << unsup.err;
  EXPECT_NE(unsup.err.find(unsupported + ":2:"), std::string::npos) << unsup.err;
  EXPECT_NE(unsup.err.find("not supported"), std::string::npos) << unsup.err;

  RunResult missing = RunProgram({BinPath("meridian-server"), "-c", dir + "/missing.conf"});
  EXPECT_TRUE(one_line(missing)) << missing.err;

  // A port in use: held by this test.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::string port = std::to_string(ntohs(addr.sin_port));
  RunResult in_use = RunProgram({BinPath("meridian-server"), "-a", "127.0.0.1", "-p", port,
                          "--admin_listen", "127.0.0.1:0"});
  EXPECT_TRUE(one_line(in_use)) << in_use.err;
  EXPECT_NE(in_use.err.find("address already in use"), std::string::npos) << in_use.err;
  ::close(fd);

  std::string good = dir + "/good.conf";
  RunProgram({"/bin/sh", "-c", "printf 'port: 4222\\njetstream: enabled\\n' > " + good});
  RunResult test_ok = RunProgram({BinPath("meridian-server"), "-t", "-c", good});
  EXPECT_EQ(test_ok.exit_code, 0) << test_ok.err;
  EXPECT_NE(test_ok.out.find("is valid"), std::string::npos);
  RemoveTree(dir);
}

TEST(LauncherTest, DaemonAloneWithItsOwnFlags) {
  // As Kubernetes starts it: one daemon, its ports named by flags.
  Process router({BinPath("meridian-router"), "--grpc_listen", "127.0.0.1:0", "--metrics_listen",
                  "127.0.0.1:0"});
  ASSERT_TRUE(router.Start());
  bool ready = PollUntil([&] { return router.Stderr().find(" ready: ") != std::string::npos; },
                         absl::Seconds(20));
  ASSERT_TRUE(ready) << router.Stderr();
  std::string log = router.Stderr();
  size_t at = log.find("grpc=");
  std::string grpc = log.substr(at + 5, log.find(' ', at) - at - 5);
  RunResult info = RunProgram({BinPath("meridianctl"), "--server", grpc, "status"});
  EXPECT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find("router"), std::string::npos) << info.out;
  EXPECT_EQ(router.SignalAndWait(SIGTERM, absl::Seconds(20)), 0) << router.Stderr();
}

}  // namespace
}  // namespace meridian::testing
