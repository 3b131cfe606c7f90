#include "services/router/hub/hub_metrics.h"

#include <string>

#include "services/router/hub/hub.h"

namespace meridian::router {

std::vector<prometheus::MetricFamily> HubMetrics::Collect() const {
  const HubStats s = hub_->stats();
  std::vector<prometheus::MetricFamily> out;
  auto add = [&out](std::string name, std::string help, prometheus::MetricType type, uint64_t v) {
    prometheus::MetricFamily family;
    family.name = std::move(name);
    family.help = std::move(help);
    family.type = type;
    prometheus::ClientMetric metric;
    if (type == prometheus::MetricType::Counter) {
      metric.counter.value = static_cast<double>(v);
    } else {
      metric.gauge.value = static_cast<double>(v);
    }
    family.metric.push_back(std::move(metric));
    out.push_back(std::move(family));
  };
  using prometheus::MetricType;
  add("meridian_router_peers", "Local peers attached", MetricType::Gauge, s.peers);
  add("meridian_router_routes", "Routers of the mesh linked with", MetricType::Gauge, s.routers);
  add("meridian_router_messages_in_total", "Messages received from peers", MetricType::Counter,
      s.messages_in);
  add("meridian_router_messages_out_total", "Message copies queued to peers", MetricType::Counter,
      s.messages_out);
  add("meridian_router_messages_unrouted_total", "Messages nobody elsewhere wanted",
      MetricType::Counter, s.messages_unrouted);
  add("meridian_router_send_overflows_total",
      "Messages and interest deltas refused by a full peer queue", MetricType::Counter,
      s.send_overflows);
  add("meridian_router_interest_errors_total", "Inconsistent interest that made a peer resync",
      MetricType::Counter, s.interest_errors);
  add("meridian_router_pauses_total", "Publishing peers held back for a slow peer",
      MetricType::Counter, s.pauses);
  return out;
}

}  // namespace meridian::router
