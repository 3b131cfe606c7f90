#include "services/server/launch_options.h"

#include <algorithm>
#include <array>
#include <optional>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/conf/conf.h"
#include "common/options/options.h"

namespace meridian::launcher {
namespace {

// nats-server flags Meridian does not implement yet: accepted by name so the
// error says "not supported yet" rather than "not defined".
constexpr std::array<absl::string_view, 22> kUnsupportedFlags = {
    "ms", "https_port", "sl", "signal", "client_advertise", "T", "logtime", "s", "syslog", "r",
    "remote_syslog", "VV", "DVV", "log_size_limit", "max_traced_msg_len", "tls", "tlscert",
    "tlskey", "tlsverify", "tlscacert", "cluster_advertise", "profile"};
constexpr std::array<absl::string_view, 3> kUnsupportedFlags2 = {"no_advertise", "connect_retries",
                                                                 "help_tls"};

// nats-server configuration keys Meridian does not support yet.
constexpr std::array<absl::string_view, 36> kUnsupportedKeys = {
    "accounts", "nkeys", "users",
    "gateway", "leafnodes", "leaf", "mqtt", "websocket", "ws", "tls", "operator", "operators",
    "trusted", "trusted_keys", "resolver", "resolver_preload", "system_account", "system",
    "no_auth_user",
    "client_advertise", "https_port", "https",
    "syslog", "remote_syslog", "logtime", "logfile_size_limit", "max_traced_msg_len",
    "connect_error_reports", "reconnect_error_reports", "default_js_domain", "mappings",
    "server_tags", "accounts_resolver", "disable_sublist_cache",
    "no_header_support", "no_fast_producer_stall"};

// Keys of nats-server's cluster block Meridian does not support yet.
constexpr std::array<absl::string_view, 13> kUnsupportedClusterKeys = {
    "authorization", "tls", "pool_size", "compression", "accounts", "permissions", "advertise",
    "cluster_advertise", "no_advertise", "connect_retries", "ping_interval", "ping_max",
    "write_deadline"};

constexpr int64_t kMaxFrontends = 64;

// Flag values the parser turns into LaunchOptions fields after the config
// file is read.
struct RawFlags {
  std::vector<std::string> frontend_ports;
  std::string cluster;
  std::vector<std::string> routes;
};

bool IsUnsupportedFlag(absl::string_view name) {
  return std::find(kUnsupportedFlags.begin(), kUnsupportedFlags.end(), name) !=
             kUnsupportedFlags.end() ||
         std::find(kUnsupportedFlags2.begin(), kUnsupportedFlags2.end(), name) !=
             kUnsupportedFlags2.end();
}

bool IsUnsupportedKey(absl::string_view key) {
  std::string lower = absl::AsciiStrToLower(key);
  return std::find(kUnsupportedKeys.begin(), kUnsupportedKeys.end(), lower) !=
         kUnsupportedKeys.end();
}

bool IsUnsupportedClusterKey(absl::string_view key) {
  return std::find(kUnsupportedClusterKeys.begin(), kUnsupportedClusterKeys.end(), key) !=
         kUnsupportedClusterKeys.end();
}

absl::Status Unsupported(const conf::Value& v, absl::string_view key) {
  return conf::ErrorAt(v, absl::StrCat("option \"", key, "\" is not supported by Meridian yet"));
}

// "host:port" or "port" or "nats://host:port" → host, port.
absl::Status SplitListen(const conf::Value& v, std::string* host, int64_t* port) {
  if (v.is_int()) {
    *port = v.as_int();
    return absl::OkStatus();
  }
  if (!v.is_string()) return conf::ErrorAt(v, "listen expects \"host:port\"");
  std::string s = v.as_string();
  if (size_t scheme = s.find("://"); scheme != std::string::npos) s = s.substr(scheme + 3);
  size_t colon = s.rfind(':');
  if (colon == std::string::npos) {
    *host = s;
    return absl::OkStatus();
  }
  int64_t p;
  if (!absl::SimpleAtoi(s.substr(colon + 1), &p)) return conf::ErrorAt(v, "listen: bad port");
  *host = s.substr(0, colon);
  *port = p;
  return absl::OkStatus();
}

// A cluster URL as nats-server takes it (nats-route://host:port,
// nats://host:port, or plain host:port) -> "host:port". For the listen
// address an empty host means all interfaces and port -1 (or 0) random,
// passed on as 0.
absl::StatusOr<std::string> ParseClusterUrl(absl::string_view what, absl::string_view url,
                                            bool listen) {
  const std::string text(absl::StripAsciiWhitespace(url));
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(what, " \"", text, "\": ", why));
  };
  absl::string_view rest = text;
  if (size_t scheme = rest.find("://"); scheme != absl::string_view::npos) {
    std::string name = absl::AsciiStrToLower(rest.substr(0, scheme));
    if (name != "nats-route" && name != "nats") {
      return bad("expected nats-route://host:port or nats://host:port");
    }
    rest.remove_prefix(scheme + 3);
  }
  absl::ConsumeSuffix(&rest, "/");
  if (rest.find('@') != absl::string_view::npos) {
    return bad("route credentials (user:password@) are not supported by Meridian yet");
  }
  size_t colon = rest.rfind(':');
  if (rest.empty() || rest.find_first_of("/?#") != absl::string_view::npos ||
      colon == absl::string_view::npos) {
    return bad("expected nats-route://host:port");
  }
  std::string host(rest.substr(0, colon));
  int64_t port = 0;
  if (!absl::SimpleAtoi(rest.substr(colon + 1), &port) || port < (listen ? -1 : 1) ||
      port > 65535) {
    return bad("invalid port");
  }
  if (host.empty()) {
    if (!listen) return bad("missing host");
    host = "0.0.0.0";
  }
  return absl::StrCat(host, ":", std::max<int64_t>(port, 0));
}

