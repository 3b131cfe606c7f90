// AttachServer and AttachClient over real loopback gRPC streams.
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "meridian/router/v1/router.grpc.pb.h"
#include "services/router/transport/attach_client.h"
#include "services/router/transport/attach_server.h"
#include "services/router/transport/dialer.h"

namespace meridian::router {
namespace {

using ::meridian::router::v1::Frame;
using ::meridian::router::v1::Hello;

// Polls `done` until it holds or `timeout` passes.
template <typename Pred>
bool WaitFor(Pred done, absl::Duration timeout = absl::Seconds(15)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

Frame MessageFrame(const std::string& subject, size_t payload = 0) {
  Frame frame;
  auto* message = frame.add_messages();
  message->set_account("A");
  message->set_subject(subject);
  message->set_payload(std::string(payload, 'x'));
  return frame;
}

// Records everything; echoes Frames back when `echo` is set.
class RecordingHandler : public PeerHandler {
 public:
  void OnAttach(PeerSession* session, const Hello& hello) override {
    std::lock_guard<std::mutex> lock(mu_);
    sessions_[session->id()] = session->shared_from_this();
    hellos_[session->id()] = hello;
    subjects_[session->id()];
  }
  void OnFrame(PeerSession* session, const Frame& frame) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& message : frame.messages()) {
      subjects_[session->id()].push_back(message.subject());
    }
    if (frame.interest_reset()) ++resets_[session->id()];
    for (const auto& delta : frame.interest()) {
      interest_[session->id()].push_back(delta.subject());
    }
    if (echo) {
      Frame copy = frame;
      copy.clear_hello();
      EXPECT_TRUE(session->Send(copy));
    }
  }
  void OnDetach(PeerSession* session) override {
    std::lock_guard<std::mutex> lock(mu_);
    detached_.push_back(session->id());
  }

  size_t attached_count() {
    std::lock_guard<std::mutex> lock(mu_);
    return sessions_.size();
  }
  size_t detached_count() {
    std::lock_guard<std::mutex> lock(mu_);
    return detached_.size();
  }
  bool detached(uint64_t id) {
    std::lock_guard<std::mutex> lock(mu_);
    return std::find(detached_.begin(), detached_.end(), id) != detached_.end();
  }
  // The session whose Hello carried `peer_id`, or null if none attached within
  // 15 s. A client counts as connected once it has the server's Hello, which
  // the server queues before calling OnAttach: the session may follow.
  std::shared_ptr<PeerSession> session(const std::string& peer_id) {
    std::shared_ptr<PeerSession> found;
    (void)WaitFor([&] {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& [id, hello] : hellos_) {
        if (hello.peer_id() == peer_id) found = sessions_[id];
      }
      return found != nullptr;
    });
    return found;
  }
  std::vector<std::string> subjects(uint64_t id) {
    std::lock_guard<std::mutex> lock(mu_);
    return subjects_[id];
  }
  size_t subject_count(uint64_t id) {
    std::lock_guard<std::mutex> lock(mu_);
    return subjects_[id].size();
  }

  int resets(uint64_t id) {
    std::lock_guard<std::mutex> lock(mu_);
    return resets_[id];
  }
  std::vector<std::string> interest(uint64_t id) {
    std::lock_guard<std::mutex> lock(mu_);
    return interest_[id];
  }

  std::atomic<bool> echo{false};

 private:
  std::map<uint64_t, int> resets_;
  std::map<uint64_t, std::vector<std::string>> interest_;
  std::mutex mu_;
  std::map<uint64_t, std::shared_ptr<PeerSession>> sessions_;
  std::map<uint64_t, Hello> hellos_;
  std::map<uint64_t, std::vector<std::string>> subjects_;
  std::vector<uint64_t> detached_;
};

// What an AttachClient saw, through its callbacks.
struct ClientRecorder {
  std::mutex mu;
  std::vector<bool> resyncs;  // one per on_connected
  std::vector<std::string> subjects;
  int disconnects = 0;

