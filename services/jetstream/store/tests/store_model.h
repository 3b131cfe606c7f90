// Test helpers: a temporary directory and a brute-force in-memory model of
// StreamStore (a std::map of messages), the reference for randomized tests.
#pragma once

#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/subjects/subject.h"
#include "services/jetstream/store/store.h"

namespace meridian::jetstream::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "jsstore-XXXXXX").string();
    char* made = mkdtemp(tmpl.data());
    path_ = made != nullptr ? made : "";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline bool ModelMatches(const std::string& filter, const std::string& subject) {
  if (filter.empty() || filter == ">") return true;
  return subjects::SubjectMatches(filter, subject);
}

inline bool ModelMatchesAny(const std::vector<std::string>& filters, const std::string& subject) {
  if (filters.empty()) return true;
  for (const auto& f : filters) {
    if (ModelMatches(f, subject)) return true;
  }
  return false;
}

class Model {
 public:
  struct Msg {
    int64_t ts = 0;
    std::string subject;
    std::string headers;
    std::string data;
  };

  StreamSeq Append(const std::string& subject, const std::string& headers, const std::string& data,
                   int64_t ts) {
    const StreamSeq seq = ++last_;
    msgs_[seq] = Msg{ts, subject, headers, data};
    last_ts_ = ts;
    return seq;
  }

  // Returns false where the store refuses (backwards on a non-empty stream).
  bool SetNextSeq(StreamSeq seq) {
    if (!msgs_.empty()) {
      if (seq <= last_ + 1) return false;
      last_ = seq - 1;
      return true;
    }
    last_ = seq - 1;
    empty_first_ = seq;
    return true;
  }

  bool Remove(StreamSeq seq) {
    if (msgs_.erase(seq) == 0) return false;
    if (msgs_.empty()) empty_first_ = last_ + 1;
    return true;
  }

  uint64_t Purge(const PurgeOptions& o) {
    const bool all = o.filter.empty() || o.filter == ">";
    if (all) {
      StreamSeq boundary = o.below;
      if (o.keep > 0) {
        if (o.keep >= msgs_.size()) return 0;
        auto it = msgs_.rbegin();
        std::advance(it, o.keep - 1);
        boundary = boundary == 0 ? it->first : std::min(boundary, it->first);
      }
      if (boundary == 0) return PurgeAll();
      if (msgs_.empty() || boundary > last_) {
        uint64_t n = PurgeAll();
        if (boundary > last_ + 1) {
          last_ = boundary - 1;
          empty_first_ = boundary;
        }
        return n;
      }
      uint64_t n = 0;
      for (auto it = msgs_.begin(); it != msgs_.end() && it->first < boundary;) {
        it = msgs_.erase(it);
        ++n;
      }
      if (msgs_.empty() && n > 0) empty_first_ = last_ + 1;
      return n;
    }
    if (msgs_.empty()) return 0;
    std::map<std::string, uint64_t> per_subject;
    uint64_t matched = 0;
    for (auto& [seq, m] : msgs_) {
      if (ModelMatches(o.filter, m.subject)) {
        ++per_subject[m.subject];
        ++matched;
      }
    }
    std::vector<StreamSeq> doomed;
    if (o.keep > 0 && !o.keep_per_subject && per_subject.size() > 1) {
      if (o.keep >= matched) return 0;
      uint64_t max = matched - o.keep;
      for (auto& [seq, m] : msgs_) {
        if (doomed.size() >= max || (o.below > 0 && seq >= o.below)) break;
        if (ModelMatches(o.filter, m.subject)) doomed.push_back(seq);
      }
    } else {
      std::map<std::string, uint64_t> taken;
      for (auto& [seq, m] : msgs_) {
        if (!ModelMatches(o.filter, m.subject)) continue;
        uint64_t total = per_subject[m.subject];
        uint64_t max = total;
        if (o.keep > 0) max = total > o.keep ? total - o.keep : 0;
        uint64_t& t = taken[m.subject];
        if (t >= max || (o.below > 0 && seq >= o.below)) continue;
        ++t;
        doomed.push_back(seq);
      }
    }
    for (StreamSeq seq : doomed) msgs_.erase(seq);
    if (msgs_.empty() && !doomed.empty()) empty_first_ = last_ + 1;
    return doomed.size();
  }

