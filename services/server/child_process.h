// One child process of the suite: spawned with fork/exec, told to stop with
// SIGTERM, reaped with waitpid. Dies with the launcher (PR_SET_PDEATHSIG), so
// a kill -9 of the launcher leaves no daemon behind.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace meridian::launcher {

class ChildProcess {
 public:
  ChildProcess(std::string path, std::vector<std::string> args);

  [[nodiscard]] absl::Status Spawn();
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }

  // Non-blocking reap. True when the child has exited (its status is kept).
  bool Reap();
  // SIGTERM, wait up to `grace`, then SIGKILL. Returns the exit code (or
  // 128+signal), -1 if not running.
  int Stop(absl::Duration grace);
  void Signal(int sig);

  // Exit code of the last exit, 128+signal when killed.
  int last_exit_code() const { return last_exit_code_; }
  std::string DescribeLastExit() const;
  const std::vector<std::string>& args() const { return args_; }

 private:
  void RecordExit(int status);

  std::string path_;
  std::vector<std::string> args_;
  pid_t pid_ = -1;
  int last_status_ = 0;
  int last_exit_code_ = -1;
};

}  // namespace meridian::launcher
