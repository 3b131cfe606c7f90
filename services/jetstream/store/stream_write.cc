// StreamStore: recovery, appends, removals, metadata and consumer blobs.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "rocksdb/db.h"
#include "rocksdb/iterator.h"
#include "rocksdb/write_batch.h"
#include "services/jetstream/store/keys.h"
#include "services/jetstream/store/rocks_store.h"

namespace meridian::jetstream {
namespace {

rocksdb::Slice AsSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

// Head read-ahead bounds: entries and value bytes read per fill.
constexpr size_t kHeadMaxEntries = 256;
constexpr uint64_t kHeadMaxBytes = 1ull << 20;

}  // namespace

RocksStreamStore::RocksStreamStore(RocksStore* store, uint64_t id, std::string name,
                                   std::string meta, TailBudget* tail_budget)
    : store_(store),
      id_(id),
      name_(std::move(name)),
      meta_(std::move(meta)),
      runs_(id),
      blocks_(store, id),
      tail_(tail_budget) {}

void RocksStreamStore::InitEmpty() {
  tail_.Reset(1);
  MarkDirty();
}

absl::Status RocksStreamStore::Recover(const keys::SeqState& persisted) {
  std::unique_ptr<rocksdb::Iterator> it = store_->NewIterator();
  std::string current;
  SubjectInfo info;
  StreamSeq min_seq = 0;
  StreamSeq max_seq = 0;
  auto flush = [&] {
    if (info.msgs > 0) subjects_.emplace(current, info);
  };
  absl::Status scanned = run_index::ScanAll(
      it.get(), id_, [&](std::string_view subject, StreamSeq seq, uint64_t size) {
        if (info.msgs == 0 || subject != current) {
          flush();
          current.assign(subject);
          info = SubjectInfo{};
          info.first = seq;
        }
        ++info.msgs;
        info.last = seq;
        ++msgs_;
        bytes_ += size;
        if (min_seq == 0 || seq < min_seq) min_seq = seq;
        max_seq = std::max(max_seq, seq);
        return absl::OkStatus();
      });
  if (!scanned.ok()) {
    return absl::DataLossError(absl::StrCat("stream ", name_, ": ", scanned.message()));
  }
  flush();
  store_->AddBytes(static_cast<int64_t>(bytes_));

  last_ = std::max(persisted.last, max_seq);
  last_ts_ = persisted.last_ts_ns;
  if (msgs_ == 0) {
    first_ = persisted.first;
    first_ts_ = 0;
  } else {
    first_ = min_seq;
    StoredMessage m;
    if (absl::Status s = LoadFromDb(first_, &m); !s.ok()) {
      return absl::DataLossError(absl::StrCat("message store: stream ", name_, " lost message ",
                                              first_, ": ", s.message()));
    }
    first_ts_ = m.ts_ns;
    if (max_seq > persisted.last) {  // not expected: the seq state is written with every batch
      if (absl::Status s = LoadFromDb(max_seq, &m); s.ok()) last_ts_ = m.ts_ns;
    }
  }
  tail_.Reset(last_ + 1);
  return absl::OkStatus();
}

void RocksStreamStore::MarkDirty() {
  if (on_next_change_) {
    std::function<void()> notice = std::move(on_next_change_);
    on_next_change_ = nullptr;
    notice();
  }
  if (dirty_) return;
  dirty_ = true;
  store_->MarkDirty(this);
}

void RocksStreamStore::WriteRuns(rocksdb::WriteBatch* batch) {
  runs_.WriteTo(batch, [this](std::string_view key) { store_->DeleteKey(key); });
}

void RocksStreamStore::WriteSeqState(rocksdb::WriteBatch* batch) {
  keys::SeqState state;
  state.first = first_;
  state.last = last_;
  state.last_ts_ns = last_ts_;
  std::string value;
  keys::EncodeSeqState(state, &value);
  batch->Put(keys::SeqStateKey(id_), value);
}

absl::StatusOr<StreamSeq> RocksStreamStore::Append(std::string_view subject,
                                                   std::string_view headers, std::string_view data,
                                                   int64_t ts_ns) {
  if (subject.empty()) return absl::InvalidArgumentError("message subject is empty");
  const StreamSeq seq = last_ + 1;
  const uint64_t size = StoredSize(subject, headers, data);
  keys::EncodeMsg(ts_ns, subject, headers, data, &value_buf_);
  if (absl::Status s = blocks_.Add(seq, value_buf_); !s.ok()) return s;
  runs_.Add(subject, seq, size);

  if (msgs_ == 0) {
    first_ = seq;
    first_ts_ = ts_ns;
  }
  ++msgs_;
  bytes_ += size;
  store_->AddBytes(static_cast<int64_t>(size));
  last_ = seq;
  last_ts_ = ts_ns;
  auto it = subjects_.find(subject);
  if (it == subjects_.end()) {
    SubjectInfo info;
    info.msgs = 1;
    info.first = seq;
    info.last = seq;
    subjects_.emplace(std::string(subject), info);
  } else {
    SubjectInfo& info = it->second;
    ++info.msgs;
    info.last = seq;
    info.last_stale = false;
  }
  // Memtable insert hints for the index pay off with few subjects only
  // (store.cc, InsertHintPrefix); switch with some hysteresis.
  const bool want_hints = subjects_.size() <= (index_hints_ ? 2048u : 1024u);
  if (want_hints != index_hints_) {
    index_hints_ = want_hints;
    store_->SetIndexHints(id_, want_hints);
  }
  tail_.Push(seq, ts_ns, subject, headers, data);
  store_->EnforceTailBudget();
  MarkDirty();
  return seq;
}

absl::Status RocksStreamStore::SetNextSeq(StreamSeq seq) {
  if (seq == 0) return absl::InvalidArgumentError("sequence must be > 0");
  if (msgs_ != 0) {
    if (seq <= last_ + 1) {
      return absl::FailedPreconditionError("SetNextSeq backwards on a non-empty stream");
    }
    // Skip: the seqs in between never exist (interior deletes).
    last_ = seq - 1;
    MarkDirty();
    return absl::OkStatus();
  }
  // Seqs at or below last may be written again: their deletes go first
  // (index runs included).
  WriteRuns(store_->batch());
  runs_.Clear();
  store_->FlushDeletes();
  // Removed messages may still sit in blocks: those seqs may come again.
  blocks_.Clear();
  last_ = seq - 1;
  first_ = seq;
  first_ts_ = 0;
  head_.Reset();
  tail_.Reset(seq);
  MarkDirty();
  return absl::OkStatus();
}

absl::Status RocksStreamStore::Remove(StreamSeq seq) {
  if (msgs_ == 0 || seq < first_ || seq > last_) {
    return absl::NotFoundError(absl::StrCat("no message ", seq));
  }
  MsgFacts facts;
  if (absl::Status s = Locate(seq, &facts); !s.ok()) return s;
  if (absl::Status s = RemoveLocated(seq, facts.subject, facts.size); !s.ok()) return s;
  if (seq == first_) return AdvanceFirst();
  return absl::OkStatus();
}

absl::Status RocksStreamStore::Locate(StreamSeq seq, MsgFacts* out) {
  if (seq >= tail_.lo()) {
    const TailEntry* e = tail_.Find(seq);
    if (e == nullptr) return absl::NotFoundError(absl::StrCat("no message ", seq));
    out->seq = seq;
    out->ts_ns = e->ts_ns;
    out->size = StoredSize(e->subject, e->headers, e->data);
    out->subject = e->subject;
    return absl::OkStatus();
  }
  if (head_.Covers(seq)) {
    const HeadEntry* e = head_.Find(seq);
    if (e == nullptr) return absl::NotFoundError(absl::StrCat("no message ", seq));
    out->seq = seq;
    out->ts_ns = e->ts_ns;
    out->size = e->size;
    out->subject = e->subject;
    return absl::OkStatus();
  }
  StoredMessage m;
  if (absl::Status s = LoadFromDb(seq, &m); !s.ok()) return s;
  out->seq = seq;
  out->ts_ns = m.ts_ns;
  out->size = StoredSize(m.subject, m.headers, m.data);
  out->subject = std::move(m.subject);
  return absl::OkStatus();
}

absl::Status RocksStreamStore::RemoveLocated(StreamSeq seq, std::string_view subject,
                                             uint64_t size) {
  // The committed index plus runs_ is the whole index (subject_runs.h).
  // Whether the subject keeps no message written before this commit (its
  // emptied run may lend its key to the subject's new run).
  // One lookup of the subject for both uses (nothing below adds or erases
  // subjects before the update).
  auto it = subjects_.find(subject);
  bool last_committed = false;
  if (it != subjects_.end()) {
    const SubjectInfo& i = it->second;
    last_committed = i.msgs == 1 ||
                     (i.msgs == 2 && !i.last_stale && i.last != seq && runs_.IsPending(i.last));
  }
  if (absl::Status s = runs_.Remove(
          subject, seq, last_committed, [this] { return store_->Iter(); },
          [this](std::string_view key) { store_->DeleteKey(key); });
      !s.ok()) {
    return s;
  }
  if (absl::Status s = blocks_.Remove(seq, last_); !s.ok()) return s;

  --msgs_;
  bytes_ -= size;
  store_->AddBytes(-static_cast<int64_t>(size));
  if (it != subjects_.end()) {
    SubjectInfo& info = it->second;
    if (--info.msgs == 0) {
      subjects_.erase(it);
    } else {
      if (!info.first_stale && seq == info.first) {
        info.first = seq + 1;
        info.first_stale = true;
      }
      if (!info.last_stale && seq == info.last) {
        info.last = seq - 1;
        info.last_stale = true;
      }
      if (info.msgs == 1) {
        // One message left: an exact bound is its seq.
        if (!info.first_stale) {
          info.last = info.first;
          info.last_stale = false;
        } else if (!info.last_stale) {
          info.first = info.last;
          info.first_stale = false;
        }
      }
    }
  }
  tail_.MarkRemoved(seq);
  head_.MarkRemoved(seq);
  MarkDirty();
  return absl::OkStatus();
}

absl::Status RocksStreamStore::AdvanceFirst() {
  if (msgs_ == 0) {
    first_ = last_ + 1;
    first_ts_ = 0;
    head_.Reset();
    return absl::OkStatus();
  }
  StreamSeq seq = 0;
  int64_t ts = 0;
  if (absl::Status s = FirstAtOrAfter(first_ + 1, /*fill_head=*/true, &seq, &ts); !s.ok()) {
    return s;
  }
  if (seq == 0) {
    return absl::DataLossError(
        absl::StrCat("message store: stream ", name_, " counts ", msgs_, " messages but has none"));
  }
  first_ = seq;
  first_ts_ = ts;
  head_.DropBelow(first_);
  return absl::OkStatus();
}

absl::Status RocksStreamStore::FirstAtOrAfter(StreamSeq from, bool fill_head, StreamSeq* seq,
                                              int64_t* ts_ns) {
  *seq = 0;
  *ts_ns = 0;
  StreamSeq cursor = from;
  while (cursor <= last_) {
    if (head_.Covers(cursor)) {
      if (const HeadEntry* e = head_.NextLive(cursor); e != nullptr && e->seq <= head_.hi()) {
        *seq = e->seq;
        *ts_ns = e->ts_ns;
        return absl::OkStatus();
      }
      cursor = head_.hi() + 1;
      continue;
    }
    if (cursor >= tail_.lo()) {
      if (const TailEntry* e = tail_.NextLive(cursor); e != nullptr) {
        *seq = e->seq;
        *ts_ns = e->ts_ns;
      }
      return absl::OkStatus();
    }
    if (fill_head) {
      if (absl::Status s = FillHead(cursor); !s.ok()) return s;
      if (!head_.Covers(cursor)) return absl::InternalError("message store: head fill failed");
      continue;
    }
    // A seek in RocksDB: the first message >= cursor.
    if (absl::Status s = store_->PrepareRead(); !s.ok()) return s;
    MsgBlocks::Cursor c(&blocks_, store_->Iter());
    if (absl::Status s = c.Seek(cursor); !s.ok()) return s;
    if (!c.Valid()) return absl::OkStatus();
    keys::MsgView view;
    if (!keys::DecodeMsg(c.msg(), &view)) {
      return absl::DataLossError("message store: bad message record");
    }
    *seq = c.seq();
    *ts_ns = view.ts_ns;
    return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::Status RocksStreamStore::FillHead(StreamSeq from) {
  if (absl::Status s = store_->PrepareRead(); !s.ok()) return s;
  MsgBlocks::Cursor c(&blocks_, store_->Iter());
  head_.Begin(from);
  // Stop before the tail window: the tail cache already knows it.
  StreamSeq hi = std::min(last_, tail_.lo() - 1);
  size_t entries = 0;
  uint64_t read_bytes = 0;
  absl::Status s = c.Seek(from);
  for (; s.ok() && c.Valid(); s = c.Next()) {
    const StreamSeq seq = c.seq();
    keys::MsgView view;
    if (!keys::DecodeMsg(c.msg(), &view)) {
      return absl::DataLossError("message store: bad message record");
    }
    if (seq > hi) break;
    HeadEntry e;
    e.seq = seq;
    e.ts_ns = view.ts_ns;
    e.size = StoredSize(view.subject, view.headers, view.data);
    e.subject.assign(view.subject);
    head_.Add(std::move(e));
    read_bytes += c.msg().size();
    if (++entries >= kHeadMaxEntries || read_bytes >= kHeadMaxBytes) {
      hi = seq;
      break;
    }
  }
  if (!s.ok()) return s;
  head_.Seal(hi);
  return absl::OkStatus();
}

absl::Status RocksStreamStore::PutMeta(std::string_view meta) {
  meta_.assign(meta);
  store_->batch()->Put(keys::MetaKey(id_), AsSlice(meta));
  return absl::OkStatus();
}

absl::Status RocksStreamStore::PutConsumer(std::string_view name, std::string_view blob) {
  if (name.empty()) return absl::InvalidArgumentError("consumer name is empty");
  store_->batch()->Put(AsSlice(keys::ConsumerKey(id_, name)), AsSlice(blob));
  return absl::OkStatus();
}

absl::Status RocksStreamStore::DeleteConsumer(std::string_view name) {
  store_->batch()->Delete(AsSlice(keys::ConsumerKey(id_, name)));
  return absl::OkStatus();
}

std::vector<std::pair<std::string, std::string>> RocksStreamStore::Consumers() {
  std::vector<std::pair<std::string, std::string>> out;
  if (!store_->PrepareRead().ok()) return out;
  const std::string prefix = keys::TagPrefix(id_, keys::kConsumerTag);
  rocksdb::Iterator* it = store_->Iter();
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    out.emplace_back(it->key().ToString().substr(prefix.size()), it->value().ToString());
  }
  return out;
}

}  // namespace meridian::jetstream