  const Msg* Load(StreamSeq seq) const {
    auto it = msgs_.find(seq);
    return it == msgs_.end() ? nullptr : &it->second;
  }

  StreamSeq LoadNext(const std::vector<std::string>& filters, StreamSeq start) const {
    for (auto it = msgs_.lower_bound(start); it != msgs_.end(); ++it) {
      if (ModelMatchesAny(filters, it->second.subject)) return it->first;
    }
    return 0;
  }

  StreamSeq LoadLast(const std::string& filter) const {
    for (auto it = msgs_.rbegin(); it != msgs_.rend(); ++it) {
      if (ModelMatches(filter, it->second.subject)) return it->first;
    }
    return 0;
  }

  uint64_t NumPending(const std::vector<std::string>& filters, StreamSeq start, bool lps) const {
    if (!lps) {
      uint64_t n = 0;
      for (auto it = msgs_.lower_bound(start); it != msgs_.end(); ++it) {
        if (ModelMatchesAny(filters, it->second.subject)) ++n;
      }
      return n;
    }
    std::map<std::string, StreamSeq> last;
    for (auto& [seq, m] : msgs_) {
      if (ModelMatchesAny(filters, m.subject)) last[m.subject] = seq;
    }
    uint64_t n = 0;
    for (auto& [s, seq] : last) n += seq >= start ? 1 : 0;
    return n;
  }

  StreamSeq SeqAtOrAfterTime(int64_t ts) const {
    for (auto& [seq, m] : msgs_) {
      if (m.ts >= ts) return seq;
    }
    return last_ + 1;
  }

  std::vector<std::pair<std::string, SubjectState>> Subjects(const std::string& filter) const {
    std::map<std::string, SubjectState> out;
    for (auto& [seq, m] : msgs_) {
      if (!ModelMatches(filter, m.subject)) continue;
      SubjectState& s = out[m.subject];
      if (s.msgs++ == 0) s.first_seq = seq;
      s.last_seq = seq;
    }
    return {out.begin(), out.end()};
  }

  StreamState State() const {
    StreamState s;
    s.msgs = msgs_.size();
    for (auto& [seq, m] : msgs_) s.bytes += StoredSize(m.subject, m.headers, m.data);
    s.last_seq = last_;
    s.last_ts_ns = last_ts_;
    if (msgs_.empty()) {
      s.first_seq = empty_first_;
    } else {
      s.first_seq = msgs_.begin()->first;
      s.first_ts_ns = msgs_.begin()->second.ts;
      s.num_deleted = (last_ - s.first_seq + 1) - s.msgs;
    }
    std::set<std::string> subjects;
    for (auto& [seq, m] : msgs_) subjects.insert(m.subject);
    s.num_subjects = subjects.size();
    return s;
  }

  std::vector<StreamSeq> DeletedSeqs() const {
    std::vector<StreamSeq> out;
    if (msgs_.empty()) return out;
    for (StreamSeq s = msgs_.begin()->first; s <= last_; ++s) {
      if (!msgs_.count(s)) out.push_back(s);
    }
    return out;
  }

  const std::map<StreamSeq, Msg>& msgs() const { return msgs_; }
  StreamSeq last() const { return last_; }

 private:
  uint64_t PurgeAll() {
    uint64_t n = msgs_.size();
    msgs_.clear();
    empty_first_ = last_ + 1;
    return n;
  }

  std::map<StreamSeq, Msg> msgs_;
  StreamSeq last_ = 0;
  StreamSeq empty_first_ = 0;
  int64_t last_ts_ = 0;
};

}  // namespace meridian::jetstream::testing
