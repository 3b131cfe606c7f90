#include "services/jetstream/api/stream_config.h"

#include "absl/time/time.h"
#include "common/json/parser.h"
#include "gtest/gtest.h"

namespace meridian::jetstream::api {
namespace {

StreamConfig MustParse(absl::string_view body) {
  auto r = ParseStreamConfigJson(body);
  EXPECT_TRUE(r.ok()) << body << ": " << (r.ok() ? "" : r.error().description);
  return r.ok() ? *r : StreamConfig{};
}

StreamConfig MustCheck(absl::string_view body, const StreamCheckContext& ctx = {}) {
  auto r = CheckStreamConfig(MustParse(body), ctx);
  EXPECT_TRUE(r.ok()) << body << ": " << (r.ok() ? "" : r.error().description);
  return r.ok() ? *r : StreamConfig{};
}

ApiError CheckError(absl::string_view body, const StreamCheckContext& ctx = {}) {
  auto r = CheckStreamConfig(MustParse(body), ctx);
  EXPECT_FALSE(r.ok()) << body;
  return r.ok() ? ApiError{} : r.error();
}

TEST(StreamConfigJson, GoUnmarshalRules) {
  // Case-insensitive field names, unknown fields ignored, null leaves unset,
  // last duplicate wins.
  StreamConfig c =
      MustParse(R"({"NAME":"S","Subjects":["a"],"bogus":{"x":[1,2]},"max_msgs":null,"max_bytes":5,)"
                R"("max_bytes":7,"discard":"NEW"})");
  EXPECT_EQ(c.name, "S");
  EXPECT_EQ(c.subjects, std::vector<std::string>{"a"});
  EXPECT_EQ(c.max_msgs, 0);
  EXPECT_EQ(c.max_bytes, 7);
  EXPECT_EQ(c.discard, DiscardPolicy::kNew);

  // Errors: wrong types, fractions, overflow, bad enums (also null enums),
  // non-object bodies, syntax.
  for (const char* body : {R"({"name":5})",
                           R"({"max_msgs":"5"})",
                           R"({"max_msgs":1.5})",
                           R"({"max_msgs":1e3})",
                           R"({"max_msg_size":3000000000})",
                           R"({"first_seq":-1})",
                           R"({"subjects":"a"})",
                           R"({"subjects":[1]})",
                           R"({"retention":"forever"})",
                           R"({"retention":null})",
                           R"({"storage":"File"})",
                           R"({"no_ack":"true"})",
                           R"({"mirror":"x"})",
                           R"({"sources":{}})",
                           R"({"placement":[]})",
                           R"({"metadata":[]})",
                           R"({"mirror":{"opt_start_time":"yesterday"}})",
                           R"([])",
                           R"("x")",
                           R"({)",
                           "",
                           R"({"name":"a"} x)"}) {
    auto r = ParseStreamConfigJson(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error(), (ApiError{400, 10025, "invalid JSON"})) << body;
  }
}

TEST(StreamConfigJson, GoErrorTexts) {
  struct Case {
    const char* body;
    const char* text;
  } cases[] = {
      {R"({"max_msgs":"5"})",
       "json: cannot unmarshal string into Go struct field StreamConfig.max_msgs of type int64"},
      {R"({"max_consumers":1.5})",
       "json: cannot unmarshal number 1.5 into Go struct field StreamConfig.max_consumers of type "
       "int"},
      {R"({"max_msg_size":3000000000})",
       "json: cannot unmarshal number 3000000000 into Go struct field StreamConfig.max_msg_size of "
       "type int32"},
      {R"({"subjects":[1]})",
       "json: cannot unmarshal number into Go struct field StreamConfig.subjects of type string"},
      {R"({"mirror":{"name":7}})",
       "json: cannot unmarshal number into Go struct field StreamSource.mirror.name of type "
       "string"},
      {R"({"placement":[]})",
       "json: cannot unmarshal array into Go struct field StreamConfig.placement of type "
       "server.Placement"},
      {R"({"retention":"forever"})", R"(can not unmarshal "\"forever\"")"},
      {R"([1])", "json: cannot unmarshal array into Go value of type server.StreamConfig"},
  };
  for (const Case& c : cases) {
    auto v = json::Parse(c.body);
    ASSERT_TRUE(v.ok());
    EXPECT_FALSE(ParseStreamConfig(*v).ok()) << c.body;
    EXPECT_EQ(StreamConfigDecodeError(*v), c.text) << c.body;
  }
  EXPECT_EQ(StreamConfigDecodeError(*json::Parse(R"({"name":"ok"})")), "");
}

TEST(StreamConfigJson, RoundTripKeepsEveryField) {
  const std::string full =
      R"({"name":"ALL","description":"d","subjects":["a.\u003e","b"],"retention":"workqueue",)"
      R"("max_consumers":3,"max_msgs":4,"max_bytes":5,"max_age":6000000000,)"
      R"("max_msgs_per_subject":7,"max_msg_size":8,"discard":"new","storage":"memory",)"
      R"("num_replicas":3,"no_ack":true,"template_owner":"t","duplicate_window":1000000000,)"
      R"("placement":{"cluster":"c","tags":["x"],"preferred":"p"},)"
      R"("sources":[{"name":"O","opt_start_seq":2,"opt_start_time":"2023-01-02T03:04:05.5Z",)"
      R"("filter_subject":"f","subject_transforms":[{"src":"a.*","dest":"b.$1"}],)"
      R"("external":{"api":"$JS.d.API","deliver":"dl"}}],"compression":"s2","first_seq":9,)"
      R"("subject_transform":{"src":"a.\u003e","dest":"z.\u003e"},)"
      R"("republish":{"src":"a.\u003e","dest":"r.\u003e","headers_only":true},"allow_direct":true,)"
      R"("mirror_direct":true,"discard_new_per_subject":true,"sealed":true,"deny_delete":true,)"
      R"("deny_purge":true,"allow_rollup_hdrs":true,)"
      R"("consumer_limits":{"inactive_threshold":1000,"max_ack_pending":20},)"
      R"("allow_msg_ttl":true,"subject_delete_marker_ttl":300000000000,)"
      R"("metadata":{"a":"1","b":"\u003c2\u003e"}})";
  StreamConfig c = MustParse(full);
  EXPECT_EQ(StreamConfigToJson(c), full);
  EXPECT_EQ(MustParse(StreamConfigToJson(c)), c);

  StreamConfig mirror = MustParse(R"({"name":"M","mirror":{"name":"O"}})");
  EXPECT_EQ(StreamConfigToJson(mirror),
            R"({"name":"M","retention":"limits","max_consumers":0,"max_msgs":0,"max_bytes":0,)"
            R"("max_age":0,"max_msgs_per_subject":0,"discard":"old","storage":"file",)"
            R"("num_replicas":0,"mirror":{"name":"O"},"allow_direct":false,)"
            R"("mirror_direct":false,"sealed":false,"deny_delete":false,"deny_purge":false,)"
            R"("allow_rollup_hdrs":false})");
}

TEST(StreamConfigCheck, Defaults) {
  StreamConfig c = MustCheck(R"({"name":"S"})");
  EXPECT_EQ(c.subjects, std::vector<std::string>{"S"});
  EXPECT_EQ(c.max_msgs, -1);
  EXPECT_EQ(c.max_bytes, -1);
  EXPECT_EQ(c.max_msgs_per_subject, -1);
  EXPECT_EQ(c.max_msg_size, -1);
  EXPECT_EQ(c.max_consumers, -1);
  EXPECT_EQ(c.num_replicas, 1);
  EXPECT_EQ(c.duplicate_window, NanosFromSeconds(120));
  EXPECT_EQ(c.storage, StorageType::kFile);

  // duplicate_window follows a shorter max_age, and the server limit.
  EXPECT_EQ(MustCheck(R"({"name":"S","max_age":30000000000})").duplicate_window,
            NanosFromSeconds(30));
  StreamCheckContext lim;
  lim.max_duplicate_window = NanosFromSeconds(60);
  EXPECT_EQ(MustCheck(R"({"name":"S"})", lim).duplicate_window, NanosFromSeconds(60));
  EXPECT_EQ(CheckError(R"({"name":"S","duplicate_window":90000000000})", lim).description,
            "duplicates window can not be larger then server limit of 1m0s");
  // Mirrors keep no duplicate window and no subjects.
  StreamConfig m = MustCheck(R"({"name":"M","mirror":{"name":"nowhere"}})");
  EXPECT_TRUE(m.duplicate_window.is_zero());
  EXPECT_TRUE(m.subjects.empty());
  // Republish source defaults to ">".
  EXPECT_EQ(
      MustCheck(R"({"name":"R","subjects":["r.>"],"republish":{"dest":"x.>"}})").republish->src,
      ">");
}

TEST(StreamConfigCheck, AccountByteLimits) {
  StreamCheckContext ctx;
  ctx.max_bytes_required = true;
  EXPECT_EQ(CheckError(R"({"name":"S"})", ctx).err_code, 10113);
  ctx.max_bytes_required = false;
  ctx.storage_max_stream_bytes = 100;
  EXPECT_EQ(CheckError(R"({"name":"S","max_bytes":101})", ctx).err_code, 10122);
  MustCheck(R"({"name":"S","max_bytes":101,"storage":"memory"})", ctx);

  BytesLimitsInput in;
  in.storage = StorageType::kMemory;
  in.add_bytes = 100;
  in.account_max = 150;
  in.account_reserved = 60;
  in.server_max = 1 << 20;
  EXPECT_EQ(CheckStreamBytesLimits(in).error().err_code, 10028);
  in.storage = StorageType::kFile;
  EXPECT_EQ(CheckStreamBytesLimits(in).error().err_code, 10047);
  in.account_max = -1;
  EXPECT_TRUE(CheckStreamBytesLimits(in).ok());
  in.server_reserved = (1 << 20) - 50;
  EXPECT_EQ(CheckStreamBytesLimits(in).error().err_code, 10047);
  in.check_server = false;
  EXPECT_TRUE(CheckStreamBytesLimits(in).ok());
  in.add_bytes = -1;  // unlimited streams count one byte
  in.account_max = 0;
  EXPECT_FALSE(CheckStreamBytesLimits(in).ok());
}

TEST(StreamConfigCheck, RecoveringSkipsSourceFilterChecks) {
  StreamConfig origin = MustCheck(R"({"name":"O","subjects":["o.>"]})");
  StreamCheckContext ctx;
  ctx.lookup_stream = [&](absl::string_view n) { return n == "O" ? &origin : nullptr; };
  EXPECT_EQ(
      CheckError(R"({"name":"M","mirror":{"name":"O","filter_subject":"zz"}})", ctx).description,
      "mirror 'O' filter subject 'zz' does not overlap with any origin stream subject");
  ctx.recovering = true;
  MustCheck(R"({"name":"M","mirror":{"name":"O","filter_subject":"zz"}})", ctx);
  // mirror_direct is inherited from the origin's allow_direct.
  origin.allow_direct = true;
  EXPECT_TRUE(MustCheck(R"({"name":"M","mirror":{"name":"O"}})", ctx).mirror_direct);
}

TEST(StreamConfigCheck, CreateRequestChecks) {
  StreamConfig c = MustParse(R"({"name":"S"})");
  EXPECT_TRUE(CheckStreamCreateRequest("S", c).ok());
  EXPECT_EQ(CheckStreamCreateRequest("T", c).error().err_code, 10056);
  c.name = "a\\b";
  EXPECT_EQ(CheckStreamCreateRequest("a\\b", c).error().err_code, 10128);
}

TEST(StreamConfigCheck, NamesAndSubjectTransforms) {
  EXPECT_TRUE(IsValidName("KV_a-b"));
  for (const char* bad : {"", "a.b", "a*", "a>", "a b", "a\tb"}) EXPECT_FALSE(IsValidName(bad));
  EXPECT_TRUE(ValidSubjectTransform("a.*", "b.$1"));
  EXPECT_TRUE(ValidSubjectTransform("a.*.*", "b.{{wildcard(2)}}.{{ Wildcard(1) }}"));
  EXPECT_TRUE(ValidSubjectTransform("a.*", "b.{{partition(3,1)}}"));
  EXPECT_TRUE(ValidSubjectTransform("a.*", "b.{{SplitFromLeft(1,2)}}"));
  EXPECT_TRUE(ValidSubjectTransform("a.>", "b.>"));
  EXPECT_TRUE(ValidSubjectTransform("a", "b"));
  EXPECT_TRUE(ValidSubjectTransform("a.*", "b.$foo.$1"));  // "$foo" is literal
  EXPECT_FALSE(ValidSubjectTransform("a.*", "b"));         // wildcard unused
  EXPECT_FALSE(ValidSubjectTransform("a.*", "b.$2"));      // index out of range
  EXPECT_FALSE(ValidSubjectTransform("a.*", "b.*"));       // '*' in dest
  EXPECT_FALSE(ValidSubjectTransform("a.>", "b"));         // '>' mismatch
  EXPECT_FALSE(ValidSubjectTransform("a.*", "b.{{bogus(1)}}"));
  EXPECT_FALSE(ValidSubjectTransform("a..b", "c"));
  EXPECT_EQ(
      CheckError(R"({"name":"S","subjects":["a.*"],"subject_transform":{"src":"a.*","dest":"b"}})")
          .err_code,
      10156);
}

TEST(StreamConfigCheck, UpdateRules) {
  StreamConfig old = MustCheck(R"({"name":"S","deny_delete":true})");
  auto upd = [&](absl::string_view body) { return CheckStreamUpdate(old, MustCheck(body)); };
  EXPECT_TRUE(upd(R"({"name":"S","deny_delete":true,"max_msgs":5,"subjects":["x","y"]})").ok());
  EXPECT_EQ(upd(R"({"name":"S","deny_delete":true,"storage":"memory"})").error().description,
            "stream configuration update can not change storage type");
  EXPECT_EQ(upd(R"({"name":"S"})").error().description,
            "stream configuration update can not cancel deny message deletes");
  EXPECT_EQ(upd(R"({"name":"S","deny_delete":true,"mirror":{"name":"X"}})").error().err_code,
            10055);
  auto sealed = upd(R"({"name":"S","deny_delete":true,"sealed":true,"max_age":5000000000,)"
                    R"("duplicate_window":1000000000})");
  ASSERT_TRUE(sealed.ok());
  EXPECT_TRUE(sealed->max_age.is_zero());
  EXPECT_EQ(sealed->discard, DiscardPolicy::kNew);
  EXPECT_TRUE(sealed->deny_purge);
  EXPECT_FALSE(sealed->allow_rollup_hdrs);
  StreamConfig tmpl = old;
  tmpl.template_owner = "T";
  EXPECT_EQ(CheckStreamUpdate(tmpl, old).error().description,
            "stream configuration update not allowed on template owned stream");
}

TEST(StreamConfigCheck, EqualityAndOverlap) {
  EXPECT_TRUE(StreamConfigsEqual(MustCheck(R"({"name":"S"})"),
                                 MustCheck(R"({"name":"S","max_msgs":-1,"subjects":["S"]})")));
  EXPECT_FALSE(
      StreamConfigsEqual(MustCheck(R"({"name":"S"})"), MustCheck(R"({"name":"S","max_msgs":5})")));
  EXPECT_TRUE(StreamSubjectsOverlap({"a.*"}, {"x", "a.b"}));
  EXPECT_TRUE(StreamSubjectsOverlap({"a.>"}, {"*.b.c"}));
  EXPECT_FALSE(StreamSubjectsOverlap({"a.*"}, {"a.b.c", "b"}));
}

}  // namespace
}  // namespace meridian::jetstream::api
