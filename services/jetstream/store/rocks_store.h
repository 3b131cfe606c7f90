// Internal: the RocksDB implementation of Store and StreamStore. Included
// only by this directory's .cc files; RocksDB types are forward-declared.
#pragma once

#include <cstdint>
#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "services/jetstream/store/keys.h"
#include "services/jetstream/store/msg_blocks.h"
#include "services/jetstream/store/msg_cache.h"
#include "services/jetstream/store/store.h"
#include "services/jetstream/store/subject_runs.h"

namespace rocksdb {
class Cache;
class DB;
class Env;
class Iterator;
class WriteBatch;
}  // namespace rocksdb

namespace meridian::jetstream {

class RocksStore;

// Per-subject state (nats-server's psim). After a removal `first` (`last`)
// may be stale: then it is a lower (upper) bound and an index seek finds the
// real one when asked for (ResolveSubject).
struct SubjectInfo {
  uint64_t msgs = 0;
  StreamSeq first = 0;
  StreamSeq last = 0;
  bool first_stale = false;
  bool last_stale = false;
};

// A message's location facts, enough to remove it.
struct MsgFacts {
  StreamSeq seq = 0;
  int64_t ts_ns = 0;
  uint64_t size = 0;
  std::string subject;
};

class RocksStreamStore final : public StreamStore {
 public:
  RocksStreamStore(RocksStore* store, uint64_t id, std::string name, std::string meta,
                   TailBudget* tail_budget);

  // Open: rebuilds counters and the subject map from the index keys.
  [[nodiscard]] absl::Status Recover(const keys::SeqState& persisted);
  // Create: a new, empty stream.
  void InitEmpty();
  uint64_t id() const { return id_; }
  // Adds the sequence-state record to the pending batch (at Commit).
  void WriteSeqState(rocksdb::WriteBatch* batch);
  // Adds the index runs changed since the last commit (at Commit, before
  // the store's sorted point deletes are flushed).
  void WriteRuns(rocksdb::WriteBatch* batch);
  // Adds the pending message block and changed range records (at Commit).
  void WriteBlocks(rocksdb::WriteBatch* batch) { blocks_.WriteTo(batch); }
  // After a commit landed: whether block ranges want rewriting, and the
  // rewrite into `batch` (msg_blocks.h).
  bool BlocksCommitted() {
    blocks_.Committed();
    return blocks_.wants_compaction();
  }
  [[nodiscard]] absl::Status CompactBlocks(rocksdb::WriteBatch* batch) {
    return blocks_.Compact(batch);
  }
  bool dirty() const { return dirty_; }
  uint64_t tail_bytes() const { return tail_.bytes(); }
  void SetRunCacheLimit(size_t entries) { runs_.SetLimit(entries); }
  void EvictTail(uint64_t target) { tail_.EvictTo(target); }
  void ClearDirty() { dirty_ = false; }

  const std::string& name() const override { return name_; }
  absl::StatusOr<StreamSeq> Append(std::string_view subject, std::string_view headers,
                                   std::string_view data, int64_t ts_ns) override;
  absl::Status SetNextSeq(StreamSeq seq) override;
  absl::Status Remove(StreamSeq seq) override;
  absl::StatusOr<uint64_t> Purge(const PurgeOptions& options) override;
  absl::Status Load(StreamSeq seq, StoredMessage* out) override;
  absl::Status LoadNext(absl::Span<const std::string> filters, StreamSeq start,
                        StoredMessage* out) override;
  absl::Status LoadLast(std::string_view filter, StoredMessage* out) override;
  StreamSeq SeqAtOrAfterTime(int64_t ts_ns) override;
  StreamState State() const override;
  SubjectState Subject(std::string_view subject) override;
  std::vector<std::pair<std::string, SubjectState>> Subjects(std::string_view filter) override;
  uint64_t NumPending(absl::Span<const std::string> filters, StreamSeq start,
                      bool last_per_subject) override;
  std::vector<StreamSeq> DeletedSeqs() override;
  void NotifyOnNextChange(std::function<void()> notice) override {
    on_next_change_ = std::move(notice);
  }
  absl::Status PutMeta(std::string_view meta) override;
  const std::string& meta() const override { return meta_; }
  absl::Status PutConsumer(std::string_view name, std::string_view blob) override;
  absl::Status DeleteConsumer(std::string_view name) override;
  std::vector<std::pair<std::string, std::string>> Consumers() override;

 private:
  using SubjectMap = absl::btree_map<std::string, SubjectInfo, std::less<>>;

