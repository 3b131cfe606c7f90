// HTTP/1.x on the wire: an incremental request parser and the response
// serializer. No I/O here, so both are tested (and fuzzed at random split
// points) without sockets. One RequestParser per connection; loop thread.
#pragma once

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"
#include "common/http/request.h"
#include "common/http/response.h"

namespace meridian::http {

struct WireLimits {
  size_t max_head_bytes = 16 * 1024;  // request line + headers; beyond -> 431
  size_t max_body_bytes = 64 * 1024;  // Content-Length beyond -> 413
};

struct ParseOutcome {
  enum Kind { kIncomplete, kComplete, kError };
  Kind kind = kIncomplete;
  size_t consumed = 0;   // kComplete: bytes of this request (head + body)
  int error_status = 0;  // kError: 400, 413, 431, 501 or 505
  std::string error_detail;  // kError: e.g. "missing required Host header" (may be empty)
};

class RequestParser {
 public:
  explicit RequestParser(WireLimits limits = {}) : limits_(limits) {}

  // Parses the request at the start of `buffer`, which holds everything
  // received and not yet consumed. Call again with more data after
  // kIncomplete (the scan for the end of the head resumes where it stopped,
  // so a trickled head costs linear time). After kComplete the caller drops
  // `consumed` bytes and the parser is ready for the next request. After
  // kError the connection must be answered with error_status and closed.
  ParseOutcome Parse(absl::string_view buffer, Request* out);

 private:
  WireLimits limits_;
  size_t scanned_ = 0;   // offset up to which no end-of-head was found
  size_t head_end_ = 0;  // end of a complete head whose body is still arriving
};

struct ResponseFraming {
  int version_minor = 1;          // of the request: the status line echoes it
  bool head = false;              // HEAD: headers only, Content-Length of the body
  bool keep_alive = true;         // false adds "Connection: close" (HTTP/1.1)
  absl::string_view date{};       // Date header value; omitted if empty
  absl::string_view allow_origin{};  // Access-Control-Allow-Origin; omitted if empty
};

// Appends status line, headers (sorted by name as Go writes them) and body.
// CR/LF in header values are replaced by spaces (as Go does).
void SerializeResponse(const Response& response, const ResponseFraming& framing, std::string* out);

}  // namespace meridian::http
