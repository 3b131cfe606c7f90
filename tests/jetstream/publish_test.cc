// Publishing into streams: PubAcks (stream, seq, duplicate), the expectation
// headers and their err_codes, 10,000 async publishes acknowledged in order,
// and a publish no stream listens to.
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/jetstream/js_fixture.h"
#include "tests/support/process.h"

namespace meridian::testing::jetstream {
namespace {

using PublishTest = JetStreamTest;

jsErrCode NoErr() { return static_cast<jsErrCode>(0); }

// js_Publish with options; PubAck seq (0 on error), status and err_code out.
uint64_t PublishWith(jsCtx* js, const std::string& subject, const std::string& data,
                     jsPubOptions* po, natsStatus* status, jsErrCode* jerr, bool* duplicate) {
  jsPubAck* pa = nullptr;
  *jerr = NoErr();
  *status =
      js_Publish(&pa, js, subject.c_str(), data.data(), static_cast<int>(data.size()), po, jerr);
  PubAckPtr owned(pa);
  if (duplicate != nullptr) *duplicate = pa != nullptr && pa->Duplicate;
  return pa == nullptr ? 0 : pa->Sequence;
}

TEST_P(PublishTest, AcksAndDuplicates) {
  std::string name = Unique("S"), tok = Token();
  ASSERT_NE(AddStream(name, {tok + ".>"}), nullptr);
  jsPubAck* pa = nullptr;
  jsErrCode jerr = NoErr();
  std::string subj = tok + ".a";
  ASSERT_EQ(js_Publish(&pa, js(), subj.c_str(), "x", 1, nullptr, &jerr), NATS_OK) << LastError();
  {
    PubAckPtr owned(pa);
    EXPECT_EQ(Str(pa->Stream), name);
    EXPECT_EQ(pa->Sequence, 1u);
    EXPECT_FALSE(pa->Duplicate);
    EXPECT_EQ(pa->Domain, nullptr);
  }

  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MsgId = "id-1";
  natsStatus s;
  bool dup = true;
  EXPECT_EQ(PublishWith(js(), subj, "first", &po, &s, &jerr, &dup), 2u);
  EXPECT_EQ(s, NATS_OK);
  EXPECT_FALSE(dup);
  EXPECT_EQ(PublishWith(js(), subj, "again", &po, &s, &jerr, &dup), 2u);
  EXPECT_EQ(s, NATS_OK);
  EXPECT_TRUE(dup);
  po.MsgId = "id-2";
  EXPECT_EQ(PublishWith(js(), subj, "second", &po, &s, &jerr, &dup), 3u);
  EXPECT_FALSE(dup);

  StreamInfoPtr si = StreamInfo(name);
  ASSERT_NE(si, nullptr);
  EXPECT_EQ(si->State.Msgs, 3u);
  natsMsg* m = nullptr;
  ASSERT_EQ(js_GetMsg(&m, js(), name.c_str(), 2, nullptr, &jerr), NATS_OK);
  MsgPtr owned(m);
  EXPECT_EQ(Data(m), "first");  // the duplicate was not stored
  const char* id = nullptr;
  ASSERT_EQ(natsMsgHeader_Get(m, "Nats-Msg-Id", &id), NATS_OK);
  EXPECT_EQ(Str(id), "id-1");
}

TEST_P(PublishTest, Expectations) {
  std::string name = Unique("S"), tok = Token();
  ASSERT_NE(AddStream(name, {tok + ".>"}), nullptr);
  std::string a = tok + ".a", b = tok + ".b";
  natsStatus s;
  jsErrCode jerr;
  jsPubOptions po;

  // Expected stream.
  jsPubOptions_Init(&po);
  po.ExpectStream = name.c_str();
  EXPECT_EQ(PublishWith(js(), a, "1", &po, &s, &jerr, nullptr), 1u);
  EXPECT_EQ(s, NATS_OK) << LastError();
  po.ExpectStream = "OTHER";
  EXPECT_EQ(PublishWith(js(), a, "x", &po, &s, &jerr, nullptr), 0u);
  EXPECT_EQ(s, NATS_ERR);
  EXPECT_EQ(jerr, JSStreamNotMatchErr) << LastError();

  // Expected last sequence of the stream.
  jsPubOptions_Init(&po);
  po.ExpectLastSeq = 1;
  EXPECT_EQ(PublishWith(js(), b, "2", &po, &s, &jerr, nullptr), 2u);
  EXPECT_EQ(s, NATS_OK) << LastError();
  po.ExpectLastSeq = 1;  // now 2
  EXPECT_EQ(PublishWith(js(), b, "x", &po, &s, &jerr, nullptr), 0u);
  EXPECT_EQ(s, NATS_ERR);
  EXPECT_EQ(jerr, JSStreamWrongLastSequenceErr) << LastError();
  EXPECT_NE(LastError().find("wrong last sequence: 2"), std::string::npos) << LastError();

  // Expected last msg id.
  jsPubOptions_Init(&po);
  po.MsgId = "m3";
  EXPECT_EQ(PublishWith(js(), a, "3", &po, &s, &jerr, nullptr), 3u);
  jsPubOptions_Init(&po);
  po.ExpectLastMsgId = "m3";
  po.MsgId = "m4";
  EXPECT_EQ(PublishWith(js(), a, "4", &po, &s, &jerr, nullptr), 4u);
  EXPECT_EQ(s, NATS_OK) << LastError();
  po.ExpectLastMsgId = "m3";  // now m4
  po.MsgId = "m5";
  EXPECT_EQ(PublishWith(js(), a, "x", &po, &s, &jerr, nullptr), 0u);
  EXPECT_EQ(s, NATS_ERR);
  EXPECT_EQ(jerr, JSStreamWrongLastMsgIDErr) << LastError();
  EXPECT_NE(LastError().find("wrong last msg ID: m4"), std::string::npos) << LastError();

  // Expected last sequence on the subject: .b's last is 2, .a's is 4.
  jsPubOptions_Init(&po);
  po.ExpectLastSubjectSeq = 2;
  EXPECT_EQ(PublishWith(js(), b, "5", &po, &s, &jerr, nullptr), 5u);
  EXPECT_EQ(s, NATS_OK) << LastError();
  po.ExpectLastSubjectSeq = 2;  // .a's last is 4
  EXPECT_EQ(PublishWith(js(), a, "x", &po, &s, &jerr, nullptr), 0u);
  EXPECT_EQ(s, NATS_ERR);
  EXPECT_EQ(jerr, JSStreamWrongLastSequenceErr) << LastError();
  EXPECT_NE(LastError().find("wrong last sequence: 4"), std::string::npos) << LastError();

  // Expected no message on the subject (Nats-Expected-Last-Subject-Sequence: 0).
  jsPubOptions_Init(&po);
  po.ExpectNoMessage = true;
  std::string fresh = tok + ".fresh";
  EXPECT_EQ(PublishWith(js(), fresh, "6", &po, &s, &jerr, nullptr), 6u);
  EXPECT_EQ(s, NATS_OK) << LastError();
  EXPECT_EQ(PublishWith(js(), fresh, "x", &po, &s, &jerr, nullptr), 0u);
  EXPECT_EQ(s, NATS_ERR);
  EXPECT_EQ(jerr, JSStreamWrongLastSequenceErr) << LastError();
  EXPECT_NE(LastError().find("wrong last sequence: 6"), std::string::npos) << LastError();

  // Failed publishes stored nothing.
  StreamInfoPtr si = StreamInfo(name);
  ASSERT_NE(si, nullptr);
  EXPECT_EQ(si->State.Msgs, 6u);
  EXPECT_EQ(si->State.LastSeq, 6u);
}

TEST_P(PublishTest, NoStreamListening) {
  jsPubAck* pa = nullptr;
  jsErrCode jerr = NoErr();
  std::string subj = Token() + ".nostream";
  EXPECT_EQ(js_Publish(&pa, js(), subj.c_str(), "x", 1, nullptr, &jerr), NATS_NO_RESPONDERS);
  EXPECT_EQ(pa, nullptr);
  jsPubAck_Destroy(pa);
}

struct AsyncAcks {
  std::mutex mu;
  std::vector<std::pair<uint64_t, std::string>> acks;  // seq, payload, in callback order
  std::vector<std::string> errors;
  std::string stream;
};

void OnAck(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
  auto* acks = static_cast<AsyncAcks*>(closure);
  std::lock_guard<std::mutex> lock(acks->mu);
  if (pa != nullptr) {
    acks->acks.emplace_back(pa->Sequence, Data(msg));
    if (acks->stream.empty()) acks->stream = Str(pa->Stream);
  } else if (pae != nullptr) {
    acks->errors.push_back(
        absl::StrCat(Data(msg), ": ", pae->Err, " ", pae->ErrCode, " ", Str(pae->ErrText)));
  }
  natsMsg_Destroy(msg);
}

TEST_P(PublishTest, AsyncTenThousandAckedInOrder) {
  std::string name = Unique("S"), tok = Token();
  ASSERT_NE(AddStream(name, {tok + ".>"}), nullptr);
  AsyncAcks acks;
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.PublishAsync.AckHandler = &OnAck;
  jo.PublishAsync.AckHandlerClosure = &acks;
  jo.PublishAsync.MaxPending = 1000;
  jsCtx* raw = nullptr;
  ASSERT_EQ(natsConnection_JetStream(&raw, nc(), &jo), NATS_OK);
  JsPtr ctx(raw);
  constexpr int kCount = 10000;
  for (int i = 0; i < kCount; ++i) {
    std::string subj = absl::StrCat(tok, ".", i % 7), data = absl::StrCat("m-", i);
    ASSERT_EQ(js_PublishAsync(ctx.get(), subj.c_str(), data.data(), static_cast<int>(data.size()),
                              nullptr),
              NATS_OK)
        << i << " " << LastError();
  }
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = 60000;
  ASSERT_EQ(js_PublishAsyncComplete(ctx.get(), &po), NATS_OK) << LastError();

  std::lock_guard<std::mutex> lock(acks.mu);
  EXPECT_TRUE(acks.errors.empty()) << acks.errors.size() << " errors, first: " << acks.errors[0];
  ASSERT_EQ(acks.acks.size(), size_t{kCount});
  EXPECT_EQ(acks.stream, name);
  int out_of_order = 0;
  for (int i = 0; i < kCount; ++i) {
    if (acks.acks[i].first != uint64_t(i + 1) || acks.acks[i].second != absl::StrCat("m-", i)) {
      if (++out_of_order <= 5) {
        ADD_FAILURE() << "ack #" << i << ": seq " << acks.acks[i].first << " for "
                      << acks.acks[i].second;
      }
    }
  }
  EXPECT_EQ(out_of_order, 0);
  StreamInfoPtr si = StreamInfo(name);
  ASSERT_NE(si, nullptr);
  EXPECT_EQ(si->State.Msgs, uint64_t{kCount});
  EXPECT_EQ(si->State.FirstSeq, 1u);
  EXPECT_EQ(si->State.LastSeq, uint64_t{kCount});
  EXPECT_EQ(si->State.NumSubjects, 7);
  // Spot checks of the stored content.
  for (uint64_t seq : {uint64_t{1}, uint64_t{4321}, uint64_t{kCount}}) {
    natsMsg* m = nullptr;
    ASSERT_EQ(js_GetMsg(&m, js(), name.c_str(), seq, nullptr, nullptr), NATS_OK);
    MsgPtr owned(m);
    EXPECT_EQ(Data(m), absl::StrCat("m-", seq - 1));
    EXPECT_EQ(Str(natsMsg_GetSubject(m)), absl::StrCat(tok, ".", (seq - 1) % 7));
  }
}

MERIDIAN_JS_INSTANTIATE(PublishTest);

}  // namespace
}  // namespace meridian::testing::jetstream
