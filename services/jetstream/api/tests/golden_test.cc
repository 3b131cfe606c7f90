// Golden tests: the requests capture.py sent to nats-server 2.9.10 go
// through this library (parse -> check -> build the response, as the engine
// does) and must produce the captured bytes exactly. Times, states and the
// random ephemeral name are read back from the golden files.
#include <algorithm>
#include <map>
#include <string>

#include "gtest/gtest.h"
#include "services/jetstream/api/consumer_config.h"
#include "services/jetstream/api/errors.h"
#include "services/jetstream/api/info.h"
#include "services/jetstream/api/requests.h"
#include "services/jetstream/api/responses.h"
#include "services/jetstream/api/stream_config.h"
#include "services/jetstream/api/tests/fake_account.h"
#include "services/jetstream/api/tests/golden_util.h"

namespace meridian::jetstream::api {
namespace {

using testing::ConsumerInfoFrom;
using testing::FakeAccount;
using testing::Golden;
using testing::GoldenJson;
using testing::InfoFrom;
using testing::StateOf;
using testing::TimeOf;

// The requests of capture.py, in its order.
constexpr absl::string_view kKvConfig =
    R"({"name":"KV_cfg","subjects":["$KV.cfg.>"],"max_msgs_per_subject":5,)"
    R"("allow_rollup_hdrs":true,"deny_delete":true,"allow_direct":true,"discard":"new",)"
    R"("duplicate_window":120000000000,"max_msgs":-1,"max_bytes":-1,"max_age":0,)"
    R"("max_msg_size":-1,"max_consumers":-1,"storage":"file","num_replicas":1,)"
    R"("retention":"limits"})";
constexpr absl::string_view kObjConfig =
    R"({"name":"OBJ_files","description":"my files","subjects":["$O.files.C.>",)"
    R"("$O.files.M.>"],"max_bytes":-1,"storage":"file","num_replicas":1,)"
    R"("discard":"new","allow_rollup_hdrs":true,"allow_direct":true,"max_age":0})";
constexpr absl::string_view kFullConfig =
    R"({"name":"FULL","subjects":["full.>","other"],"retention":"interest","max_consumers":10,)"
    R"("max_msgs":1000,"max_bytes":1048576,"max_age":3600000000000,"max_msgs_per_subject":3,)"
    R"("max_msg_size":4096,"discard":"new","storage":"memory","num_replicas":1,"no_ack":true,)"
    R"("duplicate_window":60000000000,"placement":{"cluster":"c1","tags":["a","b"]},)"
    R"("republish":{"src":"full.>","dest":"repub.>","headers_only":true},)"
    R"("deny_delete":true,"deny_purge":true,"description":"all <fields> & more"})";

class GoldenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(account_.CreateStream("ORDERS", R"({"name":"ORDERS"})").ok());
    ASSERT_TRUE(account_.CreateStream("KV_cfg", kKvConfig).ok());
    ASSERT_TRUE(account_.CreateStream("OBJ_files", kObjConfig).ok());
    ASSERT_TRUE(account_.CreateStream("FULL", kFullConfig).ok());
  }

  void ExpectStreamCreate(absl::string_view golden, const ApiResult<StreamConfig>& r) {
    ASSERT_TRUE(r.ok()) << r.error().description;
    json::Value g = GoldenJson(golden);
    EXPECT_EQ(StreamCreateResponse(InfoFrom(*r, g), true), Golden(golden));
  }
  void ExpectError(absl::string_view golden, ResponseType type, const ApiError& e) {
    EXPECT_EQ(ErrorResponse(type, e), Golden(golden));
  }
  template <typename T>
  void ExpectError(absl::string_view golden, ResponseType type, const ApiResult<T>& r) {
    ASSERT_FALSE(r.ok()) << golden;
    ExpectError(golden, type, r.error());
  }

  FakeAccount account_;
};

TEST_F(GoldenTest, StreamCreateDefault) {
  ExpectStreamCreate("stream_create_default.json",
                     account_.CreateStream("ORDERS", R"({"name":"ORDERS"})"));
  // Same config again is accepted (2.9.10 even says did_create again).
  ExpectStreamCreate("stream_create_same_again.json",
                     account_.CreateStream("ORDERS", R"({"name":"ORDERS"})"));
}

TEST_F(GoldenTest, StreamCreateKvObjectStoreAndFull) {
  ExpectStreamCreate("stream_create_kv.json", account_.CreateStream("KV_cfg", kKvConfig));
  ExpectStreamCreate("stream_create_obj.json", account_.CreateStream("OBJ_files", kObjConfig));
  ExpectStreamCreate("stream_create_full.json", account_.CreateStream("FULL", kFullConfig));
}

