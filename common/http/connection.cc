#include "common/http/connection.h"

#include <algorithm>
#include <array>

#include "absl/strings/str_cat.h"
#include "common/http/deferred.h"
#include "common/http/server.h"

namespace meridian::http::internal {
namespace {

constexpr size_t kReadBufferSize = 64 * 1024;
// One read buffer per loop thread: libuv hands it to OnRead right after
// OnAlloc, and OnRead copies what it keeps.
thread_local std::array<char, kReadBufferSize> read_buffer;

uint64_t Ms(absl::Duration d) {
  return static_cast<uint64_t>(std::max<int64_t>(0, absl::ToInt64Milliseconds(d)));
}

std::string PeerName(const uv_tcp_t* tcp) {
  sockaddr_storage addr{};
  int len = sizeof(addr);
  if (uv_tcp_getpeername(tcp, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "";
  char ip[INET6_ADDRSTRLEN] = {0};
  if (addr.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
    uv_ip4_name(in, ip, sizeof(ip));
    return absl::StrCat(ip, ":", ntohs(in->sin_port));
  }
  if (addr.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    uv_ip6_name(in6, ip, sizeof(ip));
    return absl::StrCat("[", ip, "]:", ntohs(in6->sin6_port));
  }
  return "";
}

}  // namespace

struct Connection::WriteRequest {
  uv_write_t req;
  std::string data;
  Connection* connection;
};

Connection::Connection(Server* server, uv_loop_t* loop)
    : server_(server), loop_(loop), parser_(server->options().limits) {
  uv_tcp_init(loop_, &tcp_);
  uv_timer_init(loop_, &timer_);
  tcp_.data = this;
  timer_.data = this;
  open_handles_ = 2;
  idle_since_ = Now();
}

int Connection::Accept(uv_stream_t* listener) {
  int rc = uv_accept(listener, reinterpret_cast<uv_stream_t*>(&tcp_));
  if (rc != 0) return rc;
  uv_tcp_nodelay(&tcp_, 1);
  peer_ = PeerName(&tcp_);
  return 0;
}

void Connection::Start() {
  UpdateReading();
  RearmTimer();
}

void Connection::Close() {
  if (closing_) return;
  closing_ = true;
  Unpark();
  if (server_ != nullptr) {
    server_->Unregister(this);
    server_ = nullptr;
  }
  uv_timer_stop(&timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), OnClosed);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), OnClosed);
}

void Connection::OnClosed(uv_handle_t* handle) {
  auto* self = static_cast<Connection*>(handle->data);
  if (--self->open_handles_ == 0) delete self;
}

void Connection::OnAlloc(uv_handle_t*, size_t, uv_buf_t* buf) {
  *buf = uv_buf_init(read_buffer.data(), static_cast<unsigned int>(read_buffer.size()));
}

void Connection::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<Connection*>(stream->data);
  if (self->closing_ || nread == 0) return;
  if (nread < 0) {
    // EOF or error. A half-closed client still gets the responses queued,
    // the parked one and those of the requests buffered behind it.
    if (nread == UV_EOF && !self->shutting_down_ &&
        (self->pending_writes_ > 0 || self->parked_.has_value())) {
      self->peer_eof_ = true;
      if (!self->parked_.has_value()) self->last_response_queued_ = true;
      self->UpdateReading();
      return;
    }
    self->Close();
    return;
  }
  if (self->shutting_down_ || self->last_response_queued_) return;  // dropped
  if (self->in_.empty()) self->request_since_ = self->Now();
  self->in_.append(buf->base, static_cast<size_t>(nread));
  if (self->parked_.has_value()) {
    self->UpdateReading();  // kept for later; pauses once a request's worth is here
    return;
  }
  self->ProcessInput();
}

