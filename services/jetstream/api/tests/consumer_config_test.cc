#include "services/jetstream/api/consumer_config.h"

#include <set>

#include "common/json/parser.h"
#include "gtest/gtest.h"

namespace meridian::jetstream::api {
namespace {

ConsumerConfig Parse(absl::string_view body) {
  auto v = json::Parse(body);
  EXPECT_TRUE(v.ok()) << body;
  auto r = ParseConsumerConfig(*v);
  EXPECT_TRUE(r.ok()) << body;
  return r.ok() ? *r : ConsumerConfig{};
}

StreamConfig Stream(absl::string_view body) {
  auto c = ParseStreamConfigJson(body);
  EXPECT_TRUE(c.ok());
  auto checked = CheckStreamConfig(*c, {});
  EXPECT_TRUE(checked.ok()) << body;
  return *checked;
}

// Defaults then check, as the engine does.
ApiStatus Check(absl::string_view body, const StreamConfig& stream,
                const ConsumerCheckContext& ctx = {}) {
  ConsumerConfig c = Parse(body);
  SetConsumerDefaults(&c, ctx.limits, &stream);
  return CheckConsumerConfig(c, stream, ctx);
}

uint16_t Code(const ApiStatus& s) { return s.ok() ? 0 : s.error().err_code; }

TEST(ConsumerConfigJson, RoundTripKeepsEveryField) {
  const std::string full =
      R"({"durable_name":"d","name":"d","description":"x","deliver_policy":"by_start_time",)"
      R"("opt_start_seq":3,"opt_start_time":"2023-01-01T00:00:00.25Z","ack_policy":"all",)"
      R"("ack_wait":5,"max_deliver":6,"backoff":[7,8],"filter_subject":"a",)"
      R"("filter_subjects":["b","c"],"replay_policy":"original","rate_limit_bps":9,)"
      R"("sample_freq":"50%","max_waiting":10,"max_ack_pending":11,"idle_heartbeat":12,)"
      R"("flow_control":true,"headers_only":true,"max_batch":13,"max_expires":14,)"
      R"("max_bytes":15,"deliver_subject":"ds","deliver_group":"dg","inactive_threshold":16,)"
      R"("num_replicas":1,"mem_storage":true,"direct":true,"metadata":{"k":"v"},)"
      R"("pause_until":"2030-01-01T00:00:00Z","priority_groups":["g"],)"
      R"("priority_policy":"pinned_client","priority_timeout":17})";
  ConsumerConfig c = Parse(full);
  EXPECT_EQ(ConsumerConfigToJson(c), full);
  EXPECT_EQ(Parse(ConsumerConfigToJson(c)), c);
  EXPECT_EQ(ConsumerConfigToJson(ConsumerConfig{}),
            R"({"deliver_policy":"all","ack_policy":"none","replay_policy":"instant",)"
            R"("num_replicas":0})");
}

TEST(ConsumerConfigJson, CreateRequest) {
  auto r = ParseCreateConsumerRequestJson(
      R"({"stream_name":"S","config":{"durable_name":"d"},"action":"create","pedantic":true})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->stream_name, "S");
  EXPECT_EQ(r->config.durable_name, "d");
  EXPECT_EQ(r->action, ConsumerAction::kCreate);
  EXPECT_TRUE(r->pedantic);
  EXPECT_EQ(ParseCreateConsumerRequestJson(R"({"action":"update"})")->action,
            ConsumerAction::kUpdate);
  EXPECT_EQ(ParseCreateConsumerRequestJson(R"({"action":""})")->action,
            ConsumerAction::kCreateOrUpdate);
  for (const char* bad :
       {R"({"action":"upsert"})", R"({"config":[]})", R"({"config":{"ack_policy":"sometimes"}})",
        R"({"stream_name":1})", "", "{"}) {
    auto e = ParseCreateConsumerRequestJson(bad);
    ASSERT_FALSE(e.ok()) << bad;
    EXPECT_EQ(e.error().err_code, 10025);
  }
  EXPECT_EQ(CreateConsumerRequestDecodeError(
                *json::Parse(R"({"stream_name":"S","config":{"ack_wait":"5s"}})")),
            "json: cannot unmarshal string into Go struct field ConsumerConfig.config.ack_wait of "
            "type time.Duration");
  EXPECT_EQ(CreateConsumerRequestDecodeError(*json::Parse(R"({"config":{"backoff":[1,"x"]}})")),
            "json: cannot unmarshal string into Go struct field ConsumerConfig.config.backoff of "
            "type time.Duration");
}

TEST(ConsumerCreateSubject, Forms) {
  auto eph = ParseConsumerCreateSubject("$JS.API.CONSUMER.CREATE.S");
  ASSERT_TRUE(eph);
  EXPECT_EQ(eph->form, ConsumerCreateForm::kLegacyEphemeral);
  EXPECT_EQ(eph->stream, "S");
  auto dur = ParseConsumerCreateSubject("$JS.API.CONSUMER.DURABLE.CREATE.S.d");
  ASSERT_TRUE(dur);
  EXPECT_EQ(dur->form, ConsumerCreateForm::kLegacyDurable);
  EXPECT_EQ(dur->consumer, "d");
  auto named = ParseConsumerCreateSubject("$JS.API.CONSUMER.CREATE.KV_b.w.$KV.b.>");
  ASSERT_TRUE(named);
  EXPECT_EQ(named->form, ConsumerCreateForm::kNamed);
  EXPECT_EQ(named->consumer, "w");
  EXPECT_EQ(named->filter, "$KV.b.>");
  EXPECT_EQ(ParseConsumerCreateSubject("$JS.API.CONSUMER.CREATE.S.c.foo")->filter, "foo");
  EXPECT_FALSE(ParseConsumerCreateSubject("$JS.API.CONSUMER.INFO.S.c"));
  EXPECT_FALSE(ParseConsumerCreateSubject("$JS.API.CONSUMER"));

  CreateConsumerRequest req;
  req.stream_name = "S";
  auto bad_durable = ParseConsumerCreateSubject("$JS.API.CONSUMER.DURABLE.CREATE.S");
  ASSERT_TRUE(bad_durable);
  EXPECT_EQ(Code(CheckConsumerCreateSubject(*bad_durable, &req)), 10016);

  // Named form copies the name; filter must match; multiple filters refused.
  req.config.filter_subject = "$KV.b.>";
  EXPECT_EQ(Code(CheckConsumerCreateSubject(*named, &req)), 10056);
  req.stream_name = "KV_b";
  ASSERT_TRUE(CheckConsumerCreateSubject(*named, &req).ok());
  EXPECT_EQ(req.config.name, "w");
  req.config.filter_subject = "$KV.b.x";
  EXPECT_EQ(Code(CheckConsumerCreateSubject(*named, &req)), 10131);
  req.config.filter_subject.clear();
  req.config.filter_subjects = {"$KV.b.x", "$KV.b.y"};
  EXPECT_EQ(Code(CheckConsumerCreateSubject(*named, &req)), 10137);
}

TEST(ConsumerConfigCheck, Defaults) {
  StreamConfig s = Stream(R"({"name":"S","subjects":["s.>"]})");
  ConsumerConfig pull = Parse(R"({"ack_policy":"explicit"})");
  SetConsumerDefaults(&pull, {}, &s);
  EXPECT_EQ(pull.max_waiting, 512);
  EXPECT_EQ(pull.ack_wait, NanosFromSeconds(30));
  EXPECT_EQ(pull.max_deliver, -1);
  EXPECT_EQ(pull.max_ack_pending, 1000);
  EXPECT_EQ(pull.num_replicas, 0);  // not defaulted (2.9.10)

  ConsumerConfig push = Parse(R"({"deliver_subject":"d","backoff":[2000000000,3]})");
  SetConsumerDefaults(&push, {}, &s);
  EXPECT_EQ(push.max_waiting, 0);
  EXPECT_EQ(push.ack_wait, NanosFromSeconds(2));  // backoff[0] wins even without acks
  EXPECT_EQ(push.max_ack_pending, 0);             // ack none

  ConsumerLimits lim;
  lim.server_max_ack_pending = 500;
  lim.account_max_ack_pending = 200;
  lim.server_max_request_batch = 50;
  ConsumerConfig capped = Parse(R"({"ack_policy":"all"})");
  SetConsumerDefaults(&capped, lim, &s);
  EXPECT_EQ(capped.max_ack_pending, 200);
  EXPECT_EQ(capped.max_batch, 50);

  // Stream consumer_limits (newer) fill unset values first.
  s.consumer_limits.inactive_threshold = NanosFromSeconds(9);
  s.consumer_limits.max_ack_pending = 77;
  ConsumerConfig from_stream = Parse(R"({"ack_policy":"explicit"})");
  SetConsumerDefaults(&from_stream, {}, &s);
  EXPECT_EQ(from_stream.inactive_threshold, NanosFromSeconds(9));
  EXPECT_EQ(from_stream.max_ack_pending, 77);
}

TEST(ConsumerConfigCheck, Limits) {
  StreamConfig s = Stream(R"({"name":"S","subjects":["s.>"]})");
  ConsumerCheckContext ctx;
  ctx.limits.server_max_ack_pending = 100;
  EXPECT_EQ(Code(Check(R"({"ack_policy":"explicit","max_ack_pending":101})", s, ctx)), 10121);
  EXPECT_EQ(Check(R"({"ack_policy":"explicit","max_ack_pending":101})", s, ctx).error().description,
            "consumer max ack pending exceeds system limit of 100");
  ctx.limits = {};
  ctx.limits.server_max_request_batch = 10;
  EXPECT_EQ(Check(R"({"max_batch":11})", s, ctx).error().description,
            "consumer max request batch exceeds server limit of 10");
  StreamConfig r3 = s;
  r3.num_replicas = 3;
  EXPECT_EQ(Code(Check(R"({"num_replicas":5})", r3)), 10126);
  EXPECT_TRUE(Check(R"({"num_replicas":3})", r3).ok());
}

TEST(ConsumerConfigCheck, Filters) {
  StreamConfig s = Stream(R"({"name":"S","subjects":["s.>","t"]})");
  EXPECT_TRUE(Check(R"({"filter_subject":"s.a"})", s).ok());
  EXPECT_TRUE(Check(R"({"filter_subject":">"})", s).ok());  // wider wildcard matching a subject
  EXPECT_EQ(Code(Check(R"({"filter_subject":"u"})", s)), 10093);
  EXPECT_EQ(Code(Check(R"({"filter_subject":"s..a"})", s)), 10093);
  // filter_subjects (2.10 rules)
  EXPECT_TRUE(Check(R"({"filter_subjects":["s.a","t"]})", s).ok());
  EXPECT_EQ(Code(Check(R"({"filter_subject":"s.a","filter_subjects":["t"]})", s)), 10136);
  EXPECT_EQ(Code(Check(R"({"filter_subjects":["s.a",""]})", s)), 10139);
  EXPECT_EQ(Code(Check(R"({"filter_subjects":["s.*","s.a"]})", s)), 10138);
  EXPECT_EQ(Code(Check(R"({"filter_subjects":["s.a","u"]})", s)), 10093);
  EXPECT_TRUE(Check(R"({"deliver_policy":"last_per_subject","filter_subjects":["t"]})", s).ok());

  // Filters of a sourcing stream are checked against the origins' subjects;
  // an external source turns the check off.
  StreamConfig origin = Stream(R"({"name":"O","subjects":["o.>"]})");
  StreamConfig agg = Stream(R"({"name":"AGG","sources":[{"name":"O"}]})");
  ConsumerCheckContext ctx;
  ctx.lookup_stream = [&](absl::string_view n) -> const StreamConfig* {
    return n == "O" ? &origin : nullptr;
  };
  EXPECT_TRUE(Check(R"({"filter_subject":"o.x"})", agg, ctx).ok());
  EXPECT_EQ(Code(Check(R"({"filter_subject":"p.x"})", agg, ctx)), 10093);
  StreamConfig ext = Stream(
      R"({"name":"EXT","sources":[{"name":"Z","external":{"api":"$JS.z.API","deliver":"d"}}]})");
  EXPECT_TRUE(Check(R"({"filter_subject":"anything"})", ext, ctx).ok());
  ctx.recovering = true;
  EXPECT_TRUE(Check(R"({"filter_subject":"p.x"})", agg, ctx).ok());
}

TEST(ConsumerConfigCheck, UpdateRules) {
  StreamConfig s = Stream(R"({"name":"S","subjects":["s.>"]})");
  auto cfg = [&](absl::string_view body) {
    ConsumerConfig c = Parse(body);
    SetConsumerDefaults(&c, {}, &s);
    return c;
  };
  ConsumerConfig push =
      cfg(R"({"durable_name":"d","deliver_subject":"a","ack_policy":"explicit"})");
  auto upd = [&](absl::string_view body, bool interest = false) {
    return CheckConsumerUpdate(push, cfg(body), interest);
  };
  EXPECT_TRUE(upd(R"({"durable_name":"d","deliver_subject":"a","ack_policy":"explicit"})").ok());
  // Editable: description, ack_wait, max_deliver, max_ack_pending, rate limit,
  // sample freq, headers_only, inactive threshold, deliver subject (unbound).
  EXPECT_TRUE(upd(R"({"durable_name":"d","deliver_subject":"b","ack_policy":"explicit",)"
                  R"("description":"x","ack_wait":1,"max_deliver":3,"max_ack_pending":4,)"
                  R"("rate_limit_bps":5,"sample_freq":"10","headers_only":true,)"
                  R"("inactive_threshold":6})")
                  .ok());
  EXPECT_EQ(Code(upd(R"({"durable_name":"d","deliver_subject":"b","ack_policy":"explicit"})",
                     /*interest=*/true)),
            10013);
  EXPECT_EQ(upd(R"({"durable_name":"d","ack_policy":"explicit"})").error().description,
            "max waiting can not be updated");  // pull gets max_waiting 512 first
  ConsumerConfig pull = cfg(R"({"durable_name":"d","ack_policy":"explicit","max_waiting":512})");
  ConsumerConfig to_push =
      cfg(R"({"durable_name":"d","ack_policy":"explicit","deliver_subject":"x"})");
  to_push.max_waiting = 512;
  EXPECT_EQ(CheckConsumerUpdate(pull, to_push, false).error().description,
            "can not update pull consumer to push based");
  EXPECT_EQ(CheckConsumerUpdate(to_push, pull, false).error().description,
            "can not update push consumer to pull based");
  ConsumerConfig timed = push;
  timed.deliver_policy = DeliverPolicy::kByStartTime;
  timed.opt_start_time = absl::FromUnixSeconds(100);
  ConsumerConfig timed2 = timed;
  timed2.description = "same time, new description";
  EXPECT_TRUE(CheckConsumerUpdate(timed, timed2, false).ok());
  timed2.opt_start_time = absl::FromUnixSeconds(101);
  EXPECT_EQ(CheckConsumerUpdate(timed, timed2, false).error().description,
            "start time can not be updated");
  ConsumerConfig fc = push;
  fc.flow_control = true;
  EXPECT_EQ(CheckConsumerUpdate(push, fc, false).error(),
            Make(ErrorId::JSConsumerCreateErrF, "flow control can not be updated"));
}

TEST(ConsumerConfigCheck, WorkQueueAndNames) {
  ConsumerConfig a;
  a.ack_policy = AckPolicy::kExplicit;
  a.filter_subject = "wq.a";
  ConsumerConfig b = a;
  b.filter_subject = "wq.b";
  EXPECT_TRUE(CheckWorkQueueConsumer(a, {}).ok());
  EXPECT_TRUE(CheckWorkQueueConsumer(b, {&a}).ok());
  ConsumerConfig overlap = a;
  overlap.filter_subject = "wq.*";
  EXPECT_EQ(Code(CheckWorkQueueConsumer(overlap, {&a})), 10100);
  ConsumerConfig multi = a;
  multi.filter_subject.clear();
  multi.filter_subjects = {"wq.c", "wq.a"};
  EXPECT_EQ(Code(CheckWorkQueueConsumer(multi, {&b, &a})), 10100);
  ConsumerConfig direct;
  direct.direct = true;
  EXPECT_TRUE(CheckWorkQueueConsumer(direct, {&a}).ok());

  EXPECT_TRUE(CheckConsumerName("ok-name_1").ok());
  EXPECT_EQ(Code(CheckConsumerName(std::string(256, 'x'))), 10102);
  EXPECT_EQ(Code(CheckConsumerName("a.b")), 10103);
  StreamConfig limits = Stream(R"({"name":"S"})");
  StreamConfig interest = Stream(R"({"name":"I","retention":"interest","num_replicas":1})");
  interest.num_replicas = 3;
  ConsumerConfig eph;
  EXPECT_EQ(ConsumerReplicas(eph, limits), 1);
  EXPECT_EQ(ConsumerReplicas(eph, interest), 3);
  eph.num_replicas = 2;
  EXPECT_EQ(ConsumerReplicas(eph, interest), 2);
}

TEST(ConsumerConfigCheck, NewConsumerNames) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    std::string n = NewConsumerName();
    EXPECT_EQ(n.size(), 8u);
    EXPECT_TRUE(IsValidName(n)) << n;
    seen.insert(n);
  }
  EXPECT_GT(seen.size(), 195u);
}

}  // namespace
}  // namespace meridian::jetstream::api
