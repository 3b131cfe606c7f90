#include "services/frontend/loop_thread.h"

namespace meridian::frontend {

LoopThread::LoopThread() {
  uv_loop_init(&loop_);
  uv_async_init(&loop_, &async_, &LoopThread::OnAsync);
  async_.data = this;
}

LoopThread::~LoopThread() {
  Stop(nullptr);
  uv_loop_close(&loop_);
}

void LoopThread::Start(std::function<void()> init) {
  started_ = true;
  thread_ = std::thread([this, init = std::move(init)] {
    if (init) init();
    uv_run(&loop_, UV_RUN_DEFAULT);
  });
}

void LoopThread::Post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    posted_.push_back(std::move(fn));
  }
  uv_async_send(&async_);
}

void LoopThread::OnAsync(uv_async_t* handle) { static_cast<LoopThread*>(handle->data)->Drain(); }

void LoopThread::Drain() {
  std::vector<std::function<void()>> work;
  {
    std::lock_guard<std::mutex> lock(mu_);
    work.swap(posted_);
  }
  for (auto& fn : work) fn();
}

void LoopThread::Stop(std::function<void()> on_stop) {
  if (!started_) {
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&async_))) {
      uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
      uv_run(&loop_, UV_RUN_DEFAULT);
    }
    return;
  }
  Post([this, on_stop = std::move(on_stop)] {
    if (on_stop) on_stop();
    uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
  });
  thread_.join();
  started_ = false;
}

}  // namespace meridian::frontend
