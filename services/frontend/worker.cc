#include "services/frontend/worker.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "common/log/log.h"
#include "services/frontend/client.h"
#include "services/frontend/core.h"
#include "services/frontend/direct_get_cache.h"

namespace meridian::frontend {
namespace {

// Cross-loop delivery records: [cid u64][sub serial u64][sid,subject,reply,headers,payload as
// u32 len + bytes][last u8]. The subject is the one the client sees (a routed
// message's deliver_as): the receiving loop only writes, it does not match.
void PutU32(std::string* out, uint32_t v) { out->append(reinterpret_cast<const char*>(&v), 4); }
void PutU64(std::string* out, uint64_t v) { out->append(reinterpret_cast<const char*>(&v), 8); }
void PutBytes(std::string* out, std::string_view s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out->append(s.data(), s.size());
}
struct Reader {
  const char* p;
  uint64_t U64() {
    uint64_t v;
    std::memcpy(&v, p, 8);
    p += 8;
    return v;
  }
  std::string_view Bytes() {
    uint32_t n;
    std::memcpy(&n, p, 4);
    p += 4;
    std::string_view s(p, n);
    p += n;
    return s;
  }
};

}  // namespace

Worker::Worker(Core* core, uint32_t index)
    : core_(core),
      index_(index),
      settings_{core->options().limits, core->options().auth},
      read_buffer_(new char[kReadBufferSize]),
      cache_(&core->sublist()),
      rng_(0x9E3779B97F4A7C15ULL * (index + 1)),
      link_(core->router_link()),
      forward_(NewForwardBatch()),
      direct_get_(core->direct_get_cache()) {
  if (link_ != nullptr) remote_cache_ = std::make_unique<subjects::LocalMatchCache>(&link_->remote());
  uv_loop_t* loop = thread_.loop();
  uv_check_init(loop, &check_);
  check_.data = this;
  uv_prepare_init(loop, &prepare_);
  prepare_.data = this;
  uv_async_init(loop, &inbox_async_, [](uv_async_t* h) { static_cast<Worker*>(h->data)->DrainInbox(); });
  inbox_async_.data = this;
  uv_timer_init(loop, &tick_);
  tick_.data = this;
  uv_timer_init(loop, &stall_timer_);
  stall_timer_.data = this;
  if (link_ != nullptr && index_ == 0 && !core->options().router_thread) {
    link_driver_ = std::make_unique<LinkDriver>(
        loop, [](void* link, bool writable) { return static_cast<RouterLink*>(link)->Drive(writable); }, link_);
  }
}

Worker::~Worker() {
  for (RoutedBatch* b : routed_) DeleteRoutedBatch(b);
}

void Worker::Start() {
  outbox_.resize(core_->workers().size());
  thread_.Start([this] {
    if (link_driver_) link_driver_->Start();
    uv_check_start(&check_, [](uv_check_t* h) { static_cast<Worker*>(h->data)->OnCheck(); });
    uv_prepare_start(&prepare_, [](uv_prepare_t* h) { static_cast<Worker*>(h->data)->OnPrepare(); });
    uv_timer_start(&tick_, [](uv_timer_t* h) { static_cast<Worker*>(h->data)->OnTick(); }, 100, 100);
  });
}

void Worker::Stop() {
  thread_.Stop([this] {
    stopping_ = true;
    CloseAll();
    OnCheck();  // flush and close sockets
    uv_close(reinterpret_cast<uv_handle_t*>(&check_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&prepare_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&inbox_async_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&tick_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&stall_timer_), nullptr);
  });
  retired_.FreeAll();
}

void Worker::Adopt(int fd) {
  thread_.Post([this, fd] {
    if (stopping_) {
      ::close(fd);
      return;
    }
    uint64_t cid = core_->NextCid();
    auto* conn = new ClientConnection(this, cid, fd);
    {
      std::lock_guard<std::mutex> lock(conns_mu_);
      conns_[cid] = conn;
    }
    core_->num_connections().fetch_add(1);
    stats_.total_connections.Inc();
    if (!conn->Start()) {
      ::close(fd);
      Unregister(conn);
      delete conn;
    }
  });
}

void Worker::Unregister(ClientConnection* conn) {
  bool erased;
  {
    std::lock_guard<std::mutex> lock(conns_mu_);
    erased = conns_.erase(conn->cid()) > 0;
  }
  if (erased) core_->num_connections().fetch_sub(1);
}

void Worker::MarkDirty(ClientConnection* conn) {
  if (conn->dirty) return;
  conn->dirty = true;
  dirty_.push_back(conn);
}

void Worker::RetireSub(ClientSub* sub) {
  retired_.Add(core_->AdvanceEpoch(), sub);
}

size_t Worker::NextRandom(size_t n) {
  // xorshift
  rng_ ^= rng_ << 13;
  rng_ ^= rng_ >> 7;
  rng_ ^= rng_ << 17;
  return rng_ % n;
}

size_t Worker::Publish(const Message& msg, bool* stall) {
  const subjects::MatchResult& result = cache_.Match(msg.subject);
  size_t delivered = 0;
  for (subjects::Subscription* s : result.psubs) {
    auto* sub = static_cast<ClientSub*>(s);
    if (!msg.publisher_echo && sub->cid == msg.publisher_cid) continue;
    if (DeliverTo(sub, msg, stall)) ++delivered;
  }
  served_.clear();
  for (const subjects::QueueGroupMatch& group : result.qsubs) {
    size_t n = group.members.size();
    if (n == 0) continue;
    // A random start, then the first member that can take it.
    size_t start = NextRandom(n);
    for (size_t i = 0; i < n; ++i) {
      auto* sub = static_cast<ClientSub*>(group.members[(start + i) % n]);
      if (!msg.publisher_echo && sub->cid == msg.publisher_cid) continue;
      if (DeliverTo(sub, msg, stall)) {  // a member past its max passes it on
        ++delivered;
        served_.push_back(group.name);  // a local member is preferred
        break;
      }
    }
  }
  forwarded_last_ = link_ != nullptr && Forward(msg, served_, stall);
  if (forwarded_last_) ++delivered;
  return delivered;
}

bool Worker::OnlyJetStreamWants(std::string_view subject) {
  if (!cache_.Match(subject).empty() || !link_->connected()) return false;
  const subjects::MatchResult& remote = remote_cache_->Match(subject);
  return remote.qsubs.empty() && remote.psubs.size() == 1 &&
         remote.psubs[0]->subject == DirectGetCache::kApiInterest;
}

size_t Worker::PublishDirectGet(const Message& msg, std::string_view stream, bool may_answer,
                                bool* stall) {
  if (OnlyJetStreamWants(msg.subject)) {
    if (may_answer) {
      if (DirectGetCache::EntryPtr answer = direct_get_->Lookup(stream, msg.subject)) {
        // What meridian-jetstream would send, published to the reply subject.
        Message reply{.subject = msg.reply, .headers = answer->headers, .payload = answer->payload};
        (void)Publish(reply, stall);
        forwarded_last_ = false;
        return 1;
      }
    }
    direct_get_->ExpectReply(msg.reply, stream, msg.subject);
  }
  return Publish(msg, stall);
}

bool Worker::Forward(const Message& msg, absl::Span<const std::string_view> served, bool* stall) {
  if (!link_->HasRemoteInterest() || !link_->connected()) return false;
  const subjects::MatchResult& remote = remote_cache_->Match(msg.subject);
  bool wanted = !remote.psubs.empty();
  for (size_t g = 0; !wanted && g < remote.qsubs.size(); ++g) {
    const subjects::QueueGroupMatch& group = remote.qsubs[g];
    wanted = !group.members.empty() &&
             std::find(served.begin(), served.end(), group.name) == served.end();
  }
  if (!wanted) return false;
  link_->Append(forward_.get(), msg, served);
  if (RouterLink::Backlogged(forward_.get())) *stall = true;  // the router queue is full
  return true;
}

void Worker::DeliverRouted(std::string_view route_subject, const Message& msg,
                           absl::Span<const std::string_view> queues) {
  const subjects::MatchResult& result = cache_.Match(route_subject);
  bool stall = false;  // the router's stream is not paused for one consumer
  for (subjects::Subscription* s : result.psubs) {
    (void)DeliverTo(static_cast<ClientSub*>(s), msg, &stall);
  }
  if (queues.empty()) return;
  for (const subjects::QueueGroupMatch& group : result.qsubs) {
    size_t n = group.members.size();
    if (n == 0 || std::find(queues.begin(), queues.end(), group.name) == queues.end()) continue;
    size_t start = NextRandom(n);
    for (size_t i = 0; i < n; ++i) {
      if (DeliverTo(static_cast<ClientSub*>(group.members[(start + i) % n]), msg, &stall)) break;
    }
  }
}

void Worker::PostRouted(RoutedBatch* batch) {
  {
    std::lock_guard<std::mutex> lock(inbox_mu_);
    routed_.push_back(batch);
  }
  uv_async_send(&inbox_async_);
}

void Worker::FlushForward() {
  if (link_ != nullptr && !RouterLink::Empty(forward_.get())) (void)link_->Flush(forward_.get());
}

void Worker::Stall(ClientConnection* conn) {
  conn->PauseReading();
  stalled_.push_back(conn->cid());
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&stall_timer_))) {
    uv_timer_start(&stall_timer_, [](uv_timer_t* h) { static_cast<Worker*>(h->data)->OnStallTimer(); },
                   2, 0);
  }
}

