#include "common/admin/async_admin.h"

namespace meridian::admin {

namespace {

using Service = v1::Admin::AsyncService;

// Requests calls of one method with `request` (a Service::Request* member) and
// answers them with AdminService::Answer.
template <class Request, class Response, class RequestMember>
void Serve(Service* service, AdminService* admin, RequestMember request,
           grpc::ServerCompletionQueue* cq, const bool* closed) {
  rpc::AsyncUnaryCall<Request, Response>::Post(
      [service, request](grpc::ServerContext* context, Request* in,
                         grpc::ServerAsyncResponseWriter<Response>* writer,
                         grpc::ServerCompletionQueue* queue, void* tag) {
        (service->*request)(context, in, writer, queue, queue, tag);
      },
      [admin](const Request& in, Response* out) { return admin->Answer(in, out); }, cq, closed);
}

}  // namespace

void AsyncAdmin::Start(grpc::ServerCompletionQueue* cq, const bool* closed) {
  Serve<v1::GetServerInfoRequest, v1::ServerInfo>(&service_, admin_, &Service::RequestGetServerInfo,
                                                  cq, closed);
  Serve<v1::GetHealthRequest, v1::Health>(&service_, admin_, &Service::RequestGetHealth, cq,
                                          closed);
  Serve<v1::ListMembersRequest, v1::ListMembersResponse>(&service_, admin_,
                                                         &Service::RequestListMembers, cq, closed);
  Serve<v1::ListConnectionsRequest, v1::ListConnectionsResponse>(
      &service_, admin_, &Service::RequestListConnections, cq, closed);
  Serve<v1::ListSubscriptionsRequest, v1::ListSubscriptionsResponse>(
      &service_, admin_, &Service::RequestListSubscriptions, cq, closed);
}

}  // namespace meridian::admin
