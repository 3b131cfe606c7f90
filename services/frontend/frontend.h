// The frontend: owns the client and monitoring listeners on a libuv loop.
//
// Foundation state: clients get INFO and then a clear -ERR saying the core
// protocol is not implemented yet; monitoring answers /healthz and says
// "not implemented yet" for the other endpoints. The core-NATS issue
// replaces both with the real protocol and monitoring.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "services/frontend/frontend_options.h"
#include "services/frontend/loop_thread.h"
#include "services/frontend/tcp_listener.h"

namespace meridian::frontend {

class Frontend {
 public:
  Frontend(FrontendOptions options, std::string server_id);
  ~Frontend();

  // Binds the listeners and starts the loop thread (main thread).
  [[nodiscard]] absl::Status Start();
  void Stop();

  // "client" -> "nats://host:port", "monitoring" -> "http://host:port".
  std::map<std::string, std::string> Endpoints() const;

 private:
  void OnClient(uv_tcp_t* client);
  void OnHttp(uv_tcp_t* client);
  std::string InfoJson() const;

  FrontendOptions options_;
  std::string server_id_;
  LoopThread loop_;
  std::unique_ptr<TcpListener> client_listener_;
  std::unique_ptr<TcpListener> http_listener_;
};

}  // namespace meridian::frontend
