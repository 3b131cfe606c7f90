// The JSON of each advisory and metric, byte for byte: members in the order
// of nats-server 2.9.10's Go structs (server/jetstream_events.go,
// server/events.go ClientInfo), omitempty members left out.
#include "services/jetstream/engine/advisories.h"

#include <cctype>
#include <set>
#include <string>

#include "gtest/gtest.h"

namespace meridian::jetstream::advisory {
namespace {

// 2024-01-02T03:04:05.123456789Z
constexpr int64_t kTime = 1704164645123456789;

Event Ev() {
  Event e;
  e.id = "ID";
  e.time_ns = kTime;
  return e;
}

Delivery D() {
  Delivery d;
  d.stream = "S";
  d.consumer = "C";
  d.consumer_seq = 7;
  d.stream_seq = 42;
  d.deliveries = 3;
  return d;
}

TEST(AdvisoriesTest, StreamAction) {
  EXPECT_EQ(StreamActionJson(Ev(), "ORDERS", Action::kCreate, "", ""),
            R"({"type":"io.nats.jetstream.advisory.v1.stream_action","id":"ID",)"
            R"("timestamp":"2024-01-02T03:04:05.123456789Z","stream":"ORDERS","action":"create"})");
  EXPECT_EQ(StreamActionJson(Ev(), "ORDERS", Action::kDelete, "T", "hub"),
            R"({"type":"io.nats.jetstream.advisory.v1.stream_action","id":"ID",)"
            R"("timestamp":"2024-01-02T03:04:05.123456789Z","stream":"ORDERS","action":"delete",)"
            R"("template":"T","domain":"hub"})");
  EXPECT_EQ(ActionName(Action::kModify), "modify");
}

TEST(AdvisoriesTest, ConsumerAction) {
  EXPECT_EQ(ConsumerActionJson(Ev(), "S", "C", Action::kCreate, ""),
            R"({"type":"io.nats.jetstream.advisory.v1.consumer_action","id":"ID",)"
            R"("timestamp":"2024-01-02T03:04:05.123456789Z","stream":"S","consumer":"C",)"
            R"("action":"create"})");
  EXPECT_EQ(ConsumerActionJson(Ev(), "S", "C", Action::kDelete, "hub"),
            R"({"type":"io.nats.jetstream.advisory.v1.consumer_action","id":"ID",)"
            R"("timestamp":"2024-01-02T03:04:05.123456789Z","stream":"S","consumer":"C",)"
            R"("action":"delete","domain":"hub"})");
}

TEST(AdvisoriesTest, MaxDeliverHasNoConsumerSeq) {
  EXPECT_EQ(MaxDeliverJson(Ev(), D(), ""),
            R"({"type":"io.nats.jetstream.advisory.v1.max_deliver","id":"ID",)"
            R"("timestamp":"2024-01-02T03:04:05.123456789Z","stream":"S","consumer":"C",)"
            R"("stream_seq":42,"deliveries":3})");
}

TEST(AdvisoriesTest, Nak) {
  EXPECT_EQ(NakJson(Ev(), D(), "hub"),
            R"({"type":"io.nats.jetstream.advisory.v1.nak","id":"ID",)"
            R"("timestamp":"2024-01-02T03:04:05.123456789Z","stream":"S","consumer":"C",)"
            R"("consumer_seq":7,"stream_seq":42,"deliveries":3,"domain":"hub"})");
}

TEST(AdvisoriesTest, TerminatedWithAndWithoutReason) {
  EXPECT_EQ(TerminatedJson(Ev(), D(), "", ""),
            R"({"type":"io.nats.jetstream.advisory.v1.terminated","id":"ID",)"
            R"("timestamp":"2024-01-02T03:04:05.123456789Z","stream":"S","consumer":"C",)"
            R"("consumer_seq":7,"stream_seq":42,"deliveries":3})");
  // nats-server 2.10's reason sits between deliveries and domain.
  EXPECT_EQ(TerminatedJson(Ev(), D(), "bad <input>", "hub"),
            R"({"type":"io.nats.jetstream.advisory.v1.terminated","id":"ID",)"
            R"("timestamp":"2024-01-02T03:04:05.123456789Z","stream":"S","consumer":"C",)"
            R"("consumer_seq":7,"stream_seq":42,"deliveries":3,)"
            R"("reason":"bad \u003cinput\u003e","domain":"hub"})");
}

TEST(AdvisoriesTest, AckMetric) {
  EXPECT_EQ(AckMetricJson(Ev(), D(), 1500000, ""),
            R"({"type":"io.nats.jetstream.metric.v1.consumer_ack","id":"ID",)"
            R"("timestamp":"2024-01-02T03:04:05.123456789Z","stream":"S","consumer":"C",)"
            R"("consumer_seq":7,"stream_seq":42,"ack_time":1500000,"deliveries":3})");
}

TEST(AdvisoriesTest, ApiAuditWithOnlyTheAccount) {
  ApiAudit a;
  a.server = "n1";
  a.client.account = "$G";
  a.subject = "$JS.API.STREAM.INFO.S";
  a.response = R"({"type":"x"})";
  EXPECT_EQ(ApiAuditJson(Ev(), a, ""),
            R"({"type":"io.nats.jetstream.advisory.v1.api_audit","id":"ID",)"
            R"("timestamp":"2024-01-02T03:04:05.123456789Z","server":"n1","client":{"acc":"$G"},)"
            R"("subject":"$JS.API.STREAM.INFO.S","response":"{\"type\":\"x\"}"})");
}

TEST(AdvisoriesTest, ApiAuditWithEveryClientField) {
  ApiAudit a;
  a.server = "n1";
  a.client.host = "127.0.0.1";
  a.client.id = 5;
  a.client.account = "A";
  a.client.user = "u";
  a.client.name = "app";
  a.client.lang = "go";
  a.client.version = "1.2";
  a.client.server = "n2";
  a.client.cluster = "c";
  a.client.kind = "Client";
  a.client.client_type = "nats";
  a.subject = "$JS.API.INFO";
  a.request = "{}";
  a.response = "{}";
  EXPECT_EQ(ApiAuditJson(Ev(), a, "hub"),
            R"({"type":"io.nats.jetstream.advisory.v1.api_audit","id":"ID",)"
            R"("timestamp":"2024-01-02T03:04:05.123456789Z","server":"n1","client":)"
            R"({"host":"127.0.0.1","id":5,"acc":"A","user":"u","name":"app","lang":"go",)"
            R"("ver":"1.2",)"
            R"("server":"n2","cluster":"c","kind":"Client","client_type":"nats"},)"
            R"("subject":"$JS.API.INFO","request":"{}","response":"{}","domain":"hub"})");
}

TEST(AdvisoriesTest, TimestampTrimsTrailingZeros) {
  Event e = Ev();
  e.time_ns = 1704164645000000000;
  EXPECT_EQ(ConsumerActionJson(e, "S", "C", Action::kCreate, ""),
            R"({"type":"io.nats.jetstream.advisory.v1.consumer_action","id":"ID",)"
            R"("timestamp":"2024-01-02T03:04:05Z","stream":"S","consumer":"C","action":"create"})");
}

TEST(AdvisoriesTest, EventIdsAreNuidShapedAndUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    std::string id = NewEventId();
    ASSERT_EQ(id.size(), 22u) << id;
    for (char c : id) ASSERT_TRUE(isalnum(static_cast<unsigned char>(c))) << id;
    ASSERT_TRUE(seen.insert(id).second) << id;
  }
}

TEST(AdvisoriesTest, SampleFrequencyForms) {
  EXPECT_EQ(ParseSampleFrequency(""), 0);
  EXPECT_EQ(ParseSampleFrequency("100%"), 100);
  EXPECT_EQ(ParseSampleFrequency("30%"), 30);
  EXPECT_EQ(ParseSampleFrequency("30"), 30);
  EXPECT_EQ(ParseSampleFrequency("0"), 0);
  EXPECT_EQ(ParseSampleFrequency("abc"), 0);
  EXPECT_EQ(ParseSampleFrequency("-5%"), 0);
}

TEST(AdvisoriesTest, ShouldSampleBounds) {
  for (int i = 0; i < 1000; ++i) {
    ASSERT_FALSE(ShouldSample(0));
    ASSERT_FALSE(ShouldSample(-3));
    ASSERT_TRUE(ShouldSample(100));
    ASSERT_TRUE(ShouldSample(250));
  }
  // 30%: nats-server's draw in [0,100) <= 30 hits 31 in a hundred.
  int hits = 0;
  constexpr int kDraws = 20000;
  for (int i = 0; i < kDraws; ++i) hits += ShouldSample(30) ? 1 : 0;
  EXPECT_GT(hits, kDraws * 25 / 100);
  EXPECT_LT(hits, kDraws * 37 / 100);
}

}  // namespace
}  // namespace meridian::jetstream::advisory
