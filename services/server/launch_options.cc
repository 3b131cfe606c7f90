#include "services/server/launch_options.h"

#include <algorithm>
#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/conf/conf.h"
#include "common/options/options.h"

namespace meridian::launcher {
namespace {

// nats-server flags Meridian does not implement yet: accepted by name so the
// error says "not supported yet" rather than "not defined".
constexpr std::array<absl::string_view, 25> kUnsupportedFlags = {
    "ms", "https_port", "sl", "signal", "client_advertise", "T", "logtime", "s", "syslog", "r",
    "remote_syslog", "VV", "DVV", "log_size_limit", "max_traced_msg_len", "tls", "tlscert",
    "tlskey", "tlsverify", "tlscacert", "routes", "cluster", "cluster_name", "cluster_advertise",
    "profile"};
constexpr std::array<absl::string_view, 4> kUnsupportedFlags2 = {"no_advertise", "connect_retries",
                                                                 "cluster_listen", "help_tls"};

// nats-server configuration keys Meridian does not support yet.
constexpr std::array<absl::string_view, 40> kUnsupportedKeys = {
    "accounts", "nkeys", "users", "cluster",
    "gateway", "leafnodes", "leaf", "mqtt", "websocket", "ws", "tls", "operator", "operators",
    "trusted", "trusted_keys", "resolver", "resolver_preload", "system_account", "system",
    "no_auth_user", "max_payload",
    "write_deadline",
    "client_advertise", "https_port", "https",
    "syslog", "remote_syslog", "logtime", "logfile_size_limit", "max_traced_msg_len",
    "connect_error_reports", "reconnect_error_reports", "default_js_domain", "mappings",
    "server_tags", "accounts_resolver", "http_base_path", "disable_sublist_cache",
    "no_header_support", "no_fast_producer_stall"};

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

void Register(options::OptionSet& set, LaunchOptions& o) {
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
  set.String({"admin_listen"}, &o.admin_listen,
             "Meridian admin gRPC address (default 127.0.0.1:8223; random when -p -1)");
  set.String({"metrics_listen"}, &o.metrics_listen, "Launcher's Prometheus /metrics address");
  set.String({"run_dir"}, &o.run_dir, "Directory for the suite's unix sockets (default: new temp dir)");
  set.Bool({"h", "help"}, &o.help, "Show this message").NoConfig();
  set.Bool({"v", "version"}, &o.version, "Show version").NoConfig();
}

}  // namespace

std::string LaunchUsage() {
  LaunchOptions o;
  options::OptionSet set("meridian-server",
                         "Starts the Meridian suite on this machine; accepts nats-server's flags "
                         "and configuration files.");
  Register(set, o);
  return set.Usage();
}

absl::StatusOr<LaunchOptions> ParseLaunchOptions(int argc, const char* const* argv) {
  LaunchOptions o;
  options::OptionSet set("meridian-server", "");
  Register(set, o);
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
  if (o.admin_listen.empty()) o.admin_listen = o.port == -1 ? "127.0.0.1:0" : "127.0.0.1:8223";
  if (!o.pass.empty() && o.user.empty()) {
    return absl::InvalidArgumentError("--pass given without --user");
  }
  if (!o.auth_token.empty() && !o.user.empty()) {
    return absl::InvalidArgumentError("--auth (token) and --user cannot be combined");
  }
  return o;
}

}  // namespace meridian::launcher