absl::StatusOr<std::vector<std::string>> ParseRoutes(const std::vector<std::string>& urls) {
  std::vector<std::string> out;
  for (const std::string& url : urls) {
    if (absl::StripAsciiWhitespace(url).empty()) continue;
    absl::StatusOr<std::string> hp = ParseClusterUrl("route", url, /*listen=*/false);
    if (!hp.ok()) return hp.status();
    out.push_back(*std::move(hp));
  }
  return out;
}

// nats-server's cluster block: name, listen (or host/port), routes.
absl::Status ApplyClusterBlock(const conf::Value& block, LaunchOptions& o,
                               const options::OptionSet& flags) {
  std::string host = "0.0.0.0";
  std::optional<int64_t> port;
  const conf::Value* listen = nullptr;
  for (const auto& [key, value] : block.as_map()) {
    std::string k = absl::AsciiStrToLower(key);
    absl::Status s;
    if (k == "name") {
      if (!value.is_string()) s = conf::ErrorAt(value, "cluster.name expects a string");
      else if (!flags.WasSetByFlag("cluster_name")) o.cluster_name = value.as_string();
    } else if (k == "listen") {
      listen = &value;
      if (value.is_int()) {
        port = value.as_int();
      } else if (!value.is_string()) {
        s = conf::ErrorAt(value, "cluster.listen expects \"host:port\"");
      } else {
        absl::StatusOr<std::string> hp = ParseClusterUrl("cluster.listen", value.as_string(), true);
        if (!hp.ok()) return conf::ErrorAt(value, std::string(hp.status().message()));
        size_t colon = hp->rfind(':');
        host = hp->substr(0, colon);
        port = std::stoll(hp->substr(colon + 1));
      }
    } else if (k == "host" || k == "net") {
      if (!value.is_string()) {
        s = conf::ErrorAt(value, absl::StrCat("cluster.", key, " expects a string"));
      } else {
        host = value.as_string();
      }
    } else if (k == "port") {
      listen = &value;
      if (!value.is_int()) s = conf::ErrorAt(value, "cluster.port expects an integer");
      else port = value.as_int();
    } else if (k == "routes") {
      std::vector<const conf::Value*> items;
      if (value.is_string()) {
        items.push_back(&value);
      } else if (value.is_array()) {
        for (const conf::Value& item : value.as_array()) items.push_back(&item);
      } else {
        return conf::ErrorAt(value, "cluster.routes expects an array of URLs");
      }
      std::vector<std::string> routes;
      for (const conf::Value* item : items) {
        if (!item->is_string()) return conf::ErrorAt(*item, "cluster.routes expects URL strings");
        absl::StatusOr<std::string> hp = ParseClusterUrl("route", item->as_string(), false);
        if (!hp.ok()) return conf::ErrorAt(*item, std::string(hp.status().message()));
        routes.push_back(*std::move(hp));
      }
      if (!flags.WasSetByFlag("routes")) o.routes = std::move(routes);
    } else if (IsUnsupportedClusterKey(k)) {
      s = Unsupported(value, absl::StrCat("cluster.", key));
    } else {
      s = conf::ErrorAt(value, absl::StrCat("unknown field \"cluster.", key, "\""));
    }
    if (!s.ok()) return s;
  }
  if (port.has_value() && !flags.WasSetByFlag("cluster")) {
    if (*port < -1 || *port > 65535) return conf::ErrorAt(*listen, "cluster: invalid port");
    o.cluster_listen = absl::StrCat(host, ":", std::max<int64_t>(*port, 0));
  }
  return absl::OkStatus();
}

