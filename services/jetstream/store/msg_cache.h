// Internal: the two in-memory windows a stream keeps over its messages.
//
// TailCache: full copies of the newest messages, so consumers reading the
// tail and removals of fresh messages (work queues) do not touch RocksDB.
// Invariant: every existing message with seq >= lo() is in it. The bytes of
// all streams' tails share one TailBudget (StoreOptions::tail_cache_bytes);
// the store evicts (RocksStore::EnforceTailBudget).
//
// HeadCache: seq, time, size and subject (no payload) of the oldest
// messages, read ahead from RocksDB in one pass, so limit enforcement
// (Remove(first_seq) in a loop) needs no read per message. Invariant when
// valid: every existing message with seq in [lo(), hi()] is in it.
//
// Entries of removed messages stay, flagged, until they reach the front.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <deque>
#include <string>
#include <string_view>

#include "services/jetstream/store/store.h"

namespace meridian::jetstream {

// Its bytes live in the TailCache's chunks: valid while the entry is held.
struct TailEntry {
  StreamSeq seq = 0;
  int64_t ts_ns = 0;
  bool removed = false;
  std::string_view subject;
  std::string_view headers;
  std::string_view data;
};

struct HeadEntry {
  StreamSeq seq = 0;
  int64_t ts_ns = 0;
  bool removed = false;
  uint64_t size = 0;  // StoredSize
  std::string subject;
};

// Index of the first entry with seq >= `seq` in a seq-ordered deque.
template <typename Entry>
size_t LowerBoundSeq(const std::deque<Entry>& entries, StreamSeq seq) {
  auto it = std::lower_bound(entries.begin(), entries.end(), seq,
                             [](const Entry& e, StreamSeq s) { return e.seq < s; });
  return static_cast<size_t>(it - entries.begin());
}

struct TailBudget {
  uint64_t limit = 0;
  uint64_t used = 0;
};

class TailCache {
 public:
  explicit TailCache(TailBudget* budget) : budget_(budget) {}
  ~TailCache() { budget_->used -= bytes_; }
  TailCache(const TailCache&) = delete;
  TailCache& operator=(const TailCache&) = delete;

  StreamSeq lo() const { return lo_; }
  uint64_t bytes() const { return bytes_; }
  const std::deque<TailEntry>& entries() const { return entries_; }

  // Empties the cache; it then covers every seq >= lo.
  void Reset(StreamSeq lo) {
    entries_.clear();
    chunks_.clear();
    budget_->used -= bytes_;
    bytes_ = 0;
    lo_ = lo;
  }

  // `seq` is the new last seq (>= lo()). The caller enforces the budget.
  void Push(StreamSeq seq, int64_t ts_ns, std::string_view subject, std::string_view headers,
            std::string_view data) {
    const uint64_t cost = EntryCost(subject.size() + headers.size() + data.size());
    if (cost > budget_->limit) {
      Reset(seq + 1);
      return;
    }
    char* at = Reserve(subject.size() + headers.size() + data.size());
    TailEntry& e = entries_.emplace_back();
    e.seq = seq;
    e.ts_ns = ts_ns;
    e.subject = Copy(subject, &at);
    e.headers = Copy(headers, &at);
    e.data = Copy(data, &at);
    bytes_ += cost;
    budget_->used += cost;
  }

  // Drops the oldest entries until bytes() <= target.
  void EvictTo(uint64_t target) {
    while (bytes_ > target && !entries_.empty()) PopFront();
  }

  // The live entry for `seq`, or nullptr.
  const TailEntry* Find(StreamSeq seq) const {
    if (seq < lo_) return nullptr;
    size_t i = LowerBoundSeq(entries_, seq);
    if (i == entries_.size() || entries_[i].seq != seq || entries_[i].removed) return nullptr;
    return &entries_[i];
  }

  void MarkRemoved(StreamSeq seq) {
    if (seq < lo_) return;
    size_t i = LowerBoundSeq(entries_, seq);
    if (i == entries_.size() || entries_[i].seq != seq) return;
    entries_[i].removed = true;
    while (!entries_.empty() && entries_.front().removed) PopFront();
  }

  // Forgets entries below `seq` (they were removed); lo() >= seq after.
  void DropBelow(StreamSeq seq) {
    while (!entries_.empty() && entries_.front().seq < seq) PopFront();
    lo_ = std::max(lo_, seq);
  }

  // The first live entry with seq >= `seq` (>= lo()), or nullptr.
  const TailEntry* NextLive(StreamSeq seq) const {
    for (size_t i = LowerBoundSeq(entries_, seq); i < entries_.size(); ++i) {
      if (!entries_[i].removed) return &entries_[i];
    }
    return nullptr;
  }

