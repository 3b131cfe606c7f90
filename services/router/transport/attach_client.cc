#include "services/router/transport/attach_client.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "common/log/log.h"
#include "common/rpc/rpc.h"
#include "grpcpp/grpcpp.h"
#include "meridian/router/v1/router.grpc.pb.h"
#include "services/router/transport/dialer.h"
#include "services/router/transport/wake_alarm.h"

namespace meridian::router {

using ::meridian::router::v1::Frame;

class AttachClient::Impl {
 public:
  explicit Impl(AttachClientOptions options)
      : options_(std::move(options)),
        driver_(options_.driver),
        targets_(TargetsOf(options_)),
        stubs_(targets_.size()),
        outbox_(options_.limits),
        backoff_(options_.initial_backoff) {}

  void StartThread() {
    if (driver_ != nullptr) {
      started_ = true;
      dialer_ = std::thread([this] { RunDialer(); });
      RequestDial(absl::ZeroDuration());
      return;
    }
    thread_ = std::thread([this] { Run(); });
  }

  void Stop() {
    std::lock_guard<std::mutex> lock(stop_mu_);
    if (driver_ != nullptr) return StopDriven();
    if (!thread_.joinable()) return;
    stop_requested_.store(true);
    wake_.Wake();
    thread_.join();
  }

  bool Drive(bool writable_event) {
    if (driver_ == nullptr || stopping_) return false;
    // Each AsyncNext with a past deadline polls the socket once when nothing
    // is queued; another round only when this one started something (a
    // write, whose completion is then collected without a poll). Bounded,
    // so that the owner's loop gets to flush what the frames delivered: a
    // router that keeps the socket full (or other threads the outbox) would
    // keep us here; past the bound the driver is woken to come back.
    int events = 0;
    bool resumed = false;  // a read re-posted over data gRPC already holds
    for (int round = 0; round < kDriveRounds; ++round) {
      bool started = TakeDialResult();
      void* tag = nullptr;
      bool ok = false;
      while (events < kDriveEvents && cq_.AsyncNext(&tag, &ok, gpr_inf_past(GPR_CLOCK_MONOTONIC)) ==
                                          grpc::CompletionQueue::GOT_EVENT) {
        Handle(static_cast<Kind>(reinterpret_cast<intptr_t>(tag)), ok);
        ++events;
      }
      if (events >= kDriveEvents) {
        driver_->Wake();
        break;
      }
      if (attempt_ != nullptr && attempt_->established && !attempt_->failing) {
        started |= StartNextWrite();
        if (MaybeResumeRead()) started = resumed = true;
      }
      if (!started) break;
    }
    UpdateWatch(/*writable_ok=*/!(writable_event && WaitsForWindow()));
    // Busy: a write pending, the stream still starting or ending, or reads
    // just resumed — those, too, gRPC may finish on its own threads.
    return attempt_ != nullptr &&
           (attempt_->write_pending || !attempt_->established || attempt_->failing || resumed);
  }

  // After a writable event: a write still pending while the socket stays
  // writable waits for the router's flow-control window (which comes as a
  // read), not for the socket; watching for writability would then spin.
  // A full socket (gRPC wrote until EAGAIN) is what writability is for.
  bool WaitsForWindow() const {
    if (attempt_ == nullptr || !attempt_->write_pending || attempt_->watch_fd < 0) return false;
    pollfd p{attempt_->watch_fd, POLLOUT, 0};
    return ::poll(&p, 1, 0) == 1 && (p.revents & POLLOUT) != 0;
  }

  bool Enqueue(const Frame& frame) { return outbox_.Enqueue(frame); }
  bool Enqueue(absl::FunctionRef<void(Frame*)> build) { return outbox_.Enqueue(build); }
  void PauseReads() { paused_.store(true); }
  void ResumeReads() {
    if (paused_.exchange(false)) RequestWake();
  }
  bool reads_paused() const { return paused_.load(); }
  bool connected() const { return connected_.load(); }
  uint64_t connects() const { return connects_.load(); }
  TransportStats stats() const { return outbox_.stats(); }
  const std::string& target() const { return options_.target; }
  std::string current_target() const { return targets_[current_.load()]; }