void Worker::OnStallTimer() {
  std::vector<uint64_t> cids;
  cids.swap(stalled_);
  for (uint64_t cid : cids) {
    ClientConnection* conn = nullptr;
    {
      std::lock_guard<std::mutex> lock(conns_mu_);
      auto it = conns_.find(cid);
      if (it != conns_.end()) conn = it->second;
    }
    if (conn != nullptr) conn->ResumeReading();
  }
}

bool Worker::DeliverTo(ClientSub* sub, const Message& msg, bool* stall) {
  // Above 3/4 of max_pending the publisher is paused briefly, so a fast
  // producer does not push a slower consumer over the limit.
  if (sub->pending->load(std::memory_order_relaxed) * 4 > settings_.limits.max_pending * 3) {
    *stall = true;
  }
  // Every delivery counts: UNSUB with a max counts the earlier ones too.
  uint64_t n = sub->delivered.fetch_add(1, std::memory_order_relaxed) + 1;
  uint64_t max = sub->max.load(std::memory_order_relaxed);
  bool last = false;
  if (max > 0) {
    if (n > max) return false;
    last = n == max;
  }
  if (sub->worker == index_) {
    ClientConnection* conn = sub->conn();
    conn->QueueMsg(sub->sid, msg);
    if (last) conn->RemoveSub(sub->sid);
    return true;
  }
  AppendRemote(sub, msg, last);
  return true;
}

