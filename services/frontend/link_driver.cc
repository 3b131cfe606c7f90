#include "services/frontend/link_driver.h"

namespace meridian::frontend {

LinkDriver::LinkDriver(uv_loop_t* loop, DriveFn drive, void* ctx)
    : loop_(loop), drive_(drive), ctx_(ctx) {
  uv_async_init(loop_, &async_, [](uv_async_t* h) { static_cast<LinkDriver*>(h->data)->Drive(false); });
  async_.data = this;
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
}

LinkDriver::~LinkDriver() = default;

void LinkDriver::Start() { loop_thread_.store(std::this_thread::get_id(), std::memory_order_release); }

void LinkDriver::Wake() {
  if (detached_.load(std::memory_order_acquire)) return;
  if (OnLoopThread()) {
    woken_here_ = true;
    return;
  }
  uv_async_send(&async_);
}

bool LinkDriver::EndOfTurn() {
  if (!woken_here_) return false;
  woken_here_ = false;
  Drive(false);
  return true;
}

void LinkDriver::AfterTurn() {
  if (!woken_here_) return;
  woken_here_ = false;
  uv_async_send(&async_);
}

bool LinkDriver::OnLoopThread() const {
  return std::this_thread::get_id() == loop_thread_.load(std::memory_order_acquire);
}

void LinkDriver::Drive(bool writable) {
  if (detached_.load(std::memory_order_relaxed) || driving_) return;
  driving_ = true;
  const bool busy = drive_(ctx_, writable);
  driving_ = false;
  // What gRPC completes on its own threads is seen only at the next Drive:
  // at most kBusyRetryMs away while busy, kIdleDriveMs otherwise (traffic
  // drives sooner; the timer only fires after a quiet spell).
  uv_timer_start(&timer_, [](uv_timer_t* h) { static_cast<LinkDriver*>(h->data)->Drive(false); },
                 busy ? kBusyRetryMs : kIdleDriveMs, 0);
}

void LinkDriver::Watch(int fd, bool writable) {
  if (detached_.load(std::memory_order_acquire)) return;
  const int events = fd < 0 ? 0 : UV_READABLE | (writable ? UV_WRITABLE : 0);
  if (fd == poll_fd_ && events == poll_events_) return;
  if (poll_ != nullptr && fd != poll_fd_) {
    // uv_poll_stop takes the fd out of epoll at once; the caller closes it next.
    uv_poll_stop(poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(poll_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    poll_ = nullptr;
  }
  poll_fd_ = fd;
  poll_events_ = events;
  if (fd < 0) return;
  if (poll_ == nullptr) {
    poll_ = new uv_poll_t;
    if (uv_poll_init(loop_, poll_, fd) != 0) {
      delete poll_;
      poll_ = nullptr;
      poll_fd_ = -1;
      return;  // the timer still drives the stream
    }
    poll_->data = this;
  }
  uv_poll_start(poll_, events, [](uv_poll_t* h, int status, int ready) {
    auto* self = static_cast<LinkDriver*>(h->data);
    // An error (e.g. the peer reset) is for gRPC to read: drive as readable.
    self->Drive(status == 0 && (ready & UV_READABLE) == 0 && (ready & UV_WRITABLE) != 0);
  });
}

void LinkDriver::Detach() {
  Watch(-1, false);
  detached_.store(true, std::memory_order_release);
  uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
}

}  // namespace meridian::frontend
