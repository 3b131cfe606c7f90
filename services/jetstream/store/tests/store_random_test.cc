// Randomized: random appends over ~20 subjects, removes, purges, loads and
// counts, checked against the brute-force Model, with reopens in between.
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "services/jetstream/store/store.h"
#include "services/jetstream/store/tests/store_model.h"

namespace meridian::jetstream {
namespace {

using testing::Model;
using testing::TempDir;

// ~20 subjects, or (wide) 150 so that wildcard reads take the scanning paths.
std::vector<std::string> SubjectPool(bool wide) {
  std::vector<std::string> v;
  const int n = wide ? 150 : 20;
  for (int i = 0; i < n; ++i) {
    v.push_back("ev." + std::string(1, static_cast<char>('a' + i % 4)) + ".k" + std::to_string(i));
  }
  v.push_back("other");
  v.push_back("other.deep.x.y");
  return v;
}

const std::vector<std::string>& FilterPool() {
  static const std::vector<std::string> pool = {
      ">",       "ev.>",    "ev.a.*",    "ev.*.k3",  "*.b.*",  "ev.c.k2", "other",
      "other.>", "ev.a.k0", "nomatch.>", "ev.d.k19", "*.*.k1", "ev.b.k5", "*"};
  return pool;
}

class RandomStoreTest : public ::testing::TestWithParam<int> {};

void ExpectSameState(StreamStore* s, const Model& m, const std::string& where) {
  SCOPED_TRACE(where);
  StreamState a = s->State();
  StreamState b = m.State();
  ASSERT_EQ(a.msgs, b.msgs);
  ASSERT_EQ(a.bytes, b.bytes);
  ASSERT_EQ(a.first_seq, b.first_seq);
  ASSERT_EQ(a.last_seq, b.last_seq);
  ASSERT_EQ(a.first_ts_ns, b.first_ts_ns);
  ASSERT_EQ(a.last_ts_ns, b.last_ts_ns);
  ASSERT_EQ(a.num_subjects, b.num_subjects);
  ASSERT_EQ(a.num_deleted, b.num_deleted);
}

void ExpectSameSubjects(StreamStore* s, const Model& m, const std::string& filter) {
  SCOPED_TRACE("Subjects " + filter);
  auto a = s->Subjects(filter);
  auto b = m.Subjects(filter);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].first, b[i].first);
    ASSERT_EQ(a[i].second.msgs, b[i].second.msgs) << a[i].first;
    ASSERT_EQ(a[i].second.first_seq, b[i].second.first_seq) << a[i].first;
    ASSERT_EQ(a[i].second.last_seq, b[i].second.last_seq) << a[i].first;
  }
}

