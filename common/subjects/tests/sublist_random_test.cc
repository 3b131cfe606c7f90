// The Sublist (with its cache, a small one to force sweeps, and a
// LocalMatchCache in front) against a brute-force matcher over the live
// subscriptions, with inserts and removes interleaved with matches.
// Seeded and bounded.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "common/subjects/local_match_cache.h"
#include "common/subjects/subject.h"
#include "common/subjects/sublist.h"

namespace meridian::subjects {
namespace {

struct Expected {
  std::set<Subscription*> plain;
  std::map<std::string, std::set<Subscription*>> groups;
  bool operator==(const Expected&) const = default;
};

Expected FromResult(const MatchResult& r) {
  Expected e;
  e.plain.insert(r.psubs.begin(), r.psubs.end());
  for (const QueueGroupMatch& g : r.qsubs) {
    auto& set = e.groups[std::string(g.name)];
    EXPECT_TRUE(set.empty()) << "queue group " << g.name << " listed twice";
    set.insert(g.members.begin(), g.members.end());
    EXPECT_EQ(set.size(), g.members.size()) << "duplicate member";
  }
  EXPECT_EQ(e.plain.size(), r.psubs.size()) << "duplicate plain subscriber";
  return e;
}

class RandomSublistTest : public ::testing::TestWithParam<uint32_t> {
 protected:
  std::string Token(bool wildcards) {
    static const char* kLiteral[] = {"a", "b", "c", "dd"};
    int n = wildcards ? 6 : 4;
    int k = std::uniform_int_distribution<int>(0, n - 1)(rng_);
    if (k == 4) return "*";
    if (k == 5) return ">";
    return kLiteral[k];
  }

  // A subscription subject: 1-4 tokens; '>' only last.
  std::string Pattern() {
    int len = std::uniform_int_distribution<int>(1, 4)(rng_);
    std::string s;
    for (int i = 0; i < len; ++i) {
      std::string t = Token(true);
      if (t == ">" && i + 1 < len) t = "*";
      if (i > 0) s += '.';
      s += t;
    }
    return s;
  }

  // A published subject: mostly literal, sometimes with wildcard tokens
  // (taken literally) or invalid.
  std::string Literal() {
    int len = std::uniform_int_distribution<int>(1, 5)(rng_);
    bool wild = std::uniform_int_distribution<int>(0, 9)(rng_) == 0;
    std::string s;
    for (int i = 0; i < len; ++i) {
      if (i > 0) s += '.';
      s += Token(wild);
    }
    if (std::uniform_int_distribution<int>(0, 49)(rng_) == 0) s += '.';
    // Tokens never subscribed to, as reply inboxes and $JS.ACK subjects have:
    // the loop cache answers those by prefix (MatchScope).
    const int unique = std::uniform_int_distribution<int>(0, 9)(rng_);
    if (unique < 3) s += ".u" + std::to_string(++unique_);
    if (unique == 3) s += ".u" + std::to_string(++unique_) + "." + Token(false);
    return s;
  }

  uint64_t unique_ = 0;

  std::mt19937 rng_{GetParam()};
};

TEST_P(RandomSublistTest, AgreesWithBruteForce) {
  SublistOptions options;
  options.cache_max = 24;
  options.cache_sweep = 6;
  Sublist sl(options);
  LocalMatchCache l1(&sl, /*max_entries=*/16, /*prune_count=*/4);
  std::vector<std::unique_ptr<Subscription>> storage;
  std::vector<Subscription*> live;
  std::uniform_int_distribution<int> pct(0, 99);

  auto brute = [&](const std::string& subject) {
    Expected e;
    for (Subscription* s : live) {
      if (!SubjectMatches(s->subject, subject)) continue;
      if (s->queue.empty()) {
        e.plain.insert(s);
      } else {
        e.groups[s->queue].insert(s);
      }
    }
    return e;
  };

  for (int step = 0; step < 6000; ++step) {
    int op = pct(rng_);
    if (op < 30 || live.empty()) {
      auto sub = std::make_unique<Subscription>();
      sub->subject = Pattern();
      int q = pct(rng_);
      sub->queue = q < 60 ? "" : (q < 80 ? "q1" : "q2");
      ASSERT_EQ(sl.Insert(sub.get()), SublistError::kOk) << sub->subject;
      live.push_back(sub.get());
      storage.push_back(std::move(sub));
    } else if (op < 50) {
      size_t i =
          std::uniform_int_distribution<size_t>(0, live.size() - 1)(rng_);
      ASSERT_EQ(sl.Remove(live[i]), SublistError::kOk);
      live.erase(live.begin() + static_cast<long>(i));
    } else if (op < 52) {
      // A connection closing: remove a handful at once.
      std::vector<Subscription*> batch;
      for (int k = 0; k < 5 && !live.empty(); ++k) {
        size_t i =
            std::uniform_int_distribution<size_t>(0, live.size() - 1)(rng_);
        batch.push_back(live[i]);
        live.erase(live.begin() + static_cast<long>(i));
      }
      ASSERT_EQ(sl.RemoveBatch(batch), SublistError::kOk);
    } else {
      std::string subject = Literal();
      Expected want = brute(subject);
      ASSERT_EQ(FromResult(*sl.Match(subject)), want) << subject;
      ASSERT_EQ(FromResult(l1.Match(subject)), want) << "L1 " << subject;
      ASSERT_EQ(sl.HasInterest(subject),
                !want.plain.empty() || !want.groups.empty())
          << subject;
      if (step % 16 == 0) l1.Quiesce();
    }
    ASSERT_EQ(sl.Count(), live.size());
    ASSERT_LE(sl.CacheCount(), options.cache_max);
  }
  // Everything removed leaves an empty index.
  ASSERT_EQ(sl.RemoveBatch(live), SublistError::kOk);
  std::vector<Subscription*> all;
  sl.All(&all);
  EXPECT_TRUE(all.empty());
  EXPECT_EQ(sl.Count(), 0u);
  SublistStats st = sl.Stats();
  EXPECT_EQ(st.num_inserts, storage.size());
  EXPECT_EQ(st.num_removes, storage.size());
  EXPECT_GT(st.cache_hit_rate, 0.0);
  EXPECT_GT(l1.prefix_hits(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Seeds, RandomSublistTest,
                         ::testing::Values(1u, 42u, 2024u, 77777u, 5u, 6u, 7u, 8u));

}  // namespace
}  // namespace meridian::subjects
