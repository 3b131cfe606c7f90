#include "services/router/hub/hub.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log/log.h"
#include "services/router/hub/hub_internal.h"
#include "services/router/transport/packed.h"

namespace meridian::router {
namespace {

PeerKind KindOf(v1::PeerKind kind) {
  switch (kind) {
    case v1::PEER_KIND_FRONTEND: return PeerKind::kFrontend;
    case v1::PEER_KIND_JETSTREAM: return PeerKind::kJetstream;
    case v1::PEER_KIND_LINKS: return PeerKind::kLinks;
    case v1::PEER_KIND_ROUTER: return PeerKind::kRouter;
    default: return PeerKind::kUnspecified;
  }
}

std::string_view KindName(PeerKind kind) {
  switch (kind) {
    case PeerKind::kFrontend: return "frontend";
    case PeerKind::kJetstream: return "jetstream";
    case PeerKind::kLinks: return "links";
    case PeerKind::kRouter: return "router";
    default: return "peer";
  }
}

}  // namespace

void MergeSorted(std::vector<std::string>* into, const std::vector<std::string>& add) {
  into->insert(into->end(), add.begin(), add.end());
  std::sort(into->begin(), into->end());
  into->erase(std::unique(into->begin(), into->end()), into->end());
}

bool Hub::Link::Send(absl::FunctionRef<void(v1::Frame*)> build) {
  if (session) return session->Send(build);
  return client != nullptr && client->client != nullptr && client->client->Enqueue(build);
}

bool Hub::Link::Send(const v1::Frame& frame) {
  if (session) return session->Send(frame);
  return client != nullptr && client->client != nullptr && client->client->Enqueue(frame);
}

void Hub::Link::PauseReads() {
  if (session) session->PauseReads();
  if (client != nullptr && client->client != nullptr) client->client->PauseReads();
}

void Hub::Link::ResumeReads() {
  if (session) session->ResumeReads();
  if (client != nullptr && client->client != nullptr) client->client->ResumeReads();
}

bool Hub::Link::reads_paused() const {
  if (session) return session->reads_paused();
  return client != nullptr && client->client != nullptr && client->client->reads_paused();
}

Hub::Hub(HubOptions options)
    : options_(std::move(options)), router_(RouterOptions{.seed = options_.seed}) {}

Hub::~Hub() { Stop(); }

v1::Hello Hub::MakeHello() const {
  v1::Hello hello;
  hello.set_peer_id(options_.self_id);
  hello.set_peer_name(options_.name);
  hello.set_kind(v1::PEER_KIND_ROUTER);
  hello.set_protocol_version(1);
  hello.set_cluster_name(options_.cluster_name);
  hello.set_route_url(options_.route_url);
  return hello;
}

Hub::Link* Hub::AddLink(PeerKind kind, const v1::Hello& hello, bool dialed) {
  auto link = std::make_unique<Link>();
  link->id = PeerId{next_peer_++};
  link->kind = kind;
  link->hello = hello;
  link->dialed = dialed;
  link->origin_token = absl::StrCat("o", link->id.value);
  link->client_urls.assign(hello.client_urls().begin(), hello.client_urls().end());
  MergeSorted(&link->client_urls, {});
  Link* raw = link.get();
  links_[raw->id.value] = std::move(link);
  return raw;
}

void Hub::Activate(Link* link) {
  if (link->active) return;
  if (link->is_router()) return AttachRouterLink(link);
  deltas_.clear();
  if (absl::Status s = router_.AddPeer(link->id, link->kind, &deltas_); !s.ok()) {
    MLOG_ERROR("cannot attach ", link->hello.peer_id(), ": ", s.message());
    return;
  }
  link->active = true;
  send_to_[link->id.value] = link;
  ++stats_.peers;
  MLOG_DEBUG("", KindName(link->kind), " ", link->hello.peer_name(), " (", link->hello.peer_id(),
             ") attached");
  QueueDeltas();  // the snapshot of everyone else's interest
}

void Hub::Deactivate(Link* link) {
  if (!link->active) return;
  link->active = false;
  link->pending.Clear();
  link->pending_packed.clear();
  link->touched = false;
  touched_.erase(std::remove(touched_.begin(), touched_.end(), link), touched_.end());
  if (link->is_router()) return DetachRouterLink(link);
  deltas_.clear();
  (void)router_.RemovePeer(link->id, &deltas_);
  send_to_.erase(link->id.value);
  --stats_.peers;
  MLOG_DEBUG("", KindName(link->kind), " ", link->hello.peer_name(), " detached");
  QueueDeltas();
}

// A router may be linked with us twice (both dialed): both links carry its
// frames in (it sends on one, its choice); we send on one, ours. The core
// knows the router once, whatever the number of links.
void Hub::AttachRouterLink(Link* link) {
  std::unique_ptr<RouterPeer>& slot = router_peers_[link->hello.peer_id()];
  if (slot == nullptr) {
    slot = std::make_unique<RouterPeer>();
    slot->id = PeerId{next_peer_++};
    slot->remote_id = link->hello.peer_id();
    deltas_.clear();
    (void)router_.AddPeer(slot->id, PeerKind::kRouter, &deltas_);
    deltas_.clear();  // sent below, as a reset, on the link we choose
    ++stats_.routers;
    MLOG_INFO("linked with router ", link->hello.peer_name(), " (", link->hello.peer_id(),
              link->hello.route_url().empty() ? "" : " at ", link->hello.route_url(), ")");
  }
  RouterPeer* rp = slot.get();
  link->router_peer = rp;
  link->active = true;
  rp->links.push_back(link);
  if (rp->chosen == nullptr) ChooseRouterLink(rp, link);
}

void Hub::ChooseRouterLink(RouterPeer* rp, Link* link) {
  rp->chosen = link;
  send_to_[rp->id.value] = link;
  // Everything our local peers hold, as a reset: the other router replaces
  // what it had from us (nothing, or what a lost link carried) without flaps.
  deltas_.clear();
  (void)router_.Snapshot(rp->id, &deltas_);
  v1::Frame frame;
  frame.set_interest_reset(true);
  for (const OutboundDelta& d : deltas_) {
    v1::InterestDelta* out = frame.add_interest();
    out->set_account(d.delta.account);
    out->set_subject(d.delta.subject);
    out->set_queue(d.delta.queue);
    out->set_count(d.delta.count);
  }
  deltas_.clear();
  if (!link->Send(frame)) MLOG_WARN("cannot queue our interest for router ", rp->remote_id);
}

void Hub::DetachRouterLink(Link* link) {
  RouterPeer* rp = link->router_peer;
  link->router_peer = nullptr;
  if (rp == nullptr) return;
  rp->links.erase(std::remove(rp->links.begin(), rp->links.end(), link), rp->links.end());
  if (!rp->links.empty()) {
    if (rp->chosen == link) ChooseRouterLink(rp, rp->links.front());
    return;
  }
  deltas_.clear();
  (void)router_.RemovePeer(rp->id, &deltas_);
  send_to_.erase(rp->id.value);
  --stats_.routers;
  MLOG_INFO("link with router ", link->hello.peer_name(), " (", link->hello.peer_id(), ") ended");
  QueueDeltas();
  router_peers_.erase(link->hello.peer_id());
}

void Hub::RemoveLink(Link* link) {
  Deactivate(link);
  paused_.erase(std::remove(paused_.begin(), paused_.end(), link), paused_.end());
  ResumePaused(absl::InfinitePast());  // it may have been what they waited for
  if (link->session) by_session_.erase(link->session.get());
  if (link->client) link->client->link = nullptr;
  const bool router = link->is_router();
  links_.erase(link->id.value);
  if (router) upkeep_cv_.notify_all();  // a route may need dialing again
  FlushPending();
  BroadcastClusterInfo();
}

void Hub::OnAttach(PeerSession* session, const v1::Hello& hello) {
  std::lock_guard<std::mutex> lock(mu_);
  const PeerKind kind = KindOf(hello.kind());
  Link* link = AddLink(kind, hello, /*dialed=*/false);
  link->session = session->shared_from_this();
  by_session_[session] = link;
  session->SetOnDrain([this] { OnDrain(); });
  if (link->is_router()) {
    if (hello.peer_id() == options_.self_id) {
      session->Close();  // our own route to ourselves; the dialer gives up
      return;
    }
    if (!hello.cluster_name().empty() && !options_.cluster_name.empty() &&
        hello.cluster_name() != options_.cluster_name) {
      MLOG_ERROR("refused router ", hello.peer_id(), " of cluster '", hello.cluster_name(),
                 "' (ours is '", options_.cluster_name, "')");
      session->Close();
      return;
    }
    if (!hello.route_url().empty() && known_routes_.insert(hello.route_url()).second) {
      upkeep_cv_.notify_all();
    }
  }
  Activate(link);
  FlushPending();
  BroadcastClusterInfo();
}

void Hub::OnFrame(PeerSession* session, const v1::Frame& frame) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_session_.find(session);
  if (it == by_session_.end()) return;
  HandleFrame(it->second, frame);
}

