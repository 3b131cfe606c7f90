// Mutated request bodies (byte flips, truncations, splices of the golden
// requests) must never crash a parser, and whatever parses must survive a
// write -> parse round trip unchanged. Deterministic seed, bounded work.
#include <random>
#include <string>
#include <vector>

#include "common/json/parser.h"
#include "gtest/gtest.h"
#include "services/jetstream/api/consumer_config.h"
#include "services/jetstream/api/requests.h"
#include "services/jetstream/api/stream_config.h"
#include "services/jetstream/api/tests/golden_util.h"

namespace meridian::jetstream::api {
namespace {

std::vector<std::string> Seeds() {
  std::vector<std::string> seeds = {
      R"({"name":"S","subjects":["a.>"],"max_age":1000000000,"mirror":{"name":"O","opt_start_time":"2023-01-01T00:00:00Z"}})",
      R"({"stream_name":"S","config":{"durable_name":"d","backoff":[1,2],"filter_subjects":["a","b"],"metadata":{"k":"v"}}})",
      R"({"batch":5,"expires":2000000000,"idle_heartbeat":500000000,"no_wait":true})",
      "-NAK {\"delay\":5}",
      "+NXT 5",
      "1.5h3m",
      "$JS.ACK.S.C.1.2.3.4.5"};
  std::string text = testing::Golden("validation.jsonl");
  size_t pos = 0;
  while (seeds.size() < 60 && pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    auto v = json::Parse(absl::string_view(text).substr(pos, end - pos));
    if (v.ok()) seeds.push_back(*v->Find("request")->AsString());
    pos = end + 1;
  }
  return seeds;
}

std::string Mutate(const std::string& in, std::mt19937& rng) {
  std::string s = in;
  std::uniform_int_distribution<int> kind(0, 4);
  const char kBytes[] = "{}[]\":,.0123456789-eE tfnul\\x>*";
  for (int n = std::uniform_int_distribution<int>(1, 4)(rng); n > 0 && !s.empty(); --n) {
    size_t at = std::uniform_int_distribution<size_t>(0, s.size() - 1)(rng);
    switch (kind(rng)) {
      case 0:
        s[at] = kBytes[rng() % (sizeof(kBytes) - 1)];
        break;
      case 1:
        s.erase(at, 1);
        break;
      case 2:
        s.insert(at, 1, kBytes[rng() % (sizeof(kBytes) - 1)]);
        break;
      case 3:
        s.resize(at);
        break;
      default:
        s.insert(at, s.substr(0, std::min<size_t>(8, s.size())));
        break;
    }
  }
  return s;
}

TEST(Robustness, MutatedBodies) {
  std::mt19937 rng(12345);
  const std::vector<std::string> seeds = Seeds();
  ASSERT_GT(seeds.size(), 20u);
  int parsed = 0;
  for (int i = 0; i < 6000; ++i) {
    const std::string body = Mutate(seeds[i % seeds.size()], rng);
    auto sc = ParseStreamConfigJson(body);
    if (sc.ok()) {
      ++parsed;
      auto again = ParseStreamConfigJson(StreamConfigToJson(*sc));
      ASSERT_TRUE(again.ok()) << body;
      EXPECT_EQ(*again, *sc) << body;
      (void)CheckStreamConfig(*sc, {});
    }
    auto cc = ParseCreateConsumerRequestJson(body);
    if (cc.ok()) {
      auto v = json::Parse(ConsumerConfigToJson(cc->config));
      ASSERT_TRUE(v.ok());
      auto again = ParseConsumerConfig(*v);
      ASSERT_TRUE(again.ok()) << body;
      EXPECT_EQ(*again, cc->config) << body;
      ConsumerConfig c = cc->config;
      StreamConfig stream;
      stream.name = "S";
      stream.subjects = {"a.>"};
      SetConsumerDefaults(&c, {}, &stream);
      (void)CheckConsumerConfig(c, stream, {});
    }
    (void)ParsePullRequest(body);
    (void)ParsePurgeRequest(body);
    (void)ParseMsgGetRequest(body);
    (void)ParseDirectGetRequest(body);
    (void)ParseStreamInfoRequest(body);
    (void)ParseAckPayload(body);
    (void)ParseGoDuration(body);
    (void)ParseAckSubject(body);
  }
  EXPECT_GT(parsed, 100);
}

}  // namespace
}  // namespace meridian::jetstream::api
