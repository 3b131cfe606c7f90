// StreamStore basics: append/load/next/last, removes, counts, reopen,
// consumers and meta, memory kind, stream deletion, crash durability.
#include "services/jetstream/store/store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "rocksdb/db.h"
#include "rocksdb/iterator.h"
#include "rocksdb/write_batch.h"
#include "services/jetstream/store/keys.h"
#include "services/jetstream/store/msg_cache.h"
#include "services/jetstream/store/tests/store_model.h"

namespace meridian::jetstream {
namespace {

using testing::TempDir;
using Filters = std::vector<std::string>;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    if (store_ != nullptr) {
      ASSERT_TRUE(store_->Close().ok());
      store_.reset();
    }
    StoreOptions opts = options();
    auto s = Store::Open(opts);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
    stream_ = store_->Find("S");
    if (stream_ == nullptr) {
      auto c = store_->Create("S", "meta-1");
      ASSERT_TRUE(c.ok());
      stream_ = *c;
    }
  }

  virtual StoreOptions options() {
    StoreOptions o;
    o.path = dir_.path() + "/db";
    return o;
  }

  StreamSeq Add(const std::string& subject, const std::string& data = "x", int64_t ts = 0) {
    auto seq = stream_->Append(subject, "", data, ts != 0 ? ts : ++clock_);
    EXPECT_TRUE(seq.ok());
    return seq.ok() ? *seq : 0;
  }

  StreamSeq Next(const Filters& f, StreamSeq start) {
    StoredMessage m;
    return stream_->LoadNext(f, start, &m).ok() ? m.seq : 0;
  }

