#include "services/frontend/router_link.h"

#include <algorithm>
#include <future>

#include "absl/hash/hash.h"
#include "common/log/log.h"
#include "meridian/router/v1/router.pb.h"
#include "services/frontend/core.h"
#include "services/frontend/direct_get_cache.h"
#include "services/frontend/link_driver.h"
#include "services/frontend/worker.h"
#include "services/router/transport/attach_client.h"
#include "services/router/transport/packed.h"

namespace meridian::frontend {
namespace {

using router::v1::Frame;

constexpr std::string_view kAccount = "$G";  // accounts come with the auth issue
// A refused batch beyond this many bytes pauses the loop's publishers.
constexpr size_t kBacklogBytes = 1 << 20;

std::string Key(std::string_view subject, std::string_view queue) {
  std::string key;
  key.reserve(subject.size() + 1 + queue.size());
  key.append(subject).push_back('\0');
  key.append(queue);
  return key;
}

}  // namespace

struct ForwardBatch {
  std::string packed;  // router::AppendPacked records
  uint64_t messages = 0;
};

struct RoutedBatch {
  Frame frame;         // messages sent unpacked (none from Meridian's router)
  std::string packed;  // router::AppendPacked records
};

std::unique_ptr<ForwardBatch, void (*)(ForwardBatch*)> NewForwardBatch() {
  return {new ForwardBatch, [](ForwardBatch* b) { delete b; }};
}

void DeleteRoutedBatch(RoutedBatch* batch) { delete batch; }

RouterLink::RouterLink(Core* core, std::vector<std::string> targets)
    : core_(core), targets_(std::move(targets)) {}

RouterLink::~RouterLink() {
  Stop();
  for (auto& [key, sub] : remote_subs_) (void)remote_.Remove(sub.get());
  std::lock_guard<std::mutex> lock(retired_mu_);
  retired_.FreeAll();
}

void RouterLink::Start(std::string client_url, LinkDriver* driver) {
  client_url_ = std::move(client_url);
  driver_ = driver;
  router::AttachClientOptions o;
  o.target = targets_.front();
  o.fallback_targets.assign(targets_.begin() + 1, targets_.end());
  o.hello.set_peer_id(core_->options().server_id);
  o.hello.set_peer_name(core_->options().server_name);
  o.hello.set_kind(router::v1::PEER_KIND_FRONTEND);
  o.hello.set_protocol_version(1);
  o.hello.add_client_urls(client_url_);
  o.driver = driver_;
  o.on_connected = [this](bool, const router::v1::Hello& hello) { OnConnected(&hello); };
  o.on_frame = [this](Frame& frame) { OnFrame(&frame); };
  o.on_disconnected = [this](const absl::Status& status) {
    MLOG_WARN("router link lost (", status.message(), "); reconnecting");
    OnDisconnected();
  };
  // Kept before connecting: the callbacks use client_.
  client_ = router::AttachClient::Create(std::move(o));
  client_->Connect();
}

bool RouterLink::WaitInitialView(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(view_mu_);
  return view_cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [this] { return initial_view_; });
}

void RouterLink::Stop() {
  if (driver_ != nullptr && !driver_detached_) {
    // Loop 0 stops driving first; the client's Stop then ends the stream here.
    driver_detached_ = true;
    std::promise<void> detached;
    LinkDriver* driver = driver_;
    core_->workers()[0]->thread().Post([driver, &detached] {
      driver->Detach();
      detached.set_value();
    });
    detached.get_future().wait();
  }
  if (client_) client_->Stop();
}

bool RouterLink::Drive(bool writable) { return client_->Drive(writable); }

// --- Local interest ---

void RouterLink::AddInterest(std::string_view subject, std::string_view queue) {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t& count = local_[Key(subject, queue)].count;
  ++count;
  // Plain interest is all-or-nothing for the others; a group's weight counts.
  if (!queue.empty() || count == 1) SendDelta(subject, queue, 1);
}

void RouterLink::RemoveInterest(absl::Span<const subjects::Subscription* const> subs) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const subjects::Subscription* s : subs) {
    auto it = local_.find(Key(s->subject, s->queue));
    if (it == local_.end()) continue;
    int64_t count = --it->second.count;
    if (count <= 0) local_.erase(it);
    if (!s->queue.empty() || count == 0) SendDelta(s->subject, s->queue, -1);
  }
}

