// Router construction and the peer lifecycle: attach, detach, reset,
// snapshot.
#include "services/router/core/router.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"

namespace meridian::router {

Router::Account::Account(std::string account_name)
    : name(std::move(account_name)), cache(&sublist) {}

Router::Router(RouterOptions options) : rng_(options.seed) {}

Router::~Router() = default;

Router::Peer* Router::FindPeer(PeerId id) const {
  auto it = peers_.find(id);
  return it == peers_.end() ? nullptr : it->second.get();
}

absl::Status Router::AddPeer(PeerId id, PeerKind kind,
                             std::vector<OutboundDelta>* snapshot) {
  if (peers_.contains(id)) {
    return absl::AlreadyExistsError(
        absl::StrCat("peer ", id.value, " is already attached"));
  }
  auto peer = std::make_unique<Peer>();
  peer->id = id;
  peer->kind = kind;
  Peer* raw = peer.get();
  peers_.emplace(id, std::move(peer));
  ordered_peers_.insert(
      std::upper_bound(
          ordered_peers_.begin(), ordered_peers_.end(), raw,
          [](const Peer* a, const Peer* b) { return a->id < b->id; }),
      raw);
  AppendSnapshot(raw, snapshot);
  return absl::OkStatus();
}

absl::Status Router::RemovePeer(PeerId id, std::vector<OutboundDelta>* out) {
  Peer* peer = FindPeer(id);
  if (peer == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("peer ", id.value, " is not attached"));
  }
  // Copy: ChangeCount erases from peer->subs.
  std::vector<PeerSub*> subs(peer->subs.begin(), peer->subs.end());
  for (PeerSub* sub : subs) {
    Interest* interest = sub->interest;
    ChangeCount(peer, interest->account->name, interest->subject,
                interest->queue, -sub->count, out);
  }
  ordered_peers_.erase(
      std::find(ordered_peers_.begin(), ordered_peers_.end(), peer));
  peers_.erase(id);
  return absl::OkStatus();
}

absl::Status Router::ResetPeer(PeerId id,
                               absl::Span<const InterestDelta> full_interest,
                               std::vector<OutboundDelta>* out) {
  Peer* peer = FindPeer(id);
  if (peer == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("peer ", id.value, " is not attached"));
  }
  struct Wanted {
    const InterestDelta* first;
    int64_t count = 0;
  };
  // Key: account '\n' subject ' ' queue (none of them holds '\n' or ' ').
  subjects::internal::StringMap<Wanted> wanted;
  for (const InterestDelta& delta : full_interest) {
    if (absl::Status status = ValidateDelta(delta); !status.ok()) return status;
    Wanted& w = wanted[absl::StrCat(delta.account, "\n", delta.subject, " ",
                                    delta.queue)];
    if (w.first == nullptr) w.first = &delta;
    w.count += delta.count;
  }
  for (const auto& [key, w] : wanted) {
    if (w.count < 0 || w.count > std::numeric_limits<int32_t>::max()) {
      return absl::InvalidArgumentError(
          absl::StrCat("interest reset: count ", w.count, " out of range for ",
                       w.first->subject, " ", w.first->queue));
    }
  }
  // Net change per key: what the peer holds now vs what it will hold.
  struct Change {
    std::string account, subject, queue;
    int64_t change;
  };
  std::vector<Change> changes;
  for (const PeerSub* sub : peer->subs) {
    const Interest& interest = *sub->interest;
    int64_t target = 0;
    auto it = wanted.find(absl::StrCat(interest.account->name, "\n",
                                       interest.subject, " ", interest.queue));
    if (it != wanted.end()) {
      target = it->second.count;
      wanted.erase(it);
    }
    if (target != sub->count) {
      changes.push_back({interest.account->name, interest.subject,
                         interest.queue, target - sub->count});
    }
  }
  for (const auto& [key, w] : wanted) {
    if (w.count > 0) {
      changes.push_back(
          {w.first->account, w.first->subject, w.first->queue, w.count});
    }
  }
  for (const Change& c : changes) {
    ChangeCount(peer, c.account, c.subject, c.queue, c.change, out);
  }
  return absl::OkStatus();
}

absl::Status Router::Snapshot(PeerId id,
                              std::vector<OutboundDelta>* out) const {
  const Peer* peer = FindPeer(id);
  if (peer == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("peer ", id.value, " is not attached"));
  }
  AppendSnapshot(peer, out);
  return absl::OkStatus();
}

void Router::AppendSnapshot(const Peer* peer,
                            std::vector<OutboundDelta>* out) const {
  for (const auto& [account_name, account] : accounts_) {
    for (const auto& [key, interest] : account->interests) {
      int64_t view = ViewOf(*interest, peer);
      if (view <= 0) continue;
      if (interest->queue.empty()) view = 1;
      // A weight above int32 (never in practice) goes in several deltas.
      while (view > 0) {
        const int32_t part = static_cast<int32_t>(
            std::min<int64_t>(view, std::numeric_limits<int32_t>::max()));
        out->push_back(OutboundDelta{
            peer->id, InterestDelta{account->name, interest->subject,
                                    interest->queue, part}});
        view -= part;
      }
    }
  }
}

}  // namespace meridian::router