  StreamSeq Last(const std::string& f) {
    StoredMessage m;
    return stream_->LoadLast(f, &m).ok() ? m.seq : 0;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  StreamStore* stream_ = nullptr;
  int64_t clock_ = 1000;
};

TEST_F(StoreTest, EmptyStream) {
  StreamState st = stream_->State();
  EXPECT_EQ(st.msgs, 0u);
  EXPECT_EQ(st.first_seq, 0u);
  EXPECT_EQ(st.last_seq, 0u);
  StoredMessage m;
  EXPECT_TRUE(absl::IsNotFound(stream_->Load(1, &m)));
  EXPECT_TRUE(absl::IsNotFound(stream_->LoadNext({}, 1, &m)));
  EXPECT_TRUE(absl::IsNotFound(stream_->LoadLast("", &m)));
  EXPECT_TRUE(absl::IsNotFound(stream_->Remove(1)));
  EXPECT_EQ(stream_->NumPending({}, 1, false), 0u);
  EXPECT_EQ(stream_->SeqAtOrAfterTime(5), 1u);
  EXPECT_EQ(stream_->meta(), "meta-1");
}

TEST_F(StoreTest, AppendLoadAndCounters) {
  auto seq = stream_->Append("orders.new", "NATS/1.0\r\nA: b\r\n\r\n", "hello", 111);
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(*seq, 1u);
  EXPECT_EQ(Add("orders.old", "bye", 222), 2u);
  StoredMessage m;
  ASSERT_TRUE(stream_->Load(1, &m).ok());
  EXPECT_EQ(m.seq, 1u);
  EXPECT_EQ(m.ts_ns, 111);
  EXPECT_EQ(m.subject, "orders.new");
  EXPECT_EQ(m.headers, "NATS/1.0\r\nA: b\r\n\r\n");
  EXPECT_EQ(m.data, "hello");
  StreamState st = stream_->State();
  EXPECT_EQ(st.msgs, 2u);
  EXPECT_EQ(st.bytes, StoredSize("orders.new", "NATS/1.0\r\nA: b\r\n\r\n", "hello") +
                          StoredSize("orders.old", "", "bye"));
  EXPECT_EQ(st.first_seq, 1u);
  EXPECT_EQ(st.last_seq, 2u);
  EXPECT_EQ(st.first_ts_ns, 111);
  EXPECT_EQ(st.last_ts_ns, 222);
  EXPECT_EQ(st.num_subjects, 2u);
  EXPECT_EQ(store_->total_bytes(), st.bytes);
  EXPECT_TRUE(absl::IsInvalidArgument(stream_->Append("", "", "x", 1).status()));
}

TEST_F(StoreTest, LoadNextAndLastWithFilters) {
  Add("a.x");    // 1
  Add("b.y");    // 2
  Add("a.z");    // 3
  Add("c.q.r");  // 4
  Add("a.x");    // 5
  Add("b.y");    // 6
  for (int pass = 0; pass < 2; ++pass) {
    SCOPED_TRACE(pass == 0 ? "tail cache" : "after reopen (RocksDB)");
    EXPECT_EQ(Next({}, 1), 1u);
    EXPECT_EQ(Next({}, 4), 4u);
    EXPECT_EQ(Next({">"}, 6), 6u);
    EXPECT_EQ(Next({}, 7), 0u);
    EXPECT_EQ(Next({"a.x"}, 1), 1u);
    EXPECT_EQ(Next({"a.x"}, 2), 5u);
    EXPECT_EQ(Next({"a.x"}, 6), 0u);
    EXPECT_EQ(Next({"a.*"}, 2), 3u);
    EXPECT_EQ(Next({"*.y"}, 3), 6u);
    EXPECT_EQ(Next({"c.>"}, 1), 4u);
    EXPECT_EQ(Next({"nothing"}, 1), 0u);
    // Several filters: the first message matching any.
    EXPECT_EQ(Next({"b.y", "c.>"}, 3), 4u);
    EXPECT_EQ(Next({"a.x", "a.*"}, 4), 5u);
    EXPECT_EQ(Next({"zz", "b.*"}, 1), 2u);
    EXPECT_EQ(Last(""), 6u);
    EXPECT_EQ(Last(">"), 6u);
    EXPECT_EQ(Last("a.x"), 5u);
    EXPECT_EQ(Last("a.*"), 5u);
    EXPECT_EQ(Last("c.*.*"), 4u);
    EXPECT_EQ(Last("nothing"), 0u);
    Reopen();
  }
}

TEST_F(StoreTest, RemoveInteriorFirstAndLast) {
  for (int i = 0; i < 10; ++i) Add(i % 2 == 0 ? "even" : "odd");
  ASSERT_TRUE(stream_->Remove(4).ok());
  ASSERT_TRUE(stream_->Remove(7).ok());
  EXPECT_TRUE(absl::IsNotFound(stream_->Remove(4)));
  EXPECT_TRUE(absl::IsNotFound(stream_->Remove(11)));
  StreamState st = stream_->State();
  EXPECT_EQ(st.msgs, 8u);
  EXPECT_EQ(st.num_deleted, 2u);
  EXPECT_EQ(stream_->DeletedSeqs(), (std::vector<StreamSeq>{4, 7}));
  StoredMessage m;
  EXPECT_TRUE(absl::IsNotFound(stream_->Load(4, &m)));
  EXPECT_EQ(Next({}, 4), 5u);
  // Removing the first moves first_seq past the gaps' survivors.
  ASSERT_TRUE(stream_->Remove(1).ok());
  ASSERT_TRUE(stream_->Remove(2).ok());
  ASSERT_TRUE(stream_->Remove(3).ok());
  st = stream_->State();
  EXPECT_EQ(st.first_seq, 5u);
  EXPECT_EQ(st.num_deleted, 1u);
  EXPECT_EQ(stream_->DeletedSeqs(), (std::vector<StreamSeq>{7}));
  // Removing the last keeps last_seq (as nats-server).
  ASSERT_TRUE(stream_->Remove(10).ok());
  st = stream_->State();
  EXPECT_EQ(st.last_seq, 10u);
  EXPECT_EQ(st.num_deleted, 2u);
  // "even": seqs 1 3 5 7 9, "odd": 2 4 6 8 10.
  EXPECT_EQ(stream_->Subject("even").last_seq, 9u);
  EXPECT_EQ(stream_->Subject("odd").first_seq, 6u);
  EXPECT_EQ(stream_->Subject("odd").last_seq, 8u);
  EXPECT_EQ(Add("odd"), 11u);
  Reopen();
  st = stream_->State();
  EXPECT_EQ(st.first_seq, 5u);
  EXPECT_EQ(st.last_seq, 11u);
  EXPECT_EQ(st.msgs, 5u);
  EXPECT_EQ(stream_->DeletedSeqs(), (std::vector<StreamSeq>{7, 10}));
}

TEST_F(StoreTest, RemoveEverythingThenAppend) {
  Add("a");
  Add("b");
  ASSERT_TRUE(stream_->Remove(2).ok());
  ASSERT_TRUE(stream_->Remove(1).ok());
  StreamState st = stream_->State();
  EXPECT_EQ(st.msgs, 0u);
  EXPECT_EQ(st.first_seq, 3u);
  EXPECT_EQ(st.last_seq, 2u);
  EXPECT_EQ(st.num_subjects, 0u);
  EXPECT_EQ(Add("c"), 3u);
  EXPECT_EQ(stream_->State().first_seq, 3u);
}

TEST_F(StoreTest, RemoveFirstInALoopAfterReopen) {
  // Limit enforcement: Remove(first_seq) over messages only RocksDB holds.
  for (int i = 0; i < 5000; ++i) Add("s." + std::to_string(i % 7), std::string(100, 'x'));
  Reopen();
  for (int i = 0; i < 4990; ++i) {
    ASSERT_TRUE(stream_->Remove(stream_->State().first_seq).ok()) << i;
  }
  StreamState st = stream_->State();
  EXPECT_EQ(st.msgs, 10u);
  EXPECT_EQ(st.first_seq, 4991u);
  EXPECT_EQ(st.num_subjects, 7u);
  EXPECT_EQ(stream_->Subject("s.0").first_seq, 4991u + (7 - 4990 % 7) % 7);
  Reopen();
  EXPECT_EQ(stream_->State().first_seq, 4991u);
  EXPECT_EQ(stream_->State().msgs, 10u);
}

TEST_F(StoreTest, SetNextSeq) {
  ASSERT_TRUE(stream_->SetNextSeq(100).ok());
  StreamState st = stream_->State();
  EXPECT_EQ(st.first_seq, 100u);
  EXPECT_EQ(st.last_seq, 99u);
  EXPECT_EQ(Add("a"), 100u);
  EXPECT_TRUE(absl::IsFailedPrecondition(stream_->SetNextSeq(5)));
  EXPECT_TRUE(absl::IsFailedPrecondition(stream_->SetNextSeq(101)));  // no-op forward
  // Non-empty: a forward skip; the skipped seqs are interior deletes.
  ASSERT_TRUE(stream_->SetNextSeq(104).ok());
  EXPECT_EQ(stream_->State().last_seq, 103u);
  EXPECT_EQ(Add("a"), 104u);
  EXPECT_EQ(stream_->State().num_deleted, 3u);
  EXPECT_EQ(stream_->DeletedSeqs(), (std::vector<StreamSeq>{101, 102, 103}));
  EXPECT_EQ(Next({}, 101), 104u);
  ASSERT_TRUE(stream_->Remove(104).ok());
  ASSERT_TRUE(stream_->Remove(100).ok());
  EXPECT_EQ(stream_->State().first_seq, 105u);
  EXPECT_EQ(Add("a"), 105u);
  EXPECT_TRUE(absl::IsInvalidArgument(stream_->SetNextSeq(0)));
  Reopen();
  EXPECT_EQ(stream_->State().first_seq, 105u);
  EXPECT_EQ(Add("a"), 106u);
  // An empty stream keeps a SetNextSeq across a reopen.
  auto c = store_->Create("T", "");
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->SetNextSeq(50).ok());
  Reopen();
  StreamStore* t = store_->Find("T");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->State().first_seq, 50u);
  EXPECT_EQ(t->State().last_seq, 49u);
}

