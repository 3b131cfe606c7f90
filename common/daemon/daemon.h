// The skeleton every Meridian daemon's main.cc uses: common flags (--help,
// --version, --config, --name, --grpc_listen, --metrics_listen, -D/-V/-DV,
// -l, -P), logging, /metrics, the gRPC server with health and the admin
// service, ordered start and reverse stop on SIGTERM/SIGINT.
//
//   int main(int argc, char** argv) {
//     meridian::daemon::Daemon d("router", "Routes messages between peers.");
//     RouterOptions o;  o.Register(d.options());
//     if (auto code = d.ParseArgs(argc, argv)) return *code;
//     ... d.AddComponent(...); d.AddService(&service);
//     return d.Run();
//   }
//
// Main thread only; Run() blocks until the daemon is told to stop.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/lifecycle/lifecycle.h"
#include "common/options/options.h"

namespace grpc {
class Service;
}  // namespace grpc

namespace meridian::metrics {
class MetricsServer;
}  // namespace meridian::metrics

namespace meridian::admin {
class AdminHooks;
class AdminService;
}  // namespace meridian::admin

namespace meridian::daemon {

struct CommonOptions {
  std::string name;                            // instance name; default "<kind>-<host>"
  std::string config_file;
  std::string grpc_listen = "127.0.0.1:0";     // host:port or unix:/path
  std::string metrics_listen = "127.0.0.1:0";  // host:port of /metrics
  std::string log_file;
  std::string pid_file;
  bool debug = false;
  bool trace = false;
  bool debug_and_trace = false;
  bool help = false;
  bool version = false;
};

class Daemon {
 public:
  Daemon(std::string kind, std::string summary);
  ~Daemon();

  options::OptionSet& options() { return options_; }
  const CommonOptions& common() const { return common_; }
  const std::string& kind() const { return kind_; }
  // A random id for this process, fixed for its life.
  const std::string& id() const { return id_; }

  // Parses flags, then the config file (flags win). Returns an exit code when
  // the program should end now: 0 after --help / --version, 1 after an error
  // (printed as one line on stderr).
  std::optional<int> ParseArgs(int argc, char** argv);

  // Domain components start after /metrics and before gRPC serves, in the
  // order added, and stop in reverse.
  void AddComponent(std::string name, lifecycle::Lifecycle::StartFn start,
                    lifecycle::Lifecycle::StopFn stop);
  void AddService(grpc::Service* service);
  // Replaces the daemon's own gRPC server by one the caller runs (the router
  // serves its async Attach stream from its own server): `start` gets the
  // services added with AddService and the admin service (to host with
  // admin::AsyncAdmin, or register), serves grpc.health.v1 itself, and returns
  // the address it listens on; `stop` ends it. Both run on the main thread.
  using GrpcStartFn = std::function<absl::StatusOr<std::string>(
      const std::vector<grpc::Service*>& services, admin::AdminService* admin)>;
  void ServeGrpcWith(GrpcStartFn start, std::function<void()> stop) {
    grpc_start_ = std::move(start);
    grpc_stop_ = std::move(stop);
  }
  void SetAdminHooks(admin::AdminHooks* hooks) { hooks_ = hooks; }
  // Names a listener for GetServerInfo (e.g. "client" -> "nats://127.0.0.1:4222").
  // Call from a component's start function.
  void SetEndpoint(std::string name, std::string url) { endpoints_[name] = std::move(url); }
  // Called on SIGHUP after the log is reopened.
  void OnReload(std::function<void()> fn) { on_reload_ = std::move(fn); }
  // Called on SIGUSR2 (lame duck mode, as nats-server).
  void OnLameDuck(std::function<void()> fn) { on_lame_duck_ = std::move(fn); }

  // Valid once Run() has started metrics (i.e. inside component start fns).
  metrics::MetricsServer& metrics();
  // The address the gRPC server listens on; valid after Run() started it.
  const std::string& grpc_address() const { return grpc_address_; }

  // Starts everything, waits for SIGTERM/SIGINT, stops everything. Returns
  // the process exit code: 0 after a clean stop, 1 when start failed.
  int Run();

 private:
  std::string kind_;
  std::string id_;
  options::OptionSet options_;
  CommonOptions common_;
  std::string config_digest_;
  std::vector<grpc::Service*> services_;
  admin::AdminHooks* hooks_ = nullptr;
  std::function<void()> on_reload_;
  GrpcStartFn grpc_start_;
  std::function<void()> grpc_stop_;
  std::function<void()> on_lame_duck_;
  struct Pending {
    std::string name;
    lifecycle::Lifecycle::StartFn start;
    lifecycle::Lifecycle::StopFn stop;
  };
  std::vector<Pending> components_;
  std::unique_ptr<metrics::MetricsServer> metrics_;
  std::string grpc_address_;
  std::map<std::string, std::string> endpoints_;
};

// SHA-256 of a file's bytes, hex; "" for no file.
std::string FileDigest(const std::string& path);

}  // namespace meridian::daemon