void RouterLink::SendDelta(std::string_view subject, std::string_view queue, int32_t count) {
  if (!connected() || resync_needed_) return;  // the (re)sync sends the whole set
  const bool queued = client_->Enqueue([&](Frame* f) {
    router::v1::InterestDelta* d = f->add_interest();
    d->set_account(kAccount.data(), kAccount.size());
    d->set_subject(subject.data(), subject.size());
    d->set_queue(queue.data(), queue.size());
    d->set_count(count);
  });
  if (!queued) resync_needed_ = true;  // a lost delta: send the whole set later
}

void RouterLink::SendFullInterest() {
  Frame frame;
  frame.set_interest_reset(true);
  for (const auto& [key, interest] : local_) {
    size_t nul = key.find('\0');
    std::string_view queue = std::string_view(key).substr(nul + 1);
    router::v1::InterestDelta* d = frame.add_interest();
    d->set_account(kAccount.data(), kAccount.size());
    d->set_subject(key.data(), nul);
    d->set_queue(queue.data(), queue.size());
    // The router wants 0/1 for plain interest views; counting members of a
    // group gives it the group's weight.
    d->set_count(queue.empty() ? 1 : static_cast<int32_t>(interest.count));
  }
  if (core_->direct_get_cache() != nullptr) {
    router::v1::InterestDelta* d = frame.add_interest();
    d->set_account(std::string(DirectGetCache::kAccount));
    d->set_subject(std::string(DirectGetCache::kInvalidationInterest));
    d->set_count(1);
  }
  resync_needed_ = !client_->Enqueue(frame);
  if (!resync_needed_) resyncs_.fetch_add(1, std::memory_order_relaxed);
}

void RouterLink::Tick() {
  FreeRetired();
  std::lock_guard<std::mutex> lock(mu_);
  if (resync_needed_ && connected()) SendFullInterest();
}

// --- Router events (transport thread) ---

void RouterLink::OnConnected(const void* raw_hello) {
  const auto& hello = *static_cast<const router::v1::Hello*>(raw_hello);
  {
    std::lock_guard<std::mutex> lock(mu_);
    router_id_ = hello.peer_id();
    router_name_ = hello.peer_name();
    connected_.store(true, std::memory_order_release);
    SendFullInterest();
  }
  // Invalidations sent while detached are lost: start empty.
  if (DirectGetCache* dg = core_->direct_get_cache()) dg->Reset();
  SendClusterInfo();
  MLOG_INFO("attached to router ", client_->current_target());
}

void RouterLink::SendClusterInfo() {
  Frame frame;
  frame.mutable_cluster()->add_client_urls(client_url_);
  (void)client_->Enqueue(frame);
}

void RouterLink::OnDisconnected() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    connected_.store(false, std::memory_order_release);
    resync_needed_ = false;
  }
  // The next router sends its whole view again.
  ClearRemote();
  if (DirectGetCache* dg = core_->direct_get_cache()) dg->Reset();
}

