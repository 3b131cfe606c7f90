// Internal: the per-subject index as runs. The messages of one subject
// appended between two commits form a run, written as one index record
// (keys.h, EncodeRun) instead of one key per message: a stream whose turns
// append many messages of few subjects writes a few index keys per commit.
// Removing a message rewrites its run (or deletes it when emptied).
//
// SubjectRuns holds what is not committed yet (appends, changed runs) and a
// bounded cache of recently written runs, so removing a recent message
// (work queue acks, a KV key's previous revision) reads nothing. Every
// change to the index goes through it except purges, which edit the batch
// directly and Clear() this: a purge below a seq then commits at once (a
// later removal may read a run), a purge of everything leaves no run to
// read. Hence whenever a run is read, the committed index plus what
// SubjectRuns holds is the whole truth.
//
// The run_index functions read the committed index (call them after the
// store committed, RocksStore::PrepareRead). Not thread-safe: the engine
// thread only.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/jetstream/store/keys.h"

namespace rocksdb {
class Iterator;
class WriteBatch;
}  // namespace rocksdb

namespace meridian::jetstream {

class SubjectRuns {
 public:
  explicit SubjectRuns(uint64_t stream_id) : id_(stream_id) {}

  // Memory bound: at most `entries` entries of written runs cached (and one
  // run per 16 of them), at most `entries` singletons. The store divides
  // its budget among its streams (StoreOptions::run_cache_entries).
  void SetLimit(size_t entries);

  // Append path: no I/O; written by the next WriteTo. Seqs ascend.
  void Add(std::string_view subject, StreamSeq seq, uint64_t size);
  // Takes `seq` of `subject` out of the index. A run held nowhere in memory
  // is read through `committed()` (an iterator over the committed state,
  // asked for only then); a run of that message alone is deleted through
  // `erase` (the store's sorted point deletes). DataLoss when the index has
  // no such message.
  //
  // `last_committed` says the subject has no other live message written
  // before this commit: a run it empties then lends its key to the
  // subject's run appended in this commit, if any (WritePending). A KV
  // put replacing a key's revision thus overwrites one index record
  // instead of writing one and deleting another (a tombstone at a random
  // place in the memtable, then in every level, cost 2 us of 7.6 per put).
  [[nodiscard]] absl::Status Remove(std::string_view subject, StreamSeq seq, bool last_committed,
                                    absl::FunctionRef<rocksdb::Iterator*()> committed,
                                    absl::FunctionRef<void(std::string_view)> erase);
  // Whether `seq` was appended since the last commit.
  bool IsPending(StreamSeq seq) const { return !pending_.empty() && seq >= pending_.front().seq; }
  // At commit: puts new and changed runs into `batch`; an emptied run's key
  // goes to `erase` (the store's sorted point deletes).
  void WriteTo(rocksdb::WriteBatch* batch, absl::FunctionRef<void(std::string_view)> erase);
  // Forgets everything held (after a purge edited the index directly).
  void Clear();
  bool has_pending() const { return !pending_.empty() || !dirty_.empty(); }

 private:
  struct Pending {
    uint32_t offset = 0;  // subject in arena_
    uint32_t length = 0;
    StreamSeq seq = 0;
    uint64_t size = 0;  // RunEntry::kRemoved once removed
  };
  struct Run {
    StreamSeq span_end = 0;
    std::vector<keys::RunEntry> entries;  // ascending; removed ones marked
    uint64_t live = 0;
    bool dirty = false;
  };
  using RunsByKey = std::map<StreamSeq, Run>;

  std::string_view SubjectOf(const Pending& p) const {
    return std::string_view(arena_).substr(p.offset, p.length);
  }
  absl::Status RemovePending(std::string_view subject, StreamSeq seq);
  // The cached run of `subject` covering `seq`, or null.
  Run* FindCached(std::string_view subject, StreamSeq seq, StreamSeq* key);
  absl::StatusOr<Run*> Load(std::string_view subject, StreamSeq seq, rocksdb::Iterator* committed,
                            StreamSeq* key);
  Run* Insert(std::string_view subject, StreamSeq key, Run run);
  // An emptied run's key, free for the subject's next run of this commit.
  void Lend(std::string_view subject, StreamSeq key,
            absl::FunctionRef<void(std::string_view)> erase);
  void WritePending(rocksdb::WriteBatch* batch);
  void Evict();

  const uint64_t id_;
  size_t max_cached_entries_ = 1024;
  size_t max_cached_runs_ = 64;
  std::string arena_;
  std::vector<Pending> pending_;
  absl::btree_map<std::string, RunsByKey, std::less<>> cache_;
  std::deque<std::pair<std::string, StreamSeq>> cache_order_;  // oldest first
  size_t cached_runs_ = 0;
  size_t cached_entries_ = 0;
  std::vector<std::pair<std::string, StreamSeq>> dirty_;
  // Written runs holding one message (a KV key's revision, a rare
  // subject), by the message's seq -> the run's key: removing one deletes
  // (or lends) its key, with no run object cached. Bounded like the cache
  // (cleared when full).
  absl::flat_hash_map<StreamSeq, StreamSeq> singletons_;
  // Keys of runs emptied in this commit whose subject has nothing older
  // left (Remove's last_committed), by subject: the subject's new run takes
  // the key; unclaimed ones are deleted at WriteTo.
  absl::flat_hash_map<std::string, StreamSeq> lent_;
  std::string key_buf_;
  std::string value_buf_;
};

// Reads of the committed index of stream `id`.
namespace run_index {

// The subject's first message with seq >= from (*seq = 0 when none).
absl::Status FirstAtOrAfter(rocksdb::Iterator* it, uint64_t id, std::string_view subject,
                            StreamSeq from, StreamSeq* seq);
// The subject's last message with seq <= upto (*seq = 0 when none).
absl::Status LastAtOrBefore(rocksdb::Iterator* it, uint64_t id, std::string_view subject,
                            StreamSeq upto, StreamSeq* seq);
// Number of the subject's messages with seq >= from (above = true) or
// seq < from (above = false).
absl::StatusOr<uint64_t> Count(rocksdb::Iterator* it, uint64_t id, std::string_view subject,
                               StreamSeq from, bool above);
// fn(seq, size) for the subject's messages with seq >= from, ascending,
// until fn returns false.
absl::Status ForEach(rocksdb::Iterator* it, uint64_t id, std::string_view subject, StreamSeq from,
                     absl::FunctionRef<bool(StreamSeq, uint64_t)> fn);
// fn(subject, seq, size) for every message of the stream, by subject, seqs
// ascending within a subject.
absl::Status ScanAll(rocksdb::Iterator* it, uint64_t id,
                     absl::FunctionRef<absl::Status(std::string_view, StreamSeq, uint64_t)> fn);

}  // namespace run_index
}  // namespace meridian::jetstream