  AttachClientOptions Options(const std::string& target, const std::string& peer_id) {
    AttachClientOptions options;
    options.target = target;
    options.hello.set_peer_id(peer_id);
    options.hello.set_peer_name(peer_id + "-name");
    options.hello.set_kind(v1::PEER_KIND_FRONTEND);
    options.hello.set_protocol_version(1);
    options.on_connected = [this](bool resync, const Hello&) {
      std::lock_guard<std::mutex> lock(mu);
      resyncs.push_back(resync);
    };
    options.on_frame = [this](const Frame& frame) {
      std::lock_guard<std::mutex> lock(mu);
      for (const auto& message : frame.messages()) subjects.push_back(message.subject());
    };
    options.on_disconnected = [this](const absl::Status&) {
      std::lock_guard<std::mutex> lock(mu);
      ++disconnects;
    };
    return options;
  }
  size_t connects() {
    std::lock_guard<std::mutex> lock(mu);
    return resyncs.size();
  }
  size_t received() {
    std::lock_guard<std::mutex> lock(mu);
    return subjects.size();
  }
};

std::unique_ptr<AttachServer> StartServer(PeerHandler* handler, QueueLimits limits = {},
                                          const std::string& listen = "127.0.0.1:0") {
  AttachServerOptions options;
  options.listen = listen;
  options.hello.set_peer_id("router-1");
  options.hello.set_kind(v1::PEER_KIND_ROUTER);
  options.limits = limits;
  absl::StatusOr<std::unique_ptr<AttachServer>> server = AttachServer::Start(options, handler);
  if (!server.ok()) return nullptr;
  return std::move(*server);
}

std::vector<std::string> Subjects(const std::string& prefix, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(absl::StrCat(prefix, i));
  return out;
}

// Drives a driven-mode client the way the frontend's loop does: poll() on
// the watched socket and a wake-up eventfd, Drive after every event, within
// 1 ms while Drive says the stream is busy, else after 10 ms without one.
// (With no idle drive at all, 1 run in 12 of FramesBothWaysInOrder hung on a
// read completion that one of gRPC's own threads finished.)
class PollDriver : public AttachDriver {
 public:
  PollDriver() : wake_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ~PollDriver() override {
    Halt();
    ::close(wake_fd_);
  }
  void Run(AttachClient* client) {
    client_ = client;
    thread_ = std::thread([this] { Loop(); });
  }
  // Stops driving (before the client's Stop).
  void Halt() {
    if (!thread_.joinable()) return;
    stop_.store(true);
    Wake();
    thread_.join();
  }
  void Wake() override {
    uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof(one));
  }
  void Watch(int fd, bool writable) override {
    fd_ = fd;
    writable_ = writable;
    ++watch_calls_;
  }
  int watch_calls() const { return watch_calls_.load(); }

 private:
  void Loop() {
    bool busy = false;
    while (!stop_.load()) {
      pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {fd_, static_cast<short>(POLLIN | (writable_ ? POLLOUT : 0)), 0}};
      (void)::poll(fds, fd_ >= 0 ? 2 : 1, busy ? 1 : 10);
      if (fds[0].revents & POLLIN) {
        uint64_t value;
        (void)!::read(wake_fd_, &value, sizeof(value));
      }
      if (stop_.load()) break;
      const bool writable_only =
          fd_ >= 0 && (fds[1].revents & POLLOUT) != 0 && (fds[1].revents & POLLIN) == 0;
      busy = client_->Drive(writable_only);
    }
  }

  const int wake_fd_;
  AttachClient* client_ = nullptr;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  int fd_ = -1;  // driver thread (or the stopping thread once halted)
  bool writable_ = false;
  std::atomic<int> watch_calls_{0};
};

// A client and, in driven mode, its driver (halted before the client stops).
struct TestClient {
  std::unique_ptr<PollDriver> driver;
  std::unique_ptr<AttachClient> client;
  TestClient() = default;
  TestClient(TestClient&&) = default;
  ~TestClient() { Stop(); }
  AttachClient* operator->() { return client.get(); }
  AttachClient* get() { return client.get(); }
  void Stop() {
    if (driver) driver->Halt();
    if (client) client->Stop();
  }
};

enum class Mode { kThreaded, kDriven };