void RouterLink::OnFrame(void* raw) {
  Frame& frame = *static_cast<Frame*>(raw);
  if (frame.has_cluster()) {
    std::vector<std::string> urls(frame.cluster().client_urls().begin(),
                                  frame.cluster().client_urls().end());
    std::sort(urls.begin(), urls.end());
    urls.erase(std::unique(urls.begin(), urls.end()), urls.end());
    // Alone, a frontend advertises nothing (as a nats-server without routes).
    if (urls.size() == 1 && urls[0] == client_url_) urls.clear();
    bool changed;
    {
      std::lock_guard<std::mutex> lock(mu_);
      changed = urls != connect_urls_;
      connect_urls_ = std::move(urls);
    }
    // Clients learn the new server list as from nats-server: an INFO update.
    if (changed) {
      for (auto& w : core_->workers()) {
        Worker* worker = w.get();
        worker->thread().Post([worker] { worker->SendInfoToAll(); });
      }
    }
  }
  ApplyRemoteInterest(raw);
  if (frame.has_cluster()) {
    // The router sends its cluster info after the snapshot of the others'
    // interest: the initial view is complete.
    std::lock_guard<std::mutex> lock(view_mu_);
    if (!initial_view_) {
      initial_view_ = true;
      view_cv_.notify_all();
    }
  }
  if (frame.messages().empty() && frame.packed().empty()) return;
  // Per-publisher order: every message of one origin goes to the same loop.
  auto& workers = core_->workers();
  const size_t n = workers.size();
  std::vector<RoutedBatch*> batches(n, nullptr);
  auto batch_for = [&](std::string_view origin) {
    size_t w = n == 1 ? 0 : absl::HashOf(origin) % n;
    if (batches[w] == nullptr) batches[w] = new RoutedBatch;
    return batches[w];
  };
  uint64_t count = frame.messages_size();
  for (router::v1::Message& m : *frame.mutable_messages()) {
    batch_for(m.origin_peer())->frame.add_messages()->Swap(&m);  // taken, not copied
  }
  if (!frame.packed().empty()) {
    // Find where each record goes; one loop for all (the usual case) takes
    // the whole buffer without a copy.
    std::string_view in = frame.packed();
    router::PackedMessage m;
    bool malformed = false;
    RoutedBatch* only = nullptr;
    bool mixed = false;
    bool internal = false;  // records for this frontend itself, not for clients
    size_t records = 0;
    DirectGetCache* dg = core_->direct_get_cache();
    for (std::string_view rest = in; router::NextPacked(&rest, &m, &malformed);) {
      if (m.account != kAccount) {
        // Applied here, before any later message of the frame reaches a
        // client (an invalidation precedes the ack of the change).
        if (dg != nullptr && m.account == DirectGetCache::kAccount) dg->OnInternal(m.subject);
        internal = true;
        continue;
      }
      if (dg != nullptr && dg->Expecting()) dg->OnRouted(m.subject, m.headers, m.payload);
      RoutedBatch* b = batch_for(m.origin);
      mixed |= only != nullptr && b != only;
      only = b;
      ++records;
    }
    if (malformed) MLOG_WARN("router sent a malformed packed message batch; dropped its tail");
    if (!mixed && !internal && only != nullptr && only->packed.empty() && !malformed) {
      only->packed.swap(*frame.mutable_packed());
    } else {
      for (std::string_view rest = in; router::NextPacked(&rest, &m, &malformed);) {
        if (m.account != kAccount) continue;
        std::vector<std::string_view> queues;
        m.Queues(&queues);
        router::AppendPacked(&batch_for(m.origin)->packed, m, queues);  // keeps deliver_as
      }
    }
    count += records;
  }
  routed_in_.fetch_add(count, std::memory_order_relaxed);
  for (size_t w = 0; w < n; ++w) {
    if (batches[w] == nullptr) continue;
    // Driven by loop 0: its own share is delivered now, in this turn (all
    // of loop 0's batches come this way, so their order holds).
    if (w == 0 && driver_ != nullptr && driver_->OnLoopThread()) {
      workers[0]->DeliverRoutedNow(batches[0]);
    } else {
      workers[w]->PostRouted(batches[w]);
    }
  }
}

void RouterLink::ApplyRemoteInterest(const void* raw) {
  const Frame& frame = *static_cast<const Frame*>(raw);
  DirectGetCache* dg = core_->direct_get_cache();
  for (const router::v1::InterestDelta& d : frame.interest()) {
    if (d.account() == DirectGetCache::kAccount) continue;  // the other frontends' caches
    // meridian-jetstream came, went or reattached: what it sent meanwhile
    // (invalidations) may be lost.
    if (dg != nullptr && d.subject() == DirectGetCache::kApiInterest) dg->Reset();
    if (d.account() != kAccount) {
      // Accounts come with the auth issue; until then nothing else should
      // arrive. Say so once rather than ignore it silently.
      static std::atomic<bool> warned{false};
      if (!warned.exchange(true)) {
        MLOG_WARN("router sent interest for account '", d.account(),
                  "'; this frontend serves only $G until accounts are supported, ignoring it");
      }
      continue;
    }
    std::string key = Key(d.subject(), d.queue());
    auto it = remote_subs_.find(key);
    if (it == remote_subs_.end()) {
      if (d.count() <= 0) continue;
      auto sub = std::make_unique<RemoteSub>();
      sub->subject = d.subject();
      sub->queue = d.queue();
      sub->count = d.count();
      if (remote_.Insert(sub.get()) != subjects::SublistError::kOk) {
        MLOG_WARN("router sent interest on an invalid subject: ", d.subject());
        continue;
      }
      remote_subs_.emplace(std::move(key), std::move(sub));
      remote_entries_.store(remote_subs_.size(), std::memory_order_relaxed);
      continue;
    }
    RemoteSub* sub = it->second.get();
    if (sub->count.fetch_add(d.count(), std::memory_order_relaxed) + d.count() <= 0) {
      (void)remote_.Remove(sub);
      RetireRemote(it->second.release());
      remote_subs_.erase(it);
      remote_entries_.store(remote_subs_.size(), std::memory_order_relaxed);
    }
  }
}

