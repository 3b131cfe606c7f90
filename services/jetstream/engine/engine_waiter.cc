#include "services/jetstream/engine/engine_waiter.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

namespace meridian::jetstream {

EngineWaiter::EngineWaiter() : event_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

EngineWaiter::~EngineWaiter() {
  if (event_fd_ >= 0) ::close(event_fd_);
}

void EngineWaiter::BindToThisThread() { thread_.store(std::this_thread::get_id(), std::memory_order_release); }

void EngineWaiter::Wake() {
  if (std::this_thread::get_id() == thread_.load(std::memory_order_acquire)) {
    woken_here_ = true;
    return;
  }
  const uint64_t one = 1;
  // EAGAIN (the counter is full) still leaves it readable: nothing is lost.
  while (::write(event_fd_, &one, sizeof(one)) < 0 && errno == EINTR) {
  }
}

void EngineWaiter::Watch(int fd, bool writable) {
  fd_ = fd;
  want_writable_ = fd >= 0 && writable;
}

EngineWaiter::Ready EngineWaiter::Wait(int64_t timeout_ns) {
  Ready ready;
  // No wait: the caller drives the link next anyway (gRPC polls its socket
  // itself then); a wake-up from another thread stays in the eventfd.
  if (woken_here_ || timeout_ns <= 0) {
    woken_here_ = false;
    return ready;
  }
  pollfd fds[2] = {{event_fd_, POLLIN, 0},
                   {fd_, static_cast<short>(POLLIN | (want_writable_ ? POLLOUT : 0)), 0}};
  const nfds_t n = fd_ >= 0 ? 2 : 1;
  const timespec timeout{static_cast<time_t>(timeout_ns / 1'000'000'000),
                         static_cast<long>(timeout_ns % 1'000'000'000)};
  if (::ppoll(fds, n, &timeout, nullptr) <= 0) return ready;
  if ((fds[0].revents & POLLIN) != 0) {
    uint64_t count;
    (void)!::read(event_fd_, &count, sizeof(count));
  }
  if (n == 2) {
    // An error or hang-up is for gRPC to read: drive as readable.
    ready.readable = (fds[1].revents & (POLLIN | POLLERR | POLLHUP)) != 0;
    ready.writable_only = !ready.readable && (fds[1].revents & POLLOUT) != 0;
  }
  return ready;
}

}  // namespace meridian::jetstream