// The client-side tests run in both modes: on the client's own transport
// thread and driven by an owner's loop (AttachClientOptions::driver).
class AttachModeTest : public ::testing::TestWithParam<Mode> {
 protected:
  TestClient Start(AttachClientOptions options) {
    TestClient c;
    if (GetParam() == Mode::kThreaded) {
      c.client = AttachClient::Start(std::move(options));
      return c;
    }
    c.driver = std::make_unique<PollDriver>();
    options.driver = c.driver.get();
    c.client = AttachClient::Create(std::move(options));
    c.driver->Run(c.client.get());
    c.client->Connect();
    return c;
  }
};

INSTANTIATE_TEST_SUITE_P(Modes, AttachModeTest, ::testing::Values(Mode::kThreaded, Mode::kDriven),
                         [](const ::testing::TestParamInfo<Mode>& info) {
                           return info.param == Mode::kThreaded ? "Threaded" : "Driven";
                         });

TEST_P(AttachModeTest, HelloHandshake) {
  RecordingHandler handler;
  auto server = StartServer(&handler);
  ASSERT_NE(server, nullptr);
  ClientRecorder recorder;
  auto client = Start(recorder.Options(server->address(), "peer-a"));
  ASSERT_TRUE(WaitFor([&] { return recorder.connects() == 1 && handler.attached_count() == 1; }));
  EXPECT_TRUE(recorder.resyncs[0]);
  EXPECT_TRUE(client->connected());
  auto session = handler.session("peer-a");
  ASSERT_NE(session, nullptr);
  EXPECT_EQ(session->hello().peer_name(), "peer-a-name");
  EXPECT_EQ(session->hello().kind(), v1::PEER_KIND_FRONTEND);
  EXPECT_EQ(server->attached(), 1u);
  client.Stop();
  ASSERT_TRUE(WaitFor([&] { return handler.detached(session->id()); }));
  EXPECT_EQ(server->attached(), 0u);
  EXPECT_FALSE(session->Send(MessageFrame("late")));  // detached: refused, no crash
}

TEST_P(AttachModeTest, FramesBothWaysInOrder) {
  RecordingHandler handler;
  handler.echo = true;
  auto server = StartServer(&handler);
  ASSERT_NE(server, nullptr);
  ClientRecorder recorder;
  auto client = Start(recorder.Options(server->address(), "peer-a"));
  ASSERT_TRUE(WaitFor([&] { return client->connected(); }));
  constexpr int kFrames = 300;
  for (int i = 0; i < kFrames; ++i) {
    ASSERT_TRUE(client->Enqueue(MessageFrame(absl::StrCat("s.", i))));
  }
  ASSERT_TRUE(WaitFor([&] { return recorder.received() == kFrames; }));
  auto session = handler.session("peer-a");
  EXPECT_EQ(handler.subjects(session->id()), Subjects("s.", kFrames));
  std::lock_guard<std::mutex> lock(recorder.mu);
  EXPECT_EQ(recorder.subjects, Subjects("s.", kFrames));
}

TEST_P(AttachModeTest, CoalescesQueuedFramesIntoFewerWrites) {
  RecordingHandler handler;
  auto server = StartServer(&handler);
  ASSERT_NE(server, nullptr);
  ClientRecorder recorder;
  auto client = Start(recorder.Options(server->address(), "peer-a"));
  ASSERT_TRUE(WaitFor([&] { return client->connected(); }));
  constexpr int kFrames = 5000;
  for (int i = 0; i < kFrames; ++i) {
    ASSERT_TRUE(client->Enqueue([&](Frame* frame) {
      auto* message = frame->add_messages();
      message->set_account("A");
      message->set_subject(absl::StrCat("s.", i));
      message->set_payload("0123456789abcdef");
    }));
  }
  auto session = handler.session("peer-a");
  ASSERT_NE(session, nullptr);
  ASSERT_TRUE(WaitFor([&] { return handler.subject_count(session->id()) == kFrames; }));
  EXPECT_EQ(handler.subjects(session->id()), Subjects("s.", kFrames));
  TransportStats stats = client->stats();
  EXPECT_EQ(stats.frames_enqueued, static_cast<uint64_t>(kFrames));
  EXPECT_EQ(stats.messages_written, static_cast<uint64_t>(kFrames));
  EXPECT_LT(stats.writes, static_cast<uint64_t>(kFrames) / 2);
  EXPECT_EQ(session->stats().frames_received, stats.writes + 1);  // + the Hello
}

