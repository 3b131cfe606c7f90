#include "services/jetstream/api/requests.h"

#include "gtest/gtest.h"

namespace meridian::jetstream::api {
namespace {

TEST(PullRequest, Forms) {
  auto empty = ParsePullRequest("  \r\n");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->batch, 1);
  EXPECT_EQ(ParsePullRequest("10")->batch, 10);
  EXPECT_EQ(ParsePullRequest(" -3 ")->batch, -3);
  EXPECT_EQ(ParsePullRequest("ten")->batch, 1);  // not JSON, not a number: batch 1
  EXPECT_EQ(ParsePullRequest("99999999999999999999")->batch, 1);

  auto json = ParsePullRequest(
      R"({"batch":5,"expires":2000000000,"no_wait":true,"max_bytes":1024,)"
      R"("idle_heartbeat":1000000000,"Group":"g","id":"x","min_pending":3,"priority":2,"z":1})");
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(json->batch, 5);
  EXPECT_EQ(json->expires, NanosFromSeconds(2));
  EXPECT_TRUE(json->no_wait);
  EXPECT_EQ(json->max_bytes, 1024);
  EXPECT_EQ(json->idle_heartbeat, NanosFromSeconds(1));
  EXPECT_EQ(json->group, "g");
  EXPECT_EQ(json->id, "x");
  EXPECT_EQ(json->min_pending, 3);
  EXPECT_EQ(json->priority, 2);
  EXPECT_EQ(ParsePullRequest("{}")->batch, 0);  // JSON without batch: 0, as Go
}

TEST(PullRequest, Errors) {
  auto text = [](absl::string_view body) {
    auto r = ParsePullRequest(body);
    EXPECT_FALSE(r.ok()) << body;
    return std::string(r.status().message());
  };
  EXPECT_EQ(text(R"({"idle_heartbeat":1})"), "heartbeat value too large");
  EXPECT_EQ(text(R"({"expires":10,"idle_heartbeat":6})"), "heartbeat value too large");
  EXPECT_TRUE(ParsePullRequest(R"({"expires":10,"idle_heartbeat":5})").ok());
  EXPECT_EQ(text(R"({"no_wait":1})"),
            "json: cannot unmarshal number into Go struct field "
            "JSApiConsumerGetNextRequest.no_wait of type bool");
  EXPECT_EQ(text(R"({"batch":"x"})"),
            "json: cannot unmarshal string into Go struct field "
            "JSApiConsumerGetNextRequest.batch of type int");
  EXPECT_EQ(text(R"({"batch":1} {)"), "invalid character '{' after top-level value");
  EXPECT_EQ(PullRequestBadRequestStatus(absl::InvalidArgumentError("heartbeat value too large")),
            "400 Bad Request - heartbeat value too large");
}

TEST(SimpleRequests, EmptyRequest) {
  EXPECT_TRUE(IsEmptyRequest(""));
  EXPECT_TRUE(IsEmptyRequest("{}"));
  EXPECT_TRUE(IsEmptyRequest(" { } "));
  EXPECT_FALSE(IsEmptyRequest(" "));
  EXPECT_FALSE(IsEmptyRequest("null"));
  EXPECT_FALSE(IsEmptyRequest(R"({"a":1})"));
}

TEST(SimpleRequests, Purge) {
  auto all = ParsePurgeRequest("");
  ASSERT_TRUE(all.ok());
  EXPECT_FALSE(all->has_value());
  auto f = ParsePurgeRequest(R"({"filter":"$KV.b.k","keep":1})");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ((*f)->filter, "$KV.b.k");
  EXPECT_EQ((*f)->keep, 1u);
  EXPECT_EQ(ParsePurgeRequest(R"({"seq":5})")->value().seq.value, 5u);
  EXPECT_EQ(ParsePurgeRequest(R"({"seq":5,"keep":1})").error().err_code, 10003);
  EXPECT_EQ(ParsePurgeRequest(R"({"seq":-1})").error().err_code, 10025);
}

TEST(SimpleRequests, MsgGetAndDelete) {
  EXPECT_EQ(ParseMsgGetRequest(R"({"seq":3})")->seq.value, 3u);
  auto next = ParseMsgGetRequest(R"({"seq":3,"next_by_subj":"a.*"})");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->next_by_subj, "a.*");
  EXPECT_EQ(ParseMsgGetRequest(R"({"next_by_subj":"a","last_by_subj":"a"})").error().err_code,
            10003);
  EXPECT_EQ(ParseMsgGetRequest(R"({"seq":"1"})").error().err_code, 10025);

