// meridian-frontend: NATS client connections (and later WebSocket and MQTT).
#include <signal.h>
#include <unistd.h>

#include "common/conf/conf.h"
#include "common/daemon/daemon.h"
#include "common/log/log.h"
#include "common/nkeys/nkeys.h"
#include "services/frontend/frontend.h"
#include "services/frontend/frontend_options.h"
#include "services/frontend/metrics_collector.h"
#include "common/metrics/metrics.h"

int main(int argc, char** argv) {
  meridian::daemon::Daemon daemon("frontend",
                                  "Meridian's connection frontend: speaks the NATS client protocol "
                                  "to clients and forwards through the router.");
  meridian::frontend::FrontendOptions options;
  options.Register(daemon.options());
  if (auto code = daemon.ParseArgs(argc, argv)) return *code;
  absl::StatusOr<meridian::nkeys::KeyPair> server_key =
      meridian::nkeys::Create(meridian::nkeys::KeyType::kServer);
  if (!server_key.ok()) return 1;
  meridian::frontend::Frontend frontend(options, server_key->public_key);
  // After lame duck mode has closed every client the frontend exits, as
  // nats-server does.
  // SIGHUP: re-read the config file and apply what nats-server reloads
  // (limits and authorization); listeners stay as they are.
  daemon.OnReload([&] {
    if (daemon.common().config_file.empty()) return;
    meridian::frontend::FrontendOptions fresh;
    meridian::options::OptionSet set("meridian-frontend", "");
    fresh.Register(set);
    absl::StatusOr<meridian::conf::Value> root = meridian::conf::ParseFile(daemon.common().config_file);
    absl::Status s = root.ok() ? set.ApplyConfig(*root, nullptr) : root.status();
    if (!s.ok()) {
      MLOG_ERROR("config reload failed, keeping the running configuration: ", s.message());
      return;
    }
    frontend.core().UpdateSettings(fresh.limits, {.user = fresh.user, .pass = fresh.pass,
                                                  .token = fresh.auth_token});
    MLOG_INFO("reloaded limits and authorization from ", daemon.common().config_file);
  });
  auto collector = std::make_shared<meridian::frontend::MetricsCollector>(&frontend.core());
  daemon.OnLameDuck([&] { frontend.EnterLameDuck([] { ::kill(::getpid(), SIGTERM); }); });
  daemon.AddComponent(
      "listeners",
      [&]() -> absl::Status {
        if (absl::Status s = frontend.Start(); !s.ok()) return s;
        daemon.metrics().RegisterCollectable(collector);
        for (const auto& [name, url] : frontend.Endpoints()) daemon.SetEndpoint(name, url);
        return absl::OkStatus();
      },
      [&] { frontend.Stop(); });
  return daemon.Run();
}
