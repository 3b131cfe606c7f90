// Messages the router delivers to a frontend: a fake router (an AttachServer
// with its own handler) feeds packed records to a real Core, and raw TCP
// clients read what the frontend writes. A record's deliver_as is the subject
// the client sees; subscriptions still match its routing subject.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "services/frontend/core.h"
#include "services/router/transport/attach_server.h"
#include "services/router/transport/packed.h"

namespace meridian::frontend {
namespace {

using router::PackedMessage;
using router::v1::Frame;

template <typename Pred>
bool WaitUntil(Pred done, absl::Duration timeout = absl::Seconds(10)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(2));
  }
  return true;
}

// Stands in for the router: records the frontend's interest and the packed
// messages it forwards, and sends Frames to it.
class FakeRouter : public router::PeerHandler {
 public:
  void OnAttach(router::PeerSession* session, const router::v1::Hello&) override {
    std::lock_guard<std::mutex> lock(mu_);
    session_ = session->shared_from_this();
  }
  void OnFrame(router::PeerSession*, const Frame& frame) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (frame.interest_reset()) interest_.clear();
    for (const auto& d : frame.interest()) interest_[d.subject()] += d.count();
    std::string_view in = frame.packed();
    PackedMessage m;
    bool malformed = false;
    while (router::NextPacked(&in, &m, &malformed)) {
      forwarded_.push_back(std::string(m.subject) + "|" + std::string(m.deliver_as));
    }
  }
  void OnDetach(router::PeerSession* session) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (session_.get() == session) session_.reset();
  }

  bool attached() {
    std::lock_guard<std::mutex> lock(mu_);
    return session_ != nullptr;
  }
  int64_t Interest(const std::string& subject) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = interest_.find(subject);
    return it == interest_.end() ? 0 : it->second;
  }
  std::vector<std::string> Forwarded() {
    std::lock_guard<std::mutex> lock(mu_);
    return forwarded_;
  }
  bool Send(const Frame& frame) {
    std::lock_guard<std::mutex> lock(mu_);
    return session_ != nullptr && session_->Send(frame);
  }

 private:
  std::mutex mu_;
  std::shared_ptr<router::PeerSession> session_;
  std::map<std::string, int64_t> interest_;
  std::vector<std::string> forwarded_;
};

// A blocking NATS client on a raw socket, reading with deadlines.
class RawClient {
 public:
  explicit RawClient(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawClient() { ::close(fd_); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }
  void Send(std::string_view s) { (void)!::write(fd_, s.data(), s.size()); }
  // Reads until `needle` has arrived (true) or the deadline or EOF (false).
  bool WaitFor(std::string_view needle, absl::Duration timeout = absl::Seconds(10)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (in_.find(needle) == std::string::npos) {
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n <= 0) return false;
      in_.append(buf, static_cast<size_t>(n));
    }
    return true;
  }
  const std::string& in() const { return in_; }

 private:
  int fd_;
  bool connected_ = false;
  std::string in_;
};

// A frontend with two loops attached to a fake router.
class RouterDeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router::AttachServerOptions so;
    so.listen = "127.0.0.1:0";
    so.hello.set_peer_id("RFAKE");
    so.hello.set_kind(router::v1::PEER_KIND_ROUTER);
    so.hello.set_protocol_version(1);
    auto server = router::AttachServer::Start(std::move(so), &router_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    CoreOptions o;
    o.client_listen = "127.0.0.1:0";
    o.workers = 2;
    o.server_id = "NFRONTENDTEST";
    o.server_name = "fe";
    o.routers = {server_->address()};
    core_ = std::make_unique<Core>(std::move(o));
    ASSERT_TRUE(core_->Start().ok());
    ASSERT_TRUE(WaitUntil([&] { return router_.attached(); }));
  }
  void TearDown() override {
    if (core_) core_->Stop();  // before the router, so it does not reconnect
    core_.reset();
    if (server_) server_->Shutdown();
  }

  // A client (headers on) subscribed to `subject` with `sid`, its SUB
  // processed.
  std::unique_ptr<RawClient> Subscriber(const std::string& subject, const std::string& sid) {
    auto c = std::make_unique<RawClient>(core_->port());
    EXPECT_TRUE(c->connected());
    c->Send("CONNECT {\"verbose\":false,\"headers\":true}\r\nSUB " + subject + " " + sid +
            "\r\nPING\r\n");
    EXPECT_TRUE(c->WaitFor("PONG\r\n"));
    return c;
  }

  static void Append(Frame* frame, std::string_view subject, std::string_view reply,
                     std::string_view deliver_as, std::string_view headers,
                     std::string_view payload) {
    PackedMessage m;
    m.account = "$G";
    m.subject = subject;
    m.reply = reply;
    m.origin = "js1";
    m.headers = headers;
    m.payload = payload;
    m.deliver_as = deliver_as;
    router::AppendPacked(frame->mutable_packed(), m, {});
  }

  FakeRouter router_;
  std::unique_ptr<router::AttachServer> server_;
  std::unique_ptr<Core> core_;
};

