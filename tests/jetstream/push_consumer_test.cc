// Push consumers through js_Subscribe: durable and ephemeral with manual acks
// in an async callback, an ordered consumer reading 1000 messages in order,
// and a push consumer with idle heartbeats and flow control (as libnats sets
// them for ordered consumers) observed on the wire.
#include <iostream>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/jetstream/js_fixture.h"
#include "tests/support/process.h"

namespace meridian::testing::jetstream {
namespace {

using PushConsumerTest = JetStreamTest;

jsErrCode NoErr() { return static_cast<jsErrCode>(0); }

// Messages of an async JetStream subscription: stream seq, consumer seq,
// delivery count and payload of each, in arrival order. Acks each message
// when `ack` is set (manual ack mode).
struct Received {
  std::mutex mu;
  struct Item {
    Meta meta;
    std::string data;
  };
  std::vector<Item> items;
  bool ack = true;
  int ack_errors = 0;

  size_t size() {
    std::lock_guard<std::mutex> lock(mu);
    return items.size();
  }
  std::vector<Item> Snapshot() {
    std::lock_guard<std::mutex> lock(mu);
    return items;
  }
};

void OnMsg(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* r = static_cast<Received*>(closure);
  Meta md = MetaOf(msg);
  std::string data = Data(msg);
  bool failed = r->ack && natsMsg_Ack(msg, nullptr) != NATS_OK;
  natsMsg_Destroy(msg);
  std::lock_guard<std::mutex> lock(r->mu);
  r->items.push_back({md, data});
  if (failed) ++r->ack_errors;
}

TEST_P(PushConsumerTest, DurableManualAck) {
  std::string name = Unique("S"), tok = Token();
  ASSERT_NE(AddStream(name, {tok + ".>"}), nullptr);
  std::string subj = tok + ".x";
  for (int i = 1; i <= 50; ++i) ASSERT_EQ(Publish(subj, absl::StrCat(i)), uint64_t(i));

  Received r;
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Config.Durable = "pd";
  so.Config.AckPolicy = js_AckExplicit;
  so.ManualAck = true;
  natsSubscription* raw = nullptr;
  jsErrCode jerr = NoErr();
  ASSERT_EQ(js_Subscribe(&raw, js(), subj.c_str(), &OnMsg, &r, nullptr, &so, &jerr), NATS_OK)
      << jerr << " " << LastError();
  SubPtr sub(raw);
  for (int i = 51; i <= 100; ++i) ASSERT_EQ(Publish(subj, absl::StrCat(i)), uint64_t(i));
  ASSERT_TRUE(PollUntil([&] { return r.size() >= 100; }, absl::Seconds(10))) << r.size();

  std::vector<Received::Item> items = r.Snapshot();
  ASSERT_EQ(items.size(), 100u);
  for (size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(items[i].meta.stream_seq, i + 1);
    EXPECT_EQ(items[i].meta.consumer_seq, i + 1);
    EXPECT_EQ(items[i].meta.delivered, 1u);
    EXPECT_EQ(items[i].meta.consumer, "pd");
    EXPECT_EQ(items[i].data, absl::StrCat(i + 1));
  }
  EXPECT_EQ(r.ack_errors, 0);
  EXPECT_EQ(WaitCounts(name, "pd", Counts(100, 100, 100, 100, 0, 0, 0)),
            Counts(100, 100, 100, 100, 0, 0, 0));
  ConsumerInfoPtr ci = ConsumerInfo(name, "pd");
  ASSERT_NE(ci, nullptr);
  EXPECT_TRUE(ci->PushBound);
  EXPECT_EQ(Str(ci->Config->Durable), "pd");
  EXPECT_FALSE(Str(ci->Config->DeliverSubject).empty());

  // The library created the consumer: unsubscribing deletes it.
  ASSERT_EQ(natsSubscription_Unsubscribe(sub.get()), NATS_OK);
  jsConsumerInfo* gone = nullptr;
  jerr = NoErr();
  EXPECT_EQ(js_GetConsumerInfo(&gone, js(), name.c_str(), "pd", nullptr, &jerr), NATS_NOT_FOUND);
  EXPECT_EQ(jerr, JSConsumerNotFoundErr);
  EXPECT_TRUE(client().AsyncErrors().empty()) << client().AsyncErrors()[0];
}

TEST_P(PushConsumerTest, EphemeralManualAck) {
  std::string name = Unique("S"), tok = Token();
  ASSERT_NE(AddStream(name, {tok + ".>"}), nullptr);
  std::string subj = tok + ".y";
  ASSERT_EQ(Publish(tok + ".other", "not for us"), 1u);
  for (int i = 2; i <= 21; ++i) ASSERT_EQ(Publish(subj, absl::StrCat(i)), uint64_t(i));

  Received r;
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Config.AckPolicy = js_AckExplicit;
  so.ManualAck = true;
  natsSubscription* raw = nullptr;
  jsErrCode jerr = NoErr();
  ASSERT_EQ(js_Subscribe(&raw, js(), subj.c_str(), &OnMsg, &r, nullptr, &so, &jerr), NATS_OK)
      << jerr << " " << LastError();
  SubPtr sub(raw);
  for (int i = 22; i <= 41; ++i) ASSERT_EQ(Publish(subj, absl::StrCat(i)), uint64_t(i));
  ASSERT_TRUE(PollUntil([&] { return r.size() >= 40; }, absl::Seconds(10))) << r.size();

  std::vector<Received::Item> items = r.Snapshot();
  ASSERT_EQ(items.size(), 40u);
  std::string consumer = items[0].meta.consumer;
  EXPECT_FALSE(consumer.empty());
  for (size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(items[i].meta.stream_seq, i + 2);
    EXPECT_EQ(items[i].meta.consumer_seq, i + 1);
    EXPECT_EQ(items[i].meta.consumer, consumer);
  }
  jsConsumerInfo* ci_raw = nullptr;
  ASSERT_EQ(natsSubscription_GetConsumerInfo(&ci_raw, sub.get(), nullptr, &jerr), NATS_OK);
  ConsumerInfoPtr ci(ci_raw);
  EXPECT_EQ(Str(ci->Name), consumer);
  EXPECT_EQ(ci->Config->Durable, nullptr);
  EXPECT_EQ(Str(ci->Config->FilterSubject), subj);
  EXPECT_EQ(WaitCounts(name, consumer, Counts(40, 41, 40, 41, 0, 0, 0)),
            Counts(40, 41, 40, 41, 0, 0, 0));

  ASSERT_EQ(natsSubscription_Unsubscribe(sub.get()), NATS_OK);
  jsConsumerInfo* gone = nullptr;
  jerr = NoErr();
  EXPECT_EQ(js_GetConsumerInfo(&gone, js(), name.c_str(), consumer.c_str(), nullptr, &jerr),
            NATS_NOT_FOUND);
  EXPECT_EQ(jerr, JSConsumerNotFoundErr);
}

// More than meridian-jetstream delivers for one consumer in one turn, with
// no acks (nothing else that would bring the consumer back): all arrive.
TEST_P(PushConsumerTest, AckNoneDeliversABacklogOfManyTurns) {
  std::string name = Unique("S"), tok = Token();
  ASSERT_NE(AddStream(name, {tok + ".>"}), nullptr);
  constexpr int kCount = 10000;
  std::string subj = tok + ".n";
  ASSERT_NO_FATAL_FAILURE(PublishAsyncN(
      kCount, [&](int) { return subj; }, [](int i) { return absl::StrCat(i); }));

  Received r;
  r.ack = false;
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Config.Durable = "none";
  so.Config.AckPolicy = js_AckNone;
  natsSubscription* raw = nullptr;
  jsErrCode jerr = NoErr();
  ASSERT_EQ(js_Subscribe(&raw, js(), subj.c_str(), &OnMsg, &r, nullptr, &so, &jerr), NATS_OK)
      << jerr << " " << LastError();
  SubPtr sub(raw);
  ASSERT_TRUE(PollUntil([&] { return r.size() >= kCount; }, absl::Seconds(20))) << r.size();
  std::vector<Received::Item> items = r.Snapshot();
  ASSERT_EQ(items.size(), size_t{kCount});
  for (size_t i = 0; i < items.size(); ++i) ASSERT_EQ(items[i].meta.stream_seq, i + 1);
}

TEST_P(PushConsumerTest, OrderedConsumerThousandInOrder) {
  std::string name = Unique("S"), tok = Token();
  ASSERT_NE(AddStream(name, {tok + ".>"}), nullptr);
  std::string pad(2048, 'o');  // 2 MiB in all: enough for flow control to engage
  ASSERT_NO_FATAL_FAILURE(PublishAsyncN(
      1000, [&](int i) { return absl::StrCat(tok, ".", i % 3); },
      [&](int i) { return absl::StrCat(i + 1, ":", pad); }));

  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Ordered = true;
  natsSubscription* raw = nullptr;
  jsErrCode jerr = NoErr();
  std::string all = tok + ".>";
  ASSERT_EQ(js_SubscribeSync(&raw, js(), all.c_str(), nullptr, &so, &jerr), NATS_OK)
      << jerr << " " << LastError();
  SubPtr sub(raw);
  std::string consumer;
  for (uint64_t seq = 1; seq <= 1000; ++seq) {
    natsMsg* m = nullptr;
    natsStatus s = natsSubscription_NextMsg(&m, sub.get(), 5000);
    ASSERT_EQ(s, NATS_OK) << "waiting for seq " << seq << ": " << natsStatus_GetText(s);
    MsgPtr owned(m);
    Meta md = MetaOf(m);
    if (seq == 1) consumer = md.consumer;
    ASSERT_EQ(md.stream_seq, seq);
    // One consumer from start to end: no gap made the library recreate it.
    EXPECT_EQ(md.consumer_seq, seq);
    EXPECT_EQ(md.consumer, consumer);
    EXPECT_EQ(md.delivered, 1u);
    EXPECT_EQ(md.pending, 1000 - seq);
    EXPECT_EQ(Data(m), absl::StrCat(seq, ":", pad));
    EXPECT_EQ(Str(natsMsg_GetSubject(m)), absl::StrCat(tok, ".", (seq - 1) % 3));
  }
  ConsumerInfoPtr ci = ConsumerInfo(name, consumer);
  ASSERT_NE(ci, nullptr);
  EXPECT_TRUE(ci->Config->FlowControl);
  EXPECT_EQ(ci->Config->Heartbeat, int64_t{5} * 1000 * 1000 * 1000);
  EXPECT_EQ(ci->Config->AckPolicy, js_AckNone);
  EXPECT_EQ(ci->Config->MaxDeliver, 1);
  EXPECT_TRUE(ci->Config->MemoryStorage);
  EXPECT_EQ(ci->Delivered.Stream, 1000u);
  EXPECT_EQ(ci->NumPending, 0u);
  // Later messages keep coming in order.
  ASSERT_EQ(Publish(tok + ".0", "1001"), 1001u);
  natsMsg* m = nullptr;
  ASSERT_EQ(natsSubscription_NextMsg(&m, sub.get(), 5000), NATS_OK);
  MsgPtr owned(m);
  EXPECT_EQ(MetaOf(m).stream_seq, 1001u);
  EXPECT_TRUE(client().AsyncErrors().empty()) << client().AsyncErrors()[0];
}

// A plain subscription on the consumer's deliver subject sees what the server
// sends there besides messages: heartbeats and flow control requests.
struct WireSpy {
  std::mutex mu;
  int heartbeats = 0;
  int flow_control = 0;
  int messages = 0;
  std::string last_heartbeat_consumer, last_heartbeat_stream;
};

void OnWire(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* spy = static_cast<WireSpy*>(closure);
  const char* status = nullptr;
  const char* desc = nullptr;
  natsMsgHeader_Get(msg, "Status", &status);
  natsMsgHeader_Get(msg, "Description", &desc);
  std::lock_guard<std::mutex> lock(spy->mu);
  if (Str(status) == "100" && Str(desc) == "Idle Heartbeat") {
    ++spy->heartbeats;
    const char* c = nullptr;
    const char* s = nullptr;
    natsMsgHeader_Get(msg, "Nats-Last-Consumer", &c);
    natsMsgHeader_Get(msg, "Nats-Last-Stream", &s);
    spy->last_heartbeat_consumer = Str(c);
    spy->last_heartbeat_stream = Str(s);
  } else if (Str(status) == "100" && Str(desc) == "FlowControl Request") {
    ++spy->flow_control;
  } else if (status == nullptr) {
    ++spy->messages;
  }
  natsMsg_Destroy(msg);
}

TEST_P(PushConsumerTest, HeartbeatsAndFlowControl) {
  std::string name = Unique("S"), tok = Token();
  ASSERT_NE(AddStream(name, {tok + ".>"}), nullptr);
  std::string deliver = "deliver." + tok;
  jsConsumerConfig cc;
  jsConsumerConfig_Init(&cc);
  cc.Durable = "hb";
  cc.DeliverSubject = deliver.c_str();
  cc.AckPolicy = js_AckNone;
  cc.MaxDeliver = 1;
  cc.FlowControl = true;
  cc.Heartbeat = int64_t{250} * 1000 * 1000;  // 250 ms
  jsConsumerInfo* ci_raw = nullptr;
  jsErrCode jerr = NoErr();
  ASSERT_EQ(js_AddConsumer(&ci_raw, js(), name.c_str(), &cc, nullptr, &jerr), NATS_OK)
      << jerr << " " << LastError();
  ConsumerInfoPtr ci(ci_raw);
  EXPECT_TRUE(ci->Config->FlowControl);
  EXPECT_EQ(ci->Config->Heartbeat, int64_t{250} * 1000 * 1000);

  Received r;
  r.ack = false;
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = name.c_str();
  so.Consumer = "hb";
  natsSubscription* raw = nullptr;
  ASSERT_EQ(js_Subscribe(&raw, js(), nullptr, &OnMsg, &r, nullptr, &so, &jerr), NATS_OK)
      << jerr << " " << LastError();
  SubPtr sub(raw);
  // Only now: interest on the deliver subject before the bind would make the
  // consumer look bound already (push_bound) and libnats refuse to bind.
  WireSpy spy;
  natsSubscription* spy_raw = nullptr;
  ASSERT_EQ(natsConnection_Subscribe(&spy_raw, nc(), deliver.c_str(), &OnWire, &spy), NATS_OK);
  SubPtr spy_sub(spy_raw);

  // Idle: heartbeats come, carrying the last sequences (0 before anything).
  ASSERT_TRUE(PollUntil(
      [&] {
        std::lock_guard<std::mutex> lock(spy.mu);
        return spy.heartbeats >= 2;
      },
      absl::Seconds(5)))
      << "no idle heartbeats on " << deliver;
  {
    std::lock_guard<std::mutex> lock(spy.mu);
    EXPECT_EQ(spy.last_heartbeat_consumer, "0");
    EXPECT_EQ(spy.last_heartbeat_stream, "0");
  }

  std::string pad(2048, 'f');
  ASSERT_NO_FATAL_FAILURE(PublishAsyncN(
      1000, [&](int) { return tok + ".z"; }, [&](int i) { return absl::StrCat(i + 1, pad); }));
  ASSERT_TRUE(PollUntil([&] { return r.size() >= 1000; }, absl::Seconds(20)))
      << r.size() << " of 1000";
  std::vector<Received::Item> items = r.Snapshot();
  ASSERT_EQ(items.size(), 1000u);
  for (size_t i = 0; i < items.size(); ++i) {
    ASSERT_EQ(items[i].meta.stream_seq, i + 1);
    EXPECT_EQ(items[i].meta.consumer_seq, i + 1);
  }

  // Idle again: the next heartbeat reports the last delivered sequences.
  ASSERT_TRUE(PollUntil(
      [&] {
        std::lock_guard<std::mutex> lock(spy.mu);
        return spy.last_heartbeat_stream == "1000";
      },
      absl::Seconds(5)))
      << "last heartbeat stream seq " << spy.last_heartbeat_stream;
  {
    std::lock_guard<std::mutex> lock(spy.mu);
    EXPECT_EQ(spy.last_heartbeat_consumer, "1000");
    EXPECT_EQ(spy.messages, 1000);
    std::cout << "[ INFO     ] " << BackendName(backend()) << ": " << spy.heartbeats
              << " heartbeats, " << spy.flow_control << " flow control requests" << std::endl;
  }
  EXPECT_EQ(WaitCounts(name, "hb", Counts(1000, 1000, 1000, 1000, 0, 0, 0)),
            Counts(1000, 1000, 1000, 1000, 0, 0, 0));
  // No missed heartbeats, no slow consumer.
  EXPECT_TRUE(client().AsyncErrors().empty()) << client().AsyncErrors()[0];
  // Heartbeats keep coming: no callback may run once `spy` and `r` are gone.
  for (natsSubscription* s : {spy_sub.get(), sub.get()}) {
    EXPECT_EQ(natsSubscription_Drain(s), NATS_OK);
    EXPECT_EQ(natsSubscription_WaitForDrainCompletion(s, 5000), NATS_OK);
  }
}

MERIDIAN_JS_INSTANTIATE(PushConsumerTest);

}  // namespace
}  // namespace meridian::testing::jetstream
