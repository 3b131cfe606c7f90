// AsyncHealth and AsyncAdmin hosted on one completion queue, driven by one
// thread, as the router hosts them on its Attach server.
#include "common/admin/async_admin.h"

#include <thread>

#include "common/rpc/async_hosted.h"
#include "common/rpc/rpc.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"

namespace meridian::admin {
namespace {

class Hooks : public AdminHooks {
 public:
  absl::Status ListConnections(const v1::ListConnectionsRequest&,
                               v1::ListConnectionsResponse* out) override {
    out->set_total(7);
    return absl::OkStatus();
  }
};

class HostedServer {
 public:
  explicit HostedServer(AdminService* admin) : async_admin_(admin) {
    grpc::ServerBuilder builder;
    rpc::ConfigureServerBuilder(builder, /*default_health=*/false);
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(health_.service());
    builder.RegisterService(async_admin_.service());
    cq_ = builder.AddCompletionQueue();
    server_ = builder.BuildAndStart();
    health_.Start(cq_.get(), &closed_);
    async_admin_.Start(cq_.get(), &closed_);
    thread_ = std::thread([this] {
      void* tag = nullptr;
      bool ok = false;
      while (cq_->Next(&tag, &ok)) {
        std::lock_guard<std::mutex> lock(mu_);
        static_cast<rpc::CqTag*>(tag)->Proceed(ok);
      }
    });
  }
  ~HostedServer() {
    server_->Shutdown(std::chrono::system_clock::now());
    {
      std::lock_guard<std::mutex> lock(mu_);
      closed_ = true;
      cq_->Shutdown();
    }
    thread_.join();
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  rpc::AsyncHealth health_;
  AsyncAdmin async_admin_;
  int port_ = 0;
  std::unique_ptr<grpc::ServerCompletionQueue> cq_;
  std::unique_ptr<grpc::Server> server_;
  std::mutex mu_;
  bool closed_ = false;  // under mu_
  std::thread thread_;
};

TEST(AsyncAdminTest, HealthCheckAnswersServingAndNotFound) {
  AdminService admin(Identity{.id = "i", .name = "n", .kind = "router"}, nullptr);
  HostedServer server(&admin);
  for (int i = 0; i < 3; ++i) {  // each call re-arms the method
    EXPECT_EQ(rpc::CheckHealth(server.address(), absl::Seconds(5)), rpc::Health::kServing);
  }
  auto stub = grpc::health::v1::Health::NewStub(rpc::MakeChannel(server.address()));
  grpc::ClientContext context;
  rpc::SetDeadline(&context, absl::Seconds(5));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service("no.such.Service");
  grpc::health::v1::HealthCheckResponse response;
  EXPECT_EQ(stub->Check(&context, request, &response).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST(AsyncAdminTest, HealthWatchIsRefusedByName) {
  AdminService admin(Identity{.id = "i", .name = "n", .kind = "router"}, nullptr);
  HostedServer server(&admin);
  auto stub = grpc::health::v1::Health::NewStub(rpc::MakeChannel(server.address()));
  grpc::ClientContext context;
  rpc::SetDeadline(&context, absl::Seconds(5));
  auto reader = stub->Watch(&context, grpc::health::v1::HealthCheckRequest());
  grpc::health::v1::HealthCheckResponse response;
  EXPECT_FALSE(reader->Read(&response));
  grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_NE(status.error_message().find("Watch"), std::string::npos);
}

TEST(AsyncAdminTest, AdminAnswersFromTheServiceAndItsHooks) {
  Hooks hooks;
  AdminService admin(Identity{.id = "router-1", .name = "r", .kind = "router"}, &hooks);
  HostedServer server(&admin);
  auto stub = v1::Admin::NewStub(rpc::MakeChannel(server.address()));
  {
    grpc::ClientContext context;
    rpc::SetDeadline(&context, absl::Seconds(5));
    v1::ServerInfo info;
    ASSERT_TRUE(stub->GetServerInfo(&context, v1::GetServerInfoRequest(), &info).ok());
    EXPECT_EQ(info.id(), "router-1");
    EXPECT_EQ(info.kind(), "router");
  }
  {
    grpc::ClientContext context;
    rpc::SetDeadline(&context, absl::Seconds(5));
    v1::ListConnectionsResponse out;
    ASSERT_TRUE(stub->ListConnections(&context, v1::ListConnectionsRequest(), &out).ok());
    EXPECT_EQ(out.total(), 7);
  }
  {
    grpc::ClientContext context;
    rpc::SetDeadline(&context, absl::Seconds(5));
    v1::ListSubscriptionsResponse out;
    grpc::Status status = stub->ListSubscriptions(&context, v1::ListSubscriptionsRequest(), &out);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
    EXPECT_EQ(status.error_message(), "this daemon has no subscriptions");
  }
}

TEST(AsyncAdminTest, ShutdownRightAfterACallIsClean) {
  AdminService admin(Identity{.id = "i", .name = "n", .kind = "router"}, nullptr);
  auto server = std::make_unique<HostedServer>(&admin);
  auto stub = grpc::health::v1::Health::NewStub(rpc::MakeChannel(server->address()));
  grpc::ClientContext context;  // a Watch just started when the server goes away
  rpc::SetDeadline(&context, absl::Seconds(5));
  auto reader = stub->Watch(&context, grpc::health::v1::HealthCheckRequest());
  server.reset();
  grpc::health::v1::HealthCheckResponse response;
  EXPECT_FALSE(reader->Read(&response));
  EXPECT_FALSE(reader->Finish().ok());
}

}  // namespace
}  // namespace meridian::admin
