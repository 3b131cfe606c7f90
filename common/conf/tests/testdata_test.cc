// Realistic nats-server configuration files: each parses, values deep in the
// tree are right, and (when installed) the real nats-server accepts the file.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "common/conf/conf.h"
#include "common/conf/tests/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace meridian::conf {
namespace {

using ::meridian::conf::testing::TestdataDir;
using ::meridian::conf::testing::TestdataPath;

Value MustParseFile(const std::string& name) {
  absl::StatusOr<Value> v = ParseFile(TestdataPath(name));
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *std::move(v) : Value();
}

// Follows a path of map keys and array indexes ("accounts.ORDERS.exports.1.service").
const Value& At(const Value& root, const std::string& path) {
  static const Value kMissing;
  const Value* v = &root;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('.', start);
    if (end == std::string::npos) end = path.size();
    const std::string part = path.substr(start, end - start);
    if (v->is_array()) {
      const size_t i = std::stoul(part);
      v = i < v->as_array().size() ? &v->as_array()[i] : nullptr;
    } else {
      v = v->Find(part);
    }
    if (v == nullptr) {
      ADD_FAILURE() << "no '" << part << "' in " << path;
      return kMissing;
    }
    start = end + 1;
  }
  return *v;
}

TEST(TestdataTest, Accounts) {
  Value v = MustParseFile("accounts.conf");
  EXPECT_EQ(At(v, "accounts.ORDERS.users.1.password").as_string(), "adm1n");
  EXPECT_EQ(At(v, "accounts.ORDERS.jetstream").as_string(), "enabled");
  EXPECT_EQ(At(v, "accounts.ORDERS.exports.0.stream").as_string(), "orders.events.>");
  EXPECT_EQ(At(v, "accounts.ORDERS.exports.1.accounts.0").as_string(), "BILLING");
  EXPECT_EQ(At(v, "accounts.ORDERS.exports.1.response_type").as_string(), "singleton");
  EXPECT_EQ(At(v, "accounts.BILLING.imports.0.stream.account").as_string(), "ORDERS");
  EXPECT_EQ(At(v, "accounts.BILLING.imports.0.prefix").as_string(), "from_orders");
  EXPECT_EQ(At(v, "accounts.BILLING.imports.1.service.subject").as_string(), "orders.lookup");
  EXPECT_EQ(At(v, "accounts.BILLING.imports.1.to").as_string(), "lookup.order");
  EXPECT_EQ(At(v, "system_account").as_string(), "SYS");
  EXPECT_EQ(At(v, "accounts.BILLING.imports.1").pos().ToString(),
            TestdataPath("accounts.conf") + ":30:7");
}

TEST(TestdataTest, Authorization) {
  Value v = MustParseFile("authorization.conf");
  EXPECT_EQ(At(v, "listen").as_string(), "0.0.0.0:4222");
  EXPECT_EQ(At(v, "authorization.timeout").as_int(), 2);
  EXPECT_EQ(At(v, "authorization.default_permissions.subscribe.1").as_string(), "_INBOX.>");
  // $ADMIN_PERMS expands to the map defined earlier in the block.
  EXPECT_EQ(At(v, "authorization.users.0.permissions.publish").as_string(), ">");
  EXPECT_EQ(At(v, "authorization.users.0.password").as_string().substr(0, 7), "$2a$11$");
  EXPECT_EQ(At(v, "authorization.users.1.permissions.publish.allow.1").as_string(),
            "orders.*.create");
  EXPECT_EQ(At(v, "authorization.users.1.permissions.publish.deny.0").as_string(), "req.admin.>");
  EXPECT_EQ(At(v, "authorization.users.1.permissions.subscribe.allow").as_string(), "updates.>");
  EXPECT_EQ(At(v, "authorization.users.1.permissions.subscribe.deny").as_array().size(), 2u);
  EXPECT_EQ(At(v, "authorization.users.2.permissions.allow_responses.max").as_int(), 1);
  EXPECT_EQ(*ParseDuration(At(v, "authorization.users.2.permissions.allow_responses.expires")),
            absl::Minutes(1));
  EXPECT_TRUE(At(v, "authorization.users.3.permissions.allow_responses").as_bool());
}