TEST_F(StoreTest, SeqAtOrAfterTime) {
  Add("a", "x", 100);  // 1
  Add("a", "x", 200);  // 2
  Add("a", "x", 200);  // 3
  Add("a", "x", 300);  // 4
  Add("a", "x", 400);  // 5
  ASSERT_TRUE(stream_->Remove(4).ok());
  for (int pass = 0; pass < 2; ++pass) {
    EXPECT_EQ(stream_->SeqAtOrAfterTime(50), 1u);
    EXPECT_EQ(stream_->SeqAtOrAfterTime(100), 1u);
    EXPECT_EQ(stream_->SeqAtOrAfterTime(150), 2u);
    EXPECT_EQ(stream_->SeqAtOrAfterTime(200), 2u);
    EXPECT_EQ(stream_->SeqAtOrAfterTime(250), 5u);
    EXPECT_EQ(stream_->SeqAtOrAfterTime(400), 5u);
    EXPECT_EQ(stream_->SeqAtOrAfterTime(401), 6u);
    Reopen();
  }
}

TEST_F(StoreTest, NumPending) {
  // 1 a.1, 2 a.2, 3 b.1, 4 a.1, 5 b.1, 6 a.2, 7 c, 8 a.1
  for (const char* s : {"a.1", "a.2", "b.1", "a.1", "b.1", "a.2", "c", "a.1"}) Add(s);
  for (int pass = 0; pass < 3; ++pass) {
    SCOPED_TRACE(pass);
    EXPECT_EQ(stream_->NumPending({}, 1, false), pass < 2 ? 8u : 7u);
    EXPECT_EQ(stream_->NumPending({">"}, 0, false), pass < 2 ? 8u : 7u);
    EXPECT_EQ(stream_->NumPending({}, 9, false), 0u);
    EXPECT_EQ(stream_->NumPending({"a.1"}, 2, false), 2u);
    EXPECT_EQ(stream_->NumPending({"a.*"}, 2, false), pass < 2 ? 4u : 3u);
    EXPECT_EQ(stream_->NumPending({"a.2", "c"}, 1, false), pass < 2 ? 3u : 2u);
    EXPECT_EQ(stream_->NumPending({"a.*", "a.1"}, 1, false),
              pass < 2 ? 5u : 4u);  // no double count
    // last_per_subject: subjects whose newest message is >= start.
    EXPECT_EQ(stream_->NumPending({}, 1, true), 4u);
    EXPECT_EQ(stream_->NumPending({}, 7, true), 2u);
    EXPECT_EQ(stream_->NumPending({"a.*"}, 7, true), 1u);
    EXPECT_EQ(stream_->NumPending({"b.1"}, 6, true), 0u);
    if (pass == 0) {
      Reopen();
    } else if (pass == 1) {
      ASSERT_TRUE(stream_->Remove(6).ok());  // interior delete: a.2
      EXPECT_EQ(stream_->NumPending({}, 3, false), 5u);
      EXPECT_EQ(stream_->NumPending({}, 6, false), 2u);
      EXPECT_EQ(stream_->NumPending({"a.2"}, 3, false), 0u);
      Reopen();
      EXPECT_EQ(stream_->NumPending({}, 3, false), 5u);
      EXPECT_EQ(stream_->NumPending({}, 6, false), 2u);
    }
  }
}

TEST_F(StoreTest, Subjects) {
  for (const char* s : {"a.1", "a.2", "b.1", "a.1", "x.y.z"}) Add(s);
  auto all = stream_->Subjects("");
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].first, "a.1");
  EXPECT_EQ(all[0].second.msgs, 2u);
  EXPECT_EQ(all[0].second.first_seq, 1u);
  EXPECT_EQ(all[0].second.last_seq, 4u);
  auto a = stream_->Subjects("a.*");
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[1].first, "a.2");
  EXPECT_EQ(stream_->Subjects("x.>").size(), 1u);
  EXPECT_EQ(stream_->Subjects("*.*").size(), 3u);
  EXPECT_EQ(stream_->Subjects("b.1").size(), 1u);
  EXPECT_TRUE(stream_->Subjects("q").empty());
  EXPECT_EQ(stream_->Subject("a.1").msgs, 2u);
  EXPECT_EQ(stream_->Subject("zz").msgs, 0u);
}

TEST_F(StoreTest, ConsumersAndMeta) {
  ASSERT_TRUE(stream_->PutConsumer("c1", "blob-1").ok());
  ASSERT_TRUE(stream_->PutConsumer("c2", "blob-2").ok());
  ASSERT_TRUE(stream_->PutConsumer("c1", "blob-1b").ok());
  ASSERT_TRUE(stream_->PutMeta("meta-2").ok());
  auto c = stream_->Consumers();
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0], (std::pair<std::string, std::string>("c1", "blob-1b")));
  ASSERT_TRUE(stream_->DeleteConsumer("c2").ok());
  Reopen();
  EXPECT_EQ(stream_->meta(), "meta-2");
  c = stream_->Consumers();
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].first, "c1");
}

