// Value types of the routing core: peer ids, interest deltas, and what
// Router::Route produces. No gRPC or protobuf here: the Attach adapter
// converts router.proto Frames to and from these.
#ifndef MERIDIAN_SERVICES_ROUTER_CORE_TYPES_H_
#define MERIDIAN_SERVICES_ROUTER_CORE_TYPES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "absl/types/span.h"

namespace meridian::router {

// Identifies an attached peer (one Attach stream). Chosen by the caller
// (the adapter maps Hello.peer_id to it); never reused while attached.
struct PeerId {
  uint64_t value = 0;

  friend bool operator==(PeerId a, PeerId b) { return a.value == b.value; }
  friend bool operator!=(PeerId a, PeerId b) { return a.value != b.value; }
  friend bool operator<(PeerId a, PeerId b) { return a.value < b.value; }
  template <typename H>
  friend H AbslHashValue(H h, PeerId id) {
    return H::combine(std::move(h), id.value);
  }
};

// Mirrors meridian.router.v1.PeerKind. kRouter marks another router of the
// mesh (split horizon: see router.h); every other kind is a local peer.
enum class PeerKind : uint8_t {
  kUnspecified = 0,
  kFrontend = 1,
  kJetstream = 2,
  kLinks = 3,
  kRouter = 4,
};

// A change of interest (router.proto InterestDelta). `count` is always a
// delta: > 0 adds subscribers / members, < 0 removes them. The view a peer
// holds of one (account, subject, queue) is the sum of the counts it got.
struct InterestDelta {
  std::string account;
  std::string subject;  // may contain wildcards
  std::string queue;    // empty for plain interest
  int32_t count = 0;

  friend bool operator==(const InterestDelta&, const InterestDelta&) = default;
};

// An interest delta the router must send to `peer`.
struct OutboundDelta {
  PeerId peer;
  InterestDelta delta;

  friend bool operator==(const OutboundDelta&, const OutboundDelta&) = default;
};

// The routing-relevant part of a Message received from `origin`. The
// adapter copies Message.queue_choice into `queue_choice` and Message.queues
// into `chosen_queues` when it is set, else into `served_queues`.
struct RouteRequest {
  std::string_view account;
  std::string_view subject;
  PeerId origin;
  // queue_choice = false (a local peer forwarding its publish): Message.queues
  // = the groups the origin already delivered to (a local member); the
  // router picks a member peer for every other matching group.
  absl::Span<const std::string_view> served_queues = {};
  // queue_choice = true (a router of the mesh passing on a message it routed):
  // Message.queues = the groups the sending router chose this router for;
  // the router picks a member peer for those groups only, none for others.
  bool queue_choice = false;
  absl::Span<const std::string_view> chosen_queues = {};
};

// One copy of a message to send. The outbound Message gets
// queue_choice = true and queues = `queues`; origin_peer is kept.
struct RouteTarget {
  PeerId peer;
  // The peer holds matching plain interest (informational: a receiver
  // always delivers to its matching plain subscribers).
  bool plain = false;
  // Queue groups this peer was chosen for: deliver to one local member of
  // each. Views valid until the next non-const call on the Router.
  absl::Span<const std::string_view> queues;
};

}  // namespace meridian::router

#endif  // MERIDIAN_SERVICES_ROUTER_CORE_TYPES_H_
