#include "services/jetstream/api/jsz.h"

#include "gtest/gtest.h"

namespace meridian::jetstream::api {
namespace {

// Field order and omitempty as nats-server 2.9.10's GET /jsz (captured from
// `nats-server -js` with one account, see tests/js/jetstream/monitor.test.mjs).
TEST(Jsz, TopLevelAsNatsServer) {
  JsInfo info;
  info.server_id = "NID";
  info.now = absl::FromUnixSeconds(1700000000);
  info.config.max_memory = 1024;
  info.config.max_storage = 2048;
  info.config.store_dir = "/tmp/x/jetstream";
  info.stats.storage = 129;
  info.stats.accounts = 1;
  info.stats.api.total = 4;
  info.streams = 2;
  info.consumers = 1;
  info.messages = 3;
  info.bytes = 129;
  EXPECT_EQ(JsInfoToJson(info), R"({
  "server_id": "NID",
  "now": "2023-11-14T22:13:20Z",
  "config": {
    "max_memory": 1024,
    "max_storage": 2048,
    "store_dir": "/tmp/x/jetstream"
  },
  "memory": 0,
  "storage": 129,
  "reserved_memory": 0,
  "reserved_storage": 0,
  "accounts": 1,
  "ha_assets": 0,
  "api": {
    "total": 4,
    "errors": 0
  },
  "streams": 2,
  "consumers": 1,
  "messages": 3,
  "bytes": 129
})");
}

TEST(Jsz, DisabledAndDetails) {
  JsInfo info;
  info.server_id = "NID";
  info.now = absl::FromUnixSeconds(1700000000);
  info.disabled = true;
  std::string json = JsInfoToJson(info);
  EXPECT_NE(json.find("\"disabled\": true,\n  \"config\": {\n    \"max_memory\": 0,\n"
                      "    \"max_storage\": 0\n  },"),
            std::string::npos)
      << json;

  info.disabled = false;
  AccountDetail acc;
  acc.name = acc.id = "$G";
  StreamDetail d;
  d.info.config.name = "S";
  d.info.created = absl::FromUnixSeconds(1700000001);
  d.info.cluster = ClusterInfo{};
  d.info.cluster->leader = "srv";
  ConsumerInfo c;
  c.stream_name = "S";
  c.name = "C";
  d.consumers.push_back(c);
  acc.streams.push_back(d);
  info.account_details.push_back(acc);
  json = JsInfoToJson(info);
  // name, created, cluster, (no config), state, consumer_detail.
  const size_t name = json.find("\"name\": \"S\"");
  const size_t created = json.find("\"created\": \"2023-11-14T22:13:21Z\"");
  const size_t cluster = json.find("\"cluster\": {");
  const size_t state = json.find("\"state\": {");
  const size_t consumers = json.find("\"consumer_detail\": [");
  ASSERT_NE(name, std::string::npos) << json;
  EXPECT_LT(name, created);
  EXPECT_LT(created, cluster);
  EXPECT_LT(cluster, state);
  EXPECT_LT(state, consumers);
  EXPECT_EQ(json.find("\"config\": {\n          \"name\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"stream_detail\": ["), std::string::npos);
  EXPECT_EQ(json.find("\"disabled\""), std::string::npos);

  info.account_details[0].streams[0].with_config = true;
  json = JsInfoToJson(info);
  const size_t config = json.find("\"config\": {", cluster);
  EXPECT_LT(cluster, config);
  EXPECT_LT(config, json.find("\"state\": {"));
}

TEST(Jsz, VarzBlock) {
  JetStreamServerConfig config;
  config.max_memory = -1;
  config.max_storage = 10;
  JetStreamStats stats;
  stats.accounts = 1;
  EXPECT_EQ(VarzJetStreamToJson(config, stats),
            R"({"config":{"max_memory":-1,"max_storage":10},"stats":{"memory":0,"storage":0,)"
            R"("reserved_memory":0,"reserved_storage":0,"accounts":1,"ha_assets":0,)"
            R"("api":{"total":0,"errors":0}}})");
}

}  // namespace
}  // namespace meridian::jetstream::api
