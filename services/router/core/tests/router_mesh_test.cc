// Several Routers full-meshed (each attached to every other one as a peer of
// kind kRouter), deltas and messages passed between them synchronously, with
// random interest at their local peers and links that break and come back:
// * interest propagation settles (split horizon: nothing echoes around the
//   mesh) and each local peer's view equals the union of every other local
//   peer it can reach (on its router, or on a router linked to its own);
// * a message published by a local peer reaches, through at most one router
//   hop, every reachable local peer with matching plain interest exactly
//   once, and exactly one member of each matching group the publisher did
//   not serve itself.
#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "common/subjects/subject.h"
#include "gtest/gtest.h"
#include "services/router/core/router.h"
#include "services/router/core/tests/test_util.h"

namespace meridian::router {
namespace {

constexpr int kRouters = 3;
constexpr uint64_t kLocalsPerRouter = 3;  // local peer ids 1..3 on each
constexpr uint64_t kRouterIdBase = 100;   // router j is peer 100 + j

using Key = std::tuple<std::string, std::string, std::string>;  // acc,subj,q

// A local peer: (router index, peer id on that router).
using Local = std::pair<int, uint64_t>;

struct Pending {
  int router;    // the router that receives the delta
  uint64_t from; // the peer it comes from, on that router
  InterestDelta delta;
};

class Mesh {
 public:
  explicit Mesh(uint64_t seed) : rng_(seed) {
    for (int i = 0; i < kRouters; ++i) {
      routers_.push_back(
          std::make_unique<Router>(RouterOptions{.seed = seed * 31 + i}));
      for (uint64_t id = 1; id <= kLocalsPerRouter; ++id) {
        std::vector<OutboundDelta> snapshot;
        EXPECT_TRUE(routers_[i]
                        ->AddPeer(PeerId{id}, PeerKind::kFrontend, &snapshot)
                        .ok());
        Deliver(i, snapshot);
      }
    }
    for (int i = 0; i < kRouters; ++i) {
      for (int j = i + 1; j < kRouters; ++j) Link(i, j);
    }
  }

  void Run(int steps) {
    for (int step = 0; step < steps; ++step) {
      SCOPED_TRACE(::testing::Message() << "step " << step);
      Step();
      CheckViews();
      if (::testing::Test::HasFailure()) return;
    }
  }

