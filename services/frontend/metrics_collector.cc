#include "services/frontend/metrics_collector.h"

#include <string>

#include "services/frontend/core.h"
#include "services/frontend/direct_get_cache.h"
#include "services/frontend/router_link.h"

namespace meridian::frontend {
namespace {

prometheus::MetricFamily Family(std::string name, std::string help, prometheus::MetricType type,
                                double value, const std::string& server_id) {
  prometheus::MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type;
  prometheus::ClientMetric metric;
  metric.label.push_back({"server_id", server_id});
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(std::move(metric));
  return family;
}

}  // namespace

std::vector<prometheus::MetricFamily> MetricsCollector::Collect() const {
  Core::Totals t = core_->SumStats();
  const std::string& id = core_->options().server_id;
  double connections = static_cast<double>(core_->num_connections().load());
  double subscriptions = static_cast<double>(core_->sublist().Count());
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> out;
  auto counter = [&](const char* name, const char* help, uint64_t v) {
    out.push_back(Family(name, help, MetricType::Counter, static_cast<double>(v), id));
  };
  auto gauge = [&](const char* name, const char* help, double v) {
    out.push_back(Family(name, help, MetricType::Gauge, v, id));
  };
  gauge("meridian_frontend_connections", "Open client connections", connections);
  counter("meridian_frontend_connections_total", "Client connections accepted", t.total_connections);
  counter("meridian_frontend_in_msgs_total", "Messages received from clients", t.in_msgs);
  counter("meridian_frontend_in_bytes_total", "Payload bytes received from clients", t.in_bytes);
  counter("meridian_frontend_out_msgs_total", "Messages delivered to clients", t.out_msgs);
  counter("meridian_frontend_out_bytes_total", "Payload bytes delivered to clients", t.out_bytes);
  counter("meridian_frontend_slow_consumers_total", "Clients closed as slow consumers",
          t.slow_consumers);
  counter("meridian_frontend_stale_connections_total", "Clients closed as stale",
          t.stale_connections);
  gauge("meridian_frontend_subscriptions", "Subscriptions", subscriptions);
  if (RouterLink* link = core_->router_link()) {
    RouterLinkStats r = link->stats();
    gauge("meridian_frontend_router_connected", "1 while attached to a router",
          link->connected() ? 1 : 0);
    counter("meridian_frontend_router_connects_total", "Router streams established", r.connects);
    counter("meridian_frontend_router_forwarded_total", "Messages handed to the router",
            r.forwarded);
    counter("meridian_frontend_router_forward_refused_total",
            "Batches the full router queue refused (kept, publishers paused)", r.forward_refused);
    counter("meridian_frontend_router_routed_in_total", "Messages received from the router",
            r.routed_in);
    counter("meridian_frontend_router_resyncs_total", "Full interest sets sent to the router",
            r.resyncs);
  }
  if (DirectGetCache* dg = core_->direct_get_cache()) {
    DirectGetCacheStats c = dg->stats();
    counter("meridian_frontend_direct_get_cache_hits_total",
            "Direct gets (KV get) answered from this frontend's cache", c.hits);
    counter("meridian_frontend_direct_get_cache_misses_total",
            "Cacheable direct gets forwarded to meridian-jetstream", c.misses);
    counter("meridian_frontend_direct_get_cache_stored_total", "Direct-get answers stored", c.stored);
    counter("meridian_frontend_direct_get_cache_invalidations_total",
            "Stream invalidations received from meridian-jetstream", c.invalidations);
    counter("meridian_frontend_direct_get_cache_resets_total",
            "Whole-cache drops (router link or meridian-jetstream came or went)", c.resets);
    gauge("meridian_frontend_direct_get_cache_entries", "Cached direct-get answers",
          static_cast<double>(c.entries));
    gauge("meridian_frontend_direct_get_cache_bytes", "Bytes of cached direct-get answers",
          static_cast<double>(c.bytes));
  }
  // prometheus-nats-exporter names (all gauges there).
  gauge("gnatsd_varz_connections", "connections", connections);
  gauge("gnatsd_varz_total_connections", "total_connections", static_cast<double>(t.total_connections));
  gauge("gnatsd_varz_in_msgs", "in_msgs", static_cast<double>(t.in_msgs));
  gauge("gnatsd_varz_out_msgs", "out_msgs", static_cast<double>(t.out_msgs));
  gauge("gnatsd_varz_in_bytes", "in_bytes", static_cast<double>(t.in_bytes));
  gauge("gnatsd_varz_out_bytes", "out_bytes", static_cast<double>(t.out_bytes));
  gauge("gnatsd_varz_slow_consumers", "slow_consumers", static_cast<double>(t.slow_consumers));
  gauge("gnatsd_varz_subscriptions", "subscriptions", subscriptions);
  return out;
}

}  // namespace meridian::frontend
