// Strict RFC 8259 JSON parsing into a Value (client CONNECT, JetStream API
// requests). Not a hot path: one parse per CONNECT / API request.
//
// Syntax errors carry Go's encoding/json texts, because nats-server passes
// those to clients verbatim (e.g. JetStream's "invalid JSON: invalid character
// 'x' looking for beginning of value"), followed by " at offset N":
//   invalid character 'x' looking for beginning of value at offset 7
//   unexpected end of JSON input at offset 12
// ParseError gives the Go text and the offset separately.
//
// Strictness beyond Go: trailing garbage, bad escapes, control characters,
// leading zeros etc. are errors (as in Go); in addition invalid UTF-8 and
// unpaired \uD800-\uDFFF escapes are errors here, where Go silently turns them
// into U+FFFD -- unless ParseOptions::replace_invalid_unicode is set, which
// restores Go's behaviour. Nesting deeper than max_depth is an error
// ("exceeded max depth", Go's text for its own 10000 limit).
// The input size is the caller's business.
//
// Thread-safe: no shared state.
#pragma once

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/json/value.h"

namespace meridian::json {

struct ParseOptions {
  int max_depth = 64;                   // arrays + objects nested
  bool replace_invalid_unicode = false;  // Go's json.Unmarshal leniency
};

struct ParseError {
  size_t offset = 0;     // byte offset of the offending byte; input size at EOF
  std::string message;   // Go's text, without the offset
};

// Parses exactly one JSON value surrounded by optional whitespace.
// On failure returns InvalidArgument and, if `error` is set, fills it.
[[nodiscard]] absl::StatusOr<Value> Parse(absl::string_view text, const ParseOptions& options = {},
                                          ParseError* error = nullptr);

}  // namespace meridian::json
