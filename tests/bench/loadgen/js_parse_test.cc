// The small parsers the JetStream modes use to read servers' replies.
#include <string>

#include "gtest/gtest.h"
#include "tests/bench/loadgen/js_session.h"
#include "tests/bench/loadgen/js_streams.h"

namespace meridian::loadgen {
namespace {

TEST(JsonIntTest, FindsIntegersWithOrWithoutSpaceAndFromAnOffset) {
  const std::string info =
      R"({"config":{"max_msgs":-1},"state":{"messages":1000, "bytes": 42},"delivered":{"stream_seq":7},)"
      R"("ack_floor":{"consumer_seq":5,"stream_seq":5},"num_ack_pending":0})";
  int64_t v = 0;
  ASSERT_TRUE(JsonInt(info, "max_msgs", &v));
  EXPECT_EQ(v, -1);
  ASSERT_TRUE(JsonInt(info, "messages", &v));
  EXPECT_EQ(v, 1000);
  ASSERT_TRUE(JsonInt(info, "bytes", &v));
  EXPECT_EQ(v, 42);
  ASSERT_TRUE(JsonInt(info, "stream_seq", &v));
  EXPECT_EQ(v, 7);
  ASSERT_TRUE(JsonInt(info, "stream_seq", &v, info.find("\"ack_floor\"")));
  EXPECT_EQ(v, 5);
  ASSERT_TRUE(JsonInt(info, "num_ack_pending", &v));
  EXPECT_EQ(v, 0);
  EXPECT_FALSE(JsonInt(info, "missing", &v));
  EXPECT_FALSE(JsonInt(R"({"a":"1"})", "a", &v));
}

TEST(LastTokenNumberTest, NumericLastTokenOnly) {
  uint64_t v = 0;
  ASSERT_TRUE(LastTokenNumber("_INBOX.lg1x2.4000", &v));
  EXPECT_EQ(v, 4000u);
  EXPECT_FALSE(LastTokenNumber("_INBOX.lg1x2.r1", &v));
  EXPECT_FALSE(LastTokenNumber("_INBOX.lg1x2.", &v));
  EXPECT_FALSE(LastTokenNumber("nodot", &v));
}

TEST(HeaderStatusTest, StatusLineOrZero) {
  EXPECT_EQ(HeaderStatus("NATS/1.0 503\r\n\r\n"), 503);
  EXPECT_EQ(HeaderStatus("NATS/1.0 408 Request Timeout\r\nNats-Pending-Messages: 1\r\n\r\n"), 408);
  EXPECT_EQ(HeaderStatus("NATS/1.0\r\nNats-Stream: KV_bench\r\n\r\n"), 0);
  EXPECT_EQ(HeaderStatus(""), 0);
}

TEST(ParseAckSubjectTest, V1AndV2) {
  uint64_t dc = 0;
  uint64_t seq = 0;
  ASSERT_TRUE(ParseAckSubject("$JS.ACK.BENCH.C.1.42.40.1700000000000000000.958", &dc, &seq));
  EXPECT_EQ(dc, 1u);
  EXPECT_EQ(seq, 42u);
  ASSERT_TRUE(ParseAckSubject("$JS.ACK._.ACCHASH.BENCH.C.2.43.41.1700000000000000000.0", &dc, &seq));
  EXPECT_EQ(dc, 2u);
  EXPECT_EQ(seq, 43u);
  ASSERT_TRUE(ParseAckSubject("$JS.ACK._.ACCHASH.BENCH.C.3.44.41.1700000000000000000.0.rnd", &dc, &seq));
  EXPECT_EQ(dc, 3u);
  EXPECT_EQ(seq, 44u);
  EXPECT_FALSE(ParseAckSubject("_INBOX.x.1", &dc, &seq));
  EXPECT_FALSE(ParseAckSubject("$JS.ACK.BENCH.C.1.42", &dc, &seq));
  EXPECT_FALSE(ParseAckSubject("$JS.ACK.BENCH.C.x.42.40.1.0", &dc, &seq));
}

TEST(AppendPubTest, FrameWithReplyAndPayload) {
  std::string out;
  AppendPub("bench.data", "_INBOX.a.1", "hello", &out);
  AppendPub("x", "r", "", &out);
  EXPECT_EQ(out, "PUB bench.data _INBOX.a.1 5\r\nhello\r\nPUB x r 0\r\n\r\n");
}

TEST(MakeKvKeysTest, KeysSubjectsAndValues) {
  const KvKeys k = MakeKvKeys(1000, 128);
  ASSERT_EQ(k.names.size(), 1000u);
  EXPECT_EQ(k.names[7], "key007");
  EXPECT_EQ(k.subjects[999], "$KV.bench.key999");
  EXPECT_EQ(k.values[7].size(), 128u);
  EXPECT_EQ(k.values[7].substr(0, 7), "key007:");
}

}  // namespace
}  // namespace meridian::loadgen
