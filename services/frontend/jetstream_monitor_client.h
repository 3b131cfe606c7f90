// The frontend's client of meridian-jetstream's monitoring service
// (proto/meridian/jetstream/v1/monitor.proto): what GET /jsz and the
// "jetstream" object of GET /varz show comes from there. gRPC stays out of
// this header.
//
// Threads: any thread calls; `done` runs once, on a gRPC callback thread
// (or on the caller's, when the call cannot start).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace meridian::frontend {

struct JszParams {
  std::string server_id;
  std::string account;
  bool accounts = false;
  bool streams = false;
  bool consumers = false;
  bool config = false;
  int64_t offset = 0;
  int64_t limit = 0;
  bool varz = false;  // the /varz "jetstream" object instead of JSInfo
};

class JetStreamMonitorClient {
 public:
  // `address`: meridian-jetstream's gRPC address (host:port or unix:/path).
  explicit JetStreamMonitorClient(const std::string& address);
  ~JetStreamMonitorClient();

  using Done = std::function<void(absl::StatusOr<std::string> json)>;
  void Jsz(const JszParams& params, absl::Duration timeout, Done done);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace meridian::frontend