void Hub::OnDetach(PeerSession* session) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_session_.find(session);
  if (it == by_session_.end()) return;
  RemoveLink(it->second);
}

void Hub::HandleFrame(Link* from, const v1::Frame& frame) {
  if (frame.has_cluster()) OnClusterInfo(from, frame.cluster());
  if (!from->active) return;  // a refused router link (ourselves, another cluster)
  ApplyInterest(from, frame);
  RouteMessages(from, frame);
  const bool congested = FlushPending();
  if (congested && !from->reads_paused()) {
    // Hold the publisher back until the slow peer's queue drains, rather
    // than dropping its copies (a stuck peer does not count: see FlushPending).
    from->PauseReads();
    paused_.push_back(from);
    from->paused_at = absl::Now();
    ++stats_.pauses;
    upkeep_cv_.notify_all();
  }
}

void Hub::OnDrain() {
  std::lock_guard<std::mutex> lock(mu_);
  ResumePaused(absl::InfinitePast());
}

void Hub::ResumePaused(absl::Time paused_before) {
  size_t keep = 0;
  for (Link* link : paused_) {
    if (link->paused_at <= paused_before || paused_before == absl::InfinitePast()) {
      link->ResumeReads();
    } else {
      paused_[keep++] = link;
    }
  }
  paused_.resize(keep);
}

