#include "services/router/transport/attach_client.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "common/rpc/rpc.h"
#include "grpcpp/grpcpp.h"
#include "meridian/router/v1/router.grpc.pb.h"
#include "services/router/transport/wake_alarm.h"

namespace meridian::router {

using ::meridian::router::v1::Frame;

class AttachClient::Impl {
 public:
  explicit Impl(AttachClientOptions options)
      : options_(std::move(options)),
        targets_(TargetsOf(options_)),
        stubs_(targets_.size()),
        outbox_(options_.limits),
        backoff_(options_.initial_backoff) {}

  void StartThread() {
    thread_ = std::thread([this] { Run(); });
  }

  void Stop() {
    std::lock_guard<std::mutex> lock(stop_mu_);
    if (!thread_.joinable()) return;
    stop_requested_.store(true);
    wake_.Wake();
    thread_.join();
  }

  bool Enqueue(const Frame& frame) { return outbox_.Enqueue(frame); }
  bool Enqueue(absl::FunctionRef<void(Frame*)> build) { return outbox_.Enqueue(build); }
  void PauseReads() { paused_.store(true); }
  void ResumeReads() {
    if (paused_.exchange(false)) wake_.Wake();
  }
  bool reads_paused() const { return paused_.load(); }
  bool connected() const { return connected_.load(); }
  uint64_t connects() const { return connects_.load(); }
  TransportStats stats() const { return outbox_.stats(); }
  const std::string& target() const { return options_.target; }
  std::string current_target() const { return targets_[current_.load()]; }

 private:
  enum Kind : intptr_t { kStart = 1, kRead, kWrite, kFinish, kWake, kBackoff };
  static void* TagOf(Kind kind) { return reinterpret_cast<void*>(static_cast<intptr_t>(kind)); }

  // One stream (connection attempt). Its ops all complete before it dies.
  struct Attempt : OutboxWaker {
    explicit Attempt(Impl* impl) : impl(impl) {}
    void Wake() override { impl->wake_.Wake(); }
    void Cancel() override { context.TryCancel(); }

    Impl* const impl;
    grpc::ClientContext context;
    std::unique_ptr<grpc::ClientAsyncReaderWriter<Frame, Frame>> stream;
    Frame in;
    Frame hello_frame;
    std::unique_ptr<Frame> writing;  // from the Outbox, while its write is in flight
    bool start_pending = false;
    bool read_pending = false;
    bool read_deferred = false;  // reads paused: the next Read waits for a wake
    bool write_pending = false;
    bool finish_pending = false;
    bool established = false;  // the router's Hello arrived
    bool failing = false;
    grpc::Status local_status;  // why we ended it, when we did
    grpc::Status status;        // from Finish
  };

  void Run() {
    Connect();
    void* tag = nullptr;
    bool ok = false;
    while (cq_.Next(&tag, &ok)) {
      Handle(static_cast<Kind>(reinterpret_cast<intptr_t>(tag)), ok);
    }
  }

  // [target, fallback_targets...] without empty entries (never empty: a
  // client with an empty target keeps failing, as before).
  static std::vector<std::string> TargetsOf(const AttachClientOptions& options) {
    std::vector<std::string> targets = {options.target};
    for (const std::string& target : options.fallback_targets) {
      if (!target.empty()) targets.push_back(target);
    }
    return targets;
  }

  // The stub of the current target. Channels are created on first use and
  // kept: a channel remembers its connection (and its reconnect backoff), so
  // coming back to a target round robin does not start from scratch.
  v1::Router::Stub* CurrentStub() {
    const size_t index = current_.load();
    if (stubs_[index] == nullptr) {
      stubs_[index] = v1::Router::NewStub(rpc::MakeChannel(targets_[index]));
    }
    return stubs_[index].get();
  }

  void Connect() {
    attempt_ = std::make_unique<Attempt>(this);
    Attempt& a = *attempt_;
    a.stream = CurrentStub()->PrepareAsyncAttach(&a.context, &cq_);
    a.start_pending = true;
    a.stream->StartCall(TagOf(kStart));
  }

