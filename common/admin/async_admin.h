// meridian.admin.v1.Admin answered on the owner's completion-queue thread
// (async API) instead of gRPC's callback threads: the router hosts it on its
// Attach server so that only the transport thread polls the data plane (see
// common/rpc/async_hosted.h). Pulls in grpc++: include from .cc files only.
#pragma once

#include "common/admin/admin_service.h"
#include "common/rpc/async_hosted.h"

namespace meridian::admin {

class AsyncAdmin final : public rpc::AsyncHosted {
 public:
  // `admin` answers (it is not registered itself) and must outlive this.
  explicit AsyncAdmin(AdminService* admin) : admin_(admin) {}

  grpc::Service* service() override { return &service_; }
  void Start(grpc::ServerCompletionQueue* cq, const bool* closed) override;

 private:
  AdminService* const admin_;
  v1::Admin::AsyncService service_;
};

}  // namespace meridian::admin