  const TailEntry* LastLive() const {
    for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
      if (!it->removed) return &*it;
    }
    return nullptr;
  }

  uint64_t CountLiveFrom(StreamSeq seq) const {
    uint64_t n = 0;
    for (size_t i = LowerBoundSeq(entries_, seq); i < entries_.size(); ++i) {
      n += entries_[i].removed ? 0 : 1;
    }
    return n;
  }

 private:
  // Entries' bytes are copied into chunks of this size (bigger for a bigger
  // message), in entry order, so a chunk is freed when its last entry
  // leaves the front: one allocation per chunk instead of one per message
  // (malloc and free were a tenth of meridian-jetstream's CPU on publish).
  static constexpr size_t kChunkBytes = 16 * 1024;
  struct Chunk {
    std::unique_ptr<char[]> bytes;
    size_t capacity = 0;
    size_t used = 0;
    size_t entries = 0;
  };

  static uint64_t EntryCost(uint64_t payload) { return payload + sizeof(TailEntry); }

  // Room for `n` bytes at the back, counted as one more entry.
  char* Reserve(size_t n) {
    if (chunks_.empty() || chunks_.back().capacity - chunks_.back().used < n) {
      Chunk& c = chunks_.emplace_back();
      c.capacity = std::max(kChunkBytes, n);
      c.bytes.reset(new char[c.capacity]);
    }
    Chunk& c = chunks_.back();
    char* at = c.bytes.get() + c.used;
    c.used += n;
    ++c.entries;
    return at;
  }
  static std::string_view Copy(std::string_view s, char** at) {
    if (s.empty()) return std::string_view();
    std::memcpy(*at, s.data(), s.size());
    std::string_view out(*at, s.size());
    *at += s.size();
    return out;
  }

  void PopFront() {
    const TailEntry& e = entries_.front();
    const uint64_t cost = EntryCost(e.subject.size() + e.headers.size() + e.data.size());
    bytes_ -= cost;
    budget_->used -= cost;
    lo_ = e.seq + 1;
    entries_.pop_front();
    Chunk& c = chunks_.front();
    if (--c.entries == 0) {
      if (chunks_.size() > 1) {
        chunks_.pop_front();
      } else {
        c.used = 0;
      }
    }
  }

  TailBudget* budget_;
  uint64_t bytes_ = 0;
  StreamSeq lo_ = 1;
  std::deque<TailEntry> entries_;
  std::deque<Chunk> chunks_;
};

class HeadCache {
 public:
  bool valid() const { return valid_; }
  StreamSeq lo() const { return lo_; }
  StreamSeq hi() const { return hi_; }
  bool Covers(StreamSeq seq) const { return valid_ && seq >= lo_ && seq <= hi_; }

  void Reset() {
    valid_ = false;
    entries_.clear();
  }

  // Starts a window [lo, ...]: Add entries in seq order, then Seal(hi).
  void Begin(StreamSeq lo) {
    entries_.clear();
    lo_ = lo;
    valid_ = false;
  }
  void Add(HeadEntry entry) { entries_.push_back(std::move(entry)); }
  void Seal(StreamSeq hi) {
    hi_ = hi;
    valid_ = hi_ >= lo_;
  }

  const HeadEntry* Find(StreamSeq seq) const {
    if (!Covers(seq)) return nullptr;
    size_t i = LowerBoundSeq(entries_, seq);
    if (i == entries_.size() || entries_[i].seq != seq || entries_[i].removed) return nullptr;
    return &entries_[i];
  }

  void MarkRemoved(StreamSeq seq) {
    if (!Covers(seq)) return;
    size_t i = LowerBoundSeq(entries_, seq);
    if (i < entries_.size() && entries_[i].seq == seq) entries_[i].removed = true;
  }

  // The first live entry with seq >= `seq` inside the window, or nullptr
  // (then nothing exists in [seq, hi()]).
  const HeadEntry* NextLive(StreamSeq seq) const {
    for (size_t i = LowerBoundSeq(entries_, seq); i < entries_.size(); ++i) {
      if (!entries_[i].removed) return &entries_[i];
    }
    return nullptr;
  }

  // Forgets the window below `seq`.
  void DropBelow(StreamSeq seq) {
    if (!valid_) return;
    while (!entries_.empty() && entries_.front().seq < seq) entries_.pop_front();
    if (seq > hi_) {
      Reset();
      return;
    }
    lo_ = std::max(lo_, seq);
  }

 private:
  bool valid_ = false;
  StreamSeq lo_ = 0;
  StreamSeq hi_ = 0;
  std::deque<HeadEntry> entries_;
};

}  // namespace meridian::jetstream
