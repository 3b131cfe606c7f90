// StreamStore::Purge: all, filtered, below (Compact), keep, filter + keep,
// below beyond the end.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "services/jetstream/store/store.h"
#include "services/jetstream/store/tests/store_model.h"

namespace meridian::jetstream {
namespace {

using testing::TempDir;

// Parameter: reopen (empty tail cache, RocksDB paths) before purging.
class PurgeTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    StoreOptions o;
    o.path = dir_.path();
    options_ = o;
    Open();
    auto c = store_->Create("S", "");
    ASSERT_TRUE(c.ok());
    stream_ = *c;
  }

  void Open() {
    auto s = Store::Open(options_);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
    stream_ = store_->Find("S");
  }

  void MaybeReopen() {
    if (!GetParam()) return;
    ASSERT_TRUE(store_->Close().ok());
    store_.reset();
    Open();
  }

  // 1 a, 2 b, 3 a, 4 c.x, 5 b, 6 a, 7 c.y, 8 a, 9 b, 10 a
  void Fill() {
    int64_t ts = 1;
    for (const char* s : {"a", "b", "a", "c.x", "b", "a", "c.y", "a", "b", "a"}) {
      ASSERT_TRUE(stream_->Append(s, "", "0123456789", ts++).ok());
    }
    MaybeReopen();
  }

  uint64_t Purge(const std::string& filter, StreamSeq below, uint64_t keep,
                 bool per_subject = true) {
    PurgeOptions p;
    p.filter = filter;
    p.below = below;
    p.keep = keep;
    p.keep_per_subject = per_subject;
    auto n = stream_->Purge(p);
    EXPECT_TRUE(n.ok()) << n.status();
    return n.ok() ? *n : 0;
  }

  std::vector<StreamSeq> Seqs() {
    std::vector<StreamSeq> out;
    StoredMessage m;
    for (StreamSeq s = 0; stream_->LoadNext({}, s, &m).ok(); s = m.seq + 1) out.push_back(m.seq);
    return out;
  }

  TempDir dir_;
  StoreOptions options_;
  std::unique_ptr<Store> store_;
  StreamStore* stream_ = nullptr;
};

TEST_P(PurgeTest, All) {
  Fill();
  EXPECT_EQ(Purge("", 0, 0), 10u);
  StreamState st = stream_->State();
  EXPECT_EQ(st.msgs, 0u);
  EXPECT_EQ(st.bytes, 0u);
  EXPECT_EQ(st.first_seq, 11u);
  EXPECT_EQ(st.last_seq, 10u);
  EXPECT_EQ(st.num_subjects, 0u);
  EXPECT_EQ(store_->total_bytes(), 0u);
  ASSERT_TRUE(stream_->Append("z", "", "", 1).ok());
  EXPECT_EQ(stream_->State().first_seq, 11u);
  MaybeReopen();
  EXPECT_EQ(Seqs(), (std::vector<StreamSeq>{11}));
}

TEST_P(PurgeTest, Filter) {
  Fill();
  EXPECT_EQ(Purge("a", 0, 0), 5u);
  EXPECT_EQ(Seqs(), (std::vector<StreamSeq>{2, 4, 5, 7, 9}));
  EXPECT_EQ(stream_->State().first_seq, 2u);
  EXPECT_EQ(stream_->State().num_deleted, 4u);  // 3 6 8 10 (last_seq stays 10)
  EXPECT_EQ(Purge("c.*", 0, 0), 2u);
  EXPECT_EQ(Seqs(), (std::vector<StreamSeq>{2, 5, 9}));
  EXPECT_EQ(stream_->Subject("a").msgs, 0u);
  EXPECT_EQ(stream_->State().num_subjects, 1u);
  MaybeReopen();
  EXPECT_EQ(Seqs(), (std::vector<StreamSeq>{2, 5, 9}));
  EXPECT_EQ(stream_->DeletedSeqs(), (std::vector<StreamSeq>{3, 4, 6, 7, 8, 10}));
}

TEST_P(PurgeTest, Below) {
  Fill();
  EXPECT_EQ(Purge("", 4, 0), 3u);
  EXPECT_EQ(stream_->State().first_seq, 4u);
  EXPECT_EQ(stream_->State().first_ts_ns, 4);
  EXPECT_EQ(stream_->Subject("a").first_seq, 6u);
  EXPECT_EQ(stream_->Subject("b").first_seq, 5u);
  EXPECT_EQ(Purge("", 2, 0), 0u);  // below first: nothing
  // Filter + below: only matching messages under the boundary.
  EXPECT_EQ(Purge("a", 9, 0), 2u);
  EXPECT_EQ(Seqs(), (std::vector<StreamSeq>{4, 5, 7, 9, 10}));
  MaybeReopen();
  EXPECT_EQ(Seqs(), (std::vector<StreamSeq>{4, 5, 7, 9, 10}));
}

