// The launcher's options: nats-server's command-line flags and the subset of
// its configuration file Meridian supports so far. Anything nats-server knows
// that Meridian does not support yet is rejected with its name (and, from a
// file, its file:line:column), never silently ignored.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/frontend/limits.h"

namespace meridian::launcher {

struct LaunchOptions {
  // Server.
  std::string host = "0.0.0.0";
  int64_t port = 4222;           // -1: random
  std::string http_host;         // default: host
  int64_t http_port = 0;         // 0: monitoring off; -1: random
  std::string http_base_path;    // prefix of every monitoring path (config file only)
  std::string server_name;
  std::string config_file;
  std::string pid_file;
  std::string ports_file_dir;
  bool test_config = false;
  bool help = false;
  bool version = false;
  // Logging.
  std::string log_file;
  bool debug = false;
  bool trace = false;
  bool debug_and_trace = false;
  // JetStream.
  bool jetstream = false;
  std::string store_dir;
  int64_t max_memory_store = -1;
  int64_t max_file_store = -1;
  // jetstream { sync_interval }: "always" = fsync before every acknowledgement;
  // otherwise the interval of background fsyncs (nats-server default 2 min).
  bool jetstream_sync_always = false;
  int64_t jetstream_sync_interval_ms = 120000;
  // Authorization (single user or token, until the auth service issue).
  std::string user;
  std::string pass;
  std::string auth_token;
  // Client limits, for the frontends.
  frontend::Limits limits;
  // Frontends: how many, and each one's client port, resolved by the parser
  // (size `frontends`; -1: random). Default: port, port+1, ... or all random
  // when port is -1. Frontend 0 alone gets the configured monitoring port.
  int64_t frontends = 1;
  std::vector<int64_t> frontend_ports;
  // Cluster: where this launcher's router listens for other routers
  // ("host:port"; empty: not clustered), the routers it connects to
  // ("host:port", scheme stripped) and the cluster's name.
  std::string cluster_listen;
  std::vector<std::string> routes;
  std::string cluster_name;
  // Meridian's own.
  std::string admin_listen;       // default 127.0.0.1:8223, or :0 when port is -1
  std::string metrics_listen = "127.0.0.1:0";
  std::string run_dir;            // unix sockets of the suite; default a fresh temp dir
};

// Parses argv then the config file named by -c (flags win, as in
// nats-server). Errors are one line, ready to print after "meridian-server: ".
// A --help or --version request is reported through the options.
[[nodiscard]] absl::StatusOr<LaunchOptions> ParseLaunchOptions(int argc, const char* const* argv);

// The usage text (nats-server's layout, Meridian's supported set).
std::string LaunchUsage();

}  // namespace meridian::launcher
