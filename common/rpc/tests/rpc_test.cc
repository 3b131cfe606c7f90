#include "common/rpc/rpc.h"

#include <unistd.h>

#include "gtest/gtest.h"
#include "meridian/admin/v1/admin.grpc.pb.h"

namespace meridian::rpc {
namespace {

// gRPC needs at least one service to serve; its methods stay unimplemented.
meridian::admin::v1::Admin::CallbackService g_service;

TEST(RpcTest, HealthFollowsServingState) {
  auto server = GrpcServer::Start("127.0.0.1:0", {&g_service});
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string address = (*server)->address();
  EXPECT_EQ(CheckHealth(address, absl::Seconds(5)), Health::kNotServing);
  (*server)->SetServing(true);
  EXPECT_EQ(CheckHealth(address, absl::Seconds(5)), Health::kServing);
  (*server)->Shutdown(absl::ZeroDuration());
  EXPECT_EQ(CheckHealth(address, absl::Milliseconds(300)), Health::kUnreachable);
}

TEST(RpcTest, PortInUseIsAnError) {
  auto first = GrpcServer::Start("127.0.0.1:0", {&g_service});
  ASSERT_TRUE(first.ok());
  auto second = GrpcServer::Start((*first)->address(), {&g_service});
  EXPECT_FALSE(second.ok());
}

TEST(RpcTest, UnixSocket) {
  std::string path = ::testing::TempDir() + "/rpc_test_" + std::to_string(::getpid()) + ".sock";
  ::unlink(path.c_str());
  auto server = GrpcServer::Start("unix:" + path, {&g_service});
  ASSERT_TRUE(server.ok()) << server.status();
  (*server)->SetServing(true);
  EXPECT_EQ(CheckHealth("unix:" + path, absl::Seconds(5)), Health::kServing);
  (*server)->Shutdown(absl::ZeroDuration());
  ::unlink(path.c_str());
}

}  // namespace
}  // namespace meridian::rpc
