// Routing one message with 3 peers and 10k subscriptions in the index
// (match-cache hit path).
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "services/router/core/router.h"

namespace meridian::router {
namespace {

void Populate(Router& router) {
  std::vector<OutboundDelta> out;
  for (uint64_t id : {1, 2, 3}) {
    (void)router.AddPeer(PeerId{id}, PeerKind::kFrontend, &out);
  }
  for (int i = 0; i < 10000; ++i) {
    const uint64_t peer = 1 + i % 3;
    InterestDelta delta{"A", "svc." + std::to_string(i) + ".*",
                        i % 10 == 0 ? "q" : "", 1};
    (void)router.ApplyInterest(PeerId{peer}, delta, &out);
    out.clear();
  }
  (void)router.ApplyInterest(PeerId{2}, {"A", "svc.42.>", "", 1}, &out);
  (void)router.ApplyInterest(PeerId{3}, {"A", "svc.42.*", "w", 1}, &out);
}

void BM_RoutePlainAndQueue(benchmark::State& state) {
  Router router;
  Populate(router);
  RouteResult result;
  RouteRequest request{"A", "svc.42.x", PeerId{1}, {}};
  for (auto _ : state) {
    benchmark::DoNotOptimize(router.Route(request, &result));
    benchmark::DoNotOptimize(result.size());
  }
}
BENCHMARK(BM_RoutePlainAndQueue);

void BM_RouteNoInterest(benchmark::State& state) {
  Router router;
  Populate(router);
  RouteResult result;
  RouteRequest request{"A", "other.subject", PeerId{1}, {}};
  for (auto _ : state) {
    benchmark::DoNotOptimize(router.Route(request, &result));
  }
}
BENCHMARK(BM_RouteNoInterest);

}  // namespace
}  // namespace meridian::router
