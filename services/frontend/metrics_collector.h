// The frontend's Prometheus metrics, computed at scrape time from the
// workers' own counters (nothing is added to the message path):
// meridian_frontend_* counters and gauges, and the gnatsd_varz_* gauges that
// prometheus-nats-exporter dashboards expect (label server_id).
#pragma once

#include <vector>

#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace meridian::frontend {

class Core;

class MetricsCollector : public prometheus::Collectable {
 public:
  explicit MetricsCollector(Core* core) : core_(core) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  Core* core_;
};

}  // namespace meridian::frontend
