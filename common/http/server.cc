#include "common/http/server.h"

#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/http/connection.h"
#include "common/http/deferred.h"

namespace meridian::http {
namespace {

constexpr int kBacklog = 511;

struct HostPort {
  std::string host;
  int port = 0;
};

absl::Status SplitHostPort(const std::string& host_port, HostPort* out) {
  absl::string_view hp = host_port;
  absl::string_view host, port;
  if (!hp.empty() && hp[0] == '[') {
    size_t close = hp.find(']');
    if (close == absl::string_view::npos || close + 1 >= hp.size() || hp[close + 1] != ':') {
      return absl::InvalidArgumentError(absl::StrCat("address ", host_port, ": missing port in address"));
    }
    host = hp.substr(1, close - 1);
    port = hp.substr(close + 2);
  } else {
    size_t colon = hp.rfind(':');
    if (colon == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("address ", host_port, ": missing port in address"));
    }
    host = hp.substr(0, colon);
    port = hp.substr(colon + 1);
    if (host.find(':') != absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("address ", host_port, ": too many colons in address"));
    }
  }
  int p = -1;
  if (!absl::SimpleAtoi(port, &p) || p < 0 || p > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("address ", host_port, ": invalid port"));
  }
  out->host = host.empty() ? "0.0.0.0" : std::string(host);
  out->port = p;
  return absl::OkStatus();
}

absl::Status Resolve(uv_loop_t* loop, const HostPort& hp, sockaddr_storage* addr) {
  std::memset(addr, 0, sizeof(*addr));
  if (uv_ip4_addr(hp.host.c_str(), hp.port, reinterpret_cast<sockaddr_in*>(addr)) == 0) {
    return absl::OkStatus();
  }
  if (uv_ip6_addr(hp.host.c_str(), hp.port, reinterpret_cast<sockaddr_in6*>(addr)) == 0) {
    return absl::OkStatus();
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  uv_getaddrinfo_t req;
  // No callback: resolves synchronously (only at startup).
  int rc = uv_getaddrinfo(loop, &req, nullptr, hp.host.c_str(), nullptr, &hints);
  if (rc != 0 || req.addrinfo == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("lookup ", hp.host, ": ", rc != 0 ? uv_strerror(rc) : "no such host"));
  }
  std::memcpy(addr, req.addrinfo->ai_addr, req.addrinfo->ai_addrlen);
  uv_freeaddrinfo(req.addrinfo);
  if (addr->ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in*>(addr)->sin_port = htons(static_cast<uint16_t>(hp.port));
  } else {
    reinterpret_cast<sockaddr_in6*>(addr)->sin6_port = htons(static_cast<uint16_t>(hp.port));
  }
  return absl::OkStatus();
}

void DeleteTcpHandle(uv_handle_t* handle) { delete reinterpret_cast<uv_tcp_t*>(handle); }

}  // namespace

Server::Server(uv_loop_t* loop, Handler handler, ServerOptions options)
    : loop_(loop), handler_(std::move(handler)), options_(std::move(options)) {}

Server::~Server() { Close(); }

absl::Status Server::Listen(const std::string& host_port) {
  if (listener_ != nullptr) {
    return absl::FailedPreconditionError("http server is already listening");
  }
  HostPort hp;
  if (absl::Status s = SplitHostPort(host_port, &hp); !s.ok()) return s;
  sockaddr_storage addr;
  if (absl::Status s = Resolve(loop_, hp, &addr); !s.ok()) return s;

  auto* listener = new uv_tcp_t;
  uv_tcp_init(loop_, listener);
  listener->data = this;
  int rc = uv_tcp_bind(listener, reinterpret_cast<const sockaddr*>(&addr), 0);
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(listener), kBacklog, OnConnection);
  if (rc != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(listener), DeleteTcpHandle);
    // Go's text: "listen tcp 127.0.0.1:8222: bind: address already in use"
    return absl::UnavailableError(absl::StrCat("listen tcp ", host_port, ": bind: ", uv_strerror(rc)));
  }
  sockaddr_storage bound{};
  int len = sizeof(bound);
  uv_tcp_getsockname(listener, reinterpret_cast<sockaddr*>(&bound), &len);
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  listener_ = listener;
  return absl::OkStatus();
}

void Server::OnConnection(uv_stream_t* listener, int status) {
  auto* self = static_cast<Server*>(listener->data);
  if (status < 0) return;  // e.g. EMFILE; libuv retries on the next readiness
  auto* connection = new internal::Connection(self, self->loop_);
  if (connection->Accept(listener) != 0) {
    connection->Detach();
    connection->Close();
    return;
  }
  if (self->connections_.size() >= self->options_.max_connections) {
    ++self->stats_.connections_rejected;
    connection->Detach();
    connection->Close();
    return;
  }
  ++self->stats_.connections_accepted;
  self->connections_.insert(connection);
  connection->Start();
}

void Server::Unregister(internal::Connection* connection) { connections_.erase(connection); }

void Server::Close() {
  if (listener_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(listener_), DeleteTcpHandle);
    listener_ = nullptr;
  }
  absl::flat_hash_set<internal::Connection*> connections;
  connections.swap(connections_);
  for (internal::Connection* connection : connections) {
    connection->Detach();
    connection->Close();
  }
  // Late Complete() calls find the queue shut down and drop their answers.
  if (completions_ != nullptr) {
    completions_->Shutdown();
    completions_.reset();
  }
}

std::shared_ptr<internal::CompletionQueue> Server::Completions() {
  if (completions_ == nullptr) completions_ = internal::CompletionQueue::Create(loop_);
  return completions_;
}

ServerStats Server::stats() const {
  ServerStats s = stats_;
  s.open_connections = connections_.size();
  return s;
}

absl::string_view Server::HttpDate() {
  const absl::Time now = absl::Now();
  const int64_t second = absl::ToUnixSeconds(now);
  if (second != date_second_) {
    date_second_ = second;
    date_.clear();
    AppendHttpDate(now, &date_);
  }
  return date_;
}

}  // namespace meridian::http