void Connection::ProcessInput(std::string out) {
  size_t offset = 0;
  while (!last_response_queued_ && !parked_.has_value()) {
    Request request;
    ParseOutcome outcome = parser_.Parse(absl::string_view(in_).substr(offset), &request);
    if (outcome.kind == ParseOutcome::kIncomplete) break;
    if (outcome.kind == ParseOutcome::kError) {
      RespondError(outcome.error_status, outcome.error_detail, &out);
      last_response_queued_ = true;
      break;
    }
    offset += outcome.consumed;
    request.peer = peer_;
    // HTTP/1.1 persists unless "Connection: close"; HTTP/1.0 only on request.
    const bool keep_alive = request.version_minor >= 1
                                ? !request.HeaderHasToken("Connection", "close")
                                : request.HeaderHasToken("Connection", "keep-alive");
    Respond(request, keep_alive, &out);
    if (closing_) return;  // the handler closed the server
    if (!keep_alive && !parked_.has_value()) last_response_queued_ = true;
  }
  if (peer_eof_ && !parked_.has_value()) {
    last_response_queued_ = true;  // what is left can never complete
  }
  if (last_response_queued_) {
    in_.clear();
  } else if (offset > 0) {
    in_.erase(0, offset);
    request_since_ = Now();  // a pipelined request starts now
  }
  if (!out.empty()) Send(std::move(out));
  if (closing_) return;
  if (last_response_queued_ && pending_writes_ == 0) {
    AfterWritesDrained();
    if (closing_) return;
  }
  UpdateReading();
  RearmTimer();
}

void Connection::Respond(const Request& request, bool keep_alive, std::string* out) {
  handling_ = ResponseFraming{};
  handling_.version_minor = request.version_minor;
  handling_.head = request.is_head();
  handling_.keep_alive = keep_alive;
  Response response;
  Server* server = server_;
  const ServerOptions& options = server->options();
  if (!options.allow_any_method && request.method != "GET" && request.method != "HEAD") {
    response.SetText("Method Not Allowed\n", 405);
    response.AddHeader("Allow", "GET, HEAD");
    ++server->stats_.bad_requests;
  } else {
    ++server->stats_.requests;
    response.defer_hook.set_connection(this);
    in_handler_ = true;
    server->Handle(request, &response);
    in_handler_ = false;
    if (closing_ || parked_.has_value()) return;
  }
  Frame(response, handling_, out);
}

void Connection::Frame(const Response& response, ResponseFraming framing, std::string* out) {
  framing.date = server_->HttpDate();
  framing.allow_origin = server_->options().allow_origin;
  SerializeResponse(response, framing, out);
}

void Connection::RespondError(int status, const std::string& detail, std::string* out) {
  // Go's net/http text: "400 Bad Request" or "400 Bad Request: <detail>".
  Response response;
  std::string text = absl::StrCat(status, " ", ReasonPhrase(status));
  if (!detail.empty()) absl::StrAppend(&text, ": ", detail);
  response.SetText(std::move(text), status);
  ResponseFraming framing;
  framing.keep_alive = false;
  Frame(response, framing, out);
  ++server_->stats_.bad_requests;
}

void Connection::Send(std::string data) {
  auto* stream = reinterpret_cast<uv_stream_t*>(&tcp_);
  if (pending_writes_ == 0) {
    uv_buf_t direct = uv_buf_init(data.data(), static_cast<unsigned int>(data.size()));
    int n = uv_try_write(stream, &direct, 1);
    if (n == static_cast<int>(data.size())) {
      write_progress_ = Now();
      idle_since_ = Now();
      return;
    }
    if (n < 0 && n != UV_EAGAIN) {
      Close();
      return;
    }
    if (n > 0) data.erase(0, static_cast<size_t>(n));
  }
  auto* w = new WriteRequest{{}, std::move(data), this};
  w->req.data = w;
  uv_buf_t buf = uv_buf_init(w->data.data(), static_cast<unsigned int>(w->data.size()));
  int rc = uv_write(&w->req, stream, &buf, 1, OnWrite);
  if (rc != 0) {
    delete w;
    Close();
    return;
  }
  if (pending_writes_ == 0) write_progress_ = Now();
  ++pending_writes_;
  pending_bytes_ += w->data.size();
}

