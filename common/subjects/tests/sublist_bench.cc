// Subscription index benchmarks over a trie of 10k subscriptions.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "common/subjects/local_match_cache.h"
#include "common/subjects/subject.h"
#include "common/subjects/sublist.h"

namespace meridian::subjects {
namespace {

constexpr int kSubs = 10000;

// 9k literal subscriptions spread over a 3-level tree, 1k wildcard ones, a
// tenth of all in queue groups.
struct Fixture {
  std::vector<std::unique_ptr<Subscription>> subs;
  std::vector<std::string> subjects;  // literal subjects that match something

  explicit Fixture(Sublist* sl) {
    for (int i = 0; i < kSubs; ++i) {
      auto s = std::make_unique<Subscription>();
      const std::string region = "r" + std::to_string(i % 10);
      const std::string svc = "svc" + std::to_string((i / 10) % 100);
      if (i % 10 == 9) {
        s->subject = (i % 20 == 9) ? "orders." + region + ".*.created"
                                   : "orders." + region + "." + svc + ".>";
      } else {
        s->subject = "orders." + region + "." + svc + ".id" + std::to_string(i);
        subjects.push_back(s->subject);
      }
      if (i % 10 == 3) s->queue = "workers";
      s->sid = std::to_string(i);
      if (sl->Insert(s.get()) != SublistError::kOk) std::abort();
      subs.push_back(std::move(s));
    }
  }
};

void BM_MatchCacheHit(benchmark::State& state) {
  Sublist sl;
  Fixture f(&sl);
  const std::string& subject = f.subjects[1234];
  sl.Match(subject);
  for (auto _ : state) {
    MatchResultPtr r = sl.Match(subject);
    benchmark::DoNotOptimize(r->fanout());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MatchCacheHit);

// Trie walk and result construction (cache disabled).
void BM_MatchCacheMiss(benchmark::State& state) {
  SublistOptions options;
  options.cache_enabled = false;
  Sublist sl(options);
  Fixture f(&sl);
  size_t i = 0;
  for (auto _ : state) {
    MatchResultPtr r = sl.Match(f.subjects[i++ % f.subjects.size()]);
    benchmark::DoNotOptimize(r->fanout());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MatchCacheMiss);

// Cache on, but the subjects cycle through 9k distinct ones: every Match is
// a miss that also fills (and periodically sweeps) the cache.
void BM_MatchCacheMissAndFill(benchmark::State& state) {
  Sublist sl;
  Fixture f(&sl);
  size_t i = 0;
  for (auto _ : state) {
    MatchResultPtr r = sl.Match(f.subjects[(i++ * 7919) % f.subjects.size()]);
    benchmark::DoNotOptimize(r->fanout());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["hit_rate"] = sl.Stats().cache_hit_rate;
}
BENCHMARK(BM_MatchCacheMissAndFill);

void BM_MatchNoInterest(benchmark::State& state) {
  Sublist sl;
  Fixture f(&sl);
  sl.Match("nobody.listens.here");
  for (auto _ : state) {
    MatchResultPtr r = sl.Match("nobody.listens.here");
    benchmark::DoNotOptimize(r->empty());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MatchNoInterest);

// The per-loop L1 in front of the shared sublist.
void BM_LocalCacheHit(benchmark::State& state) {
  Sublist sl;
  Fixture f(&sl);
  LocalMatchCache l1(&sl);
  const std::string& subject = f.subjects[1234];
  l1.Match(subject);
  for (auto _ : state) {
    const MatchResult& r = l1.Match(subject);
    benchmark::DoNotOptimize(r.fanout());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LocalCacheHit);

// Unique subjects through the per-loop cache, as a frontend sees JetStream
// acks: each matches a wildcard (arg 1) or nothing (arg 0); results are
// released every 256 matches, like a loop turn.
void BM_LocalCacheUniqueSubjects(benchmark::State& state) {
  Sublist sl;
  Fixture f(&sl);
  Subscription acks;
  acks.subject = "$JS.ACK.>";
  acks.sid = "acks";
  if (state.range(0) >= 1 && sl.Insert(&acks) != SublistError::kOk) std::abort();
  // Arg 2: a reply inbox answered by its last-token prefix as well (as on a
  // frontend delivering pulled messages while their acks come in).
  Subscription inbox;
  inbox.subject = "_INBOX.abc.*";
  inbox.sid = "inbox";
  if (state.range(0) == 2 && sl.Insert(&inbox) != SublistError::kOk) std::abort();
  LocalMatchCache l1(&sl);
  if (state.range(0) == 2) {
    for (int n = 0; n < 3; ++n) l1.Match("_INBOX.abc." + std::to_string(n));
  }
  // Built up front: 64k distinct subjects, cycled (far apart for admission).
  std::vector<std::string> subjects;
  for (uint64_t seq = 1; seq <= 65536; ++seq) {
    subjects.push_back("$JS.ACK.ORDERS.worker.1." + std::to_string(seq) + "." +
                       std::to_string(seq) + ".1764400000000000000.5");
  }
  size_t i = 0;
  for (auto _ : state) {
    const MatchResult& r = l1.Match(subjects[i++ & 65535]);
    benchmark::DoNotOptimize(r.fanout());
    if (i % 256 == 0) l1.Quiesce();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LocalCacheUniqueSubjects)->Arg(0)->Arg(1)->Arg(2);

void BM_InsertRemove(benchmark::State& state) {
  Sublist sl;
  Fixture f(&sl);
  sl.Match(f.subjects[0]);
  Subscription sub;
  sub.subject = "orders.r1.svc7.idnew";
  for (auto _ : state) {
    if (sl.Insert(&sub) != SublistError::kOk) std::abort();
    if (sl.Remove(&sub) != SublistError::kOk) std::abort();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InsertRemove);

void BM_SubjectMatches(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        SubjectMatches("orders.*.svc7.>", "orders.r1.svc7.id77.created"));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SubjectMatches);

}  // namespace
}  // namespace meridian::subjects