TEST(AttachTest, SeveralClients) {
  RecordingHandler handler;
  handler.echo = true;
  auto server = StartServer(&handler);
  ASSERT_NE(server, nullptr);
  constexpr int kClients = 4;
  constexpr int kFrames = 200;
  std::vector<std::unique_ptr<ClientRecorder>> recorders;
  std::vector<std::unique_ptr<AttachClient>> clients;
  for (int c = 0; c < kClients; ++c) {
    recorders.push_back(std::make_unique<ClientRecorder>());
    clients.push_back(AttachClient::Start(
        recorders.back()->Options(server->address(), absl::StrCat("peer-", c))));
  }
  ASSERT_TRUE(WaitFor([&] {
    for (auto& client : clients) {
      if (!client->connected()) return false;
    }
    return true;
  }));
  for (int i = 0; i < kFrames; ++i) {
    for (int c = 0; c < kClients; ++c) {
      ASSERT_TRUE(clients[c]->Enqueue(MessageFrame(absl::StrCat("c", c, ".", i))));
    }
  }
  for (int c = 0; c < kClients; ++c) {
    ASSERT_TRUE(WaitFor([&] { return recorders[c]->received() == kFrames; }));
    std::lock_guard<std::mutex> lock(recorders[c]->mu);
    EXPECT_EQ(recorders[c]->subjects, Subjects(absl::StrCat("c", c, "."), kFrames));
    auto session = handler.session(absl::StrCat("peer-", c));
    ASSERT_NE(session, nullptr);
    EXPECT_EQ(handler.subjects(session->id()), Subjects(absl::StrCat("c", c, "."), kFrames));
  }
  EXPECT_EQ(server->attached(), static_cast<size_t>(kClients));
}

TEST_P(AttachModeTest, ReconnectsToANewServerOnTheSamePort) {
  RecordingHandler handler1;
  auto server1 = StartServer(&handler1);
  ASSERT_NE(server1, nullptr);
  const int port = server1->port();
  ClientRecorder recorder;
  auto client = Start(recorder.Options(server1->address(), "peer-a"));
  ASSERT_TRUE(WaitFor([&] { return recorder.connects() == 1; }));

  server1->Shutdown();
  EXPECT_EQ(handler1.detached_count(), 1u);
  ASSERT_TRUE(WaitFor([&] { return !client->connected(); }));
  EXPECT_FALSE(client->Enqueue(MessageFrame("while-down")));
  EXPECT_GE(client->stats().dropped, 1u);

  RecordingHandler handler2;
  std::unique_ptr<AttachServer> server2;
  ASSERT_TRUE(WaitFor([&] {
    server2 = StartServer(&handler2, {}, absl::StrCat("127.0.0.1:", port));
    return server2 != nullptr;
  }));
  ASSERT_TRUE(WaitFor([&] { return recorder.connects() == 2 && client->connected(); }));
  {
    std::lock_guard<std::mutex> lock(recorder.mu);
    EXPECT_TRUE(recorder.resyncs[1]);
    EXPECT_EQ(recorder.disconnects, 1);
  }
  EXPECT_EQ(client->connects(), 2u);
  ASSERT_TRUE(client->Enqueue(MessageFrame("after")));
  auto session = handler2.session("peer-a");
  ASSERT_NE(session, nullptr);
  ASSERT_TRUE(WaitFor([&] { return handler2.subject_count(session->id()) == 1; }));
  EXPECT_EQ(handler2.subjects(session->id())[0], "after");
}

