// The JetStream message store: every stream's messages, per-subject index,
// stream metadata and consumer state, in one RocksDB database per storage
// kind (`file`: on disk under <store_dir>/jetstream/db; `memory`: the same
// engine on RocksDB's in-memory Env). RocksDB headers stay in the .cc files.
//
// The store knows nothing of JetStream semantics (limits, retention, dedupe,
// consumers): it stores, indexes and counts. The engine above decides what to
// append and what to remove, so a replicated log can later sit between the
// two (the engine's decisions become log entries applied here).
//
// Writes are buffered in a pending batch and written by Commit() (one RocksDB
// write, one WAL append; with sync_always the WAL is fsynced before Commit
// returns). Reads see pending writes: a read while writes are pending commits
// them first. Recently appended messages are kept in a bounded tail cache so
// consumers reading the tail do not touch RocksDB.
//
// Thread: a Store and its StreamStores belong to one thread (the JetStream
// engine thread, never an event loop); nothing here is thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace meridian::jetstream {

// A stream sequence number (1-based; 0 = none).
using StreamSeq = uint64_t;

struct StoredMessage {
  StreamSeq seq = 0;
  int64_t ts_ns = 0;  // store time, Unix nanoseconds
  std::string subject;
  std::string headers;  // the NATS/1.0 block, empty when none
  std::string data;
};

// nats-server counts a message's size as len(subject)+len(headers)+len(data)+16
// (filestore's fileStoreMsgSize minus its own framing); StreamState.bytes uses
// the same formula so max_bytes behaves the same.
uint64_t StoredSize(std::string_view subject, std::string_view headers, std::string_view data);

struct StreamState {
  uint64_t msgs = 0;
  uint64_t bytes = 0;
  StreamSeq first_seq = 0;  // when empty: last_seq + 1 (0 when nothing was ever stored)
  StreamSeq last_seq = 0;
  int64_t first_ts_ns = 0;  // 0 when empty
  int64_t last_ts_ns = 0;
  uint64_t num_subjects = 0;
  uint64_t num_deleted = 0;  // interior gaps: (last - first + 1) - msgs
};

struct SubjectState {
  uint64_t msgs = 0;
  StreamSeq first_seq = 0;
  StreamSeq last_seq = 0;
};

struct PurgeOptions {
  std::string filter;  // empty: every subject; may contain wildcards
  StreamSeq below = 0;   // > 0: purge messages with seq < below (matching filter)
  uint64_t keep = 0;     // > 0: keep the newest `keep` (per subject when filtered)
  // With a filter and keep: true keeps the newest `keep` of each matching
  // subject; false keeps the newest `keep` of all matching messages together
  // (what nats-server's PurgeEx does for a wildcard filter). Same for a
  // literal filter. With both below and keep, at most the messages below
  // `below` go and at least `keep` stay.
  bool keep_per_subject = true;
};

// One stream's messages. Obtained from Store; owned by it.
class StreamStore {
 public:
  virtual ~StreamStore() = default;
  virtual const std::string& name() const = 0;

  // Appends with seq = last_seq + 1. `ts_ns` is the store time.
  [[nodiscard]] virtual absl::StatusOr<StreamSeq> Append(std::string_view subject,
                                                         std::string_view headers,
                                                         std::string_view data, int64_t ts_ns) = 0;
  // The next Append gets `seq`. Empty stream: any seq >= 1 (config
  // first_seq, purge with seq beyond the end). Non-empty stream: only
  // forward (seq > last_seq + 1); the skipped seqs count as deleted, as
  // nats-server's SkipMsgs (a mirror's gaps). FailedPrecondition otherwise.
  [[nodiscard]] virtual absl::Status SetNextSeq(StreamSeq seq) = 0;
  // NotFound when there is no message `seq`. `erase` overwrites the stored
  // bytes too (RocksDB: delete; same either way here, kept for the API).
  [[nodiscard]] virtual absl::Status Remove(StreamSeq seq) = 0;
  // Removes what PurgeOptions selects; returns how many were removed. With
  // everything purged, first_seq moves to last_seq + 1 (or to `below` when
  // below > last_seq + 1, as nats-server's Compact).
  [[nodiscard]] virtual absl::StatusOr<uint64_t> Purge(const PurgeOptions& options) = 0;

