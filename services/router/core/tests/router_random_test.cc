// Randomized property test: random local and router peers, plain and queue
// interest on wildcard subjects, removals, resets and messages, checked
// against a brute-force model after every step:
// * each local peer's view (the sum of the deltas it received) equals the
//   union of the other peers' interest (plain: 0/1, queue: the member
//   count); a router peer's view equals the union of the local peers' only;
// * one step never sends two deltas for the same key to the same peer, nor
//   a zero delta;
// * every message reaches exactly the candidate peers with matching plain
//   interest, plus for each wanted matching group exactly one candidate
//   holding members of it; a peer at most once. Candidates: every peer but
//   the origin, only local peers when the origin is a router. Wanted: the
//   groups not served by a local origin, the groups chosen by a router
//   origin (queue_choice).
#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "common/subjects/subject.h"
#include "gtest/gtest.h"
#include "services/router/core/router.h"
#include "services/router/core/tests/test_util.h"

namespace meridian::router {
namespace {

using Key = std::tuple<std::string, std::string, std::string>;  // acc,subj,q

class Model {
 public:
  std::map<uint64_t, std::map<Key, int64_t>> held;  // peer -> key -> count
  std::set<uint64_t> routers;                        // peers of kind kRouter

  // Whether `peer` may receive what `origin` sends (split horizon).
  bool Candidate(uint64_t origin, uint64_t peer) const {
    return peer != origin &&
           !(routers.contains(origin) && routers.contains(peer));
  }

  std::map<Key, int64_t> ExpectedView(uint64_t peer) const {
    std::map<Key, int64_t> view;
    for (const auto& [other, keys] : held) {
      if (other == peer) continue;
      if (routers.contains(peer) && routers.contains(other)) continue;
      for (const auto& [key, count] : keys) view[key] += count;
    }
    for (auto it = view.begin(); it != view.end();) {
      if (it->second == 0) {
        it = view.erase(it);
      } else {
        if (std::get<2>(it->first).empty()) it->second = 1;
        ++it;
      }
    }
    return view;
  }
};

class RandomRun {
 public:
  explicit RandomRun(uint64_t seed)
      : rng_(seed), router_(RouterOptions{.seed = seed * 7 + 1}) {}

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

  std::string Pattern() { return RandomPattern(rng_, 3); }
  std::string Literal() { return RandomLiteral(rng_, 3); }
  Key RandomKey() {
    static const char* kQueues[] = {"", "", "q1", "q2"};
    return Key{Rand(4) == 0 ? "B" : "A", Pattern(), kQueues[Rand(4)]};
  }
  uint64_t RandomPeer() {
    auto it = model_.held.begin();
    std::advance(it, Rand(static_cast<int>(model_.held.size())));
    return it->first;
  }

  // Records `out` into the views, checking one step's minimality.
  void Record(const std::vector<OutboundDelta>& out) {
    std::set<std::tuple<uint64_t, std::string, std::string, std::string>> seen;
    for (const OutboundDelta& d : out) {
      EXPECT_NE(d.delta.count, 0);
      EXPECT_TRUE(model_.held.contains(d.peer.value));
      EXPECT_TRUE(seen.emplace(d.peer.value, d.delta.account, d.delta.subject,
                               d.delta.queue)
                      .second)
          << "two deltas for one key to one peer";
    }
    views_.Add(out);
  }

