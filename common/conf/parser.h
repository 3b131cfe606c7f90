// Entry points: parse nats-server configuration text into a Value tree (a map).
//
// Resolves `include` directives (relative to the including file's directory,
// cycles rejected) and `$VAR` references (earlier keys in enclosing maps,
// then the environment) while parsing. Errors read "file:line:col: reason".
//
// Reentrant: each call has its own state. Reads the environment with getenv,
// so do not call setenv concurrently.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/conf/value.h"

namespace meridian::conf {

// Parses the file at `path`; values' positions name `path` as given.
[[nodiscard]] absl::StatusOr<Value> ParseFile(const std::string& path);

// Parses `text`, naming it `name` in positions and errors. Includes are
// resolved relative to `base_dir`.
[[nodiscard]] absl::StatusOr<Value> ParseString(std::string_view text,
                                                std::string_view name = "<string>",
                                                std::string_view base_dir = ".");

}  // namespace meridian::conf
