// A minimal HTTP/1.1 server on a libuv loop, for the monitoring endpoints
// (/varz, /connz, ... on port 8222) and nothing fancier: GET and HEAD,
// keep-alive, pipelining, no TLS, no request bodies beyond a small limit.
//
//   http::Router router(options.http_base_path);
//   router.Add("/varz", [&](const http::Request& req, http::Response* resp) {
//     http::RespondJson(req, 200, BuildVarz(), resp);
//   });
//   http::Server server(loop, router.AsHandler());
//   if (absl::Status s = server.Listen("0.0.0.0:8222"); !s.ok()) ...
//
// Threading: everything -- Listen, the handler, Close, the destructor -- runs
// on the thread of `loop` (or before that loop runs). The handler is called
// synchronously and answers by filling the Response, or defers the answer
// with Response::Defer() and completes the Responder later from any thread
// (responder.h); responses on one connection go out in request order.
// Close() (also run by the destructor) stops listening and closes every
// connection at once (late Complete() calls are then no-ops); the loop must run
// afterwards to let libuv finish closing the handles, which no longer refer
// to the Server, so it may be destroyed right after Close().
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/http/request.h"
#include "common/http/responder.h"
#include "common/http/response.h"
#include "common/http/router.h"
#include "common/http/wire.h"

namespace meridian::http {

namespace internal {
class CompletionQueue;
class Connection;
}  // namespace internal

struct ServerOptions {
  WireLimits limits{};             // 16 KiB head (-> 431), 64 KiB body (-> 413)
  size_t max_connections = 1024;   // more are accepted and closed at once
  absl::Duration idle_timeout = absl::Seconds(30);   // keep-alive with no request under way
  absl::Duration read_timeout = absl::Seconds(30);   // first byte of a request to its end
  absl::Duration write_timeout = absl::Seconds(30);  // unsent response bytes, no progress
  // A deferred answer (Response::Defer) not completed within this gets
  // "504 Gateway Timeout" and the connection is closed. While a connection
  // waits for one, the idle and read timeouts do not run.
  absl::Duration deferred_timeout = absl::Seconds(10);
  // After the last response of a closing connection: FIN sent, the client's
  // leftovers are read and dropped for at most this long, so an unread
  // request does not turn into a RST that destroys the response in flight.
  absl::Duration linger = absl::Milliseconds(500);
  // Reading stops while more than this is queued for a slow reader.
  size_t max_pending_output = 8 << 20;
  // Access-Control-Allow-Origin on every response unless the handler set
  // one; empty for none. nats-server sends "*" with its JSON.
  std::string allow_origin = "*";
  // false: only GET and HEAD reach the handler; anything else gets 405.
  bool allow_any_method = false;
};

struct ServerStats {
  uint64_t connections_accepted = 0;
  uint64_t connections_rejected = 0;  // over max_connections
  uint64_t requests = 0;              // passed to the handler
  uint64_t bad_requests = 0;          // answered 4xx/5xx by the server itself (incl. 405,
                                      // and 500/504 for deferred answers never given)
  uint64_t timeouts = 0;              // connections closed by a timer (incl. 504s)
  uint64_t deferred = 0;              // requests whose handler deferred the answer
  size_t open_connections = 0;
};

class Server {
 public:
  Server(uv_loop_t* loop, Handler handler, ServerOptions options = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // "host:port", "[::1]:port", ":port" (all IPv4 interfaces); port 0 picks a
  // free one (see port()). Host names are resolved (first address).
  [[nodiscard]] absl::Status Listen(const std::string& host_port);
  // The bound port; 0 before Listen.
  int port() const { return port_; }
  // Stops listening and closes all connections. Idempotent.
  void Close();

  ServerStats stats() const;
  const ServerOptions& options() const { return options_; }

 private:
  friend class internal::Connection;

  static void OnConnection(uv_stream_t* listener, int status);
  // Called by connections (never after Close()).
  void Unregister(internal::Connection* connection);
  void Handle(const Request& request, Response* response) { handler_(request, response); }
  // The queue deferred answers come back through, created on first use.
  std::shared_ptr<internal::CompletionQueue> Completions();
  // Cached Date header value, refreshed once a second.
  absl::string_view HttpDate();

  uv_loop_t* loop_;
  Handler handler_;
  ServerOptions options_;
  uv_tcp_t* listener_ = nullptr;  // heap: freed by its close callback
  int port_ = 0;
  absl::flat_hash_set<internal::Connection*> connections_;
  // Owns the uv_async_t; Responders co-own the rest. Shut down by Close().
  std::shared_ptr<internal::CompletionQueue> completions_;
  ServerStats stats_;
  int64_t date_second_ = -1;
  std::string date_;
};

}  // namespace meridian::http
