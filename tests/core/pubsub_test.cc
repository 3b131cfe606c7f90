// Core NATS with a real client (libnats): connect, publish/subscribe,
// wildcards, queue groups, request/reply, headers, unsubscribe, echo, drain,
// fan-out across the frontend's loops.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "tests/core/core_fixture.h"

namespace meridian::testing {
namespace {

class PubSubTest : public SharedServerTest {};

bool WaitPending(natsSubscription* sub, int n, absl::Duration timeout = absl::Seconds(10)) {
  return PollUntil([&] { return Pending(sub) >= n; }, timeout);
}

// A subscription used as a barrier: once a message published after the
// others reaches it, everything the server sent earlier on this connection
// has been read.
struct Sentinel {
  NatsSubPtr sub;
  std::string subject;
  int seen = 0;
  bool Wait() {
    NatsMsgPtr m = NextMsg(sub.get(), 10000);
    if (m) ++seen;
    return m != nullptr;
  }
};

Sentinel MakeSentinel(natsConnection* nc, const std::string& subject) {
  natsStatus st;
  Sentinel s{SubscribeSync(nc, subject, &st), subject};
  EXPECT_EQ(st, NATS_OK);
  return s;
}

TEST_P(PubSubTest, ConnectReportsServerIdAndMaxPayload) {
  NatsConnPtr nc = Conn();
  ASSERT_NE(nc, nullptr);
  char id[128] = {0};
  ASSERT_EQ(natsConnection_GetConnectedServerId(nc.get(), id, sizeof id), NATS_OK);
  EXPECT_EQ(id[0], 'N') << id;
  EXPECT_EQ(std::strlen(id), 56u) << id;  // an NKey public key
  EXPECT_EQ(natsConnection_GetMaxPayload(nc.get()), 1048576);
  EXPECT_EQ(natsConnection_Status(nc.get()), NATS_CONN_STATUS_CONNECTED);
}

TEST_P(PubSubTest, PayloadBytesArriveExactly) {
  NatsConnPtr pub = Conn(), sub_conn = Conn();
  ASSERT_TRUE(pub && sub_conn);
  natsStatus st;
  NatsSubPtr sub = SubscribeSync(sub_conn.get(), "bytes.exact", &st);
  ASSERT_EQ(st, NATS_OK);
  ASSERT_EQ(natsConnection_Flush(sub_conn.get()), NATS_OK);

  std::string binary;
  for (int round = 0; round < 4; ++round) {
    for (int b = 0; b < 256; ++b) binary.push_back(static_cast<char>(b));
  }
  binary += "\r\nPUB x 1\r\n\r\nMSG\r\n";  // protocol look-alikes inside a payload
  std::string big(1048576, '\0');
  std::mt19937 rng(42);
  for (char& c : big) c = static_cast<char>(rng());
  std::vector<std::string> payloads = {"", "x", binary, big, std::string(1048575, 'z'), ""};
  for (const std::string& p : payloads) {
    ASSERT_EQ(
        natsConnection_Publish(pub.get(), "bytes.exact", p.data(), static_cast<int>(p.size())),
        NATS_OK)
        << p.size();
  }
  ASSERT_EQ(natsConnection_Flush(pub.get()), NATS_OK);
  for (size_t i = 0; i < payloads.size(); ++i) {
    NatsMsgPtr m = NextMsg(sub.get(), 10000, &st);
    ASSERT_NE(m, nullptr) << "message " << i << ": " << natsStatus_GetText(st);
    EXPECT_STREQ(natsMsg_GetSubject(m.get()), "bytes.exact");
    ASSERT_EQ(natsMsg_GetDataLength(m.get()), static_cast<int>(payloads[i].size())) << i;
    EXPECT_TRUE(Data(m.get()) == payloads[i]) << "payload " << i << " differs";
  }
}

TEST_P(PubSubTest, TenThousandMessagesInOrder) {
  NatsConnPtr pub = Conn(), sub_conn = Conn();
  ASSERT_TRUE(pub && sub_conn);
  natsStatus st;
  NatsSubPtr sub = SubscribeSync(sub_conn.get(), "order.10k", &st);
  ASSERT_EQ(st, NATS_OK);
  ASSERT_EQ(natsConnection_Flush(sub_conn.get()), NATS_OK);
  constexpr int kCount = 10000;
  for (int i = 0; i < kCount; ++i) {
    std::string p = absl::StrCat(i);
    ASSERT_EQ(natsConnection_Publish(pub.get(), "order.10k", p.data(), static_cast<int>(p.size())),
              NATS_OK);
  }
  ASSERT_EQ(natsConnection_Flush(pub.get()), NATS_OK);
  for (int i = 0; i < kCount; ++i) {
    NatsMsgPtr m = NextMsg(sub.get(), 10000, &st);
    ASSERT_NE(m, nullptr) << "after " << i << " messages: " << natsStatus_GetText(st);
    ASSERT_EQ(Data(m.get()), absl::StrCat(i));
  }
  EXPECT_EQ(Pending(sub.get()), 0);
}

TEST_P(PubSubTest, WildcardsMatchExactlyTheirSubjects) {
  NatsConnPtr pub = Conn(), nc = Conn();
  ASSERT_TRUE(pub && nc);
  natsStatus st;
  struct Case {
    std::string filter;
    std::vector<std::string> want;
    NatsSubPtr sub;
  };
  std::vector<Case> cases;
  cases.push_back({"wc.*", {"wc.a", "wc.b"}, nullptr});
  cases.push_back({"wc.>", {"wc.a", "wc.b", "wc.a.b", "wc.a.b.c", "wc.x.c"}, nullptr});
  cases.push_back({"wc.*.c", {"wc.x.c"}, nullptr});
  cases.push_back({"wc.a.>", {"wc.a.b", "wc.a.b.c"}, nullptr});
  cases.push_back({"*.a", {"wc.a", "zz.a", "WC.a"}, nullptr});
  cases.push_back({"wc.a.b", {"wc.a.b"}, nullptr});
  cases.push_back(
      {">", {"wc", "wc.a", "wc.b", "wc.a.b", "wc.a.b.c", "wc.x.c", "zz.a", "WC.a"}, nullptr});
  for (Case& c : cases) {
    c.sub = SubscribeSync(nc.get(), c.filter, &st);
    ASSERT_EQ(st, NATS_OK) << c.filter;
  }
  ASSERT_EQ(natsConnection_Flush(nc.get()), NATS_OK);
  std::vector<std::string> published = {"wc",       "wc.a",   "wc.b", "wc.a.b",
                                        "wc.a.b.c", "wc.x.c", "zz.a", "WC.a"};
  for (const std::string& s : published) {
    ASSERT_EQ(natsConnection_PublishString(pub.get(), s.c_str(), s.c_str()), NATS_OK);
  }
  // The ">" subscription sees everything, in order: a barrier for the others.
  Case& all = cases.back();
  for (const std::string& s : published) {
    NatsMsgPtr m = NextMsg(all.sub.get(), 10000);
    ASSERT_NE(m, nullptr) << "'>' missed " << s;
    EXPECT_EQ(Data(m.get()), s);
  }
  // The last message's copies to the other subscriptions may come after its
  // copy to '>': wait for what each must get, then nothing more may be there.
  for (size_t i = 0; i + 1 < cases.size(); ++i) {
    WaitPending(cases[i].sub.get(), static_cast<int>(cases[i].want.size()), absl::Seconds(5));
    std::vector<std::string> got;
    while (NatsMsgPtr m = NextMsg(cases[i].sub.get(), 0)) got.push_back(Data(m.get()));
    EXPECT_EQ(got, cases[i].want) << "filter " << cases[i].filter;
  }
}

TEST_P(PubSubTest, QueueGroupDeliversEachMessageToOneMember) {
  NatsConnPtr pub = Conn(), plain_conn = Conn();
  ASSERT_TRUE(pub && plain_conn);
  natsStatus st;
  std::vector<NatsConnPtr> member_conns;
  std::vector<NatsSubPtr> members;
  std::vector<Sentinel> sentinels;
  for (int i = 0; i < 3; ++i) {
    member_conns.push_back(Conn());
    ASSERT_NE(member_conns.back(), nullptr);
    members.push_back(SubscribeSync(member_conns.back().get(), "q.work", &st, "workers"));
    ASSERT_EQ(st, NATS_OK);
    sentinels.push_back(MakeSentinel(member_conns.back().get(), "q.done"));
    ASSERT_EQ(natsConnection_Flush(member_conns.back().get()), NATS_OK);
  }
  NatsSubPtr plain = SubscribeSync(plain_conn.get(), "q.work", &st);
  ASSERT_EQ(st, NATS_OK);
  ASSERT_EQ(natsConnection_Flush(plain_conn.get()), NATS_OK);

  constexpr int kCount = 300;
  for (int i = 0; i < kCount; ++i) {
    ASSERT_EQ(natsConnection_PublishString(pub.get(), "q.work", absl::StrCat(i).c_str()), NATS_OK);
  }
  ASSERT_EQ(natsConnection_PublishString(pub.get(), "q.done", "done"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(pub.get()), NATS_OK);
  int total = 0;
  std::vector<bool> seen(kCount, false);
  for (size_t i = 0; i < members.size(); ++i) {
    ASSERT_TRUE(sentinels[i].Wait()) << "member " << i << " got no sentinel";
    int n = 0;
    while (NatsMsgPtr m = NextMsg(members[i].get(), 0)) {
      int v = -1;
      ASSERT_TRUE(absl::SimpleAtoi(Data(m.get()), &v));
      ASSERT_TRUE(v >= 0 && v < kCount);
      EXPECT_FALSE(seen[v]) << "message " << v << " delivered to two members";
      seen[v] = true;
      ++n;
    }
    EXPECT_GT(n, 0) << "member " << i << " got nothing from 300 messages";
    total += n;
  }
  EXPECT_EQ(total, kCount);
  ASSERT_TRUE(WaitPending(plain.get(), kCount));
  for (int i = 0; i < kCount; ++i) {
    NatsMsgPtr m = NextMsg(plain.get(), 1000);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(Data(m.get()), absl::StrCat(i));
  }
}

TEST_P(PubSubTest, TwoQueueGroupsEachGetEveryMessage) {
  NatsConnPtr pub = Conn();
  ASSERT_TRUE(pub);
  natsStatus st;
  struct Member {
    NatsConnPtr conn;
    NatsSubPtr sub;
    Sentinel sentinel;
  };
  std::vector<Member> members;
  for (const char* group : {"g1", "g1", "g2", "g2"}) {
    Member m;
    m.conn = Conn();
    ASSERT_NE(m.conn, nullptr);
    m.sub = SubscribeSync(m.conn.get(), "q2.work", &st, group);
    ASSERT_EQ(st, NATS_OK);
    m.sentinel = MakeSentinel(m.conn.get(), "q2.done");
    ASSERT_EQ(natsConnection_Flush(m.conn.get()), NATS_OK);
    members.push_back(std::move(m));
  }
  constexpr int kCount = 100;
  for (int i = 0; i < kCount; ++i) {
    ASSERT_EQ(natsConnection_PublishString(pub.get(), "q2.work", "m"), NATS_OK);
  }
  ASSERT_EQ(natsConnection_PublishString(pub.get(), "q2.done", "done"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(pub.get()), NATS_OK);
  int g1 = 0, g2 = 0;
  for (size_t i = 0; i < members.size(); ++i) {
    ASSERT_TRUE(members[i].sentinel.Wait());
    (i < 2 ? g1 : g2) += Pending(members[i].sub.get());
  }
  EXPECT_EQ(g1, kCount);
  EXPECT_EQ(g2, kCount);
}

void Responder(natsConnection* nc, natsSubscription*, natsMsg* msg, void*) {
  std::string reply = absl::StrCat("echo:", Data(msg));
  if (natsMsg_GetReply(msg) != nullptr)
    natsConnection_PublishString(nc, natsMsg_GetReply(msg), reply.c_str());
  natsMsg_Destroy(msg);
}

TEST_P(PubSubTest, RequestReply) {
  NatsConnPtr service = Conn(), client = Conn();
  ASSERT_TRUE(service && client);
  natsSubscription* s = nullptr;
  ASSERT_EQ(natsConnection_Subscribe(&s, service.get(), "svc.echo", Responder, nullptr), NATS_OK);
  NatsSubPtr sub(s);
  ASSERT_EQ(natsConnection_Flush(service.get()), NATS_OK);
  for (int i = 0; i < 20; ++i) {
    natsMsg* reply = nullptr;
    std::string body = absl::StrCat("hello", i);
    natsStatus st =
        natsConnection_RequestString(&reply, client.get(), "svc.echo", body.c_str(), 5000);
    ASSERT_EQ(st, NATS_OK) << natsStatus_GetText(st);
    NatsMsgPtr r(reply);
    EXPECT_EQ(Data(r.get()), "echo:" + body);
  }
}

TEST_P(PubSubTest, RequestWithoutRespondersFailsFast) {
  NatsConnPtr client = Conn();
  ASSERT_TRUE(client);
  absl::Time start = absl::Now();
  natsMsg* reply = nullptr;
  natsStatus st = natsConnection_RequestString(&reply, client.get(), "nobody.home", "hi", 10000);
  NatsMsgPtr r(reply);
  EXPECT_EQ(st, NATS_NO_RESPONDERS) << natsStatus_GetText(st);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  // The connection is fine afterwards.
  EXPECT_EQ(natsConnection_Flush(client.get()), NATS_OK);
}

TEST_P(PubSubTest, HeadersRoundTripWithCasePreserved) {
  NatsConnPtr pub = Conn(), sub_conn = Conn();
  ASSERT_TRUE(pub && sub_conn);
  natsStatus st;
  NatsSubPtr sub = SubscribeSync(sub_conn.get(), "hdr.test", &st);
  ASSERT_EQ(st, NATS_OK);
  ASSERT_EQ(natsConnection_Flush(sub_conn.get()), NATS_OK);

  natsMsg* raw = nullptr;
  ASSERT_EQ(natsMsg_Create(&raw, "hdr.test", nullptr, "body", 4), NATS_OK);
  NatsMsgPtr msg(raw);
  ASSERT_EQ(natsMsgHeader_Set(raw, "X-Custom", "one"), NATS_OK);
  ASSERT_EQ(natsMsgHeader_Add(raw, "X-Custom", "two"), NATS_OK);
  ASSERT_EQ(natsMsgHeader_Set(raw, "lower-case", "v1"), NATS_OK);
  ASSERT_EQ(natsMsgHeader_Set(raw, "MiXeD-CaSe", "Value With Spaces"), NATS_OK);
  ASSERT_EQ(natsConnection_PublishMsg(pub.get(), raw), NATS_OK);
  // A plain message after a header message on the same subscription.
  ASSERT_EQ(natsConnection_PublishString(pub.get(), "hdr.test", "plain"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(pub.get()), NATS_OK);

  NatsMsgPtr got = NextMsg(sub.get(), 10000, &st);
  ASSERT_NE(got, nullptr) << natsStatus_GetText(st);
  EXPECT_EQ(Data(got.get()), "body");
  const char* v = nullptr;
  ASSERT_EQ(natsMsgHeader_Get(got.get(), "X-Custom", &v), NATS_OK);
  EXPECT_STREQ(v, "one");
  const char** values = nullptr;
  int count = 0;
  ASSERT_EQ(natsMsgHeader_Values(got.get(), "X-Custom", &values, &count), NATS_OK);
  ASSERT_EQ(count, 2);
  EXPECT_STREQ(values[0], "one");
  EXPECT_STREQ(values[1], "two");
  free(values);
  ASSERT_EQ(natsMsgHeader_Get(got.get(), "lower-case", &v), NATS_OK);
  EXPECT_STREQ(v, "v1");
  ASSERT_EQ(natsMsgHeader_Get(got.get(), "MiXeD-CaSe", &v), NATS_OK);
  EXPECT_STREQ(v, "Value With Spaces");
  const char** keys = nullptr;
  ASSERT_EQ(natsMsgHeader_Keys(got.get(), &keys, &count), NATS_OK);
  std::vector<std::string> key_list(keys, keys + count);
  free(keys);
  std::sort(key_list.begin(), key_list.end());
  EXPECT_EQ(key_list, (std::vector<std::string>{"MiXeD-CaSe", "X-Custom", "lower-case"}));

  NatsMsgPtr plain = NextMsg(sub.get(), 10000);
  ASSERT_NE(plain, nullptr);
  EXPECT_EQ(Data(plain.get()), "plain");
  EXPECT_EQ(natsMsgHeader_Get(plain.get(), "X-Custom", &v), NATS_NOT_FOUND);
}

TEST_P(PubSubTest, AutoUnsubscribeDeliversExactlyMax) {
  NatsConnPtr pub = Conn(), nc = Conn();
  ASSERT_TRUE(pub && nc);
  natsStatus st;
  NatsSubPtr sub = SubscribeSync(nc.get(), "auto.unsub", &st);
  ASSERT_EQ(st, NATS_OK);
  ASSERT_EQ(natsSubscription_AutoUnsubscribe(sub.get(), 5), NATS_OK);
  Sentinel sentinel = MakeSentinel(nc.get(), "auto.done");
  ASSERT_EQ(natsConnection_Flush(nc.get()), NATS_OK);
  for (int i = 0; i < 12; ++i) {
    ASSERT_EQ(natsConnection_PublishString(pub.get(), "auto.unsub", absl::StrCat(i).c_str()),
              NATS_OK);
  }
  ASSERT_EQ(natsConnection_PublishString(pub.get(), "auto.done", "x"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(pub.get()), NATS_OK);
  ASSERT_TRUE(sentinel.Wait());
  // libnats also drops extras itself; its read counter shows what the server sent.
  EXPECT_EQ(InMsgs(nc.get()), 5u + 1u);
  for (int i = 0; i < 5; ++i) {
    NatsMsgPtr m = NextMsg(sub.get(), 1000);
    ASSERT_NE(m, nullptr) << i;
    EXPECT_EQ(Data(m.get()), absl::StrCat(i));
  }
}

TEST_P(PubSubTest, UnsubscribeStopsDelivery) {
  NatsConnPtr pub = Conn(), nc = Conn();
  ASSERT_TRUE(pub && nc);
  natsStatus st;
  NatsSubPtr sub = SubscribeSync(nc.get(), "unsub.me", &st);
  ASSERT_EQ(st, NATS_OK);
  Sentinel sentinel = MakeSentinel(nc.get(), "unsub.done");
  ASSERT_EQ(natsConnection_Flush(nc.get()), NATS_OK);
  ASSERT_EQ(natsConnection_PublishString(pub.get(), "unsub.me", "before"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(pub.get()), NATS_OK);
  NatsMsgPtr m = NextMsg(sub.get(), 10000);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(Data(m.get()), "before");
  ASSERT_EQ(natsSubscription_Unsubscribe(sub.get()), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(nc.get()), NATS_OK);
  uint64_t before = InMsgs(nc.get());
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(natsConnection_PublishString(pub.get(), "unsub.me", "after"), NATS_OK);
  }
  ASSERT_EQ(natsConnection_PublishString(pub.get(), "unsub.done", "x"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(pub.get()), NATS_OK);
  ASSERT_TRUE(sentinel.Wait());
  EXPECT_EQ(InMsgs(nc.get()) - before, 1u) << "messages arrived after UNSUB";
}

TEST_P(PubSubTest, NoEchoSkipsOwnMessagesOnly) {
  NatsOptionsPtr opts = TestOptions(url());
  ASSERT_EQ(natsOptions_SetNoEcho(opts.get(), true), NATS_OK);
  natsStatus st;
  NatsConnPtr quiet = NatsConnect(opts.get(), &st);
  ASSERT_EQ(st, NATS_OK) << natsStatus_GetText(st);
  NatsConnPtr other = Conn();
  ASSERT_TRUE(other);
  NatsSubPtr quiet_sub = SubscribeSync(quiet.get(), "echo.t", &st);
  ASSERT_EQ(st, NATS_OK);
  Sentinel sentinel = MakeSentinel(quiet.get(), "echo.done");
  NatsSubPtr other_sub = SubscribeSync(other.get(), "echo.t", &st);
  ASSERT_EQ(st, NATS_OK);
  ASSERT_EQ(natsConnection_Flush(quiet.get()), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(other.get()), NATS_OK);

  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(natsConnection_PublishString(quiet.get(), "echo.t", "mine"), NATS_OK);
  // Once the server answered this flush, an echo would already be queued.
  ASSERT_EQ(natsConnection_Flush(quiet.get()), NATS_OK);
  for (int i = 0; i < 2; ++i)
    ASSERT_EQ(natsConnection_PublishString(other.get(), "echo.t", "theirs"), NATS_OK);
  ASSERT_EQ(natsConnection_PublishString(other.get(), "echo.done", "x"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(other.get()), NATS_OK);
  ASSERT_TRUE(sentinel.Wait());
  std::vector<std::string> got;
  while (NatsMsgPtr m = NextMsg(quiet_sub.get(), 0)) got.push_back(Data(m.get()));
  EXPECT_EQ(got, (std::vector<std::string>{"theirs", "theirs"}));
  // The echoing connection gets its own messages as well as the others'.
  ASSERT_TRUE(WaitPending(other_sub.get(), 5));
  EXPECT_EQ(Pending(other_sub.get()), 5);
}

TEST_P(PubSubTest, FlushRoundTrips) {
  NatsConnPtr nc = Conn();
  ASSERT_TRUE(nc);
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(natsConnection_PublishString(nc.get(), "flush.t", "x"), NATS_OK);
    ASSERT_EQ(natsConnection_FlushTimeout(nc.get(), 5000), NATS_OK) << i;
  }
}

TEST_P(PubSubTest, OnePublishReachesFiftyConnections) {
  constexpr int kConns = 50;
  std::vector<NatsConnPtr> conns;
  std::vector<NatsSubPtr> subs;
  natsStatus st;
  for (int i = 0; i < kConns; ++i) {
    conns.push_back(Conn());
    ASSERT_NE(conns.back(), nullptr) << i;
    subs.push_back(SubscribeSync(conns.back().get(), i % 2 ? "fan.>" : "fan.out", &st));
    ASSERT_EQ(st, NATS_OK);
    ASSERT_EQ(natsConnection_Flush(conns.back().get()), NATS_OK);
  }
  NatsConnPtr pub = Conn();
  ASSERT_TRUE(pub);
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(natsConnection_PublishString(pub.get(), "fan.out", absl::StrCat(i).c_str()), NATS_OK);
  }
  ASSERT_EQ(natsConnection_Flush(pub.get()), NATS_OK);
  for (int c = 0; c < kConns; ++c) {
    for (int i = 0; i < 10; ++i) {
      NatsMsgPtr m = NextMsg(subs[c].get(), 10000, &st);
      ASSERT_NE(m, nullptr) << "connection " << c << " message " << i << ": "
                            << natsStatus_GetText(st);
      EXPECT_EQ(Data(m.get()), absl::StrCat(i)) << "connection " << c;
    }
  }
}

TEST_P(PubSubTest, InterleavedPublishersKeepTheirOrder) {
  constexpr int kPublishers = 4;
  constexpr int kEach = 2500;
  NatsConnPtr sub_conn = Conn();
  ASSERT_TRUE(sub_conn);
  natsStatus st;
  NatsSubPtr sub = SubscribeSync(sub_conn.get(), "inter.*", &st);
  ASSERT_EQ(st, NATS_OK);
  ASSERT_EQ(natsConnection_Flush(sub_conn.get()), NATS_OK);
  std::vector<NatsConnPtr> pubs;
  for (int p = 0; p < kPublishers; ++p) {
    pubs.push_back(Conn());
    ASSERT_NE(pubs.back(), nullptr);
  }
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < kPublishers; ++p) {
    threads.emplace_back([&, p] {
      std::string subject = absl::StrCat("inter.p", p);
      for (int i = 0; i < kEach; ++i) {
        std::string body = absl::StrCat(p, ":", i);
        if (natsConnection_PublishString(pubs[p].get(), subject.c_str(), body.c_str()) != NATS_OK) {
          failures++;
        }
      }
      if (natsConnection_Flush(pubs[p].get()) != NATS_OK) failures++;
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(failures.load(), 0);
  std::vector<int> next(kPublishers, 0);
  for (int n = 0; n < kPublishers * kEach; ++n) {
    NatsMsgPtr m = NextMsg(sub.get(), 10000, &st);
    ASSERT_NE(m, nullptr) << "after " << n << " messages: " << natsStatus_GetText(st);
    std::vector<std::string> parts = absl::StrSplit(Data(m.get()), ':');
    ASSERT_EQ(parts.size(), 2u);
    int p = 0, i = 0;
    ASSERT_TRUE(absl::SimpleAtoi(parts[0], &p) && absl::SimpleAtoi(parts[1], &i));
    ASSERT_TRUE(p >= 0 && p < kPublishers);
    ASSERT_EQ(i, next[p]) << "publisher " << p << " out of order";
    EXPECT_EQ(std::string(natsMsg_GetSubject(m.get())), absl::StrCat("inter.p", p));
    next[p]++;
  }
  for (int p = 0; p < kPublishers; ++p) EXPECT_EQ(next[p], kEach);
}

// Holds the first message in the callback until released, so the rest wait
// in the client's queue while the connection drains.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  std::atomic<int> handled{0};
};

void GatedHandler(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* gate = static_cast<Gate*>(closure);
  {
    std::unique_lock<std::mutex> lock(gate->mu);
    gate->cv.wait_for(lock, std::chrono::seconds(20), [&] { return gate->open; });
  }
  gate->handled++;
  natsMsg_Destroy(msg);
}

TEST_P(PubSubTest, DrainDeliversInFlightMessages) {
  NatsConnPtr pub = Conn(), nc = Conn();
  ASSERT_TRUE(pub && nc);
  Gate gate;
  natsSubscription* s = nullptr;
  ASSERT_EQ(natsConnection_Subscribe(&s, nc.get(), "drain.t", GatedHandler, &gate), NATS_OK);
  NatsSubPtr sub(s);
  ASSERT_EQ(natsConnection_Flush(nc.get()), NATS_OK);
  constexpr int kCount = 200;
  for (int i = 0; i < kCount; ++i) {
    ASSERT_EQ(natsConnection_PublishString(pub.get(), "drain.t", "m"), NATS_OK);
  }
  ASSERT_EQ(natsConnection_Flush(pub.get()), NATS_OK);
  // Everything has reached the client; one is in the callback, the rest queued.
  ASSERT_TRUE(PollUntil([&] { return InMsgs(nc.get()) == kCount; }, absl::Seconds(10)))
      << InMsgs(nc.get());
  ASSERT_EQ(natsConnection_Drain(nc.get()), NATS_OK);
  {
    std::lock_guard<std::mutex> lock(gate.mu);
    gate.open = true;
  }
  gate.cv.notify_all();
  ASSERT_TRUE(PollUntil([&] { return natsConnection_IsClosed(nc.get()); }, absl::Seconds(20)));
  EXPECT_EQ(gate.handled.load(), kCount);
  // Publishing after the subscriber drained reaches nobody and harms nothing.
  ASSERT_EQ(natsConnection_PublishString(pub.get(), "drain.t", "late"), NATS_OK);
  EXPECT_EQ(natsConnection_Flush(pub.get()), NATS_OK);
}

MERIDIAN_CORE_INSTANTIATE(PubSubTest);

}  // namespace
}  // namespace meridian::testing