void Worker::AppendRemote(ClientSub* sub, const Message& msg, bool last) {
  std::string& out = outbox_[sub->worker];
  PutU64(&out, sub->cid);
  PutU64(&out, sub->serial);
  PutBytes(&out, sub->sid);
  PutBytes(&out, msg.subject);
  PutBytes(&out, msg.reply);
  PutBytes(&out, msg.headers);
  PutBytes(&out, msg.payload);
  out.push_back(static_cast<char>(last));
}

void Worker::DeliverRoutedNow(RoutedBatch* batch) {
  RouterLink::ForEachRouted(batch, this, [](void* ctx, std::string_view route_subject,
                                            const Message& msg,
                                            absl::Span<const std::string_view> queues) {
    static_cast<Worker*>(ctx)->DeliverRouted(route_subject, msg, queues);
  });
  DeleteRoutedBatch(batch);
}

void Worker::DrainInbox() {
  std::vector<std::string> batches;
  std::vector<RoutedBatch*> routed;
  {
    std::lock_guard<std::mutex> lock(inbox_mu_);
    batches.swap(inbox_);
    routed.swap(routed_);
  }
  for (RoutedBatch* batch : routed) DeliverRoutedNow(batch);
  for (const std::string& batch : batches) {
    Reader r{batch.data()};
    const char* end = batch.data() + batch.size();
    ClientConnection* conn = nullptr;
    uint64_t conn_cid = 0;
    while (r.p < end) {
      uint64_t cid = r.U64();
      uint64_t serial = r.U64();
      std::string_view sid = r.Bytes();
      Message msg;
      msg.subject = r.Bytes();
      msg.reply = r.Bytes();
      msg.headers = r.Bytes();
      msg.payload = r.Bytes();
      bool last = *r.p++ != 0;
      if (conn == nullptr || conn_cid != cid) {
        std::lock_guard<std::mutex> lock(conns_mu_);
        auto it = conns_.find(cid);
        conn = it == conns_.end() ? nullptr : it->second;
        conn_cid = cid;
      }
      if (conn == nullptr) continue;          // closed meanwhile
      if (!conn->HasSub(sid, serial)) continue;  // unsubscribed (or sid reused) meanwhile
      conn->QueueMsg(sid, msg);
      if (last) conn->RemoveSub(sid);
    }
  }
}

