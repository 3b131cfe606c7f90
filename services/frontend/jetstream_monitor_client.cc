#include "services/frontend/jetstream_monitor_client.h"

#include <utility>

#include "common/rpc/rpc.h"
#include "grpcpp/grpcpp.h"
#include "meridian/jetstream/v1/monitor.grpc.pb.h"

namespace meridian::frontend {

struct JetStreamMonitorClient::Impl {
  std::unique_ptr<jetstream::v1::JetStreamMonitor::Stub> stub;
};

JetStreamMonitorClient::JetStreamMonitorClient(const std::string& address)
    : impl_(std::make_unique<Impl>()) {
  impl_->stub = jetstream::v1::JetStreamMonitor::NewStub(rpc::MakeChannel(address));
}

JetStreamMonitorClient::~JetStreamMonitorClient() = default;

void JetStreamMonitorClient::Jsz(const JszParams& params, absl::Duration timeout, Done done) {
  // Lives until the callback: gRPC needs the context, request and reply.
  struct Call {
    grpc::ClientContext context;
    jetstream::v1::JszRequest request;
    jetstream::v1::JszReply reply;
    Done done;
  };
  auto* call = new Call();
  call->done = std::move(done);
  jetstream::v1::JszRequest& r = call->request;
  r.set_server_id(params.server_id);
  r.set_account(params.account);
  r.set_accounts(params.accounts);
  r.set_streams(params.streams);
  r.set_consumers(params.consumers);
  r.set_config(params.config);
  r.set_offset(params.offset);
  r.set_limit(params.limit);
  r.set_varz(params.varz);
  rpc::SetDeadline(&call->context, timeout);
  impl_->stub->async()->Jsz(&call->context, &call->request, &call->reply,
                            [call](grpc::Status status) {
                              if (status.ok()) {
                                call->done(std::move(*call->reply.mutable_json()));
                              } else {
                                call->done(rpc::FromGrpc(status));
                              }
                              delete call;
                            });
}

}  // namespace meridian::frontend
