// Router::ApplyInterest and the interest graph bookkeeping: per-peer counts,
// the subject index, and the minimal deltas each other peer must receive.
#include <algorithm>
#include <cassert>
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/subjects/subject.h"
#include "services/router/core/router.h"

namespace meridian::router {

int64_t Router::Interest::CountOf(const Peer* peer) const {
  for (const auto& sub : subs) {
    if (sub->peer == peer) return sub->count;
  }
  return 0;
}

absl::Status Router::ValidateDelta(const InterestDelta& delta) const {
  if (delta.account.empty()) {
    return absl::InvalidArgumentError("interest without an account");
  }
  if (!subjects::SubscribeSubjectAllowed(delta.subject)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Invalid Subject: '", delta.subject, "'"));
  }
  if (!delta.queue.empty() && !subjects::IsValidQueueName(delta.queue)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Invalid Queue Name: '", delta.queue, "'"));
  }
  return absl::OkStatus();
}

Router::Interest* Router::FindInterest(std::string_view account,
                                       std::string_view subject,
                                       std::string_view queue) const {
  auto account_it = accounts_.find(account);
  if (account_it == accounts_.end()) return nullptr;
  std::string key;
  key.reserve(subject.size() + 1 + queue.size());
  key.append(subject).append(" ").append(queue);
  auto it = account_it->second->interests.find(key);
  return it == account_it->second->interests.end() ? nullptr : it->second.get();
}

absl::Status Router::ApplyInterest(PeerId from, const InterestDelta& delta,
                                   std::vector<OutboundDelta>* out) {
  Peer* peer = FindPeer(from);
  if (peer == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("peer ", from.value, " is not attached"));
  }
  if (absl::Status status = ValidateDelta(delta); !status.ok()) return status;
  if (delta.count == 0) {
    return absl::InvalidArgumentError("interest delta with a zero count");
  }
  const Interest* interest =
      FindInterest(delta.account, delta.subject, delta.queue);
  const int64_t held = interest == nullptr ? 0 : interest->CountOf(peer);
  const int64_t next = held + delta.count;
  if (next < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "interest on '", delta.subject, "' queue '", delta.queue,
        "' would drop below zero (held ", held, ", delta ", delta.count, ")"));
  }
  if (next > std::numeric_limits<int32_t>::max()) {
    return absl::InvalidArgumentError("interest count overflows int32");
  }
  ChangeCount(peer, delta.account, delta.subject, delta.queue, delta.count,
              out);
  return absl::OkStatus();
}

void Router::ChangeCount(Peer* peer, std::string_view account_name,
                         std::string_view subject, std::string_view queue,
                         int64_t change, std::vector<OutboundDelta>* out) {
  if (change == 0) return;
  auto account_it = accounts_.find(account_name);
  if (account_it == accounts_.end()) {
    account_it =
        accounts_
            .emplace(std::string(account_name),
                     std::make_unique<Account>(std::string(account_name)))
            .first;
  }
  Account& account = *account_it->second;

  key_scratch_.assign(subject);
  key_scratch_.push_back(' ');
  key_scratch_.append(queue);
  auto interest_it = account.interests.find(key_scratch_);
  if (interest_it == account.interests.end()) {
    auto interest = std::make_unique<Interest>();
    interest->account = &account;
    interest->subject = std::string(subject);
    interest->queue = std::string(queue);
    interest_it =
        account.interests.emplace(key_scratch_, std::move(interest)).first;
  }
  Interest& interest = *interest_it->second;

  auto sub_it = std::find_if(
      interest.subs.begin(), interest.subs.end(),
      [peer](const std::unique_ptr<PeerSub>& s) { return s->peer == peer; });
  if (sub_it == interest.subs.end()) {
    auto sub = std::make_unique<PeerSub>();
    sub->subject = interest.subject;
    sub->queue = interest.queue;
    sub->owner = peer;
    sub->peer = peer;
    sub->interest = &interest;
    const subjects::SublistError error = account.sublist.Insert(sub.get());
    (void)error;
    assert(error == subjects::SublistError::kOk);
    peer->subs.insert(sub.get());
    interest.subs.push_back(std::move(sub));
    sub_it = interest.subs.end() - 1;
    ++num_entries_;
  }
  PeerSub* sub = sub_it->get();
  assert(sub->count + change >= 0);

  const int64_t old_total = interest.total;
  const int64_t old_local_total = interest.local_total;
  sub->count += change;
  interest.total += change;
  if (!peer->is_router()) interest.local_total += change;
  EmitChange(interest, peer, old_total, old_local_total, change, out);

  if (sub->count == 0) {
    const subjects::SublistError error = account.sublist.Remove(sub);
    (void)error;
    assert(error == subjects::SublistError::kOk);
    peer->subs.erase(sub);
    interest.subs.erase(sub_it);
    --num_entries_;
    if (interest.subs.empty()) account.interests.erase(interest_it);
  }
}

int64_t Router::ViewOf(const Interest& interest, const Peer* peer) {
  // Split horizon: a router peer must not learn what other routers hold (it
  // would echo it around the mesh); its own count is never in local_total.
  if (peer->is_router()) return interest.local_total;
  return interest.total - interest.CountOf(peer);
}

void Router::EmitChange(const Interest& interest, const Peer* from,
                        int64_t old_total, int64_t old_local_total,
                        int64_t change, std::vector<OutboundDelta>* out) const {
  const bool plain = interest.queue.empty();
  for (const Peer* peer : ordered_peers_) {
    if (peer == from) continue;
    // The other peers' counts did not change: the view of `peer` moves from
    // its view before the change to that plus `change`, unless it is a
    // router peer and the change came from another router (not in its view).
    int64_t before;
    if (peer->is_router()) {
      if (from->is_router()) continue;
      before = old_local_total;
    } else {
      before = old_total - interest.CountOf(peer);
    }
    const int64_t after = before + change;
    int32_t count;
    if (plain) {
      if ((before > 0) == (after > 0)) continue;
      count = after > 0 ? 1 : -1;
    } else {
      count = static_cast<int32_t>(change);  // |change| <= int32 max
    }
    out->push_back(OutboundDelta{
        peer->id, InterestDelta{interest.account->name, interest.subject,
                                interest.queue, count}});
  }
}

}  // namespace meridian::router
