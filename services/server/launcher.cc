#include "services/server/launcher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/admin/admin_service.h"
#include "common/daemon/daemon.h"
#include "common/lifecycle/lifecycle.h"
#include "common/log/log.h"
#include "common/metrics/metrics.h"
#include "common/rpc/rpc.h"
#include "common/version/version.h"
#include "services/server/launch_options.h"
#include "services/server/ports_file.h"
#include "services/server/supervisor.h"

namespace meridian::launcher {
namespace {

constexpr char kProgram[] = "meridian-server";
// Bytes of direct-get answers the lone frontend keeps (KV reads served there).
constexpr int64_t kDirectGetCacheBytes = 64 << 20;

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "%s: %s\n", kProgram, std::string(s.message()).c_str());
  return 1;
}

std::string SelfDir() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  buf[n] = 0;
  return std::filesystem::path(buf).parent_path().string();
}

// Binds and releases a TCP port, so "address in use" is reported by the
// launcher in one line before any child starts.
absl::Status CheckPortFree(const std::string& host, int64_t port, absl::string_view what) {
  if (port <= 0) return absl::OkStatus();
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::OkStatus();
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    ::close(fd);
    return absl::OkStatus();  // a name, or IPv6: the child reports problems itself
  }
  int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  int err = errno;
  ::close(fd);
  if (rc != 0) {
    // Worded as Go's net package words it, as nats-server prints it.
    return absl::UnavailableError(absl::StrCat("listen tcp ", host, ":", port, " (", what,
                                               "): bind: ", absl::AsciiStrToLower(std::strerror(err))));
  }
  return absl::OkStatus();
}

std::string HostPortFromListen(const std::string& listen) {
  size_t colon = listen.rfind(':');
  return colon == std::string::npos ? listen : listen.substr(0, colon);
}

// Admin answers of the launcher: its members are its children.
class LauncherHooks : public admin::AdminHooks {
 public:
  explicit LauncherHooks(const Supervisor* supervisor) : supervisor_(supervisor) {}
  absl::Status ListMembers(admin::v1::ListMembersResponse* out) override {
    admin::v1::Member* self = out->add_members();
    if (self_ != nullptr) *self->mutable_info() = *self_;
    self->mutable_health()->set_status(admin::v1::HEALTH_STATUS_SERVING);
    for (admin::v1::Member& m : supervisor_->Snapshot()) *out->add_members() = std::move(m);
    return absl::OkStatus();
  }

 private:
  const Supervisor* supervisor_;
};

std::vector<std::string> LogArgs(const LaunchOptions& o) {
  std::vector<std::string> args;
  if (o.debug) args.push_back("-D");
  if (o.trace) args.push_back("-V");
  if (!o.log_file.empty()) args.insert(args.end(), {"-l", o.log_file});
  return args;
}

std::string FrontendConfigPath(const std::string& run_dir) {
  return absl::StrCat(run_dir, "/frontend.conf");
}

std::string Quote(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

// The frontend's reloadable settings, in the nats-server config format.
absl::Status WriteFrontendConfig(const LaunchOptions& o, const std::string& run_dir) {
  const frontend::Limits& l = o.limits;
  auto dur = [](absl::Duration d) { return Quote(absl::FormatDuration(d)); };
  std::string text = absl::StrCat(
      "# Written by meridian-server; rewritten on SIGHUP.\n",
      "max_payload: ", l.max_payload, "\nmax_control_line: ", l.max_control_line,
      "\nmax_connections: ", l.max_connections, "\nmax_subscriptions: ", l.max_subscriptions,
      "\nmax_pending: ", l.max_pending, "\nping_interval: ", dur(l.ping_interval),
      "\nping_max: ", l.ping_max, "\nwrite_deadline: ", dur(l.write_deadline),
      "\nauth_timeout: ", dur(l.auth_timeout), "\nlame_duck_duration: ", dur(l.lame_duck_duration),
      "\nlame_duck_grace_period: ", dur(l.lame_duck_grace_period), "\nuser: ", Quote(o.user),
      "\npass: ", Quote(o.pass), "\nauth_token: ", Quote(o.auth_token), "\n");
  std::string path = FrontendConfigPath(run_dir);
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", tmp));
    out << text;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot write ", path));
  }
  ::chmod(path.c_str(), 0600);
  return absl::OkStatus();
}

