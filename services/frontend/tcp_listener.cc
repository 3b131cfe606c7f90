#include "services/frontend/tcp_listener.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace meridian::frontend {

absl::Status SplitHostPort(const std::string& host_port, std::string* host, int* port) {
  size_t colon = host_port.rfind(':');
  if (colon == std::string::npos || !absl::SimpleAtoi(host_port.substr(colon + 1), port) ||
      *port < 0 || *port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("bad listen address \"", host_port, "\""));
  }
  *host = host_port.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  if (host->empty()) *host = "0.0.0.0";
  return absl::OkStatus();
}

TcpListener::TcpListener(uv_loop_t* loop, AcceptFn on_accept)
    : loop_(loop), on_accept_(std::move(on_accept)) {}

absl::Status TcpListener::Listen(const std::string& host_port) {
  if (absl::Status s = Bind(host_port); !s.ok()) return s;
  return Accept();
}

absl::Status TcpListener::Accept() {
  int rc = uv_listen(reinterpret_cast<uv_stream_t*>(&handle_), 1024, &OnConnection);
  if (rc != 0) {
    Close();
    return absl::UnavailableError(absl::StrCat("listen tcp ", host_, ":", port_, ": ", uv_strerror(rc)));
  }
  return absl::OkStatus();
}

absl::Status TcpListener::Bind(const std::string& host_port) {
  int port = 0;
  if (absl::Status s = SplitHostPort(host_port, &host_, &port); !s.ok()) return s;
  sockaddr_storage addr{};
  if (uv_ip4_addr(host_.c_str(), port, reinterpret_cast<sockaddr_in*>(&addr)) != 0 &&
      uv_ip6_addr(host_.c_str(), port, reinterpret_cast<sockaddr_in6*>(&addr)) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("bad listen host \"", host_, "\""));
  }
  uv_tcp_init(loop_, &handle_);
  handle_.data = this;
  open_ = true;
  int rc = uv_tcp_bind(&handle_, reinterpret_cast<sockaddr*>(&addr), 0);
  if (rc != 0) {
    Close();
    return absl::UnavailableError(
        absl::StrCat("listen tcp ", host_, ":", port, ": ", uv_strerror(rc)));
  }
  sockaddr_storage bound{};
  int len = sizeof bound;
  uv_tcp_getsockname(&handle_, reinterpret_cast<sockaddr*>(&bound), &len);
  port_ = bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                      : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return absl::OkStatus();
}

void TcpListener::Close() {
  if (!open_) return;
  open_ = false;
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_), nullptr);
}

void TcpListener::OnConnection(uv_stream_t* server, int status) {
  auto* self = static_cast<TcpListener*>(server->data);
  if (status < 0) return;
  auto* client = new uv_tcp_t;
  uv_tcp_init(self->loop_, client);
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(client)) != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(client),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
    return;
  }
  uv_tcp_nodelay(client, 1);
  self->on_accept_(client);
}

}  // namespace meridian::frontend
