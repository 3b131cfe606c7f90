// The launcher end to end: meridian-server starts every daemon, each reports
// SERVING on gRPC health and serves /metrics, meridianctl lists them, SIGTERM
// stops them all with exit 0, a killed child is restarted, bad input ends the
// launcher with one line and exit 1; several frontends each serve clients and
// are listed in the ports file; the cluster flags reach the router; the
// router has no gRPC callback threads and daemons run as SCHED_BATCH.
#include <arpa/inet.h>
#include <sched.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "tests/support/process.h"
#include "tests/support/suite.h"

namespace meridian::testing {
namespace {

// Every URL of `"key":["a","b",...]` in a ports file.
std::vector<std::string> PortsFileUrls(const std::string& json, const std::string& key) {
  std::string needle = "\"" + key + "\":[";
  size_t at = json.find(needle);
  if (at == std::string::npos) return {};
  at += needle.size();
  std::string list = json.substr(at, json.find(']', at) - at);
  std::vector<std::string> urls;
  for (absl::string_view item : absl::StrSplit(list, ',', absl::SkipEmpty())) {
    urls.emplace_back(absl::StripSuffix(absl::StripPrefix(item, "\""), "\""));
  }
  return urls;
}

// A raw NATS client on host:port: reads INFO, sends CONNECT and PING, and
// returns what came back up to PONG (empty when the socket fails).
std::string RawPingPong(const std::string& host_port) {
  size_t colon = host_port.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(host_port.substr(colon + 1), &port)) {
    return "";
  }
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{.tv_sec = 10, .tv_usec = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, host_port.substr(0, colon).c_str(), &addr.sin_addr);
  std::string got;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string hello = "CONNECT {\"verbose\":false}\r\nPING\r\n";
    bool sent = false;
    char buf[4096];
    while (got.find("PONG\r\n") == std::string::npos) {
      if (!sent && got.find("\r\n") != std::string::npos) {
        sent = ::send(fd, hello.data(), hello.size(), MSG_NOSIGNAL) ==
               static_cast<ssize_t>(hello.size());
      }
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      got.append(buf, n);
    }
  }
  ::close(fd);
  return got;
}

// A process's argv, from /proc.
std::vector<std::string> Cmdline(int pid) {
  std::string raw = ReadFile("/proc/" + std::to_string(pid) + "/cmdline");
  return absl::StrSplit(raw, '\0', absl::SkipEmpty());
}

// The value following `flag` in argv ("" when absent).
std::string ArgAfter(const std::vector<std::string>& argv, const std::string& flag) {
  for (size_t i = 0; i + 1 < argv.size(); ++i) {
    if (argv[i] == flag) return argv[i + 1];
  }
  return "";
}

// A TCP port free right now on 127.0.0.1.
int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool OneLineExitOne(const RunResult& r) {
  return r.exit_code == 1 && !r.err.empty() && r.err.find('\n') == r.err.size() - 1;
}

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

// The thread names of a process, from /proc.
std::vector<std::string> ThreadNames(int pid) {
  std::vector<std::string> names;
  std::error_code error;
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    names.emplace_back(absl::StripSuffix(ReadFile(entry.path().string() + "/comm"), "\n"));
  }
  return names;
}

