// The monitoring service against a real engine on a temporary store (no
// router: the engine's turns run without one) over a real gRPC server.
#include "services/jetstream/monitor/monitor_service.h"

#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "common/rpc/rpc.h"
#include "gtest/gtest.h"
#include "services/jetstream/engine/engine.h"

namespace meridian::jetstream {
namespace {

class MonitorServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "jsmon-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    EngineOptions o;
    o.store_dir = dir_;
    o.max_file_store = 1 << 20;
    o.server_name = "srv";
    o.link.targets = {"unix:" + dir_ + "/no-router.sock"};  // never answers
    auto engine = Engine::Open(o);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(*engine);
    engine_->Start();
    server_ = std::move(*rpc::GrpcServer::Start("127.0.0.1:0", {&service_}));
    stub_ = v1::JetStreamMonitor::NewStub(rpc::MakeChannel(server_->address()));
  }
  void TearDown() override {
    server_.reset();
    Engine* e = engine_.release();
    published_.store(nullptr);
    if (e != nullptr) {
      e->Stop();
      delete e;
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  grpc::Status Call(const v1::JszRequest& request, v1::JszReply* reply) {
    grpc::ClientContext context;
    rpc::SetDeadline(&context, absl::Seconds(10));
    return stub_->Jsz(&context, request, reply);
  }

  std::string dir_;
  std::unique_ptr<Engine> engine_;
  std::atomic<Engine*> published_{nullptr};
  JetStreamMonitorService service_{[this] { return published_.load(); }};
  std::unique_ptr<rpc::GrpcServer> server_;
  std::unique_ptr<v1::JetStreamMonitor::Stub> stub_;
};

TEST_F(MonitorServiceTest, AnswersJszFromTheEngineThread) {
  published_.store(engine_.get());
  v1::JszRequest request;
  request.set_server_id("NFRONTEND");
  request.set_accounts(true);
  v1::JszReply reply;
  ASSERT_TRUE(Call(request, &reply).ok());
  const std::string& json = reply.json();
  EXPECT_NE(json.find("\"server_id\": \"NFRONTEND\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"max_storage\": 1048576"), std::string::npos) << json;
  EXPECT_NE(json.find("\"store_dir\": \"" + dir_ + "/jetstream\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"streams\": 0"), std::string::npos) << json;
  EXPECT_NE(json.find("\"account_details\": ["), std::string::npos) << json;
  EXPECT_NE(json.find("\"name\": \"$G\""), std::string::npos) << json;

  request.set_accounts(false);
  ASSERT_TRUE(Call(request, &reply).ok());
  EXPECT_EQ(reply.json().find("account_details"), std::string::npos) << reply.json();
  request.set_account("$G");  // a named account is shown even without `accounts`
  ASSERT_TRUE(Call(request, &reply).ok());
  EXPECT_NE(reply.json().find("account_details"), std::string::npos) << reply.json();
  request.set_account("");
  request.set_accounts(true);
  request.set_offset(1);  // paged past the only account
  ASSERT_TRUE(Call(request, &reply).ok());
  EXPECT_EQ(reply.json().find("account_details"), std::string::npos) << reply.json();
}

TEST_F(MonitorServiceTest, AnswersTheVarzBlock) {
  published_.store(engine_.get());
  v1::JszRequest request;
  request.set_varz(true);
  v1::JszReply reply;
  ASSERT_TRUE(Call(request, &reply).ok());
  EXPECT_EQ(reply.json().rfind("{\"config\":{\"max_memory\":-1,\"max_storage\":1048576,", 0), 0u)
      << reply.json();
  EXPECT_NE(reply.json().find("\"stats\":{\"memory\":0,\"storage\":0,"), std::string::npos);
}

TEST_F(MonitorServiceTest, UnavailableWithoutARunningEngine) {
  v1::JszRequest request;
  v1::JszReply reply;
  grpc::Status status = Call(request, &reply);  // nothing published yet
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(status.error_message(), "JetStream is not running");

  published_.store(engine_.get());
  engine_->Stop();  // a stopped engine answers every posted call
  status = Call(request, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(status.error_message(), "JetStream is stopping");
}

}  // namespace
}  // namespace meridian::jetstream
