// Hub's private types, shared by hub.cc and hub_mesh.cc only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "services/router/hub/hub.h"

namespace meridian::router {

// One attached stream: a local peer's session, or a link with another
// router (accepted or dialed).
struct Hub::Link {
  PeerId id;
  PeerKind kind = PeerKind::kUnspecified;
  v1::Hello hello;
  bool dialed = false;  // we opened it (a route client)
  bool active = false;  // attached to the routing core
  std::shared_ptr<PeerSession> session;  // accepted streams
  RouteClient* client = nullptr;         // dialed streams
  // Client URLs behind this link: the peer's own, or (routers) those of the
  // other router's peers. Sorted, unique.
  std::vector<std::string> client_urls;
  std::string last_cluster;  // serialized ClusterInfo last sent to it
  std::string origin_token;  // short id of this link in Message origins
  v1::Frame pending;         // interest this turn queues for it
  std::string pending_packed;  // messages this turn queues for it (packed)
  bool touched = false;
  uint64_t overflows = 0;  // batches its full queue refused
  absl::Time paused_at = absl::InfinitePast();  // when its reads were paused
  absl::Time last_overflow_log = absl::InfinitePast();

  RouterPeer* router_peer = nullptr;  // routers: the router this link reaches

  bool is_router() const { return kind == PeerKind::kRouter; }
  // The peer the routing core knows this link as (a router once, whatever
  // the number of links with it).
  PeerId core_id() const;
  bool Send(absl::FunctionRef<void(v1::Frame*)> build);
  bool Send(const v1::Frame& frame);
  // Flow control of what this link sends us (accepted or dialed stream).
  void PauseReads();
  void ResumeReads();
  bool reads_paused() const;
};

// Another router of the mesh, as the core knows it, and our links with it.
struct Hub::RouterPeer {
  PeerId id;
  std::string remote_id;
  std::vector<Link*> links;
  Link* chosen = nullptr;  // the link we send on
};

inline PeerId Hub::Link::core_id() const { return router_peer != nullptr ? router_peer->id : id; }

// A route we dial.
struct Hub::RouteClient {
  std::string url;
  std::unique_ptr<AttachClient> client;
  Link* link = nullptr;  // while its stream is up
  bool retire = false;   // the upkeep thread stops it
};

// Sorted union of `add` into `into`.
void MergeSorted(std::vector<std::string>* into, const std::vector<std::string>& add);

}  // namespace meridian::router