// What a reload may not change (nats-server refuses these too).
std::string FixedOptionChanged(const LaunchOptions& a, const LaunchOptions& b) {
  if (a.host != b.host) return "host";
  if (a.port != b.port) return "port";
  if (a.http_host != b.http_host) return "http_host";
  if (a.http_port != b.http_port) return "http_port";
  if (a.jetstream != b.jetstream) return "jetstream";
  if (a.store_dir != b.store_dir) return "store_dir";
  if (a.server_name != b.server_name) return "server_name";
  if (a.admin_listen != b.admin_listen) return "admin_listen";
  if (a.frontends != b.frontends) return "frontends";
  if (a.frontend_ports != b.frontend_ports) return "frontend_ports";
  if (a.cluster_listen != b.cluster_listen) return "cluster listen";
  if (a.routes != b.routes) return "routes";
  if (a.cluster_name != b.cluster_name) return "cluster name";
  return "";
}

// The child name of frontend i: "frontend" when it is the only one (as
// before several were supported), else "frontend-0", "frontend-1", ...
std::string FrontendChildName(const LaunchOptions& o, int64_t i) {
  return o.frontends == 1 ? "frontend" : absl::StrCat("frontend-", i);
}

std::vector<ChildSpec> BuildSpecs(const LaunchOptions& o, const std::string& run_dir,
                                  const std::string& bin_dir, const std::string& name) {
  auto sock = [&](absl::string_view child) {
    return absl::StrCat("unix:", run_dir, "/", child, ".sock");
  };
  auto base = [&](absl::string_view kind, absl::string_view child) {
    ChildSpec spec;
    spec.kind = std::string(kind);
    spec.name = std::string(child);
    spec.binary = absl::StrCat(bin_dir, "/meridian-", kind);
    spec.grpc_address = sock(child);
    spec.args = {"--name", absl::StrCat(name, "-", child), "--grpc_listen", spec.grpc_address,
                 "--metrics_listen", "127.0.0.1:0"};
    for (std::string& a : LogArgs(o)) spec.args.push_back(std::move(a));
    return spec;
  };
  std::vector<ChildSpec> specs;
  ChildSpec auth = base("auth", "auth");
  if (!o.user.empty()) auth.args.insert(auth.args.end(), {"--user", o.user, "--pass", o.pass});
  if (!o.auth_token.empty()) auth.args.insert(auth.args.end(), {"--auth", o.auth_token});
  specs.push_back(std::move(auth));
  ChildSpec router = base("router", "router");
  if (!o.cluster_listen.empty()) {
    router.args.insert(router.args.end(), {"--cluster_listen", o.cluster_listen});
  }
  if (!o.routes.empty()) {
    router.args.insert(router.args.end(), {"--routes", absl::StrJoin(o.routes, ",")});
  }
  if (!o.cluster_name.empty()) {
    router.args.insert(router.args.end(), {"--cluster_name", o.cluster_name});
  }
  specs.push_back(std::move(router));
  if (o.jetstream) {
    ChildSpec js = base("jetstream", "jetstream");
    js.args.insert(js.args.end(), {"--router", sock("router")});
    std::string store = o.store_dir.empty()
                            ? (std::filesystem::temp_directory_path() / "nats").string()
                            : o.store_dir;
    js.args.insert(js.args.end(), {"--store_dir", store});
    if (o.max_memory_store >= 0) {
      js.args.insert(js.args.end(), {"--max_memory_store", absl::StrCat(o.max_memory_store)});
    }
    if (o.max_file_store >= 0) {
      js.args.insert(js.args.end(), {"--max_file_store", absl::StrCat(o.max_file_store)});
    }
    if (o.jetstream_sync_always) js.args.push_back("--sync_always");
    js.args.insert(js.args.end(), {"--sync_interval_ms", absl::StrCat(o.jetstream_sync_interval_ms),
                                   "--server_name", name});
    specs.push_back(std::move(js));
  }
  ChildSpec links = base("links", "links");
  links.args.insert(links.args.end(), {"--router", sock("router")});
  specs.push_back(std::move(links));
  // The frontends attach to this server's router first and fail over to the
  // routers of the other servers of the cluster (they listen on their
  // cluster address).
  std::vector<std::string> routers = {sock("router")};
  routers.insert(routers.end(), o.routes.begin(), o.routes.end());
  for (int64_t i = 0; i < o.frontends; ++i) {
    ChildSpec fe = base("frontend", FrontendChildName(o, i));
    int64_t port = o.frontend_ports[i];
    fe.args.insert(fe.args.end(),
                   {"--router", absl::StrJoin(routers, ","), "--auth_service", sock("auth"),
                    "--client_listen", absl::StrCat(o.host, ":", port == -1 ? 0 : port),
                    "--server_name", name});
    if (o.http_port != 0) {
      // Frontend 0 gets the monitoring port; the others an OS-chosen one.
      int64_t http_port = i == 0 && o.http_port != -1 ? o.http_port : 0;
      fe.args.insert(fe.args.end(), {"--http_listen", absl::StrCat(o.http_host, ":", http_port)});
      if (!o.http_base_path.empty()) {
        fe.args.insert(fe.args.end(), {"--http_base_path", o.http_base_path});
      }
    }
    if (o.jetstream) {
      fe.args.insert(fe.args.end(), {"--jetstream", "--jetstream_service", sock("jetstream")});
      // Direct gets (KV get) answered at the frontend: exact only while every
      // client reaches JetStream through this one frontend
      // (services/frontend/direct_get_cache.h). Leaf nodes and gateways, once
      // the links service carries clients, must turn it off too.
      if (o.frontends == 1 && o.cluster_listen.empty() && o.routes.empty()) {
        fe.args.insert(fe.args.end(), {"--direct_get_cache", absl::StrCat(kDirectGetCacheBytes)});
      }
    }
    // Limits and authorization go through a config file the launcher rewrites
    // on SIGHUP, so the frontends can reload them.
    fe.args.insert(fe.args.end(), {"--config", FrontendConfigPath(run_dir)});
    specs.push_back(std::move(fe));
  }
  return specs;
}