TEST_P(PurgeTest, BelowBeyondEndMovesFirstSeq) {
  Fill();
  EXPECT_EQ(Purge("", 20, 0), 10u);
  StreamState st = stream_->State();
  EXPECT_EQ(st.msgs, 0u);
  EXPECT_EQ(st.first_seq, 20u);
  EXPECT_EQ(st.last_seq, 19u);
  MaybeReopen();
  auto seq = stream_->Append("a", "", "", 1);
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(*seq, 20u);
  // Exactly last + 1: everything goes, first = last + 1.
  EXPECT_EQ(Purge("", 21, 0), 1u);
  EXPECT_EQ(stream_->State().first_seq, 21u);
  EXPECT_EQ(stream_->State().last_seq, 20u);
}

TEST_P(PurgeTest, Keep) {
  Fill();
  EXPECT_EQ(Purge("", 0, 3), 7u);
  EXPECT_EQ(Seqs(), (std::vector<StreamSeq>{8, 9, 10}));
  EXPECT_EQ(Purge("", 0, 5), 0u);  // keep >= msgs
  // With an interior delete, keep still keeps `keep` messages.
  ASSERT_TRUE(stream_->Remove(9).ok());
  EXPECT_EQ(Purge("", 0, 1), 1u);
  EXPECT_EQ(Seqs(), (std::vector<StreamSeq>{10}));
}

TEST_P(PurgeTest, FilterKeepPerSubject) {
  Fill();
  // a: 1 3 6 8 10, b: 2 5 9, c.x: 4, c.y: 7
  EXPECT_EQ(Purge("a", 0, 2), 3u);
  EXPECT_EQ(stream_->Subject("a").first_seq, 8u);
  EXPECT_EQ(Purge(">", 0, 0), 7u);  // ">" is everything
  Fill();                           // seqs 11..20 now
  EXPECT_EQ(stream_->State().first_seq, 11u);
  // "*" matches a and b (not c.x, c.y): each keeps its newest 2.
  EXPECT_EQ(Purge("*", 0, 2), 4u);
  EXPECT_EQ(Seqs(), (std::vector<StreamSeq>{14, 15, 17, 18, 19, 20}));
  EXPECT_EQ(stream_->State().first_seq, 14u);
}

TEST_P(PurgeTest, FilterKeepInTotal) {
  Fill();
  // Keep the newest N of all matching messages together.
  EXPECT_EQ(Purge("c.*", 0, 1, /*per_subject=*/false), 1u);
  EXPECT_EQ(Seqs(), (std::vector<StreamSeq>{1, 2, 3, 5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(Purge("*", 0, 3, /*per_subject=*/false), 5u);
  EXPECT_EQ(Seqs(), (std::vector<StreamSeq>{7, 8, 9, 10}));
  EXPECT_EQ(stream_->State().first_seq, 7u);
  MaybeReopen();
  EXPECT_EQ(Seqs(), (std::vector<StreamSeq>{7, 8, 9, 10}));
}

TEST_P(PurgeTest, CompactOverManySubjects) {
  // The per-subject index path (many messages per subject below the boundary).
  for (int i = 0; i < 2000; ++i) {
    ASSERT_TRUE(stream_->Append("s." + std::to_string(i % 3), "", "x", i + 1).ok());
  }
  MaybeReopen();
  EXPECT_EQ(Purge("", 1501, 0), 1500u);
  StreamState st = stream_->State();
  EXPECT_EQ(st.msgs, 500u);
  EXPECT_EQ(st.first_seq, 1501u);
  EXPECT_EQ(st.first_ts_ns, 1501);
  EXPECT_EQ(stream_->Subject("s.0").first_seq, 1501u);
  EXPECT_EQ(stream_->Subject("s.1").first_seq, 1502u);
  EXPECT_EQ(stream_->NumPending({"s.2"}, 0, false), 166u);
  MaybeReopen();
  EXPECT_EQ(stream_->State().msgs, 500u);
  EXPECT_EQ(stream_->Subject("s.2").first_seq, 1503u);
}

INSTANTIATE_TEST_SUITE_P(Cache, PurgeTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Reopened" : "Cached"; });

}  // namespace
}  // namespace meridian::jetstream
