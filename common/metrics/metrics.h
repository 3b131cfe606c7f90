// Prometheus metrics served at /metrics (prometheus-cpp), one endpoint per
// daemon on its own port.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace prometheus {
class Collectable;
class Exposer;
class Registry;
}  // namespace prometheus

namespace meridian::metrics {

// Owns the HTTP exposer and the registry. Thread-safe (prometheus-cpp's
// metrics are atomics; scraping runs on the exposer's threads).
class MetricsServer {
 public:
  // `listen` is "host:port"; port 0 picks a free port.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(
      const std::string& listen);
  ~MetricsServer();

  prometheus::Registry& registry() { return *registry_; }
  std::shared_ptr<prometheus::Registry> shared_registry() { return registry_; }
  // Adds a collector computed at scrape time (e.g. counters a data path
  // keeps itself); it must stay alive while registered.
  void RegisterCollectable(const std::weak_ptr<prometheus::Collectable>& collectable);
  int port() const { return port_; }
  const std::string& address() const { return address_; }

 private:
  MetricsServer() = default;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::shared_ptr<prometheus::Registry> registry_;
  int port_ = 0;
  std::string address_;
};

}  // namespace meridian::metrics
