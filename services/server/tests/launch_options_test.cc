#include "services/server/launch_options.h"

#include <unistd.h>

#include <fstream>

#include "gtest/gtest.h"

namespace meridian::launcher {
namespace {

absl::StatusOr<LaunchOptions> Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "meridian-server");
  return ParseLaunchOptions(static_cast<int>(args.size()), args.data());
}

std::string WriteConf(const std::string& text) {
  static int n = 0;
  std::string path = ::testing::TempDir() + "/launch_" + std::to_string(::getpid()) + "_" +
                     std::to_string(n++) + ".conf";
  std::ofstream(path) << text;
  return path;
}

TEST(LaunchOptionsTest, Defaults) {
  auto o = Parse({});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->host, "0.0.0.0");
  EXPECT_EQ(o->port, 4222);
  EXPECT_EQ(o->http_port, 0);
  EXPECT_FALSE(o->jetstream);
  EXPECT_EQ(o->admin_listen, "127.0.0.1:8223");
}

TEST(LaunchOptionsTest, NatsServerFlags) {
  auto o = Parse({"-a", "127.0.0.1", "-p", "-1", "-m", "8333", "-js", "-sd", "/tmp/x", "--user",
                  "u", "--pass", "p", "-n", "srv", "-DV", "-l", "/tmp/l.log", "-P", "/tmp/p.pid",
                  "--ports_file_dir", "/tmp"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->host, "127.0.0.1");
  EXPECT_EQ(o->port, -1);
  EXPECT_EQ(o->http_port, 8333);
  EXPECT_TRUE(o->jetstream);
  EXPECT_EQ(o->store_dir, "/tmp/x");
  EXPECT_EQ(o->user, "u");
  EXPECT_EQ(o->server_name, "srv");
  EXPECT_TRUE(o->debug);
  EXPECT_TRUE(o->trace);
  EXPECT_EQ(o->admin_listen, "127.0.0.1:0");  // random, like the client port
  auto long_forms = Parse({"--addr=127.0.0.2", "--port", "5000", "--http_port", "8000",
                           "--jetstream", "--store_dir", "/d", "--server_name", "x", "--net",
                           "127.0.0.3"});
  ASSERT_TRUE(long_forms.ok()) << long_forms.status();
  EXPECT_EQ(long_forms->host, "127.0.0.3");
  EXPECT_EQ(long_forms->port, 5000);
}

TEST(LaunchOptionsTest, UnknownAndUnsupportedFlags) {
  EXPECT_EQ(Parse({"--bogus"}).status().message(), "flag provided but not defined: -bogus");
  EXPECT_EQ(Parse({"--tls"}).status().message(), "flag -tls is not supported by Meridian yet");
  EXPECT_EQ(Parse({"--cluster_advertise", "a:1"}).status().message(),
            "flag -cluster_advertise is not supported by Meridian yet");
  EXPECT_EQ(Parse({"-no_advertise"}).status().message(),
            "flag -no_advertise is not supported by Meridian yet");
  EXPECT_FALSE(Parse({"-p", "70000"}).ok());
  EXPECT_FALSE(Parse({"-p"}).ok());
}

TEST(LaunchOptionsTest, ConfigFileAndFlagsWin) {
  std::string path = WriteConf(
      "# a nats-server config\n"
      "listen: 127.0.0.1:4333\n"
      "http_port: 8444\n"
      "server_name: \"from-file\"\n"
      "debug: true\n"
      "jetstream {\n  store_dir: /tmp/js\n  max_memory_store: 1GB\n  max_file_store: 10G\n}\n"
      "authorization { user: alice, password: secret }\n"
      "http_base_path: /mon\n"
      "max_payload: 2MB\n");
  auto o = Parse({"-c", path.c_str(), "-p", "4999"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->http_base_path, "/mon");
  EXPECT_EQ(o->limits.max_payload, 2 * 1024 * 1024);
  EXPECT_EQ(o->host, "127.0.0.1");
  EXPECT_EQ(o->port, 4999);
  EXPECT_EQ(o->http_port, 8444);
  EXPECT_EQ(o->server_name, "from-file");
  EXPECT_TRUE(o->debug);
  EXPECT_TRUE(o->jetstream);
  EXPECT_EQ(o->store_dir, "/tmp/js");
  EXPECT_EQ(o->max_memory_store, 1024LL * 1024 * 1024);
  EXPECT_EQ(o->user, "alice");
  EXPECT_EQ(o->pass, "secret");
}

TEST(LaunchOptionsTest, UnsupportedConfigOptionNamesFileAndLine) {
  std::string path = WriteConf("port: 4222\n\nmqtt {\n  port: 1883\n}\n");
  auto o = Parse({"-c", path.c_str()});
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find(path + ":3:"), std::string::npos) << o.status();
  EXPECT_NE(o.status().message().find("\"mqtt\" is not supported by Meridian yet"),
            std::string::npos)
      << o.status();
  std::string nested = WriteConf("jetstream {\n  domain: hub\n}\n");
  auto o2 = Parse({"-c", nested.c_str()});
  ASSERT_FALSE(o2.ok());
  EXPECT_NE(o2.status().message().find(":2:"), std::string::npos) << o2.status();
  EXPECT_NE(o2.status().message().find("jetstream.domain"), std::string::npos) << o2.status();
}

TEST(LaunchOptionsTest, UnknownFieldAndMalformedFile) {
  std::string unknown = WriteConf("port: 4222\nfoo: 1\n");
  auto o = Parse({"-c", unknown.c_str()});
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find(":2:"), std::string::npos) << o.status();
  EXPECT_NE(o.status().message().find("unknown field \"foo\""), std::string::npos) << o.status();
  std::string broken = WriteConf("port: 4222\nauthorization {\n  user: a\n");
  EXPECT_FALSE(Parse({"-c", broken.c_str()}).ok());
  EXPECT_FALSE(Parse({"-c", "/nonexistent/file.conf"}).ok());
}

