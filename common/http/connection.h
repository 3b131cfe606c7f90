// One accepted HTTP connection (internal to meridian_http). Owned by its
// libuv handles: it deletes itself once both (socket, timer) are closed.
// Loop thread only.
//
// Life cycle:
//   reading   requests are parsed and answered in order; all responses
//             produced by one read go out in one write
//   draining  the last response is queued ("Connection: close", HTTP/1.0,
//             or an error): no more requests are read; once it is written,
//             FIN is sent and the client's leftovers are read and dropped
//             until EOF or ServerOptions::linger
//   closed    uv_close on both handles; deleted in the last close callback
//
// A timer enforces idle/read/write timeouts (see ServerOptions). Making the
// handler asynchronous would mean parking parsed requests here until the
// outstanding response is done -- the single place responses are queued is
// Respond().
#pragma once

#include <uv.h>

#include <cstdint>
#include <string>

#include "common/http/request.h"
#include "common/http/wire.h"

namespace meridian::http {

class Server;

namespace internal {

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

 private:
  struct WriteRequest;

  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnWrite(uv_write_t* req, int status);
  static void OnShutdown(uv_shutdown_t* req, int status);
  static void OnTimer(uv_timer_t* timer);
  static void OnClosed(uv_handle_t* handle);

  ~Connection() = default;

  void ProcessInput();
  // Runs the handler (or answers 405) and appends the response to `out`.
  void Respond(const Request& request, bool keep_alive, std::string* out);
  void RespondError(int status, const std::string& detail, std::string* out);
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

  int pending_writes_ = 0;
  size_t pending_bytes_ = 0;
  bool reading_ = false;
  bool last_response_queued_ = false;  // draining: no more requests
  bool shutting_down_ = false;         // FIN sent; dropping input
  bool peer_eof_ = false;
  bool closing_ = false;

  // uv_now() milliseconds of the events the timeouts count from.
  uint64_t idle_since_ = 0;
  uint64_t request_since_ = 0;  // first byte of the request being received
  uint64_t write_progress_ = 0;
  uint64_t shutdown_since_ = 0;
};

}  // namespace internal
}  // namespace meridian::http
