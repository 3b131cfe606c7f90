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
  EXPECT_EQ(Parse({"--routes", "nats://a:1"}).status().message(),
            "flag -routes is not supported by Meridian yet");
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
      "authorization { user: alice, password: secret }\n");
  auto o = Parse({"-c", path.c_str(), "-p", "4999"});
  ASSERT_TRUE(o.ok()) << o.status();
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

}  // namespace
}  // namespace meridian::launcher
