// JetStream API errors: the identifiers, codes and texts of errors.def, and
// ApiError, the `"error":{"code":..,"err_code":..,"description":..}` value
// every $JS.API response and PubAck carries on failure.
//
//   ApiError e = Make(ErrorId::JSStreamInvalidConfigF, "max age needs to be >= 100ms");
//   // {code 500, err_code 10052, "max age needs to be >= 100ms"}
//
// The ErrorId enumerators keep nats-server's identifiers verbatim (instead of
// kCamelCase) so they can be grepped against nats-server's errors.json.
//
// Pure data and functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/json/writer.h"

namespace meridian::jetstream::api {

enum class ErrorId : uint16_t {
#define JS_ERROR(id, code, err_code, description, origin) id,
#include "services/jetstream/api/errors.def"
#undef JS_ERROR
};

enum class ErrorOrigin : uint8_t {
  k29,     // nats-server 2.9.10 has it (its text is used)
  kLater,  // added to nats-server after 2.9.10
};

// One row of errors.def.
struct ErrorInfo {
  ErrorId id;
  absl::string_view name;         // nats-server identifier, e.g. "JSStreamNotFoundErr"
  int code;                       // HTTP-like: 400, 404, 500, 503 ...
  uint16_t err_code;              // 10059
  absl::string_view description;  // template, e.g. "wrong last sequence: {seq}"
  ErrorOrigin origin;
};

const ErrorInfo& Lookup(ErrorId id);
// Every row, ordered by err_code.
const std::vector<ErrorInfo>& AllErrors();
std::optional<ErrorId> FindByErrCode(uint16_t err_code);

// The error object of an API response. `err_code` 0 / empty description are
// omitted on the wire (Go omitempty).
struct ApiError {
  int code = 0;
  uint16_t err_code = 0;
  std::string description;

  friend bool operator==(const ApiError&, const ApiError&) = default;
};

// Fills the template's {placeholders} in order of appearance with `args`
// (missing args leave the placeholder as is; extra args are ignored).
ApiError MakeWithArgs(ErrorId id, const std::vector<std::string>& args);

// Make(id) / Make(id, arg1, arg2): args are anything absl::StrCat accepts
// (strings, integers, ...), placed in the template's placeholder order, e.g.
// Make(ErrorId::JSStreamWrongLastSequenceErrF, 7) -> "wrong last sequence: 7".
template <typename... Args>
ApiError Make(ErrorId id, const Args&... args) {
  return MakeWithArgs(id, std::vector<std::string>{absl::StrCat(args)...});
}

// True when `error` carries id's err_code.
bool Is(const ApiError& error, ErrorId id);

// {"code":400,"err_code":10059,"description":"stream not found"} (omitempty as Go).
void WriteApiError(json::Writer& w, const ApiError& error);

// The Go error texts nats-server's store returns and wraps in 10077
// (JSStreamStoreFailedF "{err}") when a publish is refused by a limit with
// discard new.
inline constexpr absl::string_view kStoreErrMaxMsgs = "maximum messages exceeded";
inline constexpr absl::string_view kStoreErrMaxBytes = "maximum bytes exceeded";
inline constexpr absl::string_view kStoreErrMaxMsgsPerSubject =
    "maximum messages per subject exceeded";
inline constexpr absl::string_view kStoreErrMsgTooLarge = "message to large";  // sic
inline constexpr absl::string_view kStoreErrClosed = "store is closed";

}  // namespace meridian::jetstream::api
