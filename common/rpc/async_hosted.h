// Services answered with gRPC's async API on a completion queue that another
// component's thread already drives (the router's data-plane thread).
//
// Why: a server with any callback-API service (gRPC's default health service
// is one) gets gRPC's "nexting" threads, and those poll every connection of
// that server. On the router's Attach server they took the socket reads from
// the transport thread and handed each one over: ~13 extra context switches
// per cross-frontend request/reply. Hosting health and admin on the
// transport's own queue leaves one thread polling the data plane.
//
// Pulls in grpc++: include from .cc files only.
#pragma once

#include <functional>
#include <utility>

#include "grpcpp/grpcpp.h"

namespace meridian::rpc {

// A completion-queue tag that knows what to do when it pops.
class CqTag {
 public:
  virtual ~CqTag() = default;
  // On the queue's thread; `ok` as grpc::CompletionQueue::Next reports it.
  virtual void Proceed(bool ok) = 0;
};

// A service whose calls are handled on its owner's completion-queue thread.
// Handlers must not block (they hold up the owner's other work).
class AsyncHosted {
 public:
  virtual ~AsyncHosted() = default;
  // Registered with the server builder before the server starts.
  virtual grpc::Service* service() = 0;
  // Posts the first call requests, after the server started and before its
  // queue is drained. `closed` turns true (read on the queue's thread only)
  // when the queue is being shut down: from then on nothing may be posted.
  virtual void Start(grpc::ServerCompletionQueue* cq, const bool* closed) = 0;
};

// One unary method: waits for a call, answers it with `handle`, and has the
// next call requested as soon as this one arrived. Deletes itself.
template <class Request, class Response>
class AsyncUnaryCall final : public CqTag {
 public:
  using Writer = grpc::ServerAsyncResponseWriter<Response>;
  using RequestFn = std::function<void(grpc::ServerContext*, Request*, Writer*,
                                       grpc::ServerCompletionQueue*, void* tag)>;
  using HandleFn = std::function<grpc::Status(const Request&, Response*)>;

  // Posts a request for the method's next call.
  static void Post(RequestFn request, HandleFn handle, grpc::ServerCompletionQueue* cq,
                   const bool* closed) {
    auto* call = new AsyncUnaryCall(std::move(request), std::move(handle), cq, closed);
    call->request_fn_(&call->context_, &call->request_, &call->writer_, cq, call);
  }

  void Proceed(bool ok) override {
    if (answering_ || !ok || *closed_) {  // answered, or the server is going away
      delete this;
      return;
    }
    Post(request_fn_, handle_, cq_, closed_);  // the next caller
    answering_ = true;
    grpc::Status status = handle_(request_, &response_);
    if (status.ok()) {
      writer_.Finish(response_, status, this);
    } else {
      writer_.FinishWithError(status, this);
    }
  }

 private:
  AsyncUnaryCall(RequestFn request, HandleFn handle, grpc::ServerCompletionQueue* cq,
                 const bool* closed)
      : request_fn_(std::move(request)), handle_(std::move(handle)), cq_(cq), closed_(closed),
        writer_(&context_) {}

  RequestFn request_fn_;
  HandleFn handle_;
  grpc::ServerCompletionQueue* const cq_;
  const bool* const closed_;
  grpc::ServerContext context_;
  Request request_;
  Response response_;
  Writer writer_;
  bool answering_ = false;
};

// grpc.health.v1.Health on the owner's queue: Check answers SERVING for the
// whole server ("") and NOT_FOUND for any other service name, as gRPC's
// default service does for names nobody registered; Watch ends at once with
// UNIMPLEMENTED naming itself (no Meridian tool or Kubernetes probe uses it).
class AsyncHealth final : public AsyncHosted {
 public:
  AsyncHealth();
  ~AsyncHealth() override;
  grpc::Service* service() override;
  void Start(grpc::ServerCompletionQueue* cq, const bool* closed) override;

 private:
  struct State;
  State* state_;
};

}  // namespace meridian::rpc
