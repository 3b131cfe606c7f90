// Fixtures of the core NATS tests. Every suite runs against Meridian and,
// where installed, against the reference nats-server (2.9.10), so the
// expectations themselves are checked against the real thing.
//
// SharedServerTest: one default-configured server per kind, shared by the
// tests of a suite (started on first use, stopped in TearDownTestSuite).
// Tests that need a configuration of their own call StartServer().
#pragma once

#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "tests/core/nats_client.h"
#include "tests/core/raw_client.h"
#include "tests/core/test_server.h"

namespace meridian::testing {

inline std::string ParamName(const ::testing::TestParamInfo<ServerKind>& info) {
  return KindName(info.param);
}

#define MERIDIAN_CORE_INSTANTIATE(suite)                                                    \
  INSTANTIATE_TEST_SUITE_P(Servers, suite,                                                  \
                           ::testing::Values(::meridian::testing::ServerKind::kMeridian,    \
                                             ::meridian::testing::ServerKind::kNatsServer), \
                           ::meridian::testing::ParamName)

inline ServerKind KindOf(ServerKind kind) { return kind; }
template <typename T>
ServerKind KindOf(const std::tuple<ServerKind, T>& param) {
  return std::get<0>(param);
}

// Param: ServerKind, or a tuple whose first element is the ServerKind.
template <typename Param>
class CoreTestBase : public ::testing::TestWithParam<Param> {
 protected:
  ServerKind kind() const { return KindOf(this->GetParam()); }
  bool meridian() const { return kind() == ServerKind::kMeridian; }

  void SetUp() override {
    if (kind() == ServerKind::kNatsServer && NatsServerPath().empty()) {
      GTEST_SKIP() << "nats-server not installed: no cross-check";
    }
  }

  // A server of this test's kind with its own configuration, stopped when
  // the test ends (also on failure). Fails the test if it cannot start.
  TestServer* StartServer(const ServerSetup& setup) {
    std::string error;
    own_.push_back(TestServer::Start(kind(), setup, &error));
    EXPECT_NE(own_.back(), nullptr) << error;
    return own_.back().get();
  }

  void TearDown() override {
    for (auto& s : own_) {
      if (s) {
        EXPECT_EQ(s->DaemonExits(), "") << "a daemon exited during the test:\n" << s->Log();
      }
    }
    own_.clear();
  }

 private:
  std::vector<std::unique_ptr<TestServer>> own_;
};

using CoreTest = CoreTestBase<ServerKind>;

template <typename Param>
class SharedServerTestBase : public CoreTestBase<Param> {
 public:
  static void TearDownTestSuite() {
    for (auto& [kind, server] : Shared()) {
      if (server) {
        EXPECT_EQ(server->DaemonExits(), "") << server->Log();
      }
    }
    Shared().clear();
  }

 protected:
  void SetUp() override {
    CoreTestBase<Param>::SetUp();
    if (this->IsSkipped()) return;
    std::unique_ptr<TestServer>& s = Shared()[this->kind()];
    if (!s) {
      std::string error;
      s = TestServer::Start(this->kind(), {}, &error);
      ASSERT_NE(s, nullptr) << error;
    }
    server_ = s.get();
  }

  TestServer& server() { return *server_; }
  std::string url() const { return server_->url(); }

  // A libnats connection to the shared server (fails the test otherwise).
  NatsConnPtr Conn() {
    natsStatus st;
    NatsConnPtr nc = NatsConnect(url(), &st);
    EXPECT_EQ(st, NATS_OK) << natsStatus_GetText(st);
    return nc;
  }
  // A raw socket that has read INFO.
  bool Raw(RawClient* c) { return c->ConnectAndReadInfo(server_->host(), server_->port()); }

 private:
  // One per kind, shared by every suite of the binary until a suite ends.
  static std::map<ServerKind, std::unique_ptr<TestServer>>& Shared() {
    static auto* shared = new std::map<ServerKind, std::unique_ptr<TestServer>>();
    return *shared;
  }
  TestServer* server_ = nullptr;
};

using SharedServerTest = SharedServerTestBase<ServerKind>;

}  // namespace meridian::testing