TEST_F(StoreTest, StreamsCreateDeleteRecreate) {
  EXPECT_TRUE(absl::IsAlreadyExists(store_->Create("S", "").status()));
  auto t = store_->Create("T", "t-meta");
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE((*t)->Append("x", "", "data", 1).ok());
  ASSERT_TRUE((*t)->PutConsumer("c", "b").ok());
  Add("s");
  EXPECT_EQ(store_->Streams().size(), 2u);
  ASSERT_TRUE(store_->Delete("T").ok());
  EXPECT_TRUE(absl::IsNotFound(store_->Delete("T")));
  EXPECT_EQ(store_->Find("T"), nullptr);
  EXPECT_EQ(store_->total_bytes(), stream_->State().bytes);
  // Same name again: a new, empty stream.
  t = store_->Create("T", "t2");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)->State().msgs, 0u);
  EXPECT_EQ((*t)->State().last_seq, 0u);
  EXPECT_TRUE((*t)->Consumers().empty());
  StoredMessage m;
  EXPECT_TRUE(absl::IsNotFound((*t)->Load(1, &m)));
  Reopen();
  StreamStore* again = store_->Find("T");
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->meta(), "t2");
  EXPECT_EQ(again->State().msgs, 0u);
  EXPECT_TRUE(again->Consumers().empty());
  EXPECT_EQ(store_->Find("S")->State().msgs, 1u);
  ASSERT_TRUE(store_->Delete("T").ok());
  Reopen();
  EXPECT_EQ(store_->Find("T"), nullptr);
  EXPECT_EQ(store_->Streams().size(), 1u);
}

TEST_F(StoreTest, ReopenKeepsCountersAndIndex) {
  for (int i = 0; i < 300; ++i) Add("k." + std::to_string(i % 13), std::string(i % 50, 'd'));
  ASSERT_TRUE(stream_->Remove(17).ok());
  ASSERT_TRUE(stream_->Remove(1).ok());
  ASSERT_TRUE(stream_->Remove(300).ok());
  PurgeOptions p;
  p.filter = "k.3";
  ASSERT_TRUE(stream_->Purge(p).ok());
  StreamState before = stream_->State();
  auto subjects_before = stream_->Subjects(">");
  auto deleted_before = stream_->DeletedSeqs();
  Reopen();
  StreamState after = stream_->State();
  EXPECT_EQ(after.msgs, before.msgs);
  EXPECT_EQ(after.bytes, before.bytes);
  EXPECT_EQ(after.first_seq, before.first_seq);
  EXPECT_EQ(after.last_seq, before.last_seq);
  EXPECT_EQ(after.first_ts_ns, before.first_ts_ns);
  EXPECT_EQ(after.last_ts_ns, before.last_ts_ns);
  EXPECT_EQ(after.num_subjects, before.num_subjects);
  EXPECT_EQ(after.num_deleted, before.num_deleted);
  auto subjects_after = stream_->Subjects(">");
  ASSERT_EQ(subjects_after.size(), subjects_before.size());
  for (size_t i = 0; i < subjects_after.size(); ++i) {
    EXPECT_EQ(subjects_after[i].first, subjects_before[i].first);
    EXPECT_EQ(subjects_after[i].second.msgs, subjects_before[i].second.msgs);
    EXPECT_EQ(subjects_after[i].second.first_seq, subjects_before[i].second.first_seq);
    EXPECT_EQ(subjects_after[i].second.last_seq, subjects_before[i].second.last_seq);
  }
  EXPECT_EQ(stream_->DeletedSeqs(), deleted_before);
  EXPECT_EQ(store_->total_bytes(), before.bytes);
}

TEST_F(StoreTest, ReadsSeePendingWrites) {
  // No Commit in between: reads commit first.
  for (int i = 0; i < 10; ++i) Add("p." + std::to_string(i % 3));
  Reopen();  // tail cache empty: everything below is RocksDB reads
  Add("p.0");
  ASSERT_TRUE(stream_->Remove(2).ok());
  EXPECT_EQ(stream_->NumPending({"p.0"}, 1, false), 5u);
  EXPECT_EQ(Next({"p.1"}, 2), 5u);
  EXPECT_EQ(stream_->Subject("p.1").first_seq, 5u);
  StoredMessage m;
  EXPECT_TRUE(absl::IsNotFound(stream_->Load(2, &m)));
  EXPECT_EQ(stream_->DeletedSeqs(), (std::vector<StreamSeq>{2}));
}

TEST_F(StoreTest, CommitAndSync) {
  Add("a");
  EXPECT_TRUE(store_->Commit().ok());
  EXPECT_TRUE(store_->Commit().ok());  // nothing pending
  EXPECT_TRUE(store_->Sync().ok());
}

TEST(StoreTailBudgetTest, StreamsShareTheTailBudget) {
  // A 4 KB budget over three streams: reads stay right while tails evict.
  TempDir dir;
  StoreOptions o;
  o.path = dir.path();
  o.tail_cache_bytes = 4096;
  auto s = Store::Open(o);
  ASSERT_TRUE(s.ok());
  std::vector<StreamStore*> streams;
  for (const char* name : {"A", "B", "C"}) {
    auto c = (*s)->Create(name, "");
    ASSERT_TRUE(c.ok());
    streams.push_back(*c);
  }
  for (int i = 0; i < 300; ++i) {
    StreamStore* st = streams[i % 3 == 0 ? 0 : (i % 7 == 0 ? 2 : 1)];
    ASSERT_TRUE(st->Append("x." + std::to_string(i % 4), "", std::string(i % 90, 'v'), i + 1).ok());
  }
  for (StreamStore* st : streams) {
    StoredMessage m;
    uint64_t n = 0;
    for (StreamSeq seq = 1; st->LoadNext({}, seq, &m).ok(); seq = m.seq + 1) {
      ASSERT_EQ(m.seq, ++n);
      ASSERT_TRUE(st->Load(m.seq, &m).ok());
    }
    EXPECT_EQ(n, st->State().msgs);
    EXPECT_TRUE(st->Remove(n).ok());
    EXPECT_EQ(st->NumPending({"x.*"}, 1, false), n - 1);
  }
}

