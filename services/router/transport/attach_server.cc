#include "services/router/transport/attach_server.h"

#include "common/rpc/async_hosted.h"
#include "common/rpc/rpc.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "meridian/router/v1/router.grpc.pb.h"
#include "services/router/transport/wake_alarm.h"

namespace meridian::router {

using ::meridian::router::v1::Frame;

class SessionStream;

class AttachServer::Impl {
 public:
  Impl(AttachServerOptions options, PeerHandler* handler)
      : options_(std::move(options)), handler_(handler) {
    hello_frame_.mutable_hello()->CopyFrom(options_.hello);
    hello_frame_.mutable_hello()->set_resync_requested(true);
  }
  ~Impl() { Shutdown(); }

  absl::Status Listen();
  void Shutdown();
  void Run();
  // Posts the request for the next incoming stream (unless shutting down).
  void RequestNext();

  AttachServerOptions options_;
  PeerHandler* const handler_;
  Frame hello_frame_;
  v1::Router::AsyncService service_;
  std::unique_ptr<grpc::ServerCompletionQueue> cq_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<std::thread::id> thread_id_{};  // the transport thread's, once it runs
  std::atomic<size_t> attached_{0};

  std::mutex mu_;  // guards the three below
  bool shutting_down_ = false;
  std::unordered_set<SessionStream*> live_;  // accepted streams, until deleted
  uint64_t next_id_ = 1;

  std::mutex shutdown_mu_;
  bool shut_down_ = false;

  // Held by the server thread while it handles an event and by Shutdown while
  // it shuts the queue down: no operation is started on a shut-down queue
  // (gRPC asserts). Lock order: op_mu_ before mu_.
  std::mutex op_mu_;
  bool cq_closed_ = false;  // under op_mu_
};

// The gRPC side of one PeerSession. Lives on the server thread; deletes
// itself once every operation it started has completed.
class SessionStream : public OutboxWaker {
 public:
  enum Kind { kRequest, kRead, kWrite, kFinish, kWake, kKinds };
  struct Tag final : rpc::CqTag {
    void Proceed(bool ok) override { stream->Handle(kind, ok); }
    SessionStream* stream = nullptr;
    Kind kind = kKinds;
  };

  SessionStream(AttachServer::Impl* server, uint64_t id)
      : server_(server),
        session_(std::make_shared<PeerSession>(id, server->options_.limits)),
        stream_(&context_),
        wake_(server->cq_.get(), &tags_[kWake]) {
    for (int i = 0; i < kKinds; ++i) {
      tags_[i].stream = this;
      tags_[i].kind = static_cast<Kind>(i);
    }
  }

  void Request() {
    server_->service_.RequestAttach(&context_, &stream_, server_->cq_.get(), server_->cq_.get(),
                                    &tags_[kRequest]);
  }

  // Any thread, outside the Outbox lock (Close waits for it). On the
  // transport thread (a handler sending while it handles an event) the write
  // starts at once: no alarm, no second trip through the queue.
  void Wake() override {
    if (std::this_thread::get_id() == server_->thread_id_.load(std::memory_order_relaxed)) {
      if (closing_) return;
      StartNextWrite();
      ResumeReadIfDue();
      return;
    }
    wake_.Wake();
  }
  void Cancel() override { context_.TryCancel(); }

  // Shutdown thread, under op_mu_ and the server lock: no more wake-ups.
  void CloseWakeForShutdown() { (void)wake_.Close(); }

  // Shutdown thread, under the server lock.
  void CancelForShutdown() {
    session_->outbox_.Seal();
    context_.TryCancel();
  }

  void Handle(Kind kind, bool ok) {
    switch (kind) {
      case kRequest:
        if (!ok) {  // the server is shutting down; nothing was started
          delete this;
          return;
        }
        OnAccepted();
        break;
      case kRead: OnRead(ok); break;
      case kWrite: OnWrite(ok); break;
      case kFinish:
        finish_pending_ = false;
        finished_ = true;
        break;
      case kWake:
        wake_.Fired();
        if (!closing_) StartNextWrite();
        ResumeReadIfDue();
        break;
      case kKinds: break;
    }
    if (closing_) MaybeDelete();  // last: may delete this
  }

 private:
  void OnAccepted() {
    session_->peer_address_ = context_.peer();
    server_->RequestNext();
    {
      std::lock_guard<std::mutex> lock(server_->mu_);
      server_->live_.insert(this);
      if (server_->shutting_down_) CancelForShutdown();
    }
    IssueRead();
  }

  void IssueRead() {
    if (server_->cq_closed_) return;
    read_pending_ = true;
    stream_.Read(&in_, &tags_[kRead]);
  }

  void OnRead(bool ok) {
    read_pending_ = false;
    if (!ok) return BeginClose(grpc::Status::OK, /*cancel=*/false);  // peer done or gone
    if (closing_) return;
    PeerSession* session = session_.get();
    session->outbox_.CountReceived(in_);
    if (!attached_) {
      if (!in_.has_hello()) {
        return BeginClose(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                       "first frame must carry hello"),
                          /*cancel=*/false);
      }
      attached_ = true;
      server_->attached_.fetch_add(1);
      session->hello_ = in_.hello();
      session->outbox_.Open(this);
      session->outbox_.Enqueue(server_->hello_frame_);
      server_->handler_->OnAttach(session, session->hello_);
      if (in_.messages_size() > 0 || in_.interest_size() > 0 || in_.interest_reset()) {
        server_->handler_->OnFrame(session, in_);
      }
    } else {
      server_->handler_->OnFrame(session, in_);
    }
    if (session->reads_paused()) {
      read_deferred_ = true;  // ResumeReads wakes us (kWake) to read again
      return;
    }
    IssueRead();
  }

