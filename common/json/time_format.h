// The time and duration texts nats-server puts in its JSON:
//
//   FormatRfc3339Nano   Go's time.Time JSON (RFC 3339, nanoseconds, trailing
//                       zeros trimmed as Go does):  2026-11-28T16:07:53.123456789Z
//                                                   2026-11-28T16:07:53.1Z
//                                                   2026-11-28T16:07:53Z
//   FormatGoDuration    Go's time.Duration.String():  1.234ms  2m0s  1h0m0.5s  0s  850µs
//   FormatUptime        nats-server's myUptime (server/monitor.go), whole
//                       seconds only:  5s  1m0s  3d4h5m6s  1y2d0h0m0s
//
// Times are formatted in UTC (nats-server calls .UTC() before marshalling).
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace meridian::json {

// Go's zero time.Time, which nats-server emits for unset times.
inline constexpr absl::string_view kGoZeroTime = "0001-01-01T00:00:00Z";

// absl::InfinitePast() formats as kGoZeroTime, absl::InfiniteFuture() as
// 9999-12-31T23:59:59.999999999Z.
std::string FormatRfc3339Nano(absl::Time t);
void AppendRfc3339Nano(absl::Time t, std::string* out);

// Accepts what Go's time.Time UnmarshalJSON accepts: RFC 3339 with an optional
// fraction and a Z or +hh:mm offset.
[[nodiscard]] absl::StatusOr<absl::Time> ParseRfc3339(absl::string_view text);

// Go's Duration.String() of a nanosecond count (Go's time.Duration is int64 ns).
std::string FormatGoDuration(int64_t nanos);
// Saturates at +-292 years like absl::ToInt64Nanoseconds.
std::string FormatGoDuration(absl::Duration d);

// nats-server's myUptime: [Ny][Nd][Nh][Nm]Ns, truncated to whole seconds,
// a year being 365 days.
std::string FormatUptime(absl::Duration d);

}  // namespace meridian::json
