// Pull consumers: fetch batches with their metadata, ack / nak / term /
// in-progress, redelivery after ack_wait bounded by max_deliver, the exact
// counters of consumer info, deliver policies and filter subjects.
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/jetstream/js_fixture.h"

namespace meridian::testing::jetstream {
namespace {

using PullConsumerTest = JetStreamTest;

jsErrCode NoErr() { return static_cast<jsErrCode>(0); }

std::vector<uint64_t> StreamSeqs(const std::vector<MsgPtr>& msgs) {
  std::vector<uint64_t> out;
  for (const MsgPtr& m : msgs) out.push_back(MetaOf(m.get()).stream_seq);
  return out;
}

// A durable pull consumer with explicit acks, tuned by `tune`.
ConsumerInfoPtr AddPullConsumer(jsCtx* js, const std::string& stream, const std::string& durable,
                                const std::function<void(jsConsumerConfig&)>& tune = nullptr) {
  jsConsumerConfig cc;
  jsConsumerConfig_Init(&cc);
  cc.Durable = durable.c_str();
  cc.AckPolicy = js_AckExplicit;
  if (tune) tune(cc);
  jsConsumerInfo* ci = nullptr;
  jsErrCode jerr = NoErr();
  natsStatus s = js_AddConsumer(&ci, js, stream.c_str(), &cc, nullptr, &jerr);
  EXPECT_EQ(s, NATS_OK) << "add consumer " << durable << ": " << natsStatus_GetText(s)
                        << " err_code " << jerr << " " << LastError();
  return ConsumerInfoPtr(s == NATS_OK ? ci : nullptr);
}

TEST_P(PullConsumerTest, FetchBatchesAndCounts) {
  std::string name = Unique("S"), tok = Token();
  ASSERT_NE(AddStream(name, {tok + ".>"}), nullptr);
  for (int i = 1; i <= 25; ++i) ASSERT_EQ(Publish(tok + ".x", absl::StrCat("p", i)), uint64_t(i));

  natsSubscription* raw = nullptr;
  jsErrCode jerr = NoErr();
  std::string subj = tok + ".x";
  ASSERT_EQ(js_PullSubscribe(&raw, js(), subj.c_str(), "pc", nullptr, nullptr, &jerr), NATS_OK)
      << jerr << " " << LastError();
  SubPtr sub(raw);
  ConsumerInfoPtr ci = ConsumerInfo(name, "pc");
  ASSERT_NE(ci, nullptr);
  EXPECT_EQ(CountsOf(ci.get()), Counts(0, 0, 0, 0, 0, 0, 25));
  EXPECT_EQ(ci->Config->AckPolicy, js_AckExplicit);
  EXPECT_EQ(Str(ci->Config->FilterSubject), subj);
  EXPECT_EQ(ci->Config->AckWait, int64_t{30} * 1000 * 1000 * 1000);
  EXPECT_EQ(ci->Config->MaxWaiting, 512);
  EXPECT_EQ(ci->Config->MaxAckPending, 1000);

  uint64_t next = 1;
  for (int round = 0; round < 2; ++round) {
    std::vector<MsgPtr> got = Fetch(sub.get(), 10, 5000);
    ASSERT_EQ(got.size(), 10u) << "round " << round;
    for (MsgPtr& m : got) {
      Meta md = MetaOf(m.get());
      EXPECT_EQ(md.stream_seq, next);
      EXPECT_EQ(md.consumer_seq, next);
      EXPECT_EQ(md.delivered, 1u);
      EXPECT_EQ(md.pending, 25 - next);
      EXPECT_EQ(md.consumer, "pc");
      EXPECT_EQ(Data(m.get()), absl::StrCat("p", next));
      EXPECT_EQ(Str(natsMsg_GetSubject(m.get())), subj);
      ++next;
    }
    if (round == 0) {
      EXPECT_EQ(WaitCounts(name, "pc", Counts(10, 10, 0, 0, 10, 0, 15)),
                Counts(10, 10, 0, 0, 10, 0, 15));
    }
    for (MsgPtr& m : got) ASSERT_EQ(natsMsg_AckSync(m.get(), nullptr, &jerr), NATS_OK);
  }
  EXPECT_EQ(CountsOf(ConsumerInfo(name, "pc").get()), Counts(20, 20, 20, 20, 0, 0, 5));

  // Only 5 left: a batch of 10 returns them without waiting for the timeout.
  absl::Time start = absl::Now();
  std::vector<MsgPtr> rest = Fetch(sub.get(), 10, 5000);
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(4000));
  EXPECT_EQ(StreamSeqs(rest), (std::vector<uint64_t>{21, 22, 23, 24, 25}));
  for (MsgPtr& m : rest) ASSERT_EQ(natsMsg_AckSync(m.get(), nullptr, &jerr), NATS_OK);

