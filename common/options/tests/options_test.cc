#include "common/options/options.h"

#include "gtest/gtest.h"

namespace meridian::options {
namespace {

struct Fixture {
  std::string host = "0.0.0.0";
  int64_t port = 4222;
  bool debug = false;
  absl::Duration ping = absl::Minutes(2);
  int64_t max_payload = 1 << 20;
  std::vector<std::string> routes;
  OptionSet set{"prog", "a test program"};
  Fixture() {
    set.String({"a", "addr", "net"}, &host, "bind address").ConfigKey("host");
    set.Int({"p", "port"}, &port, "client port");
    set.Bool({"D", "debug"}, &debug, "debug logs");
    set.Duration({"ping_interval"}, &ping, "ping interval");
    set.Size({"max_payload"}, &max_payload, "max payload");
    set.StringList({"routes"}, &routes, "routes");
  }
};

TEST(OptionsTest, GoStyleFlags) {
  Fixture f;
  const char* argv[] = {"prog", "-p", "5000", "--addr=127.0.0.1", "-D", "-ping_interval", "3s",
                        "--max_payload", "2MB", "-routes", "a,b"};
  ASSERT_TRUE(f.set.ParseFlags(11, argv).ok());
  EXPECT_EQ(f.port, 5000);
  EXPECT_EQ(f.host, "127.0.0.1");
  EXPECT_TRUE(f.debug);
  EXPECT_EQ(f.ping, absl::Seconds(3));
  EXPECT_EQ(f.max_payload, 2 * 1024 * 1024);
  EXPECT_EQ(f.routes, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(f.set.WasSetByFlag("port"));
  EXPECT_FALSE(f.set.WasSet("ping_interval") && !f.set.WasSetByFlag("ping_interval"));
}

TEST(OptionsTest, UnknownFlagAndMissingValueAreErrors) {
  Fixture f;
  const char* argv1[] = {"prog", "--bogus"};
  absl::Status s = f.set.ParseFlags(2, argv1);
  EXPECT_EQ(s.message(), "flag provided but not defined: -bogus");
  const char* argv2[] = {"prog", "-p"};
  EXPECT_EQ(f.set.ParseFlags(2, argv2).message(), "flag needs an argument: -p");
  const char* argv3[] = {"prog", "-p", "x"};
  EXPECT_FALSE(f.set.ParseFlags(3, argv3).ok());
  const char* argv4[] = {"prog", "stray"};
  EXPECT_FALSE(f.set.ParseFlags(2, argv4).ok());
}

TEST(OptionsTest, ConfigThenFlagsWin) {
  Fixture f;
  const char* argv[] = {"prog", "-p", "7000"};
  ASSERT_TRUE(f.set.ParseFlags(3, argv).ok());
  auto root = conf::ParseString("port: 1234\nhost: 10.0.0.1\nping_interval: \"5s\"\nmax_payload: 1KB\n");
  ASSERT_TRUE(root.ok()) << root.status();
  ASSERT_TRUE(f.set.ApplyConfig(*root).ok());
  EXPECT_EQ(f.port, 7000);
  EXPECT_EQ(f.host, "10.0.0.1");
  EXPECT_EQ(f.ping, absl::Seconds(5));
  EXPECT_EQ(f.max_payload, 1024);
}

TEST(OptionsTest, UnknownConfigKeyNamesLine) {
  Fixture f;
  auto root = conf::ParseString("port: 1\n\nfoo_bar: 2\n", "x.conf");
  ASSERT_TRUE(root.ok());
  absl::Status s = f.set.ApplyConfig(*root);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("x.conf:3:"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("foo_bar"), std::string::npos) << s.message();
  std::vector<const conf::Value::Entry*> unknown;
  ASSERT_TRUE(f.set.ApplyConfig(*root, &unknown).ok());
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_EQ(unknown[0]->first, "foo_bar");
}

TEST(OptionsTest, WrongTypeInConfig) {
  Fixture f;
  auto root = conf::ParseString("port: \"abc\"\n", "y.conf");
  ASSERT_TRUE(root.ok());
  absl::Status s = f.set.ApplyConfig(*root);
  EXPECT_NE(s.message().find("y.conf:1:"), std::string::npos) << s.message();
}

TEST(OptionsTest, UsageListsDefaults) {
  Fixture f;
  std::string usage = f.set.Usage();
  EXPECT_NE(usage.find("-p, --port <value>"), std::string::npos) << usage;
  EXPECT_NE(usage.find("(default: 4222)"), std::string::npos) << usage;
  EXPECT_NE(usage.find("(default: 2m)"), std::string::npos) << usage;
}

}  // namespace
}  // namespace meridian::options