TEST(StoreOpenTest, BadPathIsAnErrorNamingIt) {
  TempDir dir;
  const std::string file = dir.path() + "/file";
  FILE* f = fopen(file.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fclose(f);
  StoreOptions o;
  o.path = file + "/db";
  auto s = Store::Open(o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find(file), std::string::npos) << s.status();
}

TEST(StoreMemoryTest, MemoryKindWorksAndStartsEmpty) {
  StoreOptions o;
  o.path = "/jetstream-memory";
  o.in_memory = true;
  {
    auto s = Store::Open(o);
    ASSERT_TRUE(s.ok()) << s.status();
    auto st = (*s)->Create("M", "");
    ASSERT_TRUE(st.ok());
    for (int i = 0; i < 1000; ++i)
      ASSERT_TRUE((*st)->Append("m." + std::to_string(i % 5), "", "d", i + 1).ok());
    ASSERT_TRUE((*s)->Commit().ok());
    ASSERT_TRUE((*st)->Remove(500).ok());
    StoredMessage m;
    ASSERT_TRUE((*st)->LoadNext({"m.4"}, 500, &m).ok());
    EXPECT_EQ(m.seq, 505u);
    EXPECT_EQ((*st)->NumPending({"m.*"}, 1, false), 999u);
    EXPECT_FALSE(std::filesystem::exists(o.path));
  }
  // A new memory store is empty (the in-memory Env died with the old one).
  auto s = Store::Open(o);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE((*s)->Streams().empty());
}

// Durability after kill -9: what Commit returned for is in the WAL.
TEST(StoreCrashTest, CommittedWritesSurviveSigkill) {
  ::testing::FLAGS_gtest_death_test_style = "threadsafe";
  const std::string path =
      (std::filesystem::temp_directory_path() / ("jsstore-kill-" + std::to_string(getpid())))
          .string();
  std::filesystem::remove_all(path);
  EXPECT_EXIT(
      {
        StoreOptions o;
        o.path =
            (std::filesystem::temp_directory_path() / ("jsstore-kill-" + std::to_string(getppid())))
                .string();
        auto s = Store::Open(o);
        if (!s.ok()) _exit(2);
        auto st = (*s)->Create("K", "");
        if (!st.ok()) _exit(3);
        for (int i = 0; i < 1000; ++i) {
          if (!(*st)->Append("k", "", "data", i + 1).ok()) _exit(4);
        }
        if (!(*st)->Remove(10).ok()) _exit(5);
        if (!(*s)->Commit().ok()) _exit(6);
        for (int i = 0; i < 10; ++i) (void)(*st)->Append("k", "", "lost", 5000);  // never committed
        kill(getpid(), SIGKILL);
      },
      ::testing::KilledBySignal(SIGKILL), "");
  StoreOptions o;
  o.path = path;
  {
    auto s = Store::Open(o);
    ASSERT_TRUE(s.ok()) << s.status();
    StreamStore* st = (*s)->Find("K");
    ASSERT_NE(st, nullptr);
    EXPECT_EQ(st->State().msgs, 999u);
    EXPECT_EQ(st->State().last_seq, 1000u);
    EXPECT_EQ(st->DeletedSeqs(), (std::vector<StreamSeq>{10}));
  }
  std::filesystem::remove_all(path);
}

// A subject's messages of one commit share one index record (a run).
TEST(RunEncodingTest, KeepsLiveEntriesAndReadsTheFirstFormat) {
  const std::vector<keys::RunEntry> entries = {
      {10, 100}, {12, keys::RunEntry::kRemoved}, {15, 7}};
  std::string value;
  keys::EncodeRun(10, 20, entries, &value);
  StreamSeq span_end = 0;
  std::vector<keys::RunEntry> out;
  ASSERT_TRUE(keys::DecodeRun(10, value, &span_end, &out));
  EXPECT_EQ(span_end, 20u);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].seq, 10u);
  EXPECT_EQ(out[0].size, 100u);
  EXPECT_EQ(out[1].seq, 15u);
  EXPECT_EQ(out[1].size, 7u);
  uint64_t count = 0;
  ASSERT_TRUE(keys::DecodeRunCount(value, &count));
  EXPECT_EQ(count, 2u);

  // The first format, a key per message: one varint, the message's size.
  std::string old;
  keys::AppendVarint(&old, 300);
  ASSERT_TRUE(keys::DecodeRun(42, old, &span_end, &out));
  EXPECT_EQ(span_end, 42u);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].seq, 42u);
  EXPECT_EQ(out[0].size, 300u);
  ASSERT_TRUE(keys::DecodeRunCount(old, &count));
  EXPECT_EQ(count, 1u);

  // Truncated, or a message beyond the run's span: refused.
  EXPECT_FALSE(keys::DecodeRun(10, value.substr(0, value.size() - 1), &span_end, &out));
  std::string beyond;
  for (uint64_t v : {1, 1, 5, 9}) keys::AppendVarint(&beyond, v);  // span 1, seq 15
  EXPECT_FALSE(keys::DecodeRun(10, beyond, &span_end, &out));
}