TEST(LaunchOptionsTest, FrontendPorts) {
  auto one = Parse({});
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(one->frontends, 1);
  EXPECT_EQ(one->frontend_ports, std::vector<int64_t>({4222}));
  auto three = Parse({"--frontends", "3", "-p", "5000"});
  ASSERT_TRUE(three.ok()) << three.status();
  EXPECT_EQ(three->frontend_ports, std::vector<int64_t>({5000, 5001, 5002}));
  auto random = Parse({"--frontends", "2", "-p", "-1"});
  ASSERT_TRUE(random.ok()) << random.status();
  EXPECT_EQ(random->frontend_ports, std::vector<int64_t>({-1, -1}));
  auto listed = Parse({"--frontends=2", "--frontend_ports", "4222,5222"});
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(listed->frontend_ports, std::vector<int64_t>({4222, 5222}));

  EXPECT_EQ(Parse({"--frontends", "3", "--frontend_ports", "4222,5222"}).status().message(),
            "frontend_ports lists 2 ports for 3 frontends (--frontends)");
  EXPECT_FALSE(Parse({"--frontends", "0"}).ok());
  EXPECT_FALSE(Parse({"--frontends", "2", "--frontend_ports", "4222,x"}).ok());
  EXPECT_EQ(Parse({"--frontends", "2", "--frontend_ports", "4222,4222"}).status().message(),
            "two frontends cannot share client port 4222");
  EXPECT_FALSE(Parse({"--frontends", "3", "-p", "65534"}).ok());

  std::string path = WriteConf("frontends: 2\nfrontend_ports: [4300, 5300]\n");
  auto from_file = Parse({"-c", path.c_str()});
  ASSERT_TRUE(from_file.ok()) << from_file.status();
  EXPECT_EQ(from_file->frontends, 2);
  EXPECT_EQ(from_file->frontend_ports, std::vector<int64_t>({4300, 5300}));
  auto flag_wins = Parse({"-c", path.c_str(), "--frontend_ports", "6000,6001"});
  ASSERT_TRUE(flag_wins.ok()) << flag_wins.status();
  EXPECT_EQ(flag_wins->frontend_ports, std::vector<int64_t>({6000, 6001}));
  auto mismatch = Parse({"-c", path.c_str(), "--frontends", "3"});
  EXPECT_FALSE(mismatch.ok());
}

