// StreamStore::Purge: everything, below a seq (nats-server's Compact), keep
// the newest N, and the same per filter.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/subjects/subject.h"
#include "rocksdb/db.h"
#include "rocksdb/iterator.h"
#include "rocksdb/write_batch.h"
#include "services/jetstream/store/keys.h"
#include "services/jetstream/store/rocks_store.h"

namespace meridian::jetstream {
namespace {

std::string_view AsView(const rocksdb::Slice& s) { return std::string_view(s.data(), s.size()); }

// Compact scans messages (reading their subjects) when the purged seq range
// is small next to the number of subjects; otherwise it walks each subject's
// index below the boundary.
constexpr uint64_t kScanPerSubject = 4;
// A subject losing at least this many index runs gets one range tombstone.
constexpr uint64_t kIndexRangeDeleteMin = 8;

absl::Status BadRecord() { return absl::DataLossError("message store: bad record"); }

}  // namespace

absl::StatusOr<uint64_t> RocksStreamStore::Purge(const PurgeOptions& options) {
  const bool all = options.filter.empty() || options.filter == ">";
  if (!all) return PurgeFiltered(options);
  StreamSeq boundary = options.below;  // remove seq < boundary
  if (options.keep > 0) {
    if (options.keep >= msgs_) return 0;
    absl::StatusOr<StreamSeq> keep_from = NewestKeepBoundary(options.keep);
    if (!keep_from.ok()) return keep_from.status();
    boundary = boundary == 0 ? *keep_from : std::min(boundary, *keep_from);
  }
  if (boundary == 0) return PurgeAll();
  return Compact(boundary);
}

absl::StatusOr<uint64_t> RocksStreamStore::PurgeAll() {
  const uint64_t removed = msgs_;
  rocksdb::WriteBatch* batch = store_->batch();
  // Blocks may hold removed messages even when none is left.
  blocks_.Clear();
  if (removed > 0) {
    batch->DeleteRange(keys::TagPrefix(id_, keys::kIndexTag), keys::TagLimit(id_, keys::kIndexTag));
  }
  // Nothing of the index survives the range delete: forget what is held.
  runs_.Clear();
  store_->AddBytes(-static_cast<int64_t>(bytes_));
  msgs_ = 0;
  bytes_ = 0;
  subjects_.clear();
  first_ = last_ + 1;
  first_ts_ = 0;
  head_.Reset();
  tail_.Reset(last_ + 1);
  MarkDirty();
  return removed;
}

absl::StatusOr<uint64_t> RocksStreamStore::Compact(StreamSeq below) {
  if (msgs_ == 0 || below > last_) {
    absl::StatusOr<uint64_t> removed = PurgeAll();
    if (removed.ok() && below > last_ + 1) {
      last_ = below - 1;
      first_ = below;
      tail_.Reset(below);
    }
    return removed;
  }
  if (below <= first_) return 0;
  if (absl::Status s = store_->PrepareRead(); !s.ok()) return s;
  const uint64_t before = msgs_;
  rocksdb::WriteBatch* batch = store_->batch();
  std::string key;
  std::string limit;

  if (below - first_ <= kScanPerSubject * subjects_.size()) {
    // Few messages: read them for their subjects.
    std::unique_ptr<rocksdb::Iterator> it = store_->NewIterator();
    MsgBlocks::Cursor c(&blocks_, it.get());
    std::vector<MsgFacts> doomed;
    absl::Status scanned = c.Seek(first_);
    for (; scanned.ok() && c.Valid(); scanned = c.Next()) {
      MsgFacts f;
      f.seq = c.seq();
      keys::MsgView view;
      if (!keys::DecodeMsg(c.msg(), &view)) return BadRecord();
      if (f.seq >= below) break;
      f.size = StoredSize(view.subject, view.headers, view.data);
      f.subject.assign(view.subject);
      doomed.push_back(std::move(f));
    }
    if (!scanned.ok()) return scanned;
    for (const MsgFacts& f : doomed) {
      if (absl::Status s = RemoveLocated(f.seq, f.subject, f.size); !s.ok()) return s;
    }
  } else {
    // Many messages: each subject's runs below the boundary, edited in the
    // batch directly (then runs_ forgets and the batch is committed at once:
    // subject_runs.h).
    std::unique_ptr<rocksdb::Iterator> it = store_->NewIterator();
    std::vector<std::string> emptied;
    uint64_t removed = 0;
    uint64_t removed_bytes = 0;
    std::string prefix;
    std::string value;
    std::vector<keys::RunEntry> entries;
    std::vector<StreamSeq> doomed;  // keys of runs wholly below
    for (auto& [subject, info] : subjects_) {
      if (info.first >= below) continue;  // a stale first is a lower bound
      keys::IndexPrefix(id_, subject, &prefix);
      doomed.clear();
      uint64_t gone = 0;
      StreamSeq next = 0;
      for (it->Seek(prefix); it->Valid(); it->Next()) {
        const std::string_view k = AsView(it->key());
        if (!keys::IsIndexKeyOf(k, prefix)) break;
        const StreamSeq run_key = keys::ReadBigEndian64(k.data() + prefix.size());
        StreamSeq span_end = 0;
        if (!keys::DecodeRun(run_key, AsView(it->value()), &span_end, &entries) ||
            entries.empty()) {
          return BadRecord();
        }
        size_t keep = 0;
        while (keep < entries.size() && entries[keep].seq < below) {
          removed_bytes += entries[keep].size;
          entries[keep].size = keys::RunEntry::kRemoved;
          ++keep;
        }
        gone += keep;
        if (keep == entries.size()) {
          doomed.push_back(run_key);
          continue;
        }
        // The run reaching `below`: later runs start after it.
        next = entries[keep].seq;
        if (keep > 0) {
          keys::EncodeRun(run_key, span_end, entries, &value);
          keys::IndexKey(id_, subject, run_key, &key);
          batch->Put(key, value);
        }
        break;
      }
      if (!it->status().ok()) return absl::InternalError(it->status().ToString());
      if (gone == 0) continue;
      if (doomed.size() >= kIndexRangeDeleteMin) {
        // Nothing of the subject exists below doomed.front(): begin at the
        // bare subject prefix (store.cc, InsertHintPrefix::InDomain).
        limit = prefix;
        keys::AppendBigEndian64(&limit, doomed.back() + 1);
        batch->DeleteRange(prefix, limit);
      } else {
        for (StreamSeq run_key : doomed) {
          keys::IndexKey(id_, subject, run_key, &key);
          store_->DeleteKey(key);
        }
      }
      removed += gone;
      if (gone >= info.msgs) {
        emptied.push_back(subject);
        continue;
      }
      info.msgs -= gone;
      if (next == 0) {
        info.first_stale = true;
        continue;
      }
      info.first = next;
      info.first_stale = false;
      if (info.msgs == 1) {
        info.last = next;
        info.last_stale = false;
      }
    }
    runs_.Clear();
    for (const std::string& subject : emptied) subjects_.erase(subject);
    if (absl::Status s = blocks_.DropBelow(below, last_); !s.ok()) return s;
    msgs_ -= std::min(removed, msgs_);
    bytes_ -= std::min(removed_bytes, bytes_);
    store_->AddBytes(-static_cast<int64_t>(removed_bytes));
    MarkDirty();
    if (absl::Status s = store_->PrepareRead(); !s.ok()) return s;
  }
  head_.Reset();
  tail_.DropBelow(below);
  first_ = below;  // nothing is left below; RecomputeFirst finds the real one
  if (absl::Status s = RecomputeFirst(); !s.ok()) return s;
  return before - msgs_;
}

absl::Status RocksStreamStore::RecomputeFirst() {
  MarkDirty();
  if (msgs_ == 0) {
    first_ = last_ + 1;
    first_ts_ = 0;
    return absl::OkStatus();
  }
  StreamSeq seq = 0;
  int64_t ts = 0;
  if (absl::Status s = FirstAtOrAfter(first_, /*fill_head=*/false, &seq, &ts); !s.ok()) return s;
  if (seq == 0) {
    return absl::DataLossError(
        absl::StrCat("message store: stream ", name_, " counts ", msgs_, " messages but has none"));
  }
  first_ = seq;
  first_ts_ = ts;
  return absl::OkStatus();
}

absl::StatusOr<StreamSeq> RocksStreamStore::NewestKeepBoundary(uint64_t keep) {
  // keep < msgs_: the seq of the keep-th newest message.
  if (msgs_ == last_ - first_ + 1) return last_ - keep + 1;
  uint64_t seen = 0;
  const auto& entries = tail_.entries();
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    if (!it->removed && ++seen == keep) return it->seq;
  }
  if (absl::Status s = store_->PrepareRead(); !s.ok()) return s;
  std::unique_ptr<rocksdb::Iterator> it = store_->NewIterator();
  MsgBlocks::Cursor c(&blocks_, it.get());
  absl::Status s;
  if (keep <= msgs_ - keep) {
    s = c.SeekForPrev(last_);
    for (uint64_t i = 1; i < keep && s.ok() && c.Valid(); ++i) s = c.Prev();
  } else {
    s = c.Seek(first_);
    for (uint64_t i = 0; i < msgs_ - keep && s.ok() && c.Valid(); ++i) s = c.Next();
  }
  if (!s.ok()) return s;
  if (!c.Valid()) return BadRecord();
  return c.seq();
}

