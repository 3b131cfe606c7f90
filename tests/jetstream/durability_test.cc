// Durability of the store (-sd) across a clean restart (SIGTERM) and across
// SIGKILL in the middle of a publish storm, on the same store dir and port.
//
// After kill -9 every acknowledged publish must be back with its sequence,
// subject and payload, on both backends. The durable consumer's ack floor
// must not go below what the server had confirmed (AckSync) only for
// Meridian: nats-server 2.9.10 writes consumer state asynchronously, so its
// floor may come back lower; that is logged, not failed.
#include <atomic>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/jetstream/js_fixture.h"
#include "tests/support/process.h"

namespace meridian::testing::jetstream {
namespace {

class DurabilityTest : public JetStreamTest {
 protected:
  bool UsesSharedServer() const override { return false; }

  // Restarts `srv` on its store and port and reconnects the test's client.
  bool RestartAndReconnect(JsServer* srv) {
    std::string error;
    if (!srv->Restart(&error)) {
      ADD_FAILURE() << "restart: " << error;
      return false;
    }
    if (!WaitJetStreamReady(srv->url(), absl::Seconds(30), &error)) {
      ADD_FAILURE() << "JetStream not back after restart: " << error << "\nlog:\n" << srv->Log();
      return false;
    }
    return Connect(srv->url());
  }

  ConsumerInfoPtr AddDurable(const std::string& stream, const std::string& durable) {
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = durable.c_str();
    cc.AckPolicy = js_AckExplicit;
    jsConsumerInfo* ci = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_AddConsumer(&ci, js(), stream.c_str(), &cc, nullptr, &jerr);
    EXPECT_EQ(s, NATS_OK) << jerr << " " << LastError();
    return ConsumerInfoPtr(s == NATS_OK ? ci : nullptr);
  }

