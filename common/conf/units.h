// Numbers with size suffixes, and the typed helpers option appliers use for
// sizes and durations. Stateless; safe from any thread.
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/conf/value.h"

namespace meridian::conf {

// A bare word read as a number the way nats-server's lexer reads it.
struct BareNumber {
  enum class Kind { kNotANumber, kInt, kDouble };
  Kind kind = Kind::kNotANumber;
  int64_t int_value = 0;
  double double_value = 0;
};

// Interprets `word`: "-?D+" is an integer, "-?D+S" an integer times the size
// suffix S (see SizeSuffixMultiplier), "-?D+.D+" a float; anything else
// (500ms, 127.0.0.1, 2023-01-01T00:00:00Z, 3xyz) is not a number. Errors (no
// position) for out-of-range values and unknown suffixes such as "1kbi".
[[nodiscard]] absl::StatusOr<BareNumber> ParseBareNumber(std::string_view word);

// nats-server's integer suffixes, compared ignoring case: k=1000, kb/ki/kib=1024,
// and likewise m, g, t, p, e for 1000^n and 1024^n. 0 when `suffix` is unknown.
int64_t SizeSuffixMultiplier(std::string_view suffix);

// A Go duration string ("500ms", "1m30s", "-1.5h", "0"), or an integer
// meaning seconds (nats-server's backward-compatible form).
[[nodiscard]] absl::StatusOr<absl::Duration> ParseDuration(const Value& v);

// An integer (already scaled by the lexer, e.g. `1GB`), or a string: "" is 0,
// "1G" with a single upper-case K/M/G/T is a power of 1024 (nats-server's
// getStorageSize), other suffixes follow SizeSuffixMultiplier ("64MB", "1gb").
[[nodiscard]] absl::StatusOr<int64_t> ParseSize(const Value& v);

}  // namespace meridian::conf