// The router's data plane is polled by its transport thread alone: no gRPC
// callback ("nexting") threads, which took its socket reads and handed them
// over (docs/benchmarks.md, "Across frontends"), and every daemon thread runs
// as SCHED_BATCH.
TEST(LauncherTest, RouterHasNoCallbackThreadsAndDaemonsRunBatch) {
  Suite suite;
  ASSERT_TRUE(suite.Start()) << suite.process().Stderr();
  std::vector<Member> members = suite.WaitAllServing(6);
  ASSERT_EQ(members.size(), 6u) << suite.Status().out << suite.process().Stderr();
  for (const Member& m : members) {
    if (m.kind == "server") continue;
    EXPECT_EQ(::sched_getscheduler(m.pid), SCHED_BATCH) << m.kind;
    if (m.kind != "router") continue;
    std::vector<std::string> names = ThreadNames(m.pid);
    ASSERT_FALSE(names.empty());
    for (const std::string& name : names) EXPECT_NE(name, "nexting_thread") << absl::StrJoin(names, ",");
  }
  EXPECT_EQ(suite.process().SignalAndWait(SIGTERM, absl::Seconds(30)), 0);
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
  for (const char* flag : {"--frontends", "--frontend_ports", "--cluster", "--routes",
                           "--cluster_name"}) {
    EXPECT_NE(h.out.find(flag), std::string::npos) << flag;
  }
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
  auto one_line = OneLineExitOne;
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

TEST(LauncherTest, SeveralFrontendsEachServeClients) {
  Suite suite({"--frontends", "3"});  // with -p -1 -m -1: every port random
  ASSERT_TRUE(suite.Start()) << suite.process().Stderr();
  std::string ports_path =
      suite.dir() + "/meridian-server_" + std::to_string(suite.process().pid()) + ".ports";
  std::string json = ReadFile(ports_path);
  std::vector<std::string> clients = PortsFileUrls(json, "nats");
  ASSERT_EQ(clients.size(), 3u) << json;
  EXPECT_EQ(std::set<std::string>(clients.begin(), clients.end()).size(), 3u) << json;
  std::vector<std::string> monitoring = PortsFileUrls(json, "monitoring");
  ASSERT_EQ(monitoring.size(), 3u) << json;
  EXPECT_EQ(std::set<std::string>(monitoring.begin(), monitoring.end()).size(), 3u) << json;
  for (const std::string& url : clients) {
    ASSERT_TRUE(absl::StartsWith(url, "nats://")) << url;
    std::string got = RawPingPong(url.substr(7));
    EXPECT_TRUE(absl::StartsWith(got, "INFO ")) << url << ": " << got;
    EXPECT_NE(got.find("PONG\r\n"), std::string::npos) << url << ": " << got;
    EXPECT_EQ(got.find("-ERR"), std::string::npos) << url << ": " << got;
  }
  for (const std::string& url : monitoring) {
    std::string body;
    std::string host_port(absl::StripPrefix(url, "http://"));
    EXPECT_EQ(HttpGet(host_port, "/healthz", &body), 200) << url;
    // Each frontend is attached to the router (/routez) and, once the
    // router told it about the others, lists every client URL in /varz.
    EXPECT_TRUE(PollUntil(
        [&] {
          return HttpGet(host_port, "/routez", &body) == 200 &&
                 body.find("\"num_routes\": 1") != std::string::npos;
        },
        absl::Seconds(10)))
        << url << ": " << body;
    EXPECT_TRUE(PollUntil(
        [&] {
          if (HttpGet(host_port, "/varz", &body) != 200) return false;
          for (const std::string& client : clients) {
            if (body.find("\"" + client.substr(7) + "\"") == std::string::npos) return false;
          }
          return true;
        },
        absl::Seconds(10)))
        << url << ": " << body;
  }
  // The launcher logs every client listener, as nats-server logs its one.
  std::string log = suite.process().Stderr();
  for (const std::string& url : clients) {
    EXPECT_NE(log.find("Listening for client connections on " + url), std::string::npos) << log;
  }

  // server + auth, router, jetstream, links and three frontends, each named.
  std::vector<Member> members = suite.WaitAllServing(8);
  ASSERT_EQ(members.size(), 8u) << suite.Status().out;
  std::set<std::string> frontend_names;
  for (const Member& m : members) {
    if (m.kind == "frontend") frontend_names.insert(m.name);
  }
  EXPECT_EQ(frontend_names,
            std::set<std::string>({"itest-frontend-0", "itest-frontend-1", "itest-frontend-2"}))
      << suite.Status().out;

  EXPECT_EQ(suite.process().SignalAndWait(SIGTERM, absl::Seconds(30)), 0)
      << suite.process().Stderr();
  for (const Member& m : members) {
    EXPECT_FALSE(ProcessAlive(m.pid)) << m.name << " pid " << m.pid << " left running";
  }
  EXPECT_TRUE(ReadFile(ports_path).empty()) << "ports file left behind";
}

TEST(LauncherTest, FrontendPortsMustMatchFrontends) {
  RunResult r = RunProgram({BinPath("meridian-server"), "--frontends", "3", "--frontend_ports",
                            "4222,5222"});
  EXPECT_TRUE(OneLineExitOne(r)) << r.err;
  EXPECT_NE(r.err.find("frontend_ports lists 2 ports for 3 frontends"), std::string::npos) << r.err;
  RunResult zero = RunProgram({BinPath("meridian-server"), "--frontends", "0"});
  EXPECT_TRUE(OneLineExitOne(zero)) << zero.err;
}

TEST(LauncherTest, BadClusterInputIsOneLine) {
  RunResult scheme = RunProgram({BinPath("meridian-server"), "-cluster", "http://127.0.0.1:6222"});
  EXPECT_TRUE(OneLineExitOne(scheme)) << scheme.err;
  EXPECT_NE(scheme.err.find("cluster URL \"http://127.0.0.1:6222\""), std::string::npos)
      << scheme.err;
  RunResult no_port = RunProgram({BinPath("meridian-server"), "--routes", "nats-route://hostonly"});
  EXPECT_TRUE(OneLineExitOne(no_port)) << no_port.err;
  EXPECT_NE(no_port.err.find("route \"nats-route://hostonly\""), std::string::npos)
      << no_port.err;
  RunResult advertise =
      RunProgram({BinPath("meridian-server"), "--cluster_advertise", "10.0.0.1:6222"});
  EXPECT_TRUE(OneLineExitOne(advertise)) << advertise.err;
  EXPECT_NE(advertise.err.find("flag -cluster_advertise is not supported by Meridian yet"),
            std::string::npos)
      << advertise.err;

  std::string dir = MakeTempDir("meridian-cluster-conf");
  std::string tls = dir + "/tls.conf";
  RunProgram({"/bin/sh", "-c",
              "printf 'cluster {\\n  port: 6222\\n  tls {\\n  }\\n}\\n' > " + tls});
  RunResult tls_result = RunProgram({BinPath("meridian-server"), "-c", tls});
  EXPECT_TRUE(OneLineExitOne(tls_result)) << tls_result.err;
  EXPECT_NE(tls_result.err.find(tls + ":3:"), std::string::npos) << tls_result.err;
  EXPECT_NE(tls_result.err.find("\"cluster.tls\" is not supported"), std::string::npos)
      << tls_result.err;
  std::string good = dir + "/cluster.conf";
  RunProgram({"/bin/sh", "-c",
              "printf 'cluster {\\n  name: c1\\n  listen: 127.0.0.1:6222\\n  routes: "
              "[nats-route://127.0.0.1:6223]\\n}\\n' > " + good});
  RunResult valid = RunProgram({BinPath("meridian-server"), "-t", "-c", good});
  EXPECT_EQ(valid.exit_code, 0) << valid.err;
  RemoveTree(dir);
}

TEST(LauncherTest, ClusterFlagsReachTheRouterAndFrontends) {
  // The cluster port is picked free, then bound by the router: another
  // process may take it in between, so a start that lost it is retried.
  std::unique_ptr<Suite> started_suite;
  std::string listen, route;
  for (int attempt = 0; attempt < 3 && started_suite == nullptr; ++attempt) {
    listen = "127.0.0.1:" + std::to_string(FreePort());
    route = "127.0.0.1:" + std::to_string(FreePort());
    // -js=false: clustered JetStream (-js with -routes) is refused.
    auto s = std::make_unique<Suite>(std::vector<std::string>{
        "-js=false", "--frontends", "2", "-cluster", "nats-route://" + listen, "-routes",
        "nats-route://" + route, "--cluster_name", "itest-cluster"});
    if (s->Start()) {
      started_suite = std::move(s);
    } else {
      ASSERT_NE(s->process().Stderr().find("in use"), std::string::npos)
          << s->process().Stderr();
    }
  }
  ASSERT_NE(started_suite, nullptr) << "the cluster port was taken three times";
  Suite& suite = *started_suite;
  std::string json = ReadFile(suite.dir() + "/meridian-server_" +
                              std::to_string(suite.process().pid()) + ".ports");
  EXPECT_EQ(PortsFileUrls(json, "cluster"), std::vector<std::string>({"nats://" + listen}))
      << json;
  EXPECT_NE(suite.process().Stderr().find("Listening for route connections on nats://" + listen),
            std::string::npos)
      << suite.process().Stderr();

  // launcher, auth, router, links, 2 frontends (no jetstream here)
  std::vector<Member> members = suite.WaitAllServing(6);
  ASSERT_EQ(members.size(), 6u) << suite.Status().out;
  int frontends = 0;
  for (const Member& m : members) {
    std::vector<std::string> argv = Cmdline(m.pid);
    if (m.kind == "router") {
      EXPECT_EQ(ArgAfter(argv, "--cluster_listen"), listen) << absl::StrJoin(argv, " ");
      EXPECT_EQ(ArgAfter(argv, "--routes"), route) << absl::StrJoin(argv, " ");
      EXPECT_EQ(ArgAfter(argv, "--cluster_name"), "itest-cluster") << absl::StrJoin(argv, " ");
    } else if (m.kind == "frontend") {
      ++frontends;
      // Own router first, then the other servers' routers to fail over to.
      std::vector<std::string> routers = absl::StrSplit(ArgAfter(argv, "--router"), ',');
      ASSERT_EQ(routers.size(), 2u) << absl::StrJoin(argv, " ");
      EXPECT_TRUE(absl::StartsWith(routers[0], "unix:")) << routers[0];
      EXPECT_TRUE(absl::EndsWith(routers[0], "/router.sock")) << routers[0];
      EXPECT_EQ(routers[1], route);
    } else if (m.kind == "jetstream" || m.kind == "links") {
      EXPECT_EQ(ArgAfter(argv, "--router").find(','), std::string::npos) << m.kind;
    }
  }
  EXPECT_EQ(frontends, 2);
  EXPECT_EQ(suite.process().SignalAndWait(SIGTERM, absl::Seconds(30)), 0)
      << suite.process().Stderr();
}

}  // namespace
}  // namespace meridian::testing