// Asks a frontend for its listeners until it knows its client one (ports may
// have been picked at random). Retried: a loaded machine can make the first
// call miss its deadline.
absl::StatusOr<std::map<std::string, std::string>> FrontendEndpoints(const Supervisor& supervisor,
                                                                      const std::string& child,
                                                                      absl::Time deadline) {
  absl::Status status = absl::DeadlineExceededError("no answer");
  while (absl::Now() < deadline) {
    admin::v1::ServerInfo info;
    status = supervisor.FetchInfo(child, &info);
    if (status.ok() && info.endpoints().count("client") > 0) {
      return std::map<std::string, std::string>(info.endpoints().begin(), info.endpoints().end());
    }
    MLOG_DEBUG("meridian-", child, " endpoints not known yet: ", status.message());
    ::usleep(50 * 1000);
  }
  return absl::UnavailableError(absl::StrCat("meridian-", child,
                                             " did not report its client listener: ",
                                             status.message()));
}

// The cluster URL for the ports file: as the router reports it, else as
// configured (unknown when the port is random and the router does not say).
std::string ClusterUrl(const Supervisor& supervisor, const LaunchOptions& o) {
  if (o.cluster_listen.empty()) return "";
  admin::v1::ServerInfo info;
  if (supervisor.FetchInfo("router", &info).ok()) {
    auto it = info.endpoints().find("cluster");
    if (it != info.endpoints().end()) {
      // nats-server writes nats://host:port; the router says nats-route://.
      absl::string_view url = it->second;
      if (size_t scheme = url.find("://"); scheme != absl::string_view::npos) {
        url.remove_prefix(scheme + 3);
      }
      return absl::StrCat("nats://", url);
    }
  }
  if (absl::EndsWith(o.cluster_listen, ":0")) return "";
  return absl::StrCat("nats://", o.cluster_listen);
}

}  // namespace