  void Step() {
    const int op = Rand(100);
    std::vector<OutboundDelta> out;
    if (model_.held.size() < 2 || (op < 5 && model_.held.size() < 6)) {
      const uint64_t id = next_peer_++;
      const bool is_router = Rand(3) == 0;
      ASSERT_TRUE(router_
                      .AddPeer(PeerId{id},
                               is_router ? PeerKind::kRouter
                                         : PeerKind::kFrontend,
                               &out)
                      .ok());
      model_.held[id];
      if (is_router) model_.routers.insert(id);
      for (const OutboundDelta& d : out) EXPECT_EQ(d.peer.value, id);
      Record(out);
    } else if (op < 8) {
      const uint64_t id = RandomPeer();
      ASSERT_TRUE(router_.RemovePeer(PeerId{id}, &out).ok());
      model_.held.erase(id);
      model_.routers.erase(id);
      views_.Drop(PeerId{id});
      Record(out);
    } else if (op < 11) {
      const uint64_t id = RandomPeer();
      // Keep some of what it holds, change some, add some.
      std::vector<InterestDelta> full;
      std::map<Key, int64_t> next;
      for (const auto& [key, count] : model_.held[id]) {
        if (Rand(3) == 0) continue;
        const int64_t c = Rand(2) == 0 ? count : 1 + Rand(3);
        next[key] += c;
        full.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key),
                        static_cast<int32_t>(c)});
      }
      for (int i = Rand(3); i > 0; --i) {
        Key key = RandomKey();
        next[key] += 1;
        full.push_back(
            {std::get<0>(key), std::get<1>(key), std::get<2>(key), 1});
      }
      ASSERT_TRUE(router_.ResetPeer(PeerId{id}, full, &out).ok());
      model_.held[id] = next;
      Record(out);
    } else if (op < 55) {
      const uint64_t id = RandomPeer();
      auto& keys = model_.held[id];
      if (!keys.empty() && Rand(2) == 0) {
        auto it = keys.begin();
        std::advance(it, Rand(static_cast<int>(keys.size())));
        const int32_t c = -static_cast<int32_t>(1 + Rand(it->second));
        const Key key = it->first;
        ASSERT_TRUE(router_
                        .ApplyInterest(PeerId{id},
                                       {std::get<0>(key), std::get<1>(key),
                                        std::get<2>(key), c},
                                       &out)
                        .ok());
        if ((it->second += c) == 0) keys.erase(it);
      } else {
        const Key key = RandomKey();
        const int32_t c = 1 + Rand(2);
        ASSERT_TRUE(router_
                        .ApplyInterest(PeerId{id},
                                       {std::get<0>(key), std::get<1>(key),
                                        std::get<2>(key), c},
                                       &out)
                        .ok());
        keys[key] += c;
      }
      Record(out);
    } else {
      CheckMessage();
    }
  }

  void CheckViews() {
    for (const auto& [id, keys] : model_.held) {
      EXPECT_EQ(views_.Of(PeerId{id}), model_.ExpectedView(id))
          << "view of peer " << id;
    }
  }

  void CheckMessage() {
    const uint64_t origin = RandomPeer();
    const std::string account = Rand(4) == 0 ? "B" : "A";
    const std::string subject = Literal();
    // A router passes on what it routed (queue_choice); a local peer its
    // own publishes.
    const bool queue_choice = model_.routers.contains(origin);
    std::vector<std::string_view> listed;
    if (Rand(3) == 0) listed.push_back("q1");
    if (Rand(4) == 0) listed.push_back("q2");
    RouteRequest request{account, subject, PeerId{origin}, {}};
    request.queue_choice = queue_choice;
    (queue_choice ? request.chosen_queues : request.served_queues) = listed;
    ASSERT_EQ(router_.Route(request, &result_), RouteError::kOk);

    // Brute force.
    std::set<uint64_t> plain;
    std::map<std::string, std::set<uint64_t>> holders;
    for (const auto& [id, keys] : model_.held) {
      if (!model_.Candidate(origin, id)) continue;
      for (const auto& [key, count] : keys) {
        const auto& [acc, pattern, queue] = key;
        if (acc != account || !subjects::SubjectMatches(pattern, subject)) {
          continue;
        }
        const bool is_listed =
            std::find(listed.begin(), listed.end(), queue) != listed.end();
        if (queue.empty()) {
          plain.insert(id);
        } else if (is_listed == queue_choice) {
          holders[queue].insert(id);
        }
      }
    }
    std::set<uint64_t> targets;
    std::map<std::string, int> times_chosen;
    for (const RouteTarget& t : result_.targets()) {
      EXPECT_TRUE(model_.Candidate(origin, t.peer.value)) << t.peer.value;
      EXPECT_TRUE(targets.insert(t.peer.value).second) << "peer twice";
      EXPECT_EQ(t.plain, plain.contains(t.peer.value));
      bool chosen_for_something = t.plain;
      for (std::string_view q : t.queues) {
        ++times_chosen[std::string(q)];
        ASSERT_TRUE(holders.contains(std::string(q))) << q;
        EXPECT_TRUE(holders[std::string(q)].contains(t.peer.value)) << q;
        chosen_for_something = true;
      }
      EXPECT_TRUE(chosen_for_something);
    }
    for (const auto& [q, ids] : holders) {
      EXPECT_EQ(times_chosen[q], 1) << "group " << q << " on " << subject;
    }
    for (const auto& [q, n] : times_chosen) EXPECT_TRUE(holders.contains(q));
    for (uint64_t id : plain) EXPECT_TRUE(targets.contains(id));
  }

  std::mt19937_64 rng_;
  Router router_;
  RouteResult result_;
  Model model_;
  testing::Views views_;
  uint64_t next_peer_ = 1;
};

TEST(RouterRandomTest, AgreesWithBruteForce) {
  for (uint64_t seed : {1, 2, 3, 4, 5, 6}) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    RandomRun run(seed);
    run.Run(3000);
    if (HasFailure()) return;
  }
}

}  // namespace
}  // namespace meridian::router
