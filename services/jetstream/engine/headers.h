// NATS/1.0 header blocks as JetStream reads and writes them: find a header's
// value, add headers, drop some. Keys match exactly (nats-server's getHeader
// is case-sensitive); values are trimmed of surrounding spaces.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "absl/types/span.h"

namespace meridian::jetstream {

inline constexpr std::string_view kHeaderLine = "NATS/1.0\r\n";

// The value of the first `key` header; empty when absent. `found` (if set)
// tells an empty value from an absent one.
std::string_view HeaderValue(std::string_view block, std::string_view key, bool* found = nullptr);

// Appends `key: value` lines to a header block (creating "NATS/1.0\r\n...\r\n"
// when `block` is empty) and returns the new block.
std::string AddHeaders(std::string_view block,
                       absl::Span<const std::pair<std::string_view, std::string_view>> headers);

// The block without every header whose key is in `keys`; empty when no
// header is left and the status line is the plain "NATS/1.0".
std::string RemoveHeaders(std::string_view block, absl::Span<const std::string_view> keys);

// An empty-payload status message block: "NATS/1.0 <status> <text>\r\n" plus
// headers, "\r\n".
std::string StatusBlock(int status, std::string_view text,
                        absl::Span<const std::pair<std::string_view, std::string_view>> headers = {});

}  // namespace meridian::jetstream
