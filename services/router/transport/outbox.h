// The bounded, coalescing queue of outgoing Frames of one Attach stream
// (client or server side). No gRPC here: the stream side plugs in a Waker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "meridian/router/v1/router.pb.h"

namespace meridian::router {

// Bounds of one stream's outgoing queue. A write in flight is not counted.
struct QueueLimits {
  size_t max_frames = 1024;          // frames waiting (after coalescing)
  size_t max_bytes = 8 << 20;        // serialized bytes waiting
  size_t max_frame_bytes = 256 << 10;  // frames are coalesced up to this size
  // A stream whose queue overflows and makes no write progress for this long
  // is cancelled (a slow peer never holds memory or the others hostage).
  absl::Duration stall_timeout = absl::Seconds(5);
};

// Counters of one stream (cumulative; a client keeps them across reconnects).
struct TransportStats {
  uint64_t frames_enqueued = 0;    // accepted Enqueue/Send calls
  uint64_t messages_enqueued = 0;
  uint64_t writes = 0;             // stream writes (one Frame each)
  uint64_t messages_written = 0;
  uint64_t bytes_written = 0;      // serialized size of written Frames
  uint64_t overflows = 0;          // refused because the queue was full
  uint64_t dropped = 0;            // refused or discarded while not connected
  uint64_t stall_cancels = 0;      // streams cancelled because the peer stalled
  uint64_t frames_received = 0;
  uint64_t messages_received = 0;
};

// Implemented by the stream side. Called with the Outbox lock held, from any
// thread: must not block nor call back into the Outbox.
class OutboxWaker {
 public:
  virtual ~OutboxWaker() = default;
  // Data is waiting and no write is in flight: arrange for TakeNext soon.
  virtual void Wake() = 0;
  // The peer stalled (or Close was asked): cancel the stream.
  virtual void Cancel() = 0;
};

// Thread-safe. Producers call Enqueue; the stream thread calls TakeNext after
// each completed write (one write outstanding) and when woken.
//
// Coalescing: a Frame is merged into the last queued one unless that would
// reorder interest and messages, the new Frame carries hello or
// interest_reset, the queued one carries hello, or the merged Frame would
// exceed max_frame_bytes. So everything queued while a write is in flight
// normally goes out in the next write.
class Outbox {
 public:
  using Frame = ::meridian::router::v1::Frame;

  explicit Outbox(const QueueLimits& limits) : limits_(limits) {}
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Queues a copy of `frame`. False (and nothing queued) when closed or full.
  bool Enqueue(const Frame& frame);
  // Calls `build` to append to a Frame (under the lock: keep it short, do not
  // call into this Outbox) and queues what it added. `build` must only append
  // (add_messages, add_interest; it may set hello or interest_reset): the
  // Frame it gets may already hold earlier queued content, so this builds in
  // place without a copy. Reuses Frames and their messages, so the steady
  // state does not allocate. All or nothing: when full, what `build` added
  // is removed again.
  bool Enqueue(absl::FunctionRef<void(Frame*)> build);

  // Stream side. Opens the queue (empty, no write in flight) with `waker`
  // attached. No-op once sealed.
  void Open(OutboxWaker* waker);
  // Detaches the waker and discards what is queued (counted as dropped).
  // After Close the waker is never called again.
  void Close();
  // Close forever: Open does nothing afterwards.
  void Seal();
  // Cancels the stream through the waker, if attached.
  void CancelStream();
  bool is_open() const;

  // The next Frame to write, or null (then the stream is idle and the next
  // Enqueue wakes it). Give the Frame back with Recycle once written.
  std::unique_ptr<Frame> TakeNext();
  void Recycle(std::unique_ptr<Frame> frame);
  // Counts a Frame read from the stream (for stats()).
  void CountReceived(const Frame& frame);

  TransportStats stats() const;
  size_t queued_frames() const;
  size_t queued_bytes() const;

  // Flow control. When a write last completed (InfinitePast before the
  // first): a queue that holds data and has made no progress for long is a
  // stuck peer, not a slow one.
  absl::Time last_progress() const;
  // After WatchDrain, `on_drain` (set once, before the stream opens) runs
  // once on the stream thread, without the lock, when a completed write
  // leaves at most a quarter of max_bytes queued.
  void SetOnDrain(std::function<void()> on_drain) { on_drain_ = std::move(on_drain); }
  void WatchDrain();
  // Wakes the stream side (e.g. to read again after a pause).
  void Kick();

 private:
  struct Entry {
    std::unique_ptr<Frame> frame;
    size_t bytes = 0;
  };
  // Queues scratch_ as a Frame of its own. Lock held (all *Locked).
  bool PushScratchLocked();
  // Whether `bytes` more fit (as a new Frame or merged); counts an overflow
  // and watches for a stall when not.
  bool FitsLocked(size_t bytes, bool new_frame);
  void AcceptedLocked(size_t bytes, int messages);
  // Counts a refusal; cancels the stream once the stall lasted stall_timeout.
  void OverflowLocked();
  std::unique_ptr<Frame> NewFrameLocked();
  // Enqueue's body for both forms: queue under mu_, wake after it.
  template <class What>
  bool EnqueueThenWake(const What& what);
  bool EnqueueLocked(const Frame& frame);
  bool EnqueueLocked(absl::FunctionRef<void(Frame*)> build);
  void MaybeWakeLocked();
  // The waker to call once mu_ is released (null when no wake-up is due).
  OutboxWaker* ClaimWakeLocked();
  void WakeUnlocked(OutboxWaker* waker);
  // Waits for wake-ups in flight: after it the waker is never touched.
  void CloseLocked(std::unique_lock<std::mutex>& lock);

  const QueueLimits limits_;
  mutable std::mutex mu_;
  OutboxWaker* waker_ = nullptr;
  bool open_ = false;
  bool sealed_ = false;
  bool writing_ = false;      // the stream holds a Frame from TakeNext
  bool wake_sent_ = false;    // Wake called since the last TakeNext
  bool wake_due_ = false;     // a wake-up to send once mu_ is released
  int wakes_in_flight_ = 0;   // Wake calls running outside mu_
  std::condition_variable wakes_done_;
  std::deque<Entry> queue_;
  size_t queued_bytes_ = 0;
  absl::Time stalled_since_ = absl::InfiniteFuture();
  bool stall_cancelled_ = false;
  absl::Time last_progress_ = absl::InfinitePast();
  bool drain_watch_ = false;
  std::function<void()> on_drain_;
  Frame scratch_;
  std::vector<std::unique_ptr<Frame>> free_;
  TransportStats stats_;
};

}  // namespace meridian::router