absl::StatusOr<uint64_t> RocksStreamStore::PurgeSubjectOldest(const std::string& subject,
                                                              SubjectInfo* info, uint64_t max,
                                                              StreamSeq below) {
  std::unique_ptr<rocksdb::Iterator> it = store_->NewIterator();
  std::vector<std::pair<StreamSeq, uint64_t>> doomed;
  StreamSeq next = 0;
  absl::Status listed =
      run_index::ForEach(it.get(), id_, subject, info->first, [&](StreamSeq seq, uint64_t size) {
        if (doomed.size() >= max || (below > 0 && seq >= below)) {
          next = seq;
          return false;
        }
        doomed.emplace_back(seq, size);
        return true;
      });
  if (!listed.ok()) return listed;
  for (const auto& [seq, size] : doomed) {
    if (absl::Status s = RemoveLocated(seq, subject, size); !s.ok()) return s;
  }
  if (next != 0) {
    if (auto found = subjects_.find(subject); found != subjects_.end()) {
      found->second.first = next;
      found->second.first_stale = false;
    }
  }
  return doomed.size();
}

absl::StatusOr<uint64_t> RocksStreamStore::PurgeFiltered(const PurgeOptions& options) {
  if (msgs_ == 0) return 0;
  if (absl::Status s = store_->PrepareRead(); !s.ok()) return s;
  const std::string& filter = options.filter;
  std::vector<std::string> names;
  uint64_t matched = 0;
  ForEachMatching(absl::MakeConstSpan(&filter, 1),
                  [&](const std::string& subject, SubjectInfo& info) {
                    names.push_back(subject);
                    matched += info.msgs;
                  });
  uint64_t removed = 0;
  if (options.keep > 0 && !options.keep_per_subject && names.size() > 1) {
    // Keep the newest `keep` of all matching messages: remove the oldest
    // ones in seq order, scanning messages from the first.
    if (options.keep >= matched) return 0;
    const uint64_t max = matched - options.keep;
    std::unique_ptr<rocksdb::Iterator> it = store_->NewIterator();
    MsgBlocks::Cursor c(&blocks_, it.get());
    std::vector<MsgFacts> doomed;
    absl::Status scanned = c.Seek(first_);
    for (; scanned.ok() && c.Valid() && doomed.size() < max; scanned = c.Next()) {
      MsgFacts f;
      f.seq = c.seq();
      keys::MsgView view;
      if (!keys::DecodeMsg(c.msg(), &view)) return BadRecord();
      if (options.below > 0 && f.seq >= options.below) break;
      if (!MatchesAny(absl::MakeConstSpan(&filter, 1), view.subject)) continue;
      f.size = StoredSize(view.subject, view.headers, view.data);
      f.subject.assign(view.subject);
      doomed.push_back(std::move(f));
    }
    if (!scanned.ok()) return scanned;
    for (const MsgFacts& f : doomed) {
      if (absl::Status s = RemoveLocated(f.seq, f.subject, f.size); !s.ok()) return s;
    }
    removed = doomed.size();
  } else {
    for (const std::string& name : names) {
      auto found = subjects_.find(name);
      if (found == subjects_.end()) continue;
      SubjectInfo* info = &found->second;
      uint64_t max = info->msgs;
      if (options.keep > 0) max = info->msgs > options.keep ? info->msgs - options.keep : 0;
      if (max == 0) continue;
      absl::StatusOr<uint64_t> n = PurgeSubjectOldest(name, info, max, options.below);
      if (!n.ok()) return n.status();
      removed += *n;
    }
  }
  if (removed > 0) {
    // RemoveLocated leaves first_ alone: find the first survivor from it.
    head_.Reset();
    if (absl::Status s = RecomputeFirst(); !s.ok()) return s;
  }
  return removed;
}

}  // namespace meridian::jetstream
