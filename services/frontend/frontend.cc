#include "services/frontend/frontend.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace meridian::frontend {
namespace {

std::string DisplayHost(const std::string& host) {
  return host == "0.0.0.0" || host == "::" || host.empty() ? "127.0.0.1" : host;
}

}  // namespace

Frontend::Frontend(FrontendOptions options, std::string server_id) : options_(std::move(options)) {
  CoreOptions core;
  core.client_listen = options_.client_listen;
  core.workers = static_cast<int>(options_.loops);
  core.server_id = std::move(server_id);
  core.server_name = options_.server_name;
  core.jetstream = options_.jetstream;
  core.limits = options_.limits;
  core.direct_get = options_.direct_get;
  core.router_thread = options_.router_thread;
  for (absl::string_view r : absl::StrSplit(options_.router, ',', absl::SkipWhitespace())) {
    core.routers.emplace_back(r.data(), r.size());
  }
  core.auth = SimpleAuth{.user = options_.user, .pass = options_.pass, .token = options_.auth_token};
  core_ = std::make_unique<Core>(std::move(core));
}

Frontend::~Frontend() { Stop(); }

absl::Status Frontend::Start() {
  if (absl::Status s = core_->Start(); !s.ok()) return s;
  if (!options_.http_listen.empty()) {
    monitor_ = std::make_unique<Monitor>(
        core_.get(), MonitorOptions{.listen = options_.http_listen,
                                    .base_path = options_.http_base_path,
                                    .http_host = options_.http_listen.substr(
                                        0, options_.http_listen.rfind(':')),
                                    .jetstream = options_.jetstream,
                                    .jetstream_service = options_.jetstream_service});
    if (absl::Status s = monitor_->Start(); !s.ok()) {
      monitor_.reset();
      core_->Stop();
      return s;
    }
  }
  return absl::OkStatus();
}

void Frontend::Stop() {
  if (monitor_) monitor_->Stop();
  core_->Stop();
}

void Frontend::EnterLameDuck(std::function<void()> done) { core_->EnterLameDuck(std::move(done)); }

std::map<std::string, std::string> Frontend::Endpoints() const {
  std::map<std::string, std::string> out;
  out["client"] = absl::StrCat("nats://", DisplayHost(core_->host()), ":", core_->port());
  if (monitor_) {
    out["monitoring"] = absl::StrCat("http://", DisplayHost(monitor_->host()), ":", monitor_->port());
  }
  return out;
}

}  // namespace meridian::frontend
