// Interest propagation: exact deltas each peer receives, snapshots,
// removal, reset, and refused input.
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/router/core/router.h"
#include "services/router/core/tests/test_util.h"

namespace meridian::router {
namespace {

using ::meridian::router::testing::Apply;
using ::meridian::router::testing::D;
using ::meridian::router::testing::P;
using ::meridian::router::testing::Sorted;
using ::meridian::router::testing::To;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

using Deltas = std::vector<OutboundDelta>;

void Attach(Router& router, std::initializer_list<uint64_t> ids) {
  for (uint64_t id : ids) {
    Deltas snapshot;
    ASSERT_TRUE(router.AddPeer(P(id), PeerKind::kFrontend, &snapshot).ok());
  }
}

TEST(RouterInterestTest, TwoPeersPlainInterestOnlyOnTransitions) {
  Router router;
  Attach(router, {1, 2});
  EXPECT_THAT(Apply(router, 1, D("foo", 1)), ElementsAre(To(2, "foo", 1)));
  EXPECT_THAT(Apply(router, 1, D("foo", 2)), IsEmpty());  // 2 still sees 1
  EXPECT_THAT(Apply(router, 2, D("foo", 1)), ElementsAre(To(1, "foo", 1)));
  EXPECT_THAT(Apply(router, 1, D("foo", -2)), IsEmpty());
  EXPECT_THAT(Apply(router, 1, D("foo", -1)), ElementsAre(To(2, "foo", -1)));
  EXPECT_THAT(Apply(router, 2, D("foo", -1)), ElementsAre(To(1, "foo", -1)));
  EXPECT_EQ(router.NumEntries(), 0u);
}

TEST(RouterInterestTest, ThreePeersEachSeesTheOthers) {
  Router router;
  Attach(router, {1, 2, 3});
  EXPECT_THAT(Apply(router, 1, D("foo", 1)),
              ElementsAre(To(2, "foo", 1), To(3, "foo", 1)));
  // 3 already sees foo (from 1); 1 learns of 2.
  EXPECT_THAT(Apply(router, 2, D("foo", 1)), ElementsAre(To(1, "foo", 1)));
  // 2's elsewhere goes to 0 (only itself is left), 3 still sees 2.
  EXPECT_THAT(Apply(router, 1, D("foo", -1)), ElementsAre(To(2, "foo", -1)));
  EXPECT_THAT(Apply(router, 2, D("foo", -1)),
              ElementsAre(To(1, "foo", -1), To(3, "foo", -1)));
}

TEST(RouterInterestTest, WildcardSubjectsAreSeparateInterest) {
  Router router;
  Attach(router, {1, 2});
  EXPECT_THAT(Apply(router, 1, D("foo.*", 1)), ElementsAre(To(2, "foo.*", 1)));
  EXPECT_THAT(Apply(router, 1, D("foo.>", 1)), ElementsAre(To(2, "foo.>", 1)));
  EXPECT_THAT(Apply(router, 1, D("foo.bar", 1)),
              ElementsAre(To(2, "foo.bar", 1)));
  EXPECT_THAT(Apply(router, 1, D("foo.*", -1)),
              ElementsAre(To(2, "foo.*", -1)));
}

TEST(RouterInterestTest, QueueGroupsCarryTheWeightElsewhere) {
  Router router;
  Attach(router, {1, 2, 3});
  EXPECT_THAT(Apply(router, 1, D("work", 2, "q")),
              ElementsAre(To(2, "work", 2, "q"), To(3, "work", 2, "q")));
  EXPECT_THAT(Apply(router, 2, D("work", 1, "q")),
              ElementsAre(To(1, "work", 1, "q"), To(3, "work", 1, "q")));
  EXPECT_THAT(Apply(router, 1, D("work", -2, "q")),
              ElementsAre(To(2, "work", -2, "q"), To(3, "work", -2, "q")));
  // Plain interest on the same subject is independent of the group.
  EXPECT_THAT(Apply(router, 3, D("work", 1)),
              ElementsAre(To(1, "work", 1), To(2, "work", 1)));
  // Another group on the same subject is independent too.
  EXPECT_THAT(Apply(router, 3, D("work", 1, "r")),
              ElementsAre(To(1, "work", 1, "r"), To(2, "work", 1, "r")));
}

TEST(RouterInterestTest, AccountsAreSeparate) {
  Router router;
  Attach(router, {1, 2});
  EXPECT_THAT(Apply(router, 1, D("foo", 1, "", "A")),
              ElementsAre(To(2, "foo", 1, "", "A")));
  EXPECT_THAT(Apply(router, 2, D("foo", 1, "", "B")),
              ElementsAre(To(1, "foo", 1, "", "B")));
}

TEST(RouterInterestTest, NewPeerGetsTheAggregateSnapshot) {
  Router router;
  Attach(router, {1, 2});
  Apply(router, 1, D("foo", 3));
  Apply(router, 2, D("foo", 1));
  Apply(router, 1, D("foo.*", 2, "q"));
  Apply(router, 2, D("foo.*", 1, "q"));
  Apply(router, 2, D("bar", 1, "", "B"));
  Deltas snapshot;
  ASSERT_TRUE(router.AddPeer(P(3), PeerKind::kFrontend, &snapshot).ok());
  EXPECT_THAT(Sorted(snapshot),
              ElementsAre(To(3, "foo", 1), To(3, "foo.*", 3, "q"),
                          To(3, "bar", 1, "", "B")));
  // A peer's own snapshot leaves out what it holds itself.
  Deltas mine;
  ASSERT_TRUE(router.Snapshot(P(1), &mine).ok());
  EXPECT_THAT(Sorted(mine), ElementsAre(To(1, "foo", 1), To(1, "foo.*", 1, "q"),
                                        To(1, "bar", 1, "", "B")));
}

TEST(RouterInterestTest, RemovePeerWithdrawsEverythingItHeld) {
  Router router;
  Attach(router, {1, 2, 3});
  Apply(router, 1, D("foo", 2));
  Apply(router, 2, D("foo", 1));
  Apply(router, 1, D("work", 2, "q"));
  Apply(router, 1, D("only.one", 1));
  Deltas out;
  ASSERT_TRUE(router.RemovePeer(P(1), &out).ok());
  EXPECT_THAT(Sorted(out),
              ElementsAre(To(2, "foo", -1), To(2, "only.one", -1),
                          To(2, "work", -2, "q"), To(3, "only.one", -1),
                          To(3, "work", -2, "q")));
  EXPECT_FALSE(router.HasPeer(P(1)));
  EXPECT_EQ(router.NumEntries(), 1u);
  // The id can attach again, and sees 2's interest.
  Deltas snapshot;
  ASSERT_TRUE(router.AddPeer(P(1), PeerKind::kFrontend, &snapshot).ok());
  EXPECT_THAT(snapshot, ElementsAre(To(1, "foo", 1)));
}

TEST(RouterInterestTest, ResetEmitsOnlyNetChanges) {
  Router router;
  Attach(router, {1, 2});
  Apply(router, 1, D("foo", 1));
  Apply(router, 1, D("bar", 1));
  Apply(router, 1, D("baz", 2, "q"));
  Apply(router, 1, D("same", 2, "q"));
  Deltas out;
  const std::vector<InterestDelta> full = {D("foo", 2), D("baz", 1, "q"),
                                           D("baz", 2, "q"), D("same", 2, "q"),
                                           D("new", 1)};
  ASSERT_TRUE(router.ResetPeer(P(1), full, &out).ok());
  EXPECT_THAT(Sorted(out), ElementsAre(To(2, "bar", -1), To(2, "baz", 1, "q"),
                                       To(2, "new", 1)));
  // An empty reset withdraws everything.
  out.clear();
  ASSERT_TRUE(router.ResetPeer(P(1), {}, &out).ok());
  EXPECT_THAT(Sorted(out),
              ElementsAre(To(2, "baz", -3, "q"), To(2, "foo", -1),
                          To(2, "new", -1), To(2, "same", -2, "q")));
  EXPECT_EQ(router.NumEntries(), 0u);
}

// Peers 1, 2 are local (frontends), 10, 11 are other routers of the mesh.
void AttachMesh(Router& router) {
  Attach(router, {1, 2});
  for (uint64_t id : {10, 11}) {
    Deltas snapshot;
    ASSERT_TRUE(router.AddPeer(P(id), PeerKind::kRouter, &snapshot).ok());
  }
}

TEST(RouterInterestTest, RouterPeersSeeOnlyLocalPlainInterest) {
  Router router;
  AttachMesh(router);
  EXPECT_THAT(Apply(router, 1, D("foo", 1)),
              ElementsAre(To(2, "foo", 1), To(10, "foo", 1), To(11, "foo", 1)));
  // Learned from a router: only the local peers hear of it (2 already did).
  EXPECT_THAT(Apply(router, 10, D("foo", 1)), ElementsAre(To(1, "foo", 1)));
  EXPECT_THAT(Apply(router, 10, D("bar", 1)),
              ElementsAre(To(1, "bar", 1), To(2, "bar", 1)));
  EXPECT_THAT(Apply(router, 11, D("bar", 1)), IsEmpty());
  // The local interest goes: the routers lose it, 2 still sees 10's.
  EXPECT_THAT(Apply(router, 1, D("foo", -1)),
              ElementsAre(To(10, "foo", -1), To(11, "foo", -1)));
  EXPECT_THAT(Apply(router, 10, D("bar", -1)), IsEmpty());
  EXPECT_THAT(Apply(router, 11, D("bar", -1)),
              ElementsAre(To(1, "bar", -1), To(2, "bar", -1)));
}

TEST(RouterInterestTest, RouterPeersSeeOnlyLocalQueueWeight) {
  Router router;
  AttachMesh(router);
  EXPECT_THAT(Apply(router, 11, D("work", 2, "q")),
              ElementsAre(To(1, "work", 2, "q"), To(2, "work", 2, "q")));
  EXPECT_THAT(Apply(router, 2, D("work", 1, "q")),
              ElementsAre(To(1, "work", 1, "q"), To(10, "work", 1, "q"),
                          To(11, "work", 1, "q")));
  EXPECT_THAT(Apply(router, 10, D("work", 3, "q")),
              ElementsAre(To(1, "work", 3, "q"), To(2, "work", 3, "q")));
  // A router's snapshot holds the local weight only (1, not 1 + 2 + 3).
  Deltas snapshot;
  ASSERT_TRUE(router.AddPeer(P(12), PeerKind::kRouter, &snapshot).ok());
  EXPECT_THAT(snapshot, ElementsAre(To(12, "work", 1, "q")));
  Deltas mine;
  ASSERT_TRUE(router.Snapshot(P(10), &mine).ok());
  EXPECT_THAT(mine, ElementsAre(To(10, "work", 1, "q")));
  // A local peer's snapshot holds everything but its own.
  mine.clear();
  ASSERT_TRUE(router.Snapshot(P(2), &mine).ok());
  EXPECT_THAT(mine, ElementsAre(To(2, "work", 5, "q")));
}

TEST(RouterInterestTest, RemovingOrResettingARouterTellsOnlyLocalPeers) {
  Router router;
  AttachMesh(router);
  Apply(router, 10, D("foo", 1));
  Apply(router, 10, D("work", 2, "q"));
  Apply(router, 11, D("foo", 1));
  Deltas out;
  const std::vector<InterestDelta> full = {D("work", 1, "q"), D("bar", 1)};
  ASSERT_TRUE(router.ResetPeer(P(10), full, &out).ok());
  EXPECT_THAT(Sorted(out),
              ElementsAre(To(1, "bar", 1), To(1, "work", -1, "q"),
                          To(2, "bar", 1), To(2, "work", -1, "q")));
  out.clear();
  ASSERT_TRUE(router.RemovePeer(P(10), &out).ok());
  EXPECT_THAT(Sorted(out),
              ElementsAre(To(1, "bar", -1), To(1, "work", -1, "q"),
                          To(2, "bar", -1), To(2, "work", -1, "q")));
  // 11's foo remains for the local peers.
  out.clear();
  ASSERT_TRUE(router.RemovePeer(P(11), &out).ok());
  EXPECT_THAT(Sorted(out), ElementsAre(To(1, "foo", -1), To(2, "foo", -1)));
}

TEST(RouterInterestTest, BadInputIsRefusedWithoutChange) {
  Router router;
  Attach(router, {1, 2});
  Deltas out;
  EXPECT_EQ(router.ApplyInterest(P(9), D("foo", 1), &out).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(router.ApplyInterest(P(1), D("foo", -1), &out).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(router.ApplyInterest(P(1), D("foo", 0), &out).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(router.ApplyInterest(P(1), D("foo..bar", 1), &out).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(router.ApplyInterest(P(1), D("foo.>.bar", 1), &out).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(router.ApplyInterest(P(1), D("foo", 1, "bad queue"), &out).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(router.ApplyInterest(P(1), D("foo", 1, "", ""), &out).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(router.AddPeer(P(1), PeerKind::kFrontend, &out).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(router.RemovePeer(P(9), &out).code(), absl::StatusCode::kNotFound);
  Apply(router, 1, D("foo", 1));
  out.clear();
  const std::vector<InterestDelta> negative = {D("foo", 1), D("foo", -2)};
  EXPECT_EQ(router.ResetPeer(P(1), negative, &out).code(),
            absl::StatusCode::kInvalidArgument);
  const std::vector<InterestDelta> invalid = {D("bar", 1), D("", 1)};
  EXPECT_EQ(router.ResetPeer(P(1), invalid, &out).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out, IsEmpty());
  EXPECT_EQ(router.NumEntries(), 1u);
}

}  // namespace
}  // namespace meridian::router