  // NotFound when absent.
  [[nodiscard]] virtual absl::Status Load(StreamSeq seq, StoredMessage* out) = 0;
  // The first message with seq >= start whose subject matches any of
  // `filters` (empty: any subject; filters may hold wildcards). NotFound
  // when none.
  [[nodiscard]] virtual absl::Status LoadNext(absl::Span<const std::string> filters,
                                              StreamSeq start, StoredMessage* out) = 0;
  // The newest message whose subject matches `filter` (may hold wildcards).
  [[nodiscard]] virtual absl::Status LoadLast(std::string_view filter, StoredMessage* out) = 0;
  // The first seq whose store time is >= ts_ns (last_seq + 1 when none).
  virtual StreamSeq SeqAtOrAfterTime(int64_t ts_ns) = 0;

  virtual StreamState State() const = 0;
  // Literal subject. Not const: a subject's first/last seq is resolved
  // lazily (an index seek) after removals, as nats-server's psim does.
  virtual SubjectState Subject(std::string_view subject) = 0;
  // Every subject matching `filter` (empty: all) with its state (for
  // subjects_filter, last_per_subject, filtered purge with keep), ordered by
  // subject.
  virtual std::vector<std::pair<std::string, SubjectState>> Subjects(std::string_view filter) = 0;
  // Messages with seq >= start matching any of `filters` (empty: all); with
  // last_per_subject only the newest of each subject counts. Exact.
  virtual uint64_t NumPending(absl::Span<const std::string> filters, StreamSeq start,
                              bool last_per_subject) = 0;
  // Interior deleted sequences (deleted_details), ascending.
  virtual std::vector<StreamSeq> DeletedSeqs() = 0;

  // Calls `notice` once, at the next change of the stream's messages (an
  // append, a removal, a purge, skipped sequences), before that change's
  // call returns; a later call replaces an earlier notice. The engine uses it
  // to invalidate the frontends' direct-get caches.
  virtual void NotifyOnNextChange(std::function<void()> notice) = 0;

  // Stream metadata (the engine's config + created time, opaque here).
  [[nodiscard]] virtual absl::Status PutMeta(std::string_view meta) = 0;
  virtual const std::string& meta() const = 0;

  // Consumer state blobs (opaque here), by consumer name.
  [[nodiscard]] virtual absl::Status PutConsumer(std::string_view name, std::string_view blob) = 0;
  [[nodiscard]] virtual absl::Status DeleteConsumer(std::string_view name) = 0;
  virtual std::vector<std::pair<std::string, std::string>> Consumers() = 0;
};

struct StoreOptions {
  std::string path;             // database directory (file kind)
  bool in_memory = false;       // memory kind: RocksDB on an in-memory Env, `path` is a name
  bool sync_always = false;     // fsync the WAL on every Commit
  uint64_t block_cache_bytes = 64ull << 20;
  uint64_t tail_cache_bytes = 32ull << 20;  // recently appended messages kept in RAM (all streams)
  // Index entries of recently written runs kept decoded, so that removing a
  // recent message reads nothing (subject_runs.h), ~16-24 bytes each; the
  // streams share it equally.
  uint64_t run_cache_entries = 1 << 20;
};

class Store {
 public:
  // Opens (creating if needed) and loads every stream's counters and subject
  // index. A directory that cannot be created or opened is an error naming it.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Store>> Open(const StoreOptions& options);
  virtual ~Store() = default;

  virtual std::vector<StreamStore*> Streams() = 0;
  virtual StreamStore* Find(std::string_view name) = 0;
  // AlreadyExists when present.
  [[nodiscard]] virtual absl::StatusOr<StreamStore*> Create(std::string_view name,
                                                            std::string_view meta) = 0;
  // Removes the stream, its messages and consumers. The pointer dies.
  [[nodiscard]] virtual absl::Status Delete(std::string_view name) = 0;

  // Writes what is pending (see the header comment). Cheap when nothing is.
  // After a failed write the error sticks: every later Commit returns it.
  [[nodiscard]] virtual absl::Status Commit() = 0;
  // Commits what is pending and closes the database; nothing may be called
  // afterwards but the destructor (which closes, ignoring errors, if this
  // was not called).
  [[nodiscard]] virtual absl::Status Close() = 0;
  // fsyncs what Commit wrote (the periodic sync of the default durability).
  [[nodiscard]] virtual absl::Status Sync() = 0;
  // Bytes of messages stored over all streams (for max_file_store /
  // max_memory_store).
  virtual uint64_t total_bytes() const = 0;
  virtual const StoreOptions& options() const = 0;
};

}  // namespace meridian::jetstream