  void MarkDirty();
  // Message facts by seq from the caches or RocksDB; NotFound when absent.
  absl::Status Locate(StreamSeq seq, MsgFacts* out);
  // Deletes a located message (writes, counters, subject map, caches). Does
  // not move first_seq. DataLoss when the index does not have it.
  [[nodiscard]] absl::Status RemoveLocated(StreamSeq seq, std::string_view subject, uint64_t size);
  // After first_ was removed: moves first_/first_ts_ to the next message.
  absl::Status AdvanceFirst();
  // The first existing message with seq >= `from` (seq 0 when none).
  // `fill_head` reads the head window ahead from RocksDB when needed.
  absl::Status FirstAtOrAfter(StreamSeq from, bool fill_head, StreamSeq* seq, int64_t* ts_ns);
  absl::Status FillHead(StreamSeq from);
  // Exact first/last for a subject (index seeks for stale bounds).
  absl::Status ResolveSubject(std::string_view subject, SubjectInfo* info);
  // The first index seq of `subject` >= start (0 when none).
  absl::Status SubjectNextSeq(std::string_view subject, StreamSeq start, StreamSeq* seq);
  // Count of `subject`'s messages with seq >= start (info resolved).
  absl::StatusOr<uint64_t> CountSubjectFrom(std::string_view subject, const SubjectInfo& info,
                                            StreamSeq start);
  absl::Status LoadFromDb(StreamSeq seq, StoredMessage* out);
  // Calls fn(subject, info) once for each subject matching any filter.
  void ForEachMatching(absl::Span<const std::string> filters,
                       const std::function<void(const std::string&, SubjectInfo&)>& fn);
  static bool MatchesAny(absl::Span<const std::string> filters, std::string_view subject);
  static bool IsAll(absl::Span<const std::string> filters);

  // Purge pieces (stream_purge.cc).
  absl::StatusOr<uint64_t> PurgeAll();
  absl::StatusOr<uint64_t> Compact(StreamSeq below);
  absl::StatusOr<StreamSeq> NewestKeepBoundary(uint64_t keep);
  absl::StatusOr<uint64_t> PurgeFiltered(const PurgeOptions& options);
  absl::StatusOr<uint64_t> PurgeSubjectOldest(const std::string& subject, SubjectInfo* info,
                                              uint64_t max, StreamSeq below);
  absl::Status RecomputeFirst();

  RocksStore* store_;
  const uint64_t id_;
  const std::string name_;
  std::string meta_;
  bool dirty_ = false;
  bool index_hints_ = false;
  std::function<void()> on_next_change_;

  uint64_t msgs_ = 0;
  uint64_t bytes_ = 0;
  StreamSeq first_ = 0;
  StreamSeq last_ = 0;
  int64_t first_ts_ = 0;
  int64_t last_ts_ = 0;
  SubjectMap subjects_;
  SubjectRuns runs_;
  MsgBlocks blocks_;
  // The sequential reader of LoadNext (over the store's shared iterator,
  // valid while RocksStore::iter_pos() says it is still where it left it).
  std::optional<MsgBlocks::Cursor> read_cursor_;
  TailCache tail_;
  HeadCache head_;

  // Scratch buffer for the message encoding on the append path.
  std::string value_buf_;
};

// Rewrites the message keys of formats 1 and 2 (`id M seq`) of stream `id`
// as blocks and range records (msg_blocks.h), writing as it goes.
[[nodiscard]] absl::Status ConvertMessageKeys(RocksStore* store, uint64_t id);

class RocksStore final : public Store {
 public:
  static absl::StatusOr<std::unique_ptr<RocksStore>> OpenDb(const StoreOptions& options);
  ~RocksStore() override;

  std::vector<StreamStore*> Streams() override;
  StreamStore* Find(std::string_view name) override;
  absl::StatusOr<StreamStore*> Create(std::string_view name, std::string_view meta) override;
  absl::Status Delete(std::string_view name) override;
  absl::Status Commit() override;
  absl::Status Close() override;
  absl::Status Sync() override;
  uint64_t total_bytes() const override { return total_bytes_; }
  const StoreOptions& options() const override { return options_; }

