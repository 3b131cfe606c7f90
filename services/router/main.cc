// meridian-router: the routing core. Peers (frontends, jetstream, links and
// other routers) attach over the Router.Attach stream (proto/meridian/router),
// served on --grpc_listen together with health and admin, and, for the mesh,
// on --cluster_listen.
#include <random>

#include "absl/strings/str_split.h"
#include "common/admin/async_admin.h"
#include "common/daemon/daemon.h"
#include "common/rpc/async_hosted.h"
#include "common/log/log.h"
#include "services/router/hub/hub.h"
#include "services/router/hub/hub_metrics.h"
#include "services/router/router_options.h"
#include "common/metrics/metrics.h"

namespace {

// "nats-route://h:p", "nats://h:p" or "h:p" -> "h:p".
std::string StripScheme(std::string_view url) {
  if (size_t p = url.find("://"); p != std::string_view::npos) url.remove_prefix(p + 3);
  if (size_t at = url.rfind('@'); at != std::string_view::npos) url.remove_prefix(at + 1);
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  return std::string(url);
}

}  // namespace

int main(int argc, char** argv) {
  meridian::daemon::Daemon daemon("router",
                                  "The Meridian routing core: keeps the interest graph per account "
                                  "and forwards messages between attached peers.");
  meridian::router::RouterDaemonOptions options;
  options.Register(daemon.options());
  if (auto code = daemon.ParseArgs(argc, argv)) return *code;

  meridian::router::HubOptions hub_options;
  hub_options.self_id = daemon.id();
  hub_options.name = daemon.common().name;
  hub_options.cluster_name = options.cluster_name;
  hub_options.route_url = StripScheme(options.cluster_listen);
  for (absl::string_view r : absl::StrSplit(options.routes, ',', absl::SkipWhitespace())) {
    hub_options.routes.push_back(StripScheme(std::string_view(r.data(), r.size())));
  }
  hub_options.seed = std::random_device{}();
  meridian::router::Hub hub(hub_options);
  meridian::rpc::AsyncHealth async_health;  // outlive the servers below
  std::unique_ptr<meridian::admin::AsyncAdmin> async_admin;
  std::unique_ptr<meridian::router::AttachServer> local, cluster;

  daemon.AddComponent(
      "mesh",
      [&]() -> absl::Status {
        if (!options.cluster_listen.empty()) {
          meridian::router::AttachServerOptions o;
          o.listen = hub_options.route_url;
          o.hello = hub.MakeHello();
          o.default_health = false;  // no callback threads polling the mesh
          auto server = meridian::router::AttachServer::Start(std::move(o), &hub);
          if (!server.ok()) return server.status();
          cluster = std::move(*server);
          daemon.SetEndpoint("cluster", "nats-route://" + cluster->address());
          MLOG_INFO("cluster listener on ", cluster->address());
        }
        daemon.metrics().RegisterCollectable(
            std::make_shared<meridian::router::HubMetrics>(&hub));
        hub.Start();
        return absl::OkStatus();
      },
      [&] {
        if (cluster) cluster->Shutdown();
        if (local) local->Shutdown();
        hub.Stop();
      });
  daemon.ServeGrpcWith(
      [&](const std::vector<grpc::Service*>& services,
          meridian::admin::AdminService* admin) -> absl::StatusOr<std::string> {
        // Health and admin answered on the transport thread: no gRPC callback
        // threads polling the Attach connections (common/rpc/async_hosted.h).
        async_admin = std::make_unique<meridian::admin::AsyncAdmin>(admin);
        meridian::router::AttachServerOptions o;
        o.listen = daemon.common().grpc_listen;
        o.hello = hub.MakeHello();
        o.extra_services = services;
        o.async_services = {&async_health, async_admin.get()};
        o.default_health = false;
        auto server = meridian::router::AttachServer::Start(std::move(o), &hub);
        if (!server.ok()) return server.status();
        local = std::move(*server);
        return local->address();
      },
      [&] {
        if (local) local->Shutdown();
      });
  return daemon.Run();
}
