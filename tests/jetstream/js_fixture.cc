#include "tests/jetstream/js_fixture.h"

#include <cctype>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/support/process.h"

namespace meridian::testing::jetstream {
namespace {

std::map<Backend, std::unique_ptr<JsServer>>& Shared() {
  static auto* shared = new std::map<Backend, std::unique_ptr<JsServer>>();
  return *shared;
}

// Stops the shared servers when the binary's tests are done; a Meridian
// daemon that exited meanwhile (and was restarted by the launcher) fails.
class SharedServersEnvironment : public ::testing::Environment {
 public:
  void TearDown() override { JetStreamTest::StopSharedServers(); }
};
[[maybe_unused]] ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new SharedServersEnvironment);

}  // namespace

Client::Client(const std::string& url, int64_t js_wait_ms) {
  natsOptions* opts = nullptr;
  if (natsOptions_Create(&opts) != NATS_OK) return;
  natsOptions_SetURL(opts, url.c_str());
  natsOptions_SetAllowReconnect(opts, false);
  natsOptions_SetTimeout(opts, 5000);
  natsOptions_SetErrorHandler(opts, &Client::OnError, this);
  connect_status_ = natsConnection_Connect(&nc_, opts);
  natsOptions_Destroy(opts);
  if (connect_status_ != NATS_OK) {
    nc_ = nullptr;
    return;
  }
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = js_wait_ms;
  if (natsConnection_JetStream(&js_, nc_, &jo) != NATS_OK) js_ = nullptr;
}

Client::~Client() {
  if (js_ != nullptr) jsCtx_Destroy(js_);
  if (nc_ != nullptr) natsConnection_Destroy(nc_);
}

void Client::OnError(natsConnection*, natsSubscription*, natsStatus err, void* closure) {
  auto* self = static_cast<Client*>(closure);
  std::lock_guard<std::mutex> lock(self->mu_);
  self->async_errors_.push_back(absl::StrCat(err, ": ", natsStatus_GetText(err)));
}

std::vector<std::string> Client::AsyncErrors() {
  std::lock_guard<std::mutex> lock(mu_);
  return async_errors_;
}

bool WaitJetStreamReady(const std::string& url, absl::Duration timeout, std::string* last_error) {
  return PollUntil(
      [&] {
        Client c(url, 1000);
        if (!c.ok()) {
          *last_error = absl::StrCat("connect: ", natsStatus_GetText(c.connect_status()));
          return false;
        }
        jsAccountInfo* ai = nullptr;
        jsErrCode jerr = static_cast<jsErrCode>(0);
        natsStatus s = js_GetAccountInfo(&ai, c.js(), nullptr, &jerr);
        if (s == NATS_OK) {
          jsAccountInfo_Destroy(ai);
          return true;
        }
        *last_error = absl::StrCat("$JS.API.INFO: ", natsStatus_GetText(s), " err_code ",
                                   static_cast<int>(jerr), " ", LastError());
        return false;
      },
      timeout);
}

void JetStreamTest::StopSharedServers() {
  for (auto& [backend, server] : Shared()) {
    if (server) {
      EXPECT_EQ(server->DaemonExits(), "") << "a daemon exited during the tests:\n"
                                           << server->Log();
    }
  }
  Shared().clear();
}

void JetStreamTest::SetUp() {
  if (backend() == Backend::kNatsServer && NatsServerPath().empty()) {
    GTEST_SKIP() << "nats-server not installed: no cross-check";
  }
  if (!UsesSharedServer()) return;
  std::unique_ptr<JsServer>& s = Shared()[backend()];
  if (!s) {
    std::string error;
    s = JsServer::Start(backend(), &error);
    ASSERT_NE(s, nullptr) << error;
    ASSERT_TRUE(WaitJetStreamReady(s->url(), absl::Seconds(30), &error)) << error << "\nlog:\n"
                                                                         << s->Log();
  }
  server_ = s.get();
  ASSERT_TRUE(Connect(server_->url()));
}

bool JetStreamTest::Connect(const std::string& url) {
  client_ = std::make_unique<Client>(url);
  EXPECT_TRUE(client_->ok()) << "connect to " << url << ": "
                             << natsStatus_GetText(client_->connect_status());
  return client_->ok();
}

void JetStreamTest::TearDown() {
  client_.reset();
  if (own_) {
    std::string unexpected;
    for (absl::string_view line : absl::StrSplit(own_->DaemonExits(), '\n', absl::SkipEmpty())) {
      if (expected_exit_.empty() || !absl::StrContains(line, expected_exit_ + " exited")) {
        absl::StrAppend(&unexpected, line, "\n");
      }
    }
    EXPECT_EQ(unexpected, "") << "a daemon exited during the test:\n" << own_->Log();
    own_.reset();
  }
}

JsServer* JetStreamTest::OwnServer() {
  std::string error;
  own_ = JsServer::Start(backend(), &error);
  EXPECT_NE(own_, nullptr) << error;
  if (!own_) return nullptr;
  EXPECT_TRUE(WaitJetStreamReady(own_->url(), absl::Seconds(30), &error)) << error << "\nlog:\n"
                                                                          << own_->Log();
  return own_.get();
}