  // For the streams.
  rocksdb::WriteBatch* batch() { return batch_.get(); }
  // Point delete of a message or index key. Deferred to Commit, where the
  // keys are written sorted after the rest of the batch: deletes at a
  // stream's head then do not move the memtable insert hints away from its
  // tail for every message (store.cc, InsertHintPrefix). Deletes of
  // distinct keys commute, and a deleted seq is only written again after
  // SetNextSeq, which calls FlushDeletes first.
  void DeleteKey(std::string_view key) {
    delete_spans_.emplace_back(delete_keys_.size(), key.size());
    delete_keys_.append(key);
  }
  // Moves the deferred deletes into the batch now.
  void FlushDeletes();
  // Commits pending writes so RocksDB reads see them.
  [[nodiscard]] absl::Status PrepareRead() { return Commit(); }
  // A fresh-enough iterator (after PrepareRead), owned by the store, valid
  // until the next Commit. For short uses with no commit in between.
  rocksdb::Iterator* Iter();
  // Iter() for the sequential read that maintains iter_pos().
  rocksdb::Iterator* IterKeepPos();
  // Where the last sequential message read left Iter(): the stream id and
  // seq of the message it is on, valid while iter_gen() is unchanged. A
  // read of the next message then steps instead of seeking.
  uint64_t iter_gen() const { return iter_gen_; }
  // Moves on with every commit: an iterator made at this value sees
  // everything committed until it changes.
  uint64_t write_gen() const { return write_gen_; }
  struct IterPos {
    uint64_t gen = 0;
    uint64_t stream_id = 0;
    StreamSeq seq = 0;
  };
  IterPos& iter_pos() { return iter_pos_; }
  std::unique_ptr<rocksdb::Iterator> NewIterator();
  // NotFound when absent. Call PrepareRead first.
  [[nodiscard]] absl::Status Get(std::string_view key, std::string* value);
  void MarkDirty(RocksStreamStore* stream) { dirty_.push_back(stream); }
  void AddBytes(int64_t delta) { total_bytes_ += static_cast<uint64_t>(delta); }
  // Evicts the oldest cached messages of the biggest tails while all tails
  // together exceed StoreOptions::tail_cache_bytes.
  void EnforceTailBudget() {
    if (tail_budget_.used > tail_budget_.limit) EvictTails();
  }
  TailBudget* tail_budget() { return &tail_budget_; }
  // Streams' own read iterators (MsgBlocks::Get) are dropped at every
  // commit, so none pins old memtables and files while its stream idles.
  void HoldIterator(MsgBlocks* holder) { iter_holders_.push_back(holder); }
  void ForgetHolder(MsgBlocks* holder) {
    iter_holders_.erase(std::remove(iter_holders_.begin(), iter_holders_.end(), holder),
                        iter_holders_.end());
  }
  // Writes `batch` at once (outside Commit; conversions at open).
  [[nodiscard]] absl::Status WriteNow(rocksdb::WriteBatch* batch);
  // Whether the memtable keeps insert hints for the stream's index keys.
  void SetIndexHints(uint64_t stream_id, bool on) {
    if (on) {
      hinted_index_.insert(stream_id);
    } else {
      hinted_index_.erase(stream_id);
    }
  }

 private:
  explicit RocksStore(StoreOptions options);
  absl::Status OpenInternal();
  absl::Status LoadCatalog();
  void EvictTails();
  // Divides StoreOptions::run_cache_entries among the streams.
  void ShareRunCache();

  StoreOptions options_;
  // Read by the memtable insert-hint transform; outlives db_.
  absl::flat_hash_set<uint64_t> hinted_index_;
  // Shared by the streams' tail caches; outlives them.
  TailBudget tail_budget_;
  std::unique_ptr<rocksdb::Env> env_;
  std::shared_ptr<rocksdb::Cache> cache_;
  std::unique_ptr<rocksdb::DB> db_;
  std::unique_ptr<rocksdb::WriteBatch> batch_;
  std::string delete_keys_;                              // DeleteKey's keys, back to back
  std::vector<std::pair<size_t, size_t>> delete_spans_;  // offset, length in delete_keys_
  std::unique_ptr<rocksdb::Iterator> iter_;
  uint64_t write_gen_ = 1;
  uint64_t iter_gen_ = 0;
  IterPos iter_pos_;
  void DropHeldIterators();
  // Declared before streams_: their MsgBlocks unregister while it lives.
  std::vector<MsgBlocks*> iter_holders_;
  std::map<std::string, std::unique_ptr<RocksStreamStore>, std::less<>> streams_;
  std::vector<RocksStreamStore*> dirty_;
  uint64_t next_id_ = 1;
  uint64_t total_bytes_ = 0;
  absl::Status write_error_;
  bool closed_ = false;
};

}  // namespace meridian::jetstream
