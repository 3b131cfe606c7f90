// A libuv event loop on its own thread. Work from other threads is posted
// with Post(); Stop() runs the stop hook on the loop, then joins.
#pragma once

#include <uv.h>

#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"

namespace meridian::frontend {

class LoopThread {
 public:
  LoopThread();
  ~LoopThread();

  uv_loop_t* loop() { return &loop_; }
  // Starts the thread; `init` runs first on the loop thread.
  void Start(std::function<void()> init);
  // Runs `fn` on the loop thread (soon). Thread-safe.
  void Post(std::function<void()> fn);
  // Runs `on_stop` on the loop (it must close the handles it owns), then
  // closes the remaining handles, lets the loop finish and joins. Idempotent.
  void Stop(std::function<void()> on_stop);

 private:
  static void OnAsync(uv_async_t* handle);
  void Drain();

  uv_loop_t loop_;
  uv_async_t async_;
  std::thread thread_;
  bool started_ = false;
  std::mutex mu_;
  std::vector<std::function<void()>> posted_ ABSL_GUARDED_BY(mu_);
  bool stop_requested_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace meridian::frontend