TEST(TestdataTest, JetStream) {
  Value v = MustParseFile("jetstream.conf");
  EXPECT_EQ(At(v, "jetstream.store_dir").as_string(), "/var/lib/nats/jetstream");
  EXPECT_EQ(At(v, "jetstream.max_mem").as_int(), 1000000000);
  EXPECT_EQ(At(v, "jetstream.max_file").as_int(), 10LL * 1024 * 1024 * 1024);
  EXPECT_EQ(At(v, "jetstream.domain").as_string(), "hub");
  EXPECT_EQ(At(v, "max_payload").as_int(), 1024 * 1024);
  EXPECT_EQ(*ParseSize(At(v, "max_pending")), 64 * 1024 * 1024);
  EXPECT_EQ(*ParseDuration(At(v, "write_deadline")), absl::Seconds(10));
  EXPECT_EQ(*ParseDuration(At(v, "ping_interval")), absl::Minutes(2));
}

TEST(TestdataTest, Tls) {
  Value v = MustParseFile("tls.conf");
  EXPECT_EQ(At(v, "tls.cert_file").as_string(), "./certs/server.pem");
  EXPECT_EQ(At(v, "tls.key_file").as_string(), "./certs/server-key.pem");
  EXPECT_EQ(At(v, "tls.ca_file").as_string(), "./certs/ca.pem");
  EXPECT_TRUE(At(v, "tls.verify").as_bool());
  EXPECT_EQ(*ParseDuration(At(v, "tls.timeout")), absl::Seconds(2));
  EXPECT_EQ(At(v, "https_port").as_int(), 8443);
}

TEST(TestdataTest, Mqtt) {
  Value v = MustParseFile("mqtt.conf");
  EXPECT_EQ(At(v, "mqtt.listen").as_string(), "127.0.0.1:1883");
  EXPECT_EQ(*ParseDuration(At(v, "mqtt.ack_wait")), absl::Seconds(30));
  EXPECT_EQ(At(v, "mqtt.max_ack_pending").as_int(), 100);
  EXPECT_EQ(At(v, "mqtt.authorization.username").as_string(), "mqtt_user");
  EXPECT_DOUBLE_EQ(At(v, "mqtt.authorization.timeout").as_double(), 2.5);
}

TEST(TestdataTest, Websocket) {
  Value v = MustParseFile("websocket.conf");
  EXPECT_EQ(At(v, "websocket.port").as_int(), 8080);
  EXPECT_TRUE(At(v, "websocket.no_tls").as_bool());
  EXPECT_FALSE(At(v, "websocket.same_origin").as_bool());
  EXPECT_EQ(At(v, "websocket.allowed_origins").as_array().size(), 2u);
  EXPECT_EQ(At(v, "websocket.allowed_origins.1").as_string(), "https://app.example.com");
  EXPECT_EQ(At(v, "websocket.authorization.token").as_string(), "ws-token-123");
}

TEST(TestdataTest, Leafnodes) {
  Value v = MustParseFile("leafnodes.conf");
  EXPECT_EQ(At(v, "leafnodes.port").as_int(), 7422);
  EXPECT_EQ(At(v, "leafnodes.remotes.0.urls.1").as_string(), "nats-leaf://hub-b.example.com:7422");
  EXPECT_EQ(At(v, "leafnodes.remotes.0.credentials").as_string(), "./includes/leaf.creds");
  EXPECT_EQ(At(v, "leafnodes.remotes.0.account").as_string(), "EDGE");
  EXPECT_EQ(At(v, "leafnodes.remotes.1.url").as_string(), "nats-leaf://user:pass@127.0.0.1:7423");
  EXPECT_EQ(At(v, "accounts.EDGE.users.0.user").as_string(), "edge");
}

TEST(TestdataTest, Cluster) {
  Value v = MustParseFile("cluster.conf");
  EXPECT_EQ(At(v, "cluster.name").as_string(), "east");
  EXPECT_EQ(At(v, "cluster.listen").as_string(), "0.0.0.0:6222");
  EXPECT_EQ(At(v, "cluster.authorization.user").as_string(), "route_user");
  EXPECT_DOUBLE_EQ(At(v, "cluster.authorization.timeout").as_double(), 0.75);
  EXPECT_EQ(At(v, "cluster.routes.1").as_string(),
            "nats-route://route_user:T0pS3cr3t@10.0.0.3:6222");
  EXPECT_TRUE(At(v, "cluster.no_advertise").as_bool());
  EXPECT_EQ(At(v, "cluster.routes.1").pos().line, 17);
}

TEST(TestdataTest, Gateway) {
  Value v = MustParseFile("gateway.conf");
  EXPECT_EQ(At(v, "gateway.name").as_string(), "east");
  EXPECT_EQ(At(v, "gateway.gateways.0.name").as_string(), "west");
  EXPECT_EQ(At(v, "gateway.gateways.0.urls.1").as_string(), "nats://gwu:gwp@10.1.0.2:7222");
  EXPECT_EQ(At(v, "gateway.gateways.1.url").as_string(), "nats://gwu:gwp@10.2.0.1:7222");
  EXPECT_TRUE(At(v, "gateway.reject_unknown_cluster").as_bool());
}