std::string JetStreamTest::Unique(const std::string& prefix) const {
  std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  name = name.substr(0, name.find('/'));
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return prefix + "_" + name;
}

std::string JetStreamTest::Token() const {
  std::string t = Unique("t");
  for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return t;
}

StreamInfoPtr JetStreamTest::AddStream(const std::string& name,
                                       const std::vector<std::string>& subjects,
                                       const std::function<void(jsStreamConfig&)>& tune) {
  std::vector<const char*> subj;
  for (const std::string& s : subjects) subj.push_back(s.c_str());
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = name.c_str();
  cfg.Subjects = subj.data();
  cfg.SubjectsLen = static_cast<int>(subj.size());
  if (tune) tune(cfg);
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_AddStream(&si, js(), &cfg, nullptr, &jerr);
  EXPECT_EQ(s, NATS_OK) << "js_AddStream " << name << ": " << natsStatus_GetText(s) << " err_code "
                        << jerr << " " << LastError();
  return StreamInfoPtr(s == NATS_OK ? si : nullptr);
}

StreamInfoPtr JetStreamTest::StreamInfo(const std::string& name, jsOptions* opts) {
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&si, js(), name.c_str(), opts, &jerr);
  EXPECT_EQ(s, NATS_OK) << "stream info " << name << ": " << natsStatus_GetText(s) << " err_code "
                        << jerr << " " << LastError();
  return StreamInfoPtr(s == NATS_OK ? si : nullptr);
}

ConsumerInfoPtr JetStreamTest::ConsumerInfo(const std::string& stream,
                                            const std::string& consumer) {
  jsConsumerInfo* ci = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetConsumerInfo(&ci, js(), stream.c_str(), consumer.c_str(), nullptr, &jerr);
  EXPECT_EQ(s, NATS_OK) << "consumer info " << stream << "/" << consumer << ": "
                        << natsStatus_GetText(s) << " err_code " << jerr << " " << LastError();
  return ConsumerInfoPtr(s == NATS_OK ? ci : nullptr);
}

uint64_t JetStreamTest::Publish(const std::string& subject, const std::string& data) {
  jsPubAck* pa = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_Publish(&pa, js(), subject.c_str(), data.data(), static_cast<int>(data.size()),
                            nullptr, &jerr);
  PubAckPtr owned(pa);
  EXPECT_EQ(s, NATS_OK) << "publish " << subject << ": " << natsStatus_GetText(s) << " err_code "
                        << jerr << " " << LastError();
  return s == NATS_OK ? pa->Sequence : 0;
}

void JetStreamTest::PublishAsyncN(int count, const std::function<std::string(int)>& subject,
                                  const std::function<std::string(int)>& payload) {
  for (int i = 0; i < count; ++i) {
    std::string subj = subject(i), data = payload(i);
    natsStatus s =
        js_PublishAsync(js(), subj.c_str(), data.data(), static_cast<int>(data.size()), nullptr);
    ASSERT_EQ(s, NATS_OK) << "async publish " << i << ": " << LastError();
  }
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = 30000;
  natsStatus s = js_PublishAsyncComplete(js(), &po);
  ASSERT_EQ(s, NATS_OK) << "js_PublishAsyncComplete: " << natsStatus_GetText(s);
}

ConsumerCounts JetStreamTest::WaitCounts(const std::string& stream, const std::string& consumer,
                                         const ConsumerCounts& want, absl::Duration timeout) {
  ConsumerCounts last;
  PollUntil(
      [&] {
        jsConsumerInfo* ci = nullptr;
        if (js_GetConsumerInfo(&ci, js(), stream.c_str(), consumer.c_str(), nullptr, nullptr) !=
            NATS_OK) {
          return false;
        }
        last = CountsOf(ci);
        jsConsumerInfo_Destroy(ci);
        return last == want;
      },
      timeout);
  return last;
}

std::vector<MsgPtr> JetStreamTest::Fetch(natsSubscription* sub, int batch, int64_t timeout_ms,
                                         natsStatus* status) {
  MsgList got;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = natsSubscription_Fetch(&got.list, sub, batch, timeout_ms, &jerr);
  if (status != nullptr) *status = s;
  std::vector<MsgPtr> out;
  for (int i = 0; i < got.list.Count; ++i) {
    out.emplace_back(got.list.Msgs[i]);
    got.list.Msgs[i] = nullptr;
  }
  return out;
}

SubPtr JetStreamTest::BindPull(const std::string& stream, const std::string& consumer) {
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = stream.c_str();
  so.Consumer = consumer.c_str();
  natsSubscription* sub = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_PullSubscribe(&sub, js(), nullptr, nullptr, nullptr, &so, &jerr);
  EXPECT_EQ(s, NATS_OK) << "bind pull " << stream << "/" << consumer << ": "
                        << natsStatus_GetText(s) << " err_code " << jerr << " " << LastError();
  return SubPtr(s == NATS_OK ? sub : nullptr);
}

}  // namespace meridian::testing::jetstream