TEST_P(AttachModeTest, FailsOverToTheNextTargetRoundRobin) {
  // A free port nobody listens on: the first target is dead at first.
  RecordingHandler unused;
  auto placeholder = StartServer(&unused);
  ASSERT_NE(placeholder, nullptr);
  const int dead_port = placeholder->port();
  const std::string first = placeholder->address();
  placeholder->Shutdown();

  RecordingHandler handler1;
  auto server1 = StartServer(&handler1);
  ASSERT_NE(server1, nullptr);
  ClientRecorder recorder;
  AttachClientOptions options = recorder.Options(first, "peer-a");
  options.fallback_targets = {server1->address()};
  options.max_backoff = absl::Milliseconds(200);
  auto client = Start(options);
  EXPECT_EQ(client->target(), first);
  ASSERT_TRUE(WaitFor([&] { return recorder.connects() == 1 && client->connected(); }));
  EXPECT_EQ(client->current_target(), server1->address());
  ASSERT_NE(handler1.session("peer-a"), nullptr);

  // The fallback dies and a router comes up on the first target: back there.
  server1->Shutdown();
  RecordingHandler handler2;
  std::unique_ptr<AttachServer> server2;
  ASSERT_TRUE(WaitFor([&] {
    server2 = StartServer(&handler2, {}, absl::StrCat("127.0.0.1:", dead_port));
    return server2 != nullptr;
  }));
  ASSERT_TRUE(WaitFor([&] { return recorder.connects() == 2 && client->connected(); }));
  EXPECT_EQ(client->current_target(), first);
  {
    std::lock_guard<std::mutex> lock(recorder.mu);
    EXPECT_EQ(recorder.disconnects, 1);
    EXPECT_TRUE(recorder.resyncs[1]);
  }
  ASSERT_TRUE(client->Enqueue(MessageFrame("after-failover")));
  auto session = handler2.session("peer-a");
  ASSERT_NE(session, nullptr);
  ASSERT_TRUE(WaitFor([&] { return handler2.subject_count(session->id()) == 1; }));
  EXPECT_EQ(handler2.subjects(session->id())[0], "after-failover");
}

TEST_P(AttachModeTest, OnConnectedCanResendInterestFirst) {
  RecordingHandler handler1;
  auto server1 = StartServer(&handler1);
  ASSERT_NE(server1, nullptr);
  const int port = server1->port();
  ClientRecorder recorder;
  AttachClientOptions options = recorder.Options(server1->address(), "peer-a");
  std::atomic<AttachClient*> self{nullptr};
  std::atomic<int> resyncs_sent{0};
  options.on_connected = [&](bool resync, const Hello&) {
    ASSERT_TRUE(resync);
    AttachClient* client = nullptr;
    // The first on_connected may run before Start returns.
    while ((client = self.load()) == nullptr) std::this_thread::yield();
    Frame reset;
    reset.set_interest_reset(true);
    reset.add_interest()->set_subject("foo");
    reset.mutable_interest(0)->set_account("A");
    reset.mutable_interest(0)->set_count(1);
    EXPECT_TRUE(client->Enqueue(reset));
    ++resyncs_sent;
  };
  auto client = Start(options);
  self.store(client.get());
  ASSERT_TRUE(WaitFor([&] { return resyncs_sent.load() == 1; }));
  ASSERT_TRUE(client->Enqueue(MessageFrame("m1")));
  ASSERT_TRUE(WaitFor([&] {
    auto session = handler1.session("peer-a");
    return session != nullptr && handler1.subject_count(session->id()) == 1;
  }));
  auto session1 = handler1.session("peer-a");
  EXPECT_EQ(handler1.resets(session1->id()), 1);
  EXPECT_EQ(handler1.interest(session1->id()), std::vector<std::string>{"foo"});

  server1->Shutdown();
  RecordingHandler handler2;
  std::unique_ptr<AttachServer> server2;
  ASSERT_TRUE(WaitFor([&] {
    server2 = StartServer(&handler2, {}, absl::StrCat("127.0.0.1:", port));
    return server2 != nullptr;
  }));
  ASSERT_TRUE(WaitFor([&] { return resyncs_sent.load() == 2; }));
  auto session2 = handler2.session("peer-a");
  ASSERT_NE(session2, nullptr);
  ASSERT_TRUE(WaitFor([&] { return handler2.resets(session2->id()) == 1; }));
  EXPECT_EQ(handler2.interest(session2->id()), std::vector<std::string>{"foo"});
  client.Stop();
}

