// Meridian only (skipped on the nats-server cluster): daemons killed with
// SIGKILL while clients are connected.
//   - a frontend dies: the interest of its clients disappears everywhere
//     within a second (requests from other frontends get no-responders);
//   - the router dies: the launcher restarts it, clients stay connected (no
//     libnats reconnect), traffic across frontends resumes within seconds
//     and then every subscription gets every message once, in order;
//   - two meshed launchers, one router dies while its launcher is frozen
//     (SIGSTOP, so no restart can hide a missing failover): that launcher's
//     frontends fail over to the other router;
//   - a frontend stops reading (SIGSTOP): the others keep getting everything.
#include <signal.h>

#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/cluster/cluster_fixture.h"

namespace meridian::testing {
namespace {

class FaultTest : public ClusterTest {
 protected:
  bool OwnCluster() const override { return true; }
  void SetUp() override {
    if (!IsMeridian(backend())) GTEST_SKIP() << "Meridian's daemons only";
    ClusterTest::SetUp();
  }
};

void Respond(natsConnection* nc, natsSubscription*, natsMsg* msg, void*) {
  natsConnection_PublishString(nc, natsMsg_GetReply(msg), "here");
  natsMsg_Destroy(msg);
}

TEST_P(FaultTest, KilledFrontendsInterestDisappearsWithinASecond) {
  int victim = urls() - 1;
  std::string subject = UniqueSubject("only.victim");
  NatsConnPtr client = Connect(0), responder = Connect(victim);
  natsSubscription* raw = nullptr;
  ASSERT_EQ(natsConnection_Subscribe(&raw, responder.get(), subject.c_str(), Respond, nullptr),
            NATS_OK);
  NatsSubPtr sub(raw);
  ASSERT_TRUE(Propagated({responder.get()}));
  natsMsg* reply = nullptr;
  ASSERT_EQ(natsConnection_RequestString(&reply, client.get(), subject.c_str(), "?", 5000),
            NATS_OK);
  natsMsg_Destroy(reply);

  pid_t frontend = cluster().FrontendPid(victim);
  ASSERT_GT(frontend, 0) << "no frontend child listens on " << cluster().url(victim);
  absl::Time killed = absl::Now();
  ASSERT_TRUE(Kill9AndWait(frontend));
  EXPECT_TRUE(AwaitNoResponders(client.get(), subject, absl::Seconds(1)))
      << "requests from URL #0 still find a responder (or time out) "
      << absl::FormatDuration(absl::Now() - killed) << " after the kill\n"
      << cluster().Log();
  EXPECT_EQ(natsConnection_Status(client.get()), NATS_CONN_STATUS_CONNECTED);
}

// Publishes numbered messages from `pub` until every subscription has one,
// then 1000 more; each subscription must then read a gap-free, duplicate-free
// run ending at the last number.
void ExpectEveryMessageOnceAfterResync(natsConnection* pub, const std::string& subject,
                                       const std::vector<natsSubscription*>& subs) {
  int next = 0;
  auto publish = [&] {
    std::string body = absl::StrCat(next++);
    natsConnection_PublishString(pub, subject.c_str(), body.c_str());
  };
  bool flowing = PollFast(
      [&] {
        publish();
        natsConnection_Flush(pub);
        for (natsSubscription* s : subs) {
          if (Pending(s) == 0) return false;
        }
        return true;
      },
      absl::Seconds(10));
  ASSERT_TRUE(flowing) << "traffic did not resume on every URL within 10 s";
  for (int i = 0; i < 1000; ++i) publish();
  ASSERT_EQ(natsConnection_Flush(pub), NATS_OK);
  int last = next - 1;
  for (size_t s = 0; s < subs.size(); ++s) {
    int expect = -1;
    int received = 0;
    while (expect != last + 1) {
      natsStatus st;
      NatsMsgPtr m = NextMsg(subs[s], 10000, &st);
      ASSERT_NE(m, nullptr) << "subscription " << s << " after " << expect - 1 << ": "
                            << natsStatus_GetText(st);
      int n = -1;
      ASSERT_TRUE(absl::SimpleAtoi(Data(m.get()), &n));
      if (expect >= 0) {
        ASSERT_EQ(n, expect) << "subscription " << s << (n < expect ? ": duplicate" : ": gap");
      }
      expect = n + 1;
      ++received;
    }
    EXPECT_GE(received, 1000) << "subscription " << s;
  }
}

TEST_P(FaultTest, RouterRestartKeepsClientsAndResyncsInterest) {
  std::string subject = UniqueSubject("resync");
  NatsConnPtr pub = Connect(0);
  std::vector<NatsConnPtr> conns;
  std::vector<NatsSubPtr> subs;
  std::vector<natsSubscription*> raw_subs;
  for (int i = 0; i < urls(); ++i) {
    conns.push_back(Connect(i));
    natsStatus st;
    subs.push_back(SubscribeSync(conns.back().get(), subject, &st));
    ASSERT_EQ(st, NATS_OK);
    natsSubscription_SetPendingLimits(subs.back().get(), -1, -1);
    raw_subs.push_back(subs.back().get());
    ASSERT_TRUE(Propagated({conns.back().get()}));
  }
  pid_t router = cluster().RouterPid(0);
  ASSERT_GT(router, 0) << "no meridian-router child of the launcher";
  ASSERT_TRUE(Kill9AndWait(router));
  EXPECT_GT(cluster().WaitNewRouter(0, router, absl::Seconds(10)), 0)
      << "the launcher did not restart the router\n"
      << cluster().Log();

  ExpectEveryMessageOnceAfterResync(pub.get(), subject, raw_subs);
  for (size_t i = 0; i < conns.size(); ++i) {
    EXPECT_EQ(natsConnection_Status(conns[i].get()), NATS_CONN_STATUS_CONNECTED) << i;
    EXPECT_EQ(Reconnects(conns[i].get()), 0u) << "connection " << i << " reconnected";
  }
  EXPECT_EQ(Reconnects(pub.get()), 0u);
  // New interest after the restart propagates too.
  std::string later = UniqueSubject("later");
  natsStatus st;
  NatsSubPtr late = SubscribeSync(conns.back().get(), later, &st);
  ASSERT_TRUE(Propagated({conns.back().get()}));
  ASSERT_EQ(natsConnection_PublishString(pub.get(), later.c_str(), "x"), NATS_OK);
  EXPECT_NE(NextMsg(late.get(), 5000), nullptr);
}

// A frontend that stops reading (SIGSTOP) while a publisher floods a subject
// it subscribes to: the router's queue to it fills and overflows (counted,
// logged), and the other frontends keep getting every message.
// Needs three frontends of one launcher: instantiated on meridian_frontends_3 only.
class FrozenFrontendTest : public FaultTest {};

TEST_P(FrozenFrontendTest, DoesNotHoldUpTheOthers) {
  constexpr int kCount = 20000;  // 1 KiB each: 20 MB, over the router's 8 MiB queue bound
  std::string subject = UniqueSubject("flood");
  NatsConnPtr pub = Connect(0), fast = Connect(1), frozen = Connect(2);
  natsStatus st;
  NatsSubPtr fast_sub = SubscribeSync(fast.get(), subject, &st);
  NatsSubPtr frozen_sub = SubscribeSync(frozen.get(), subject, &st);
  ASSERT_TRUE(Propagated({fast.get(), frozen.get()}));

  pid_t victim = cluster().FrontendPid(2);
  ASSERT_GT(victim, 0);
  ASSERT_EQ(::kill(victim, SIGSTOP), 0);
  const std::string payload(1024, 'x');
  for (int i = 0; i < kCount; ++i) {
    ASSERT_EQ(natsConnection_Publish(pub.get(), subject.c_str(), payload.data(),
                                     static_cast<int>(payload.size())),
              NATS_OK);
  }
  ASSERT_EQ(natsConnection_Flush(pub.get()), NATS_OK);
  int received = 0;
  bool all = PollFast(
      [&] {
        while (NextMsg(fast_sub.get(), 1) != nullptr) ++received;
        return received >= kCount;
      },
      absl::Seconds(30));
  ::kill(victim, SIGCONT);
  EXPECT_TRUE(all) << received << " of " << kCount << " reached frontend 1\n" << cluster().Log();
  EXPECT_EQ(received, kCount);
}

// Needs two meshed launchers: instantiated on meridian_mesh only.
class MeshFaultTest : public FaultTest {};

TEST_P(MeshFaultTest, MeshedFrontendsFailOverToTheOtherRouter) {
  int a_url = 0, b_url = urls() - 1;
  ASSERT_NE(cluster().LauncherOf(a_url), cluster().LauncherOf(b_url));
  NatsConnPtr a = Connect(a_url), b = Connect(b_url);
  std::string to_a = UniqueSubject("to.a"), to_b = UniqueSubject("to.b");
  natsStatus st;
  NatsSubPtr sub_a = SubscribeSync(a.get(), to_a, &st);
  NatsSubPtr sub_b = SubscribeSync(b.get(), to_b, &st);
  ASSERT_TRUE(Propagated({a.get(), b.get()}));

  int launcher = cluster().LauncherOf(a_url);
  pid_t router = cluster().RouterPid(launcher);
  ASSERT_GT(router, 0);
  cluster().Freeze(launcher);  // no restart: only a failover can bring traffic back
  ASSERT_TRUE(Kill9AndWait(router));
  auto flows = [](natsConnection* from, const std::string& subject, natsSubscription* sub) {
    return PollFast(
        [&] {
          natsConnection_PublishString(from, subject.c_str(), "x");
          natsConnection_Flush(from);
          return NextMsg(sub, 20) != nullptr;
        },
        absl::Seconds(10));
  };
  EXPECT_TRUE(flows(b.get(), to_a, sub_a.get())) << "b -> a did not resume\n" << cluster().Log();
  EXPECT_TRUE(flows(a.get(), to_b, sub_b.get())) << "a -> b did not resume\n" << cluster().Log();
  // Interest created after the failover reaches the other launcher.
  std::string later = UniqueSubject("later");
  NatsSubPtr late = SubscribeSync(a.get(), later, &st);
  EXPECT_TRUE(Propagated({a.get()}));
  EXPECT_EQ(Reconnects(a.get()), 0u);
  EXPECT_EQ(Reconnects(b.get()), 0u);
  cluster().Thaw(launcher);
}

INSTANTIATE_TEST_SUITE_P(Backends, FaultTest,
                         ::testing::Values(ClusterParam{Backend::kMeridianFrontends, 2},
                                           ClusterParam{Backend::kMeridianFrontends, 3},
                                           ClusterParam{Backend::kMeridianMesh, 2}),
                         ClusterParamName);
INSTANTIATE_TEST_SUITE_P(Backends, FrozenFrontendTest,
                         ::testing::Values(ClusterParam{Backend::kMeridianFrontends, 3}),
                         ClusterParamName);
INSTANTIATE_TEST_SUITE_P(Backends, MeshFaultTest,
                         ::testing::Values(ClusterParam{Backend::kMeridianMesh, 2}),
                         ClusterParamName);

}  // namespace
}  // namespace meridian::testing
