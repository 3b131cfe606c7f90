// One accepted HTTP connection (internal to meridian_http). Owned by its
// libuv handles: it deletes itself once both (socket, timer) are closed.
// Loop thread only.
//
// Life cycle:
//   reading   requests are parsed and answered in order; all responses
//             produced by one read go out in one write
//   parked    the handler deferred its answer (Response::Defer): nothing
//             more is parsed or answered until FinishDeferred() brings the
//             answer (or the deferred timeout answers 504 and closes); input
//             is still read up to one request's worth (to notice EOF)
//   draining  the last response is queued ("Connection: close", HTTP/1.0,
//             or an error): no more requests are read; once it is written,
//             FIN is sent and the client's leftovers are read and dropped
//             until EOF or ServerOptions::linger
//   closed    uv_close on both handles; deleted in the last close callback
//
// A timer enforces idle/read/write timeouts and, while parked, the deferred
// timeout instead of the idle/read ones (see ServerOptions). Responses are
// framed in one place, Frame(). The deferred part is in connection_deferred.cc.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/http/request.h"
#include "common/http/responder.h"
#include "common/http/response.h"
#include "common/http/wire.h"

namespace meridian::http {

class Server;

namespace internal {

struct DeferredSlot;
class ResponderState;

class Connection {
 public:
  Connection(Server* server, uv_loop_t* loop);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Accepts the pending connection of `listener`; returns a libuv error code.
  int Accept(uv_stream_t* listener);
  // Starts reading requests.
  void Start();
  // The server is going away: never call it again.
  void Detach() { server_ = nullptr; }
  // Closes now (idempotent); the object deletes itself later.
  void Close();

  // Response::Defer, while the handler runs: parks the request being
  // answered. Invalid Responder if closing.
  Responder Defer();
  // The answer for the parked request `slot` (CompletionQueue, loop thread);
  // `abandoned`: every Responder was dropped, answer 500.
  void FinishDeferred(DeferredSlot* slot, Response response, bool abandoned);

 private:
  struct WriteRequest;
  struct Parked {
    std::shared_ptr<DeferredSlot> slot;
    std::weak_ptr<ResponderState> responder;  // for a second Defer() call
    ResponseFraming framing;                  // of the parked request
    uint64_t since = 0;
  };

  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnWrite(uv_write_t* req, int status);
  static void OnShutdown(uv_shutdown_t* req, int status);
  static void OnTimer(uv_timer_t* timer);
  static void OnClosed(uv_handle_t* handle);

  ~Connection() = default;

  // Answers the complete requests in in_ (after `out`, already framed) and
  // sends them, until one is parked or the last response is queued.
  void ProcessInput(std::string out = {});
  // Runs the handler (or answers 405) and appends the response to `out`,
  // unless the handler deferred it.
  void Respond(const Request& request, bool keep_alive, std::string* out);
  void RespondError(int status, const std::string& detail, std::string* out);
  // Serializes with the server's Date and Access-Control-Allow-Origin.
  void Frame(const Response& response, ResponseFraming framing, std::string* out);
  // Stops waiting for the parked answer: nobody can deliver it any more.
  void Unpark();
  // The deferred timeout expired: 504 and close.
  void TimeOutDeferred();
  void Send(std::string data);
  void AfterWritesDrained();
  void StartShutdown();
  void UpdateReading();
  void RearmTimer();
  uint64_t Now() const { return uv_now(loop_); }
  uint64_t DeadlineMs() const;

  Server* server_;
  uv_loop_t* loop_;
  uv_tcp_t tcp_;
  uv_timer_t timer_;
  uv_shutdown_t shutdown_req_;
  int open_handles_ = 0;

  std::string peer_;
  std::string in_;  // received, not yet consumed
  RequestParser parser_;

  bool in_handler_ = false;
  ResponseFraming handling_;  // of the request whose handler runs
  std::optional<Parked> parked_;

  int pending_writes_ = 0;
  size_t pending_bytes_ = 0;
  bool reading_ = false;
  bool last_response_queued_ = false;  // draining: no more requests
  bool shutting_down_ = false;         // FIN sent; dropping input
  bool peer_eof_ = false;              // no more input will come
  bool closing_ = false;

  // uv_now() milliseconds of the events the timeouts count from.
  uint64_t idle_since_ = 0;
  uint64_t request_since_ = 0;  // first byte of the request being received
  uint64_t write_progress_ = 0;
  uint64_t shutdown_since_ = 0;
};

}  // namespace internal
}  // namespace meridian::http
