// The fixture of the JetStream tests: every test runs once against Meridian
// and once against the reference nats-server (2.9.10), so each expectation is
// validated by the real thing. One server per backend is shared by all tests
// of the binary (each test uses its own stream/bucket names); tests that
// restart or kill a server start their own with OwnServer().
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/jetstream/js_client.h"
#include "tests/jetstream/js_server.h"

namespace meridian::testing::jetstream {

inline std::string ParamName(const ::testing::TestParamInfo<Backend>& info) {
  return BackendName(info.param);
}

#define MERIDIAN_JS_INSTANTIATE(suite)                                         \
  INSTANTIATE_TEST_SUITE_P(                                                    \
      Servers, suite,                                                          \
      ::testing::Values(::meridian::testing::jetstream::Backend::kMeridian,    \
                        ::meridian::testing::jetstream::Backend::kNatsServer), \
      ::meridian::testing::jetstream::ParamName)

// A libnats connection and its JetStream context; records asynchronous errors.
class Client {
 public:
  // Connects to `url` (no reconnect, 5 s timeouts); check ok() afterwards.
  explicit Client(const std::string& url, int64_t js_wait_ms = 5000);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool ok() const { return js_ != nullptr; }
  natsStatus connect_status() const { return connect_status_; }
  natsConnection* nc() const { return nc_; }
  jsCtx* js() const { return js_; }
  // Async errors libnats reported (error handler), as "status: text" lines.
  std::vector<std::string> AsyncErrors();

 private:
  static void OnError(natsConnection* nc, natsSubscription* sub, natsStatus err, void* closure);

  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
  natsStatus connect_status_ = NATS_OK;
  std::mutex mu_;
  std::vector<std::string> async_errors_;
};

// Polls $JS.API.INFO until JetStream answers (a fresh Meridian suite needs its
// jetstream daemon attached to the router). False after `timeout`.
bool WaitJetStreamReady(const std::string& url, absl::Duration timeout, std::string* last_error);

class JetStreamTest : public ::testing::TestWithParam<Backend> {
 public:
  static void StopSharedServers();

 protected:
  Backend backend() const { return GetParam(); }
  bool meridian() const { return backend() == Backend::kMeridian; }

  void SetUp() override;
  void TearDown() override;

  // The shared server of this backend (started on first use).
  JsServer& server() { return *server_; }
  natsConnection* nc() const { return client_->nc(); }
  jsCtx* js() const { return client_->js(); }
  Client& client() { return *client_; }

  // A server of this test's backend for this test alone (stopped at the end;
  // a daemon that exited meanwhile fails the test, unless it was this one).
  JsServer* OwnServer();
  // The test kills Meridian's `daemon` (e.g. "meridian-router") on purpose.
  void ExpectDaemonExit(const std::string& daemon) { expected_exit_ = daemon; }
  // Replaces the test's client by one connected to `url` (the helpers below
  // use it); false, with a test failure, if it cannot connect.
  bool Connect(const std::string& url);
  // Closes the test's client (before stopping its server).
  void Disconnect() { client_.reset(); }
  // False for fixtures whose tests only use their own servers.
  virtual bool UsesSharedServer() const { return true; }

  // A name unique to this test: `prefix` + "_" + the test's name.
  std::string Unique(const std::string& prefix) const;
  // A subject token unique to this test (lower-case test name).
  std::string Token() const;

  // js_AddStream with `subjects` and the config adjusted by `tune`; fails the
  // test (and returns nullptr) unless it succeeds.
  StreamInfoPtr AddStream(const std::string& name, const std::vector<std::string>& subjects,
                          const std::function<void(jsStreamConfig&)>& tune = nullptr);
  StreamInfoPtr StreamInfo(const std::string& name, jsOptions* opts = nullptr);
  ConsumerInfoPtr ConsumerInfo(const std::string& stream, const std::string& consumer);
  // js_Publish; returns the acknowledged sequence (0 and a test failure on error).
  uint64_t Publish(const std::string& subject, const std::string& data);
  // `count` publishes with js_PublishAsync, then js_PublishAsyncComplete.
  // subject(i), payload(i) for i in [0, count).
  void PublishAsyncN(int count, const std::function<std::string(int)>& subject,
                     const std::function<std::string(int)>& payload);
  // Polls consumer info until its counts equal `want` (deadline 10 s);
  // returns the last counts seen.
  ConsumerCounts WaitCounts(const std::string& stream, const std::string& consumer,
                            const ConsumerCounts& want, absl::Duration timeout = absl::Seconds(10));
  // natsSubscription_Fetch; the messages (empty on timeout), status in *status.
  std::vector<MsgPtr> Fetch(natsSubscription* sub, int batch, int64_t timeout_ms,
                            natsStatus* status = nullptr);
  // A pull subscription bound to an existing consumer.
  SubPtr BindPull(const std::string& stream, const std::string& consumer);

 private:
  JsServer* server_ = nullptr;
  std::unique_ptr<Client> client_;
  std::unique_ptr<JsServer> own_;
  std::string expected_exit_;
};

}  // namespace meridian::testing::jetstream