int RunLauncher(int argc, char** argv) {
  lifecycle::BlockSignals();
  // As every daemon (common/daemon/README.md): under gRPC's default epoll1
  // engine the launcher's two callback threads woke ~130 times a second while
  // idle, on the CPUs its children serve clients from.
  rpc::PreferPerQueuePolling();
  absl::StatusOr<LaunchOptions> parsed = ParseLaunchOptions(argc, argv);
  if (!parsed.ok()) return Fail(parsed.status());
  LaunchOptions& o = *parsed;
  if (o.help) {
    std::fputs(LaunchUsage().c_str(), stdout);
    return 0;
  }
  if (o.version) {
    std::printf("%s: v%s (meridian v%s)\n", kProgram, kNatsCompatVersion, kVersion);
    return 0;
  }
  if (o.test_config) {
    if (o.config_file.empty()) return Fail(absl::InvalidArgumentError("-t needs -c <file>"));
    std::printf("%s: configuration file %s is valid\n", kProgram, o.config_file.c_str());
    return 0;
  }
  if (absl::Status s = log::Init({.debug = o.debug, .trace = o.trace, .file = o.log_file,
                                  .prefix = "server"});
      !s.ok()) {
    return Fail(s);
  }
  for (int64_t port : o.frontend_ports) {
    if (absl::Status s = CheckPortFree(o.host, port, "client"); !s.ok()) return Fail(s);
  }
  if (absl::Status s = CheckPortFree(o.http_host, o.http_port, "monitoring"); !s.ok()) return Fail(s);
  if (!o.cluster_listen.empty()) {
    size_t colon = o.cluster_listen.rfind(':');
    int64_t port = 0;
    (void)absl::SimpleAtoi(o.cluster_listen.substr(colon + 1), &port);
    if (absl::Status s = CheckPortFree(o.cluster_listen.substr(0, colon), port, "cluster");
        !s.ok()) {
      return Fail(s);
    }
  }

  std::string name = o.server_name.empty() ? "meridian" : o.server_name;
  std::string run_dir = o.run_dir;
  bool own_run_dir = run_dir.empty();
  if (own_run_dir) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "meridian-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      return Fail(absl::InternalError(absl::StrCat("mkdtemp: ", std::strerror(errno))));
    }
    run_dir = tmpl;
  } else {
    std::error_code ec;
    std::filesystem::create_directories(run_dir, ec);
  }
  auto cleanup_run_dir = [&] {
    if (!own_run_dir) return;
    std::error_code ec;
    std::filesystem::remove_all(run_dir, ec);
  };

  if (absl::Status s = lifecycle::WritePidFile(o.pid_file); !s.ok()) {
    cleanup_run_dir();
    return Fail(s);
  }
  auto metrics = metrics::MetricsServer::Start(o.metrics_listen);
  if (!metrics.ok()) {
    cleanup_run_dir();
    return Fail(metrics.status());
  }
  Supervisor supervisor(&(*metrics)->registry());
  LauncherHooks hooks(&supervisor);
  admin::AdminService admin_service(
      admin::Identity{.id = absl::StrCat("server-", ::getpid()), .name = name, .kind = "server",
                      .config_digest = daemon::FileDigest(o.config_file)},
      &hooks);
  auto grpc_server = rpc::GrpcServer::Start(o.admin_listen, {&admin_service});
  if (!grpc_server.ok()) {
    cleanup_run_dir();
    return Fail(absl::UnavailableError(
        absl::StrCat("admin listen ", o.admin_listen, ": ", grpc_server.status().message())));
  }

  MLOG_INFO("Starting meridian-server v", kVersion, " (nats-server compatible v",
            kNatsCompatVersion, "), run dir ", run_dir);
  if (absl::Status s = WriteFrontendConfig(o, run_dir); !s.ok()) {
    cleanup_run_dir();
    return Fail(s);
  }
  std::vector<ChildSpec> specs = BuildSpecs(o, run_dir, SelfDir(), name);
  if (absl::Status s = supervisor.StartAll(specs, absl::Seconds(30)); !s.ok()) {
    (*grpc_server)->Shutdown(absl::ZeroDuration());
    cleanup_run_dir();
    if (!o.pid_file.empty()) ::unlink(o.pid_file.c_str());
    return Fail(s);
  }

  // Every frontend's listeners, in frontend order.
  std::map<std::string, std::vector<std::string>> ports;
  std::map<std::string, std::string> admin_endpoints;
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  for (int64_t i = 0; i < o.frontends; ++i) {
    absl::StatusOr<std::map<std::string, std::string>> fe =
        FrontendEndpoints(supervisor, FrontendChildName(o, i), deadline);
    if (!fe.ok()) {
      supervisor.StopAll(absl::Seconds(10));
      (*grpc_server)->Shutdown(absl::ZeroDuration());
      cleanup_run_dir();
      if (!o.pid_file.empty()) ::unlink(o.pid_file.c_str());
      return Fail(fe.status());
    }
    for (const auto& [key, url] : *fe) {
      ports[key].push_back(url);
      admin_endpoints[i == 0 ? key : absl::StrCat(key, "-", i)] = url;
    }
  }
  if (std::string cluster = ClusterUrl(supervisor, o); !cluster.empty()) {
    ports["cluster"].push_back(cluster);
    admin_endpoints["cluster"] = cluster;
  }
  std::string admin_url = absl::StrCat("grpc://", (*grpc_server)->address());
  ports["admin"].push_back(admin_url);
  admin_endpoints["admin"] = admin_url;
  admin_service.SetAddresses((*grpc_server)->address(), (*metrics)->address(), admin_endpoints);
  (*grpc_server)->SetServing(true);

  std::string ports_file;
  if (!o.ports_file_dir.empty()) {
    absl::StatusOr<std::string> written = WritePortsFile(o.ports_file_dir, argv[0], ports);
    if (!written.ok()) {
      MLOG_ERROR("ports file: ", written.status().message());
    } else {
      ports_file = *written;
    }
  }
  for (const std::string& url : ports["client"]) {
    MLOG_INFO("Listening for client connections on ", url);
  }
  for (const std::string& url : ports["monitoring"]) MLOG_INFO("Monitoring on ", url);
  if (!o.cluster_listen.empty()) {
    MLOG_INFO("Listening for route connections on ",
              ports.count("cluster") ? ports["cluster"][0] : o.cluster_listen);
  }
  if (!o.routes.empty()) MLOG_INFO("Routes to ", absl::StrJoin(o.routes, ", "));
  MLOG_INFO("Admin gRPC on ", (*grpc_server)->address());
  MLOG_INFO("Server is ready");

  bool lame_duck = false;
  for (;;) {
    int sig = lifecycle::WaitForSignal(200);
    if (sig == SIGTERM || sig == SIGINT) {
      MLOG_INFO("Received ", sig == SIGTERM ? "SIGTERM" : "SIGINT", ", stopping the suite");
      break;
    }
    if (sig == SIGCHLD) supervisor.Reap();
    if (sig == SIGHUP) {
      MLOG_INFO("Received SIGHUP, reloading the configuration");
      absl::StatusOr<LaunchOptions> fresh = ParseLaunchOptions(argc, argv);
      std::string fixed = fresh.ok() ? FixedOptionChanged(o, *fresh) : "";
      if (!fresh.ok()) {
        MLOG_ERROR("config reload failed, keeping the running configuration: ",
                   fresh.status().message());
      } else if (!fixed.empty()) {
        MLOG_ERROR("config reload not supported for ", fixed,
                   "; keeping the running configuration");
      } else if (absl::Status s = WriteFrontendConfig(*fresh, run_dir); !s.ok()) {
        MLOG_ERROR("config reload failed: ", s.message());
      } else {
        fresh->admin_listen = o.admin_listen;
        o = *fresh;
        (void)log::Init({.debug = o.debug, .trace = o.trace, .file = o.log_file, .prefix = "server"});
        supervisor.SignalAll(SIGHUP);
      }
    }
    if (sig == SIGUSR2 && !lame_duck) {
      MLOG_INFO("Received SIGUSR2, entering lame duck mode");
      lame_duck = true;
      supervisor.EnterLameDuck();
    }
    supervisor.Reap();
    supervisor.Tick();
    if (lame_duck && supervisor.FrontendsGone()) {
      MLOG_INFO("Lame duck mode done, stopping the suite");
      break;
    }
  }
  (*grpc_server)->SetServing(false);
  bool clean = supervisor.StopAll(absl::Seconds(15));
  (*grpc_server)->Shutdown(absl::Seconds(1));
  if (!ports_file.empty()) ::unlink(ports_file.c_str());
  if (!o.pid_file.empty()) ::unlink(o.pid_file.c_str());
  cleanup_run_dir();
  MLOG_INFO(clean ? "Server exiting" : "Server exiting; some daemons did not stop cleanly");
  return 0;
}

}  // namespace meridian::launcher
