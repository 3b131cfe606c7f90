// Message store benchmarks: batched appends (file kind, no sync), LoadNext on
// the tail (tail cache and RocksDB), limit enforcement (append + remove
// first), a literal-filter consumer among many subjects.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "services/jetstream/store/store.h"
#include "services/jetstream/store/tests/store_model.h"

namespace meridian::jetstream {
namespace {

using testing::TempDir;

constexpr int kBatch = 256;
const std::string kPayload(128, 'p');

struct Fixture {
  TempDir dir;
  std::unique_ptr<Store> store;
  StreamStore* stream = nullptr;
  std::vector<std::string> subjects;

  explicit Fixture(uint64_t tail_cache_bytes = 32ull << 20, int num_subjects = 16,
                   bool sync_always = false) {
    StoreOptions o;
    o.path = dir.path();
    o.tail_cache_bytes = tail_cache_bytes;
    o.sync_always = sync_always;
    auto s = Store::Open(o);
    if (!s.ok()) std::abort();
    store = std::move(*s);
    auto c = store->Create("BENCH", "");
    if (!c.ok()) std::abort();
    stream = *c;
    for (int i = 0; i < num_subjects; ++i) subjects.push_back("bench.sub." + std::to_string(i));
  }

  void AppendBatch(int64_t* ts, size_t* next_subject) {
    for (int i = 0; i < kBatch; ++i) {
      const std::string& subj = subjects[(*next_subject)++ % subjects.size()];
      if (!stream->Append(subj, "", kPayload, ++*ts).ok()) std::abort();
    }
    if (!store->Commit().ok()) std::abort();
  }
};

// Appends of 128-byte messages, 256 per Commit (one WAL write, no fsync),
// round robin over Arg subjects.
void BM_AppendBatched(benchmark::State& state) {
  Fixture f(32ull << 20, static_cast<int>(state.range(0)));
  int64_t ts = 0;
  size_t n = 0;
  for (auto _ : state) f.AppendBatch(&ts, &n);
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetBytesProcessed(state.iterations() * kBatch * kPayload.size());
}
BENCHMARK(BM_AppendBatched)->Arg(16)->Arg(100000)->Unit(benchmark::kMicrosecond);

// The same with sync_always: one WAL fsync per Commit of 256 (wall time).
void BM_AppendBatchedSyncAlways(benchmark::State& state) {
  Fixture f(32ull << 20, 16, /*sync_always=*/true);
  int64_t ts = 0;
  size_t n = 0;
  for (auto _ : state) f.AppendBatch(&ts, &n);
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_AppendBatchedSyncAlways)->UseRealTime()->Unit(benchmark::kMicrosecond);

// A consumer following the publisher: each batch appended is read back with
// LoadNext (no filter) from the tail. Arg: tail cache bytes (0 = RocksDB).
void BM_AppendThenLoadNextTail(benchmark::State& state) {
  Fixture f(static_cast<uint64_t>(state.range(0)));
  int64_t ts = 0;
  size_t n = 0;
  StreamSeq next = 1;
  StoredMessage m;
  const std::vector<std::string> filters;
  for (auto _ : state) {
    state.PauseTiming();
    f.AppendBatch(&ts, &n);
    state.ResumeTiming();
    for (int i = 0; i < kBatch; ++i) {
      if (!f.stream->LoadNext(filters, next, &m).ok()) std::abort();
      next = m.seq + 1;
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_AppendThenLoadNextTail)->Arg(32 << 20)->Arg(0)->Unit(benchmark::kMicrosecond);

// Same with a literal filter, one subject among 16.
void BM_LoadNextLiteralFilter(benchmark::State& state) {
  Fixture f(static_cast<uint64_t>(state.range(0)));
  int64_t ts = 0;
  size_t n = 0;
  StreamSeq next = 1;
  StoredMessage m;
  const std::vector<std::string> filters = {"bench.sub.3"};
  for (auto _ : state) {
    state.PauseTiming();
    f.AppendBatch(&ts, &n);
    state.ResumeTiming();
    while (f.stream->LoadNext(filters, next, &m).ok()) next = m.seq + 1;
  }
  state.SetItemsProcessed(state.iterations() * kBatch / 16);
}
BENCHMARK(BM_LoadNextLiteralFilter)->Arg(32 << 20)->Arg(0)->Unit(benchmark::kMicrosecond);

// max_msgs enforcement: every append removes the first message. The stream
// is prefilled and reopened so the removed messages are only in RocksDB.
void BM_AppendRemoveFirst(benchmark::State& state) {
  auto f = std::make_unique<Fixture>();
  int64_t ts = 0;
  size_t n = 0;
  for (int i = 0; i < 400; ++i) f->AppendBatch(&ts, &n);  // 102400 messages
  StoreOptions o = f->store->options();
  if (!f->store->Close().ok()) std::abort();
  f->store.reset();
  auto s = Store::Open(o);
  if (!s.ok()) std::abort();
  f->store = std::move(*s);
  f->stream = f->store->Find("BENCH");
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      const std::string& subj = f->subjects[n++ % f->subjects.size()];
      if (!f->stream->Append(subj, "", kPayload, ++ts).ok()) std::abort();
      if (!f->stream->Remove(f->stream->State().first_seq).ok()) std::abort();
    }
    if (!f->store->Commit().ok()) std::abort();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_AppendRemoveFirst)->Unit(benchmark::kMicrosecond);

// NumPending for a literal subject from the middle, 102400 messages over 16
// subjects, with one interior delete (no arithmetic shortcut).
void BM_NumPendingLiteralMiddle(benchmark::State& state) {
  Fixture f;
  int64_t ts = 0;
  size_t n = 0;
  for (int i = 0; i < 400; ++i) f.AppendBatch(&ts, &n);
  if (!f.stream->Remove(10).ok()) std::abort();
  const std::vector<std::string> filters = {"bench.sub.5"};
  uint64_t sink = 0;
  for (auto _ : state) sink += f.stream->NumPending(filters, 60000, false);
  benchmark::DoNotOptimize(sink);
}
BENCHMARK(BM_NumPendingLiteralMiddle)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace meridian::jetstream
