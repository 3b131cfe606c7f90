// Helpers shared by the routing-core tests.
#ifndef MERIDIAN_SERVICES_ROUTER_CORE_TESTS_TEST_UTIL_H_
#define MERIDIAN_SERVICES_ROUTER_CORE_TESTS_TEST_UTIL_H_

#include <cstdint>
#include <map>
#include <ostream>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "services/router/core/router.h"
#include "services/router/core/types.h"

namespace meridian::router {

void PrintTo(const OutboundDelta& d, std::ostream* os);

namespace testing {

inline PeerId P(uint64_t v) { return PeerId{v}; }

// An InterestDelta on account "A" (the common case of the tests).
InterestDelta D(std::string subject, int32_t count, std::string queue = "",
                std::string account = "A");
OutboundDelta To(uint64_t peer, std::string subject, int32_t count,
                 std::string queue = "", std::string account = "A");

// Sorted copy, for order-independent comparison.
std::vector<OutboundDelta> Sorted(std::vector<OutboundDelta> deltas);

// Applies a delta and returns what the router emitted (fails the test on an
// error status).
std::vector<OutboundDelta> Apply(Router& router, uint64_t from,
                                 const InterestDelta& delta);

// What each peer has been told: the sum of the counts it received per
// (account, subject, queue); zero entries are dropped.
class Views {
 public:
  using Key = std::tuple<std::string, std::string, std::string>;
  void Add(const std::vector<OutboundDelta>& deltas);
  void Drop(PeerId peer) { views_.erase(peer.value); }
  const std::map<Key, int64_t>& Of(PeerId peer) { return views_[peer.value]; }

 private:
  std::map<uint64_t, std::map<Key, int64_t>> views_;
};

}  // namespace testing
// Random subjects of 1..max_tokens tokens from a, b (and c for literals):
// a pattern may end in '>' and hold '*' anywhere.
std::string RandomPattern(std::mt19937_64& rng, int max_tokens);
std::string RandomLiteral(std::mt19937_64& rng, int max_tokens);

}  // namespace meridian::router

#endif  // MERIDIAN_SERVICES_ROUTER_CORE_TESTS_TEST_UTIL_H_
