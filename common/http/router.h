// Exact-path routing under nats-server's http_base_path.
//
// nats-server registers every endpoint at path.Join(base, "/varz") on a Go
// ServeMux; its root handler answers only the base path itself and gives
// http.NotFound for anything else. So: exact match on the decoded path, and
// 404 "404 page not found\n" (text/plain, X-Content-Type-Options: nosniff)
// otherwise.
//
// Built once before the server starts; read-only afterwards (Dispatch is
// const), so it can serve any number of loops.
#pragma once

#include <functional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "common/http/request.h"
#include "common/http/response.h"

namespace meridian::http {

using Handler = std::function<void(const Request&, Response*)>;

class Router {
 public:
  // `base_path` as in the config (http_base_path): "" or "/" for none,
  // "nats" and "/nats/" both mean "/nats" (nats-server's normalizeBasePath).
  explicit Router(absl::string_view base_path = "");

  // Serves `handler` at base_path joined with `path` (Go's path.Join):
  // Add("/varz") -> "/nats/varz"; Add("/") -> "/nats" (the root page).
  // A later Add for the same path replaces the earlier one.
  void Add(absl::string_view path, Handler handler);

  // Runs the handler for request.path, or answers 404 like nats-server.
  void Dispatch(const Request& request, Response* response) const;

  // A Handler for Server that dispatches through this router, which must
  // outlive the server.
  Handler AsHandler() const;

  // The normalized base path: "/" or "/nats".
  const std::string& base_path() const { return base_path_; }
  // base_path joined with `path`, e.g. for links on the root page.
  std::string PathFor(absl::string_view path) const;

 private:
  std::string base_path_;
  absl::flat_hash_map<std::string, Handler> routes_;
};

// Go's path.Clean: "" -> ".", "/a//b/../c/" -> "/a/c".
std::string CleanPath(absl::string_view path);
// Go's path.Join of two elements (empty ones ignored), cleaned.
std::string JoinPath(absl::string_view a, absl::string_view b);
// nats-server's normalizeBasePath: "" -> "/", "nats/" -> "/nats".
std::string NormalizeBasePath(absl::string_view base_path);

}  // namespace meridian::http