// A store says which format it holds; a newer one than this build reads is
// refused by name, not misread.
TEST(StoreFormatTest, RefusesANewerFormat) {
  TempDir dir;
  StoreOptions opts;
  opts.path = dir.path() + "/db";
  {
    auto store = Store::Open(opts);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->Create("S", "m").ok());
    ASSERT_TRUE((*store)->Close().ok());
  }
  {
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), opts.path, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    std::string format;
    ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), keys::FormatKey(), &format).ok());
    ASSERT_EQ(format.size(), 8u);
    EXPECT_EQ(keys::ReadBigEndian64(format.data()), keys::kFormat);
    format.clear();
    keys::AppendBigEndian64(&format, keys::kFormat + 1);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), keys::FormatKey(), format).ok());
    ASSERT_TRUE(db->Close().ok());
  }
  auto again = Store::Open(opts);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(again.status().message().find(absl::StrCat("has format ", keys::kFormat + 1,
                                                      "; this build reads formats up to ",
                                                      keys::kFormat)),
            std::string::npos)
      << again.status();
}

// Raw access to a closed store's database, for checking what is on disk.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    rocksdb::DB* raw = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(rocksdb::Options(), path, &raw);
    EXPECT_TRUE(s.ok()) << s.ToString();
    db_.reset(raw);
  }
  rocksdb::DB* db() { return db_.get(); }
  // Every key and value of stream `id` with `tag`.
  std::vector<std::pair<std::string, std::string>> Records(uint64_t id, char tag) {
    std::vector<std::pair<std::string, std::string>> out;
    const std::string prefix = keys::TagPrefix(id, tag);
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      out.emplace_back(it->key().ToString(), it->value().ToString());
    }
    return out;
  }
  // The seqs held in blocks of stream `id` (removed ones included).
  std::vector<StreamSeq> BlockSeqs(uint64_t id) {
    std::vector<StreamSeq> out;
    for (const auto& [key, value] : Records(id, keys::kBlockTag)) {
      StreamSeq first = 0;
      EXPECT_TRUE(keys::ParseMsgKey(key, &first));
      keys::BlockReader reader(first, value);
      StreamSeq seq = 0;
      std::string_view msg;
      while (reader.Next(&seq, &msg)) out.push_back(seq);
      EXPECT_TRUE(reader.ok());
    }
    return out;
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
};

// The seqs of every message, read in order with LoadNext; each message's
// data must be `data_prefix` followed by its seq.
std::vector<StreamSeq> ReadAll(StreamStore* s, const std::string& data_prefix) {
  std::vector<StreamSeq> seen;
  StoredMessage m;
  for (StreamSeq next = 1; s->LoadNext({}, next, &m).ok(); next = m.seq + 1) {
    EXPECT_EQ(m.data, absl::StrCat(data_prefix, m.seq));
    seen.push_back(m.seq);
  }
  return seen;
}

// Messages of a commit share a block; a complete range with half or more
// of its messages removed is rewritten with the live ones only, and one
// with none left disappears (blocks and record).
TEST(MsgBlocksTest, RangesMostlyRemovedAreRewritten) {
  TempDir dir;
  StoreOptions opts;
  opts.path = dir.path() + "/db";
  opts.tail_cache_bytes = 0;  // every read from RocksDB
  const StreamSeq n = 3 * keys::kRangeSeqs + 10;
  {
    auto store = Store::Open(opts);
    ASSERT_TRUE(store.ok()) << store.status();
    auto s = (*store)->Create("S", "m");
    ASSERT_TRUE(s.ok());
    for (StreamSeq seq = 1; seq <= n; ++seq) {
      ASSERT_TRUE((*s)->Append(absl::StrCat("a.", seq % 7), "", absl::StrCat("m", seq), 1).ok());
      if (seq % 500 == 0) ASSERT_TRUE((*store)->Commit().ok());
    }
    ASSERT_TRUE((*store)->Commit().ok());
    // Range 0: four in five removed. Range 1: all. Range 3 (the newest,
    // not complete): all of it, kept until the stream moves past it.
    for (StreamSeq seq = 2; seq <= keys::kRangeSeqs; ++seq) {
      if (seq % 5 != 0) ASSERT_TRUE((*s)->Remove(seq).ok()) << seq;
    }
    for (StreamSeq seq = keys::RangeFirst(1); seq <= keys::RangeLast(1); ++seq) {
      ASSERT_TRUE((*s)->Remove(seq).ok()) << seq;
    }
    for (StreamSeq seq = keys::RangeFirst(3); seq <= n; ++seq) {
      ASSERT_TRUE((*s)->Remove(seq).ok()) << seq;
    }
    ASSERT_TRUE((*store)->Commit().ok());
    StoredMessage m;
    ASSERT_TRUE((*s)->Load(5, &m).ok());
    EXPECT_EQ(m.data, "m5");
    EXPECT_TRUE(absl::IsNotFound((*s)->Load(6, &m)));
    EXPECT_TRUE(absl::IsNotFound((*s)->Load(keys::RangeFirst(1) + 3, &m)));
    ASSERT_TRUE((*s)->LoadNext({}, keys::kRangeSeqs, &m).ok());
    EXPECT_EQ(m.seq, keys::RangeFirst(2));
    ASSERT_TRUE((*store)->Close().ok());
  }
  std::vector<StreamSeq> want;
  want.push_back(1);
  for (StreamSeq seq = 5; seq <= keys::kRangeSeqs; seq += 5) want.push_back(seq);
  for (StreamSeq seq = keys::RangeFirst(2); seq <= keys::RangeLast(2); ++seq) want.push_back(seq);
  std::vector<StreamSeq> range3;
  for (StreamSeq seq = keys::RangeFirst(3); seq <= n; ++seq) range3.push_back(seq);
  {
    RawDb raw(opts.path);
    std::vector<StreamSeq> got = raw.BlockSeqs(1);
    std::vector<StreamSeq> expected = want;
    expected.insert(expected.end(), range3.begin(), range3.end());
    // Range 0 was rewritten (more than once: reads commit as they go), so
    // its blocks hold every live message and fewer removed ones than live.
    std::vector<StreamSeq> range0;
    for (StreamSeq seq : got) {
      if (seq <= keys::kRangeSeqs) range0.push_back(seq);
    }
    EXPECT_TRUE(std::includes(range0.begin(), range0.end(), want.begin(),
                              want.begin() + (keys::kRangeSeqs / 5 + 1)));
    EXPECT_LT(range0.size(), 2 * (keys::kRangeSeqs / 5 + 1));
    std::vector<StreamSeq> rest(got.begin() + range0.size(), got.end());
    expected.erase(expected.begin(), expected.begin() + (keys::kRangeSeqs / 5 + 1));
    EXPECT_EQ(rest, expected);
    // Records for ranges 0, 2 and 3; none for the emptied range 1.
    std::vector<uint64_t> ranges;
    for (const auto& [key, value] : raw.Records(1, keys::kRangeTag)) {
      ranges.push_back(keys::ReadBigEndian64(key.data() + keys::kTagPrefixLen));
    }
    EXPECT_EQ(ranges, (std::vector<uint64_t>{0, 2, 3}));
  }
  // Reopened, the same messages; appending past range 3 drops it.
  auto store = Store::Open(opts);
  ASSERT_TRUE(store.ok()) << store.status();
  StreamStore* s = (*store)->Find("S");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->State().msgs, want.size());
  EXPECT_EQ(ReadAll(s, "m"), want);
  for (StreamSeq seq = n + 1; seq <= keys::RangeLast(3) + 1; ++seq) {
    ASSERT_TRUE(s->Append("a.x", "", "x", 2).ok());
  }
  ASSERT_TRUE((*store)->Commit().ok());
  for (StreamSeq seq = n + 1; seq <= keys::RangeLast(3); ++seq) {
    ASSERT_TRUE(s->Remove(seq).ok()) << seq;
  }
  ASSERT_TRUE((*store)->Commit().ok());
  ASSERT_TRUE((*store)->Close().ok());
  RawDb raw(opts.path);
  std::vector<StreamSeq> got = raw.BlockSeqs(1);
  // Range 3 gone, range 4 holds the one message left.
  std::vector<StreamSeq> tail(got.end() - (keys::kRangeSeqs + 1), got.end());
  std::vector<StreamSeq> want_tail(want.end() - keys::kRangeSeqs, want.end());
  want_tail.push_back(keys::RangeLast(3) + 1);
  EXPECT_EQ(tail, want_tail);
}