TEST(TestdataTest, Operator) {
  Value v = MustParseFile("operator.conf");
  EXPECT_EQ(At(v, "operator").as_string(), "./includes/operator.jwt");
  EXPECT_EQ(At(v, "resolver").as_string(), "MEMORY");
  const Value& preload = At(v, "resolver_preload");
  ASSERT_EQ(preload.as_map().size(), 2u);
  for (const auto& [account, jwt] : preload.as_map()) {
    EXPECT_EQ(account.size(), 56u);
    EXPECT_EQ(account[0], 'A');
    ASSERT_TRUE(jwt.is_string());
    EXPECT_EQ(jwt.as_string().substr(0, 4), "eyJ0");
  }
  EXPECT_EQ(At(v, "system_account").as_string(), preload.as_map()[0].first);
}

TEST(TestdataTest, KitchenSink) {
  Value v = MustParseFile("server.conf");
  EXPECT_EQ(At(v, "port").as_int(), 4222);  // $CLIENT_PORT
  EXPECT_EQ(At(v, "port").pos().line, 9);
  EXPECT_EQ(At(v, "server_tags.0").as_string(), "region:us-east");
  EXPECT_FALSE(At(v, "trace").as_bool());
  EXPECT_TRUE(At(v, "logtime").as_bool());
  EXPECT_EQ(At(v, "logfile_size_limit").as_int(), 100 * 1024 * 1024);
  EXPECT_EQ(At(v, "max_connections").as_int(), 64000);
  EXPECT_EQ(At(v, "max_control_line").as_int(), 4096);
  EXPECT_EQ(At(v, "jetstream.max_memory_store").as_int(), 512000000);
  EXPECT_EQ(At(v, "jetstream.max_file_store").as_int(), int64_t{1} << 40);
  EXPECT_EQ(At(v, "cluster.authorization.password").as_string(), "c1uster-s3cret");  // $ROUTE_PASS
  EXPECT_EQ(At(v, "cluster.routes").as_array().size(), 2u);
  EXPECT_TRUE(At(v, "websocket.compression").as_bool());
  EXPECT_EQ(*ParseDuration(At(v, "lame_duck_duration")), absl::Seconds(30));
  // From includes/kitchen_accounts.conf, merged where the include stands.
  EXPECT_EQ(At(v, "accounts.APP.users.1.permissions.publish.deny").as_string(), ">");
  EXPECT_EQ(At(v, "accounts.APP.jetstream.max_file").as_int(), 10000000000);
  EXPECT_EQ(At(v, "system_account").as_string(), "SYS");
  const Position& pos = At(v, "system_account").pos();
  EXPECT_THAT(pos.file, ::testing::EndsWith("includes/kitchen_accounts.conf"));
  EXPECT_EQ(pos.line, 13);
  size_t includes = 0, jetstream = 0;
  for (size_t i = 0; i < v.as_map().size(); ++i) {
    if (v.as_map()[i].first == "accounts") includes = i;
    if (v.as_map()[i].first == "jetstream") jetstream = i;
  }
  EXPECT_LT(includes, jetstream);
}

// The real nats-server's `-t` (test configuration) on the same files. Run from
// testdata so the relative certificate and JWT paths resolve as they do here.
class NatsServerAcceptsTest : public ::testing::TestWithParam<const char*> {};

TEST_P(NatsServerAcceptsTest, ConfigIsValid) {
  std::string server;
  for (const char* candidate : {"/usr/sbin/nats-server", "/usr/bin/nats-server"}) {
    if (access(candidate, X_OK) == 0) server = candidate;
  }
  if (server.empty()) GTEST_SKIP() << "nats-server is not installed";
  const std::string cmd =
      "cd '" + TestdataDir() + "' && " + server + " -t -c " + GetParam() + " >/dev/null 2>&1";
  const int rc = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 0) << cmd << " exited with " << rc;
}

INSTANTIATE_TEST_SUITE_P(Testdata, NatsServerAcceptsTest,
                         ::testing::Values("accounts.conf", "authorization.conf", "jetstream.conf",
                                           "tls.conf", "mqtt.conf", "websocket.conf",
                                           "leafnodes.conf", "cluster.conf", "gateway.conf",
                                           "operator.conf", "server.conf"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string name = info.param;
                           return name.substr(0, name.find('.'));
                         });

}  // namespace
}  // namespace meridian::conf
