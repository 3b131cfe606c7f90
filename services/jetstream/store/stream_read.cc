// StreamStore: loads, subject queries, pending counts.
#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/subjects/subject.h"
#include "rocksdb/db.h"
#include "rocksdb/iterator.h"
#include "services/jetstream/store/keys.h"
#include "services/jetstream/store/rocks_store.h"

namespace meridian::jetstream {
namespace {

constexpr StreamSeq kNoSeq = std::numeric_limits<StreamSeq>::max();
// LoadNext: up to this many partially consumed subjects are searched with
// index seeks; beyond, messages are scanned from `start`.
constexpr size_t kMaxSubjectSeeks = 64;
// LoadNext on the tail: entries walked in memory before falling back to seeks.
constexpr size_t kMaxTailWalk = 4096;

// The tokens of a pattern before its first wildcard, with the trailing '.'
// ("a.b.*" -> "a.b.", "*.x" -> ""): every matching subject starts with it.
std::string_view LiteralPrefix(std::string_view pattern) {
  size_t pos = 0;
  for (subjects::TokenIterator t(pattern); !t.done(); t.Next()) {
    if (subjects::IsPartialWildcard(t.token()) || subjects::IsFullWildcard(t.token())) break;
    pos = static_cast<size_t>(t.token().data() - pattern.data()) + t.token().size() + 1;
  }
  return pattern.substr(0, std::min(pos, pattern.size()));
}

bool FilterMatches(std::string_view filter, std::string_view subject) {
  if (filter.empty()) return true;
  if (!subjects::SubjectHasWildcard(filter)) return filter == subject;
  return subjects::SubjectMatches(filter, subject);
}

void FillMessage(StreamSeq seq, const TailEntry& e, StoredMessage* out) {
  out->seq = seq;
  out->ts_ns = e.ts_ns;
  out->subject = e.subject;
  out->headers = e.headers;
  out->data = e.data;
}

SubjectState ToState(const SubjectInfo& info) {
  SubjectState s;
  s.msgs = info.msgs;
  s.first_seq = info.first;
  s.last_seq = info.last;
  return s;
}

}  // namespace

bool RocksStreamStore::IsAll(absl::Span<const std::string> filters) {
  if (filters.empty()) return true;
  for (const std::string& f : filters) {
    if (f.empty() || f == ">") return true;
  }
  return false;
}

bool RocksStreamStore::MatchesAny(absl::Span<const std::string> filters, std::string_view subject) {
  if (filters.empty()) return true;
  for (const std::string& f : filters) {
    if (FilterMatches(f, subject)) return true;
  }
  return false;
}

void RocksStreamStore::ForEachMatching(
    absl::Span<const std::string> filters,
    const std::function<void(const std::string&, SubjectInfo&)>& fn) {
  if (IsAll(filters)) {
    for (auto& [subject, info] : subjects_) fn(subject, info);
    return;
  }
  for (size_t f = 0; f < filters.size(); ++f) {
    // A subject is visited for the first filter matching it only.
    auto earlier = [&](const std::string& subject) {
      for (size_t j = 0; j < f; ++j) {
        if (FilterMatches(filters[j], subject)) return true;
      }
      return false;
    };
    const std::string& filter = filters[f];
    if (!subjects::SubjectHasWildcard(filter)) {
      auto it = subjects_.find(filter);
      if (it != subjects_.end() && !earlier(it->first)) fn(it->first, it->second);
      continue;
    }
    const std::string_view prefix = LiteralPrefix(filter);
    for (auto it = subjects_.lower_bound(prefix);
         it != subjects_.end() && std::string_view(it->first).substr(0, prefix.size()) == prefix;
         ++it) {
      if (subjects::SubjectMatches(filter, it->first) && !earlier(it->first)) {
        fn(it->first, it->second);
      }
    }
  }
}

absl::Status RocksStreamStore::ResolveSubject(std::string_view subject, SubjectInfo* info) {
  if (!info->first_stale && !info->last_stale) return absl::OkStatus();
  if (absl::Status s = store_->PrepareRead(); !s.ok()) return s;
  auto lost = [&] {
    return absl::DataLossError(
        absl::StrCat("message store: index of subject ", std::string(subject), " lost"));
  };
  StreamSeq seq = 0;
  if (info->first_stale) {
    if (absl::Status s = run_index::FirstAtOrAfter(store_->Iter(), id_, subject, info->first, &seq);
        !s.ok()) {
      return s;
    }
    if (seq == 0) return lost();
    info->first = seq;
    info->first_stale = false;
    if (info->msgs == 1) {
      info->last = seq;
      info->last_stale = false;
    }
  }
  if (info->last_stale) {
    if (absl::Status s = run_index::LastAtOrBefore(store_->Iter(), id_, subject, info->last, &seq);
        !s.ok()) {
      return s;
    }
    if (seq == 0) return lost();
    info->last = seq;
    info->last_stale = false;
  }
  return absl::OkStatus();
}

absl::Status RocksStreamStore::SubjectNextSeq(std::string_view subject, StreamSeq start,
                                              StreamSeq* seq) {
  *seq = 0;
  if (absl::Status s = store_->PrepareRead(); !s.ok()) return s;
  return run_index::FirstAtOrAfter(store_->Iter(), id_, subject, start, seq);
}

absl::StatusOr<uint64_t> RocksStreamStore::CountSubjectFrom(std::string_view subject,
                                                            const SubjectInfo& info,
                                                            StreamSeq start) {
  if (start <= info.first) return info.msgs;
  if (start > info.last) return 0;
  if (info.msgs == 1) return info.last >= start ? 1 : 0;
  if (absl::Status s = store_->PrepareRead(); !s.ok()) return s;
  // Count the smaller side of `start` (by seq distance).
  const bool count_above = info.last - start < start - info.first;
  absl::StatusOr<uint64_t> n = run_index::Count(store_->Iter(), id_, subject, start, count_above);
  if (!n.ok()) return n.status();
  return count_above ? *n : info.msgs - std::min(*n, info.msgs);
}

absl::Status RocksStreamStore::LoadFromDb(StreamSeq seq, StoredMessage* out) {
  if (absl::Status s = store_->PrepareRead(); !s.ok()) return s;
  std::string value;
  if (absl::Status s = blocks_.Get(seq, &value); !s.ok()) return s;
  keys::MsgView view;
  if (!keys::DecodeMsg(value, &view)) {
    return absl::DataLossError(absl::StrCat("message store: bad message record ", seq));
  }
  out->seq = seq;
  out->ts_ns = view.ts_ns;
  out->subject.assign(view.subject);
  out->headers.assign(view.headers);
  out->data.assign(view.data);
  return absl::OkStatus();
}

absl::Status RocksStreamStore::Load(StreamSeq seq, StoredMessage* out) {
  if (msgs_ == 0 || seq < first_ || seq > last_) {
    return absl::NotFoundError(absl::StrCat("no message ", seq));
  }
  if (seq >= tail_.lo()) {
    const TailEntry* e = tail_.Find(seq);
    if (e == nullptr) return absl::NotFoundError(absl::StrCat("no message ", seq));
    FillMessage(seq, *e, out);
    return absl::OkStatus();
  }
  if (head_.Covers(seq) && head_.Find(seq) == nullptr) {
    return absl::NotFoundError(absl::StrCat("no message ", seq));
  }
  return LoadFromDb(seq, out);
}

absl::Status RocksStreamStore::LoadNext(absl::Span<const std::string> filters, StreamSeq start,
                                        StoredMessage* out) {
  auto not_found = [] { return absl::NotFoundError("no message found"); };
  if (msgs_ == 0) return not_found();
  start = std::max(start, first_);
  if (start > last_) return not_found();

  if (IsAll(filters)) {
    if (start >= tail_.lo()) {
      const TailEntry* e = tail_.NextLive(start);
      if (e == nullptr) return not_found();
      FillMessage(e->seq, *e, out);
      return absl::OkStatus();
    }
    // One seek; the message comes from the cursor.
    if (absl::Status s = store_->PrepareRead(); !s.ok()) return s;
    rocksdb::Iterator* it = store_->IterKeepPos();
    RocksStore::IterPos& pos = store_->iter_pos();
    // A consumer reading in order: the cursor already sits on start - 1.
    const bool in_order = pos.gen == store_->iter_gen() && pos.stream_id == id_ &&
                          pos.seq + 1 == start && read_cursor_.has_value() &&
                          read_cursor_->iterator() == it && read_cursor_->Valid();
    pos = RocksStore::IterPos{};
    absl::Status s;
    if (in_order) {
      s = read_cursor_->Next();
    } else {
      read_cursor_.emplace(&blocks_, it);
      s = read_cursor_->Seek(start);
    }
    if (!s.ok()) return s;
    if (!read_cursor_->Valid()) return not_found();
    keys::MsgView view;
    if (!keys::DecodeMsg(read_cursor_->msg(), &view)) {
      return absl::DataLossError("message store: bad message record");
    }
    out->seq = read_cursor_->seq();
    pos = RocksStore::IterPos{store_->iter_gen(), id_, out->seq};
    out->ts_ns = view.ts_ns;
    out->subject.assign(view.subject);
    out->headers.assign(view.headers);
    out->data.assign(view.data);
    return absl::OkStatus();
  }

  // Subjects whose next message >= start is known from the subject map give
  // a bound; the partially consumed ones need a search.
  StreamSeq best = kNoSeq;
  std::vector<const std::string*> partial;
  absl::Status error;
  ForEachMatching(filters, [&](const std::string& subject, SubjectInfo& info) {
    if (!error.ok()) return;
    if (info.last < start) return;  // a stale last is an upper bound
    if (absl::Status s = ResolveSubject(subject, &info); !s.ok()) {
      error = s;
      return;
    }
    if (info.last < start) return;
    if (info.first >= start) {
      best = std::min(best, info.first);
    } else {
      partial.push_back(&subject);
    }
  });
  if (!error.ok()) return error;
  if (partial.empty()) return best == kNoSeq ? not_found() : Load(best, out);

  // The tail in memory: walk it from start (bounded).
  // Every message >= tail_.lo() is in the tail: walking to its end decides.
  if (start >= tail_.lo()) {
    const auto& entries = tail_.entries();
    size_t i = LowerBoundSeq(entries, start);
    const size_t end = std::min(entries.size(), i + kMaxTailWalk);
    for (; i < end; ++i) {
      const TailEntry& e = entries[i];
      if (e.seq >= best) break;
      if (!e.removed && MatchesAny(filters, e.subject)) {
        FillMessage(e.seq, e, out);
        return absl::OkStatus();
      }
    }
    if (i == entries.size() || (i < entries.size() && entries[i].seq >= best)) {
      return best == kNoSeq ? not_found() : Load(best, out);
    }
  }

  if (partial.size() <= kMaxSubjectSeeks) {
    for (const std::string* subject : partial) {
      StreamSeq seq = 0;
      if (absl::Status s = SubjectNextSeq(*subject, start, &seq); !s.ok()) return s;
      if (seq != 0) best = std::min(best, seq);
    }
    return best == kNoSeq ? not_found() : Load(best, out);
  }

  // Many partial subjects: scan messages from start up to the bound.
  if (absl::Status s = store_->PrepareRead(); !s.ok()) return s;
  MsgBlocks::Cursor c(&blocks_, store_->Iter());
  absl::Status scanned = c.Seek(start);
  for (; scanned.ok() && c.Valid(); scanned = c.Next()) {
    const StreamSeq seq = c.seq();
    keys::MsgView view;
    if (!keys::DecodeMsg(c.msg(), &view)) {
      return absl::DataLossError("message store: bad message record");
    }
    if (seq >= best) break;
    if (MatchesAny(filters, view.subject)) {
      out->seq = seq;
      out->ts_ns = view.ts_ns;
      out->subject.assign(view.subject);
      out->headers.assign(view.headers);
      out->data.assign(view.data);
      return absl::OkStatus();
    }
  }
  if (!scanned.ok()) return scanned;
  return best == kNoSeq ? not_found() : Load(best, out);
}

absl::Status RocksStreamStore::LoadLast(std::string_view filter, StoredMessage* out) {
  auto not_found = [] { return absl::NotFoundError("no message found"); };
  if (msgs_ == 0) return not_found();
  if (filter.empty() || filter == ">") {
    if (const TailEntry* e = tail_.LastLive(); e != nullptr) {
      FillMessage(e->seq, *e, out);
      return absl::OkStatus();
    }
    // Nothing live in the tail window: the newest message is below it.
    if (absl::Status s = store_->PrepareRead(); !s.ok()) return s;
    MsgBlocks::Cursor c(&blocks_, store_->Iter());
    if (absl::Status s = c.SeekForPrev(std::min(last_, tail_.lo() - 1)); !s.ok()) return s;
    if (!c.Valid()) return not_found();
    return Load(c.seq(), out);
  }
  StreamSeq best = 0;
  absl::Status error;
  const std::string f(filter);
  ForEachMatching(absl::MakeConstSpan(&f, 1), [&](const std::string& subject, SubjectInfo& info) {
    if (!error.ok() || info.last <= best) return;
    if (absl::Status s = ResolveSubject(subject, &info); !s.ok()) {
      error = s;
      return;
    }
    best = std::max(best, info.last);
  });
  if (!error.ok()) return error;
  if (best == 0) return not_found();
  return Load(best, out);
}

StreamSeq RocksStreamStore::SeqAtOrAfterTime(int64_t ts_ns) {
  if (msgs_ == 0) return last_ + 1;
  if (ts_ns <= first_ts_) return first_;
  // Binary search on "time of the first message at or after s", which grows
  // with s (store times do not go backwards).
  StreamSeq lo = first_ + 1;
  StreamSeq hi = last_ + 1;  // answer in [lo, hi]; hi means none
  StreamSeq answer = last_ + 1;
  while (lo < hi) {
    const StreamSeq mid = lo + (hi - lo) / 2;
    StreamSeq seq = 0;
    int64_t ts = 0;
    if (!FirstAtOrAfter(mid, /*fill_head=*/false, &seq, &ts).ok()) return last_ + 1;
    if (seq == 0) {
      hi = mid;
    } else if (ts >= ts_ns) {
      answer = seq;
      hi = mid;
    } else {
      lo = seq + 1;
    }
  }
  return answer;
}

StreamState RocksStreamStore::State() const {
  StreamState s;
  s.msgs = msgs_;
  s.bytes = bytes_;
  s.first_seq = first_;
  s.last_seq = last_;
  s.first_ts_ns = msgs_ == 0 ? 0 : first_ts_;
  s.last_ts_ns = last_ts_;
  s.num_subjects = subjects_.size();
  s.num_deleted = msgs_ == 0 ? 0 : (last_ - first_ + 1) - msgs_;
  return s;
}

SubjectState RocksStreamStore::Subject(std::string_view subject) {
  auto it = subjects_.find(subject);
  if (it == subjects_.end()) return SubjectState{};
  (void)ResolveSubject(subject, &it->second);
  return ToState(it->second);
}

std::vector<std::pair<std::string, SubjectState>> RocksStreamStore::Subjects(
    std::string_view filter) {
  std::vector<std::pair<std::string, SubjectState>> out;
  const std::string f(filter);
  ForEachMatching(absl::MakeConstSpan(&f, 1), [&](const std::string& subject, SubjectInfo& info) {
    (void)ResolveSubject(subject, &info);
    out.emplace_back(subject, ToState(info));
  });
  return out;  // one filter visits subjects in map order
}

uint64_t RocksStreamStore::NumPending(absl::Span<const std::string> filters, StreamSeq start,
                                      bool last_per_subject) {
  if (msgs_ == 0) return 0;
  start = std::max(start, first_);
  if (start > last_) return 0;
  const bool all = IsAll(filters);
  if (all && !last_per_subject) {
    if (start == first_) return msgs_;
    if (msgs_ == last_ - first_ + 1) return last_ - start + 1;  // no interior deletes
    if (start >= tail_.lo()) return tail_.CountLiveFrom(start);
  }
  uint64_t total = 0;
  ForEachMatching(filters, [&](const std::string& subject, SubjectInfo& info) {
    if (info.last < start) return;
    if (!ResolveSubject(subject, &info).ok()) return;
    if (last_per_subject) {
      total += info.last >= start ? 1 : 0;
      return;
    }
    absl::StatusOr<uint64_t> n = CountSubjectFrom(subject, info, start);
    if (n.ok()) total += *n;
  });
  return total;
}

std::vector<StreamSeq> RocksStreamStore::DeletedSeqs() {
  std::vector<StreamSeq> out;
  if (msgs_ == 0 || msgs_ == last_ - first_ + 1) return out;
  // One bit per seq in [first, last], set from the index keys.
  const uint64_t span = last_ - first_ + 1;
  std::vector<uint64_t> bits((span + 63) / 64, 0);
  if (!store_->PrepareRead().ok()) return out;
  absl::Status scanned = run_index::ScanAll(
      store_->Iter(), id_, [&](std::string_view, StreamSeq seq, uint64_t) {
        if (seq >= first_ && seq <= last_) {
          const uint64_t i = seq - first_;
          bits[i / 64] |= uint64_t{1} << (i % 64);
        }
        return absl::OkStatus();
      });
  if (!scanned.ok()) return out;
  out.reserve(span - msgs_);
  for (uint64_t i = 0; i < span; ++i) {
    if ((bits[i / 64] & (uint64_t{1} << (i % 64))) == 0) out.push_back(first_ + i);
  }
  return out;
}

}  // namespace meridian::jetstream
