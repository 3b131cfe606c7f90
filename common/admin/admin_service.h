// The admin gRPC service (meridian.admin.v1.Admin) every daemon serves.
// Generic answers come from here; daemon-specific ones from AdminHooks.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "meridian/admin/v1/admin.grpc.pb.h"

namespace meridian::admin {

// What a daemon says about itself.
struct Identity {
  std::string id;
  std::string name;
  std::string kind;
  std::string config_digest;
  std::string grpc_address;
  std::string metrics_address;
  std::map<std::string, std::string> endpoints;
  absl::Time start = absl::Now();
};

// Daemon-specific answers. Called on gRPC callback threads: implementations
// must be thread-safe and must not block.
class AdminHooks {
 public:
  virtual ~AdminHooks() = default;
  // Default: this daemon alone, serving.
  virtual absl::Status ListMembers(v1::ListMembersResponse* out);
  virtual absl::Status ListConnections(const v1::ListConnectionsRequest& request,
                                       v1::ListConnectionsResponse* out);
  virtual absl::Status ListSubscriptions(const v1::ListSubscriptionsRequest& request,
                                         v1::ListSubscriptionsResponse* out);
  virtual v1::Health GetHealth();

  // Set by AdminService before any call.
  void set_self(const v1::ServerInfo* self) { self_ = self; }

 protected:
  const v1::ServerInfo* self_ = nullptr;
};

class AdminService final : public v1::Admin::CallbackService {
 public:
  // `hooks` may be null (defaults) and must outlive the service.
  AdminService(Identity identity, AdminHooks* hooks);

  // Fills a ServerInfo for this process (uptime computed now).
  void FillServerInfo(v1::ServerInfo* info) const;
  // Addresses are known only once the servers have started; called once,
  // before the server reports SERVING.
  void SetAddresses(std::string grpc_address, std::string metrics_address,
                    std::map<std::string, std::string> endpoints);

  // The answers, whichever API serves them (the callback methods below, or
  // AsyncAdmin on a data-plane thread).
  grpc::Status Answer(const v1::GetServerInfoRequest& request, v1::ServerInfo* response);
  grpc::Status Answer(const v1::GetHealthRequest& request, v1::Health* response);
  grpc::Status Answer(const v1::ListMembersRequest& request, v1::ListMembersResponse* response);
  grpc::Status Answer(const v1::ListConnectionsRequest& request,
                      v1::ListConnectionsResponse* response);
  grpc::Status Answer(const v1::ListSubscriptionsRequest& request,
                      v1::ListSubscriptionsResponse* response);

  grpc::ServerUnaryReactor* GetServerInfo(grpc::CallbackServerContext* context,
                                          const v1::GetServerInfoRequest* request,
                                          v1::ServerInfo* response) override;
  grpc::ServerUnaryReactor* GetHealth(grpc::CallbackServerContext* context,
                                      const v1::GetHealthRequest* request,
                                      v1::Health* response) override;
  grpc::ServerUnaryReactor* ListMembers(grpc::CallbackServerContext* context,
                                        const v1::ListMembersRequest* request,
                                        v1::ListMembersResponse* response) override;
  grpc::ServerUnaryReactor* ListConnections(grpc::CallbackServerContext* context,
                                            const v1::ListConnectionsRequest* request,
                                            v1::ListConnectionsResponse* response) override;
  grpc::ServerUnaryReactor* ListSubscriptions(grpc::CallbackServerContext* context,
                                              const v1::ListSubscriptionsRequest* request,
                                              v1::ListSubscriptionsResponse* response) override;

 private:
  Identity identity_;
  AdminHooks default_hooks_;
  AdminHooks* hooks_;
  v1::ServerInfo self_;  // written before serving starts, read-only after
};

}  // namespace meridian::admin
