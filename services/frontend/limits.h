// The client-facing limits and policies of a frontend, with nats-server's
// defaults (../shared/spec/client-protocol.md §12).
#pragma once

#include <cstdint>
#include <string>

#include "absl/time/time.h"

namespace meridian::frontend {

struct Limits {
  int64_t max_payload = 1024 * 1024;
  int64_t max_control_line = 4096;
  int64_t max_connections = 65536;
  int64_t max_subscriptions = 0;  // 0 = unlimited
  int64_t max_pending = 64LL * 1024 * 1024;
  absl::Duration ping_interval = absl::Minutes(2);
  int64_t ping_max = 2;
  absl::Duration write_deadline = absl::Seconds(10);
  absl::Duration auth_timeout = absl::Seconds(2);
  absl::Duration lame_duck_duration = absl::Minutes(2);
  absl::Duration lame_duck_grace_period = absl::Seconds(10);
};

// Single-user or token authorization (until the auth service).
struct SimpleAuth {
  std::string user;
  std::string pass;
  std::string token;
  bool required() const { return !user.empty() || !token.empty(); }
};

}  // namespace meridian::frontend