TEST_F(GoldenTest, StreamCreateMirrorAndSources) {
  ExpectStreamCreate(
      "stream_create_mirror.json",
      account_.CreateStream(
          "MIRROR",
          R"({"name":"MIRROR","mirror":{"name":"ORDERS","opt_start_seq":5,"filter_subject":"ORDERS"}})"));
  ExpectStreamCreate(
      "stream_create_sources.json",
      account_.CreateStream(
          "AGG",
          R"({"name":"AGG","sources":[{"name":"ORDERS"},{"name":"FULL","opt_start_time":)"
          R"("2023-01-02T03:04:05.123456789Z","external":{"api":"$JS.x.API","deliver":"dlv"}}]})"));
}

TEST_F(GoldenTest, StreamCreateErrors) {
  const auto t = ResponseType::kStreamCreate;
  ExpectError("err_stream_create_different.json", t,
              account_.CreateStream("ORDERS", R"({"name":"ORDERS","max_msgs":5})"));
  ExpectError("err_stream_create_mismatch.json", t,
              account_.CreateStream("XX", R"({"name":"YY"})"));
  ExpectError("err_stream_create_bad_json.json", t, account_.CreateStream("BAD", R"({"name":)"));
  ExpectError("err_stream_create_wrong_type.json", t,
              account_.CreateStream("BAD", R"({"name":"BAD","max_msgs":"x"})"));
  ExpectError("err_stream_create_max_age.json", t,
              account_.CreateStream("BAD", R"({"name":"BAD","max_age":1000})"));
  ExpectError("err_stream_create_overlap.json", t,
              account_.CreateStream("OVER", R"({"name":"OVER","subjects":["ORDERS"]})"));
  ExpectError("err_stream_create_self_overlap.json", t,
              account_.CreateStream("SELF", R"({"name":"SELF","subjects":["a.*","a.b"]})"));
  ExpectError("err_stream_create_replicas.json", t,
              account_.CreateStream("R3", R"({"name":"R3","num_replicas":3})"));
  ExpectError("err_stream_create_retention.json", t,
              account_.CreateStream("BAD", R"({"name":"BAD","retention":"bogus"})"));
}

TEST_F(GoldenTest, StreamUpdate) {
  ExpectError("err_stream_update_storage.json", ResponseType::kStreamUpdate,
              account_.UpdateStream("ORDERS", R"({"name":"ORDERS","storage":"memory"})"));
  auto r = account_.UpdateStream(
      "ORDERS", R"({"name":"ORDERS","subjects":["ORDERS","orders.>"],"max_msgs":100})");
  ASSERT_TRUE(r.ok()) << r.error().description;
  json::Value g = GoldenJson("stream_update_orders.json");
  EXPECT_EQ(StreamUpdateResponse(InfoFrom(*r, g)), Golden("stream_update_orders.json"));
}

class GoldenAfterUpdate : public GoldenTest {
 protected:
  void SetUp() override {
    GoldenTest::SetUp();
    ASSERT_TRUE(
        account_
            .UpdateStream("ORDERS",
                          R"({"name":"ORDERS","subjects":["ORDERS","orders.>"],"max_msgs":100})")
            .ok());
  }
};

TEST_F(GoldenAfterUpdate, StreamInfo) {
  const StreamConfig& orders = account_.stream("ORDERS");
  for (const char* name : {"stream_info_orders.json", "stream_info_deleted.json"}) {
    json::Value g = GoldenJson(name);
    EXPECT_EQ(StreamInfoResponse(InfoFrom(orders, g)), Golden(name)) << name;
  }
  json::Value g = GoldenJson("stream_info_subjects.json");
  Paging paging{1, 0, kMaxSubjectDetails};
  EXPECT_EQ(StreamInfoResponse(InfoFrom(orders, g), paging), Golden("stream_info_subjects.json"));
  ExpectError("err_stream_info_missing.json", ResponseType::kStreamInfo,
              Make(ErrorId::JSStreamNotFoundErr));
}

