// Counters of one worker loop. Written only by the owning loop (plain
// load+store on relaxed atomics: no locked instructions on the hot path),
// read by monitoring and metrics from other threads.
#pragma once

#include <atomic>
#include <cstdint>

namespace meridian::frontend {

// A counter with one writer thread.
class Counter {
 public:
  void Add(uint64_t n) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  void Inc() { Add(1); }
  uint64_t Get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

struct WorkerStats {
  Counter in_msgs, in_bytes, out_msgs, out_bytes;
  Counter slow_consumers, stale_connections;
  Counter total_connections;
};

}  // namespace meridian::frontend