 private:
  enum Kind : intptr_t { kStart = 1, kRead, kWrite, kFinish, kWake, kBackoff };
  // Driven mode: most completions and write rounds per Drive.
  static constexpr int kDriveEvents = 64;
  static constexpr int kDriveRounds = 16;
  static void* TagOf(Kind kind) { return reinterpret_cast<void*>(static_cast<intptr_t>(kind)); }

  // One stream (connection attempt). Its ops all complete before it dies.
  struct Attempt : OutboxWaker {
    explicit Attempt(Impl* impl) : impl(impl) {}
    ~Attempt() override {
      if (watch_fd >= 0) ::close(watch_fd);
    }
    void Wake() override { impl->RequestWake(); }
    void Cancel() override { context.TryCancel(); }

    Impl* const impl;
    // Driven mode: the attempt's own channel over the socket we dialled,
    // and a duplicate of that socket for the driver to watch (gRPC closes
    // its copy when the transport ends; ours goes once nothing watches it).
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<v1::Router::Stub> stub;
    int watch_fd = -1;
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

  void RequestWake() {
    if (driver_ != nullptr) {
      driver_->Wake();
    } else {
      wake_.Wake();
    }
  }

  // --- Driven mode ---

  // The dialer thread: connects when asked, after the asked delay, and
  // hands the socket (or the error) to the driving thread.
  void RunDialer() {
    std::unique_lock<std::mutex> lock(dial_mu_);
    for (;;) {
      dial_cv_.wait(lock, [this] { return dial_stop_ || dial_request_.has_value(); });
      if (dial_stop_) return;
      const DialRequest request = *dial_request_;
      dial_request_.reset();
      if (request.delay > absl::ZeroDuration() &&
          dial_cv_.wait_for(lock, absl::ToChronoNanoseconds(request.delay),
                            [this] { return dial_stop_; })) {
        return;
      }
      lock.unlock();
      absl::StatusOr<int> fd = DialStream(targets_[request.target], absl::Seconds(2));
      lock.lock();
      if (dial_stop_) {
        if (fd.ok()) ::close(*fd);
        return;
      }
      dial_result_ = std::move(fd);
      lock.unlock();
      driver_->Wake();
      lock.lock();
    }
  }

  void RequestDial(absl::Duration delay) {
    std::lock_guard<std::mutex> lock(dial_mu_);
    dial_request_ = DialRequest{current_.load(), delay};
    dial_cv_.notify_all();
  }

  // Driving thread: starts the stream on a dialled socket, or schedules the
  // next dial (next target, after the backoff). True when there was one.
  bool TakeDialResult() {
    std::optional<absl::StatusOr<int>> result;
    {
      std::lock_guard<std::mutex> lock(dial_mu_);
      result.swap(dial_result_);
    }
    if (!result.has_value()) return false;
    if (!result->ok()) {
      // Said once per distinct reason, not per retry.
      if (result->status().message() != last_dial_error_) {
        last_dial_error_ = std::string(result->status().message());
        MLOG_WARN("router not reachable: ", last_dial_error_, "; retrying");
      }
      current_.store((current_.load() + 1) % targets_.size());
      RequestDial(backoff_);
      backoff_ = std::min(backoff_ * 2, options_.max_backoff);
      return true;
    }
    const int fd = **result;
    last_dial_error_.clear();
    attempt_ = std::make_unique<Attempt>(this);
    Attempt& a = *attempt_;
    a.watch_fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    a.channel = rpc::MakeChannelFromFd(targets_[current_.load()], fd);  // takes fd
    a.stub = v1::Router::NewStub(a.channel);
    a.stream = a.stub->PrepareAsyncAttach(&a.context, &cq_);
    a.start_pending = true;
    a.stream->StartCall(TagOf(kStart));
    return true;
  }