// A raw stream that sends `first` and then never reads.
struct RawPeer {
  explicit RawPeer(const std::string& target)
      : stub(v1::Router::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()))),
        stream(stub->Attach(&context)) {}
  ~RawPeer() { context.TryCancel(); }
  std::unique_ptr<v1::Router::Stub> stub;
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReaderWriter<Frame, Frame>> stream;
};

TEST(AttachTest, SlowPeerIsDisconnectedWithoutBlockingOthers) {
  RecordingHandler handler;
  QueueLimits limits;
  limits.max_bytes = 256 << 10;
  limits.max_frame_bytes = 64 << 10;
  limits.stall_timeout = absl::Milliseconds(200);
  auto server = StartServer(&handler, limits);
  ASSERT_NE(server, nullptr);

  RawPeer slow(server->address());
  Frame hello;
  hello.mutable_hello()->set_peer_id("slow");
  ASSERT_TRUE(slow.stream->Write(hello));
  ClientRecorder fast_recorder;
  auto fast = AttachClient::Start(fast_recorder.Options(server->address(), "fast"));
  ASSERT_TRUE(WaitFor([&] { return handler.attached_count() == 2 && fast->connected(); }));
  auto slow_session = handler.session("slow");
  auto fast_session = handler.session("fast");

  // Push 16 KiB frames at both; the fast peer must get all of its in order.
  int fast_sent = 0;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (!(handler.detached(slow_session->id()) && fast_sent >= 200)) {
    ASSERT_LT(absl::Now(), deadline) << "slow peer still attached, fast sent " << fast_sent;
    slow_session->Send(MessageFrame("slow", 16 << 10));
    if (fast_session->Send(MessageFrame(absl::StrCat("f.", fast_sent), 16 << 10))) {
      ++fast_sent;
    } else {
      absl::SleepFor(absl::Milliseconds(1));
    }
  }
  ASSERT_TRUE(WaitFor([&] { return fast_recorder.received() == static_cast<size_t>(fast_sent); }));
  {
    std::lock_guard<std::mutex> lock(fast_recorder.mu);
    EXPECT_EQ(fast_recorder.subjects, Subjects("f.", fast_sent));
  }
  TransportStats slow_stats = slow_session->stats();
  EXPECT_GT(slow_stats.overflows, 0u);
  EXPECT_EQ(slow_stats.stall_cancels, 1u);
  EXPECT_FALSE(slow_session->Send(MessageFrame("gone")));
  EXPECT_FALSE(handler.detached(fast_session->id()));
  EXPECT_TRUE(fast->connected());
  EXPECT_EQ(server->attached(), 1u);
}

// Paused reads: after the Frame being handled, nothing more is read from the
// peer (its Frames wait, then its queue) until ResumeReads; none is lost.
TEST(AttachTest, PausedReadsHoldThePeerBackUntilResumed) {
  RecordingHandler handler;
  auto server = StartServer(&handler);
  ASSERT_NE(server, nullptr);
  ClientRecorder recorder;
  auto client = AttachClient::Start(recorder.Options(server->address(), "peer-a"));
  ASSERT_TRUE(WaitFor([&] { return client->connected() && handler.session("peer-a") != nullptr; }));
  auto session = handler.session("peer-a");
  ASSERT_TRUE(client->Enqueue(MessageFrame("first")));
  ASSERT_TRUE(WaitFor([&] { return handler.subject_count(session->id()) == 1; }));
  session->PauseReads();
  // The read already posted takes one more Frame; after it nothing is read.
  ASSERT_TRUE(client->Enqueue(MessageFrame("second")));
  ASSERT_TRUE(WaitFor([&] { return handler.subject_count(session->id()) == 2; }));
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(client->Enqueue(MessageFrame(absl::StrCat("held.", i))));
  absl::SleepFor(absl::Milliseconds(200));  // a read would have happened by now
  EXPECT_EQ(handler.subject_count(session->id()), 2u);
  session->ResumeReads();
  ASSERT_TRUE(WaitFor([&] { return handler.subject_count(session->id()) == 52; }));
  std::vector<std::string> want = {"first", "second"};
  for (const std::string& s : Subjects("held.", 50)) want.push_back(s);
  EXPECT_EQ(handler.subjects(session->id()), want);
}