TEST_P(RandomStoreTest, MatchesModel) {
  const int seed = GetParam();
  std::mt19937_64 rng(seed);
  auto pick = [&](uint64_t n) { return n == 0 ? 0 : rng() % n; };
  TempDir dir;
  StoreOptions opts;
  opts.path = dir.path();
  // Vary the tail cache: none, tiny (evicts constantly), default.
  const uint64_t tails[] = {0, 2048, 32ull << 20};
  opts.tail_cache_bytes = tails[seed % 3];
  // Vary the cache of index runs: none to speak of, small, default.
  const uint64_t run_caches[] = {1, 64, 1 << 20};
  opts.run_cache_entries = run_caches[(seed / 3) % 3];
  auto opened = Store::Open(opts);
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::unique_ptr<Store> store = std::move(*opened);
  auto created = store->Create("S", "meta");
  ASSERT_TRUE(created.ok());
  StreamStore* s = *created;
  Model model;
  int64_t now = 1'000'000;

  const std::vector<std::string> subjects = SubjectPool(/*wide=*/seed % 2 == 0);
  const auto& filters = FilterPool();
  auto random_filters = [&] {
    std::vector<std::string> f;
    size_t n = pick(4);  // 0: no filter
    for (size_t i = 0; i < n; ++i) f.push_back(filters[pick(filters.size())]);
    return f;
  };
  auto random_seq = [&] { return 1 + pick(model.last() + 6); };

  for (int step = 0; step < 4000; ++step) {
    const std::string where = "seed " + std::to_string(seed) + " step " + std::to_string(step);
    SCOPED_TRACE(where);
    const uint64_t op = pick(100);
    if (op < 45) {
      // A burst of appends; skewed subjects so some are dense, some rare.
      const int n = 1 + static_cast<int>(pick(8));
      for (int i = 0; i < n; ++i) {
        const std::string& subj = subjects[std::min(pick(subjects.size()), pick(subjects.size()))];
        const std::string hdr = pick(4) == 0 ? "NATS/1.0\r\nA: b\r\n\r\n" : "";
        const std::string data(pick(300), static_cast<char>('a' + pick(26)));
        now += static_cast<int64_t>(pick(3));  // equal times happen
        auto seq = s->Append(subj, hdr, data, now);
        ASSERT_TRUE(seq.ok());
        ASSERT_EQ(*seq, model.Append(subj, hdr, data, now));
      }
    } else if (op < 57) {
      // Remove: mostly the first (limits), sometimes anywhere.
      StreamSeq seq = pick(2) == 0 ? s->State().first_seq : random_seq();
      absl::Status st = s->Remove(seq);
      ASSERT_EQ(st.ok(), model.Remove(seq)) << "remove " << seq << ": " << st;
      if (!st.ok()) {
        ASSERT_TRUE(absl::IsNotFound(st));
      }
    } else if (op < 60) {
      PurgeOptions p;
      const uint64_t kind = pick(6);
      if (kind == 1 || kind == 4) p.filter = filters[pick(filters.size())];
      if (kind == 0 || kind == 1) p.below = random_seq();
      if (kind == 2 || kind == 4 || kind == 5) {
        p.keep = 1 + (pick(2) == 0 ? pick(20) : pick(model.msgs().size() + 5));
      }
      if (kind == 5) p.filter = filters[pick(filters.size())];
      p.keep_per_subject = pick(2) == 0;
      if (kind == 3 && pick(4) != 0) continue;  // full purges rarer
      auto n = s->Purge(p);
      ASSERT_TRUE(n.ok()) << n.status();
      ASSERT_EQ(*n, model.Purge(p)) << "purge filter=" << p.filter << " below=" << p.below
                                    << " keep=" << p.keep << " per=" << p.keep_per_subject;
    } else if (op < 61) {
      if (s->State().msgs != 0 && pick(3) == 0) {
        auto n = s->Purge(PurgeOptions{});
        ASSERT_TRUE(n.ok());
        ASSERT_EQ(*n, model.Purge(PurgeOptions{}));
      }
      // Empty: anywhere from last + 1 on; non-empty: skips, or refusals.
      StreamSeq next = model.last() + pick(6);
      if (next == 0) next = 1;
      ASSERT_EQ(s->SetNextSeq(next).ok(), model.SetNextSeq(next)) << "next seq " << next;
    } else if (op < 70) {
      StreamSeq seq = random_seq();
      StoredMessage msg;
      absl::Status st = s->Load(seq, &msg);
      const Model::Msg* want = model.Load(seq);
      ASSERT_EQ(st.ok(), want != nullptr) << "load " << seq;
      if (want != nullptr) {
        ASSERT_EQ(msg.seq, seq);
        ASSERT_EQ(msg.subject, want->subject);
        ASSERT_EQ(msg.headers, want->headers);
        ASSERT_EQ(msg.data, want->data);
        ASSERT_EQ(msg.ts_ns, want->ts);
      }
    } else if (op < 80) {
      auto f = random_filters();
      StreamSeq start = pick(3) == 0 ? s->State().last_seq - pick(10) : random_seq();
      StoredMessage msg;
      absl::Status st = s->LoadNext(f, start, &msg);
      StreamSeq want = model.LoadNext(f, start);
      ASSERT_EQ(st.ok() ? msg.seq : 0, want) << "next from " << start;
      if (want != 0) {
        ASSERT_EQ(msg.subject, model.Load(want)->subject);
      }
    } else if (op < 83) {
      const std::string& f = filters[pick(filters.size())];
      StoredMessage msg;
      absl::Status st = s->LoadLast(f, &msg);
      ASSERT_EQ(st.ok() ? msg.seq : 0, model.LoadLast(f)) << "last " << f;
    } else if (op < 92) {
      auto f = random_filters();
      StreamSeq start = random_seq();
      bool lps = pick(4) == 0;
      ASSERT_EQ(s->NumPending(f, start, lps), model.NumPending(f, start, lps))
          << "pending from " << start << " lps " << lps << " filters " << f.size();
    } else if (op < 94) {
      int64_t t = now - static_cast<int64_t>(pick(400));
      ASSERT_EQ(s->SeqAtOrAfterTime(t), model.SeqAtOrAfterTime(t)) << "time " << t;
    } else if (op < 96) {
      ExpectSameSubjects(s, model, filters[pick(filters.size())]);
      const std::string& subj = subjects[pick(subjects.size())];
      SubjectState got = s->Subject(subj);
      auto want = model.Subjects(subj);
      ASSERT_EQ(got.msgs, want.empty() ? 0 : want[0].second.msgs);
      ASSERT_EQ(got.first_seq, want.empty() ? 0 : want[0].second.first_seq);
      ASSERT_EQ(got.last_seq, want.empty() ? 0 : want[0].second.last_seq);
      ASSERT_EQ(s->DeletedSeqs(), model.DeletedSeqs());
    } else if (op < 99 || pick(2) == 0) {
      ASSERT_TRUE(store->Commit().ok());
    } else {
      // Reopen: everything must come back the same.
      ASSERT_TRUE(store->Close().ok());
      store.reset();
      auto again = Store::Open(opts);
      ASSERT_TRUE(again.ok()) << again.status();
      store = std::move(*again);
      s = store->Find("S");
      ASSERT_NE(s, nullptr);
      ASSERT_EQ(s->meta(), "meta");
    }
    ExpectSameState(s, model, where);
  }
  ExpectSameSubjects(s, model, "");
  ASSERT_EQ(s->DeletedSeqs(), model.DeletedSeqs());
}

INSTANTIATE_TEST_SUITE_P(Seeds, RandomStoreTest, ::testing::Range(1, 9));

}  // namespace
}  // namespace meridian::jetstream
