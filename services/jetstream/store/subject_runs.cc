// SubjectRuns and the reads of the committed run index (subject_runs.h).
#include "services/jetstream/store/subject_runs.h"

#include <algorithm>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "rocksdb/iterator.h"
#include "rocksdb/slice.h"
#include "rocksdb/write_batch.h"

namespace meridian::jetstream {
namespace {

using keys::RunEntry;

std::string_view AsView(const rocksdb::Slice& s) { return std::string_view(s.data(), s.size()); }
rocksdb::Slice AsSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

absl::Status Lost(std::string_view subject, StreamSeq seq) {
  return absl::DataLossError(absl::StrCat("message store: the index of subject ",
                                          std::string(subject), " has no message ", seq));
}

absl::Status BadRun() { return absl::DataLossError("message store: bad index record"); }

// A run read from RocksDB.
struct RunView {
  StreamSeq key = 0;
  StreamSeq span_end = 0;
  std::vector<RunEntry> entries;
};

// Whether `it` is on a run of the subject whose index prefix is `prefix`
// (then decoded into `out`).
absl::StatusOr<bool> OnRun(rocksdb::Iterator* it, std::string_view prefix, RunView* out) {
  if (!it->Valid()) {
    if (!it->status().ok()) return absl::InternalError(it->status().ToString());
    return false;
  }
  const std::string_view key = AsView(it->key());
  if (!keys::IsIndexKeyOf(key, prefix)) return false;
  out->key = keys::ReadBigEndian64(key.data() + prefix.size());
  if (!keys::DecodeRun(out->key, AsView(it->value()), &out->span_end, &out->entries)) {
    return BadRun();
  }
  return true;
}

std::string SeqKey(std::string_view prefix, StreamSeq seq) {
  std::string key(prefix);
  keys::AppendBigEndian64(&key, seq);
  return key;
}

}  // namespace

void SubjectRuns::SetLimit(size_t entries) {
  max_cached_entries_ = std::max<size_t>(1, entries);
  max_cached_runs_ = std::max<size_t>(1, entries / 16);
  if (singletons_.size() > max_cached_entries_) singletons_.clear();
  // Trimmed at the next WriteTo, when every cached run is clean.
}

void SubjectRuns::Add(std::string_view subject, StreamSeq seq, uint64_t size) {
  Pending p;
  p.seq = seq;
  p.size = size;
  if (!pending_.empty() && SubjectOf(pending_.back()) == subject) {
    p.offset = pending_.back().offset;  // a run of one subject shares its bytes
  } else {
    p.offset = static_cast<uint32_t>(arena_.size());
    arena_.append(subject);
  }
  p.length = static_cast<uint32_t>(subject.size());
  pending_.push_back(p);
}

absl::Status SubjectRuns::RemovePending(std::string_view subject, StreamSeq seq) {
  auto it = std::lower_bound(pending_.begin(), pending_.end(), seq,
                             [](const Pending& p, StreamSeq s) { return p.seq < s; });
  if (it == pending_.end() || it->seq != seq || it->size == RunEntry::kRemoved ||
      SubjectOf(*it) != subject) {
    return Lost(subject, seq);
  }
  it->size = RunEntry::kRemoved;
  return absl::OkStatus();
}

absl::Status SubjectRuns::Remove(std::string_view subject, StreamSeq seq, bool last_committed,
                                 absl::FunctionRef<rocksdb::Iterator*()> committed,
                                 absl::FunctionRef<void(std::string_view)> erase) {
  // Everything appended since the last commit comes after what was written.
  if (!pending_.empty() && seq >= pending_.front().seq) return RemovePending(subject, seq);
  if (auto single = singletons_.find(seq); single != singletons_.end()) {
    const StreamSeq key = single->second;
    singletons_.erase(single);
    if (last_committed) {
      Lend(subject, key, erase);
    } else {
      keys::IndexKey(id_, subject, key, &key_buf_);
      erase(key_buf_);
    }
    return absl::OkStatus();
  }
  StreamSeq key = 0;
  Run* run = FindCached(subject, seq, &key);
  if (run == nullptr) {
    absl::StatusOr<Run*> loaded = Load(subject, seq, committed(), &key);
    if (!loaded.ok()) return loaded.status();
    run = *loaded;
  }
  auto e = std::lower_bound(run->entries.begin(), run->entries.end(), seq,
                            [](const RunEntry& x, StreamSeq s) { return x.seq < s; });
  if (e == run->entries.end() || e->seq != seq || e->size == RunEntry::kRemoved) {
    return Lost(subject, seq);
  }
  e->size = RunEntry::kRemoved;
  if (--run->live == 0 && last_committed) {
    // Not written again: the key goes to the subject's next run or away.
    auto s = cache_.find(subject);
    cached_entries_ -= run->entries.size();
    --cached_runs_;
    s->second.erase(key);
    if (s->second.empty()) cache_.erase(s);
    Lend(subject, key, erase);
    return absl::OkStatus();
  }
  if (!run->dirty) {
    run->dirty = true;
    dirty_.emplace_back(std::string(subject), key);
  }
  return absl::OkStatus();
}

void SubjectRuns::Lend(std::string_view subject, StreamSeq key,
                       absl::FunctionRef<void(std::string_view)> erase) {
  auto [it, inserted] = lent_.try_emplace(std::string(subject), key);
  if (inserted) return;
  // Two emptied runs: the newer key is lent, the other deleted.
  keys::IndexKey(id_, subject, std::min(it->second, key), &key_buf_);
  erase(key_buf_);
  it->second = std::max(it->second, key);
}

SubjectRuns::Run* SubjectRuns::FindCached(std::string_view subject, StreamSeq seq,
                                          StreamSeq* key) {
  auto s = cache_.find(subject);
  if (s == cache_.end()) return nullptr;
  auto it = s->second.upper_bound(seq);
  if (it == s->second.begin()) return nullptr;
  --it;
  // Runs of one subject never overlap: the one covering seq is the answer;
  // a run ending before seq means the covering one is not cached.
  if (seq > it->second.span_end) return nullptr;
  *key = it->first;
  return &it->second;
}

absl::StatusOr<SubjectRuns::Run*> SubjectRuns::Load(std::string_view subject, StreamSeq seq,
                                                    rocksdb::Iterator* committed, StreamSeq* key) {
  std::string prefix;
  keys::IndexPrefix(id_, subject, &prefix);
  committed->SeekForPrev(AsSlice(SeqKey(prefix, seq)));
  RunView view;
  absl::StatusOr<bool> on = OnRun(committed, prefix, &view);
  if (!on.ok()) return on.status();
  if (!*on || seq > view.span_end) return Lost(subject, seq);
  Run run;
  run.span_end = view.span_end;
  run.live = view.entries.size();
  run.entries = std::move(view.entries);
  *key = view.key;
  return Insert(subject, view.key, std::move(run));
}

SubjectRuns::Run* SubjectRuns::Insert(std::string_view subject, StreamSeq key, Run run) {
  auto s = cache_.find(subject);
  if (s == cache_.end()) s = cache_.emplace(std::string(subject), RunsByKey()).first;
  auto [it, inserted] = s->second.emplace(key, std::move(run));
  if (inserted) {
    ++cached_runs_;
    cached_entries_ += it->second.entries.size();
    cache_order_.emplace_back(std::string(subject), key);
  }
  return &it->second;
}

void SubjectRuns::WriteTo(rocksdb::WriteBatch* batch,
                          absl::FunctionRef<void(std::string_view)> erase) {
  for (const auto& [subject, key] : dirty_) {
    auto s = cache_.find(subject);
    if (s == cache_.end()) continue;
    auto it = s->second.find(key);
    if (it == s->second.end() || !it->second.dirty) continue;
    Run& run = it->second;
    run.dirty = false;
    keys::IndexKey(id_, subject, key, &key_buf_);
    if (run.live == 0) {
      erase(key_buf_);
      cached_entries_ -= run.entries.size();
      --cached_runs_;
      s->second.erase(it);
      if (s->second.empty()) cache_.erase(s);
      continue;
    }
    keys::EncodeRun(key, run.span_end, run.entries, &value_buf_);
    batch->Put(AsSlice(key_buf_), AsSlice(value_buf_));
    const size_t before = run.entries.size();
    run.entries.erase(std::remove_if(run.entries.begin(), run.entries.end(),
                                     [](const RunEntry& e) { return e.size == RunEntry::kRemoved; }),
                      run.entries.end());
    cached_entries_ -= before - run.entries.size();
  }
  dirty_.clear();
  WritePending(batch);
  for (const auto& [subject, key] : lent_) {
    keys::IndexKey(id_, subject, key, &key_buf_);
    erase(key_buf_);
  }
  lent_.clear();
  Evict();
}

void SubjectRuns::WritePending(rocksdb::WriteBatch* batch) {
  if (pending_.empty()) return;
  // Group by subject, seqs ascending within each (stable order).
  std::vector<uint32_t> order(pending_.size());
  std::iota(order.begin(), order.end(), 0u);
  const bool one_subject = std::all_of(pending_.begin(), pending_.end(), [&](const Pending& p) {
    return p.offset == pending_.front().offset;
  });
  if (!one_subject) {
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
      return SubjectOf(pending_[a]) < SubjectOf(pending_[b]);
    });
  }
  for (size_t i = 0; i < order.size();) {
    const std::string_view subject = SubjectOf(pending_[order[i]]);
    StreamSeq key = pending_[order[i]].seq;
    Run run;
    for (; i < order.size() && SubjectOf(pending_[order[i]]) == subject; ++i) {
      const Pending& p = pending_[order[i]];
      run.span_end = p.seq;
      if (p.size == RunEntry::kRemoved) continue;
      run.entries.push_back(RunEntry{p.seq, p.size});
      ++run.live;
    }
    if (run.live == 0) continue;
    if (!lent_.empty()) {
      // A run of the subject emptied in this commit, with nothing of the
      // subject before it: this run takes its key (and so covers its span).
      if (auto lent = lent_.find(absl::string_view(subject.data(), subject.size()));
          lent != lent_.end() && lent->second < key) {
        key = lent->second;
        lent_.erase(lent);
      }
    }
    keys::IndexKey(id_, subject, key, &key_buf_);
    keys::EncodeRun(key, run.span_end, run.entries, &value_buf_);
    batch->Put(AsSlice(key_buf_), AsSlice(value_buf_));
    if (run.live == 1) {
      if (singletons_.size() >= max_cached_entries_) singletons_.clear();
      singletons_.emplace(run.entries.front().seq, key);
    } else {
      Insert(subject, key, std::move(run));
    }
  }
  pending_.clear();
  arena_.clear();
}

