// The router daemon's data plane: joins the Attach transport (sessions of
// local peers, links to and from the other routers of the mesh) to the
// routing core. Every event of every stream goes through one mutex: the core
// is single-threaded by design and each event is short (no I/O, sends only
// queue).
//
// Mesh: each router dials every route it knows (configured, or learned from
// the others' ClusterInfo) with an AttachClient of kind ROUTER, unless that
// router already dialed us. Two routers linked twice (both dialed at once)
// keep both links: the core knows the other router once, frames from either
// link are its, and each side sends on one link of its choice (another one,
// with its whole interest as a reset, when that link ends). Routers forward
// router-learned interest and messages only to local peers (split horizon,
// as nats-server routes do).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "services/router/core/router.h"
#include "services/router/transport/attach_client.h"
#include "services/router/transport/attach_server.h"
#include "services/router/transport/packed.h"

namespace meridian::router {

struct HubOptions {
  std::string self_id;       // this router's id (stable for the process)
  std::string name;
  std::string cluster_name;  // routers of another cluster name are refused
  std::string route_url;     // our cluster address ("host:port"), empty: no mesh listener
  std::vector<std::string> routes;  // routers to dial ("host:port")
  QueueLimits limits;
  uint64_t seed = 0;
};

struct HubStats {
  uint64_t peers = 0;          // attached local peers
  uint64_t routers = 0;        // routers linked (used links)
  uint64_t messages_in = 0;
  uint64_t messages_out = 0;   // copies queued to peers
  uint64_t messages_unrouted = 0;  // nobody wanted them
  uint64_t send_overflows = 0;     // copies or deltas a full peer queue refused
  uint64_t interest_errors = 0;    // refused interest (peer asked to resync)
  uint64_t pauses = 0;             // publishers held back for a slow peer
};

class Hub : public PeerHandler {
 public:
  // A peer queue with data and no completed write for this long is stuck.
  static constexpr absl::Duration kStuckAfter = absl::Milliseconds(200);
  // Pauses end after this long even if the slow peer never drained.
  static constexpr absl::Duration kMaxPause = absl::Milliseconds(500);
  explicit Hub(HubOptions options);
  ~Hub() override;
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // Our Hello, for the AttachServers.
  v1::Hello MakeHello() const;
  // Starts dialing the routes (and the mesh upkeep thread).
  void Start();
  // Stops every route client and the upkeep thread. The AttachServers must be
  // shut down before the Hub is destroyed.
  void Stop();

  // PeerHandler (AttachServer threads).
  void OnAttach(PeerSession* session, const v1::Hello& hello) override;
  void OnFrame(PeerSession* session, const v1::Frame& frame) override;
  void OnDetach(PeerSession* session) override;

  HubStats stats() const;

 private:
  struct Link;
  struct RouteClient;
  struct RouterPeer;

  // --- Data plane (hub.cc), all under mu_ ---
  Link* AddLink(PeerKind kind, const v1::Hello& hello, bool dialed);
  void Activate(Link* link);
  void Deactivate(Link* link);
  void AttachRouterLink(Link* link);
  void ChooseRouterLink(RouterPeer* rp, Link* link);
  void DetachRouterLink(Link* link);
  void RemoveLink(Link* link);
  void HandleFrame(Link* from, const v1::Frame& frame);
  void ApplyInterest(Link* from, const v1::Frame& frame);
  void RouteMessages(Link* from, const v1::Frame& frame);
  // Routes `m` into route_result_ and sends it there; true when the outcome
  // holds for any record of the same account and subject without queue
  // groups until interest changes (no group was drawn).
  bool RouteOne(Link* from, const PackedMessage& m, absl::Span<const std::string_view> queues);
  // Sends `m` to route_result_'s targets (the routing of an earlier record).
  void SendRouted(Link* from, const PackedMessage& m);
  void QueueDeltas();
  // Queues each touched link's pending content; true when one of them is
  // congested (slow, not stuck).
  bool FlushPending();
  void OnDrain();
  // Resumes reading from paused peers paused at or before `paused_before`
  // (InfinitePast: all).
  void ResumePaused(absl::Time paused_before);

  // --- Mesh (hub_mesh.cc) ---
  void Upkeep();
  void EnsureRouteClients();  // mu_ held
  void StartRouteClient(const std::string& url);  // mu_ held
  void OnRouteConnected(RouteClient* rc, const v1::Hello& hello);
  void OnClusterInfo(Link* from, const v1::ClusterInfo& info);
  void BroadcastClusterInfo();  // mu_ held
  v1::ClusterInfo ClusterInfoFor(const Link* to) const;

  HubOptions options_;
  mutable std::mutex mu_;
  Router router_;
  uint64_t next_peer_ = 1;
  absl::flat_hash_map<uint64_t, std::unique_ptr<Link>> links_;  // by PeerId
  absl::flat_hash_map<PeerSession*, Link*> by_session_;
  // Core peer id -> the link that carries what we send it.
  absl::flat_hash_map<uint64_t, Link*> send_to_;
  absl::flat_hash_map<std::string, std::unique_ptr<RouterPeer>> router_peers_;  // by router id
  std::vector<OutboundDelta> deltas_;  // scratch
  RouteResult route_result_;           // scratch
  std::vector<Link*> touched_;         // links with pending content
  std::vector<std::string_view> queue_scratch_;
  std::vector<Link*> paused_;  // peers whose reads wait for a slow peer
  HubStats stats_;

  // Mesh state.
  std::set<std::string> known_routes_;  // route URLs to be linked with
  std::set<std::string> self_urls_;     // URLs that turned out to be us
  std::vector<std::unique_ptr<RouteClient>> route_clients_;
  std::vector<std::unique_ptr<RouteClient>> stopping_;  // stopped off the callbacks
  std::thread upkeep_;
  std::condition_variable upkeep_cv_;
  bool stop_ = false;
  bool started_ = false;
};

}  // namespace meridian::router