TEST(LaunchOptionsTest, ClusterFlags) {
  auto o = Parse({"-cluster", "nats-route://127.0.0.1:6222", "-routes",
                  "nats-route://10.0.0.2:6222, nats://host3:6223", "--cluster_name", "c1"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->cluster_listen, "127.0.0.1:6222");
  EXPECT_EQ(o->routes, std::vector<std::string>({"10.0.0.2:6222", "host3:6223"}));
  EXPECT_EQ(o->cluster_name, "c1");
  auto alias = Parse({"--cluster_listen=nats://:-1"});
  ASSERT_TRUE(alias.ok()) << alias.status();
  EXPECT_EQ(alias->cluster_listen, "0.0.0.0:0");
  auto name_only = Parse({"--cluster_name", "c1"});
  ASSERT_TRUE(name_only.ok()) << name_only.status();
  EXPECT_TRUE(name_only->cluster_listen.empty());

  EXPECT_EQ(Parse({"-cluster", "http://127.0.0.1:6222"}).status().message(),
            "cluster URL \"http://127.0.0.1:6222\": expected nats-route://host:port or "
            "nats://host:port");
  EXPECT_EQ(Parse({"-cluster", "nats-route://127.0.0.1"}).status().message(),
            "cluster URL \"nats-route://127.0.0.1\": expected nats-route://host:port");
  EXPECT_FALSE(Parse({"-cluster", "nats://127.0.0.1:99999"}).ok());
  EXPECT_FALSE(Parse({"-routes", "nats-route://:6222"}).ok());
  EXPECT_NE(Parse({"-routes", "nats-route://u:p@h:6222"}).status().message().find("credentials"),
            std::string::npos);
}

TEST(LaunchOptionsTest, ClusterBlock) {
  std::string path = WriteConf(
      "cluster {\n  name: c1\n  listen: \"127.0.0.1:6333\"\n"
      "  routes: [\n    nats-route://127.0.0.1:6334\n    \"nats://h2:6335\"\n  ]\n}\n");
  auto o = Parse({"-c", path.c_str()});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->cluster_name, "c1");
  EXPECT_EQ(o->cluster_listen, "127.0.0.1:6333");
  EXPECT_EQ(o->routes, std::vector<std::string>({"127.0.0.1:6334", "h2:6335"}));
  auto flags_win = Parse({"-c", path.c_str(), "-cluster", "nats://127.0.0.1:7000", "--routes",
                          "nats://h9:7001", "--cluster_name", "c2"});
  ASSERT_TRUE(flags_win.ok()) << flags_win.status();
  EXPECT_EQ(flags_win->cluster_listen, "127.0.0.1:7000");
  EXPECT_EQ(flags_win->routes, std::vector<std::string>({"h9:7001"}));
  EXPECT_EQ(flags_win->cluster_name, "c2");

  std::string host_port = WriteConf("cluster {\n  host: 127.0.0.2\n  port: 6400\n}\n");
  auto hp = Parse({"-c", host_port.c_str()});
  ASSERT_TRUE(hp.ok()) << hp.status();
  EXPECT_EQ(hp->cluster_listen, "127.0.0.2:6400");

  std::string unsupported =
      WriteConf("cluster {\n  port: 6222\n  authorization {\n    user: r\n  }\n}\n");
  auto u = Parse({"-c", unsupported.c_str()});
  ASSERT_FALSE(u.ok());
  EXPECT_NE(u.status().message().find(unsupported + ":3:"), std::string::npos) << u.status();
  EXPECT_NE(u.status().message().find("\"cluster.authorization\" is not supported by Meridian yet"),
            std::string::npos)
      << u.status();
  std::string pool = WriteConf("cluster {\n  pool_size: 3\n}\n");
  EXPECT_NE(Parse({"-c", pool.c_str()}).status().message().find("cluster.pool_size"),
            std::string::npos);
  std::string unknown = WriteConf("cluster {\n  bogus: 3\n}\n");
  EXPECT_NE(Parse({"-c", unknown.c_str()}).status().message().find(
                "unknown field \"cluster.bogus\""),
            std::string::npos);
  std::string bad_route = WriteConf("cluster {\n  routes: [ \"tls://h:1\" ]\n}\n");
  auto br = Parse({"-c", bad_route.c_str()});
  ASSERT_FALSE(br.ok());
  EXPECT_NE(br.status().message().find(bad_route + ":2:"), std::string::npos) << br.status();
}

TEST(LaunchOptionsTest, JetStreamWithRoutesIsRefusedByName) {
  auto o = Parse({"-js", "-p", "-1", "-routes", "nats://127.0.0.1:6222"});
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("clustered JetStream"), std::string::npos) << o.status();
  EXPECT_TRUE(Parse({"-js", "-p", "-1", "-cluster", "nats://127.0.0.1:6222"}).ok());
}

TEST(LaunchOptionsTest, JetStreamSyncInterval) {
  std::string always = WriteConf("jetstream { store_dir: \"/tmp/x\", sync_interval: always }\n");
  auto o = Parse({"-c", always.c_str()});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->jetstream_sync_always);
  std::string every = WriteConf("jetstream { sync_interval: \"30s\" }\n");
  o = Parse({"-c", every.c_str()});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_FALSE(o->jetstream_sync_always);
  EXPECT_EQ(o->jetstream_sync_interval_ms, 30000);
}

}  // namespace
}  // namespace meridian::launcher