 private:
  int Rand(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  std::string Pattern() { return RandomPattern(rng_, 2); }
  std::string Literal() { return RandomLiteral(rng_, 2); }
  Local RandomLocal() {
    return {Rand(kRouters), 1 + static_cast<uint64_t>(Rand(kLocalsPerRouter))};
  }
  bool Reachable(int a, int b) const { return a == b || linked_.contains({a, b}); }

  // Routes the deltas router `at` emitted: to a local peer's view, or into
  // the router on the other end of a link, until nothing is left.
  void Deliver(int at, const std::vector<OutboundDelta>& out) {
    std::vector<Pending> queue;
    auto dispatch = [&](int router, const std::vector<OutboundDelta>& deltas) {
      for (const OutboundDelta& d : deltas) {
        if (d.peer.value >= kRouterIdBase) {
          const int other = static_cast<int>(d.peer.value - kRouterIdBase);
          queue.push_back({other, kRouterIdBase + router, d.delta});
        } else {
          views_[{router, d.peer.value}].Add({d});
        }
      }
    };
    dispatch(at, out);
    // Split horizon bounds this: a delta crosses at most one link.
    for (size_t i = 0; i < queue.size(); ++i) {
      ASSERT_LT(i, 100000u) << "interest echoes around the mesh";
      const Pending p = queue[i];
      std::vector<OutboundDelta> next;
      ASSERT_TRUE(routers_[p.router]
                      ->ApplyInterest(PeerId{p.from}, p.delta, &next)
                      .ok());
      for (const OutboundDelta& d : next) {
        // What a router learned from a router goes to its local peers only.
        if (p.from >= kRouterIdBase) {
          EXPECT_LT(d.peer.value, kRouterIdBase);
        }
      }
      dispatch(p.router, next);
    }
  }

  void Link(int a, int b) {
    linked_.insert({a, b});
    linked_.insert({b, a});
    std::vector<OutboundDelta> snapshot;
    ASSERT_TRUE(routers_[a]
                    ->AddPeer(PeerId{kRouterIdBase + b}, PeerKind::kRouter,
                              &snapshot)
                    .ok());
    std::vector<OutboundDelta> other;
    ASSERT_TRUE(routers_[b]
                    ->AddPeer(PeerId{kRouterIdBase + a}, PeerKind::kRouter,
                              &other)
                    .ok());
    Deliver(a, snapshot);
    Deliver(b, other);
  }
  void Unlink(int a, int b) {
    linked_.erase({a, b});
    linked_.erase({b, a});
    std::vector<OutboundDelta> out;
    ASSERT_TRUE(routers_[a]->RemovePeer(PeerId{kRouterIdBase + b}, &out).ok());
    Deliver(a, out);
    out.clear();
    ASSERT_TRUE(routers_[b]->RemovePeer(PeerId{kRouterIdBase + a}, &out).ok());
    Deliver(b, out);
  }

  void Step() {
    const int op = Rand(100);
    if (op < 4) {
      const int a = Rand(kRouters);
      const int b = (a + 1 + Rand(kRouters - 1)) % kRouters;
      if (linked_.contains({a, b})) {
        Unlink(a, b);
      } else {
        Link(a, b);
      }
    } else if (op < 60) {
      const Local local = RandomLocal();
      auto& keys = held_[local];
      std::vector<OutboundDelta> out;
      static const char* kQueues[] = {"", "", "q1", "q2"};
      if (!keys.empty() && Rand(2) == 0) {
        auto it = keys.begin();
        std::advance(it, Rand(static_cast<int>(keys.size())));
        const int32_t c = -static_cast<int32_t>(1 + Rand(it->second));
        const auto [acc, subject, queue] = it->first;
        ASSERT_TRUE(routers_[local.first]
                        ->ApplyInterest(PeerId{local.second},
                                        {acc, subject, queue, c}, &out)
                        .ok());
        if ((it->second += c) == 0) keys.erase(it);
      } else {
        const Key key{"A", Pattern(), kQueues[Rand(4)]};
        const int32_t c = 1 + Rand(2);
        const auto& [acc, subject, queue] = key;
        ASSERT_TRUE(routers_[local.first]
                        ->ApplyInterest(PeerId{local.second},
                                        {acc, subject, queue, c}, &out)
                        .ok());
        keys[key] += c;
      }
      Deliver(local.first, out);
    } else {
      CheckMessage();
    }
  }

  void CheckViews() {
    for (int i = 0; i < kRouters; ++i) {
      for (uint64_t id = 1; id <= kLocalsPerRouter; ++id) {
        std::map<Key, int64_t> expected;
        for (const auto& [other, keys] : held_) {
          if (other == Local{i, id} || !Reachable(i, other.first)) continue;
          for (const auto& [key, count] : keys) expected[key] += count;
        }
        for (auto& [key, count] : expected) {
          if (std::get<2>(key).empty()) count = 1;
        }
        const Local local{i, id};
        EXPECT_EQ(views_[local].Of(PeerId{id}), expected)
            << "view of peer " << id << " on router " << i;
      }
    }
  }

  // Whether `local` holds interest in `queue` ("" = plain) matching subject.
  bool Holds(const Local& local, const std::string& subject,
             const std::string& queue) {
    for (const auto& [key, count] : held_[local]) {
      if (std::get<2>(key) == queue &&
          subjects::SubjectMatches(std::get<1>(key), subject)) {
        return true;
      }
    }
    return false;
  }

  void CheckMessage() {
    const Local origin = RandomLocal();
    const std::string subject = Literal();
    // The publisher serves the groups it has a member of itself.
    std::vector<std::string_view> served;
    for (std::string_view q : {"q1", "q2"}) {
      if (Holds(origin, subject, std::string(q))) served.push_back(q);
    }
    // Each delivery: local peer -> groups it delivers to (plain counted as
    // the group "").
    std::map<Local, std::vector<std::string>> got;
    RouteResult first;
    RouteRequest request{"A", subject, PeerId{origin.second}, served};
    ASSERT_EQ(routers_[origin.first]->Route(request, &first), RouteError::kOk);
    for (const RouteTarget& t : first.targets()) {
      if (t.peer.value < kRouterIdBase) {
        auto& groups = got[{origin.first, t.peer.value}];
        groups.push_back("");
        groups.insert(groups.end(), t.queues.begin(), t.queues.end());
        continue;
      }
      // The second hop: the other router routes what it was sent.
      const int other = static_cast<int>(t.peer.value - kRouterIdBase);
      RouteRequest hop{"A", subject, PeerId{kRouterIdBase + origin.first}, {}};
      hop.queue_choice = true;
      hop.chosen_queues = t.queues;
      RouteResult second;
      ASSERT_EQ(routers_[other]->Route(hop, &second), RouteError::kOk);
      for (const RouteTarget& u : second.targets()) {
        ASSERT_LT(u.peer.value, kRouterIdBase) << "a third hop";
        auto& groups = got[{other, u.peer.value}];
        groups.push_back("");
        groups.insert(groups.end(), u.queues.begin(), u.queues.end());
      }
    }

    std::map<std::string, int> group_deliveries;
    for (const auto& [local, groups] : got) {
      EXPECT_NE(local, origin);
      EXPECT_TRUE(Reachable(origin.first, local.first));
      EXPECT_EQ(std::count(groups.begin(), groups.end(), ""), 1)
          << "one copy per peer";
      for (const std::string& q : groups) {
        if (q.empty()) continue;
        EXPECT_TRUE(Holds(local, subject, q)) << q;
        ++group_deliveries[q];
      }
    }
    for (int i = 0; i < kRouters; ++i) {
      if (!Reachable(origin.first, i)) continue;
      for (uint64_t id = 1; id <= kLocalsPerRouter; ++id) {
        const Local local{i, id};
        if (local != origin && Holds(local, subject, "")) {
          EXPECT_TRUE(got.contains(local)) << "plain interest missed";
        }
      }
    }
    for (std::string q : {"q1", "q2"}) {
      bool has_member = false;
      for (int i = 0; i < kRouters; ++i) {
        if (!Reachable(origin.first, i)) continue;
        for (uint64_t id = 1; id <= kLocalsPerRouter; ++id) {
          if (Local{i, id} != origin && Holds({i, id}, subject, q)) {
            has_member = true;
          }
        }
      }
      const bool is_served =
          std::find(served.begin(), served.end(), q) != served.end();
      EXPECT_EQ(group_deliveries[q], has_member && !is_served ? 1 : 0)
          << "group " << q << " on " << subject;
    }
  }

  std::mt19937_64 rng_;
  std::vector<std::unique_ptr<Router>> routers_;
  std::set<std::pair<int, int>> linked_;
  std::map<Local, std::map<Key, int64_t>> held_;
  std::map<Local, testing::Views> views_;
};

TEST(RouterMeshTest, FullMeshAgreesWithBruteForce) {
  for (uint64_t seed : {1, 2, 3, 4}) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    Mesh mesh(seed);
    mesh.Run(2000);
    if (HasFailure()) return;
  }
}

}  // namespace
}  // namespace meridian::router