// A store of format 2 (a key per message) is converted to blocks at open,
// removed messages staying removed.
TEST(MsgBlocksTest, ConvertsMessageKeysAtOpen) {
  TempDir dir;
  StoreOptions opts;
  opts.path = dir.path() + "/db";
  std::vector<StreamSeq> live;
  {
    auto store = Store::Open(opts);
    ASSERT_TRUE(store.ok()) << store.status();
    auto s = (*store)->Create("S", "m");
    ASSERT_TRUE(s.ok());
    for (StreamSeq seq = 1; seq <= 2500; ++seq) {
      ASSERT_TRUE((*s)->Append(absl::StrCat("b.", seq % 3), "", absl::StrCat("v", seq), 7).ok());
    }
    ASSERT_TRUE((*store)->Commit().ok());
    for (StreamSeq seq = 1; seq <= 2500; ++seq) {
      if (seq % 3 == 0 || seq < 40) {
        ASSERT_TRUE((*s)->Remove(seq).ok());
      } else {
        live.push_back(seq);
      }
    }
    ASSERT_TRUE((*store)->Close().ok());
  }
  {
    // Rewrite as format 2: live messages as `id M seq` keys, no blocks.
    RawDb raw(opts.path);
    rocksdb::WriteBatch batch;
    std::map<uint64_t, keys::RangeRecord> records;
    for (const auto& [key, value] : raw.Records(1, keys::kRangeTag)) {
      ASSERT_TRUE(keys::DecodeRange(value, &records[keys::ReadBigEndian64(key.data() + 9)]));
    }
    for (const auto& [key, value] : raw.Records(1, keys::kBlockTag)) {
      StreamSeq first = 0;
      ASSERT_TRUE(keys::ParseMsgKey(key, &first));
      keys::BlockReader reader(first, value);
      StreamSeq seq = 0;
      std::string_view msg;
      while (reader.Next(&seq, &msg)) {
        const keys::RangeRecord& r = records[keys::RangeOf(seq)];
        const uint64_t i = seq - keys::RangeFirst(keys::RangeOf(seq));
        if (r.removed > 0 && ((r.bits[i / 64] >> (i % 64)) & 1)) continue;
        std::string mkey;
        keys::MsgKey(1, seq, &mkey);
        batch.Put(mkey, msg);
      }
      batch.Delete(key);
    }
    for (const auto& [key, value] : raw.Records(1, keys::kRangeTag)) batch.Delete(key);
    std::string format;
    keys::AppendBigEndian64(&format, 2);
    batch.Put(keys::FormatKey(), format);
    ASSERT_TRUE(raw.db()->Write(rocksdb::WriteOptions(), &batch).ok());
    EXPECT_TRUE(raw.Records(1, keys::kBlockTag).empty());
  }
  for (int open = 0; open < 2; ++open) {
    auto store = Store::Open(opts);
    ASSERT_TRUE(store.ok()) << store.status();
    StreamStore* s = (*store)->Find("S");
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->State().msgs, live.size());
    EXPECT_EQ(s->State().first_seq, live.front());
    EXPECT_EQ(ReadAll(s, "v"), live);
    // Removing and appending work on the converted blocks.
    ASSERT_TRUE(s->Remove(live.back()).ok());
    live.pop_back();
    ASSERT_TRUE((*store)->Close().ok());
  }
  RawDb raw(opts.path);
  EXPECT_TRUE(raw.Records(1, keys::kMsgTag).empty());
  std::string format;
  ASSERT_TRUE(raw.db()->Get(rocksdb::ReadOptions(), keys::FormatKey(), &format).ok());
  EXPECT_EQ(keys::ReadBigEndian64(format.data()), keys::kFormat);
}

}  // namespace
}  // namespace meridian::jetstream

