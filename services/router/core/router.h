// The routing core: the interest graph of all attached peers, the interest
// each peer must be told about, and the routing of messages between peers.
//
// Threading: NOT thread-safe. One Router belongs to one thread (the router's
// event loop) or is used under one mutex; nothing in it locks except the
// subject index it embeds (uncontended).
//
// Contract (see README.md):
// * Interest pushed to a peer P is the aggregate of every OTHER peer's
//   interest, per (account, subject, queue), as deltas (count is a delta):
//   plain interest is 0/1 ("someone elsewhere"), a queue group's view is
//   its weight = the number of members held by the other peers.
// * Router mesh (split horizon, as NATS routes): a peer of kind kRouter is
//   told only the interest of the local (non-router) peers, never what other
//   routers hold, and a message from a router never goes to another router.
// * Route() sends a message to each other peer with matching plain interest
//   and, for each matching queue group the origin did not serve (or, with
//   queue_choice, each group it was chosen for), to exactly one peer holding
//   members (weighted by member count); a peer gets at most one copy,
//   annotated with the queue groups it was chosen for.
#ifndef MERIDIAN_SERVICES_ROUTER_CORE_ROUTER_H_
#define MERIDIAN_SERVICES_ROUTER_CORE_ROUTER_H_

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/types/span.h"
#include "common/subjects/local_match_cache.h"
#include "common/subjects/sublist.h"
#include "services/router/core/route_result.h"
#include "services/router/core/types.h"

namespace meridian::router {

struct RouterOptions {
  // Seed of the queue-member choice (tests fix it; the daemon randomizes).
  uint64_t seed = 0x6d6572696469616eULL;
};

enum class RouteError : uint8_t {
  kOk = 0,
  kUnknownOrigin,  // the origin peer is not attached
};

class Router {
 public:
  explicit Router(RouterOptions options = {});
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // --- Peer lifecycle (router_peers.cc) ---

  // Attaches a peer. Appends to `snapshot` the interest it must receive
  // first: everything the other peers hold, aggregated (as deltas from an
  // empty view). AlreadyExists if `id` is attached.
  [[nodiscard]] absl::Status AddPeer(PeerId id, PeerKind kind,
                                     std::vector<OutboundDelta>* snapshot);
  // Detaches a peer: all its interest is withdrawn; appends the deltas the
  // remaining peers must receive. NotFound if not attached.
  [[nodiscard]] absl::Status RemovePeer(PeerId id,
                                        std::vector<OutboundDelta>* out);
  // Replaces everything `id` holds by `full_interest` (a Frame with
  // interest_reset = true: its interest list is the peer's complete set;
  // entries for the same key add up). Appends only the net changes for the
  // other peers, so interest held before and after never flaps. All or
  // nothing: on error nothing changes.
  [[nodiscard]] absl::Status ResetPeer(
      PeerId id, absl::Span<const InterestDelta> full_interest,
      std::vector<OutboundDelta>* out);
  // Appends what `id` must hold now (as AddPeer's snapshot), e.g. when the
  // peer asks to resync.
  [[nodiscard]] absl::Status Snapshot(PeerId id,
                                      std::vector<OutboundDelta>* out) const;

  bool HasPeer(PeerId id) const { return peers_.contains(id); }
  size_t NumPeers() const { return peers_.size(); }

  // --- Interest (router_interest.cc) ---

  // Applies one InterestDelta received from `from`; appends the minimal
  // deltas for the other peers (none for a peer whose view is unchanged).
  // InvalidArgument for a bad subject/queue, a zero count, or a count that
  // would drop below zero; NotFound for an unknown peer. On error nothing
  // changes.
  [[nodiscard]] absl::Status ApplyInterest(PeerId from,
                                           const InterestDelta& delta,
                                           std::vector<OutboundDelta>* out);

  // --- Messages (router_route.cc) ---

  // Decides where a message from request.origin goes; fills `result`
  // (cleared first, its buffers reused: no allocation on the steady path).
  // From a router peer only local (non-router) peers are candidates.
  [[nodiscard]] RouteError Route(const RouteRequest& request,
                                 RouteResult* result);

  // Number of (peer, account, subject, queue) entries held.
  size_t NumEntries() const { return num_entries_; }

 private:
  struct Peer;
  struct Interest;
  struct Account;

  // One peer's count for one Interest, indexed in the account's Sublist.
  struct PeerSub : subjects::Subscription {
    Peer* peer = nullptr;
    Interest* interest = nullptr;
    int64_t count = 0;
  };
  // One (account, subject, queue) and every peer's count for it.
  struct Interest {
    Account* account = nullptr;
    std::string subject;
    std::string queue;
    int64_t total = 0;
    // Sum over the local (non-router) peers: what every router peer sees.
    int64_t local_total = 0;
    std::vector<std::unique_ptr<PeerSub>> subs;  // one per peer, count > 0

    int64_t CountOf(const Peer* peer) const;
  };
  struct Account {
    explicit Account(std::string account_name);
    std::string name;
    subjects::Sublist sublist;
    subjects::LocalMatchCache cache;
    subjects::internal::StringMap<std::unique_ptr<Interest>> interests;
  };
  struct Peer {
    PeerId id;
    PeerKind kind = PeerKind::kUnspecified;
    absl::flat_hash_set<PeerSub*> subs;

    bool is_router() const { return kind == PeerKind::kRouter; }
    // Route() scratch: whether this peer already has a target, and which.
    uint64_t route_epoch = 0;
    uint32_t target_index = 0;
  };

  // Changes `peer`'s count for (account, subject, queue) by `change`
  // (already validated) and appends the other peers' deltas.
  void ChangeCount(Peer* peer, std::string_view account,
                   std::string_view subject, std::string_view queue,
                   int64_t change, std::vector<OutboundDelta>* out);
  // Appends to `out` the deltas that take every peer but `from` from the
  // totals before the change (`old_total`, `old_local_total`) to those plus
  // `change` on `interest`.
  void EmitChange(const Interest& interest, const Peer* from, int64_t old_total,
                  int64_t old_local_total, int64_t change,
                  std::vector<OutboundDelta>* out) const;
  // What `peer` must see of `interest` (before the plain 0/1 clamp): the
  // other peers' total, or for a router peer only the local peers' total.
  static int64_t ViewOf(const Interest& interest, const Peer* peer);
  void AppendSnapshot(const Peer* peer, std::vector<OutboundDelta>* out) const;
  Interest* FindInterest(std::string_view account, std::string_view subject,
                         std::string_view queue) const;
  Peer* FindPeer(PeerId id) const;

  absl::Status ValidateDelta(const InterestDelta& delta) const;

  subjects::internal::StringMap<std::unique_ptr<Account>> accounts_;
  absl::flat_hash_map<PeerId, std::unique_ptr<Peer>> peers_;
  std::vector<Peer*> ordered_peers_;  // by id: deterministic output order
  size_t num_entries_ = 0;
  uint64_t route_epoch_ = 0;
  std::mt19937_64 rng_;
  std::string key_scratch_;
};

std::string_view RouteErrorName(RouteError error);

}  // namespace meridian::router

#endif  // MERIDIAN_SERVICES_ROUTER_CORE_ROUTER_H_
