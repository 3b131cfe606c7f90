// Router::Route: where one message goes (plain fan-out, one member per
// queue group cluster-wide, never back to its origin, never from one router
// of the mesh to another).
#include <algorithm>

#include "services/router/core/route_result.h"
#include "services/router/core/router.h"

namespace meridian::router {

const RouteTarget* RouteResult::Find(PeerId peer) const {
  for (const RouteTarget& target : targets_) {
    if (target.peer == peer) return &target;
  }
  return nullptr;
}

std::string_view RouteErrorName(RouteError error) {
  switch (error) {
    case RouteError::kOk:
      return "ok";
    case RouteError::kUnknownOrigin:
      return "unknown origin peer";
  }
  return "unknown";
}

namespace {
bool Contains(absl::Span<const std::string_view> names, std::string_view name) {
  for (std::string_view n : names) {
    if (n == name) return true;
  }
  return false;
}
}  // namespace

RouteError Router::Route(const RouteRequest& request, RouteResult* result) {
  result->Clear();
  const Peer* origin = FindPeer(request.origin);
  if (origin == nullptr) return RouteError::kUnknownOrigin;
  auto account_it = accounts_.find(request.account);
  if (account_it == accounts_.end()) return RouteError::kOk;
  Account& account = *account_it->second;

  // Results of the previous Route are no longer in use.
  account.cache.Quiesce();
  const subjects::MatchResult& match = account.cache.Match(request.subject);
  if (match.empty()) return RouteError::kOk;

  // Split horizon: a message from a router of the mesh was already routed
  // there to every router that wants it; only our local peers are left.
  const bool from_router = origin->is_router();
  auto candidate = [origin, from_router](const Peer* peer) {
    return peer != origin && !(from_router && peer->is_router());
  };
  // With queue_choice the origin names the groups we must serve; otherwise
  // it names those it served itself and we serve every other one.
  auto wanted = [&request](std::string_view group) {
    return request.queue_choice ? Contains(request.chosen_queues, group)
                                : !Contains(request.served_queues, group);
  };

  const uint64_t epoch = ++route_epoch_;
  auto target_for = [&](Peer* peer) -> uint32_t {
    if (peer->route_epoch != epoch) {
      peer->route_epoch = epoch;
      peer->target_index = static_cast<uint32_t>(result->targets_.size());
      result->targets_.push_back(RouteTarget{peer->id, false, {}});
    }
    return peer->target_index;
  };

  for (const subjects::Subscription* sub : match.psubs) {
    Peer* peer = static_cast<const PeerSub*>(sub)->peer;
    if (!candidate(peer)) continue;
    result->targets_[target_for(peer)].plain = true;
  }

  for (const subjects::QueueGroupMatch& group : match.qsubs) {
    if (!wanted(group.name)) continue;
    // Members at our own peers are preferred (as nats-server prefers its
    // own clients over routes): the draw is among local peers weighted by
    // their member counts, and among routers, weighted by the members they
    // announced, only when no local peer holds one.
    int64_t total = 0, local = 0;
    for (const subjects::Subscription* sub : group.members) {
      const auto* member = static_cast<const PeerSub*>(sub);
      if (!candidate(member->peer)) continue;
      total += member->count;
      if (!member->peer->is_router()) local += member->count;
    }
    if (total <= 0) continue;
    const bool local_only = local > 0;
    int64_t pick = static_cast<int64_t>(
        std::uniform_int_distribution<uint64_t>(0, (local_only ? local : total) - 1)(rng_));
    Peer* chosen = nullptr;
    for (const subjects::Subscription* sub : group.members) {
      const auto* member = static_cast<const PeerSub*>(sub);
      if (!candidate(member->peer) || (local_only && member->peer->is_router())) continue;
      if (pick < member->count) {
        chosen = member->peer;
        break;
      }
      pick -= member->count;
    }
    result->choices_.emplace_back(target_for(chosen), group.name);
  }

  if (result->choices_.empty()) return RouteError::kOk;
  // Lay the chosen groups out contiguously per target (counting sort).
  std::vector<uint32_t>& offsets = result->offsets_;
  offsets.assign(result->targets_.size() + 1, 0);
  for (const auto& [index, name] : result->choices_) ++offsets[index + 1];
  for (size_t i = 1; i < offsets.size(); ++i) offsets[i] += offsets[i - 1];
  result->queue_names_.resize(result->choices_.size());
  for (const auto& [index, name] : result->choices_) {
    result->queue_names_[offsets[index]++] = name;
  }
  // offsets[i] now is the end of target i's run; its start is offsets[i-1].
  uint32_t start = 0;
  for (size_t i = 0; i < result->targets_.size(); ++i) {
    const uint32_t end = offsets[i];
    result->targets_[i].queues =
        absl::MakeConstSpan(result->queue_names_.data() + start, end - start);
    start = end;
  }
  return RouteError::kOk;
}

}  // namespace meridian::router