  bool MaybeResumeRead() {
    Attempt& a = *attempt_;
    if (!a.read_deferred || paused_.load()) return false;
    a.read_deferred = false;
    a.read_pending = true;
    a.stream->Read(&a.in, TagOf(kRead));
    return true;
  }

  // Tells the driver what to watch: the attempt's socket while it runs
  // (not once failing: a closed socket stays readable), for writability
  // while a write waits.
  void UpdateWatch(bool writable_ok) {
    int fd = -1;
    bool writable = false;
    if (attempt_ != nullptr && !attempt_->failing && attempt_->watch_fd >= 0) {
      fd = attempt_->watch_fd;
      writable = writable_ok && attempt_->write_pending;
    }
    if (fd == watched_fd_ && writable == watched_writable_) return;
    watched_fd_ = fd;
    watched_writable_ = writable;
    driver_->Watch(fd, writable);
  }

  void StopDriven() {
    if (!started_ || stop_requested_.load()) return;
    stop_requested_.store(true);
    {
      std::lock_guard<std::mutex> lock(dial_mu_);
      dial_stop_ = true;
      dial_cv_.notify_all();
    }
    if (dialer_.joinable()) dialer_.join();
    {
      std::lock_guard<std::mutex> lock(dial_mu_);
      if (dial_result_.has_value() && dial_result_->ok()) ::close(**dial_result_);
      dial_result_.reset();
    }
    UpdateWatch(false);
    BeginStop();
    MaybeShutdown();
    void* tag = nullptr;
    bool ok = false;
    while (cq_.Next(&tag, &ok)) {
      Handle(static_cast<Kind>(reinterpret_cast<intptr_t>(tag)), ok);
    }
    if (watched_fd_ != -1) UpdateWatch(false);
  }

  void Handle(Kind kind, bool ok) {
    switch (kind) {
      case kStart: OnStart(ok); break;
      case kRead: OnRead(ok); break;
      case kWrite: OnWrite(ok); break;
      case kFinish: OnFinish(); break;
      case kWake:  // threaded mode only
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

  // True when it started one.
  bool StartNextWrite() {
    Attempt& a = *attempt_;
    if (a.write_pending) return false;
    std::unique_ptr<Frame> next = outbox_.TakeNext();
    if (next == nullptr) return false;
    a.writing = std::move(next);
    a.write_pending = true;
    a.stream->Write(*a.writing, TagOf(kWrite));
    return true;
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
    if (driver_ != nullptr) {
      UpdateWatch(false);
      RequestDial(backoff_);
      backoff_ = std::min(backoff_ * 2, options_.max_backoff);
      return;
    }
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
  AttachDriver* const driver_;              // null: threaded mode
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

  // Driven mode.
  struct DialRequest {
    size_t target = 0;
    absl::Duration delay;
  };
  bool started_ = false;
  std::thread dialer_;
  std::mutex dial_mu_;
  std::condition_variable dial_cv_;
  std::optional<DialRequest> dial_request_ ABSL_GUARDED_BY(dial_mu_);
  std::optional<absl::StatusOr<int>> dial_result_ ABSL_GUARDED_BY(dial_mu_);
  bool dial_stop_ ABSL_GUARDED_BY(dial_mu_) = false;
  std::string last_dial_error_;  // driving thread
  int watched_fd_ = -1;  // what the driver watches (driving thread)
  bool watched_writable_ = false;
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
bool AttachClient::Drive(bool writable) { return impl_->Drive(writable); }
bool AttachClient::reads_paused() const { return impl_->reads_paused(); }
bool AttachClient::connected() const { return impl_->connected(); }
uint64_t AttachClient::connects() const { return impl_->connects(); }
TransportStats AttachClient::stats() const { return impl_->stats(); }
const std::string& AttachClient::target() const { return impl_->target(); }
std::string AttachClient::current_target() const { return impl_->current_target(); }

}  // namespace meridian::router
