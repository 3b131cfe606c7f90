// Clients on different URLs (frontends, launchers, nats-server nodes) talk as
// if on one server: plain and wildcard subjects, headers, per-publisher order,
// queue groups (exactly once, local members preferred), request/reply,
// no-responders, echo=false, auto-unsubscribe.
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/cluster/cluster_fixture.h"

namespace meridian::testing {
namespace {

class CrossFrontendTest : public ClusterTest {
 protected:
  // Every message the helpers of all URLs publish to `subject` after
  // everything they sent before has reached `sub` (a subscription of that
  // subject): messages of earlier rounds are all read once this returns.
  bool SyncFromAll(natsConnection* nc, absl::Duration timeout = absl::Seconds(10)) {
    std::string subject = UniqueSubject("_sync");
    natsStatus st;
    NatsSubPtr sub = SubscribeSync(nc, subject, &st);
    if (st != NATS_OK || !Propagated({nc})) return false;
    for (int j = 0; j < urls(); ++j) {
      natsConnection_PublishString(prober().helper(j), subject.c_str(), "s");
      natsConnection_Flush(prober().helper(j));
    }
    for (int j = 0; j < urls(); ++j) {
      if (!NextMsg(sub.get(), absl::ToInt64Milliseconds(timeout))) return false;
    }
    return true;
  }
};

TEST_P(CrossFrontendTest, PlainSubjectBetweenEveryPairOfUrls) {
  std::vector<NatsConnPtr> conns;
  for (int i = 0; i < urls(); ++i) conns.push_back(Connect(i));
  for (int to = 0; to < urls(); ++to) {
    natsStatus st;
    std::string subject = UniqueSubject("plain");
    NatsSubPtr sub = SubscribeSync(conns[to].get(), subject, &st);
    ASSERT_EQ(st, NATS_OK);
    ASSERT_TRUE(Propagated({conns[to].get()}));
    for (int from = 0; from < urls(); ++from) {
      std::string body = absl::StrCat(from, "->", to);
      ASSERT_EQ(natsConnection_PublishString(conns[from].get(), subject.c_str(), body.c_str()),
                NATS_OK);
      NatsMsgPtr m = NextMsg(sub.get(), 5000, &st);
      ASSERT_NE(m, nullptr) << body << ": " << natsStatus_GetText(st);
      EXPECT_EQ(Data(m.get()), body);
      EXPECT_EQ(natsMsg_GetSubject(m.get()), subject);
    }
  }
}

TEST_P(CrossFrontendTest, WildcardsMatchAcrossUrls) {
  NatsConnPtr pub = Connect(0), sub_conn = Connect(urls() - 1);
  natsStatus st;
  std::string root = UniqueSubject("wild");
  NatsSubPtr star = SubscribeSync(sub_conn.get(), root + ".*.c", &st);
  NatsSubPtr tail = SubscribeSync(sub_conn.get(), root + ".>", &st);
  NatsSubPtr end = SubscribeSync(sub_conn.get(), root + ".end", &st);
  ASSERT_TRUE(Propagated({sub_conn.get()}));
  for (const char* s : {".b.c", ".b.c.d", ".c", ".x.c", ".b.d", ".end"}) {
    ASSERT_EQ(natsConnection_PublishString(pub.get(), (root + s).c_str(), s), NATS_OK);
  }
  ASSERT_EQ(natsConnection_Flush(pub.get()), NATS_OK);
  ASSERT_NE(NextMsg(end.get(), 5000), nullptr);  // per-publisher order: all others are read
  auto drain = [](natsSubscription* sub) {
    std::vector<std::string> got;
    while (Pending(sub) > 0) got.push_back(Data(NextMsg(sub, 1000).get()));
    return got;
  };
  EXPECT_EQ(drain(star.get()), (std::vector<std::string>{".b.c", ".x.c"}));
  EXPECT_EQ(drain(tail.get()),
            (std::vector<std::string>{".b.c", ".b.c.d", ".c", ".x.c", ".b.d", ".end"}));
}

TEST_P(CrossFrontendTest, HeadersArriveIntact) {
  NatsConnPtr pub = Connect(0), sub_conn = Connect(1);
  natsStatus st;
  std::string subject = UniqueSubject("hdr");
  NatsSubPtr sub = SubscribeSync(sub_conn.get(), subject, &st);
  ASSERT_TRUE(Propagated({sub_conn.get()}));
  natsMsg* raw = nullptr;
  ASSERT_EQ(natsMsg_Create(&raw, subject.c_str(), "reply.to", "body", 4), NATS_OK);
  NatsMsgPtr msg(raw);
  ASSERT_EQ(natsMsgHeader_Set(raw, "X-Custom", "one"), NATS_OK);
  ASSERT_EQ(natsMsgHeader_Add(raw, "X-Custom", "two"), NATS_OK);
  ASSERT_EQ(natsMsgHeader_Set(raw, "MiXeD-CaSe", "Value With Spaces"), NATS_OK);
  ASSERT_EQ(natsConnection_PublishMsg(pub.get(), raw), NATS_OK);

  NatsMsgPtr got = NextMsg(sub.get(), 5000, &st);
  ASSERT_NE(got, nullptr) << natsStatus_GetText(st);
  EXPECT_EQ(Data(got.get()), "body");
  EXPECT_STREQ(natsMsg_GetReply(got.get()), "reply.to");
  const char** values = nullptr;
  int count = 0;
  ASSERT_EQ(natsMsgHeader_Values(got.get(), "X-Custom", &values, &count), NATS_OK);
  ASSERT_EQ(count, 2);
  EXPECT_STREQ(values[0], "one");
  EXPECT_STREQ(values[1], "two");
  free(values);
  const char* v = nullptr;
  ASSERT_EQ(natsMsgHeader_Get(got.get(), "MiXeD-CaSe", &v), NATS_OK);
  EXPECT_STREQ(v, "Value With Spaces");
}

TEST_P(CrossFrontendTest, TenThousandMessagesKeepPublisherOrder) {
  constexpr int kCount = 10000;
  NatsConnPtr pub = Connect(0);
  std::vector<NatsConnPtr> conns;
  std::vector<NatsSubPtr> subs;
  std::string subject = UniqueSubject("order");
  for (int i = 1; i < urls(); ++i) {
    conns.push_back(Connect(i));
    natsStatus st;
    subs.push_back(SubscribeSync(conns.back().get(), subject, &st));
    ASSERT_EQ(natsSubscription_SetPendingLimits(subs.back().get(), -1, -1), NATS_OK);
    ASSERT_TRUE(Propagated({conns.back().get()}));
  }
  for (int i = 0; i < kCount; ++i) {
    std::string body = absl::StrCat(i);
    ASSERT_EQ(natsConnection_PublishString(pub.get(), subject.c_str(), body.c_str()), NATS_OK);
  }
  ASSERT_EQ(natsConnection_Flush(pub.get()), NATS_OK);
  for (size_t s = 0; s < subs.size(); ++s) {
    for (int i = 0; i < kCount; ++i) {
      natsStatus st;
      NatsMsgPtr m = NextMsg(subs[s].get(), 10000, &st);
      ASSERT_NE(m, nullptr) << "URL #" << s + 1 << " message " << i << ": "
                            << natsStatus_GetText(st);
      ASSERT_EQ(Data(m.get()), absl::StrCat(i)) << "URL #" << s + 1;
    }
  }
}

// Queue members only on URLs other than the publisher's: each message is
// delivered exactly once cluster-wide.
TEST_P(CrossFrontendTest, RemoteQueueGroupGetsEachMessageOnce) {
  constexpr int kCount = 600;
  NatsConnPtr pub = Connect(0);
  std::string subject = UniqueSubject("q.remote");
  std::vector<NatsConnPtr> conns;
  std::vector<NatsSubPtr> members;
  for (int i = 1; i < urls(); ++i) {
    for (int k = 0; k < 2; ++k) {
      conns.push_back(Connect(i));
      natsStatus st;
      members.push_back(SubscribeSync(conns.back().get(), subject, &st, "workers"));
      ASSERT_EQ(st, NATS_OK);
      ASSERT_TRUE(Propagated({conns.back().get()}));
    }
  }
  for (int i = 0; i < kCount; ++i) {
    std::string body = absl::StrCat(i);
    ASSERT_EQ(natsConnection_PublishString(pub.get(), subject.c_str(), body.c_str()), NATS_OK);
  }
  ASSERT_EQ(natsConnection_Flush(pub.get()), NATS_OK);
  for (NatsConnPtr& c : conns) ASSERT_TRUE(SyncFromAll(c.get()));
  std::multiset<std::string> got;
  for (NatsSubPtr& m : members) {
    while (Pending(m.get()) > 0) got.insert(Data(NextMsg(m.get(), 1000).get()));
  }
  ASSERT_EQ(got.size(), static_cast<size_t>(kCount));
  for (int i = 0; i < kCount; ++i) EXPECT_EQ(got.count(absl::StrCat(i)), 1u) << i;
}

// Members on every URL: each message is delivered once. Meridian delivers it
// to a member on the publisher's own URL when there is one (local first, as
// nats-server does across gateways). The reference cluster does not: between
// routed nodes, 2.9.10 picks among all members of the cluster (measured:
// about half of the messages go to members on other nodes), so there the
// test only checks that other nodes' members do get some.
TEST_P(CrossFrontendTest, QueueGroupWithMembersOnEveryUrl) {
  constexpr int kPerPublisher = 200;
  std::string subject = UniqueSubject("q.local");
  std::vector<NatsConnPtr> conns;
  std::vector<NatsSubPtr> members;
  std::vector<int> member_url;
  for (int i = 0; i < urls(); ++i) {
    for (int k = 0; k < 2; ++k) {
      conns.push_back(Connect(i));
      natsStatus st;
      members.push_back(SubscribeSync(conns.back().get(), subject, &st, "workers"));
      member_url.push_back(i);
      ASSERT_TRUE(Propagated({conns.back().get()}));
    }
  }
  std::vector<NatsConnPtr> pubs;
  for (int from = 0; from < urls(); ++from) {
    pubs.push_back(Connect(from));
    for (int i = 0; i < kPerPublisher; ++i) {
      std::string body = absl::StrCat(from, ":", i);
      ASSERT_EQ(natsConnection_PublishString(pubs.back().get(), subject.c_str(), body.c_str()),
                NATS_OK);
    }
    ASSERT_EQ(natsConnection_Flush(pubs.back().get()), NATS_OK);
  }
  for (NatsConnPtr& c : conns) ASSERT_TRUE(SyncFromAll(c.get()));
  std::map<std::string, int> count;
  int remote = 0;
  for (size_t m = 0; m < members.size(); ++m) {
    while (Pending(members[m].get()) > 0) {
      std::string body = Data(NextMsg(members[m].get(), 1000).get());
      ++count[body];
      int from = -1;
      ASSERT_TRUE(absl::SimpleAtoi(body.substr(0, body.find(':')), &from));
      if (member_url[m] != from) ++remote;
    }
  }
  EXPECT_EQ(count.size(), static_cast<size_t>(kPerPublisher * urls()));
  for (auto& [body, n] : count) EXPECT_EQ(n, 1) << body;
  if (IsMeridian(backend())) {
    EXPECT_EQ(remote, 0) << "messages went to members on another URL than the publisher's";
  } else {
    EXPECT_GT(remote, 0) << "nats-server 2.9.10 was expected to spread over the cluster";
  }
}

// Two groups with the same queue name on different subjects are different
// groups: a message matching both reaches one member of each. (Across routes
// nats-server 2.9.10 names only the queue in RMSG and delivers each message to
// just one of the two groups: measured, so that is what the reference run
// checks. A single nats-server gets it right, and so must Meridian.)
// One nats-server groups queue subscribers by name across subjects: a message
// matching both subscriptions goes to one of them.
TEST_P(CrossFrontendTest, SameQueueNameOnTwoSubjectsIsOneGroup) {
  constexpr int kCount = 200;
  std::string root = UniqueSubject("qname");
  NatsConnPtr pub = Connect(0), one = Connect(1 % urls()), two = Connect(urls() - 1);
  natsStatus st;
  NatsSubPtr exact = SubscribeSync(one.get(), root + ".a", &st, "workers");
  NatsSubPtr wild = SubscribeSync(two.get(), root + ".*", &st, "workers");
  ASSERT_TRUE(Propagated({one.get(), two.get()}));
  for (int i = 0; i < kCount; ++i) {
    ASSERT_EQ(natsConnection_PublishString(pub.get(), (root + ".a").c_str(), "m"), NATS_OK);
  }
  ASSERT_EQ(natsConnection_Flush(pub.get()), NATS_OK);
  ASSERT_TRUE(SyncFromAll(one.get()) && SyncFromAll(two.get()));
  EXPECT_EQ(Pending(exact.get()) + Pending(wild.get()), kCount);
}

void Respond(natsConnection* nc, natsSubscription*, natsMsg* msg, void*) {
  std::string body = "re:" + Data(msg);
  natsConnection_PublishString(nc, natsMsg_GetReply(msg), body.c_str());
  natsMsg_Destroy(msg);
}

TEST_P(CrossFrontendTest, RequestReplyAcrossUrls) {
  std::string subject = UniqueSubject("svc");
  NatsConnPtr responder = Connect(urls() - 1);
  natsSubscription* raw = nullptr;
  ASSERT_EQ(natsConnection_Subscribe(&raw, responder.get(), subject.c_str(), Respond, nullptr),
            NATS_OK);
  NatsSubPtr sub(raw);
  ASSERT_TRUE(Propagated({responder.get()}));
  for (int from = 0; from < urls(); ++from) {
    NatsConnPtr client = Connect(from);
    for (int i = 0; i < 20; ++i) {
      natsMsg* reply = nullptr;
      std::string body = absl::StrCat(from, ".", i);
      natsStatus st =
          natsConnection_RequestString(&reply, client.get(), subject.c_str(), body.c_str(), 5000);
      NatsMsgPtr r(reply);
      ASSERT_EQ(st, NATS_OK) << "from URL #" << from << ": " << natsStatus_GetText(st);
      EXPECT_EQ(Data(r.get()), "re:" + body);
    }
  }
}

TEST_P(CrossFrontendTest, NoRespondersWhenNobodyAnywhereSubscribes) {
  std::string subject = UniqueSubject("nobody");
  NatsConnPtr responder = Connect(urls() - 1);
  natsStatus st;
  NatsSubPtr sub = SubscribeSync(responder.get(), subject, &st);
  ASSERT_TRUE(Propagated({responder.get()}));
  ASSERT_EQ(natsSubscription_Unsubscribe(sub.get()), NATS_OK);
  ASSERT_TRUE(Propagated({responder.get()}));
  for (int from = 0; from < urls(); ++from) {
    NatsConnPtr client = Connect(from);
    absl::Time start = absl::Now();
    natsMsg* reply = nullptr;
    st = natsConnection_RequestString(&reply, client.get(), subject.c_str(), "hi", 10000);
    NatsMsgPtr r(reply);
    EXPECT_EQ(st, NATS_NO_RESPONDERS) << "from URL #" << from << ": " << natsStatus_GetText(st);
    EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  }
}

TEST_P(CrossFrontendTest, EchoFalseSkipsOnlyThePublisher) {
  std::string subject = UniqueSubject("echo");
  NatsConnPtr quiet = Connect(0, [](natsOptions* o) { natsOptions_SetNoEcho(o, true); });
  NatsConnPtr same_url = Connect(0), other_url = Connect(1);
  natsStatus st;
  NatsSubPtr own = SubscribeSync(quiet.get(), subject, &st);
  NatsSubPtr local = SubscribeSync(same_url.get(), subject, &st);
  NatsSubPtr remote = SubscribeSync(other_url.get(), subject, &st);
  ASSERT_TRUE(Propagated({quiet.get(), same_url.get(), other_url.get()}));
  ASSERT_EQ(natsConnection_PublishString(quiet.get(), subject.c_str(), "mine"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(quiet.get()), NATS_OK);
  for (natsSubscription* s : {local.get(), remote.get()}) {
    NatsMsgPtr m = NextMsg(s, 5000, &st);
    ASSERT_NE(m, nullptr) << natsStatus_GetText(st);
    EXPECT_EQ(Data(m.get()), "mine");
  }
  // An echo would have been sent before "mine" left for the other URL, so it
  // would be ahead of this message from there.
  ASSERT_EQ(natsConnection_PublishString(other_url.get(), subject.c_str(), "theirs"), NATS_OK);
  NatsMsgPtr m = NextMsg(own.get(), 5000, &st);
  ASSERT_NE(m, nullptr) << natsStatus_GetText(st);
  EXPECT_EQ(Data(m.get()), "theirs");
}

TEST_P(CrossFrontendTest, AutoUnsubscribeAfterFiveMessagesFromAnotherUrl) {
  std::string subject = UniqueSubject("max");
  NatsConnPtr pub = Connect(0), sub_conn = Connect(urls() - 1);
  natsStatus st;
  NatsSubPtr sub = SubscribeSync(sub_conn.get(), subject, &st);
  NatsSubPtr done = SubscribeSync(sub_conn.get(), subject + ".done", &st);
  ASSERT_EQ(natsSubscription_AutoUnsubscribe(sub.get(), 5), NATS_OK);
  ASSERT_TRUE(SyncFromAll(sub_conn.get()));  // propagated, and stale probes are read
  uint64_t before = InMsgs(sub_conn.get());
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(natsConnection_PublishString(pub.get(), subject.c_str(), "m"), NATS_OK);
  }
  ASSERT_EQ(natsConnection_PublishString(pub.get(), (subject + ".done").c_str(), "d"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(pub.get()), NATS_OK);
  ASSERT_NE(NextMsg(done.get(), 5000), nullptr);
  for (int i = 0; i < 5; ++i) ASSERT_NE(NextMsg(sub.get(), 1000), nullptr) << i;
  // libnats drops extra messages itself: count what the server sent.
  EXPECT_EQ(InMsgs(sub_conn.get()) - before, 6u) << "the server must stop after 5 (+ done)";
  // And the interest goes away everywhere: requests end up finding no responder.
  EXPECT_TRUE(AwaitNoResponders(pub.get(), subject, absl::Seconds(5)));
}

INSTANTIATE_TEST_SUITE_P(Backends, CrossFrontendTest,
AllBackends(), ClusterParamName);

}  // namespace
}  // namespace meridian::testing
