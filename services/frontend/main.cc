// meridian-frontend: NATS client connections (and later WebSocket and MQTT).
#include "common/daemon/daemon.h"
#include "services/frontend/frontend.h"
#include "services/frontend/frontend_options.h"

int main(int argc, char** argv) {
  meridian::daemon::Daemon daemon("frontend",
                                  "Meridian's connection frontend: speaks the NATS client protocol "
                                  "to clients and forwards through the router.");
  meridian::frontend::FrontendOptions options;
  options.Register(daemon.options());
  if (auto code = daemon.ParseArgs(argc, argv)) return *code;
  meridian::frontend::Frontend frontend(options, daemon.id());
  daemon.AddComponent(
      "listeners",
      [&]() -> absl::Status {
        if (absl::Status s = frontend.Start(); !s.ok()) return s;
        for (const auto& [name, url] : frontend.Endpoints()) daemon.SetEndpoint(name, url);
        return absl::OkStatus();
      },
      [&] { frontend.Stop(); });
  return daemon.Run();
}