void Hub::ApplyInterest(Link* from, const v1::Frame& frame) {
  if (frame.interest().empty() && !frame.interest_reset()) return;
  deltas_.clear();
  absl::Status status;
  if (frame.interest_reset()) {
    std::vector<InterestDelta> full;
    full.reserve(frame.interest_size());
    for (const v1::InterestDelta& d : frame.interest()) {
      full.push_back({d.account(), d.subject(), d.queue(), d.count()});
    }
    status = router_.ResetPeer(from->core_id(), full, &deltas_);
  } else {
    for (const v1::InterestDelta& d : frame.interest()) {
      status = router_.ApplyInterest(from->core_id(), {d.account(), d.subject(), d.queue(), d.count()},
                                     &deltas_);
      if (!status.ok()) break;
    }
  }
  QueueDeltas();
  if (!status.ok()) {
    // The peer's view of its own interest and ours disagree: end the stream
    // so that it reconnects and sends its whole interest again.
    ++stats_.interest_errors;
    MLOG_WARN("bad interest from ", from->hello.peer_id(), " (", status.message(),
              "); asking it to resync");
    if (from->session) from->session->Close();
    if (from->client) {
      from->client->retire = true;
      upkeep_cv_.notify_all();
    }
  }
}

void Hub::QueueDeltas() {
  for (const OutboundDelta& d : deltas_) {
    auto it = send_to_.find(d.peer.value);
    if (it == send_to_.end()) continue;
    Link* to = it->second;
    v1::InterestDelta* out = to->pending.add_interest();
    out->set_account(d.delta.account);
    out->set_subject(d.delta.subject);
    out->set_queue(d.delta.queue);
    out->set_count(d.delta.count);
    if (!to->touched) {
      to->touched = true;
      touched_.push_back(to);
    }
  }
  deltas_.clear();
}

