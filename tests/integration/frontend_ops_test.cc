// Operating the frontend through the launcher: nats-server compatible
// monitoring endpoints, /metrics counters, config reload on SIGHUP and lame
// duck mode on SIGUSR2.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "tests/support/process.h"
#include "tests/support/suite.h"

namespace meridian::testing {
namespace {

// A blocking raw NATS connection with read deadlines.
class Raw {
 public:
  explicit Raw(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    timeval tv{0, 100 * 1000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Raw() { ::close(fd_); }
  bool connected() const { return connected_; }
  void Send(const std::string& s) { (void)!::write(fd_, s.data(), s.size()); }
  // Reads until `needle` was seen (true) or the deadline / EOF (false).
  bool WaitFor(const std::string& needle, absl::Duration timeout = absl::Seconds(10)) {
    absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      if (in_.find(needle) != std::string::npos) return true;
      char buf[4096];
      ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n == 0) {
        eof_ = true;
        return in_.find(needle) != std::string::npos;
      }
      if (n > 0) in_.append(buf, static_cast<size_t>(n));
    }
    return in_.find(needle) != std::string::npos;
  }
  bool WaitClosed(absl::Duration timeout) {
    WaitFor("\x01never", timeout);
    return eof_;
  }
  const std::string& in() const { return in_; }