void Worker::SyncForPing() {
  FlushForward();
  HandOffBatches();
  DrainInbox();
}

void Worker::OnCheck() {
  // Bounded: a router link driven here delivers inline what it reads while
  // sending what this turn forwarded; that needs another flush.
  for (int pass = 0; pass < 4; ++pass) {
    // Flush every connection written to during this turn: one writev each.
    for (size_t i = 0; i < dirty_.size(); ++i) dirty_[i]->Flush();
    dirty_.clear();
    HandOffBatches();
    FlushForward();
    if (!link_driver_ || !link_driver_->EndOfTurn()) break;
  }
  if (link_driver_) link_driver_->AfterTurn();
}

void Worker::HandOffBatches() {
  // Hand each batch to its loop: one lock and one wake-up per batch.
  for (size_t w = 0; w < outbox_.size(); ++w) {
    if (outbox_[w].empty()) continue;
    Worker* dst = core_->workers()[w].get();
    {
      std::lock_guard<std::mutex> lock(dst->inbox_mu_);
      dst->inbox_.push_back(std::move(outbox_[w]));
    }
    outbox_[w] = std::string();
    uv_async_send(&dst->inbox_async_);
  }
}

void Worker::OnPrepare() {
  // A quiescent point: no match result of this loop is in use.
  cache_.Quiesce();
  if (remote_cache_) remote_cache_->Quiesce();
  seen_epoch_.store(core_->epoch(), std::memory_order_release);
  if (!retired_.empty()) retired_.FreeUpTo(core_->SafeEpoch());
}

void Worker::OnTick() {
  absl::Time now = absl::Now();
  if (link_ != nullptr && index_ == 0) link_->Tick();
  std::vector<ClientConnection*> conns;
  {
    std::lock_guard<std::mutex> lock(conns_mu_);
    conns.reserve(conns_.size());
    for (auto& [cid, conn] : conns_) conns.push_back(conn);
  }
  for (ClientConnection* c : conns) c->Tick(now);
  if (now >= ldm_close_start_ && !conns.empty()) {
    // Spread the closes evenly over what is left of the lame duck duration.
    absl::Duration left = std::max(ldm_close_end_ - now, absl::Milliseconds(100));
    size_t n = static_cast<size_t>(std::ceil(static_cast<double>(conns.size()) *
                                             absl::FDivDuration(absl::Milliseconds(100), left)));
    for (size_t i = 0; i < n && i < conns.size(); ++i) conns[i]->Close("Server Shutdown");
  }
  if (now >= ldm_close_start_) core_->CheckLameDuckDone();
}

std::vector<ConnSnapshot> Worker::SnapshotConnections(bool with_subs) {
  std::vector<ClientConnection*> conns;
  {
    std::lock_guard<std::mutex> lock(conns_mu_);
    for (auto& [cid, conn] : conns_) conns.push_back(conn);
  }
  std::vector<ConnSnapshot> out;
  out.reserve(conns.size());
  for (ClientConnection* c : conns) out.push_back(c->Snapshot(with_subs));
  return out;
}

void Worker::CloseAll() {
  std::vector<ClientConnection*> conns;
  {
    std::lock_guard<std::mutex> lock(conns_mu_);
    for (auto& [cid, conn] : conns_) conns.push_back(conn);
  }
  for (ClientConnection* c : conns) c->Close("Server Shutdown");
}

void Worker::SendInfoToAll() {
  std::vector<ClientConnection*> conns;
  {
    std::lock_guard<std::mutex> lock(conns_mu_);
    for (auto& [cid, conn] : conns_) conns.push_back(conn);
  }
  for (ClientConnection* c : conns) c->SendAsyncInfo();
}

void Worker::LameDuck(absl::Duration grace, absl::Duration duration) {
  SendInfoToAll();
  ldm_close_start_ = absl::Now() + grace;
  ldm_close_end_ = ldm_close_start_ + duration;
}

}  // namespace meridian::frontend
