// The frontend: the client connection engine (Core) and its monitoring.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "services/frontend/core.h"
#include "services/frontend/frontend_options.h"
#include "services/frontend/monitor.h"

namespace meridian::frontend {

class Frontend {
 public:
  Frontend(FrontendOptions options, std::string server_id);
  ~Frontend();

  // Binds the listeners and starts the loops (main thread).
  [[nodiscard]] absl::Status Start();
  void Stop();
  // Lame duck mode; `done` runs (on a loop thread) when every client is gone.
  void EnterLameDuck(std::function<void()> done);

  // "client" -> "nats://host:port", "monitoring" -> "http://host:port".
  std::map<std::string, std::string> Endpoints() const;
  Core& core() { return *core_; }

 private:
  FrontendOptions options_;
  std::unique_ptr<Core> core_;
  std::unique_ptr<Monitor> monitor_;
};

}  // namespace meridian::frontend
