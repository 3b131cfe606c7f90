// Process-wide logging: nats-server style lines, levels, stderr or a file.
//
//   [1234] 2026/11/28 16:07:53.123456 [INF] router: listening on 127.0.0.1:7100
//
// Thread-safe: a line is formatted on the calling thread and written with one
// write(2) under a mutex, so lines from different threads never interleave.
#pragma once

#include <string>
#include <string_view>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace meridian::log {

enum class Level { kTrace = 0, kDebug = 1, kInfo = 2, kWarn = 3, kError = 4, kFatal = 5 };

struct Options {
  bool debug = false;    // -D
  bool trace = false;    // -V
  std::string file;      // -l; empty = stderr
  std::string prefix;    // daemon name, printed after the level
};

// Opens the log file if any. Safe to call again (reopens, e.g. on SIGHUP).
[[nodiscard]] absl::Status Init(const Options& options);

bool Enabled(Level level);
void Write(Level level, std::string_view message);

// absl::StrCat that also takes std::string_view (Debian's Abseil has its
// own absl::string_view).
namespace internal {
template <typename T>
decltype(auto) Piece(const T& v) {
  if constexpr (std::is_same_v<T, std::string_view>) {
    return absl::string_view(v.data(), v.size());
  } else {
    return (v);
  }
}
}  // namespace internal
template <typename... Args>
std::string Concat(const Args&... args) {
  return absl::StrCat(internal::Piece(args)...);
}

}  // namespace meridian::log

#define MLOG_AT(level, ...)                                   \
  do {                                                        \
    if (::meridian::log::Enabled(level))                      \
      ::meridian::log::Write(level, ::meridian::log::Concat(__VA_ARGS__)); \
  } while (0)
#define MLOG_TRACE(...) MLOG_AT(::meridian::log::Level::kTrace, __VA_ARGS__)
#define MLOG_DEBUG(...) MLOG_AT(::meridian::log::Level::kDebug, __VA_ARGS__)
#define MLOG_INFO(...) MLOG_AT(::meridian::log::Level::kInfo, __VA_ARGS__)
#define MLOG_WARN(...) MLOG_AT(::meridian::log::Level::kWarn, __VA_ARGS__)
#define MLOG_ERROR(...) MLOG_AT(::meridian::log::Level::kError, __VA_ARGS__)
#define MLOG_FATAL(...) MLOG_AT(::meridian::log::Level::kFatal, __VA_ARGS__)
