#include "services/jetstream/store/msg_blocks.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "rocksdb/iterator.h"
#include "rocksdb/write_batch.h"
#include "services/jetstream/store/rocks_store.h"

namespace meridian::jetstream {
namespace {

rocksdb::Slice AsSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
std::string_view AsView(const rocksdb::Slice& s) { return std::string_view(s.data(), s.size()); }

absl::Status BadBlock(StreamSeq seq) {
  return absl::DataLossError(absl::StrCat("message store: bad message block ", seq));
}

// The first seq of the block `key` when it is one of stream `id`'s blocks.
bool BlockOf(uint64_t id, std::string_view key, StreamSeq* first) {
  return key.size() == keys::kTagPrefixLen + keys::kSeqLen && key[keys::kIdLen] == keys::kBlockTag &&
         keys::ReadBigEndian64(key.data()) == id && keys::ParseMsgKey(key, first);
}

}  // namespace

void BlockWriter::Add(StreamSeq seq, std::string_view msg, rocksdb::WriteBatch* batch) {
  if (block_.size() >= MsgBlocks::kMaxBlockBytes) Finish(batch);
  if (block_.empty()) first_ = prev_ = seq;
  keys::AppendBlockEntry(prev_, seq, msg, &block_);
  prev_ = seq;
}

void BlockWriter::Finish(rocksdb::WriteBatch* batch) {
  if (block_.empty()) return;
  keys::BlockKey(id_, first_, &key_);
  batch->Put(AsSlice(key_), AsSlice(block_));
  block_.clear();
}

MsgBlocks::MsgBlocks(RocksStore* store, uint64_t stream_id)
    : store_(store), id_(stream_id), pending_(stream_id) {}
MsgBlocks::~MsgBlocks() {
  if (get_it_ != nullptr) store_->ForgetHolder(this);
}

bool MsgBlocks::IsSet(const keys::RangeRecord& r, uint64_t range, StreamSeq seq) {
  if (r.removed == 0) return false;
  const uint64_t i = seq - keys::RangeFirst(range);
  return (r.bits[i / 64] >> (i % 64)) & 1;
}

absl::StatusOr<MsgBlocks::Cached*> MsgBlocks::Find(uint64_t range, bool create) {
  if (auto it = ranges_.find(range); it != ranges_.end()) return &it->second;
  Cached fresh;
  bool found = false;
  if (void_below_ != ~uint64_t{0} && range >= void_below_) {
    keys::RangeKey(id_, range, &key_buf_);
    absl::Status s = store_->Get(key_buf_, &value_buf_);
    if (s.ok()) {
      if (!keys::DecodeRange(value_buf_, &fresh.record)) {
        return absl::DataLossError(absl::StrCat("message store: bad range record ", range));
      }
      found = true;
    } else if (!absl::IsNotFound(s)) {
      return s;
    }
  }
  if (!found && !create) return nullptr;
  fresh.dirty = !found;
  Evict();
  return &ranges_.emplace(range, std::move(fresh)).first->second;
}

void MsgBlocks::Evict() {
  if (ranges_.size() < kCachedRanges * 2) return;
  for (auto it = ranges_.begin(); it != ranges_.end();) {
    if (!it->second.dirty && it->first != newest_range_) {
      ranges_.erase(it++);
    } else {
      ++it;
    }
  }
}

void MsgBlocks::MaybeCandidate(uint64_t range, const keys::RangeRecord& r, StreamSeq last) {
  if (r.removed > 0 && r.removed * 2 >= r.covered && keys::RangeLast(range) <= last) {
    candidates_.insert(range);
  }
}

absl::Status MsgBlocks::Add(StreamSeq seq, std::string_view msg) {
  const uint64_t range = keys::RangeOf(seq);
  if (!pending_.empty() && keys::RangeOf(pending_.first()) != range) {
    pending_.Finish(store_->batch());
  }
  if (range != newest_range_) {
    // The range before is complete now.
    if (auto it = ranges_.find(newest_range_); it != ranges_.end()) {
      MaybeCandidate(newest_range_, it->second.record, seq);
    }
    newest_range_ = range;
  }
  absl::StatusOr<Cached*> cached = Find(range, /*create=*/true);
  if (!cached.ok()) return cached.status();
  ++(*cached)->record.covered;
  (*cached)->dirty = true;
  pending_.Add(seq, msg, store_->batch());
  return absl::OkStatus();
}

absl::Status MsgBlocks::Remove(StreamSeq seq, StreamSeq last) {
  const uint64_t range = keys::RangeOf(seq);
  absl::StatusOr<Cached*> cached = Find(range, /*create=*/false);
  if (!cached.ok()) return cached.status();
  if (*cached == nullptr) {
    return absl::DataLossError(absl::StrCat("message store: no range record for message ", seq));
  }
  keys::RangeRecord& r = (*cached)->record;
  if (r.bits.empty()) r.bits.assign(keys::kRangeSeqs / 64, 0);
  const uint64_t i = seq - keys::RangeFirst(range);
  uint64_t& word = r.bits[i / 64];
  const uint64_t bit = uint64_t{1} << (i % 64);
  if ((word & bit) != 0 || r.removed >= r.covered) {
    return absl::DataLossError(absl::StrCat("message store: message ", seq, " removed twice"));
  }
  word |= bit;
  ++r.removed;
  (*cached)->dirty = true;
  MaybeCandidate(range, r, last);
  return absl::OkStatus();
}

absl::Status MsgBlocks::DropBelow(StreamSeq below, StreamSeq last) {
  const uint64_t range = keys::RangeOf(below);
  rocksdb::WriteBatch* batch = store_->batch();
  // Wholly older ranges: both range deletes begin at a bare tag prefix (the
  // memtable insert hints, store.cc).
  keys::BlockKey(id_, keys::RangeFirst(range), &key_buf_);
  batch->DeleteRange(keys::TagPrefix(id_, keys::kBlockTag), AsSlice(key_buf_));
  keys::RangeKey(id_, range, &key_buf_);
  batch->DeleteRange(keys::TagPrefix(id_, keys::kRangeTag), AsSlice(key_buf_));
  for (auto it = ranges_.begin(); it != ranges_.end();) {
    if (it->first < range) {
      ranges_.erase(it++);
    } else {
      ++it;
    }
  }
  for (auto it = candidates_.begin(); it != candidates_.end() && *it < range;) {
    it = candidates_.erase(it);
  }
  if (void_below_ != ~uint64_t{0}) void_below_ = std::max(void_below_, range);
  // below's own range: mark what lies under below.
  std::vector<StreamSeq> doomed;
  {
    Cursor c(this, store_->Iter());
    if (absl::Status s = c.Seek(keys::RangeFirst(range)); !s.ok()) return s;
    while (c.Valid() && c.seq() < below) {
      doomed.push_back(c.seq());
      if (absl::Status s = c.Next(); !s.ok()) return s;
    }
  }
  for (StreamSeq seq : doomed) {
    if (absl::Status s = Remove(seq, last); !s.ok()) return s;
  }
  return absl::OkStatus();
}

void MsgBlocks::Clear() {
  rocksdb::WriteBatch* batch = store_->batch();
  batch->DeleteRange(keys::TagPrefix(id_, keys::kBlockTag), keys::TagLimit(id_, keys::kBlockTag));
  batch->DeleteRange(keys::TagPrefix(id_, keys::kRangeTag), keys::TagLimit(id_, keys::kRangeTag));
  pending_.Clear();
  ranges_.clear();
  candidates_.clear();
  newest_range_ = ~uint64_t{0};
  void_below_ = ~uint64_t{0};
}

void MsgBlocks::WriteTo(rocksdb::WriteBatch* batch) {
  pending_.Finish(batch);
  for (auto& [range, cached] : ranges_) {
    if (!cached.dirty) continue;
    keys::RangeKey(id_, range, &key_buf_);
    keys::EncodeRange(cached.record, &value_buf_);
    batch->Put(AsSlice(key_buf_), AsSlice(value_buf_));
    cached.dirty = false;
  }
  Evict();
}

absl::Status MsgBlocks::Compact(rocksdb::WriteBatch* batch) {
  std::unique_ptr<rocksdb::Iterator> it = store_->NewIterator();
  BlockWriter rewritten(id_);
  for (uint64_t range : candidates_) {
    absl::StatusOr<Cached*> cached = Find(range, /*create=*/false);
    if (!cached.ok()) return cached.status();
    if (*cached == nullptr) continue;
    keys::RangeRecord& r = (*cached)->record;
    if (r.removed == 0 || r.removed * 2 < r.covered) continue;
    // Each old block is deleted before any new block is put: a new block
    // may take an old key (its first message was live), and starts at or
    // after the block it came from.
    uint64_t live = 0;
    keys::BlockKey(id_, keys::RangeFirst(range), &key_buf_);
    for (it->Seek(AsSlice(key_buf_)); it->Valid(); it->Next()) {
      StreamSeq first = 0;
      if (!BlockOf(id_, AsView(it->key()), &first) || first > keys::RangeLast(range)) break;
      batch->Delete(it->key());
      keys::BlockReader reader(first, AsView(it->value()));
      StreamSeq seq = 0;
      std::string_view msg;
      while (reader.Next(&seq, &msg)) {
        if (IsSet(r, range, seq)) continue;
        rewritten.Add(seq, msg, batch);
        ++live;
      }
      if (!reader.ok()) return BadBlock(first);
    }
    if (!it->status().ok()) return absl::InternalError(it->status().ToString());
    rewritten.Finish(batch);
    keys::RangeKey(id_, range, &key_buf_);
    if (live == 0) {
      batch->Delete(AsSlice(key_buf_));
      ranges_.erase(range);
    } else {
      r = keys::RangeRecord{};
      r.covered = live;
      keys::EncodeRange(r, &value_buf_);
      batch->Put(AsSlice(key_buf_), AsSlice(value_buf_));
      (*cached)->dirty = false;
    }
  }
  candidates_.clear();
  return absl::OkStatus();
}

absl::Status MsgBlocks::Get(StreamSeq seq, std::string* msg) {
  auto not_found = [seq] { return absl::NotFoundError(absl::StrCat("no message ", seq)); };
  const uint64_t range = keys::RangeOf(seq);
  absl::StatusOr<Cached*> cached = Find(range, /*create=*/false);
  if (!cached.ok()) return cached.status();
  if (*cached == nullptr || IsSet((*cached)->record, range, seq)) return not_found();
  // Looks for seq in the block the iterator is on: true when decided.
  if (get_it_ != nullptr && get_gen_ != store_->write_gen()) {
    get_it_.reset();  // not expected: commits drop it
    store_->ForgetHolder(this);
  }
  if (get_it_ == nullptr) {
    get_it_ = store_->NewIterator();
    get_gen_ = store_->write_gen();
    store_->HoldIterator(this);
  }
  rocksdb::Iterator* it = get_it_.get();
  absl::Status result = not_found();
  auto in_block = [&]() -> bool {
    StreamSeq first = 0;
    if (!it->Valid() || !BlockOf(id_, AsView(it->key()), &first) || first > seq ||
        keys::RangeOf(first) != range) {
      return false;
    }
    keys::BlockReader reader(first, AsView(it->value()));
    StreamSeq at = 0;
    std::string_view found;
    while (reader.Next(&at, &found)) {
      if (at < seq) continue;
      if (at == seq) {
        msg->assign(found);
        result = absl::OkStatus();
      }
      return true;  // blocks do not overlap: seq is here or nowhere
    }
    if (!reader.ok()) result = BadBlock(first);
    return !reader.ok();
  };
  // A read near the last one (a filtered consumer stepping through a
  // block) finds the iterator still on the block.
  if (in_block()) return result;
  keys::BlockKey(id_, seq, &key_buf_);
  it->SeekForPrev(AsSlice(key_buf_));
  if (!it->status().ok()) return absl::InternalError(it->status().ToString());
  in_block();
  return result;
}

absl::StatusOr<bool> MsgBlocks::Cursor::LoadBlock() {
  entries_.clear();
  if (!it_->status().ok()) return absl::InternalError(it_->status().ToString());
  StreamSeq first = 0;
  if (!it_->Valid() || !BlockOf(blocks_->id_, AsView(it_->key()), &first)) return false;
  keys::BlockReader reader(first, AsView(it_->value()));
  StreamSeq seq = 0;
  std::string_view msg;
  while (reader.Next(&seq, &msg)) entries_.emplace_back(seq, msg);
  if (!reader.ok() || entries_.empty()) return BadBlock(first);
  return true;
}

absl::StatusOr<bool> MsgBlocks::Cursor::Removed(StreamSeq seq) {
  const uint64_t range = keys::RangeOf(seq);
  if (range != range_) {
    absl::StatusOr<Cached*> cached = blocks_->Find(range, /*create=*/false);
    if (!cached.ok()) return cached.status();
    record_ = *cached == nullptr ? keys::RangeRecord{} : (*cached)->record;
    range_ = range;
  }
  return IsSet(record_, range, seq);
}

absl::Status MsgBlocks::Cursor::SkipRemoved(bool forward) {
  while (true) {
    while (idx_ < entries_.size()) {
      absl::StatusOr<bool> removed = Removed(entries_[idx_].first);
      if (!removed.ok()) return removed.status();
      if (!*removed) {
        valid_ = true;
        return absl::OkStatus();
      }
      if (forward) {
        ++idx_;
      } else if (idx_-- == 0) {
        break;
      }
    }
    forward ? it_->Next() : it_->Prev();
    absl::StatusOr<bool> loaded = LoadBlock();
    if (!loaded.ok()) return loaded.status();
    if (!*loaded) {
      valid_ = false;
      return absl::OkStatus();
    }
    idx_ = forward ? 0 : entries_.size() - 1;
  }
}

absl::StatusOr<bool> MsgBlocks::Cursor::SeekBlockAtOrBefore(StreamSeq seq) {
  keys::BlockKey(blocks_->id_, seq, &blocks_->key_buf_);
  it_->SeekForPrev(AsSlice(blocks_->key_buf_));
  return LoadBlock();
}

absl::Status MsgBlocks::Cursor::Seek(StreamSeq from) {
  valid_ = false;
  absl::StatusOr<bool> loaded = SeekBlockAtOrBefore(from);
  if (!loaded.ok()) return loaded.status();
  if (!*loaded) {
    it_->Seek(AsSlice(blocks_->key_buf_));
    loaded = LoadBlock();
    if (!loaded.ok()) return loaded.status();
    if (!*loaded) return absl::OkStatus();
  }
  idx_ = std::lower_bound(entries_.begin(), entries_.end(), from,
                          [](const auto& e, StreamSeq s) { return e.first < s; }) -
         entries_.begin();
  return SkipRemoved(/*forward=*/true);
}

absl::Status MsgBlocks::Cursor::SeekForPrev(StreamSeq at) {
  valid_ = false;
  absl::StatusOr<bool> loaded = SeekBlockAtOrBefore(at);
  if (!loaded.ok()) return loaded.status();
  if (!*loaded) return absl::OkStatus();
  // Entries <= at: the block's first is, so at least one.
  idx_ = std::upper_bound(entries_.begin(), entries_.end(), at,
                          [](StreamSeq s, const auto& e) { return s < e.first; }) -
         entries_.begin() - 1;
  return SkipRemoved(/*forward=*/false);
}

absl::Status MsgBlocks::Cursor::Next() {
  if (!valid_) return absl::OkStatus();
  ++idx_;
  return SkipRemoved(/*forward=*/true);
}

absl::Status MsgBlocks::Cursor::Prev() {
  if (!valid_) return absl::OkStatus();
  if (idx_ == 0) {
    it_->Prev();
    absl::StatusOr<bool> loaded = LoadBlock();
    if (!loaded.ok()) return loaded.status();
    if (!*loaded) {
      valid_ = false;
      return absl::OkStatus();
    }
    idx_ = entries_.size() - 1;
  } else {
    --idx_;
  }
  return SkipRemoved(/*forward=*/false);
}

absl::Status ConvertMessageKeys(RocksStore* store, uint64_t id) {
  constexpr size_t kWriteBytes = 16 << 20;
  const std::string prefix = keys::TagPrefix(id, keys::kMsgTag);
  std::unique_ptr<rocksdb::Iterator> it = store->NewIterator();
  rocksdb::WriteBatch batch;
  BlockWriter blocks(id);
  std::string key;
  std::string value;
  uint64_t range = ~uint64_t{0};
  keys::RangeRecord record;
  auto finish_range = [&] {
    blocks.Finish(&batch);
    if (record.covered == 0) return;
    keys::RangeKey(id, range, &key);
    keys::EncodeRange(record, &value);
    batch.Put(AsSlice(key), AsSlice(value));
    record = keys::RangeRecord{};
  };
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    StreamSeq seq = 0;
    if (!keys::ParseMsgKey(AsView(it->key()), &seq) || seq == 0) {
      return absl::DataLossError("message store: bad message key");
    }
    if (keys::RangeOf(seq) != range) {
      finish_range();
      range = keys::RangeOf(seq);
    }
    blocks.Add(seq, AsView(it->value()), &batch);
    ++record.covered;
    if (batch.GetDataSize() >= kWriteBytes) {
      if (absl::Status s = store->WriteNow(&batch); !s.ok()) return s;
      batch.Clear();
    }
  }
  if (!it->status().ok()) return absl::InternalError(it->status().ToString());
  finish_range();
  // The bare tag prefix begins the range delete (store.cc, InsertHintPrefix).
  batch.DeleteRange(AsSlice(prefix), keys::TagLimit(id, keys::kMsgTag));
  return store->WriteNow(&batch);
}

}  // namespace meridian::jetstream
