#include "services/frontend/monitor.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/http/server.h"
#include "common/json/time_format.h"
#include "common/json/writer.h"
#include "common/log/log.h"
#include "common/subjects/subject.h"
#include "common/version/version.h"
#include "services/frontend/core.h"
#include "services/frontend/jetstream_monitor_client.h"
#include "services/frontend/router_link.h"

namespace meridian::frontend {
namespace {

constexpr absl::Duration kSnapshotTimeout = absl::Seconds(2);
constexpr absl::Duration kJetStreamTimeout = absl::Seconds(5);
// Kubernetes probes wait a second or a few: answer within that.
constexpr absl::Duration kHealthTimeout = absl::Seconds(1);

int64_t ResidentBytes() {
  std::ifstream in("/proc/self/statm");
  int64_t pages = 0, resident = 0;
  in >> pages >> resident;
  return resident * ::sysconf(_SC_PAGESIZE);
}

// Average CPU use since start, in percent of one core, as `ps -o pcpu`
// reports it (what nats-server puts in /varz).
double CpuPercent(absl::Time start) {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  double cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  double wall = absl::ToDoubleSeconds(absl::Now() - start);
  return wall > 0 ? std::round(cpu / wall * 1000.0) / 10.0 : 0;
}

// Query booleans and integers as nats-server reads them (Go's
// strconv.ParseBool / Atoi), with its error text.
bool ParseBool(const std::optional<std::string>& v, bool* out, std::string* error,
               absl::string_view name) {
  if (!v.has_value() || v->empty()) return true;
  for (const char* t : {"1", "t", "T", "TRUE", "true", "True"}) {
    if (*v == t) {
      *out = true;
      return true;
    }
  }
  for (const char* f : {"0", "f", "F", "FALSE", "false", "False"}) {
    if (*v == f) {
      *out = false;
      return true;
    }
  }
  *error = absl::StrCat("Error decoding boolean for '", name, "': strconv.ParseBool: parsing \"", *v,
                        "\": invalid syntax");
  return false;
}

bool ParseInt(const std::optional<std::string>& v, int64_t* out, std::string* error,
              absl::string_view name) {
  if (!v.has_value() || v->empty()) return true;
  if (!absl::SimpleAtoi(*v, out)) {
    *error = absl::StrCat("Error decoding int for '", name, "': strconv.Atoi: parsing \"", *v,
                          "\": invalid syntax");
    return false;
  }
  return true;
}

void WriteSubDetail(json::Writer& w, const SubSnapshot& s) {
  w.BeginObject();
  w.Member("account", "$G");
  w.Member("subject", s.subject);
  if (!s.queue.empty()) w.Member("qgroup", s.queue);
  w.Member("sid", s.sid);
  w.MemberUint("msgs", s.msgs);
  if (s.max > 0) w.MemberUint("max", s.max);
  w.MemberUint("cid", s.cid);
  w.EndObject();
}

}  // namespace

Monitor::Monitor(Core* core, MonitorOptions options)
    : core_(core), options_(std::move(options)), router_(options_.base_path) {
  router_.Add("/", [this](const http::Request& q, http::Response* r) { HandleRoot(q, r); });
  router_.Add("/varz", [this](const http::Request& q, http::Response* r) { HandleVarz(q, r); });
  router_.Add("/connz", [this](const http::Request& q, http::Response* r) { HandleConnz(q, r); });
  router_.Add("/subsz", [this](const http::Request& q, http::Response* r) { HandleSubsz(q, r); });
  router_.Add("/subscriptionsz",
              [this](const http::Request& q, http::Response* r) { HandleSubsz(q, r); });
  router_.Add("/healthz", [this](const http::Request& q, http::Response* r) { HandleHealthz(q, r); });
  router_.Add("/routez", [this](const http::Request& q, http::Response* r) { HandleRoutez(q, r); });
  router_.Add("/jsz", [this](const http::Request& q, http::Response* r) { HandleJsz(q, r); });
  if (options_.jetstream && !options_.jetstream_service.empty()) {
    jetstream_ = std::make_unique<JetStreamMonitorClient>(options_.jetstream_service);
  }
}

Monitor::~Monitor() { Stop(); }

absl::Status Monitor::Start() {
  server_ = std::make_unique<http::Server>(loop_.loop(), router_.AsHandler());
  if (absl::Status s = server_->Listen(options_.listen); !s.ok()) {
    server_.reset();
    return s;
  }
  port_ = server_->port();
  host_ = options_.listen.substr(0, options_.listen.rfind(':'));
  loop_.Start(nullptr);
  MLOG_INFO("monitoring on http://", host_, ":", port_);
  return absl::OkStatus();
}

void Monitor::Stop() {
  loop_.Stop([this] {
    if (server_) server_->Close();
  });
  server_.reset();
}

void Monitor::Count(const std::string& path) { http_req_stats_[path]++; }

void Monitor::HandleRoot(const http::Request& req, http::Response* resp) {
  Count("/");
  std::string body = "<html><head><title>Meridian</title></head><body>\n<h1>Meridian ";
  absl::StrAppend(&body, kVersion, " (nats-server compatible v", kNatsCompatVersion, ")</h1>\n");
  for (const char* ep : {"/varz", "/connz", "/subsz", "/routez", "/jsz", "/healthz"}) {
    absl::StrAppend(&body, "<a href=\"", router_.PathFor(ep), "\">", ep + 1, "</a><br/>\n");
  }
  body += "</body></html>\n";
  resp->status = 200;
  resp->content_type = std::string(http::kContentTypeHtml);
  resp->body = std::move(body);
}

std::string Monitor::Varz(absl::string_view jetstream) {
  const CoreOptions& o = core_->options();
  const Limits& l = o.limits;
  Core::Totals t = core_->SumStats();
  absl::Time now = absl::Now();
  std::string out;
  json::Writer w = json::Writer::Pretty(&out);
  w.BeginObject();
  w.Member("server_id", o.server_id);
  w.Member("server_name", o.server_name.empty() ? o.server_id : o.server_name);
  w.Member("version", kNatsCompatVersion);
  w.MemberInt("proto", 1);
  w.Member("go", absl::StrCat("meridian v", kVersion));
  w.Member("host", core_->host());
  w.MemberInt("port", core_->port());
  if (o.auth.required()) w.MemberBool("auth_required", true);
  if (RouterLink* link = core_->router_link()) {
    std::vector<std::string> urls = link->ConnectUrls();
    if (!urls.empty()) {
      w.Key("connect_urls").BeginArray();
      for (const std::string& url : urls) w.String(url);
      w.EndArray();
    }
  }
  w.MemberInt("max_connections", l.max_connections);
  if (l.max_subscriptions > 0) w.MemberInt("max_subscriptions", l.max_subscriptions);
  w.MemberInt("ping_interval", absl::ToInt64Nanoseconds(l.ping_interval));
  w.MemberInt("ping_max", l.ping_max);
  w.Member("http_host", options_.http_host);
  w.MemberInt("http_port", port_);
  w.Member("http_base_path", router_.base_path() == "/" ? "" : router_.base_path());
  w.MemberInt("https_port", 0);
  w.MemberDouble("auth_timeout", absl::ToDoubleSeconds(l.auth_timeout));
  w.MemberInt("max_control_line", l.max_control_line);
  w.MemberInt("max_payload", l.max_payload);
  w.MemberInt("max_pending", l.max_pending);
  w.Key("cluster").BeginObject().EndObject();
  w.Key("gateway").BeginObject().EndObject();
  w.Key("leaf").BeginObject().EndObject();
  w.Key("mqtt").BeginObject().EndObject();
  w.Key("websocket").BeginObject().EndObject();
  w.Key("jetstream").Raw(jetstream);
  w.MemberDouble("tls_timeout", 2);
  w.MemberInt("write_deadline", absl::ToInt64Nanoseconds(l.write_deadline));
  w.Member("start", json::FormatRfc3339Nano(core_->start_time()));
  w.Member("now", json::FormatRfc3339Nano(now));
  w.Member("uptime", json::FormatUptime(now - core_->start_time()));
  w.MemberInt("mem", ResidentBytes());
  w.MemberInt("cores", static_cast<int64_t>(std::thread::hardware_concurrency()));
  w.MemberInt("gomaxprocs", static_cast<int64_t>(core_->workers().size()));
  w.MemberDouble("cpu", CpuPercent(core_->start_time()));
  w.MemberInt("connections", core_->num_connections().load());
  w.MemberUint("total_connections", t.total_connections);
  w.MemberInt("routes", core_->router_link() != nullptr && core_->router_link()->connected() ? 1 : 0);
  w.MemberInt("remotes", 0);
  w.MemberInt("leafnodes", 0);
  w.MemberUint("in_msgs", t.in_msgs);
  w.MemberUint("out_msgs", t.out_msgs);
  w.MemberUint("in_bytes", t.in_bytes);
  w.MemberUint("out_bytes", t.out_bytes);
  w.MemberUint("slow_consumers", t.slow_consumers);
  w.MemberUint("subscriptions", core_->sublist().Count());
  w.Key("http_req_stats").BeginObject();
  for (const auto& [path, n] : http_req_stats_) w.MemberUint(path, n);
  w.EndObject();
  w.Member("config_load_time", json::FormatRfc3339Nano(core_->start_time()));
  w.Member("system_account", "$SYS");
  w.Key("slow_consumer_stats").BeginObject();
  w.MemberUint("clients", t.slow_consumers);
  w.MemberInt("routes", 0);
  w.MemberInt("gateways", 0);
  w.MemberInt("leafs", 0);
  w.EndObject();
  w.MemberUint("stale_connections", t.stale_connections);
  w.EndObject();
  return out;
}

void Monitor::HandleVarz(const http::Request& req, http::Response* resp) {
  Count("/varz");
  if (jetstream_ == nullptr) return resp->SetJson(Varz());
  // Everything but the "jetstream" object now; that object from
  // meridian-jetstream, answered when it comes (empty if it does not).
  std::string body = Varz("\x01");
  const size_t mark = body.find('\x01');
  JszParams params;
  params.varz = true;
  jetstream_->Jsz(params, kJetStreamTimeout,
                  [later = resp->Defer(), head = body.substr(0, mark),
                   tail = body.substr(mark + 1)](absl::StatusOr<std::string> json) {
                    if (!json.ok()) MLOG_WARN("/varz: JetStream did not answer: ", json.status().message());
                    http::Response answer;
                    answer.SetJson(absl::StrCat(head, json.ok() ? *json : "{}", tail));
                    later.Complete(std::move(answer));
                  });
}

void Monitor::HandleConnz(const http::Request& req, http::Response* resp) {
  Count("/connz");
  std::string error;
  bool auth = false;
  int64_t offset = 0, limit = 1024, cid = 0;
  std::string subs_mode = req.Param("subs").value_or("");
  bool subs = subs_mode == "detail";
  if (!subs && !ParseBool(req.Param("subs"), &subs, &error, "subs")) return resp->SetText(error, 400);
  bool detail = subs_mode == "detail";
  if (!ParseBool(req.Param("auth"), &auth, &error, "auth") ||
      !ParseInt(req.Param("offset"), &offset, &error, "offset") ||
      !ParseInt(req.Param("limit"), &limit, &error, "limit") ||
      !ParseInt(req.Param("cid"), &cid, &error, "cid")) {
    return resp->SetText(error, 400);
  }
  std::string state = req.Param("state").value_or("open");
  if (state != "open") {
    return resp->SetText(absl::StrCat("Meridian: connz state=", state,
                                      " is not supported yet (closed connections are not kept)"),
                         400);
  }
  std::string sort = req.Param("sort").value_or("cid");
  std::vector<ConnSnapshot> conns = core_->SnapshotConnections(subs, kSnapshotTimeout);
  absl::Time now = absl::Now();
  if (cid > 0) {
    conns.erase(std::remove_if(conns.begin(), conns.end(),
                               [&](const ConnSnapshot& c) { return c.cid != static_cast<uint64_t>(cid); }),
                conns.end());
  }
  auto by = [&](auto key, bool desc) {
    std::stable_sort(conns.begin(), conns.end(), [&](const ConnSnapshot& a, const ConnSnapshot& b) {
      return desc ? key(a) > key(b) : key(a) < key(b);
    });
  };
  std::sort(conns.begin(), conns.end(), [](const auto& a, const auto& b) { return a.cid < b.cid; });
  if (sort == "cid" || sort == "start") {
  } else if (sort == "subs") {
    by([](const ConnSnapshot& c) { return c.num_subs; }, true);
  } else if (sort == "pending") {
    by([](const ConnSnapshot& c) { return c.pending_bytes; }, true);
  } else if (sort == "msgs_to") {
    by([](const ConnSnapshot& c) { return c.out_msgs; }, true);
  } else if (sort == "msgs_from") {
    by([](const ConnSnapshot& c) { return c.in_msgs; }, true);
  } else if (sort == "bytes_to") {
    by([](const ConnSnapshot& c) { return c.out_bytes; }, true);
  } else if (sort == "bytes_from") {
    by([](const ConnSnapshot& c) { return c.in_bytes; }, true);
  } else if (sort == "last") {
    by([](const ConnSnapshot& c) { return c.last_activity; }, true);
  } else if (sort == "idle") {
    by([&](const ConnSnapshot& c) { return now - c.last_activity; }, true);
  } else if (sort == "uptime") {
    by([&](const ConnSnapshot& c) { return now - c.start; }, true);
  } else {
    return resp->SetText(absl::StrCat("Invalid sorting option: ", sort), 400);
  }
  size_t total = conns.size();
  size_t first = std::min<size_t>(static_cast<size_t>(std::max<int64_t>(offset, 0)), total);
  size_t last = std::min<size_t>(first + static_cast<size_t>(std::max<int64_t>(limit, 0)), total);

  std::string out;
  json::Writer w = json::Writer::Pretty(&out);
  w.BeginObject();
  w.Member("server_id", core_->options().server_id);
  w.Member("now", json::FormatRfc3339Nano(now));
  w.MemberUint("num_connections", last - first);
  w.MemberUint("total", total);
  w.MemberInt("offset", offset);
  w.MemberInt("limit", limit);
  w.Key("connections").BeginArray();
  for (size_t i = first; i < last; ++i) {
    const ConnSnapshot& c = conns[i];
    w.BeginObject();
    w.MemberUint("cid", c.cid);
    w.Member("kind", "Client");
    w.Member("type", "nats");
    w.Member("ip", c.ip);
    w.MemberInt("port", c.port);
    w.Member("start", json::FormatRfc3339Nano(c.start));
    w.Member("last_activity", json::FormatRfc3339Nano(c.last_activity));
    w.Member("uptime", json::FormatUptime(now - c.start));
    w.Member("idle", json::FormatUptime(now - c.last_activity));
    w.MemberUint("pending_bytes", c.pending_bytes);
    w.MemberUint("in_msgs", c.in_msgs);
    w.MemberUint("out_msgs", c.out_msgs);
    w.MemberUint("in_bytes", c.in_bytes);
    w.MemberUint("out_bytes", c.out_bytes);
    w.MemberUint("subscriptions", c.num_subs);
    if (!c.name.empty()) w.Member("name", c.name);
    if (!c.lang.empty()) w.Member("lang", c.lang);
    if (!c.version.empty()) w.Member("version", c.version);
    if (auth && !c.user.empty()) w.Member("authorized_user", c.user);
    if (auth) w.Member("account", "$G");
    if (subs && !detail && !c.subs.empty()) {
      w.Key("subscriptions_list").BeginArray();
      for (const SubSnapshot& s : c.subs) w.String(s.subject);
      w.EndArray();
    }
    if (detail && !c.subs.empty()) {
      w.Key("subscriptions_list_detail").BeginArray();
      for (const SubSnapshot& s : c.subs) WriteSubDetail(w, s);
      w.EndArray();
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  resp->SetJson(std::move(out));
}

void Monitor::HandleSubsz(const http::Request& req, http::Response* resp) {
  Count("/subsz");
  std::string error;
  bool subs = false;
  int64_t offset = 0, limit = 1024;
  if (!ParseBool(req.Param("subs"), &subs, &error, "subs") ||
      !ParseInt(req.Param("offset"), &offset, &error, "offset") ||
      !ParseInt(req.Param("limit"), &limit, &error, "limit")) {
    return resp->SetText(error, 400);
  }
  std::optional<std::string> test = req.Param("test");
  subjects::SublistStats st = core_->sublist().Stats();
  std::vector<SubSnapshot> list;
  if (subs || test.has_value()) {
    for (ConnSnapshot& c : core_->SnapshotConnections(true, kSnapshotTimeout)) {
      for (SubSnapshot& s : c.subs) {
        if (test.has_value() && !subjects::SubjectMatches(s.subject, *test)) continue;
        list.push_back(std::move(s));
      }
    }
    std::sort(list.begin(), list.end(), [](const SubSnapshot& a, const SubSnapshot& b) {
      return a.cid != b.cid ? a.cid < b.cid : a.sid < b.sid;
    });
  }
  size_t total = list.size();
  size_t first = std::min<size_t>(static_cast<size_t>(std::max<int64_t>(offset, 0)), total);
  size_t last = std::min<size_t>(first + static_cast<size_t>(std::max<int64_t>(limit, 0)), total);
  std::string out;
  json::Writer w = json::Writer::Pretty(&out);
  w.BeginObject();
  w.Member("server_id", core_->options().server_id);
  w.Member("now", json::FormatRfc3339Nano(absl::Now()));
  w.MemberUint("num_subscriptions", st.num_subscriptions);
  w.MemberUint("num_cache", st.num_cache);
  w.MemberUint("num_inserts", st.num_inserts);
  w.MemberUint("num_removes", st.num_removes);
  w.MemberUint("num_matches", st.num_matches);
  w.MemberDouble("cache_hit_rate", st.cache_hit_rate);
  w.MemberUint("max_fanout", st.max_fanout);
  w.MemberDouble("avg_fanout", st.avg_fanout);
  if (subs || test.has_value()) {
    w.MemberUint("total", total);
    w.MemberInt("offset", offset);
    w.MemberInt("limit", limit);
    w.Key("subscriptions_list").BeginArray();
    for (size_t i = first; i < last; ++i) WriteSubDetail(w, list[i]);
    w.EndArray();
  }
  w.EndObject();
  resp->SetJson(std::move(out));
}

void Monitor::HandleRoutez(const http::Request& req, http::Response* resp) {
  Count("/routez");
  // A frontend's one "route" is its attachment to the router.
  std::string out;
  json::Writer w = json::Writer::Pretty(&out);
  w.BeginObject();
  w.Member("server_id", core_->options().server_id);
  w.Member("server_name", core_->options().server_name.empty() ? core_->options().server_id
                                                               : core_->options().server_name);
  w.Member("now", json::FormatRfc3339Nano(absl::Now()));
  RouterLink* link = core_->router_link();
  RouterLink::RouterInfo info;
  if (link != nullptr) info = link->Info();
  w.MemberInt("num_routes", info.connected ? 1 : 0);
  w.Key("routes").BeginArray();
  if (info.connected) {
    RouterLinkStats st = link->stats();
    w.BeginObject();
    w.MemberInt("rid", 1);
    w.Member("remote_id", info.id);
    w.Member("remote_name", info.name);
    w.MemberBool("did_solicit", true);
    w.MemberBool("is_configured", true);
    w.Member("ip", info.target);
    w.MemberUint("in_msgs", st.routed_in);
    w.MemberUint("out_msgs", st.forwarded);
    w.MemberInt("subscriptions", info.remote_interest);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  resp->SetJson(std::move(out));
}

void Monitor::HandleJsz(const http::Request& req, http::Response* resp) {
  Count("/jsz");
  std::string error;
  JszParams params;
  bool leader_only = false;
  if (!ParseBool(req.Param("accounts"), &params.accounts, &error, "accounts") ||
      !ParseBool(req.Param("streams"), &params.streams, &error, "streams") ||
      !ParseBool(req.Param("consumers"), &params.consumers, &error, "consumers") ||
      !ParseBool(req.Param("config"), &params.config, &error, "config") ||
      !ParseInt(req.Param("offset"), &params.offset, &error, "offset") ||
      !ParseInt(req.Param("limit"), &params.limit, &error, "limit") ||
      !ParseBool(req.Param("leader-only"), &leader_only, &error, "leader-only")) {
    return resp->SetText(error, 400);
  }
  params.account = req.Param("acc").value_or("");
  params.server_id = core_->options().server_id;
  if (!options_.jetstream) {
    // As nats-server without JetStream (a leader-only query is refused).
    if (leader_only) return resp->SetText("filtered response: not leader", 400);
    std::string out;
    json::Writer w = json::Writer::Pretty(&out);
    w.BeginObject();
    w.Member("server_id", params.server_id);
    w.Member("now", json::FormatRfc3339Nano(absl::Now()));
    w.MemberBool("disabled", true);
    w.Key("config").BeginObject().MemberInt("max_memory", 0).MemberInt("max_storage", 0).EndObject();
    for (const char* zero : {"memory", "storage", "reserved_memory", "reserved_storage", "accounts",
                             "ha_assets"}) {
      w.MemberInt(zero, 0);
    }
    w.Key("api").BeginObject().MemberInt("total", 0).MemberInt("errors", 0).EndObject();
    for (const char* zero : {"streams", "consumers", "messages", "bytes"}) w.MemberInt(zero, 0);
    w.EndObject();
    return resp->SetJson(out);
  }
  if (jetstream_ == nullptr) {
    return resp->SetText(
        "Meridian: /jsz needs the frontend's --jetstream_service (meridian-jetstream's gRPC "
        "address); meridian-server sets it",
        503);
  }
  // A standalone meridian-jetstream is its own meta leader: leader-only
  // changes nothing.
  jetstream_->Jsz(params, kJetStreamTimeout,
                  [later = resp->Defer()](absl::StatusOr<std::string> json) {
                    http::Response answer;
                    if (json.ok()) {
                      answer.SetJson(*std::move(json));
                    } else {
                      answer.SetText(absl::StrCat("JetStream service unavailable: ",
                                                  json.status().message()),
                                     503);
                    }
                    later.Complete(std::move(answer));
                  });
}

void Monitor::HandleHealthz(const http::Request& req, http::Response* resp) {
  Count("/healthz");
  std::string error;
  bool js_enabled = false, js_enabled_only = false, js_server_only = false;
  if (!ParseBool(req.Param("js-enabled"), &js_enabled, &error, "js-enabled") ||
      !ParseBool(req.Param("js-enabled-only"), &js_enabled_only, &error, "js-enabled-only") ||
      !ParseBool(req.Param("js-server-only"), &js_server_only, &error, "js-server-only")) {
    return resp->SetText(error, 400);
  }
  if (!core_->options().jetstream) {
    if (js_enabled || js_enabled_only) {
      return resp->SetJson("{\"status\":\"unavailable\",\"error\":\"JetStream not enabled\"}", 503);
    }
    return resp->SetJson("{\"status\":\"ok\"}");
  }
  // A frontend run alone with --jetstream has no service to ask.
  if (jetstream_ == nullptr) return resp->SetJson("{\"status\":\"ok\"}");
  // JetStream is enabled: healthy only if meridian-jetstream answers (its
  // engine thread does), as nats-server checks that its JetStream runs.
  // Standalone, there are no meta group or replicated assets to check
  // further (js-server-only changes nothing).
  JszParams params;
  params.varz = true;
  jetstream_->Jsz(params, kHealthTimeout, [later = resp->Defer()](absl::StatusOr<std::string> json) {
    http::Response answer;
    if (json.ok()) {
      answer.SetJson("{\"status\":\"ok\"}");
    } else {
      std::string body;
      json::Writer w = json::Writer::Compact(&body);
      w.BeginObject().Member("status", "unavailable");
      w.Member("error", absl::StrCat("JetStream not enabled: meridian-jetstream did not answer (",
                                     json.status().message(), ")"));
      w.EndObject();
      MLOG_WARN("Healthcheck failed: ", body);
      answer.SetJson(std::move(body), 503);
    }
    later.Complete(std::move(answer));
  });
}

}  // namespace meridian::frontend