TEST_F(GoldenAfterUpdate, StreamNamesAndList) {
  EXPECT_EQ(StreamNamesResponse({"AGG", "FULL", "KV_cfg", "MIRROR", "OBJ_files", "ORDERS"},
                                Paging{6, 0, kApiNamesLimit}),
            Golden("stream_names.json"));
  EXPECT_EQ(StreamNamesResponse({"KV_cfg"}, Paging{1, 0, kApiNamesLimit}),
            Golden("stream_names_filter.json"));
  EXPECT_EQ(StreamNamesResponse({}, Paging{0, 0, kApiNamesLimit}),
            Golden("stream_names_none.json"));

  json::Value g = GoldenJson("stream_list.json");
  const json::Array& items = *g.Find("streams")->AsArray();
  ASSERT_EQ(items.size(), 2u);
  std::vector<StreamInfo> infos = {InfoFrom(account_.stream("OBJ_files"), items[0]),
                                   InfoFrom(account_.stream("ORDERS"), items[1])};
  PageRange page = ComputePage(6, 4, kApiListLimit);
  EXPECT_EQ(page.begin, 4);
  EXPECT_EQ(page.end, 6);
  EXPECT_EQ(StreamListResponse(infos, Paging{6, page.offset, kApiListLimit}),
            Golden("stream_list.json"));
}

TEST(GoldenMessages, MsgGetDeletePurge) {
  json::Value g = GoldenJson("msg_get.json");
  StoredMsg m;
  m.subject = "orders.new";
  m.seq = StreamSequence{2};
  m.hdrs = "NATS/1.0\r\nNats-Msg-Id: m1\r\n\r\n";
  m.data = "dup";
  m.time = TimeOf(g.Find("message")->Find("time"));
  EXPECT_EQ(StreamMsgGetResponse(m), Golden("msg_get.json"));

  json::Value g2 = GoldenJson("msg_get_last.json");
  StoredMsg last;
  last.subject = "$KV.cfg.db.host";
  last.seq = StreamSequence{1};
  last.data = "10.0.0.1";
  last.time = TimeOf(g2.Find("message")->Find("time"));
  EXPECT_EQ(StreamMsgGetResponse(last), Golden("msg_get_last.json"));

  auto req = ParseMsgGetRequest(R"({"last_by_subj":"$KV.cfg.db.host"})");
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(req->last_by_subj, "$KV.cfg.db.host");

  const auto get = ResponseType::kStreamMsgGet;
  EXPECT_EQ(ErrorResponse(get, Make(ErrorId::JSNoMessageFoundErr)),
            Golden("err_msg_get_missing.json"));
  auto empty = ParseMsgGetRequest("");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(ErrorResponse(get, empty.error()), Golden("err_msg_get_empty.json"));
  auto both = ParseMsgGetRequest(R"({"seq":1,"last_by_subj":"a"})");
  ASSERT_FALSE(both.ok());
  EXPECT_EQ(ErrorResponse(get, both.error()), Golden("err_msg_get_both.json"));

  const auto del = ResponseType::kStreamMsgDelete;
  EXPECT_EQ(SuccessResponse(del), Golden("msg_delete.json"));
  EXPECT_EQ(ErrorResponse(del, Make(ErrorId::JSStreamMsgDeleteFailedF, "no message found")),
            Golden("err_msg_delete_missing.json"));
  EXPECT_EQ(
      ErrorResponse(del, Make(ErrorId::JSStreamMsgDeleteFailedF, "message delete not permitted")),
      Golden("err_msg_delete_denied.json"));

  const auto purge = ResponseType::kStreamPurge;
  EXPECT_EQ(StreamPurgeResponse(0), Golden("stream_purge.json"));
  auto purge_both = ParsePurgeRequest(R"({"seq":5,"keep":1})");
  ASSERT_FALSE(purge_both.ok());
  EXPECT_EQ(ErrorResponse(purge, purge_both.error()), Golden("err_stream_purge_both.json"));
  EXPECT_EQ(ErrorResponse(purge, Make(ErrorId::JSStreamPurgeFailedF, "stream purge not permitted")),
            Golden("err_stream_purge_denied.json"));

  EXPECT_EQ(SuccessResponse(ResponseType::kStreamDelete), Golden("stream_delete.json"));
  EXPECT_EQ(ErrorResponse(ResponseType::kStreamDelete, Make(ErrorId::JSStreamNotFoundErr)),
            Golden("err_stream_delete_missing.json"));
  EXPECT_EQ(SuccessResponse(ResponseType::kConsumerDelete), Golden("consumer_delete.json"));
}

