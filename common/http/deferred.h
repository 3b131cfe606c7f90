// The shared state behind Responder (internal to meridian_http).
//
//   Responder copies --shared_ptr--> ResponderState --> DeferredSlot --> CompletionQueue
//   Connection (while parked) -----------------------> DeferredSlot
//   Server --------------------------------------------------------> CompletionQueue
//
// The answer is decided once: DeferredSlot::Claim() lets exactly one of
// Complete(), the last Responder going away (500), the deferred timeout (504)
// or the connection closing win. Complete() and the 500 travel to the loop
// thread through the CompletionQueue, whose uv_async_t the Server closes in
// Close(); posts after that are dropped. Everything is reference counted, so
// a Responder outliving the connection, the Server or the loop touches only
// memory it co-owns.
//
// Lock: CompletionQueue::mu_ is a leaf (nothing else is locked under it; the
// items it drops are destroyed after it is released).
#pragma once

#include <uv.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "common/http/response.h"

namespace meridian::http::internal {

class CompletionQueue;
class Connection;

// One deferred request.
struct DeferredSlot {
  DeferredSlot(std::shared_ptr<CompletionQueue> q, Connection* c)
      : queue(std::move(q)), connection(c) {}

  // True for the first caller only; any thread.
  bool Claim() { return !claimed.exchange(true, std::memory_order_acq_rel); }

  const std::shared_ptr<CompletionQueue> queue;
  std::atomic<bool> claimed{false};
  // The connection still waiting for this answer; null once it stopped
  // waiting (answered, timed out, closed). Loop thread only.
  Connection* connection;
};

// Shared by all copies of one Responder. The last copy going away without
// Complete() answers 500.
class ResponderState {
 public:
  explicit ResponderState(std::shared_ptr<DeferredSlot> slot) : slot_(std::move(slot)) {}
  ~ResponderState();
  ResponderState(const ResponderState&) = delete;
  ResponderState& operator=(const ResponderState&) = delete;

  void Complete(Response response);

 private:
  const std::shared_ptr<DeferredSlot> slot_;
};

// Carries answers from any thread to the loop thread. Created (by the Server,
// on first use) and shut down on the loop thread; Post from any thread.
class CompletionQueue : public std::enable_shared_from_this<CompletionQueue> {
 public:
  static std::shared_ptr<CompletionQueue> Create(uv_loop_t* loop);
  CompletionQueue(const CompletionQueue&) = delete;
  CompletionQueue& operator=(const CompletionQueue&) = delete;

  // Queues the answer for `slot` (`abandoned`: no Responder is left; the
  // connection answers 500) and wakes the loop. Dropped after Shutdown().
  void Post(std::shared_ptr<DeferredSlot> slot, Response response, bool abandoned);
  // Loop thread: closes the async handle and drops what is queued.
  void Shutdown();

 private:
  struct Item {
    std::shared_ptr<DeferredSlot> slot;
    Response response;
    bool abandoned = false;
  };

  CompletionQueue() = default;
  static void OnAsync(uv_async_t* async);

  // std::mutex rather than absl::Mutex: Debian's libabsl is built without
  // TSan, which then cannot see the ordering an absl::Mutex gives.
  std::mutex mu_;
  uv_async_t* async_ ABSL_GUARDED_BY(mu_) = nullptr;  // heap; null once shut down
  std::vector<Item> items_ ABSL_GUARDED_BY(mu_);
};

}  // namespace meridian::http::internal
