#include "common/daemon/daemon.h"

#include <openssl/evp.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/admin/admin_service.h"
#include "common/conf/conf.h"
#include "common/log/log.h"
#include "common/metrics/metrics.h"
#include "common/rpc/rpc.h"
#include "common/version/version.h"

namespace meridian::daemon {
namespace {

std::string RandomId(const std::string& kind) {
  std::random_device rd;
  uint64_t v = (static_cast<uint64_t>(rd()) << 32) | rd();
  return absl::StrCat(kind, "-", absl::Hex(v, absl::kZeroPad16));
}

std::string HostName() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

}  // namespace

std::string FileDigest(const std::string& path) {
  if (path.empty()) return "";
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string data = ss.str();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(md), len));
}

Daemon::Daemon(std::string kind, std::string summary)
    : kind_(kind), id_(RandomId(kind)), options_(absl::StrCat("meridian-", kind), std::move(summary)) {
  // Debian's Abseil is built with deadlock detection on, so every
  // absl::Mutex lock (gRPC's included) updated a lock graph.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  rpc::PreferPerQueuePolling();
  // Every thread (inherited by the ones created later) runs as SCHED_BATCH:
  // a thread woken by another does not preempt it, so a loop finishes its
  // turn before the woken one runs. A message crossing the daemons is handed
  // between threads several times; on one CPU each preemption otherwise cost
  // a second context switch (cross-frontend request/reply: ~20 -> ~15 per
  // round trip). Allowed without privileges; nice values still apply.
  sched_param param{};
  (void)::sched_setscheduler(0, SCHED_BATCH, &param);
  options_.Bool({"h", "help"}, &common_.help, "Show this message").NoConfig();
  options_.Bool({"v", "version"}, &common_.version, "Show version").NoConfig();
  options_.String({"c", "config"}, &common_.config_file, "Configuration file (nats-server format)")
      .NoConfig();
  options_.String({"n", "name"}, &common_.name, "Instance name (default <kind>-<hostname>)");
  options_.String({"grpc_listen"}, &common_.grpc_listen,
                  "gRPC listen address for internal and admin APIs: host:port or unix:/path");
  options_.String({"metrics_listen"}, &common_.metrics_listen,
                  "host:port serving Prometheus /metrics (port 0 picks one)");
  options_.String({"l", "log"}, &common_.log_file, "Log file (default stderr)").ConfigKey("log_file");
  options_.String({"P", "pid"}, &common_.pid_file, "File to store the process id").ConfigKey("pid_file");
  options_.Bool({"D", "debug"}, &common_.debug, "Enable debug logging");
  options_.Bool({"V", "trace"}, &common_.trace, "Enable trace logging");
  options_.Bool({"DV"}, &common_.debug_and_trace, "Debug and trace").NoConfig();
}

Daemon::~Daemon() = default;

std::optional<int> Daemon::ParseArgs(int argc, char** argv) {
  lifecycle::BlockSignals();
  lifecycle::RaiseFileLimit();
  auto fail = [&](const absl::Status& s) {
    std::fprintf(stderr, "%s: %s\n", options_.program().c_str(), std::string(s.message()).c_str());
    return std::optional<int>(1);
  };
  if (absl::Status s = options_.ParseFlags(argc, argv); !s.ok()) return fail(s);
  if (common_.help) {
    std::fputs(options_.Usage().c_str(), stdout);
    return 0;
  }
  if (common_.version) {
    std::printf("%s: v%s (nats-server compatible v%s)\n", options_.program().c_str(), kVersion,
                kNatsCompatVersion);
    return 0;
  }
  if (!common_.config_file.empty()) {
    absl::StatusOr<conf::Value> root = conf::ParseFile(common_.config_file);
    if (!root.ok()) return fail(root.status());
    if (absl::Status s = options_.ApplyConfig(*root); !s.ok()) return fail(s);
    config_digest_ = FileDigest(common_.config_file);
  }
  if (common_.debug_and_trace) common_.debug = common_.trace = true;
  if (common_.name.empty()) common_.name = absl::StrCat(kind_, "-", HostName());
  if (absl::Status s = log::Init({.debug = common_.debug,
                                  .trace = common_.trace,
                                  .file = common_.log_file,
                                  .prefix = kind_});
      !s.ok()) {
    return fail(s);
  }
  return std::nullopt;
}

