#include "services/jetstream/api/info.h"

#include "gtest/gtest.h"
#include "services/jetstream/api/responses.h"

namespace meridian::jetstream::api {
namespace {

absl::Time T(int64_t unix_nanos) { return absl::FromUnixNanos(unix_nanos); }

TEST(Info, StreamStateOptionalMembers) {
  StreamState s;
  EXPECT_EQ(StreamStateToJson(s),
            R"({"messages":0,"bytes":0,"first_seq":0,"first_ts":"0001-01-01T00:00:00Z",)"
            R"("last_seq":0,"last_ts":"0001-01-01T00:00:00Z","consumer_count":0})");
  s.messages = 3;
  s.bytes = 99;
  s.first_seq = StreamSequence{2};
  s.first_ts = T(1700000000123456789);
  s.last_seq = StreamSequence{6};
  s.last_ts = T(1700000001000000000);
  s.num_subjects = 2;
  s.subjects = std::map<std::string, uint64_t>{{"b", 1}, {"a", 2}};
  s.num_deleted = 2;
  s.deleted = {3, 5};
  s.lost = LostStreamData{};
  s.lost->bytes = 7;
  s.consumer_count = 1;
  EXPECT_EQ(StreamStateToJson(s),
            R"({"messages":3,"bytes":99,"first_seq":2,"first_ts":"2023-11-14T22:13:20.123456789Z",)"
            R"("last_seq":6,"last_ts":"2023-11-14T22:13:21Z","num_subjects":2,)"
            R"("subjects":{"a":2,"b":1},"num_deleted":2,"deleted":[3,5],)"
            R"("lost":{"msgs":null,"bytes":7},"consumer_count":1})");
}

TEST(Info, StreamInfoClusterSourcesAlternates) {
  StreamInfo info;
  info.config.name = "S";
  info.created = T(0);
  info.domain = "hub";
  info.cluster = ClusterInfo{};
  info.cluster->leader = "srv";
  StreamSourceInfo mirror;
  mirror.name = "O";
  mirror.lag = 3;
  mirror.active = Nanos{1500};
  mirror.error = Make(ErrorId::JSStreamNotFoundErr);
  info.mirror = mirror;
  StreamSourceInfo src;
  src.name = "X";
  src.external = ExternalStream{"$JS.x.API", "dlv"};
  src.filter_subject = "f.>";
  info.sources = {src};
  info.alternates = {StreamAlternate{"S", "", "c1"}};
  info.ts = T(1000);
  std::string json = StreamInfoToJson(info);
  EXPECT_NE(json.find(R"("domain":"hub","cluster":{"leader":"srv"},)"
                      R"("mirror":{"name":"O","lag":3,"active":1500,"error":{"code":404,)"
                      R"("err_code":10059,"description":"stream not found"}},)"
                      R"("sources":[{"name":"X","external":{"api":"$JS.x.API","deliver":"dlv"},)"
                      R"("lag":0,"active":0,"filter_subject":"f.\u003e"}],)"
                      R"("alternates":[{"name":"S","cluster":"c1"}],)"
                      R"("ts":"1970-01-01T00:00:00.000001Z"})"),
            std::string::npos)
      << json;

  ClusterInfo c;
  c.name = "C";
  c.leader = "a";
  PeerInfo p;
  p.name = "b";
  p.current = true;
  p.active = Nanos{5};
  p.peer = "xyz";
  PeerInfo q = p;
  q.offline = true;
  q.lag = 9;
  c.replicas = {p, q};
  std::string out;
  json::Writer w(&out);
  w.BeginObject();
  WriteClusterInfoMembers(w, c);
  w.EndObject();
  EXPECT_EQ(out, R"({"name":"C","leader":"a","replicas":[{"name":"b","current":true,"active":5,)"
                 R"("peer":"xyz"},{"name":"b","current":true,"offline":true,"active":5,"lag":9,)"
                 R"("peer":"xyz"}]})");
}

TEST(Info, ConsumerInfoOptionalMembers) {
  ConsumerInfo info;
  info.stream_name = "S";
  info.name = "c";
  info.created = T(0);
  info.delivered.consumer_seq = ConsumerSequence{4};
  info.delivered.stream_seq = StreamSequence{10};
  info.delivered.last_active = T(2000000000);
  info.ack_floor.consumer_seq = ConsumerSequence{3};
  info.ack_floor.stream_seq = StreamSequence{9};
  info.num_ack_pending = 1;
  info.num_redelivered = 2;
  info.num_waiting = 3;
  info.num_pending = 4;
  info.cluster = ClusterInfo{};
  info.cluster->leader = "srv";
  info.push_bound = true;
  EXPECT_EQ(ConsumerInfoToJson(info),
            R"({"stream_name":"S","name":"c","created":"1970-01-01T00:00:00Z",)"
            R"("delivered":{"consumer_seq":4,"stream_seq":10,)"
            R"("last_active":"1970-01-01T00:00:02Z"},)"
            R"("ack_floor":{"consumer_seq":3,"stream_seq":9},"num_ack_pending":1,)"
            R"("num_redelivered":2,"num_waiting":3,"num_pending":4,)"
            R"("cluster":{"leader":"srv"},"push_bound":true})");
}

TEST(Info, AccountInfoTiersDomainAndLevel) {
  AccountInfo info;
  info.domain = "hub";
  info.api.level = 1;
  info.api.inflight = 2;
  AccountTier r1;
  r1.streams = 1;
  info.tiers["R1"] = r1;
  std::string json = AccountInfoResponse(info);
  EXPECT_NE(json.find(R"("domain":"hub","api":{"level":1,"total":0,"errors":0,"inflight":2},)"
                      R"("tiers":{"R1":{"memory":0,"storage":0,"streams":1,"consumers":0,)"
                      R"("limits":{"max_memory":-1,)"),
            std::string::npos)
      << json;
}

TEST(Responses, ErrorResponsesCarryTheTypesAlwaysPresentMembers) {
  const ApiError e = Make(ErrorId::JSClusterNotAvailErr);
  const std::string err =
      R"("error":{"code":503,"err_code":10008,"description":"JetStream system temporarily unavailable"})";
  EXPECT_EQ(ErrorResponse(ResponseType::kStreamNames, e),
            R"({"type":"io.nats.jetstream.api.v1.stream_names_response",)" + err +
                R"(,"total":0,"offset":0,"limit":0,"streams":null})");
  EXPECT_EQ(ErrorResponse(ResponseType::kStreamList, e),
            R"({"type":"io.nats.jetstream.api.v1.stream_list_response",)" + err +
                R"(,"total":0,"offset":0,"limit":0,"streams":[]})");
  EXPECT_EQ(ErrorResponse(ResponseType::kConsumerNames, e),
            R"({"type":"io.nats.jetstream.api.v1.consumer_names_response",)" + err +
                R"(,"total":0,"offset":0,"limit":0,"consumers":[]})");
  EXPECT_EQ(ErrorResponse(ResponseType::kAccountInfo, e),
            R"({"type":"io.nats.jetstream.api.v1.account_info_response",)" + err + "}");
  EXPECT_EQ(ErrorResponse(ResponseType::kStreamRestore, e),
            R"({"type":"io.nats.jetstream.api.v1.stream_restore_response",)" + err +
                R"(,"deliver_subject":""})");
  EXPECT_EQ(ConsumerNamesResponse({}, Paging{0, 0, kApiNamesLimit}),
            R"({"type":"io.nats.jetstream.api.v1.consumer_names_response","total":0,)"
            R"("offset":0,"limit":1024,"consumers":[]})");
  EXPECT_EQ(StreamRestoreResponse("$JS.SNAPSHOT.RESTORE.S.x"),
            R"({"type":"io.nats.jetstream.api.v1.stream_restore_response",)"
            R"("deliver_subject":"$JS.SNAPSHOT.RESTORE.S.x"})");
  for (int t = 0; t <= static_cast<int>(ResponseType::kAccountPurge); ++t) {
    EXPECT_FALSE(ResponseTypeName(static_cast<ResponseType>(t)).empty()) << t;
  }
}

TEST(Responses, PubAckForms) {
  PubAck ack;
  ack.stream = "S<1>";
  ack.seq = StreamSequence{7};
  ack.domain = "hub";
  EXPECT_EQ(PubAckResponse(ack), R"({"stream":"S<1>", "domain":"hub", "seq":7})");
  ack.duplicate = true;
  EXPECT_EQ(PubAckResponse(ack), R"({"stream":"S<1>", "domain":"hub", "seq":7,"duplicate": true})");
  EXPECT_EQ(PubAckErrorResponse("S", Make(ErrorId::JSStreamStoreFailedF, kStoreErrMaxBytes)),
            R"({"error":{"code":503,"err_code":10077,"description":"maximum bytes exceeded"},)"
            R"("stream":"S","seq":0})");
}

TEST(Info, Base64IsStandardPadded) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("a"), "YQ==");
  EXPECT_EQ(Base64Encode("\xff\xfe"), "//4=");
}

}  // namespace
}  // namespace meridian::jetstream::api
