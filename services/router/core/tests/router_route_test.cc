// Message routing: plain fan-out, queue groups (one member cluster-wide,
// weighted), the served-queues annotation, no echo, one copy per peer, and
// no allocation on the steady path.
#include <map>
#include <set>
#include <string_view>
#include <vector>

#include "common/testing/alloc_counter.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/router/core/router.h"
#include "services/router/core/tests/test_util.h"

namespace meridian::router {
namespace {

using ::meridian::router::testing::Apply;
using ::meridian::router::testing::D;
using ::meridian::router::testing::P;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

class RouterRouteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (uint64_t id : {1, 2, 3, 4}) {
      std::vector<OutboundDelta> snapshot;
      ASSERT_TRUE(router_.AddPeer(P(id), PeerKind::kFrontend, &snapshot).ok());
    }
  }

  // Peer ids of the targets.
  std::vector<uint64_t> Route(uint64_t origin, std::string_view subject,
                              std::vector<std::string_view> served = {},
                              std::string_view account = "A") {
    served_ = std::move(served);
    RouteRequest request{account, subject, P(origin), served_};
    EXPECT_EQ(router_.Route(request, &result_), RouteError::kOk);
    std::vector<uint64_t> peers;
    for (const RouteTarget& t : result_.targets())
      peers.push_back(t.peer.value);
    return peers;
  }
  std::vector<std::string_view> QueuesOf(uint64_t peer) {
    const RouteTarget* t = result_.Find(P(peer));
    if (t == nullptr) return {};
    return {t->queues.begin(), t->queues.end()};
  }

  Router router_{RouterOptions{.seed = 42}};
  RouteResult result_;
  std::vector<std::string_view> served_;
};

TEST_F(RouterRouteTest, PlainInterestReachesEachMatchingPeerOnce) {
  Apply(router_, 2, D("foo.bar", 1));
  Apply(router_, 2, D("foo.*", 1));  // same peer twice: still one copy
  Apply(router_, 3, D("foo.>", 1));
  Apply(router_, 4, D("foo.baz", 1));
  EXPECT_THAT(Route(1, "foo.bar"), UnorderedElementsAre(2, 3));
  for (const RouteTarget& t : result_.targets()) {
    EXPECT_TRUE(t.plain);
    EXPECT_THAT(t.queues, IsEmpty());
  }
  EXPECT_THAT(Route(1, "foo.bar.baz"), ElementsAre(3));
  EXPECT_THAT(Route(1, "foo"), IsEmpty());
  EXPECT_THAT(Route(1, "bar"), IsEmpty());
  EXPECT_THAT(Route(1, "foo.bar", {}, "B"), IsEmpty());  // other account
}

TEST_F(RouterRouteTest, NeverBackToTheOrigin) {
  Apply(router_, 1, D("foo", 1));
  Apply(router_, 1, D("foo", 1, "q"));
  EXPECT_THAT(Route(1, "foo"), IsEmpty());
  Apply(router_, 2, D("foo", 1));
  EXPECT_THAT(Route(1, "foo"), ElementsAre(2));
  EXPECT_THAT(Route(2, "foo"), ElementsAre(1));
  EXPECT_THAT(QueuesOf(1), ElementsAre("q"));
}

TEST_F(RouterRouteTest, UnknownOriginIsAnError) {
  RouteRequest request{"A", "foo", P(99), {}};
  EXPECT_EQ(router_.Route(request, &result_), RouteError::kUnknownOrigin);
  EXPECT_TRUE(result_.empty());
}

TEST_F(RouterRouteTest, QueueGroupGoesToExactlyOneMemberPeer) {
  Apply(router_, 2, D("work.*", 1, "q"));
  Apply(router_, 3, D("work.>", 1, "q"));
  Apply(router_, 1, D("work.a", 5, "q"));  // the origin's own members
  std::map<uint64_t, int> chosen;
  for (int i = 0; i < 1000; ++i) {
    std::vector<uint64_t> peers = Route(1, "work.a");
    ASSERT_EQ(peers.size(), 1u);
    EXPECT_THAT(QueuesOf(peers[0]), ElementsAre("q"));
    EXPECT_FALSE(result_.targets()[0].plain);
    ++chosen[peers[0]];
  }
  EXPECT_EQ(chosen.count(1), 0u);
  EXPECT_GT(chosen[2], 350);
  EXPECT_GT(chosen[3], 350);
}

TEST_F(RouterRouteTest, QueueChoiceIsWeightedByMemberCount) {
  Apply(router_, 2, D("work", 3, "q"));
  Apply(router_, 3, D("work", 1, "q"));
  std::map<uint64_t, int> chosen;
  for (int i = 0; i < 4000; ++i) {
    std::vector<uint64_t> peers = Route(1, "work");
    ASSERT_EQ(peers.size(), 1u);
    ++chosen[peers[0]];
  }
  EXPECT_NEAR(chosen[2], 3000, 200);
  EXPECT_NEAR(chosen[3], 1000, 200);
}

