// The router mesh: dialing routes, gossip of route and client URLs.
#include <algorithm>

#include "common/log/log.h"
#include "services/router/hub/hub.h"
#include "services/router/hub/hub_internal.h"

namespace meridian::router {

void Hub::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_) return;
  started_ = true;
  for (const std::string& url : options_.routes) known_routes_.insert(url);
  upkeep_ = std::thread([this] { Upkeep(); });
}

void Hub::Stop() {
  std::vector<std::unique_ptr<RouteClient>> clients;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
    for (auto& rc : route_clients_) clients.push_back(std::move(rc));
    for (auto& rc : stopping_) clients.push_back(std::move(rc));
    route_clients_.clear();
    stopping_.clear();
  }
  upkeep_cv_.notify_all();
  if (upkeep_.joinable()) upkeep_.join();
  // Outside the lock: a client's thread may be waiting for it in a callback.
  for (auto& rc : clients) {
    if (rc->client) rc->client->Stop();
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& rc : clients) {
    if (rc->link != nullptr) RemoveLink(rc->link);
  }
}

void Hub::Upkeep() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    EnsureRouteClients();
    std::vector<std::unique_ptr<RouteClient>> retired;
    for (auto it = route_clients_.begin(); it != route_clients_.end();) {
      if ((*it)->retire) {
        retired.push_back(std::move(*it));
        it = route_clients_.erase(it);
      } else {
        ++it;
      }
    }
    if (!retired.empty()) {
      lock.unlock();
      for (auto& rc : retired) rc->client->Stop();  // no callback runs after this
      lock.lock();
      for (auto& rc : retired) {
        if (rc->link != nullptr) RemoveLink(rc->link);
      }
      continue;  // a removed link may need a new client
    }
    // Pauses are bounded: a slow peer that stops draining does not hold
    // the others for longer than kMaxPause.
    ResumePaused(absl::Now() - kMaxPause);
    upkeep_cv_.wait_for(lock, paused_.empty() ? std::chrono::milliseconds(1000)
                                              : std::chrono::milliseconds(50));
  }
}

void Hub::EnsureRouteClients() {
  for (const std::string& url : known_routes_) {
    if (url == options_.route_url || self_urls_.contains(url)) continue;
    bool covered = false;
    for (const auto& rc : route_clients_) covered |= rc->url == url;
    for (const auto& [id, link] : links_) covered |= link->is_router() && link->hello.route_url() == url;
    if (!covered) StartRouteClient(url);
  }
}

void Hub::StartRouteClient(const std::string& url) {
  auto rc = std::make_unique<RouteClient>();
  rc->url = url;
  RouteClient* raw = rc.get();
  AttachClientOptions o;
  o.target = url;
  o.hello = MakeHello();
  o.limits = options_.limits;
  o.on_connected = [this, raw](bool, const v1::Hello& hello) { OnRouteConnected(raw, hello); };
  o.on_frame = [this, raw](const v1::Frame& frame) {
    std::lock_guard<std::mutex> lock(mu_);
    if (raw->link != nullptr) HandleFrame(raw->link, frame);
  };
  o.on_disconnected = [this, raw](const absl::Status&) {
    std::lock_guard<std::mutex> lock(mu_);
    if (raw->link != nullptr) RemoveLink(raw->link);
  };
  MLOG_DEBUG("dialing route ", url);
  rc->client = AttachClient::Create(std::move(o));  // kept before the callbacks can run
  rc->client->Connect();
  route_clients_.push_back(std::move(rc));
}

void Hub::OnRouteConnected(RouteClient* rc, const v1::Hello& hello) {
  std::lock_guard<std::mutex> lock(mu_);
  if (rc->retire || stop_) return;
  if (hello.peer_id() == options_.self_id) {
    self_urls_.insert(rc->url);  // a route to ourselves (same list on every router)
    rc->retire = true;
    upkeep_cv_.notify_all();
    return;
  }
  if (hello.kind() != v1::PEER_KIND_ROUTER ||
      (!hello.cluster_name().empty() && !options_.cluster_name.empty() &&
       hello.cluster_name() != options_.cluster_name)) {
    MLOG_ERROR("route ", rc->url, " is not a router of cluster '", options_.cluster_name,
               "'; not dialing it again");
    self_urls_.insert(rc->url);
    rc->retire = true;
    upkeep_cv_.notify_all();
    return;
  }
  Link* link = AddLink(PeerKind::kRouter, hello, /*dialed=*/true);
  link->client = rc;
  rc->link = link;
  if (!hello.route_url().empty()) known_routes_.insert(hello.route_url());
  Activate(link);
  FlushPending();
  BroadcastClusterInfo();
}

void Hub::OnClusterInfo(Link* from, const v1::ClusterInfo& info) {
  std::vector<std::string> urls(info.client_urls().begin(), info.client_urls().end());
  MergeSorted(&urls, {from->hello.client_urls().begin(), from->hello.client_urls().end()});
  from->client_urls = std::move(urls);
  if (from->is_router()) {
    for (const std::string& url : info.route_urls()) {
      if (known_routes_.insert(url).second) upkeep_cv_.notify_all();
    }
  }
  BroadcastClusterInfo();
}

v1::ClusterInfo Hub::ClusterInfoFor(const Link* to) const {
  std::vector<std::string> clients;
  for (const auto& [id, link] : links_) {
    if (!link->active) continue;
    // Routers learn only our own peers' URLs; they know their own.
    if (to->is_router() && link->is_router()) continue;
    MergeSorted(&clients, link->client_urls);
  }
  v1::ClusterInfo info;
  for (const std::string& url : clients) info.add_client_urls(url);
  for (const std::string& url : known_routes_) {
    if (!self_urls_.contains(url) || url == options_.route_url) info.add_route_urls(url);
  }
  if (!options_.route_url.empty() && !known_routes_.contains(options_.route_url)) {
    info.add_route_urls(options_.route_url);
  }
  return info;
}

void Hub::BroadcastClusterInfo() {
  for (const auto& [id, link] : links_) {
    if (!link->active) continue;
    v1::Frame frame;
    *frame.mutable_cluster() = ClusterInfoFor(link.get());
    std::string bytes = frame.cluster().SerializeAsString();
    if (bytes == link->last_cluster) continue;
    if (link->Send(frame)) link->last_cluster = std::move(bytes);
  }
}

}  // namespace meridian::router
