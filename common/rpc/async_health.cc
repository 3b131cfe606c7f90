#include "common/rpc/async_hosted.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace meridian::rpc {

namespace {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;
using HealthService = grpc::health::v1::Health::AsyncService;

// Watch: requested (an unrequested method would leave callers hanging), then
// finished at once with UNIMPLEMENTED.
class RefusedWatch final : public CqTag {
 public:
  static void Post(HealthService* service, grpc::ServerCompletionQueue* cq, const bool* closed) {
    auto* call = new RefusedWatch(service, cq, closed);
    service->RequestWatch(&call->context_, &call->request_, &call->writer_, cq, cq, call);
  }

  void Proceed(bool ok) override {
    if (finishing_ || !ok || *closed_) {
      delete this;
      return;
    }
    Post(service_, cq_, closed_);
    finishing_ = true;
    writer_.Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                                "grpc.health.v1.Health/Watch is not served here; use Check"),
                   this);
  }

 private:
  RefusedWatch(HealthService* service, grpc::ServerCompletionQueue* cq, const bool* closed)
      : service_(service), cq_(cq), closed_(closed), writer_(&context_) {}

  HealthService* const service_;
  grpc::ServerCompletionQueue* const cq_;
  const bool* const closed_;
  grpc::ServerContext context_;
  HealthCheckRequest request_;
  grpc::ServerAsyncWriter<HealthCheckResponse> writer_;
  bool finishing_ = false;
};

}  // namespace

struct AsyncHealth::State {
  HealthService service;
};

AsyncHealth::AsyncHealth() : state_(new State) {}
AsyncHealth::~AsyncHealth() { delete state_; }

grpc::Service* AsyncHealth::service() { return &state_->service; }

void AsyncHealth::Start(grpc::ServerCompletionQueue* cq, const bool* closed) {
  HealthService* service = &state_->service;
  AsyncUnaryCall<HealthCheckRequest, HealthCheckResponse>::Post(
      [service](grpc::ServerContext* context, HealthCheckRequest* request,
                grpc::ServerAsyncResponseWriter<HealthCheckResponse>* writer,
                grpc::ServerCompletionQueue* queue, void* tag) {
        service->RequestCheck(context, request, writer, queue, queue, tag);
      },
      [](const HealthCheckRequest& request, HealthCheckResponse* response) {
        if (!request.service().empty()) {
          return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service");
        }
        response->set_status(HealthCheckResponse::SERVING);
        return grpc::Status::OK;
      },
      cq, closed);
  RefusedWatch::Post(service, cq, closed);
}

}  // namespace meridian::rpc
