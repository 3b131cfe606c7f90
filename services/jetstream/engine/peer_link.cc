#include "services/jetstream/engine/peer_link.h"

#include "common/log/log.h"
#include "meridian/router/v1/router.pb.h"
#include "services/router/transport/attach_client.h"

namespace meridian::jetstream {

using router::v1::Frame;

constexpr std::string_view kAccount = "$G";  // accounts come with the auth issue

struct PeerLink::Inbox {
  mutable std::mutex mu;
  // A connect marker is a null entry, so it keeps its place among Frames.
  std::vector<std::unique_ptr<Frame>> frames ABSL_GUARDED_BY(mu);
  std::vector<std::unique_ptr<Frame>> spare ABSL_GUARDED_BY(mu);
};

PeerLink::PeerLink(PeerLinkOptions options, std::function<void()> wake, router::AttachDriver* driver)
    : options_(std::move(options)), wake_(std::move(wake)), driver_(driver), inbox_(std::make_unique<Inbox>()) {}

PeerLink::~PeerLink() { Stop(); }

void PeerLink::Start() {
  router::AttachClientOptions o;
  o.target = options_.targets.front();
  o.fallback_targets.assign(options_.targets.begin() + 1, options_.targets.end());
  o.hello.set_peer_id(options_.peer_id);
  o.hello.set_peer_name(options_.peer_name);
  o.hello.set_kind(router::v1::PEER_KIND_JETSTREAM);
  o.hello.set_protocol_version(1);
  o.limits.max_bytes = 32 << 20;
  o.driver = driver_;
  o.on_connected = [this](bool, const router::v1::Hello&) {
    {
      std::lock_guard<std::mutex> lock(inbox_->mu);
      inbox_->frames.push_back(nullptr);
    }
    MLOG_INFO("attached to router ", client_->current_target());
    wake_();
  };
  o.on_frame = [this](Frame& frame) {
    {
      std::lock_guard<std::mutex> lock(inbox_->mu);
      std::unique_ptr<Frame> f;
      if (!inbox_->spare.empty()) {
        f = std::move(inbox_->spare.back());
        inbox_->spare.pop_back();
      } else {
        f = std::make_unique<Frame>();
      }
      f->Swap(&frame);
      inbox_->frames.push_back(std::move(f));
    }
    wake_();
  };
  o.on_disconnected = [](const absl::Status& status) {
    MLOG_WARN("router link lost (", status.message(), "); reconnecting");
  };
  // Kept before connecting: the callbacks use client_.
  client_ = router::AttachClient::Create(std::move(o));
  client_->Connect();
}

void PeerLink::Stop() {
  if (client_) client_->Stop();
}

bool PeerLink::Drive(bool writable) { return client_->Drive(writable); }

bool PeerLink::Drain(PeerVisitor& visitor) {
  std::vector<std::unique_ptr<Frame>> frames;
  {
    std::lock_guard<std::mutex> lock(inbox_->mu);
    frames.swap(inbox_->frames);
  }
  if (frames.empty()) return false;
  for (auto& f : frames) {
    if (f == nullptr) {
      visitor.OnRemoteInterestReset();
      visitor.OnAttached();
      continue;
    }
    if (f->interest_reset()) visitor.OnRemoteInterestReset();
    for (const auto& d : f->interest()) {
      if (d.account() != kAccount) continue;
      visitor.OnRemoteInterest(d.subject(), d.queue(), d.count());
    }
    for (const auto& m : f->messages()) {
      if (m.account() != kAccount) continue;
      router::PackedMessage pm;
      pm.account = m.account();
      pm.subject = m.subject();
      pm.reply = m.reply();
      pm.headers = m.headers();
      pm.payload = m.payload();
      pm.origin = m.origin_peer();
      visitor.OnMessage(pm);
    }
    std::string_view in = f->packed();
    router::PackedMessage pm;
    bool malformed = false;
    while (router::NextPacked(&in, &pm, &malformed)) {
      if (pm.account != kAccount) continue;
      visitor.OnMessage(pm);
    }
    if (malformed) MLOG_WARN("malformed packed record from the router; rest of frame dropped");
  }
  std::lock_guard<std::mutex> lock(inbox_->mu);
  for (auto& f : frames) {
    if (f == nullptr || inbox_->spare.size() >= 64) continue;
    f->Clear();
    inbox_->spare.push_back(std::move(f));
  }
  return true;
}

bool PeerLink::SendPacked(const std::string& packed) {
  return client_->Enqueue([&](Frame* f) { f->mutable_packed()->append(packed); });
}

bool PeerLink::SendInterestReset(const std::vector<std::string>& subjects) {
  Frame frame;
  frame.set_interest_reset(true);
  for (const auto& s : subjects) {
    auto* d = frame.add_interest();
    d->set_account(std::string(kAccount));
    d->set_subject(s);
    d->set_count(1);
  }
  return client_->Enqueue(frame);
}

bool PeerLink::SendInterest(std::string_view subject, int32_t delta) {
  return client_->Enqueue([&](Frame* f) {
    auto* d = f->add_interest();
    d->set_account(std::string(kAccount));
    d->set_subject(std::string(subject));
    d->set_count(delta);
  });
}

bool PeerLink::connected() const { return client_ && client_->connected(); }
void PeerLink::PauseReads() { client_->PauseReads(); }
void PeerLink::ResumeReads() { client_->ResumeReads(); }

}  // namespace meridian::jetstream
