// One-shot timers for the engine thread (ack waits, pull expiries,
// heartbeats, age limits). Not thread-safe: engine thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>

#include "absl/container/flat_hash_map.h"

namespace meridian::jetstream {

class Timers {
 public:
  using Id = uint64_t;  // 0 = none

  // Runs `fn` at or after `when_ns` (monotonic-free: Unix nanoseconds, as
  // every JetStream time is). Returns its id.
  Id At(int64_t when_ns, std::function<void()> fn) {
    Id id = ++last_id_;
    auto it = by_time_.emplace(when_ns, id);
    entries_.emplace(id, Entry{it, std::move(fn)});
    return id;
  }
  // Idempotent; `id` may have fired already. Resets *id to 0.
  void Cancel(Id* id) {
    if (*id == 0) return;
    auto it = entries_.find(*id);
    if (it != entries_.end()) {
      by_time_.erase(it->second.pos);
      entries_.erase(it);
    }
    *id = 0;
  }
  // Runs what is due at `now_ns` (timers scheduled while running, if due,
  // run too). Returns how many ran.
  int RunDue(int64_t now_ns) {
    int ran = 0;
    while (!by_time_.empty() && by_time_.begin()->first <= now_ns) {
      Id id = by_time_.begin()->second;
      by_time_.erase(by_time_.begin());
      auto it = entries_.find(id);
      std::function<void()> fn = std::move(it->second.fn);
      entries_.erase(it);
      fn();
      ++ran;
    }
    return ran;
  }
  // The earliest deadline, or INT64_MAX.
  int64_t next() const { return by_time_.empty() ? INT64_MAX : by_time_.begin()->first; }
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::multimap<int64_t, Id>::iterator pos;
    std::function<void()> fn;
  };
  std::multimap<int64_t, Id> by_time_;
  absl::flat_hash_map<Id, Entry> entries_;
  Id last_id_ = 0;
};

}  // namespace meridian::jetstream
