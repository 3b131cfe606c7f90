// Internal: a stream's messages in blocks. The messages a commit appends to
// a stream share one record (`id B first_seq`, keys.h), capped in size and
// never spanning two ranges of keys::kRangeSeqs seqs; a record per range
// (`id R range`) counts the range's messages and marks the removed ones.
// One memtable entry per commit instead of one per message (README.md).
//
// What is on disk plus what MsgBlocks holds (the block being filled, range
// records changed since the last commit) is always the whole truth. Reads
// (Get, Cursor) expect the pending block committed (RocksStore::PrepareRead).
// A complete range (the stream has appended past it) with at least half of
// its messages removed is rewritten after a commit with its live messages
// only (Compact); one with none left loses its blocks and record.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/jetstream/store/keys.h"
#include "services/jetstream/store/store.h"

namespace rocksdb {
class Iterator;
class WriteBatch;
}  // namespace rocksdb

namespace meridian::jetstream {

class RocksStore;

// Builds blocks of one range in seq order: a block goes into the batch once
// it holds MsgBlocks::kMaxBlockBytes (before the next message) or at Finish.
class BlockWriter {
 public:
  explicit BlockWriter(uint64_t stream_id) : id_(stream_id) {}
  bool empty() const { return block_.empty(); }
  StreamSeq first() const { return first_; }
  void Add(StreamSeq seq, std::string_view msg, rocksdb::WriteBatch* batch);
  void Finish(rocksdb::WriteBatch* batch);
  void Clear() { block_.clear(); }

 private:
  const uint64_t id_;
  std::string block_;
  StreamSeq first_ = 0;
  StreamSeq prev_ = 0;
  std::string key_;
};

class MsgBlocks {
 public:
  // A pending block is written once it holds this many bytes.
  static constexpr size_t kMaxBlockBytes = 64 * 1024;
  // Range records kept in memory beyond the changed ones and the newest.
  static constexpr size_t kCachedRanges = 64;

  MsgBlocks(RocksStore* store, uint64_t stream_id);
  ~MsgBlocks();

  // Appends message `seq` (keys::EncodeMsg form), above every earlier seq.
  [[nodiscard]] absl::Status Add(StreamSeq seq, std::string_view msg);
  // Marks an existing message removed; `last` is the stream's last seq.
  [[nodiscard]] absl::Status Remove(StreamSeq seq, StreamSeq last);
  // Removes every message below `below`: range deletes of the wholly older
  // ranges' blocks and records into the store's batch, marks for the rest
  // of below's range. Call after PrepareRead.
  [[nodiscard]] absl::Status DropBelow(StreamSeq below, StreamSeq last);
  // Removes everything: a range delete of every block and record into the
  // store's batch; the pending block is dropped.
  void Clear();
  // At commit: the pending block and the changed range records.
  void WriteTo(rocksdb::WriteBatch* batch);
  // After the commit landed.
  void Committed() { void_below_ = 0; }
  bool wants_compaction() const { return !candidates_.empty(); }
  // Rewrites the candidate ranges into `batch` (reads committed blocks).
  [[nodiscard]] absl::Status Compact(rocksdb::WriteBatch* batch);

  // Reads (nothing pending). NotFound when absent or removed.
  [[nodiscard]] absl::Status Get(StreamSeq seq, std::string* msg);
  // Releases Get's iterator (RocksStore, at commit and close).
  void DropIterator() { get_it_.reset(); }

  // Walks the live messages in seq order over a RocksDB iterator.
  class Cursor {
   public:
    Cursor(MsgBlocks* blocks, rocksdb::Iterator* it) : blocks_(blocks), it_(it) {}
    // The first live message with seq >= from.
    [[nodiscard]] absl::Status Seek(StreamSeq from);
    // The last live message with seq <= at.
    [[nodiscard]] absl::Status SeekForPrev(StreamSeq at);
    [[nodiscard]] absl::Status Next();
    [[nodiscard]] absl::Status Prev();
    bool Valid() const { return valid_; }
    StreamSeq seq() const { return entries_[idx_].first; }
    // keys::EncodeMsg form; valid until the cursor or its iterator moves.
    std::string_view msg() const { return entries_[idx_].second; }
    rocksdb::Iterator* iterator() const { return it_; }

   private:
    // Decodes the block the iterator is on; false when it is not one of
    // this stream's blocks.
    absl::StatusOr<bool> LoadBlock();
    // Moves to the last block starting at or before `seq` and decodes it.
    absl::StatusOr<bool> SeekBlockAtOrBefore(StreamSeq seq);
    absl::Status SkipRemoved(bool forward);
    absl::StatusOr<bool> Removed(StreamSeq seq);

    MsgBlocks* blocks_;
    rocksdb::Iterator* it_;
    std::vector<std::pair<StreamSeq, std::string_view>> entries_;
    size_t idx_ = 0;
    bool valid_ = false;
    uint64_t range_ = ~uint64_t{0};
    keys::RangeRecord record_;  // of range_; covered == 0 when it has none
  };

 private:
  struct Cached {
    keys::RangeRecord record;
    bool dirty = false;
  };

  // The record of `range`: cached, read from disk, or (create) a new empty
  // one; nullptr when it has none.
  absl::StatusOr<Cached*> Find(uint64_t range, bool create);
  void Evict();
  static bool IsSet(const keys::RangeRecord& r, uint64_t range, StreamSeq seq);
  void MaybeCandidate(uint64_t range, const keys::RangeRecord& r, StreamSeq last);

  RocksStore* store_;
  const uint64_t id_;
  BlockWriter pending_;  // the block being filled
  uint64_t newest_range_ = ~uint64_t{0};
  absl::node_hash_map<uint64_t, Cached> ranges_;
  absl::btree_set<uint64_t> candidates_;
  // Records of ranges below this one on disk are deleted in the uncommitted
  // batch (~0: all of them): read as absent until the commit.
  uint64_t void_below_ = 0;
  // Get's own iterator (made at get_gen_, a RocksStore::write_gen()): it
  // stays on the last block read, which the next read often needs again.
  std::unique_ptr<rocksdb::Iterator> get_it_;
  uint64_t get_gen_ = 0;
  std::string key_buf_;
  std::string value_buf_;
};

}  // namespace meridian::jetstream
