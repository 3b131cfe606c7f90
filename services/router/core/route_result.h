// The output of Router::Route: the copies of one message to send. Reused
// from message to message so that the steady path does not allocate.
#ifndef MERIDIAN_SERVICES_ROUTER_CORE_ROUTE_RESULT_H_
#define MERIDIAN_SERVICES_ROUTER_CORE_ROUTE_RESULT_H_

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/types/span.h"
#include "services/router/core/types.h"

namespace meridian::router {

class Router;

class RouteResult {
 public:
  // One entry per peer to send to, each peer at most once. Valid until the
  // next non-const call on this object or on the Router that filled it.
  absl::Span<const RouteTarget> targets() const { return targets_; }
  bool empty() const { return targets_.empty(); }
  // Whether a queue group member was drawn (another message may go elsewhere).
  bool drew_queue_members() const { return !choices_.empty(); }
  size_t size() const { return targets_.size(); }
  // The target for `peer`, or null (linear: for tests and small fanouts).
  const RouteTarget* Find(PeerId peer) const;

 private:
  friend class Router;

  void Clear() {
    targets_.clear();
    choices_.clear();
    queue_names_.clear();
  }

  std::vector<RouteTarget> targets_;
  // (index in targets_, queue group) for each group choice, in group order.
  std::vector<std::pair<uint32_t, std::string_view>> choices_;
  // The groups of every target, contiguous per target.
  std::vector<std::string_view> queue_names_;
  std::vector<uint32_t> offsets_;
};

}  // namespace meridian::router

#endif  // MERIDIAN_SERVICES_ROUTER_CORE_ROUTE_RESULT_H_
