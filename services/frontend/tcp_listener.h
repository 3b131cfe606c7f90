// A TCP listener on a libuv loop; each accepted socket is handed to a
// callback. Loop thread only, except Bind (before the loop runs).
#pragma once

#include <uv.h>

#include <functional>
#include <string>

#include "absl/status/status.h"

namespace meridian::frontend {

class TcpListener {
 public:
  using AcceptFn = std::function<void(uv_tcp_t* client)>;  // takes ownership of client

  TcpListener(uv_loop_t* loop, AcceptFn on_accept);
  // Binds host:port (port 0 picks one) and listens.
  [[nodiscard]] absl::Status Listen(const std::string& host_port);
  // Listen in two steps: Bind (the port is known, connections queue in the
  // kernel's backlog) and, on the loop's thread, Accept (they are taken).
  [[nodiscard]] absl::Status Bind(const std::string& host_port);
  [[nodiscard]] absl::Status Accept();
  int port() const { return port_; }
  const std::string& host() const { return host_; }
  // Closes the listening socket (loop thread).
  void Close();

 private:
  static void OnConnection(uv_stream_t* server, int status);

  uv_loop_t* loop_;
  uv_tcp_t handle_;
  AcceptFn on_accept_;
  std::string host_;
  int port_ = 0;
  bool open_ = false;
};

// Splits "host:port" (IPv4 or [IPv6]).
[[nodiscard]] absl::Status SplitHostPort(const std::string& host_port, std::string* host, int* port);

}  // namespace meridian::frontend
