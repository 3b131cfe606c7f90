// Deferred answers: a handler that cannot answer at once (it waits for a
// gRPC reply, say) calls Response::Defer() and completes the returned
// Responder later, from any thread:
//
//   router.Add("/jsz", [&](const http::Request& req, http::Response* resp) {
//     http::Responder later = resp->Defer();  // *resp is ignored from now on
//     bool pretty = req.HasParam("pretty");   // copy what you need: `req` dies
//     client.FetchJsz([later, pretty](absl::StatusOr<std::string> json) {
//       http::Response answer;                // any thread
//       answer.SetJson(json.ok() ? *json : "{}");
//       later.Complete(std::move(answer));
//     });
//   });
//
// The answer is framed like an immediate one (keep-alive, HTTP/1.0, HEAD,
// Date, Access-Control-Allow-Origin). Until it arrives the connection answers
// nothing else: pipelined requests behind it wait, so answers stay in order.
// If every copy of the Responder is dropped without Complete(), the client
// gets "500 Internal Server Error"; with no answer within
// ServerOptions::deferred_timeout it gets "504 Gateway Timeout" and the
// connection is closed. Complete() after either, after the client went away,
// or after the Server was closed or destroyed is a harmless no-op.
#pragma once

#include <memory>
#include <utility>

namespace meridian::http {

struct Response;

namespace internal {
class Connection;
class ResponderState;

// Which connection a Response is being produced for, so Response::Defer can
// reach it while the handler runs. Copying or moving a Response does not
// carry it along (a copy cannot defer), and assigning to a Response keeps
// the destination's own hook.
class DeferHook {
 public:
  DeferHook() = default;
  DeferHook(const DeferHook&) noexcept {}
  DeferHook& operator=(const DeferHook&) noexcept { return *this; }

  Connection* connection() const { return connection_; }
  void set_connection(Connection* connection) { connection_ = connection; }

 private:
  Connection* connection_ = nullptr;
};

}  // namespace internal

// A handle to one deferred answer. Copyable and cheap (one shared_ptr); every
// method may be called from any thread.
class Responder {
 public:
  Responder() = default;  // invalid: Complete() does nothing

  // False for a default-constructed Responder, or when Defer() could not
  // defer (a Response not produced by a Server's connection, or the
  // connection was already closing).
  bool valid() const { return state_ != nullptr; }

  // Sends `response` as the answer. At most once across all copies; later
  // calls, and calls after a timeout, a closed connection or a closed or
  // destroyed Server, are ignored.
  void Complete(Response response) const;

 private:
  friend class internal::Connection;
  explicit Responder(std::shared_ptr<internal::ResponderState> state) : state_(std::move(state)) {}

  std::shared_ptr<internal::ResponderState> state_;
};

}  // namespace meridian::http