  void Handle(Kind kind, bool ok) {
    switch (kind) {
      case kStart: OnStart(ok); break;
      case kRead: OnRead(ok); break;
      case kWrite: OnWrite(ok); break;
      case kFinish: OnFinish(); break;
      case kWake:
        wake_.Fired();
        if (stop_requested_.load() && !stopping_) {
          BeginStop();
        } else if (attempt_ != nullptr && attempt_->established && !attempt_->failing) {
          StartNextWrite();
          if (attempt_->read_deferred && !paused_.load()) {  // resumed
            attempt_->read_deferred = false;
            attempt_->read_pending = true;
            attempt_->stream->Read(&attempt_->in, TagOf(kRead));
          }
        }
        break;
      case kBackoff:
        backoff_armed_ = false;
        if (!stopping_) Connect();
        break;
    }
    MaybeShutdown();
  }

  void OnStart(bool ok) {
    Attempt& a = *attempt_;
    a.start_pending = false;
    if (!ok) return Fail(/*cancel=*/false);
    a.hello_frame.mutable_hello()->CopyFrom(options_.hello);
    a.hello_frame.mutable_hello()->set_resync_requested(false);
    a.write_pending = true;
    a.stream->Write(a.hello_frame, TagOf(kWrite));
    a.read_pending = true;
    a.stream->Read(&a.in, TagOf(kRead));
  }

  void OnRead(bool ok) {
    Attempt& a = *attempt_;
    a.read_pending = false;
    if (!ok) return Fail(/*cancel=*/false);  // the router ended the stream
    if (a.failing) return MaybeFinish();
    outbox_.CountReceived(a.in);
    if (!a.established) {
      if (!a.in.has_hello()) {
        a.local_status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                      "router's first frame must carry hello");
        return Fail(/*cancel=*/true);
      }
      a.established = true;
      backoff_ = options_.initial_backoff;
      connects_.fetch_add(1);
      connected_.store(true);
      outbox_.Open(&a);
      if (options_.on_connected) {
        options_.on_connected(a.in.hello().resync_requested(), a.in.hello());
      }
      if ((a.in.messages_size() > 0 || a.in.interest_size() > 0 || a.in.interest_reset()) &&
          options_.on_frame) {
        options_.on_frame(a.in);
      }
    } else if (options_.on_frame) {
      options_.on_frame(a.in);
    }
    if (a.failing) return MaybeFinish();
    if (paused_.load()) {
      a.read_deferred = true;  // ResumeReads wakes us to read again
      return;
    }
    a.read_pending = true;
    a.stream->Read(&a.in, TagOf(kRead));
  }

  void OnWrite(bool ok) {
    Attempt& a = *attempt_;
    a.write_pending = false;
    if (a.writing != nullptr) outbox_.Recycle(std::move(a.writing));
    if (!ok) return Fail(/*cancel=*/true);
    if (a.failing) return MaybeFinish();
    if (a.established) StartNextWrite();
  }

  void StartNextWrite() {
    Attempt& a = *attempt_;
    if (a.write_pending) return;
    std::unique_ptr<Frame> next = outbox_.TakeNext();
    if (next == nullptr) return;
    a.writing = std::move(next);
    a.write_pending = true;
    a.stream->Write(*a.writing, TagOf(kWrite));
  }

  // The stream is over: stop sending, let the pending ops complete, Finish.
  void Fail(bool cancel) {
    Attempt& a = *attempt_;
    if (!a.failing) {
      a.failing = true;
      if (a.established) {
        outbox_.Close();  // after this the Outbox never touches `a`
        connected_.store(false);
      }
      if (cancel) a.context.TryCancel();
    }
    MaybeFinish();
  }

  void MaybeFinish() {
    Attempt& a = *attempt_;
    if (!a.failing || a.start_pending || a.read_pending || a.write_pending || a.finish_pending) {
      return;
    }
    a.finish_pending = true;
    a.stream->Finish(&a.status, TagOf(kFinish));
  }