TEST_F(RouterRouteTest, GroupsServedByTheOriginAreSkipped) {
  Apply(router_, 2, D("work", 1, "q"));
  Apply(router_, 2, D("work", 1, "r"));
  EXPECT_THAT(Route(1, "work", {"q"}), ElementsAre(2));
  EXPECT_THAT(QueuesOf(2), ElementsAre("r"));
  EXPECT_THAT(Route(1, "work", {"q", "r"}), IsEmpty());
  EXPECT_THAT(Route(1, "work", {"other"}), ElementsAre(2));
  EXPECT_THAT(QueuesOf(2), UnorderedElementsAre("q", "r"));
}

TEST_F(RouterRouteTest, PlainAndQueueInterestGiveOneCopy) {
  Apply(router_, 2, D("work", 1));
  Apply(router_, 2, D("work", 1, "q"));
  Apply(router_, 3, D("work", 1));
  EXPECT_THAT(Route(1, "work"), UnorderedElementsAre(2, 3));
  const RouteTarget* two = result_.Find(P(2));
  ASSERT_NE(two, nullptr);
  EXPECT_TRUE(two->plain);
  EXPECT_THAT(two->queues, ElementsAre("q"));
  const RouteTarget* three = result_.Find(P(3));
  ASSERT_NE(three, nullptr);
  EXPECT_TRUE(three->plain);
  EXPECT_THAT(three->queues, IsEmpty());
}

TEST_F(RouterRouteTest, SeveralGroupsOnOnePeerAreListedTogether) {
  Apply(router_, 2, D("work", 1, "q1"));
  Apply(router_, 3, D("work", 1, "q2"));
  Apply(router_, 2, D("work", 1, "q3"));
  Apply(router_, 3, D("work", 1));
  EXPECT_THAT(Route(1, "work"), UnorderedElementsAre(2, 3));
  EXPECT_THAT(QueuesOf(2), UnorderedElementsAre("q1", "q3"));
  EXPECT_THAT(QueuesOf(3), ElementsAre("q2"));
}

TEST_F(RouterRouteTest, RemovedInterestNoLongerRoutes) {
  Apply(router_, 2, D("foo", 1));
  Apply(router_, 3, D("foo", 1, "q"));
  EXPECT_THAT(Route(1, "foo"), UnorderedElementsAre(2, 3));
  Apply(router_, 3, D("foo", -1, "q"));
  EXPECT_THAT(Route(1, "foo"), ElementsAre(2));
  std::vector<OutboundDelta> out;
  ASSERT_TRUE(router_.RemovePeer(P(2), &out).ok());
  EXPECT_THAT(Route(1, "foo"), IsEmpty());
}

TEST_F(RouterRouteTest, EveryMemberPeerGetsChosenUnderAnySeed) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    Router router{RouterOptions{.seed = seed}};
    for (uint64_t id : {1, 2, 3, 4}) {
      std::vector<OutboundDelta> snapshot;
      ASSERT_TRUE(router.AddPeer(P(id), PeerKind::kFrontend, &snapshot).ok());
      if (id != 1) Apply(router, id, D("work", 1, "q"));
    }
    std::set<uint64_t> chosen;
    RouteResult result;
    RouteRequest request{"A", "work", P(1), {}};
    for (int i = 0; i < 200; ++i) {
      ASSERT_EQ(router.Route(request, &result), RouteError::kOk);
      ASSERT_EQ(result.size(), 1u);
      chosen.insert(result.targets()[0].peer.value);
    }
    EXPECT_EQ(chosen, (std::set<uint64_t>{2, 3, 4})) << "seed " << seed;
  }
}

// Peers 1-4 are local (frontends), 10 and 11 other routers of the mesh.
class RouterMeshRouteTest : public RouterRouteTest {
 protected:
  void SetUp() override {
    RouterRouteTest::SetUp();
    for (uint64_t id : {10, 11}) {
      std::vector<OutboundDelta> snapshot;
      ASSERT_TRUE(router_.AddPeer(P(id), PeerKind::kRouter, &snapshot).ok());
    }
  }
  // Peer ids of the targets of a message passed on by a router.
  std::vector<uint64_t> RouteChosen(uint64_t origin, std::string_view subject,
                                    std::vector<std::string_view> chosen) {
    served_ = std::move(chosen);
    RouteRequest request{"A", subject, P(origin), {}};
    request.queue_choice = true;
    request.chosen_queues = served_;
    EXPECT_EQ(router_.Route(request, &result_), RouteError::kOk);
    std::vector<uint64_t> peers;
    for (const RouteTarget& t : result_.targets())
      peers.push_back(t.peer.value);
    return peers;
  }
};

TEST_F(RouterMeshRouteTest, LocalPublishReachesRoutersWithInterest) {
  Apply(router_, 10, D("foo.*", 1));
  Apply(router_, 11, D("bar", 1));
  Apply(router_, 2, D("foo.x", 1));
  EXPECT_THAT(Route(1, "foo.x"), UnorderedElementsAre(2, 10));
  EXPECT_TRUE(result_.Find(P(10))->plain);
  EXPECT_THAT(Route(1, "bar"), ElementsAre(11));
}

