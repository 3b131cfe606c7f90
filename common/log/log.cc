#include "common/log/log.h"

#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <mutex>

#include "absl/strings/str_format.h"

namespace meridian::log {
namespace {

std::mutex g_mu;
int g_fd = STDERR_FILENO;  // guarded by g_mu
std::string g_prefix;      // guarded by g_mu
std::atomic<int> g_min_level{static_cast<int>(Level::kInfo)};

const char* LevelTag(Level level) {
  switch (level) {
    case Level::kTrace: return "TRC";
    case Level::kDebug: return "DBG";
    case Level::kInfo: return "INF";
    case Level::kWarn: return "WRN";
    case Level::kError: return "ERR";
    case Level::kFatal: return "FTL";
  }
  return "???";
}

}  // namespace

absl::Status Init(const Options& options) {
  int fd = STDERR_FILENO;
  if (!options.file.empty()) {
    fd = ::open(options.file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot open log file ", options.file, ": ", std::strerror(errno)));
    }
  }
  Level min = Level::kInfo;
  if (options.debug) min = Level::kDebug;
  if (options.trace) min = Level::kTrace;
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_fd != STDERR_FILENO) ::close(g_fd);
  g_fd = fd;
  g_prefix = options.prefix;
  g_min_level.store(static_cast<int>(min), std::memory_order_relaxed);
  return absl::OkStatus();
}

bool Enabled(Level level) {
  return static_cast<int>(level) >= g_min_level.load(std::memory_order_relaxed);
}

void Write(Level level, std::string_view message) {
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  struct tm tm;
  localtime_r(&tv.tv_sec, &tm);
  std::lock_guard<std::mutex> lock(g_mu);
  std::string line = absl::StrFormat(
      "[%d] %04d/%02d/%02d %02d:%02d:%02d.%06d [%s] %s%s%s\n", ::getpid(), tm.tm_year + 1900,
      tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(tv.tv_usec),
      LevelTag(level), g_prefix, g_prefix.empty() ? "" : ": ", message);
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(g_fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace meridian::log