void Hub::RouteMessages(Link* from, const v1::Frame& frame) {
  std::vector<std::string_view>& queues = queue_scratch_;
  for (const v1::Message& m : frame.messages()) {
    queues.assign(m.queues().begin(), m.queues().end());
    PackedMessage pm;
    pm.account = m.account();
    pm.subject = m.subject();
    pm.reply = m.reply();
    pm.origin = m.origin_peer();
    pm.headers = m.headers();
    pm.payload = m.payload();
    pm.queue_choice = m.queue_choice();
    (void)RouteOne(from, pm, queues);
  }
  std::string_view in = frame.packed();
  PackedMessage pm;
  bool malformed = false;
  // Records in a row to one subject without queue groups (a consumer's
  // deliveries to its inbox, a publisher's messages to a stream) share one
  // routing: nothing between them changes interest.
  std::string_view last_account, last_subject;
  bool last_reusable = false;
  bool last_choice = false;
  while (NextPacked(&in, &pm, &malformed)) {
    queues.clear();
    pm.Queues(&queues);
    if (last_reusable && queues.empty() && pm.queue_choice == last_choice && pm.subject == last_subject &&
        pm.account == last_account) {
      ++stats_.messages_in;
      SendRouted(from, pm);
      continue;
    }
    last_reusable = RouteOne(from, pm, queues) && queues.empty();
    last_account = pm.account;
    last_subject = pm.subject;
    last_choice = pm.queue_choice;
  }
  if (malformed) {
    MLOG_WARN("malformed packed messages from ", from->hello.peer_id(), "; ending its stream");
    if (from->session) from->session->Close();
  }
}

bool Hub::RouteOne(Link* from, const PackedMessage& m, absl::Span<const std::string_view> queues) {
  ++stats_.messages_in;
  // From a router: it chose us for the groups it lists (serve those, no
  // other); from a local peer: the groups it already served.
  RouteRequest request{.account = m.account, .subject = m.subject, .origin = from->core_id()};
  request.queue_choice = m.queue_choice;
  if (m.queue_choice) {
    request.chosen_queues = queues;
  } else {
    request.served_queues = queues;
  }
  if (router_.Route(request, &route_result_) != RouteError::kOk) {
    ++stats_.messages_unrouted;
    return false;
  }
  SendRouted(from, m);
  return !route_result_.drew_queue_members();
}

void Hub::SendRouted(Link* from, const PackedMessage& m) {
  if (route_result_.empty()) {
    ++stats_.messages_unrouted;
    return;
  }
  PackedMessage out = m;
  out.queue_choice = true;
  if (out.origin.empty()) out.origin = from->origin_token;
  for (const RouteTarget& target : route_result_.targets()) {
    auto it = send_to_.find(target.peer.value);
    if (it == send_to_.end()) continue;
    Link* to = it->second;
    AppendPacked(&to->pending_packed, out, target.queues);
    ++stats_.messages_out;
    if (!to->touched) {
      to->touched = true;
      touched_.push_back(to);
    }
  }
}

bool Hub::FlushPending() {
  const absl::Time now = absl::Now();
  bool congested = false;
  for (Link* to : touched_) {
    to->touched = false;
    v1::Frame& pending = to->pending;
    std::string& packed = to->pending_packed;
    const bool has_interest = !pending.interest().empty();
    const bool sent = to->Send([&](v1::Frame* f) {
      for (v1::InterestDelta& d : *pending.mutable_interest()) f->add_interest()->Swap(&d);
      if (f->packed().empty()) {
        f->mutable_packed()->swap(packed);
      } else {
        f->mutable_packed()->append(packed);
      }
    });
    if (!sent) {
      ++stats_.send_overflows;
      ++to->overflows;
      const absl::Time now = absl::Now();
      if (now - to->last_overflow_log > absl::Seconds(5)) {
        // A slow peer: its copies are dropped, nobody else waits for it.
        MLOG_WARN("queue of ", KindName(to->kind), " ", to->hello.peer_name(), " (",
                  to->hello.peer_id(), ") is full: dropped ", to->overflows,
                  " batches so far");
        to->last_overflow_log = now;
      }
      if (has_interest) {
        // A lost delta would leave the peer with a wrong view: make it resync.
        MLOG_WARN("queue of ", to->hello.peer_id(), " is full; dropping its stream");
        if (to->session) to->session->Close();
        if (to->client) {
          to->client->retire = true;
          upkeep_cv_.notify_all();
        }
      }
    }
    pending.Clear();
    packed.clear();
    // A queue past half its bound whose writes still complete belongs to a
    // slow peer: the sender waits for it. One that makes no progress is
    // stuck: its copies are dropped and the transport cuts it off.
    if (to->session != nullptr && sent &&
        to->session->queued_bytes() > options_.limits.max_bytes / 2 &&
        now - to->session->last_write() < kStuckAfter) {
      to->session->WatchDrain();
      congested = true;
    }
  }
  touched_.clear();
  return congested;
}

HubStats Hub::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace meridian::router
