// nats-server compatible HTTP monitoring on the frontend: /varz, /connz,
// /subsz (/subscriptionsz), /healthz and the root page, with nats-server's
// JSON field names (../shared/spec/monitoring.md).
//
// Runs on its own loop thread; connection data comes from Core snapshots
// taken on each worker's thread.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/http/router.h"
#include "services/frontend/loop_thread.h"

namespace meridian::http {
class Server;
}

namespace meridian::frontend {

class Core;
class JetStreamMonitorClient;

struct MonitorOptions {
  std::string listen;     // host:port; port 0 picks one
  std::string base_path;  // http_base_path
  std::string http_host;  // for /varz
  bool jetstream = false;         // JetStream enabled (by the launcher)
  std::string jetstream_service;  // meridian-jetstream's gRPC address: /jsz, /varz "jetstream"
};

class Monitor {
 public:
  Monitor(Core* core, MonitorOptions options);
  ~Monitor();
  [[nodiscard]] absl::Status Start();
  void Stop();
  int port() const { return port_; }
  const std::string& host() const { return host_; }

  // Endpoint bodies, public for tests. `jetstream`: the value of the
  // "jetstream" member (JSON).
  std::string Varz(absl::string_view jetstream = "{}");

 private:
  void HandleVarz(const http::Request& req, http::Response* resp);
  void HandleConnz(const http::Request& req, http::Response* resp);
  void HandleSubsz(const http::Request& req, http::Response* resp);
  void HandleHealthz(const http::Request& req, http::Response* resp);
  void HandleRoutez(const http::Request& req, http::Response* resp);
  void HandleJsz(const http::Request& req, http::Response* resp);
  void HandleRoot(const http::Request& req, http::Response* resp);
  void Count(const std::string& path);

  Core* core_;
  MonitorOptions options_;
  http::Router router_;
  LoopThread loop_;
  std::unique_ptr<JetStreamMonitorClient> jetstream_;  // null without a jetstream_service
  std::unique_ptr<http::Server> server_;
  int port_ = 0;
  std::string host_;
  std::map<std::string, uint64_t> http_req_stats_;  // monitor loop only
};

}  // namespace meridian::frontend