constexpr std::string_view kAck = "$JS.ACK.S.C.1.1.1.123.0";
constexpr std::string_view kHeaders = "NATS/1.0\r\nNats-Msg-Id: 1\r\n\r\n";  // 28 bytes

TEST_F(RouterDeliveryTest, DeliverAsIsTheSubjectTheClientSees) {
  // Connections are spread over the two loops in turn, so the routed batch's
  // loop delivers to one client itself and to the other through the other
  // loop (the cross-loop records carry the shown subject).
  std::unique_ptr<RawClient> a = Subscriber("_INBOX.x", "1");
  std::unique_ptr<RawClient> b = Subscriber("_INBOX.x", "7");
  // Subscribed to the shown subject: matching uses the routing subject, so
  // only the record routed on orders.new reaches it.
  std::unique_ptr<RawClient> shown = Subscriber("orders.*", "3");
  ASSERT_TRUE(WaitUntil([&] {
    return router_.Interest("_INBOX.x") >= 1 && router_.Interest("orders.*") >= 1;
  }));

  Frame frame;
  Append(&frame, "_INBOX.x", kAck, "orders.new", "", "hello");
  Append(&frame, "_INBOX.x", kAck, "orders.new", kHeaders, "hi");
  Append(&frame, "_INBOX.x", kAck, "", "", "plain");
  Append(&frame, "orders.new", "", "", "", "direct");
  ASSERT_TRUE(router_.Send(frame));

  for (const auto& [client, sid] : {std::pair{a.get(), "1"}, std::pair{b.get(), "7"}}) {
    const std::string s(sid);
    const std::string expected =
        "MSG orders.new " + s + " $JS.ACK.S.C.1.1.1.123.0 5\r\nhello\r\n"
        "HMSG orders.new " + s + " $JS.ACK.S.C.1.1.1.123.0 28 30\r\n"
        "NATS/1.0\r\nNats-Msg-Id: 1\r\n\r\nhi\r\n"
        "MSG _INBOX.x " + s + " $JS.ACK.S.C.1.1.1.123.0 5\r\nplain\r\n";
    ASSERT_TRUE(client->WaitFor(expected)) << client->in();
  }
  ASSERT_TRUE(shown->WaitFor("MSG orders.new 3 6\r\ndirect\r\n")) << shown->in();
  const std::string& got = shown->in();
  EXPECT_EQ(got.substr(got.find("PONG\r\n") + 6), "MSG orders.new 3 6\r\ndirect\r\n");
}

TEST_F(RouterDeliveryTest, LocalPublishesAreForwardedWithoutDeliverAs) {
  // The router says someone elsewhere wants fwd.>.
  Frame interest;
  auto* d = interest.add_interest();
  d->set_account("$G");
  d->set_subject("fwd.>");
  d->set_count(1);
  ASSERT_TRUE(router_.Send(interest));
  std::unique_ptr<RawClient> local = Subscriber("fwd.a", "1");
  RawClient pub(core_->port());
  ASSERT_TRUE(pub.connected());
  pub.Send("CONNECT {\"verbose\":false}\r\nPING\r\n");
  ASSERT_TRUE(pub.WaitFor("PONG\r\n"));
  // A publish before the frontend holds the remote interest is not
  // forwarded: publish again until one arrives.
  ASSERT_TRUE(WaitUntil([&] {
    pub.Send("PUB fwd.a 2\r\nhi\r\n");
    return WaitUntil([&] { return !router_.Forwarded().empty(); }, absl::Milliseconds(200));
  }));
  EXPECT_EQ(router_.Forwarded()[0], "fwd.a|");  // no deliver_as
  // The local subscriber sees the subject as published.
  EXPECT_TRUE(local->WaitFor("MSG fwd.a 1 2\r\nhi\r\n")) << local->in();
}

}  // namespace
}  // namespace meridian::frontend
