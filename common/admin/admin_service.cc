#include "common/admin/admin_service.h"

#include <unistd.h>

#include "common/rpc/rpc.h"
#include "common/version/version.h"

namespace meridian::admin {

absl::Status AdminHooks::ListMembers(v1::ListMembersResponse* out) {
  v1::Member* member = out->add_members();
  if (self_ != nullptr) *member->mutable_info() = *self_;
  *member->mutable_health() = GetHealth();
  return absl::OkStatus();
}

absl::Status AdminHooks::ListConnections(const v1::ListConnectionsRequest&,
                                         v1::ListConnectionsResponse*) {
  return absl::UnimplementedError("this daemon has no client connections");
}

absl::Status AdminHooks::ListSubscriptions(const v1::ListSubscriptionsRequest&,
                                           v1::ListSubscriptionsResponse*) {
  return absl::UnimplementedError("this daemon has no subscriptions");
}

v1::Health AdminHooks::GetHealth() {
  v1::Health health;
  health.set_status(v1::HEALTH_STATUS_SERVING);
  return health;
}

AdminService::AdminService(Identity identity, AdminHooks* hooks)
    : identity_(std::move(identity)), hooks_(hooks != nullptr ? hooks : &default_hooks_) {
  FillServerInfo(&self_);
  hooks_->set_self(&self_);
}

void AdminService::SetAddresses(std::string grpc_address, std::string metrics_address,
                                std::map<std::string, std::string> endpoints) {
  identity_.grpc_address = std::move(grpc_address);
  identity_.metrics_address = std::move(metrics_address);
  identity_.endpoints = std::move(endpoints);
  FillServerInfo(&self_);
}

void AdminService::FillServerInfo(v1::ServerInfo* info) const {
  info->set_id(identity_.id);
  info->set_name(identity_.name);
  info->set_kind(identity_.kind);
  info->set_version(kVersion);
  info->set_nats_version(kNatsCompatVersion);
  info->set_start_unix_ms(absl::ToUnixMillis(identity_.start));
  info->set_uptime_ms(absl::ToInt64Milliseconds(absl::Now() - identity_.start));
  info->set_config_digest(identity_.config_digest);
  info->set_pid(::getpid());
  info->set_grpc_address(identity_.grpc_address);
  info->set_metrics_address(identity_.metrics_address);
  info->mutable_endpoints()->clear();
  for (const auto& [name, url] : identity_.endpoints) (*info->mutable_endpoints())[name] = url;
}

grpc::Status AdminService::Answer(const v1::GetServerInfoRequest&, v1::ServerInfo* response) {
  FillServerInfo(response);
  return grpc::Status::OK;
}

grpc::Status AdminService::Answer(const v1::GetHealthRequest&, v1::Health* response) {
  *response = hooks_->GetHealth();
  return grpc::Status::OK;
}

grpc::Status AdminService::Answer(const v1::ListMembersRequest&,
                                  v1::ListMembersResponse* response) {
  return rpc::ToGrpc(hooks_->ListMembers(response));
}

grpc::Status AdminService::Answer(const v1::ListConnectionsRequest& request,
                                  v1::ListConnectionsResponse* response) {
  return rpc::ToGrpc(hooks_->ListConnections(request, response));
}

grpc::Status AdminService::Answer(const v1::ListSubscriptionsRequest& request,
                                  v1::ListSubscriptionsResponse* response) {
  return rpc::ToGrpc(hooks_->ListSubscriptions(request, response));
}

namespace {

template <class Request, class Response>
grpc::ServerUnaryReactor* AnswerNow(AdminService* admin, grpc::CallbackServerContext* context,
                                    const Request* request, Response* response) {
  auto* reactor = context->DefaultReactor();
  reactor->Finish(admin->Answer(*request, response));
  return reactor;
}

}  // namespace

grpc::ServerUnaryReactor* AdminService::GetServerInfo(grpc::CallbackServerContext* context,
                                                      const v1::GetServerInfoRequest* request,
                                                      v1::ServerInfo* response) {
  return AnswerNow(this, context, request, response);
}

grpc::ServerUnaryReactor* AdminService::GetHealth(grpc::CallbackServerContext* context,
                                                  const v1::GetHealthRequest* request,
                                                  v1::Health* response) {
  return AnswerNow(this, context, request, response);
}

grpc::ServerUnaryReactor* AdminService::ListMembers(grpc::CallbackServerContext* context,
                                                    const v1::ListMembersRequest* request,
                                                    v1::ListMembersResponse* response) {
  return AnswerNow(this, context, request, response);
}

grpc::ServerUnaryReactor* AdminService::ListConnections(grpc::CallbackServerContext* context,
                                                        const v1::ListConnectionsRequest* request,
                                                        v1::ListConnectionsResponse* response) {
  return AnswerNow(this, context, request, response);
}

grpc::ServerUnaryReactor* AdminService::ListSubscriptions(
    grpc::CallbackServerContext* context, const v1::ListSubscriptionsRequest* request,
    v1::ListSubscriptionsResponse* response) {
  return AnswerNow(this, context, request, response);
}

}  // namespace meridian::admin
