// Runs the router link's gRPC stream on a worker's libuv loop (the driven
// mode of router::AttachClient): the loop watches the stream's socket and
// calls Drive when it is readable (or writable while a write waits), when
// another thread woke it, at the end of a turn that queued frames, and on a
// timer (kBusyRetryMs / kIdleDriveMs after the last Drive). No
// transport thread: a routed message reaches the loop without a hand-off,
// and a forwarded one leaves in the loop's own turn.
//
// Threads: Wake from any thread; everything else on the loop thread.
#pragma once

#include <uv.h>

#include <atomic>
#include <thread>

#include "services/router/transport/attach_driver.h"

namespace meridian::frontend {

class LinkDriver : public router::AttachDriver {
 public:
  // `drive(ctx, writable)` runs the stream (RouterLink::Drive); true while
  // busy, and then it is driven again within kBusyRetry without an event.
  // Construct before the loop runs (initialises its handles on `loop`).
  using DriveFn = bool (*)(void* ctx, bool writable);
  LinkDriver(uv_loop_t* loop, DriveFn drive, void* ctx);
  ~LinkDriver() override;

  // Loop thread, when the loop starts.
  void Start();
  // Loop thread, end of a turn: drives if woken from the loop itself. True
  // when it did (what it delivered then needs flushing).
  bool EndOfTurn();
  // Loop thread, after the turn's last EndOfTurn: a wake-up still due (a
  // Drive that stopped at its bound) makes the loop turn again.
  void AfterTurn();
  // Whether the caller is the driving loop's thread.
  bool OnLoopThread() const;
  // Loop thread: stops driving and watching for good (the client's Stop
  // then finishes the stream on its own thread). Closes the handles.
  void Detach();

  void Wake() override;
  void Watch(int fd, bool writable) override;

 private:
  void Drive(bool writable);

  // A completion no socket event announces (finished by one of gRPC's
  // threads): while the stream is busy (AttachClient::Drive) it is picked up
  // within 1 ms; otherwise within 10 ms — one such read in twelve runs of a
  // transport test, never seen on the frontend's hot path, but the bound.
  static constexpr uint64_t kBusyRetryMs = 1;
  static constexpr uint64_t kIdleDriveMs = 10;
  uv_loop_t* const loop_;
  const DriveFn drive_;
  void* const ctx_;
  uv_async_t async_;
  uv_timer_t timer_;  // the next Drive without an event
  uv_poll_t* poll_ = nullptr;  // heap: freed in its close callback
  int poll_fd_ = -1;
  int poll_events_ = 0;
  std::atomic<std::thread::id> loop_thread_{};
  bool woken_here_ = false;  // Wake from the loop thread: drive at EndOfTurn
  bool driving_ = false;
  std::atomic<bool> detached_{false};
};

}  // namespace meridian::frontend
