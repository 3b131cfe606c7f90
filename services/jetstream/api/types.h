// Value types shared by the JetStream API data model: Go-compatible durations,
// strong sequence numbers, the policy enums with their wire names, and the
// small result types the parsers and validators return.
//
// Plain data, no thread affinity.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/jetstream/api/errors.h"

namespace meridian::jetstream::api {

// A Go time.Duration: signed nanoseconds, as JetStream puts durations on the
// wire (max_age, ack_wait, expires, backoff[] ...).
struct Nanos {
  int64_t ns = 0;

  constexpr absl::Duration ToDuration() const { return absl::Nanoseconds(ns); }
  static Nanos From(absl::Duration d) { return Nanos{absl::ToInt64Nanoseconds(d)}; }
  constexpr bool is_zero() const { return ns == 0; }
  friend constexpr auto operator<=>(const Nanos&, const Nanos&) = default;
};

inline constexpr Nanos NanosFromMillis(int64_t ms) { return Nanos{ms * 1000 * 1000}; }
inline constexpr Nanos NanosFromSeconds(int64_t s) { return Nanos{s * 1000 * 1000 * 1000}; }

// A stream sequence number (1-based; 0 = none).
struct StreamSequence {
  uint64_t value = 0;
  friend constexpr auto operator<=>(const StreamSequence&, const StreamSequence&) = default;
};

// A consumer (delivery) sequence number (1-based; 0 = none).
struct ConsumerSequence {
  uint64_t value = 0;
  friend constexpr auto operator<=>(const ConsumerSequence&, const ConsumerSequence&) = default;
};

// Go's zero time.Time ("0001-01-01T00:00:00Z" on the wire): unset times such
// as first_ts of an empty stream.
inline constexpr absl::Time kZeroTime = absl::InfinitePast();

enum class RetentionPolicy : uint8_t { kLimits, kInterest, kWorkQueue };
enum class DiscardPolicy : uint8_t { kOld, kNew };
// kAny exists on the wire ("any") for placement-style requests; streams are
// file or memory.
enum class StorageType : uint8_t { kFile, kMemory, kAny };
enum class Compression : uint8_t { kNone, kS2 };  // newer than 2.9.10
enum class AckPolicy : uint8_t { kNone, kAll, kExplicit };
enum class DeliverPolicy : uint8_t {
  kAll,
  kLast,
  kNew,
  kByStartSequence,
  kByStartTime,
  kLastPerSubject,
};
enum class ReplayPolicy : uint8_t { kInstant, kOriginal };
// Pull consumer priority groups (newer than 2.9.10).
enum class PriorityPolicy : uint8_t { kNone, kOverflow, kPinnedClient, kPrioritized };

// Wire names ("limits", "workqueue", "file", "explicit", "by_start_sequence" ...).
absl::string_view ToString(RetentionPolicy v);
absl::string_view ToString(DiscardPolicy v);
absl::string_view ToString(StorageType v);
absl::string_view ToString(Compression v);
absl::string_view ToString(AckPolicy v);
absl::string_view ToString(DeliverPolicy v);
absl::string_view ToString(ReplayPolicy v);
absl::string_view ToString(PriorityPolicy v);

// Wire name -> enum, as nats-server's UnmarshalJSON accepts them (exact
// lower-case names; discard is case-insensitive; deliver policy also accepts
// "undefined" as all). False for anything else.
bool ParseRetentionPolicy(absl::string_view s, RetentionPolicy* out);
bool ParseDiscardPolicy(absl::string_view s, DiscardPolicy* out);
bool ParseStorageType(absl::string_view s, StorageType* out);
bool ParseCompression(absl::string_view s, Compression* out);
bool ParseAckPolicy(absl::string_view s, AckPolicy* out);
bool ParseDeliverPolicy(absl::string_view s, DeliverPolicy* out);
bool ParseReplayPolicy(absl::string_view s, ReplayPolicy* out);
bool ParsePriorityPolicy(absl::string_view s, PriorityPolicy* out);

// The result of a parse or a check: a value or the ApiError to send back.
template <typename T>
class [[nodiscard]] ApiResult {
 public:
  ApiResult(T value) : value_(std::move(value)) {}         // NOLINT: implicit on purpose
  ApiResult(ApiError error) : error_(std::move(error)) {}  // NOLINT

  bool ok() const { return value_.has_value(); }
  const T& value() const& { return *value_; }
  T& value() & { return *value_; }
  T&& value() && { return std::move(*value_); }
  const T& operator*() const& { return *value_; }
  T& operator*() & { return *value_; }
  const T* operator->() const { return &*value_; }
  T* operator->() { return &*value_; }
  // Only when !ok().
  const ApiError& error() const { return *error_; }

 private:
  std::optional<T> value_;
  std::optional<ApiError> error_;
};

// Success, or the ApiError to send back.
class [[nodiscard]] ApiStatus {
 public:
  ApiStatus() = default;                                   // ok
  ApiStatus(ApiError error) : error_(std::move(error)) {}  // NOLINT: implicit on purpose
  static ApiStatus Ok() { return ApiStatus(); }

  bool ok() const { return !error_.has_value(); }
  const ApiError& error() const { return *error_; }  // only when !ok()

 private:
  std::optional<ApiError> error_;
};

}  // namespace meridian::jetstream::api