TEST_P(AttachModeTest, ClientPausedReadsHoldTheRouterBackUntilResumed) {
  RecordingHandler handler;
  auto server = StartServer(&handler);
  ASSERT_NE(server, nullptr);
  ClientRecorder recorder;
  auto client = Start(recorder.Options(server->address(), "peer-a"));
  ASSERT_TRUE(WaitFor([&] { return client->connected() && handler.session("peer-a") != nullptr; }));
  auto session = handler.session("peer-a");
  ASSERT_TRUE(session->Send(MessageFrame("first")));
  ASSERT_TRUE(WaitFor([&] { return recorder.received() == 1; }));
  client->PauseReads();
  ASSERT_TRUE(session->Send(MessageFrame("second")));  // the Read already posted takes it
  ASSERT_TRUE(WaitFor([&] { return recorder.received() == 2; }));
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(session->Send(MessageFrame(absl::StrCat("held.", i))));
  absl::SleepFor(absl::Milliseconds(200));  // a read would have happened by now
  EXPECT_EQ(recorder.received(), 2u);
  client->ResumeReads();
  ASSERT_TRUE(WaitFor([&] { return recorder.received() == 52; }));
  std::vector<std::string> want = {"first", "second"};
  for (const std::string& s : Subjects("held.", 50)) want.push_back(s);
  std::lock_guard<std::mutex> lock(recorder.mu);
  EXPECT_EQ(recorder.subjects, want);
}

TEST(AttachTest, FirstFrameWithoutHelloIsRejected) {
  RecordingHandler handler;
  auto server = StartServer(&handler);
  ASSERT_NE(server, nullptr);
  RawPeer peer(server->address());
  ASSERT_TRUE(peer.stream->Write(MessageFrame("no.hello")));
  Frame in;
  EXPECT_FALSE(peer.stream->Read(&in));
  grpc::Status status = peer.stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "first frame must carry hello");
  EXPECT_EQ(handler.attached_count(), 0u);
  EXPECT_EQ(handler.detached_count(), 0u);
}

TEST(AttachTest, ServerReplyCarriesHelloFirst) {
  RecordingHandler handler;
  handler.echo = true;
  auto server = StartServer(&handler);
  ASSERT_NE(server, nullptr);
  RawPeer peer(server->address());
  Frame first = MessageFrame("with.hello");
  first.mutable_hello()->set_peer_id("raw");
  ASSERT_TRUE(peer.stream->Write(first));
  Frame in;
  ASSERT_TRUE(peer.stream->Read(&in));
  EXPECT_EQ(in.hello().peer_id(), "router-1");
  EXPECT_TRUE(in.hello().resync_requested());
  EXPECT_EQ(in.messages_size(), 0);
  ASSERT_TRUE(peer.stream->Read(&in));  // the echo of the first frame's message
  ASSERT_EQ(in.messages_size(), 1);
  EXPECT_EQ(in.messages(0).subject(), "with.hello");
  EXPECT_FALSE(in.has_hello());
}

TEST_P(AttachModeTest, ShutdownCancelsStreams) {
  RecordingHandler handler;
  auto server = StartServer(&handler);
  ASSERT_NE(server, nullptr);
  RawPeer raw(server->address());
  Frame hello;
  hello.mutable_hello()->set_peer_id("raw");
  ASSERT_TRUE(raw.stream->Write(hello));
  ClientRecorder recorder;
  auto client = Start(recorder.Options(server->address(), "peer-a"));
  ASSERT_TRUE(WaitFor([&] { return handler.attached_count() == 2 && client->connected(); }));
  const absl::Time start = absl::Now();
  server->Shutdown();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(handler.detached_count(), 2u);
  EXPECT_EQ(server->attached(), 0u);
  ASSERT_TRUE(WaitFor([&] { return !client->connected(); }));
  Frame in;
  while (raw.stream->Read(&in)) {
  }
  EXPECT_FALSE(raw.stream->Finish().ok());
}