void Daemon::AddComponent(std::string name, lifecycle::Lifecycle::StartFn start,
                          lifecycle::Lifecycle::StopFn stop) {
  components_.push_back({std::move(name), std::move(start), std::move(stop)});
}

void Daemon::AddService(grpc::Service* service) { services_.push_back(service); }

metrics::MetricsServer& Daemon::metrics() { return *metrics_; }

int Daemon::Run() {
  admin::AdminService admin_service(
      admin::Identity{.id = id_, .name = common_.name, .kind = kind_, .config_digest = config_digest_},
      hooks_);
  std::unique_ptr<rpc::GrpcServer> grpc_server;

  lifecycle::Lifecycle lc;
  lc.Add("pid file", [&] { return lifecycle::WritePidFile(common_.pid_file); },
         [&] {
           if (!common_.pid_file.empty()) ::unlink(common_.pid_file.c_str());
         });
  lc.Add("metrics",
         [&]() -> absl::Status {
           auto server = metrics::MetricsServer::Start(common_.metrics_listen);
           if (!server.ok()) return server.status();
           metrics_ = std::move(*server);
           return absl::OkStatus();
         },
         [&] { metrics_.reset(); });
  for (Pending& p : components_) lc.Add(p.name, p.start, p.stop);
  lc.Add("grpc",
         [&]() -> absl::Status {
           if (grpc_start_) {
             absl::StatusOr<std::string> address = grpc_start_(services_, &admin_service);
             if (!address.ok()) return address.status();
             grpc_address_ = *address;
             admin_service.SetAddresses(grpc_address_, metrics_->address(), endpoints_);
             return absl::OkStatus();
           }
           std::vector<grpc::Service*> services = services_;
           services.push_back(&admin_service);
           auto server = rpc::GrpcServer::Start(common_.grpc_listen, services);
           if (!server.ok()) return server.status();
           grpc_server = std::move(*server);
           grpc_address_ = grpc_server->address();
           admin_service.SetAddresses(grpc_address_, metrics_->address(), endpoints_);
           grpc_server->SetServing(true);
           return absl::OkStatus();
         },
         [&] {
           if (grpc_server) grpc_server->Shutdown(absl::Seconds(1));
           if (grpc_stop_) grpc_stop_();
         });

  if (absl::Status s = lc.StartAll(); !s.ok()) {
    MLOG_ERROR("start failed: ", s.message());
    std::fprintf(stderr, "%s: %s\n", options_.program().c_str(), std::string(s.message()).c_str());
    return 1;
  }
  MLOG_INFO("meridian-", kind_, " v", kVersion, " ready: name=", common_.name,
            " grpc=", grpc_address_, " metrics=", metrics_->address());

  for (;;) {
    int sig = lifecycle::WaitForSignal();
    if (sig == SIGTERM || sig == SIGINT) {
      MLOG_INFO("received ", sig == SIGTERM ? "SIGTERM" : "SIGINT", ", stopping");
      break;
    }
    if (sig == SIGUSR2) {
      MLOG_INFO("received SIGUSR2, entering lame duck mode");
      if (on_lame_duck_) on_lame_duck_();
    }
    if (sig == SIGHUP) {
      MLOG_INFO("received SIGHUP, reopening log");
      (void)log::Init({.debug = common_.debug, .trace = common_.trace,
                       .file = common_.log_file, .prefix = kind_});
      if (on_reload_) on_reload_();
    }
  }
  lc.StopAll();
  MLOG_INFO("stopped");
  return 0;
}

}  // namespace meridian::daemon