TEST(GoldenMessages, PubAcks) {
  PubAck ack;
  ack.stream = "ORDERS";
  ack.seq = StreamSequence{2};
  EXPECT_EQ(PubAckResponse(ack), Golden("pub_ack_dup_first.json"));
  ack.duplicate = true;
  EXPECT_EQ(PubAckResponse(ack), Golden("pub_ack_dup.json"));
  EXPECT_EQ(PubAckErrorResponse("KV_cfg", Make(ErrorId::JSStreamWrongLastSequenceErrF, 1)),
            Golden("err_pub_kv_create_exists.json"));
  EXPECT_EQ(PubAckErrorResponse("ORDERS", Make(ErrorId::JSStreamWrongLastSequenceErrF, 2)),
            Golden("err_pub_wrong_last_seq.json"));
  EXPECT_EQ(
      PubAckErrorResponse("ORDERS", Make(ErrorId::JSStreamRollupFailedF, "rollup not permitted")),
      Golden("err_pub_rollup.json"));
}

TEST(GoldenMessages, AccountInfo) {
  AccountInfo empty;
  EXPECT_EQ(AccountInfoResponse(empty), Golden("account_info_empty.json"));
  AccountInfo info;
  info.totals.storage = 53;
  info.totals.streams = 5;
  info.totals.consumers = 5;
  info.api.total = 60;
  info.api.errors = 29;
  EXPECT_EQ(AccountInfoResponse(info), Golden("account_info.json"));
}

TEST(GoldenMessages, PullRequestStatuses) {
  auto status = [](absl::string_view body) {
    auto r = ParsePullRequest(body);
    EXPECT_FALSE(r.ok()) << body;
    return absl::StrCat("NATS/1.0 ", PullRequestBadRequestStatus(r.status()));
  };
  EXPECT_EQ(status(R"({"batch":"x"})"), Golden("pull_bad_json.status"));
  EXPECT_EQ(status(R"({"batch":1.5})"), Golden("pull_bad_json2.status"));
  EXPECT_EQ(status(R"({"batch":1)"), Golden("pull_bad_syntax.status"));
  EXPECT_EQ(status(R"({"expires":"1s"})"), Golden("pull_bad_expires.status"));
  EXPECT_EQ(status(R"({"batch":1,"expires":1000000000,"idle_heartbeat":600000000})"),
            Golden("pull_bad_hb.status"));
}

class GoldenConsumers : public GoldenAfterUpdate {};

TEST_F(GoldenConsumers, CreateAndInfo) {
  auto dur = account_.CreateConsumer(
      "$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.dur",
      R"({"stream_name":"ORDERS","config":{"durable_name":"dur","ack_policy":"explicit",)"
      R"("deliver_policy":"all","replay_policy":"instant","filter_subject":"orders.>"}})");
  ASSERT_TRUE(dur.ok()) << dur.error().description;
  json::Value g = GoldenJson("consumer_create_durable_pull.json");
  EXPECT_EQ(ConsumerCreateResponse(ConsumerInfoFrom("ORDERS", *dur, g)),
            Golden("consumer_create_durable_pull.json"));
  json::Value gi = GoldenJson("consumer_info_durable.json");
  EXPECT_EQ(ConsumerInfoResponse(ConsumerInfoFrom("ORDERS", *dur, gi)),
            Golden("consumer_info_durable.json"));

  auto pull2 = account_.CreateConsumer(
      "$JS.API.CONSUMER.CREATE.ORDERS.pull2",
      R"({"stream_name":"ORDERS","config":{"name":"pull2","ack_policy":"explicit",)"
      R"("max_deliver":5,"backoff":[1000000000,2000000000],"max_batch":10,)"
      R"("max_expires":30000000000,"inactive_threshold":60000000000}})");
  ASSERT_TRUE(pull2.ok()) << pull2.error().description;
  json::Value g2 = GoldenJson("consumer_create_named_pull.json");
  EXPECT_EQ(ConsumerCreateResponse(ConsumerInfoFrom("ORDERS", *pull2, g2)),
            Golden("consumer_create_named_pull.json"));

  auto push = account_.CreateConsumer(
      "$JS.API.CONSUMER.CREATE.ORDERS",
      R"({"stream_name":"ORDERS","config":{"deliver_subject":"_INBOX.push","ack_policy":"none",)"
      R"("deliver_policy":"last","replay_policy":"instant","flow_control":true,)"
      R"("idle_heartbeat":5000000000,"headers_only":true,"mem_storage":true,"num_replicas":1}})");
  ASSERT_TRUE(push.ok()) << push.error().description;
  json::Value g3 = GoldenJson("consumer_create_ephemeral_push.json");
  EXPECT_EQ(ConsumerCreateResponse(ConsumerInfoFrom("ORDERS", *push, g3)),
            Golden("consumer_create_ephemeral_push.json"));

  auto watch = account_.CreateConsumer(
      "$JS.API.CONSUMER.CREATE.KV_cfg.w1.$KV.cfg.>",
      R"({"stream_name":"KV_cfg","config":{"name":"w1","deliver_subject":"_INBOX.w",)"
      R"("deliver_policy":"last_per_subject","ack_policy":"none","max_deliver":1,)"
      R"("filter_subject":"$KV.cfg.>","flow_control":true,"idle_heartbeat":5000000000,)"
      R"("mem_storage":true,"num_replicas":1,"ack_wait":79200000000000}})");
  ASSERT_TRUE(watch.ok()) << watch.error().description;
  json::Value g4 = GoldenJson("consumer_create_kv_watch.json");
  ConsumerInfo w1 = ConsumerInfoFrom("KV_cfg", *watch, g4);
  EXPECT_EQ(ConsumerCreateResponse(w1), Golden("consumer_create_kv_watch.json"));
  EXPECT_EQ(ConsumerListResponse({w1}, Paging{1, 0, kApiListLimit}), Golden("consumer_list.json"));

  // NAMES lists are sorted by name (the ephemeral name is random).
  std::vector<std::string> names = {"dur", "pull2", *g3.Find("name")->AsString()};
  std::sort(names.begin(), names.end());
  EXPECT_EQ(ConsumerNamesResponse(names, Paging{3, 0, kApiNamesLimit}),
            Golden("consumer_names.json"));
  EXPECT_EQ(ErrorResponse(ResponseType::kConsumerInfo, Make(ErrorId::JSConsumerNotFoundErr)),
            Golden("err_consumer_info_missing.json"));

  // Updating a non-editable field of an existing consumer.
  ExpectError(
      "err_consumer_update_policy.json", ResponseType::kConsumerCreate,
      account_.CreateConsumer(
          "$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.dur",
          R"({"stream_name":"ORDERS","config":{"durable_name":"dur","ack_policy":"all"}})"));
}