  auto del = ParseMsgDeleteRequest(R"({"seq":9,"no_erase":true})");
  ASSERT_TRUE(del.ok());
  EXPECT_EQ(del->seq.value, 9u);
  EXPECT_TRUE(del->no_erase);
  EXPECT_EQ(ParseMsgDeleteRequest("{}").error().err_code, 10003);
  EXPECT_EQ(ParseMsgDeleteRequest("x").error().err_code, 10025);
}

TEST(SimpleRequests, DirectGet) {
  EXPECT_EQ(ParseDirectGetRequest("").status, "408 Empty Request");
  EXPECT_EQ(ParseDirectGetRequest("{}").status, "408 Empty Request");
  EXPECT_EQ(ParseDirectGetRequest("{x").status, "408 Malformed Request");
  EXPECT_EQ(ParseDirectGetRequest(R"({"seq":1,"last_by_subj":"a"})").status, "408 Bad Request");
  EXPECT_EQ(ParseDirectGetRequest(R"({"next_by_subj":"a","last_by_subj":"a"})").status,
            "408 Bad Request");
  auto ok = ParseDirectGetRequest(R"({"seq":4})");
  ASSERT_TRUE(ok.request);
  EXPECT_EQ(ok.request->seq.value, 4u);

  auto last = ParseDirectGetLastBySubject("$JS.API.DIRECT.GET.KV_b.$KV.b.>", "");
  ASSERT_TRUE(last.request);
  EXPECT_EQ(last.request->last_by_subj, "$KV.b.>");
  EXPECT_EQ(ParseDirectGetLastBySubject("$JS.API.DIRECT.GET.KV_b.$KV.b.k", "x").status,
            "408 Bad Request");
  EXPECT_EQ(ParseDirectGetLastBySubject("$JS.API.DIRECT.GET.KV_b.", "").status, "408 Bad Request");
  EXPECT_EQ(ParseDirectGetLastBySubject("$JS.API.DIRECT.GET.KV_b", "").status, "408 Bad Request");
}

TEST(SimpleRequests, ListsAndInfo) {
  EXPECT_EQ(ParseListRequest("")->offset, 0);
  auto l = ParseListRequest(R"({"offset":3,"subject":"a.>"})");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->offset, 3);
  EXPECT_EQ(l->subject, "a.>");
  EXPECT_EQ(ParseListRequest(R"({"offset":"3"})").error().err_code, 10025);

  PageRange p = ComputePage(10, 4, 3);
  EXPECT_EQ(p.offset, 4);
  EXPECT_EQ(p.begin, 4);
  EXPECT_EQ(p.end, 7);
  p = ComputePage(10, 50, 3);
  EXPECT_EQ(p.offset, 10);
  EXPECT_EQ(p.end, 10);
  p = ComputePage(10, -2, 1024);
  EXPECT_EQ(p.begin, 0);
  EXPECT_EQ(p.end, 10);

  auto info =
      ParseStreamInfoRequest(R"({"deleted_details":true,"subjects_filter":">","offset":2})");
  ASSERT_TRUE(info.ok());
  EXPECT_TRUE(info->deleted_details);
  EXPECT_EQ(info->subjects_filter, ">");
  EXPECT_EQ(info->offset, 2);
  EXPECT_EQ(ParseStreamInfoRequest("[").error().err_code, 10025);
}

TEST(Acks, Payloads) {
  EXPECT_EQ(ParseAckPayload("").kind, AckKind::kAck);
  EXPECT_EQ(ParseAckPayload("+ACK").kind, AckKind::kAck);
  EXPECT_EQ(ParseAckPayload("+OK").kind, AckKind::kAck);
  EXPECT_EQ(ParseAckPayload("+WPI").kind, AckKind::kProgress);
  EXPECT_EQ(ParseAckPayload("+ACK ").kind, AckKind::kUnknown);
  EXPECT_EQ(ParseAckPayload("hello").kind, AckKind::kUnknown);

  AckPayload nak = ParseAckPayload("-NAK");
  EXPECT_EQ(nak.kind, AckKind::kNak);
  EXPECT_FALSE(nak.nak_delay);
  EXPECT_EQ(ParseAckPayload(R"(-NAK {"delay":2000000000})").nak_delay, NanosFromSeconds(2));
  EXPECT_EQ(ParseAckPayload("-NAK 1.5s").nak_delay, NanosFromMillis(1500));
  EXPECT_FALSE(ParseAckPayload("-NAK soon").nak_delay);  // plain NAK, as nats-server
  EXPECT_FALSE(ParseAckPayload(R"(-NAK {"delay":"2s"})").nak_delay);

  AckPayload next = ParseAckPayload(R"(+NXT {"batch":5})");
  EXPECT_EQ(next.kind, AckKind::kNext);
  EXPECT_EQ(ParsePullRequest(next.next_request)->batch, 5);
  EXPECT_EQ(ParseAckPayload("+NXT").next_request, "");

  EXPECT_EQ(ParseAckPayload("+TERM").kind, AckKind::kTerm);
  AckPayload term = ParseAckPayload("+TERM bad payload");
  EXPECT_EQ(term.kind, AckKind::kTerm);
  EXPECT_EQ(term.term_reason, "bad payload");
}