TEST_F(RouterMeshRouteTest, LocalPublishPrefersLocalMembersOverRouters) {
  Apply(router_, 2, D("work", 1, "q"));
  Apply(router_, 3, D("work", 2, "q"));
  Apply(router_, 10, D("work", 3, "q"));  // 3 members behind router 10
  std::map<uint64_t, int> chosen;
  for (int i = 0; i < 3000; ++i) {
    std::vector<uint64_t> peers = Route(1, "work");
    ASSERT_EQ(peers.size(), 1u);
    EXPECT_THAT(QueuesOf(peers[0]), ElementsAre("q"));
    ++chosen[peers[0]];
  }
  // Local peers only, weighted by their members (1 : 2).
  EXPECT_NEAR(chosen[2], 1000, 200);
  EXPECT_NEAR(chosen[3], 2000, 200);
  EXPECT_EQ(chosen[10], 0);
}

TEST_F(RouterMeshRouteTest, LocalPublishWeighsRoutersWhenNoLocalMember) {
  Apply(router_, 10, D("work", 1, "q"));
  Apply(router_, 11, D("work", 3, "q"));  // 3 members behind router 11
  std::map<uint64_t, int> chosen;
  for (int i = 0; i < 4000; ++i) {
    std::vector<uint64_t> peers = Route(1, "work");
    ASSERT_EQ(peers.size(), 1u);
    ++chosen[peers[0]];
  }
  EXPECT_NEAR(chosen[10], 1000, 200);
  EXPECT_NEAR(chosen[11], 3000, 200);
}

TEST_F(RouterMeshRouteTest, MessageFromARouterGoesOnlyToLocalPeers) {
  Apply(router_, 2, D("foo", 1));
  Apply(router_, 3, D("foo.>", 1));
  Apply(router_, 10, D("foo", 1));
  Apply(router_, 11, D("foo", 1));
  EXPECT_THAT(Route(10, "foo"), ElementsAre(2));
  EXPECT_THAT(RouteChosen(10, "foo", {}), ElementsAre(2));
  EXPECT_THAT(Route(11, "foo.bar"), ElementsAre(3));
  Apply(router_, 2, D("foo", -1));
  EXPECT_THAT(Route(10, "foo"), IsEmpty());  // never to router 11
}

TEST_F(RouterMeshRouteTest, MessageFromARouterServesOnlyTheChosenGroups) {
  Apply(router_, 2, D("work", 1, "q"));
  Apply(router_, 3, D("work", 1, "q"));
  Apply(router_, 3, D("work", 1, "r"));
  Apply(router_, 11, D("work", 5, "q"));  // members behind another router
  Apply(router_, 11, D("work", 1, "s"));  // only behind another router
  std::map<uint64_t, int> chosen;
  for (int i = 0; i < 1000; ++i) {
    std::vector<uint64_t> peers = RouteChosen(10, "work", {"q", "s"});
    ASSERT_EQ(peers.size(), 1u);
    EXPECT_THAT(QueuesOf(peers[0]), ElementsAre("q"));  // "s": nobody here
    ++chosen[peers[0]];
  }
  EXPECT_EQ(chosen.size(), 2u);
  EXPECT_GT(chosen[2], 350);
  EXPECT_GT(chosen[3], 350);
  EXPECT_THAT(RouteChosen(10, "work", {"r"}), ElementsAre(3));
  EXPECT_THAT(QueuesOf(3), ElementsAre("r"));
  EXPECT_THAT(RouteChosen(10, "work", {}), IsEmpty());  // no group chosen
}

TEST_F(RouterMeshRouteTest, MessageFromARouterDoesNotAllocate) {
  Apply(router_, 2, D("foo.*", 1));
  Apply(router_, 3, D("foo.bar", 2, "q"));
  Apply(router_, 11, D("foo.bar", 2, "q"));
  Apply(router_, 11, D("foo.>", 1));
  const std::vector<std::string_view> chosen = {"q"};
  RouteRequest request{"A", "foo.bar", P(10), {}};
  request.queue_choice = true;
  request.chosen_queues = chosen;
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(router_.Route(request, &result_), RouteError::kOk);
  }
  meridian::testing::AllocCounter counter;
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(router_.Route(request, &result_), RouteError::kOk);
  }
  EXPECT_EQ(counter.count(), 0u);
  EXPECT_EQ(result_.size(), 2u);
}

TEST_F(RouterRouteTest, SteadyPathDoesNotAllocate) {
  Apply(router_, 2, D("foo.*", 1));
  Apply(router_, 3, D("foo.bar", 2, "q"));
  Apply(router_, 4, D("foo.>", 1, "q"));
  Apply(router_, 4, D("foo.>", 1, "r"));
  const std::vector<std::string_view> served = {"r"};
  RouteRequest request{"A", "foo.bar", P(1), served};
  for (int i = 0; i < 10; ++i) {  // warm the caches and the buffers
    ASSERT_EQ(router_.Route(request, &result_), RouteError::kOk);
  }
  meridian::testing::AllocCounter counter;
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(router_.Route(request, &result_), RouteError::kOk);
  }
  EXPECT_EQ(counter.count(), 0u);
  EXPECT_EQ(result_.size(), 2u);
}

}  // namespace
}  // namespace meridian::router
