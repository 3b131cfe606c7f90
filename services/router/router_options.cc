#include "services/router/router_options.h"

namespace meridian::router {

void RouterDaemonOptions::Register(options::OptionSet& set) {
  set.String({"cluster_listen"}, &cluster_listen,
             "host:port other routers of the mesh attach to (empty: no mesh listener)");
  set.String({"routes"}, &routes,
             "Other routers' cluster addresses to mesh with, comma-separated (host:port, "
             "nats-route://host:port or nats://host:port)");
  set.String({"cluster_name"}, &cluster_name, "Cluster name; routers of another name are refused");
}

}  // namespace meridian::router
