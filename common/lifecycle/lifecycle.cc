#include "common/lifecycle/lifecycle.h"

#include <signal.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/log/log.h"

namespace meridian::lifecycle {
namespace {

sigset_t HandledSignals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGCHLD}) sigaddset(&set, sig);
  return set;
}

}  // namespace

void BlockSignals() {
  sigset_t set = HandledSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

void UnblockSignalsForChild() {
  sigset_t set = HandledSignals();
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_DFL);
}

int WaitForSignal(int timeout_ms) {
  sigset_t set = HandledSignals();
  for (;;) {
    int sig;
    if (timeout_ms < 0) {
      sig = sigwaitinfo(&set, nullptr);
    } else {
      timespec ts{timeout_ms / 1000, static_cast<long>(timeout_ms % 1000) * 1000000L};
      sig = sigtimedwait(&set, nullptr, &ts);
    }
    if (sig > 0) return sig;
    if (errno == EAGAIN) return 0;
    if (errno != EINTR) return 0;
  }
}

void Lifecycle::Add(std::string name, StartFn start, StopFn stop) {
  components_.push_back({std::move(name), std::move(start), std::move(stop)});
}

absl::Status Lifecycle::StartAll() {
  for (; started_ < components_.size(); ++started_) {
    Component& c = components_[started_];
    MLOG_DEBUG("starting ", c.name);
    if (c.start) {
      if (absl::Status s = c.start(); !s.ok()) {
        StopAll();
        return absl::Status(s.code(), absl::StrCat(c.name, ": ", s.message()));
      }
    }
  }
  return absl::OkStatus();
}

void Lifecycle::StopAll() {
  while (started_ > 0) {
    Component& c = components_[--started_];
    MLOG_DEBUG("stopping ", c.name);
    if (c.stop) c.stop();
  }
}

Lifecycle::~Lifecycle() { StopAll(); }

uint64_t RaiseFileLimit() {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  return rl.rlim_cur;
}

absl::Status WritePidFile(const std::string& path) {
  if (path.empty()) return absl::OkStatus();
  std::ofstream out(path, std::ios::trunc);
  if (!out) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot write pid file ", path, ": ", std::strerror(errno)));
  }
  out << ::getpid();
  return absl::OkStatus();
}

}  // namespace meridian::lifecycle