void SubjectRuns::Evict() {
  // All runs are clean here (WriteTo). The order queue also keeps entries
  // of runs since emptied; it is bounded too.
  while (!cache_order_.empty() &&
         (cached_runs_ > max_cached_runs_ || cached_entries_ > max_cached_entries_ ||
          cache_order_.size() > 2 * max_cached_runs_)) {
    const auto [subject, key] = std::move(cache_order_.front());
    cache_order_.pop_front();
    auto s = cache_.find(subject);
    if (s == cache_.end()) continue;
    auto it = s->second.find(key);
    if (it == s->second.end()) continue;
    cached_entries_ -= it->second.entries.size();
    --cached_runs_;
    s->second.erase(it);
    if (s->second.empty()) cache_.erase(s);
  }
}

void SubjectRuns::Clear() {
  singletons_.clear();
  lent_.clear();
  pending_.clear();
  arena_.clear();
  cache_.clear();
  cache_order_.clear();
  dirty_.clear();
  cached_runs_ = 0;
  cached_entries_ = 0;
}

namespace run_index {

absl::Status FirstAtOrAfter(rocksdb::Iterator* it, uint64_t id, std::string_view subject,
                            StreamSeq from, StreamSeq* seq) {
  *seq = 0;
  return ForEach(it, id, subject, from, [seq](StreamSeq found, uint64_t) {
    *seq = found;
    return false;
  });
}

absl::Status LastAtOrBefore(rocksdb::Iterator* it, uint64_t id, std::string_view subject,
                            StreamSeq upto, StreamSeq* seq) {
  *seq = 0;
  std::string prefix;
  keys::IndexPrefix(id, subject, &prefix);
  RunView run;
  it->SeekForPrev(AsSlice(SeqKey(prefix, upto)));
  absl::StatusOr<bool> on = OnRun(it, prefix, &run);
  for (; on.ok() && *on; on = OnRun(it, prefix, &run)) {
    for (auto e = run.entries.rbegin(); e != run.entries.rend(); ++e) {
      if (e->seq <= upto) {
        *seq = e->seq;
        return absl::OkStatus();
      }
    }
    it->Prev();
  }
  return on.status();
}

absl::StatusOr<uint64_t> Count(rocksdb::Iterator* it, uint64_t id, std::string_view subject,
                               StreamSeq from, bool above) {
  std::string prefix;
  keys::IndexPrefix(id, subject, &prefix);
  uint64_t n = 0;
  RunView run;
  if (!above) {
    it->Seek(AsSlice(prefix));
    absl::StatusOr<bool> on = OnRun(it, prefix, &run);
    for (; on.ok() && *on && run.key < from; on = OnRun(it, prefix, &run)) {
      for (const RunEntry& e : run.entries) n += e.seq < from ? 1 : 0;
      it->Next();
    }
    if (!on.ok()) return on.status();
    return n;
  }
  const std::string key = SeqKey(prefix, from);
  it->SeekForPrev(AsSlice(key));
  absl::StatusOr<bool> on = OnRun(it, prefix, &run);
  if (!on.ok()) return on.status();
  if (*on) {
    for (const RunEntry& e : run.entries) n += e.seq >= from ? 1 : 0;
    it->Next();
  } else {
    it->Seek(AsSlice(key));
  }
  // Every later run lies wholly above `from`: its count is enough.
  for (; it->Valid(); it->Next()) {
    if (!keys::IsIndexKeyOf(AsView(it->key()), prefix)) break;
    uint64_t count = 0;
    if (!keys::DecodeRunCount(AsView(it->value()), &count)) return BadRun();
    n += count;
  }
  if (!it->status().ok()) return absl::InternalError(it->status().ToString());
  return n;
}

absl::Status ForEach(rocksdb::Iterator* it, uint64_t id, std::string_view subject, StreamSeq from,
                     absl::FunctionRef<bool(StreamSeq, uint64_t)> fn) {
  std::string prefix;
  keys::IndexPrefix(id, subject, &prefix);
  const std::string key = SeqKey(prefix, from);
  RunView run;
  // The run starting at or before `from` may hold later messages.
  it->SeekForPrev(AsSlice(key));
  absl::StatusOr<bool> on = OnRun(it, prefix, &run);
  if (!on.ok()) return on.status();
  if (!*on) {
    it->Seek(AsSlice(key));
    on = OnRun(it, prefix, &run);
  }
  for (; on.ok() && *on; on = OnRun(it, prefix, &run)) {
    for (const RunEntry& e : run.entries) {
      if (e.seq >= from && !fn(e.seq, e.size)) return absl::OkStatus();
    }
    it->Next();
  }
  return on.status();
}

absl::Status ScanAll(rocksdb::Iterator* it, uint64_t id,
                     absl::FunctionRef<absl::Status(std::string_view, StreamSeq, uint64_t)> fn) {
  const std::string prefix = keys::TagPrefix(id, keys::kIndexTag);
  std::vector<RunEntry> entries;
  for (it->Seek(AsSlice(prefix)); it->Valid() && it->key().starts_with(AsSlice(prefix));
       it->Next()) {
    std::string_view subject;
    StreamSeq key = 0;
    StreamSeq span_end = 0;
    if (!keys::ParseIndexKey(AsView(it->key()), &subject, &key) ||
        !keys::DecodeRun(key, AsView(it->value()), &span_end, &entries)) {
      return BadRun();
    }
    for (const RunEntry& e : entries) {
      if (absl::Status s = fn(subject, e.seq, e.size); !s.ok()) return s;
    }
  }
  if (!it->status().ok()) return absl::InternalError(it->status().ToString());
  return absl::OkStatus();
}

}  // namespace run_index
}  // namespace meridian::jetstream
