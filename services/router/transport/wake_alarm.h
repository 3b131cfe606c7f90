// Internal to the transport's .cc files (pulls in grpc++): a CompletionQueue
// wake-up that other threads can trigger.
#pragma once

#include <mutex>

#include "grpc/support/time.h"
#include "grpcpp/alarm.h"
#include "grpcpp/completion_queue.h"

namespace meridian::router::internal {

// Makes `tag` pop out of `cq` as soon as possible. At most one firing is
// outstanding; Wake while armed is a no-op. Thread-safe.
class WakeAlarm {
 public:
  WakeAlarm(grpc::CompletionQueue* cq, void* tag) : cq_(cq), tag_(tag) {}

  void Wake() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (armed_ || closed_) return;
      armed_ = true;
    }
    // Set outside mu_: the CQ thread it wakes calls Fired at once, and on one
    // CPU it would preempt this thread only to block on mu_. set_mu_ keeps
    // Set calls apart (one may still be returning when its tag popped) and
    // lets Close wait for a Set in progress.
    std::lock_guard<std::mutex> set_lock(set_mu_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_) {  // closed in between: the queue may be shut down next
        armed_ = false;
        return;
      }
    }
    // A deadline in the past fires at once; "now" is rounded up to the timer
    // manager's next millisecond (measured: ~0.7 ms median instead of ~35 us).
    alarm_.Set(cq_, gpr_inf_past(GPR_CLOCK_MONOTONIC), tag_);
  }
  ~WakeAlarm() {
    std::lock_guard<std::mutex> lock(set_mu_);  // a Set still returning
  }
  // On the CQ thread, when `tag` popped out.
  void Fired() {
    std::lock_guard<std::mutex> lock(mu_);
    armed_ = false;
  }
  // No more firings from now on. True when one is still outstanding (its
  // tag will still pop out: wait for it before destroying this).
  bool Close() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closed_ = true;
    }
    // A Wake that armed before closed_ was set either sees it and stands
    // down, or has its Set finished once set_mu_ is free: no Set can follow
    // Close (the owner may shut the queue down right after).
    std::lock_guard<std::mutex> set_lock(set_mu_);
    std::lock_guard<std::mutex> lock(mu_);
    return armed_;
  }

 private:
  grpc::CompletionQueue* const cq_;
  void* const tag_;
  std::mutex mu_;
  std::mutex set_mu_;  // held while alarm_.Set runs
  grpc::Alarm alarm_;
  bool armed_ = false;
  bool closed_ = false;
};

}  // namespace meridian::router::internal
