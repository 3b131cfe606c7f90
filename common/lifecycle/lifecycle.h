// Process lifecycle: signal handling and ordered start / reverse stop.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace meridian::lifecycle {

// Blocks SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2 and SIGCHLD in the calling
// thread (call first in main, before any thread starts, so every thread
// inherits the mask) and ignores SIGPIPE. The signals are then taken only by
// WaitForSignal.
void BlockSignals();

// Undoes BlockSignals for a child process between fork and exec.
void UnblockSignalsForChild();

// Waits for one of the blocked signals, or until `timeout_ms` (-1 = forever).
// Returns the signal number, or 0 on timeout.
int WaitForSignal(int timeout_ms = -1);

// Components started in order and stopped in reverse. A failing start stops
// what had started and returns the error, prefixed with the component name.
class Lifecycle {
 public:
  using StartFn = std::function<absl::Status()>;
  using StopFn = std::function<void()>;

  void Add(std::string name, StartFn start, StopFn stop);
  [[nodiscard]] absl::Status StartAll();
  void StopAll();  // idempotent
  ~Lifecycle();

 private:
  struct Component {
    std::string name;
    StartFn start;
    StopFn stop;
  };
  std::vector<Component> components_;
  size_t started_ = 0;
};

// Raises the open-files soft limit to the hard limit (a frontend holds one
// descriptor per client). Returns the new soft limit.
uint64_t RaiseFileLimit();

// Writes the pid to `path` (nats-server's -P). Empty path: no-op.
[[nodiscard]] absl::Status WritePidFile(const std::string& path);

}  // namespace meridian::lifecycle