 private:
  int fd_;
  bool connected_ = false;
  bool eof_ = false;
  std::string in_;
};

TEST(FrontendOpsTest, MonitoringEndpointsAndMetrics) {
  Suite suite;
  ASSERT_TRUE(suite.Start()) << suite.process().Stderr();
  Raw sub(suite.ClientPort()), pub(suite.ClientPort());
  ASSERT_TRUE(sub.connected() && pub.connected());
  sub.Send("CONNECT {\"name\":\"watcher\",\"lang\":\"raw\",\"version\":\"1.0\"}\r\nSUB ops.* 7\r\nPING\r\n");
  ASSERT_TRUE(sub.WaitFor("PONG"));
  pub.Send("CONNECT {}\r\nPUB ops.a 5\r\nhello\r\nPING\r\n");
  ASSERT_TRUE(pub.WaitFor("PONG"));
  ASSERT_TRUE(sub.WaitFor("MSG ops.a 7 5\r\nhello\r\n"));

  std::string body;
  ASSERT_EQ(HttpGet(suite.MonitoringHostPort(), "/varz", &body), 200);
  EXPECT_NE(body.find("\"server_id\": \"N"), std::string::npos) << body;
  EXPECT_NE(body.find("\"connections\": 2"), std::string::npos) << body;
  EXPECT_NE(body.find("\"in_msgs\": 1,"), std::string::npos) << body;
  EXPECT_NE(body.find("\"out_msgs\": 1,"), std::string::npos) << body;
  EXPECT_NE(body.find("\"max_payload\": 1048576"), std::string::npos) << body;

  ASSERT_EQ(HttpGet(suite.MonitoringHostPort(), "/connz?subs=1&sort=msgs_to", &body), 200);
  EXPECT_NE(body.find("\"num_connections\": 2"), std::string::npos) << body;
  EXPECT_NE(body.find("\"name\": \"watcher\""), std::string::npos) << body;
  EXPECT_NE(body.find("\"subscriptions_list\": [\n        \"ops.*\"\n      ]"), std::string::npos)
      << body;
  // Sorted by msgs_to: the subscriber (1 message out) comes first.
  EXPECT_LT(body.find("\"name\": \"watcher\""), body.find("\"cid\": 2")) << body;
  ASSERT_EQ(HttpGet(suite.MonitoringHostPort(), "/connz?limit=1&offset=1", &body), 200);
  EXPECT_NE(body.find("\"num_connections\": 1"), std::string::npos) << body;
  EXPECT_NE(body.find("\"total\": 2"), std::string::npos) << body;
  EXPECT_EQ(HttpGet(suite.MonitoringHostPort(), "/connz?sort=bogus", &body), 400);
  EXPECT_EQ(HttpGet(suite.MonitoringHostPort(), "/connz?subs=maybe", &body), 400);

  ASSERT_EQ(HttpGet(suite.MonitoringHostPort(), "/subsz?subs=1&test=ops.b", &body), 200);
  EXPECT_NE(body.find("\"num_subscriptions\": 1"), std::string::npos) << body;
  EXPECT_NE(body.find("\"subject\": \"ops.*\""), std::string::npos) << body;
  ASSERT_EQ(HttpGet(suite.MonitoringHostPort(), "/subsz?test=nomatch", &body), 200);
  EXPECT_NE(body.find("\"total\": 0"), std::string::npos) << body;

  ASSERT_EQ(HttpGet(suite.MonitoringHostPort(), "/healthz?js-enabled-only=true", &body), 200);
  EXPECT_EQ(body, "{\"status\":\"ok\"}");
  EXPECT_EQ(HttpGet(suite.MonitoringHostPort(), "/nothing-here", &body), 404);

  std::vector<Member> members = suite.WaitAllServing(6);
  for (const Member& m : members) {
    if (m.kind != "frontend") continue;
    ASSERT_EQ(HttpGet(m.metrics, "/metrics", &body), 200);
    EXPECT_NE(body.find("meridian_frontend_in_msgs_total{server_id=\"N"), std::string::npos) << body;
    EXPECT_NE(body.find("gnatsd_varz_connections{server_id=\"N"), std::string::npos) << body;
  }
  EXPECT_EQ(suite.process().SignalAndWait(SIGTERM, absl::Seconds(30)), 0);
}

TEST(FrontendOpsTest, ReloadAppliesLimitsAndRefusesFixedOptions) {
  std::string dir = MakeTempDir("meridian-reload");
  std::string conf = dir + "/server.conf";
  std::ofstream(conf) << "max_payload: 1KB\n";
  Suite suite({"-c", conf});
  ASSERT_TRUE(suite.Start()) << suite.process().Stderr();
  {
    Raw c(suite.ClientPort());
    ASSERT_TRUE(c.WaitFor("\"max_payload\":1024"));
  }
  std::ofstream(conf, std::ios::trunc) << "max_payload: 4KB\n";
  ::kill(suite.process().pid(), SIGHUP);
  EXPECT_TRUE(PollUntil(
      [&] {
        Raw c(suite.ClientPort());
        return c.WaitFor("\"max_payload\":4096", absl::Milliseconds(500));
      },
      absl::Seconds(10)));
  // Listeners cannot change at runtime: refused, the old ones keep serving.
  std::ofstream(conf, std::ios::trunc) << "http_host: 127.0.0.2\nmax_payload: 4KB\n";
  ::kill(suite.process().pid(), SIGHUP);
  EXPECT_TRUE(PollUntil(
      [&] { return suite.process().Stderr().find("config reload not supported for http_host") !=
                   std::string::npos; },
      absl::Seconds(10)));
  Raw still(suite.ClientPort());
  EXPECT_TRUE(still.WaitFor("INFO "));
  EXPECT_EQ(suite.process().SignalAndWait(SIGTERM, absl::Seconds(30)), 0);
  RemoveTree(dir);
}

TEST(FrontendOpsTest, LameDuckTellsClientsClosesThemAndStops) {
  std::string dir = MakeTempDir("meridian-ldm");
  std::string conf = dir + "/server.conf";
  std::ofstream(conf) << "lame_duck_grace_period: \"200ms\"\nlame_duck_duration: \"1s\"\n";
  Suite suite({"-c", conf});
  ASSERT_TRUE(suite.Start()) << suite.process().Stderr();
  Raw a(suite.ClientPort()), b(suite.ClientPort());
  a.Send("CONNECT {\"protocol\":1}\r\nPING\r\n");
  b.Send("CONNECT {\"protocol\":1}\r\nPING\r\n");
  ASSERT_TRUE(a.WaitFor("PONG") && b.WaitFor("PONG"));
  ::kill(suite.process().pid(), SIGUSR2);
  EXPECT_TRUE(a.WaitFor("\"ldm\":true")) << a.in();
  EXPECT_TRUE(b.WaitFor("\"ldm\":true")) << b.in();
  EXPECT_TRUE(a.WaitClosed(absl::Seconds(10)));
  EXPECT_TRUE(b.WaitClosed(absl::Seconds(10)));
  // Like nats-server, the server exits once lame duck mode is over.
  EXPECT_EQ(suite.process().Wait(absl::Seconds(30)), 0) << suite.process().Stderr();
  RemoveTree(dir);
}

}  // namespace
}  // namespace meridian::testing