  // Nothing left: the fetch times out.
  natsStatus s;
  EXPECT_TRUE(Fetch(sub.get(), 10, 300, &s).empty());
  EXPECT_EQ(s, NATS_TIMEOUT);
  EXPECT_EQ(CountsOf(ConsumerInfo(name, "pc").get()), Counts(25, 25, 25, 25, 0, 0, 0));

  // A new message is fetched by a waiting request.
  EXPECT_EQ(Publish(subj, "p26"), 26u);
  std::vector<MsgPtr> late = Fetch(sub.get(), 1, 5000);
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(MetaOf(late[0].get()).stream_seq, 26u);
}

TEST_P(PullConsumerTest, AckNakTermInProgress) {
  std::string name = Unique("S"), tok = Token();
  ASSERT_NE(AddStream(name, {tok + ".>"}), nullptr);
  for (int i = 1; i <= 5; ++i) ASSERT_EQ(Publish(tok + ".x", absl::StrCat(i)), uint64_t(i));
  ASSERT_NE(AddPullConsumer(js(), name, "acks"), nullptr);
  SubPtr sub = BindPull(name, "acks");
  ASSERT_NE(sub, nullptr);

  std::vector<MsgPtr> got = Fetch(sub.get(), 5, 5000);
  ASSERT_EQ(StreamSeqs(got), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  jsErrCode jerr = NoErr();
  ASSERT_EQ(natsMsg_AckSync(got[0].get(), nullptr, &jerr), NATS_OK);  // 1 acked
  ASSERT_EQ(natsMsg_Term(got[2].get(), nullptr), NATS_OK);            // 3 terminated
  ASSERT_EQ(natsMsg_InProgress(got[3].get(), nullptr), NATS_OK);      // 4 still working
  ASSERT_EQ(natsMsg_Nak(got[1].get(), nullptr), NATS_OK);             // 2 redelivered now
  // An ack after an ack is a no-op for the library (already acked).
  EXPECT_EQ(natsMsg_Ack(got[0].get(), nullptr), NATS_OK);

  // The nak'ed message comes back at once with delivery count 2.
  std::vector<MsgPtr> again = Fetch(sub.get(), 1, 5000);
  ASSERT_EQ(again.size(), 1u);
  Meta md = MetaOf(again[0].get());
  EXPECT_EQ(md.stream_seq, 2u);
  EXPECT_EQ(md.consumer_seq, 6u);
  EXPECT_EQ(md.delivered, 2u);
  EXPECT_EQ(Data(again[0].get()), "2");

  // Pending: 2 (redelivered), 4, 5.
  EXPECT_EQ(WaitCounts(name, "acks", Counts(6, 5, 1, 1, 3, 1, 0)), Counts(6, 5, 1, 1, 3, 1, 0));

  ASSERT_EQ(natsMsg_AckSync(again[0].get(), nullptr, &jerr), NATS_OK);
  ASSERT_EQ(natsMsg_AckSync(got[3].get(), nullptr, &jerr), NATS_OK);
  // 1..4 done; 5 (consumer seq 5) pending.
  EXPECT_EQ(CountsOf(ConsumerInfo(name, "acks").get()), Counts(6, 5, 4, 4, 1, 0, 0));

  // Nothing else is delivered: 3 was terminated, 5 is still within ack_wait.
  natsStatus s;
  EXPECT_TRUE(Fetch(sub.get(), 5, 500, &s).empty());
  EXPECT_EQ(s, NATS_TIMEOUT);

  ASSERT_EQ(natsMsg_AckSync(got[4].get(), nullptr, &jerr), NATS_OK);
  EXPECT_EQ(CountsOf(ConsumerInfo(name, "acks").get()), Counts(6, 5, 6, 5, 0, 0, 0));
}

TEST_P(PullConsumerTest, AckWaitRedeliveryUpToMaxDeliver) {
  std::string name = Unique("S"), tok = Token();
  ASSERT_NE(AddStream(name, {tok + ".>"}), nullptr);
  ASSERT_EQ(Publish(tok + ".x", "first"), 1u);
  ASSERT_EQ(Publish(tok + ".x", "second"), 2u);
  ASSERT_NE(AddPullConsumer(js(), name, "redo",
                            [](jsConsumerConfig& cc) {
                              cc.AckWait = int64_t{400} * 1000 * 1000;  // 400 ms
                              cc.MaxDeliver = 3;
                            }),
            nullptr);
  SubPtr sub = BindPull(name, "redo");
  ASSERT_NE(sub, nullptr);

  std::vector<MsgPtr> got = Fetch(sub.get(), 2, 5000);
  ASSERT_EQ(StreamSeqs(got), (std::vector<uint64_t>{1, 2}));
  jsErrCode jerr = NoErr();
  ASSERT_EQ(natsMsg_AckSync(got[1].get(), nullptr, &jerr), NATS_OK);  // 1 is never acked

  absl::Time delivered_at = absl::Now();
  for (uint64_t dc = 2; dc <= 3; ++dc) {
    std::vector<MsgPtr> redo = Fetch(sub.get(), 1, 5000);
    ASSERT_EQ(redo.size(), 1u) << "delivery " << dc;
    absl::Duration gap = absl::Now() - delivered_at;
    delivered_at = absl::Now();
    Meta md = MetaOf(redo[0].get());
    EXPECT_EQ(md.stream_seq, 1u);
    EXPECT_EQ(md.delivered, dc);
    EXPECT_EQ(md.consumer_seq, dc + 1);
    EXPECT_EQ(Data(redo[0].get()), "first");
    // Not before ack_wait (a little slack for timer granularity).
    EXPECT_GE(gap, absl::Milliseconds(300)) << "delivery " << dc;
  }
  // max_deliver reached: no fourth delivery (several ack_waits long).
  natsStatus s;
  EXPECT_TRUE(Fetch(sub.get(), 1, 1500, &s).empty());
  EXPECT_EQ(s, NATS_TIMEOUT);
  ConsumerInfoPtr ci = ConsumerInfo(name, "redo");
  ASSERT_NE(ci, nullptr);
  EXPECT_EQ(ci->Config->MaxDeliver, 3);
  EXPECT_EQ(ci->Config->AckWait, int64_t{400} * 1000 * 1000);
  // Once the deliveries are exhausted and ack_wait passed, the message no
  // longer counts as ack pending. Where the ack floor then stands differs by
  // version: nats-server 2.9.10 leaves it where it was (0/0); later servers
  // record max-delivered messages in the store state and move past them (4/2).
  ConsumerCounts counts = CountsOf(ci.get());
  ConsumerCounts floor_kept = Counts(4, 2, 0, 0, 0, 1, 0),
                 floor_moved = Counts(4, 2, 4, 2, 0, 1, 0);
  EXPECT_TRUE(counts == floor_kept || counts == floor_moved)
      << counts << " is neither " << floor_kept << " nor " << floor_moved;
  if (counts == floor_moved) {
    std::cout << "[ INFO     ] " << BackendName(backend())
              << ": ack floor moved past the max-delivered message" << std::endl;
  }
}

TEST_P(PullConsumerTest, DeliverPoliciesAndFilter) {
  std::string name = Unique("S"), tok = Token();
  ASSERT_NE(AddStream(name, {tok + ".>"}), nullptr);
  std::string a = tok + ".a", b = tok + ".b", c = tok + ".c";
  // 1 a, 2 b, 3 c, 4 a, 5 a
  for (const std::string& subj : {a, b, c, a, a}) ASSERT_GT(Publish(subj, subj), 0u);

  struct Case {
    std::string durable;
    jsDeliverPolicy policy;
    uint64_t start_seq;
    std::string filter;
    uint64_t pending_at_create;
    std::vector<uint64_t> want;
  };
  std::vector<Case> cases = {
      {"all", js_DeliverAll, 0, "", 5, {1, 2, 3, 4, 5}},
      {"last", js_DeliverLast, 0, "", 1, {5}},
      {"new", js_DeliverNew, 0, "", 0, {}},
      {"start4", js_DeliverByStartSequence, 4, "", 2, {4, 5}},
      // With a filter: nats-server 2.9.10 refuses last_per_subject without one
      // (10094), 2.10+ accepts it.
      {"lps", js_DeliverLastPerSubject, 0, tok + ".>", 3, {2, 3, 5}},
      {"filt", js_DeliverAll, 0, a, 3, {1, 4, 5}},
      {"filtlast", js_DeliverLast, 0, b, 1, {2}},
      {"filtstart", js_DeliverByStartSequence, 2, a, 2, {4, 5}},
      {"lpswild", js_DeliverLastPerSubject, 0, tok + ".*", 3, {2, 3, 5}},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.durable);
    ConsumerInfoPtr ci = AddPullConsumer(js(), name, k.durable, [&](jsConsumerConfig& cc) {
      cc.DeliverPolicy = k.policy;
      cc.OptStartSeq = k.start_seq;
      if (!k.filter.empty()) cc.FilterSubject = k.filter.c_str();
    });
    ASSERT_NE(ci, nullptr);
    EXPECT_EQ(ci->NumPending, k.pending_at_create);
    EXPECT_EQ(ci->Config->DeliverPolicy, k.policy);
    SubPtr sub = BindPull(name, k.durable);
    ASSERT_NE(sub, nullptr);
    // Exactly the expected count: the fetch ends as soon as they are in.
    std::vector<MsgPtr> got;
    if (!k.want.empty()) got = Fetch(sub.get(), static_cast<int>(k.want.size()), 5000);
    EXPECT_EQ(StreamSeqs(got), k.want);
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(MetaOf(got[i].get()).consumer_seq, i + 1);
      EXPECT_EQ(MetaOf(got[i].get()).pending, k.want.size() - i - 1);
      natsMsg_Ack(got[i].get(), nullptr);
    }
  }