TEST_P(AttachModeTest, ClientQueueIsBounded) {
  RecordingHandler handler;
  auto server = StartServer(&handler);
  ASSERT_NE(server, nullptr);
  ClientRecorder recorder;
  AttachClientOptions options = recorder.Options(server->address(), "peer-a");
  options.limits.max_bytes = 64 << 10;
  options.limits.max_frame_bytes = 16 << 10;
  auto client = Start(options);
  ASSERT_TRUE(WaitFor([&] { return client->connected(); }));
  int accepted = 0;
  bool refused = false;
  for (int i = 0; i < 10000 && !refused; ++i) {
    if (client->Enqueue(MessageFrame(absl::StrCat("s.", accepted), 8 << 10))) {
      ++accepted;
    } else {
      refused = true;
    }
  }
  EXPECT_TRUE(refused);
  EXPECT_GE(client->stats().overflows, 1u);
  auto session = handler.session("peer-a");
  ASSERT_NE(session, nullptr);
  ASSERT_TRUE(WaitFor(
      [&] { return handler.subject_count(session->id()) == static_cast<size_t>(accepted); }));
  EXPECT_EQ(handler.subjects(session->id()), Subjects("s.", accepted));
}

TEST_P(AttachModeTest, UnreachableRouterRefusesFramesAndStopsPromptly) {
  RecordingHandler handler;
  auto server = StartServer(&handler);
  ASSERT_NE(server, nullptr);
  const std::string address = server->address();
  server->Shutdown();
  ClientRecorder recorder;
  auto client = Start(recorder.Options(address, "peer-a"));
  EXPECT_FALSE(client->connected());
  EXPECT_FALSE(client->Enqueue(MessageFrame("x")));
  EXPECT_EQ(client->stats().dropped, 1u);
  const absl::Time start = absl::Now();
  client.Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  EXPECT_EQ(recorder.connects(), 0u);
}

TEST(AttachTest, DrivenClientOverAUnixSocket) {
  const std::string path = absl::StrCat("/tmp/meridian-attach-test-", ::getpid(), ".sock");
  ::unlink(path.c_str());
  RecordingHandler handler;
  handler.echo = true;
  auto server = StartServer(&handler, {}, "unix:" + path);
  ASSERT_NE(server, nullptr);
  ClientRecorder recorder;
  PollDriver driver;
  AttachClientOptions options = recorder.Options("unix:" + path, "peer-u");
  options.driver = &driver;
  auto client = AttachClient::Create(std::move(options));
  driver.Run(client.get());
  client->Connect();
  ASSERT_TRUE(WaitFor([&] { return client->connected(); }));
  EXPECT_GE(driver.watch_calls(), 1);  // the socket it dialled
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(client->Enqueue(MessageFrame(absl::StrCat("u.", i))));
  ASSERT_TRUE(WaitFor([&] { return recorder.received() == 100; }));
  {
    std::lock_guard<std::mutex> lock(recorder.mu);
    EXPECT_EQ(recorder.subjects, Subjects("u.", 100));
  }
  driver.Halt();
  client->Stop();
  server->Shutdown();
  ::unlink(path.c_str());
}

TEST(DialerTest, RefusesMalformedAddresses) {
  EXPECT_EQ(DialStream("no-port", absl::Seconds(1)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DialStream("[::1", absl::Seconds(1)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DialStream("unix:" + std::string(200, 'x'), absl::Seconds(1)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(DialerTest, ConnectsOrSaysWhyNot) {
  RecordingHandler handler;
  auto server = StartServer(&handler);
  ASSERT_NE(server, nullptr);
  const std::string address = server->address();
  for (const std::string& target : {address, "ipv4:" + address, "dns:///" + address}) {
    absl::StatusOr<int> fd = DialStream(target, absl::Seconds(2));
    ASSERT_TRUE(fd.ok()) << target << ": " << fd.status();
    EXPECT_NE(::fcntl(*fd, F_GETFL) & O_NONBLOCK, 0);
    ::close(*fd);
  }
  server->Shutdown();
  absl::StatusOr<int> refused = DialStream(address, absl::Seconds(2));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(refused.status().message().find(address), std::string::npos) << refused.status();
  EXPECT_EQ(DialStream("unix:/nonexistent/meridian.sock", absl::Seconds(1)).status().code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace meridian::router
