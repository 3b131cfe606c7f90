// meridian_router_* Prometheus metrics, read from the Hub at scrape time.
#pragma once

#include <vector>

#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace meridian::router {

class Hub;

class HubMetrics : public prometheus::Collectable {
 public:
  explicit HubMetrics(const Hub* hub) : hub_(hub) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const Hub* hub_;
};

}  // namespace meridian::router