  // Messages after creation: "new" and the filtered ones see exactly theirs.
  ASSERT_EQ(Publish(b, "b6"), 6u);
  ASSERT_EQ(Publish(a, "a7"), 7u);
  for (const auto& [durable, want] : std::vector<std::pair<std::string, std::vector<uint64_t>>>{
           {"new", {6, 7}}, {"filt", {7}}, {"filtlast", {6}}, {"lps", {6, 7}}}) {
    SCOPED_TRACE(durable);
    SubPtr sub = BindPull(name, durable);
    ASSERT_NE(sub, nullptr);
    EXPECT_EQ(StreamSeqs(Fetch(sub.get(), static_cast<int>(want.size()), 5000)), want);
  }
}

TEST_P(PullConsumerTest, ConsumerErrors) {
  std::string name = Unique("S"), tok = Token();
  ASSERT_NE(AddStream(name, {tok + ".>"}), nullptr);
  jsConsumerInfo* ci = nullptr;
  jsErrCode jerr = NoErr();
  EXPECT_EQ(js_GetConsumerInfo(&ci, js(), name.c_str(), "nope", nullptr, &jerr), NATS_NOT_FOUND);
  EXPECT_EQ(jerr, JSConsumerNotFoundErr);
  jerr = NoErr();
  EXPECT_NE(js_DeleteConsumer(js(), name.c_str(), "nope", nullptr, &jerr), NATS_OK);
  EXPECT_EQ(jerr, JSConsumerNotFoundErr) << LastError();

  jsConsumerConfig cc;
  jsConsumerConfig_Init(&cc);
  cc.Durable = "c";
  cc.AckPolicy = js_AckExplicit;
  jerr = NoErr();
  EXPECT_NE(js_AddConsumer(&ci, js(), "NO_SUCH_STREAM", &cc, nullptr, &jerr), NATS_OK);
  EXPECT_EQ(jerr, JSStreamNotFoundErr) << LastError();

  // A filter outside the stream's subjects: 10093.
  std::string outside = "elsewhere." + tok;
  cc.FilterSubject = outside.c_str();
  jerr = NoErr();
  EXPECT_NE(js_AddConsumer(&ci, js(), name.c_str(), &cc, nullptr, &jerr), NATS_OK);
  EXPECT_EQ(jerr, JSConsumerFilterNotSubsetErr) << LastError();

  // Create, then delete; info is gone.
  cc.FilterSubject = nullptr;
  ASSERT_EQ(js_AddConsumer(&ci, js(), name.c_str(), &cc, nullptr, &jerr), NATS_OK) << LastError();
  jsConsumerInfo_Destroy(ci);
  ci = nullptr;
  StreamInfoPtr si = StreamInfo(name);
  ASSERT_NE(si, nullptr);
  EXPECT_EQ(si->State.Consumers, 1);
  ASSERT_EQ(js_DeleteConsumer(js(), name.c_str(), "c", nullptr, &jerr), NATS_OK) << LastError();
  jerr = NoErr();
  EXPECT_EQ(js_GetConsumerInfo(&ci, js(), name.c_str(), "c", nullptr, &jerr), NATS_NOT_FOUND);
  EXPECT_EQ(jerr, JSConsumerNotFoundErr);
}

MERIDIAN_JS_INSTANTIATE(PullConsumerTest);

}  // namespace
}  // namespace meridian::testing::jetstream