absl::Status ApplyFrontendPorts(const conf::Value& value, LaunchOptions& o) {
  if (!value.is_array()) return conf::ErrorAt(value, "frontend_ports expects an array of ports");
  o.frontend_ports.clear();
  for (const conf::Value& item : value.as_array()) {
    if (!item.is_int()) return conf::ErrorAt(item, "frontend_ports expects integer ports");
    o.frontend_ports.push_back(item.as_int());
  }
  return absl::OkStatus();
}

absl::Status ApplyJetStreamBlock(const conf::Value& block, LaunchOptions& o,
                                 const options::OptionSet& flags) {
  for (const auto& [key, value] : block.as_map()) {
    std::string k = absl::AsciiStrToLower(key);
    if (k == "enabled" || k == "enable") {
      if (!value.is_bool()) return conf::ErrorAt(value, "jetstream.enabled expects a boolean");
      if (!flags.WasSetByFlag("jetstream")) o.jetstream = value.as_bool();
    } else if (k == "store_dir" || k == "storedir") {
      if (!value.is_string()) return conf::ErrorAt(value, "store_dir expects a string");
      if (!flags.WasSetByFlag("store_dir")) o.store_dir = value.as_string();
    } else if (k == "max_memory_store" || k == "max_mem_store" || k == "max_mem") {
      absl::StatusOr<int64_t> v = conf::ParseSize(value);
      if (!v.ok()) return v.status();
      o.max_memory_store = *v;
    } else if (k == "max_file_store" || k == "max_file") {
      absl::StatusOr<int64_t> v = conf::ParseSize(value);
      if (!v.ok()) return v.status();
      o.max_file_store = *v;
    } else if (k == "sync_interval" || k == "sync") {
      if (value.is_string() && absl::AsciiStrToLower(value.as_string()) == "always") {
        o.jetstream_sync_always = true;
      } else {
        absl::StatusOr<absl::Duration> d = conf::ParseDuration(value);
        if (!d.ok()) return d.status();
        o.jetstream_sync_interval_ms = absl::ToInt64Milliseconds(*d);
      }
    } else {
      return Unsupported(value, absl::StrCat("jetstream.", key));
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyAuthorizationBlock(const conf::Value& block, LaunchOptions& o,
                                     const options::OptionSet& flags) {
  for (const auto& [key, value] : block.as_map()) {
    std::string k = absl::AsciiStrToLower(key);
    auto text = [&](std::string* out, absl::string_view flag) -> absl::Status {
      if (!value.is_string()) return conf::ErrorAt(value, absl::StrCat(key, " expects a string"));
      if (!flags.WasSetByFlag(flag)) *out = value.as_string();
      return absl::OkStatus();
    };
    absl::Status s;
    if (k == "user" || k == "username") {
      s = text(&o.user, "user");
    } else if (k == "password" || k == "pass") {
      s = text(&o.pass, "pass");
    } else if (k == "token") {
      s = text(&o.auth_token, "auth");
    } else if (k == "timeout") {
      // Seconds, possibly fractional (nats-server: float64), or a duration.
      if (value.is_double()) {
        o.limits.auth_timeout = absl::Seconds(value.as_double());
      } else {
        absl::StatusOr<absl::Duration> d = conf::ParseDuration(value);
        if (d.ok()) o.limits.auth_timeout = *d;
        s = d.status();
      }
    } else {
      s = Unsupported(value, absl::StrCat("authorization.", key));
    }
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// Applies the keys the OptionSet does not know (blocks and aliases).
absl::Status ApplyOtherKeys(const std::vector<const conf::Value::Entry*>& entries, LaunchOptions& o,
                            const options::OptionSet& flags) {
  for (const conf::Value::Entry* entry : entries) {
    const std::string key = absl::AsciiStrToLower(entry->first);
    const conf::Value& value = entry->second;
    absl::Status s;
    if (key == "max_conn") {
      s = value.is_int() ? absl::OkStatus() : conf::ErrorAt(value, "max_conn expects an integer");
      if (s.ok()) o.limits.max_connections = value.as_int();
    } else if (key == "max_subs") {
      s = value.is_int() ? absl::OkStatus() : conf::ErrorAt(value, "max_subs expects an integer");
      if (s.ok()) o.limits.max_subscriptions = value.as_int();
    } else if (key == "net") {
      if (!value.is_string()) s = conf::ErrorAt(value, "net expects a string");
      else if (!flags.WasSetByFlag("addr")) o.host = value.as_string();
    } else if (key == "listen") {
      std::string host = o.host;
      int64_t port = o.port;
      s = SplitListen(value, &host, &port);
      if (s.ok() && !flags.WasSetByFlag("addr")) o.host = host;
      if (s.ok() && !flags.WasSetByFlag("port")) o.port = port;
    } else if (key == "http" || key == "monitor_listen") {
      std::string host = o.http_host;
      int64_t port = o.http_port;
      s = SplitListen(value, &host, &port);
      o.http_host = host;
      if (s.ok() && !flags.WasSetByFlag("http_port")) o.http_port = port;
    } else if (key == "http_base_path") {
      if (!value.is_string()) s = conf::ErrorAt(value, "http_base_path expects a string");
      else o.http_base_path = value.as_string();
    } else if (key == "jetstream") {
      if (value.is_bool()) {
        if (!flags.WasSetByFlag("jetstream")) o.jetstream = value.as_bool();
      } else if (value.is_string()) {
        std::string v = absl::AsciiStrToLower(value.as_string());
        if (v == "enabled" || v == "enable") o.jetstream = true;
        else if (v == "disabled" || v == "disable") o.jetstream = false;
        else s = conf::ErrorAt(value, "jetstream expects a boolean, \"enabled\" or a block");
      } else if (value.is_map()) {
        o.jetstream = o.jetstream || !flags.WasSetByFlag("jetstream");
        s = ApplyJetStreamBlock(value, o, flags);
      } else {
        s = conf::ErrorAt(value, "jetstream expects a boolean or a block");
      }
    } else if (key == "cluster") {
      s = value.is_map() ? ApplyClusterBlock(value, o, flags)
                         : conf::ErrorAt(value, "cluster expects a block");
    } else if (key == "frontend_ports") {
      if (!flags.WasSetByFlag("frontend_ports")) s = ApplyFrontendPorts(value, o);
    } else if (key == "authorization") {
      s = value.is_map() ? ApplyAuthorizationBlock(value, o, flags)
                         : conf::ErrorAt(value, "authorization expects a block");
    } else if (IsUnsupportedKey(key)) {
      s = Unsupported(value, entry->first);
    } else {
      s = conf::ErrorAt(value, absl::StrCat("unknown field \"", entry->first, "\""));
    }
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

void Register(options::OptionSet& set, LaunchOptions& o, RawFlags& raw) {
  set.String({"a", "addr", "net"}, &o.host, "Bind to host address").ConfigKey("host");
  set.Int({"p", "port"}, &o.port, "Use port for clients (-1 for random)");
  set.String({"n", "name", "server_name"}, &o.server_name, "Server name (default: auto)")
      .ConfigKey("server_name");
  set.String({"P", "pid"}, &o.pid_file, "File to store PID").ConfigKey("pid_file");
  set.Int({"m", "http_port"}, &o.http_port, "Use port for http monitoring (-1 for random)")
      .ConfigKey("http_port");
  set.String({"http_host"}, &o.http_host, "Monitoring bind address (default: --addr)");
  set.String({"c", "config"}, &o.config_file, "Configuration file").NoConfig();
  set.Bool({"t"}, &o.test_config, "Test configuration and exit").NoConfig();
  set.String({"ports_file_dir"}, &o.ports_file_dir,
             "Creates a ports file in the specified directory (<executable_name>_<pid>.ports)");
  set.String({"l", "log"}, &o.log_file, "File to redirect log output").ConfigKey("log_file");
  set.Bool({"D", "debug"}, &o.debug, "Enable debugging output");
  set.Bool({"V", "trace"}, &o.trace, "Trace the raw protocol");
  set.Bool({"DV"}, &o.debug_and_trace, "Debug and trace").NoConfig();
  set.Bool({"js", "jetstream"}, &o.jetstream, "Enable JetStream functionality").NoConfig();
  set.String({"sd", "store_dir"}, &o.store_dir, "Set the storage directory").NoConfig();
  set.String({"user"}, &o.user, "User required for connections").NoConfig();
  set.String({"pass"}, &o.pass, "Password required for connections").NoConfig();
  set.String({"auth"}, &o.auth_token, "Authorization token required for connections").NoConfig();
  // Client limits, passed to the frontends (nats-server's names and defaults).
  set.Size({"max_payload"}, &o.limits.max_payload, "Largest message payload accepted");
  set.Int({"max_control_line"}, &o.limits.max_control_line, "Longest protocol control line");
  set.Int({"max_connections"}, &o.limits.max_connections, "Most client connections");
  set.Int({"max_subscriptions"}, &o.limits.max_subscriptions,
          "Most subscriptions per connection (0: unlimited)");
  set.Size({"max_pending"}, &o.limits.max_pending, "Pending outbound bytes before a slow consumer");
  set.Duration({"ping_interval"}, &o.limits.ping_interval, "Interval between server PINGs");
  set.Int({"ping_max"}, &o.limits.ping_max, "Unanswered PINGs before a stale connection");
  set.Duration({"write_deadline"}, &o.limits.write_deadline, "Blocked write deadline");
  set.Duration({"lame_duck_duration"}, &o.limits.lame_duck_duration, "Lame duck duration");
  set.Duration({"lame_duck_grace_period"}, &o.limits.lame_duck_grace_period,
               "Lame duck grace period");
  // Several frontends; clustering with other launchers' routers.
  set.Int({"frontends"}, &o.frontends,
          "Frontends (client listeners) to start; frontend i listens on --port + i");
  set.StringList({"frontend_ports"}, &raw.frontend_ports,
                 "Client port of each frontend, comma-separated, one per frontend "
                 "(e.g. 4222,5222) [config: frontend_ports: [4222, 5222]]")
      .NoConfig();
  set.String({"cluster", "cluster_listen"}, &raw.cluster,
             "Cluster URL where this server's router listens for other routers "
             "(nats-route://host:port) [config: cluster.listen]")
      .NoConfig();
  set.String({"cluster_name"}, &o.cluster_name, "Cluster name [config: cluster.name]")
      .NoConfig();
  set.StringList({"routes"}, &raw.routes,
                 "Routers of other servers to connect to, comma-separated "
                 "(nats-route://host:port,...) [config: cluster.routes]")
      .NoConfig();
  set.String({"admin_listen"}, &o.admin_listen,
             "Meridian admin gRPC address (default 127.0.0.1:8223 with the default client port, else random)");
  set.String({"metrics_listen"}, &o.metrics_listen, "Launcher's Prometheus /metrics address");
  set.String({"run_dir"}, &o.run_dir, "Directory for the suite's unix sockets (default: new temp dir)");
  set.Bool({"h", "help"}, &o.help, "Show this message").NoConfig();
  set.Bool({"v", "version"}, &o.version, "Show version").NoConfig();
}

// Applies the flags kept raw (flags win over the file) and resolves each
// frontend's client port.
absl::Status ResolveFrontendsAndCluster(const RawFlags& raw, const options::OptionSet& flags,
                                        LaunchOptions& o) {
  if (flags.WasSetByFlag("cluster")) {
    o.cluster_listen.clear();
    if (!absl::StripAsciiWhitespace(raw.cluster).empty()) {
      absl::StatusOr<std::string> hp = ParseClusterUrl("cluster URL", raw.cluster, true);
      if (!hp.ok()) return hp.status();
      o.cluster_listen = *std::move(hp);
    }
  }
  if (flags.WasSetByFlag("routes")) {
    absl::StatusOr<std::vector<std::string>> routes = ParseRoutes(raw.routes);
    if (!routes.ok()) return routes.status();
    o.routes = *std::move(routes);
  }
  if (o.frontends < 1 || o.frontends > kMaxFrontends) {
    return absl::InvalidArgumentError(
        absl::StrCat("--frontends must be between 1 and ", kMaxFrontends, ", not ", o.frontends));
  }
  if (flags.WasSetByFlag("frontend_ports")) {
    o.frontend_ports.clear();
    for (const std::string& text : raw.frontend_ports) {
      int64_t port = 0;
      if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &port)) {
        return absl::InvalidArgumentError(
            absl::StrCat("--frontend_ports: invalid port \"", text, "\""));
      }
      o.frontend_ports.push_back(port);
    }
  }
  if (!o.frontend_ports.empty()) {
    if (static_cast<int64_t>(o.frontend_ports.size()) != o.frontends) {
      return absl::InvalidArgumentError(
          absl::StrCat("frontend_ports lists ", o.frontend_ports.size(), " port",
                       o.frontend_ports.size() == 1 ? "" : "s", " for ", o.frontends,
                       " frontend", o.frontends == 1 ? "" : "s", " (--frontends)"));
    }
  } else {
    for (int64_t i = 0; i < o.frontends; ++i) {
      // -1 (random) and 0 stay as they are for every frontend.
      o.frontend_ports.push_back(o.port > 0 ? o.port + i : o.port);
    }
  }
  std::set<int64_t> seen;
  for (int64_t port : o.frontend_ports) {
    if (port < -1 || port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("invalid client port ", port,
                                                     " for a frontend"));
    }
    if (port > 0 && !seen.insert(port).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("two frontends cannot share client port ", port));
    }
  }
  return absl::OkStatus();
}

constexpr char kUsageEpilogue[] = R"(
Several frontends and clusters:
  --frontends 3 starts three frontends on ports 4222, 4223 and 4224 (--port + i;
  all random with -p -1), or on the ports listed by --frontend_ports. Frontend 0
  gets the monitoring port, the others a random one; the ports file lists all.
  -cluster nats-route://0.0.0.0:6222 makes this server's router listen for
  other servers' routers; -routes nats-route://host2:6222,nats-route://host3:6222
  connects it to theirs, and the frontends fail over to them. Config:
  cluster { name: c1, listen: "0.0.0.0:6222", routes: ["nats-route://host2:6222"] }
)";

}  // namespace

std::string LaunchUsage() {
  LaunchOptions o;
  RawFlags raw;
  options::OptionSet set("meridian-server",
                         "Starts the Meridian suite on this machine; accepts nats-server's flags "
                         "and configuration files.");
  Register(set, o, raw);
  return set.Usage() + kUsageEpilogue;
}

absl::StatusOr<LaunchOptions> ParseLaunchOptions(int argc, const char* const* argv) {
  LaunchOptions o;
  RawFlags raw;
  options::OptionSet set("meridian-server", "");
  Register(set, o, raw);
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg.size() < 2 || arg[0] != '-') continue;
    absl::string_view name = arg.substr(arg[1] == '-' ? 2 : 1);
    name = name.substr(0, name.find('='));
    if (IsUnsupportedFlag(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("flag -", name, " is not supported by Meridian yet"));
    }
  }
  if (absl::Status s = set.ParseFlags(argc, argv); !s.ok()) return s;
  if (o.help || o.version) return o;
  if (!o.config_file.empty()) {
    absl::StatusOr<conf::Value> root = conf::ParseFile(o.config_file);
    if (!root.ok()) return root.status();
    std::vector<const conf::Value::Entry*> other;
    if (absl::Status s = set.ApplyConfig(*root, &other); !s.ok()) return s;
    if (absl::Status s = ApplyOtherKeys(other, o, set); !s.ok()) return s;
  }
  if (o.debug_and_trace) o.debug = o.trace = true;
  if (o.http_host.empty()) o.http_host = o.host;
  if (o.port < -1 || o.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("invalid client port ", o.port));
  }
  if (o.http_port < -1 || o.http_port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("invalid monitoring port ", o.http_port));
  }
  if (absl::Status s = ResolveFrontendsAndCluster(raw, set, o); !s.ok()) return s;
  // The fixed admin port only goes with the default client port: two servers
  // started on other ports (tests, several on one machine) must not collide.
  if (o.admin_listen.empty()) o.admin_listen = o.port == 4222 ? "127.0.0.1:8223" : "127.0.0.1:0";
  if (o.jetstream && !o.routes.empty()) {
    // Each launcher's meridian-jetstream would answer the same $JS.API.
    return absl::InvalidArgumentError(
        "JetStream with cluster routes (clustered JetStream) is not supported yet: run -js on "
        "one server of the cluster without -routes, or without -js");
  }
  if (!o.pass.empty() && o.user.empty()) {
    return absl::InvalidArgumentError("--pass given without --user");
  }
  if (!o.auth_token.empty() && !o.user.empty()) {
    return absl::InvalidArgumentError("--auth (token) and --user cannot be combined");
  }
  return o;
}

}  // namespace meridian::launcher
