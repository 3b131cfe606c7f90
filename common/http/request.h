// An HTTP/1.x request as the handler sees it, plus the URL helpers it is
// built with. Plain data; built and read on the server's loop thread.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace meridian::http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;
using QueryParams = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;     // "GET", "HEAD", ... (case-sensitive, as sent)
  std::string target;     // request-target as received: "/connz?subs=1"
  std::string path;       // percent-decoded path: "/connz"
  std::string raw_query;  // undecoded text after '?': "subs=1"
  int version_minor = 1;  // HTTP/1.<minor>
  HeaderList headers;     // in order; names as sent, values trimmed
  QueryParams query;      // decoded (%XX and '+'), in order
  std::string body;       // only when the client sent Content-Length
  std::string peer;       // "ip:port" of the client, if known

  bool is_head() const { return method == "HEAD"; }

  // First value of a query parameter, like Go's r.URL.Query().Get() but
  // telling "absent" (nullopt) from "empty" (""). `?subs` gives "".
  std::optional<std::string> Param(absl::string_view name) const;
  // Every value of a repeated parameter, in order.
  std::vector<std::string> Params(absl::string_view name) const;
  bool HasParam(absl::string_view name) const;

  // First header with that name, case-insensitively; nullptr if none.
  const std::string* Header(absl::string_view name) const;
  // True if a comma-separated header (e.g. Connection) lists `token`
  // (case-insensitive), in any of its occurrences.
  bool HeaderHasToken(absl::string_view name, absl::string_view token) const;
};

// Percent-decoding. With plus_as_space ('+' -> ' '), as in query strings.
// Returns false on a malformed escape (a '%' not followed by two hex digits).
[[nodiscard]] bool UrlDecode(absl::string_view in, bool plus_as_space, std::string* out);

// Go's url.ParseQuery as r.URL.Query() uses it: pairs split on '&', empty
// pieces skipped, pairs containing ';' or a malformed escape dropped, a key
// without '=' gets "".
QueryParams ParseQuery(absl::string_view raw_query);

}  // namespace meridian::http