TEST_F(GoldenConsumers, CreateErrors) {
  const auto t = ResponseType::kConsumerCreate;
  const std::string eph = "$JS.API.CONSUMER.CREATE.ORDERS";
  ExpectError("err_consumer_name_mismatch.json", t,
              account_.CreateConsumer(
                  eph, R"({"stream_name":"ORDERS","config":{"name":"a","durable_name":"b"}})"));
  ExpectError(
      "err_consumer_fc_no_hb.json", t,
      account_.CreateConsumer(
          eph,
          R"({"stream_name":"ORDERS","config":{"deliver_subject":"x.y","flow_control":true}})"));
  ExpectError("err_consumer_hb_pull.json", t,
              account_.CreateConsumer(
                  eph, R"({"stream_name":"ORDERS","config":{"idle_heartbeat":1000000000}})"));
  ExpectError(
      "err_consumer_backoff.json", t,
      account_.CreateConsumer(
          eph,
          R"({"stream_name":"ORDERS","config":{"backoff":[1000000000],"ack_policy":"explicit"}})"));
  ExpectError("err_consumer_filter_subset.json", t,
              account_.CreateConsumer(
                  eph, R"({"stream_name":"ORDERS","config":{"filter_subject":"nope.>"}})"));
  ExpectError(
      "err_consumer_policy.json", t,
      account_.CreateConsumer(
          eph, R"({"stream_name":"ORDERS","config":{"deliver_policy":"by_start_sequence"}})"));
  ExpectError("err_consumer_stream_mismatch.json", t,
              account_.CreateConsumer(eph, R"({"stream_name":"OTHER","config":{}})"));
  ExpectError(
      "err_consumer_bad_json.json", t,
      account_.CreateConsumer(eph, R"({"stream_name":"ORDERS","config":{"ack_wait":"5s"}})"));
  // nats-server 2.9.10 ignored a one-token filter in the subject (golden
  // err_consumer_filter_mismatch.json shows 10093 from the config check); we
  // apply 2.10's rule and report the mismatch itself.
  auto mismatch = account_.CreateConsumer(
      "$JS.API.CONSUMER.CREATE.ORDERS.c2.foo",
      R"({"stream_name":"ORDERS","config":{"name":"c2","filter_subject":"bar"}})");
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.error().err_code, 10131);
}

}  // namespace
}  // namespace meridian::jetstream::api