  void Info(const std::string& text) {
    std::cout << "[ INFO     ] " << BackendName(backend()) << ": " << text << std::endl;
  }
};

TEST_P(DurabilityTest, CleanRestartKeepsMessagesAndConsumerState) {
  JsServer* srv = OwnServer();
  ASSERT_NE(srv, nullptr);
  ASSERT_TRUE(Connect(srv->url()));
  const std::string stream = "DUR";
  ASSERT_NE(AddStream(stream, {"dur.>"}), nullptr);
  ASSERT_NO_FATAL_FAILURE(PublishAsyncN(
      1000, [](int i) { return absl::StrCat("dur.", i % 4); },
      [](int i) { return absl::StrCat("d-", i + 1); }));
  ASSERT_NE(AddDurable(stream, "c1"), nullptr);
  {
    SubPtr sub = BindPull(stream, "c1");
    ASSERT_NE(sub, nullptr);
    uint64_t next = 1;
    while (next <= 400) {
      std::vector<MsgPtr> got = Fetch(sub.get(), 100, 5000);
      ASSERT_FALSE(got.empty()) << "fetch at " << next;
      for (MsgPtr& m : got) {
        ASSERT_EQ(MetaOf(m.get()).stream_seq, next);
        ASSERT_EQ(natsMsg_AckSync(m.get(), nullptr, nullptr), NATS_OK) << next;
        ++next;
      }
    }
  }
  const ConsumerCounts c1 = Counts(400, 400, 400, 400, 0, 0, 600);
  ASSERT_EQ(WaitCounts(stream, "c1", c1), c1);
  {
    kvConfig cfg;
    kvConfig_Init(&cfg);
    cfg.Bucket = "durkv";
    cfg.History = 3;
    kvStore* kv = nullptr;
    ASSERT_EQ(js_CreateKeyValue(&kv, js(), &cfg), NATS_OK) << LastError();
    KvPtr owned(kv);
    ASSERT_EQ(kvStore_PutString(nullptr, kv, "k", "v1"), NATS_OK);
    ASSERT_EQ(kvStore_PutString(nullptr, kv, "k", "v2"), NATS_OK);
  }
  StreamInfoPtr before = StreamInfo(stream);
  ASSERT_NE(before, nullptr);
  EXPECT_EQ(before->State.Msgs, 1000u);

  Disconnect();
  absl::Time t0 = absl::Now();
  int code = srv->Stop();
  Info(absl::StrCat("SIGTERM stop took ", absl::FormatDuration(absl::Now() - t0), ", exit code ",
                    code));
  if (meridian()) {
    EXPECT_EQ(code, 0) << srv->Log();
  }
  ASSERT_TRUE(RestartAndReconnect(srv));

  StreamInfoPtr after = StreamInfo(stream);
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(after->State.Msgs, 1000u);
  EXPECT_EQ(after->State.Bytes, before->State.Bytes);
  EXPECT_EQ(after->State.FirstSeq, 1u);
  EXPECT_EQ(after->State.LastSeq, 1000u);
  EXPECT_EQ(after->State.NumSubjects, 4);
  EXPECT_EQ(after->State.Consumers, 1);
  int bad = 0;
  for (uint64_t seq = 1; seq <= 1000; ++seq) {
    natsMsg* m = nullptr;
    natsStatus s = js_GetMsg(&m, js(), stream.c_str(), seq, nullptr, nullptr);
    MsgPtr owned(m);
    bool ok = s == NATS_OK && Data(m) == absl::StrCat("d-", seq) &&
              Str(natsMsg_GetSubject(m)) == absl::StrCat("dur.", (seq - 1) % 4);
    if (!ok && ++bad <= 5) {
      ADD_FAILURE() << "seq " << seq << ": " << natsStatus_GetText(s) << " "
                    << (m ? Data(m) : std::string());
    }
  }
  EXPECT_EQ(bad, 0);

  const ConsumerCounts restarted = CountsOf(ConsumerInfo(stream, "c1").get());
  if (!meridian() && restarted == Counts(0, 0, 0, 0, 0, 0, 1000)) {
    // nats-server 2.9.10 writes consumer state in the background; a stop
    // soon after the acks can lose them (seen once, under `ctest -j3`, its
    // exit code 1). Meridian's are committed before the acks are answered.
    Info("nats_server lost the consumer's acks across the stop");
    return;
  }
  EXPECT_EQ(restarted, c1);
  {
    SubPtr sub = BindPull(stream, "c1");
    ASSERT_NE(sub, nullptr);
    std::vector<MsgPtr> got = Fetch(sub.get(), 10, 5000);
    ASSERT_EQ(got.size(), 10u);
    for (size_t i = 0; i < got.size(); ++i) {
      Meta md = MetaOf(got[i].get());
      EXPECT_EQ(md.stream_seq, 401 + i);
      EXPECT_EQ(md.consumer_seq, 401 + i);
      EXPECT_EQ(md.delivered, 1u);
    }
  }
  {
    kvStore* kv = nullptr;
    ASSERT_EQ(js_KeyValue(&kv, js(), "durkv"), NATS_OK) << LastError();
    KvPtr owned(kv);
    kvEntry* e = nullptr;
    ASSERT_EQ(kvStore_Get(&e, kv, "k"), NATS_OK);
    EntryPtr entry(e);
    EXPECT_EQ(Str(kvEntry_ValueString(e)), "v2");
    EXPECT_EQ(kvEntry_Revision(e), 2u);
  }
  EXPECT_EQ(Publish("dur.0", "after"), 1001u);
}

// Acknowledged publishes of the storm (ack handler), keyed by seq.
struct StormAcks {
  std::mutex mu;
  std::map<uint64_t, std::pair<std::string, std::string>> acked;  // seq -> subject, payload
  int errors = 0;
  size_t size() {
    std::lock_guard<std::mutex> lock(mu);
    return acked.size();
  }
};

void OnStormAck(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr*, void* closure) {
  auto* acks = static_cast<StormAcks*>(closure);
  {
    std::lock_guard<std::mutex> lock(acks->mu);
    if (pa != nullptr) {
      acks->acked[pa->Sequence] = {Str(natsMsg_GetSubject(msg)), Data(msg)};
    } else {
      ++acks->errors;
    }
  }
  natsMsg_Destroy(msg);
}

TEST_P(DurabilityTest, KillNineMidPublishKeepsAcknowledgedMessages) {
  JsServer* srv = OwnServer();
  ASSERT_NE(srv, nullptr);
  ASSERT_TRUE(Connect(srv->url()));
  const std::string stream = "KILL";
  ASSERT_NE(AddStream(stream, {"kill.>"}), nullptr);
  for (int i = 1; i <= 50; ++i)
    ASSERT_EQ(Publish("kill.pre", absl::StrCat("pre-", i)), uint64_t(i));
  ASSERT_NE(AddDurable(stream, "kc"), nullptr);
  std::atomic<uint64_t> confirmed_floor{0};
  {
    SubPtr sub = BindPull(stream, "kc");
    ASSERT_NE(sub, nullptr);
    std::vector<MsgPtr> got = Fetch(sub.get(), 30, 5000);
    ASSERT_EQ(got.size(), 30u);
    for (MsgPtr& m : got) ASSERT_EQ(natsMsg_AckSync(m.get(), nullptr, nullptr), NATS_OK);
  }
  ASSERT_EQ(CountsOf(ConsumerInfo(stream, "kc").get()), Counts(30, 30, 30, 30, 0, 0, 20));
  confirmed_floor = 30;

  // The acker: fetches and acks (AckSync) in order on its own connection. With
  // everything before it acked (no redeliveries within the 30 s ack_wait), a
  // confirmed ack of seq N means the ack floor is N.
  std::atomic<bool> stop{false};
  std::atomic<int> redeliveries{0};
  Client acker_client(srv->url());
  ASSERT_TRUE(acker_client.ok());
  std::thread acker([&] {
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = stream.c_str();
    so.Consumer = "kc";
    natsSubscription* raw = nullptr;
    if (js_PullSubscribe(&raw, acker_client.js(), nullptr, nullptr, nullptr, &so, nullptr) !=
        NATS_OK) {
      return;
    }
    SubPtr sub(raw);
    while (!stop) {
      MsgList batch;
      natsStatus s = natsSubscription_Fetch(&batch.list, sub.get(), 20, 1000, nullptr);
      if (s != NATS_OK && s != NATS_TIMEOUT) return;  // the server is gone
      for (int i = 0; i < batch.size(); ++i) {
        Meta md = MetaOf(batch[i]);
        if (md.delivered != 1) ++redeliveries;
        if (natsMsg_AckSync(batch[i], nullptr, nullptr) != NATS_OK) return;
        if (md.stream_seq > confirmed_floor) confirmed_floor = md.stream_seq;
      }
    }
  });
  // Joins the acker on every way out of the test (the server is gone by then
  // or going, so its fetch or ack fails within a second).
  struct Joiner {
    std::atomic<bool>& stop;
    std::thread& t;
    ~Joiner() {
      stop = true;
      if (t.joinable()) t.join();
    }
  } joiner{stop, acker};

  // The storm: a publisher thread publishes asynchronously (up to 500 in
  // flight) without pause; once 2000 are acknowledged the server is killed
  // under it. Acks that reach the client before the connection drops count.
  constexpr size_t kKillAfter = 2000;
  StormAcks acks;
  std::atomic<int> sent{0};
  std::atomic<bool> killed{false};
  std::string publish_error;  // a failure before the kill
  auto pub = std::make_unique<Client>(srv->url());
  ASSERT_TRUE(pub->ok());
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.PublishAsync.AckHandler = &OnStormAck;
  jo.PublishAsync.AckHandlerClosure = &acks;
  jo.PublishAsync.MaxPending = 500;
  jsCtx* raw_ctx = nullptr;
  ASSERT_EQ(natsConnection_JetStream(&raw_ctx, pub->nc(), &jo), NATS_OK);
  JsPtr ctx(raw_ctx);
  std::thread publisher([&] {
    absl::Time deadline = absl::Now() + absl::Seconds(40);
    while (absl::Now() < deadline) {
      if (killed && natsConnection_Status(pub->nc()) == NATS_CONN_STATUS_CLOSED) return;
      int i = sent;
      std::string subj = absl::StrCat("kill.s.", i % 16), data = absl::StrCat("storm-", i);
      natsStatus s = js_PublishAsync(ctx.get(), subj.c_str(), data.data(),
                                     static_cast<int>(data.size()), nullptr);
      if (s == NATS_OK) {
        ++sent;
      } else if (s != NATS_TIMEOUT) {  // a stall past StallWait is retried
        if (!killed) publish_error = absl::StrCat(natsStatus_GetText(s), " ", LastError());
        return;
      }
    }
  });
  bool reached = PollUntil([&] { return acks.size() >= kKillAfter; }, absl::Seconds(30));
  size_t acked_at_kill = acks.size();
  int sent_at_kill = sent;
  killed = true;
  srv->Kill();
  stop = true;
  publisher.join();
  acker.join();
  ctx.reset();
  pub.reset();  // no ack handler runs after this
  ASSERT_EQ(publish_error, "");
  ASSERT_TRUE(reached) << "the storm did not get " << kKillAfter << " acks: " << acks.size();
  Disconnect();

  std::map<uint64_t, std::pair<std::string, std::string>> acked;
  {
    std::lock_guard<std::mutex> lock(acks.mu);
    acked = acks.acked;
  }
  const uint64_t max_acked = acked.rbegin()->first;
  Info(absl::StrCat("at the kill: sent ", sent_at_kill, ", acked ", acked_at_kill,
                    "; in the end: sent ", sent.load(), ", acked ", acked.size(), " (highest seq ",
                    max_acked, "), ack errors ", acks.errors, ", confirmed ack floor ",
                    confirmed_floor.load(), ", redeliveries seen ", redeliveries.load()));
  EXPECT_EQ(acks.errors, 0);
  EXPECT_EQ(redeliveries.load(), 0);

  ASSERT_TRUE(RestartAndReconnect(srv));
  StreamInfoPtr si = StreamInfo(stream);
  ASSERT_NE(si, nullptr);
  EXPECT_GE(si->State.LastSeq, max_acked) << "acknowledged sequences are missing at the end";
  int lost = 0, changed = 0;
  for (const auto& [seq, want] : acked) {
    natsMsg* m = nullptr;
    natsStatus s = js_GetMsg(&m, js(), stream.c_str(), seq, nullptr, nullptr);
    MsgPtr owned(m);
    if (s != NATS_OK) {
      if (++lost <= 5) ADD_FAILURE() << "acknowledged seq " << seq << " lost: " << LastError();
    } else if (Str(natsMsg_GetSubject(m)) != want.first || Data(m) != want.second) {
      if (++changed <= 5) {
        ADD_FAILURE() << "seq " << seq << " holds " << natsMsg_GetSubject(m) << " '" << Data(m)
                      << "', acknowledged as " << want.first << " '" << want.second << "'";
      }
    }
  }
  EXPECT_EQ(lost, 0);
  EXPECT_EQ(changed, 0);
  for (uint64_t seq = 1; seq <= 50; ++seq) {
    natsMsg* m = nullptr;
    ASSERT_EQ(js_GetMsg(&m, js(), stream.c_str(), seq, nullptr, nullptr), NATS_OK) << seq;
    MsgPtr owned(m);
    EXPECT_EQ(Data(m), absl::StrCat("pre-", seq));
  }
  // Sequences are never reused.
  uint64_t next = Publish("kill.after", "after restart");
  EXPECT_GT(next, max_acked);
  EXPECT_EQ(next, si->State.LastSeq + 1);

  ConsumerInfoPtr ci = ConsumerInfo(stream, "kc");
  ASSERT_NE(ci, nullptr);
  Info(absl::StrCat("after restart: messages ", si->State.Msgs, ", last_seq ", si->State.LastSeq,
                    ", consumer ", ::testing::PrintToString(CountsOf(ci.get()))));
  if (meridian()) {
    EXPECT_GE(ci->AckFloor.Stream, confirmed_floor.load()) << "the ack floor went backwards";
    EXPECT_GE(ci->Delivered.Stream, ci->AckFloor.Stream);
  } else if (ci->AckFloor.Stream < confirmed_floor.load()) {
    Info(absl::StrCat("REPORT-ONLY: ack floor ", ci->AckFloor.Stream, " < confirmed ",
                      confirmed_floor.load(), " (asynchronous consumer state)"));
  }
}

// Meridian's router dies (kill -9) while a consumer is half way: the launcher
// restarts it, the frontend and meridian-jetstream attach again by
// themselves, the client stays connected, and JetStream goes on with every
// message and the consumer's position.
TEST_P(DurabilityTest, RouterKilledComesBackWithStreamAndConsumer) {
  if (!meridian()) GTEST_SKIP() << "nats-server is one process: no router to kill";
  JsServer* srv = OwnServer();
  ASSERT_NE(srv, nullptr);
  ASSERT_TRUE(Connect(srv->url()));
  const std::string stream = "RR";
  ASSERT_NE(AddStream(stream, {"rr.>"}), nullptr);
  for (int i = 1; i <= 100; ++i) ASSERT_EQ(Publish("rr.before", absl::StrCat(i)), uint64_t(i));
  ASSERT_NE(AddDurable(stream, "rc"), nullptr);
  SubPtr sub = BindPull(stream, "rc");
  ASSERT_NE(sub, nullptr);
  std::vector<MsgPtr> first = Fetch(sub.get(), 40, 5000);
  ASSERT_EQ(first.size(), 40u);
  for (MsgPtr& m : first) ASSERT_EQ(natsMsg_AckSync(m.get(), nullptr, nullptr), NATS_OK);

  pid_t router = -1;
  for (pid_t pid : ProcessDescendants(srv->pid())) {
    if (ReadFile(absl::StrCat("/proc/", pid, "/comm")) == "meridian-router\n") router = pid;
  }
  ASSERT_GT(router, 0) << "no meridian-router under " << srv->pid();
  ExpectDaemonExit("meridian-router");
  ASSERT_EQ(::kill(router, SIGKILL), 0);

  // Publishes fail until the router is back and both have attached again.
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = 500;
  bool back = PollUntil(
      [&] {
        jsPubAck* pa = nullptr;
        natsStatus s = js_Publish(&pa, js(), "rr.after", "after", 5, &po, nullptr);
        if (s != NATS_OK) return false;
        const uint64_t seq = pa->Sequence;
        jsPubAck_Destroy(pa);
        return seq == 101;
      },
      absl::Seconds(30));
  ASSERT_TRUE(back) << "no PubAck 101 after the router restart\n" << srv->Log();

  StreamInfoPtr si = StreamInfo(stream);
  ASSERT_NE(si, nullptr);
  EXPECT_EQ(si->State.Msgs, 101u);
  // The consumer goes on from 41, with the message published after.
  std::vector<MsgPtr> rest;
  ASSERT_TRUE(PollUntil(
      [&] {
        for (MsgPtr& m : Fetch(sub.get(), 61 - static_cast<int>(rest.size()), 1000)) rest.push_back(std::move(m));
        return rest.size() >= 61;
      },
      absl::Seconds(30)))
      << rest.size();
  for (size_t i = 0; i < rest.size(); ++i) {
    EXPECT_EQ(MetaOf(rest[i].get()).stream_seq, 41 + i);
    ASSERT_EQ(natsMsg_AckSync(rest[i].get(), nullptr, nullptr), NATS_OK);
  }
  EXPECT_EQ(Data(rest.back().get()), "after");
  EXPECT_EQ(WaitCounts(stream, "rc", Counts(101, 101, 101, 101, 0, 0, 0)), Counts(101, 101, 101, 101, 0, 0, 0));
}

INSTANTIATE_TEST_SUITE_P(Servers, DurabilityTest,
                         ::testing::Values(Backend::kMeridian, Backend::kNatsServer), ParamName);

}  // namespace
}  // namespace meridian::testing::jetstream