namespace meridian::jetstream {
namespace {

// A KV-like stream (each put removes the key's previous revision in the
// same commit): the new revision's index run takes the emptied run's key,
// so the index keeps one record per key; everything reads right, reopened
// too.
TEST(SubjectRunsTest, ReplacedRevisionLendsItsIndexKey) {
  TempDir dir;
  StoreOptions opts;
  opts.path = dir.path() + "/db";
  constexpr int kKeys = 50;
  std::map<std::string, StreamSeq> latest;
  {
    auto store = Store::Open(opts);
    ASSERT_TRUE(store.ok()) << store.status();
    auto s = (*store)->Create("KV", "m");
    ASSERT_TRUE(s.ok());
    for (int round = 0; round < 40; ++round) {
      for (int k = 0; k < kKeys; ++k) {
        // Some keys skip some rounds; some commits hold two puts of a key.
        if ((k + round) % 7 == 0) continue;
        for (int twice = 0; twice < (k % 11 == 0 ? 2 : 1); ++twice) {
          const std::string subject = absl::StrCat("$KV.b.k", k);
          auto seq = (*s)->Append(subject, "", absl::StrCat("r", round), 1);
          ASSERT_TRUE(seq.ok());
          if (auto it = latest.find(subject); it != latest.end()) {
            ASSERT_TRUE((*s)->Remove(it->second).ok()) << subject;
          }
          latest[subject] = *seq;
        }
      }
      ASSERT_TRUE((*store)->Commit().ok());
    }
    ASSERT_TRUE((*store)->Close().ok());
  }
  {
    RawDb raw(opts.path);
    const auto index = raw.Records(1, keys::kIndexTag);
    EXPECT_EQ(index.size(), static_cast<size_t>(kKeys));
    // Each record still has the key of the subject's first run.
    for (const auto& [key, value] : index) {
      std::string_view subject;
      StreamSeq run_key = 0;
      ASSERT_TRUE(keys::ParseIndexKey(key, &subject, &run_key));
      EXPECT_LT(run_key, latest[std::string(subject)]) << subject;
    }
  }
  auto store = Store::Open(opts);
  ASSERT_TRUE(store.ok()) << store.status();
  StreamStore* s = (*store)->Find("KV");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->State().msgs, static_cast<uint64_t>(kKeys));
  for (const auto& [subject, seq] : latest) {
    StoredMessage m;
    ASSERT_TRUE(s->LoadLast(subject, &m).ok()) << subject;
    EXPECT_EQ(m.seq, seq);
    SubjectState st = s->Subject(subject);
    EXPECT_EQ(st.msgs, 1u);
    EXPECT_EQ(st.first_seq, seq);
    ASSERT_TRUE(s->LoadNext({subject}, 1, &m).ok());
    EXPECT_EQ(m.seq, seq);
    EXPECT_EQ(s->NumPending({subject}, 1, false), 1u);
    EXPECT_EQ(s->NumPending({subject}, seq + 1, false), 0u);
  }
  EXPECT_EQ(s->NumPending({"$KV.b.>"}, 1, true), static_cast<uint64_t>(kKeys));
}

}  // namespace
}  // namespace meridian::jetstream

namespace meridian::jetstream {
namespace {

// The tail cache copies messages into shared chunks (a big message gets
// its own) and frees a chunk when its last entry leaves: what it holds
// reads back intact through pushes, removals and evictions.
TEST(TailCacheTest, EntriesSurviveChunkTurnover) {
  TailBudget budget;
  budget.limit = 256 * 1024;
  TailCache tail(&budget);
  tail.Reset(1);
  auto data_of = [](StreamSeq seq) {
    const size_t n = seq % 50 == 0 ? 40 * 1024 : seq % 300;  // some bigger than a chunk
    return std::string(n, static_cast<char>('a' + seq % 26));
  };
  for (StreamSeq seq = 1; seq <= 5000; ++seq) {
    tail.Push(seq, static_cast<int64_t>(seq), absl::StrCat("s.", seq), seq % 3 ? "" : "H", data_of(seq));
    if (seq % 7 == 0) tail.MarkRemoved(seq - 3);
    tail.EvictTo(budget.limit);
    ASSERT_LE(budget.used, budget.limit);
    if (seq % 97 != 0) continue;
    for (const TailEntry& e : tail.entries()) {
      ASSERT_EQ(e.subject, absl::StrCat("s.", e.seq));
      ASSERT_EQ(e.headers, e.seq % 3 ? "" : "H");
      ASSERT_EQ(e.data, data_of(e.seq));
    }
  }
  EXPECT_GT(tail.lo(), 1u);
  EXPECT_EQ(tail.entries().back().seq, 5000u);
  tail.Reset(6000);
  EXPECT_EQ(budget.used, 0u);
  EXPECT_EQ(tail.bytes(), 0u);
}

}  // namespace
}  // namespace meridian::jetstream
