// How the engine thread waits between turns, and how it runs its router link
// itself: router::AttachClient's driven mode, with this as the driver. The
// engine thread sleeps in one ppoll on an eventfd (wake-ups from other
// threads: posted tasks, the link's dialer, Stop) and the link's socket;
// frames are read and written on the engine thread, with no transport
// thread and no hand-off per frame in either direction.
//
// Threads: Wake from any thread. Wait and Watch on the engine thread (Watch
// also from the thread that stops the link once the engine thread ended).
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>

#include "services/router/transport/attach_driver.h"

namespace meridian::jetstream {

class EngineWaiter : public router::AttachDriver {
 public:
  EngineWaiter();
  ~EngineWaiter() override;
  EngineWaiter(const EngineWaiter&) = delete;
  EngineWaiter& operator=(const EngineWaiter&) = delete;

  // The engine thread, first thing: wake-ups from it are noted, not sent.
  void BindToThisThread();

  // router::AttachDriver
  void Wake() override;
  void Watch(int fd, bool writable) override;

  struct Ready {
    bool readable = false;       // the link's socket has something to read
    bool writable_only = false;  // ... is writable, nothing to read
  };
  // Engine thread: returns at once (nothing ready) when woken from this
  // thread since the last call or when timeout_ns <= 0; otherwise sleeps
  // until woken, the socket is ready (as Watch asked) or timeout_ns passed.
  // Drive the link after every return.
  Ready Wait(int64_t timeout_ns);

 private:
  const int event_fd_;
  std::atomic<std::thread::id> thread_{};
  bool woken_here_ = false;  // engine thread
  int fd_ = -1;              // the link's socket, -1: none
  bool want_writable_ = false;
};

}  // namespace meridian::jetstream