TEST(Acks, GoDurations) {
  struct Case {
    const char* text;
    int64_t ns;
  } ok[] = {{"0", 0},
            {"5s", 5000000000},
            {"-1.5h", -5400000000000},
            {"300ms", 300000000},
            {"2h45m", 9900000000000},
            {"1us", 1000},
            {"1\xC2\xB5s", 1000},
            {".5s", 500000000},
            {"1.000000001s", 1000000001},
            {"+3ns", 3}};
  for (const Case& c : ok) {
    auto d = ParseGoDuration(c.text);
    ASSERT_TRUE(d.ok()) << c.text << d.status();
    EXPECT_EQ(d->ns, c.ns) << c.text;
  }
  EXPECT_EQ(ParseGoDuration("1").status().message(), R"(time: missing unit in duration "1")");
  EXPECT_EQ(ParseGoDuration("1x").status().message(), R"(time: unknown unit "x" in duration "1x")");
  EXPECT_EQ(ParseGoDuration("").status().message(), R"(time: invalid duration "")");
  EXPECT_FALSE(ParseGoDuration("s").ok());
  EXPECT_FALSE(ParseGoDuration("9999999999h").ok());
}

TEST(Acks, Subjects) {
  AckSubject a;
  a.stream = "KV_cfg";
  a.consumer = "w1";
  a.delivered = 1;
  a.stream_seq = StreamSequence{3};
  a.consumer_seq = ConsumerSequence{2};
  a.timestamp_ns = 1700000000000000000;
  a.pending = 0;
  std::string s = BuildAckSubject(a);
  EXPECT_EQ(s, "$JS.ACK.KV_cfg.w1.1.3.2.1700000000000000000.0");
  auto back = ParseAckSubject(s);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->stream, "KV_cfg");
  EXPECT_EQ(back->consumer, "w1");
  EXPECT_EQ(back->delivered, 1u);
  EXPECT_EQ(back->stream_seq.value, 3u);
  EXPECT_EQ(back->consumer_seq.value, 2u);
  EXPECT_EQ(back->timestamp_ns, 1700000000000000000);
  EXPECT_EQ(back->pending, 0u);
  EXPECT_FALSE(ParseAckSubject("$JS.ACK.S.C.1.2.3.4"));
  EXPECT_FALSE(ParseAckSubject("$JS.ACK.S.C.1.2.3.4.5.6"));
  EXPECT_FALSE(ParseAckSubject("$JS.NAK.S.C.1.2.3.4.5"));
  EXPECT_FALSE(ParseAckSubject("$JS.ACK.S.C.1.x.3.4.5"));
  EXPECT_FALSE(ParseAckSubject("$JS.ACK.S.C.1..3.4.5"));
  EXPECT_FALSE(ParseAckSubject("$JS.ACK.S.C.1.2.3.4.5."));
  EXPECT_FALSE(ParseAckSubject("$JS.ACK.S.C.1.-2.3.4.5"));
  EXPECT_FALSE(ParseAckSubject("$JS.ACK.S.C.1.18446744073709551616.3.4.5"));  // 2^64
  auto max = ParseAckSubject("$JS.ACK.S.C.1.18446744073709551615.3.4.5");
  ASSERT_TRUE(max);
  EXPECT_EQ(max->stream_seq.value, UINT64_MAX);
  auto ref = ParseAckSubjectRef(s);
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->stream, "KV_cfg");
  EXPECT_EQ(ref->stream.data(), s.data() + 8);  // a view into the subject
}

}  // namespace
}  // namespace meridian::jetstream::api