void Connection::OnWrite(uv_write_t* req, int status) {
  auto* w = static_cast<WriteRequest*>(req->data);
  Connection* self = w->connection;
  --self->pending_writes_;
  self->pending_bytes_ -= w->data.size();
  delete w;
  if (self->closing_) return;
  if (status < 0) {
    self->Close();
    return;
  }
  self->write_progress_ = self->Now();
  if (self->pending_writes_ == 0) {
    self->idle_since_ = self->Now();
    if (self->last_response_queued_) {
      self->AfterWritesDrained();
      if (self->closing_) return;
    }
  }
  self->UpdateReading();
  self->RearmTimer();
}

void Connection::AfterWritesDrained() {
  if (peer_eof_) {
    Close();
  } else if (!shutting_down_) {
    StartShutdown();
  }
}

void Connection::StartShutdown() {
  shutting_down_ = true;
  shutdown_since_ = Now();
  shutdown_req_.data = this;
  if (uv_shutdown(&shutdown_req_, reinterpret_cast<uv_stream_t*>(&tcp_), OnShutdown) != 0) {
    Close();
  }
}

void Connection::OnShutdown(uv_shutdown_t* req, int status) {
  auto* self = static_cast<Connection*>(req->data);
  if (status < 0 && !self->closing_) self->Close();
  // Otherwise wait for the client's EOF or the linger timer.
}

void Connection::UpdateReading() {
  if (closing_) return;
  bool want;
  if (shutting_down_) {
    want = true;  // drain until EOF
  } else if (last_response_queued_ || peer_eof_) {
    want = false;  // leave the rest in the kernel until our FIN is out
  } else {
    const ServerOptions& o = server_->options();
    want = pending_bytes_ <= o.max_pending_output;
    // Parked: one more request's worth is enough to wait for the answer with.
    if (parked_.has_value() && in_.size() >= o.limits.max_head_bytes + o.limits.max_body_bytes) {
      want = false;
    }
  }
  auto* stream = reinterpret_cast<uv_stream_t*>(&tcp_);
  if (want && !reading_) {
    if (uv_read_start(stream, OnAlloc, OnRead) != 0) {
      Close();
      return;
    }
    reading_ = true;
  } else if (!want && reading_) {
    uv_read_stop(stream);
    reading_ = false;
  }
}

uint64_t Connection::DeadlineMs() const {
  // Server options are only reachable while attached; a detached connection
  // is already closing.
  const ServerOptions& o = server_->options();
  if (shutting_down_) return shutdown_since_ + Ms(o.linger);
  if (parked_.has_value()) {  // no idle or read timeout while waiting
    const uint64_t deferred = parked_->since + Ms(o.deferred_timeout);
    return pending_writes_ > 0 ? std::min(deferred, write_progress_ + Ms(o.write_timeout)) : deferred;
  }
  if (pending_writes_ > 0) return write_progress_ + Ms(o.write_timeout);
  if (!in_.empty()) return request_since_ + Ms(o.read_timeout);
  return idle_since_ + Ms(o.idle_timeout);
}

void Connection::RearmTimer() {
  if (closing_) return;
  const uint64_t deadline = DeadlineMs();
  const uint64_t now = Now();
  uv_timer_start(&timer_, OnTimer, deadline > now ? deadline - now : 0, 0);
}

void Connection::OnTimer(uv_timer_t* timer) {
  auto* self = static_cast<Connection*>(timer->data);
  if (self->closing_) return;
  if (self->Now() >= self->DeadlineMs()) {
    if (self->parked_.has_value() &&
        self->Now() >= self->parked_->since + Ms(self->server_->options().deferred_timeout)) {
      self->TimeOutDeferred();
      return;
    }
    if (!self->shutting_down_) ++self->server_->stats_.timeouts;
    self->Close();
    return;
  }
  self->RearmTimer();
}

}  // namespace meridian::http::internal