  void OnFinish() {
    std::unique_ptr<Attempt> a = std::move(attempt_);
    const bool was_established = a->established;
    const grpc::Status status = a->local_status.ok() ? a->status : a->local_status;
    a.reset();
    if (was_established && options_.on_disconnected) {
      options_.on_disconnected(status.ok() ? absl::UnavailableError("attach stream ended")
                                           : rpc::FromGrpc(status));
    }
    if (stopping_) return;
    // Failover: the attempt failed or the stream broke, so this router may be
    // gone; the next one is tried after the same backoff.
    current_.store((current_.load() + 1) % targets_.size());
    backoff_armed_ = true;
    backoff_alarm_.Set(&cq_,
                       gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                                    gpr_time_from_millis(absl::ToInt64Milliseconds(backoff_),
                                                         GPR_TIMESPAN)),
                       TagOf(kBackoff));
    backoff_ = std::min(backoff_ * 2, options_.max_backoff);
  }

  void BeginStop() {
    stopping_ = true;
    if (attempt_ != nullptr) {
      if (attempt_->local_status.ok()) {
        attempt_->local_status = grpc::Status(grpc::StatusCode::CANCELLED, "client stopped");
      }
      Fail(/*cancel=*/true);
    }
    if (backoff_armed_) backoff_alarm_.Cancel();  // fires at once with ok=false
  }

  void MaybeShutdown() {
    if (!stopping_ || cq_shut_down_ || attempt_ != nullptr || backoff_armed_) return;
    if (wake_.Close()) return;  // a wake-up is still on its way
    cq_shut_down_ = true;
    cq_.Shutdown();
  }

  const AttachClientOptions options_;
  const std::vector<std::string> targets_;  // [target, fallback_targets...]
  grpc::CompletionQueue cq_;
  internal::WakeAlarm wake_{&cq_, TagOf(kWake)};
  grpc::Alarm backoff_alarm_;
  // One per target, created on first use (transport thread only).
  std::vector<std::unique_ptr<v1::Router::Stub>> stubs_;
  Outbox outbox_;
  std::thread thread_;
  std::mutex stop_mu_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> paused_{false};
  std::atomic<bool> connected_{false};
  std::atomic<uint64_t> connects_{0};
  // Index in targets_ of the current target; written by the transport
  // thread only, atomic for current_target().
  std::atomic<size_t> current_{0};

  // Transport thread only.
  std::unique_ptr<Attempt> attempt_;
  absl::Duration backoff_;
  bool backoff_armed_ = false;
  bool stopping_ = false;
  bool cq_shut_down_ = false;
};

std::unique_ptr<AttachClient> AttachClient::Start(AttachClientOptions options) {
  std::unique_ptr<AttachClient> client = Create(std::move(options));
  client->Connect();
  return client;
}

std::unique_ptr<AttachClient> AttachClient::Create(AttachClientOptions options) {
  return std::unique_ptr<AttachClient>(new AttachClient(std::make_unique<Impl>(std::move(options))));
}

void AttachClient::Connect() { impl_->StartThread(); }

AttachClient::AttachClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AttachClient::~AttachClient() { Stop(); }
void AttachClient::Stop() { impl_->Stop(); }
bool AttachClient::Enqueue(const Frame& frame) { return impl_->Enqueue(frame); }
bool AttachClient::Enqueue(absl::FunctionRef<void(Frame*)> build) {
  return impl_->Enqueue(build);
}
void AttachClient::PauseReads() { impl_->PauseReads(); }
void AttachClient::ResumeReads() { impl_->ResumeReads(); }
bool AttachClient::reads_paused() const { return impl_->reads_paused(); }
bool AttachClient::connected() const { return impl_->connected(); }
uint64_t AttachClient::connects() const { return impl_->connects(); }
TransportStats AttachClient::stats() const { return impl_->stats(); }
const std::string& AttachClient::target() const { return impl_->target(); }
std::string AttachClient::current_target() const { return impl_->current_target(); }

}  // namespace meridian::router