void RouterLink::ClearRemote() {
  std::vector<subjects::Subscription*> all;
  for (auto& [key, sub] : remote_subs_) all.push_back(sub.get());
  (void)remote_.RemoveBatch(all);
  for (auto& [key, sub] : remote_subs_) RetireRemote(sub.release());
  remote_subs_.clear();
  remote_entries_.store(0, std::memory_order_relaxed);
}

void RouterLink::RetireRemote(RemoteSub* sub) {
  // Loops may still hold it in a match result until their next quiescent
  // point: freed once every loop has passed one (the core's epochs).
  std::lock_guard<std::mutex> lock(retired_mu_);
  retired_.Add(core_->AdvanceEpoch(), sub);
}

void RouterLink::FreeRetired() {
  std::lock_guard<std::mutex> lock(retired_mu_);
  if (!retired_.empty()) retired_.FreeUpTo(core_->SafeEpoch());
}

// --- Messages (loop threads) ---

void RouterLink::Append(ForwardBatch* batch, const Message& msg,
                        absl::Span<const std::string_view> served) {
  router::PackedMessage m;
  m.account = kAccount;
  m.subject = msg.subject;
  m.reply = msg.reply;
  m.headers = msg.headers;
  m.payload = msg.payload;  // never a deliver_as: clients see what they published
  router::AppendPacked(&batch->packed, m, served);
  ++batch->messages;
}

bool RouterLink::Flush(ForwardBatch* batch) {
  if (batch->packed.empty()) return true;
  if (!connected()) {
    batch->packed.clear();  // at most once, as in NATS: lost while detached
    batch->messages = 0;
    return true;
  }
  // Copied, not swapped: a refused Enqueue discards what `build` added, and
  // the batch must still hold it for the next try.
  const bool queued =
      client_->Enqueue([batch](Frame* f) { f->mutable_packed()->append(batch->packed); });
  if (!queued) {
    forward_refused_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  forwarded_.fetch_add(batch->messages, std::memory_order_relaxed);
  batch->packed.clear();
  batch->messages = 0;
  return true;
}

bool RouterLink::Backlogged(const ForwardBatch* batch) { return batch->packed.size() > kBacklogBytes; }
bool RouterLink::Empty(const ForwardBatch* batch) { return batch->packed.empty(); }

void RouterLink::ForEachRouted(RoutedBatch* batch, void* ctx, DeliverFn deliver) {
  std::vector<std::string_view> queues;
  for (const router::v1::Message& m : batch->frame.messages()) {
    queues.assign(m.queues().begin(), m.queues().end());
    Message msg{.subject = m.subject(), .reply = m.reply(), .headers = m.headers(),
                .payload = m.payload(), .publisher_cid = 0, .publisher_echo = true};
    deliver(ctx, msg.subject, msg, queues);
  }
  std::string_view in = batch->packed;
  router::PackedMessage m;
  bool malformed = false;
  while (router::NextPacked(&in, &m, &malformed)) {
    queues.clear();
    m.Queues(&queues);
    Message msg{.subject = m.deliver_as.empty() ? m.subject : m.deliver_as,
                .reply = m.reply, .headers = m.headers, .payload = m.payload,
                .publisher_cid = 0, .publisher_echo = true};
    deliver(ctx, m.subject, msg, queues);
  }
}

std::vector<std::string> RouterLink::ConnectUrls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return connect_urls_;
}

RouterLink::RouterInfo RouterLink::Info() const {
  RouterInfo info;
  info.connected = connected();
  info.target = client_ ? client_->current_target() : targets_.front();
  info.remote_interest = static_cast<int64_t>(remote_entries_.load(std::memory_order_relaxed));
  std::lock_guard<std::mutex> lock(mu_);
  info.id = router_id_;
  info.name = router_name_;
  return info;
}

RouterLinkStats RouterLink::stats() const {
  RouterLinkStats s;
  s.forwarded = forwarded_.load(std::memory_order_relaxed);
  s.forward_refused = forward_refused_.load(std::memory_order_relaxed);
  s.routed_in = routed_in_.load(std::memory_order_relaxed);
  s.resyncs = resyncs_.load(std::memory_order_relaxed);
  s.connects = client_ ? client_->connects() : 0;
  return s;
}

}  // namespace meridian::frontend
