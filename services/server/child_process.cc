#include "services/server/child_process.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace meridian::launcher {

ChildProcess::ChildProcess(std::string path, std::vector<std::string> args)
    : path_(std::move(path)), args_(std::move(args)) {}

absl::Status ChildProcess::Spawn() {
  if (::access(path_.c_str(), X_OK) != 0) {
    return absl::NotFoundError(absl::StrCat("cannot execute ", path_, ": ", std::strerror(errno)));
  }
  // Everything the child needs is built before fork: between fork and exec
  // only async-signal-safe calls are allowed (the launcher has threads).
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(path_.c_str()));
  for (std::string& a : args_) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t parent = ::getpid();
  sigset_t all;
  sigemptyset(&all);
  pid_t pid = ::fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) _exit(1);  // the launcher died already
    ::signal(SIGPIPE, SIG_DFL);
    ::sigprocmask(SIG_SETMASK, &all, nullptr);
    ::setpgid(0, 0);
    ::execv(path_.c_str(), argv.data());
    _exit(127);
  }
  pid_ = pid;
  return absl::OkStatus();
}

void ChildProcess::RecordExit(int status) {
  last_status_ = status;
  if (WIFEXITED(status)) {
    last_exit_code_ = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    last_exit_code_ = 128 + WTERMSIG(status);
  }
  pid_ = -1;
}

bool ChildProcess::Reap() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    RecordExit(status);
    return true;
  }
  return false;
}

void ChildProcess::Signal(int sig) {
  if (pid_ > 0) ::kill(pid_, sig);
}

int ChildProcess::Stop(absl::Duration grace) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  absl::Time deadline = absl::Now() + grace;
  while (absl::Now() < deadline) {
    if (Reap()) return last_exit_code_;
    ::usleep(10 * 1000);
  }
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  RecordExit(status);
  return last_exit_code_;
}

std::string ChildProcess::DescribeLastExit() const {
  if (WIFSIGNALED(last_status_)) return absl::StrCat("killed by signal ", WTERMSIG(last_status_));
  return absl::StrCat("exit code ", last_exit_code_);
}

}  // namespace meridian::launcher