  void OnWrite(bool ok) {
    write_pending_ = false;
    session_->outbox_.Recycle(std::move(writing_));
    if (!ok) return BeginClose(grpc::Status::CANCELLED, /*cancel=*/true);
    if (closing_) return MaybeFinish();
    StartNextWrite();
  }

  void ResumeReadIfDue() {
    if (!closing_ && read_deferred_ && !session_->reads_paused()) {
      read_deferred_ = false;  // resumed
      IssueRead();
    }
  }

  void StartNextWrite() {
    if (write_pending_ || server_->cq_closed_) return;
    std::unique_ptr<Frame> next = session_->outbox_.TakeNext();
    if (next == nullptr) return;
    writing_ = std::move(next);
    write_pending_ = true;
    stream_.Write(*writing_, &tags_[kWrite]);
  }

  void BeginClose(const grpc::Status& status, bool cancel) {
    if (closing_) return;
    closing_ = true;
    final_status_ = status;
    session_->outbox_.Seal();  // the Outbox no longer calls us
    if (cancel) context_.TryCancel();
    if (attached_) {
      server_->attached_.fetch_sub(1);
      server_->handler_->OnDetach(session_.get());
    }
    MaybeFinish();
  }

  void MaybeFinish() {
    if (!closing_ || write_pending_ || finish_pending_ || finished_) return;
    if (server_->cq_closed_) {  // the server is gone: nothing to tell the peer
      finished_ = true;
      return;
    }
    finish_pending_ = true;
    stream_.Finish(final_status_, &tags_[kFinish]);
  }

  void MaybeDelete() {
    if (!finished_ || read_pending_ || write_pending_ || finish_pending_) {
      MaybeFinish();
      return;
    }
    if (wake_.Close()) return;  // its tag is still to come
    {
      std::lock_guard<std::mutex> lock(server_->mu_);
      server_->live_.erase(this);
    }
    delete this;
  }

  AttachServer::Impl* const server_;
  const std::shared_ptr<PeerSession> session_;
  grpc::ServerContext context_;
  grpc::ServerAsyncReaderWriter<Frame, Frame> stream_;
  internal::WakeAlarm wake_;
  Tag tags_[kKinds];
  Frame in_;
  std::unique_ptr<Frame> writing_;
  grpc::Status final_status_;
  bool attached_ = false;
  bool read_pending_ = false;
  bool read_deferred_ = false;  // reads paused: the next Read waits for a wake
  bool write_pending_ = false;
  bool finish_pending_ = false;
  bool finished_ = false;
  bool closing_ = false;
};

absl::Status AttachServer::Impl::Listen() {
  grpc::ServerBuilder builder;
  rpc::ConfigureServerBuilder(builder, options_.default_health);
  builder.AddListeningPort(options_.listen, grpc::InsecureServerCredentials(), &port_);
  builder.RegisterService(&service_);
  for (grpc::Service* service : options_.extra_services) builder.RegisterService(service);
  for (rpc::AsyncHosted* hosted : options_.async_services) builder.RegisterService(hosted->service());
  cq_ = builder.AddCompletionQueue();
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options_.listen, " (address in use or not permitted)"));
  }
  if (absl::StartsWith(options_.listen, "unix:")) {
    address_ = options_.listen;
  } else {
    std::string host = options_.listen.substr(0, options_.listen.rfind(':'));
    if (host.empty() || host == "0.0.0.0" || host == "[::]") host = "127.0.0.1";
    address_ = absl::StrCat(host, ":", port_);
  }
  RequestNext();
  for (rpc::AsyncHosted* hosted : options_.async_services) hosted->Start(cq_.get(), &cq_closed_);
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void AttachServer::Impl::RequestNext() {
  SessionStream* stream = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shutting_down_) return;
    stream = new SessionStream(this, next_id_++);
    // Under the lock, so Shutdown cannot shut the queue down in between.
    stream->Request();
  }
}

void AttachServer::Impl::Run() {
  thread_id_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  void* tag = nullptr;
  bool ok = false;
  while (cq_->Next(&tag, &ok)) {
    std::lock_guard<std::mutex> lock(op_mu_);
    static_cast<rpc::CqTag*>(tag)->Proceed(ok);
  }
}

void AttachServer::Impl::Shutdown() {
  std::lock_guard<std::mutex> shutdown_lock(shutdown_mu_);
  if (shut_down_ || server_ == nullptr) return;
  shut_down_ = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    shutting_down_ = true;
    for (SessionStream* stream : live_) stream->CancelForShutdown();
  }
  server_->Shutdown(std::chrono::system_clock::now());
  {
    std::lock_guard<std::mutex> op_lock(op_mu_);
    cq_closed_ = true;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (SessionStream* stream : live_) stream->CloseWakeForShutdown();
    }
    cq_->Shutdown();
  }
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

absl::StatusOr<std::unique_ptr<AttachServer>> AttachServer::Start(AttachServerOptions options,
                                                                   PeerHandler* handler) {
  auto impl = std::make_unique<Impl>(std::move(options), handler);
  if (absl::Status status = impl->Listen(); !status.ok()) return status;
  return std::unique_ptr<AttachServer>(new AttachServer(std::move(impl)));
}

AttachServer::AttachServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AttachServer::~AttachServer() { Shutdown(); }
const std::string& AttachServer::address() const { return impl_->address_; }
int AttachServer::port() const { return impl_->port_; }
void AttachServer::Shutdown() { impl_->Shutdown(); }
size_t AttachServer::attached() const { return impl_->attached_.load(); }

}  // namespace meridian::router
