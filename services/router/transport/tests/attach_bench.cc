// Throughput of one Attach stream: 16-byte messages, 256 per Frame.
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "benchmark/benchmark.h"
#include "services/router/transport/attach_client.h"
#include "services/router/transport/attach_server.h"

namespace meridian::router {
namespace {

using ::meridian::router::v1::Frame;

constexpr int kPerFrame = 256;

class CountingHandler : public PeerHandler {
 public:
  void OnAttach(PeerSession* session, const v1::Hello&) override {
    session_ = session->shared_from_this();
    attached.store(true);
  }
  void OnFrame(PeerSession*, const Frame& frame) override {
    received.fetch_add(frame.messages_size(), std::memory_order_relaxed);
  }
  void OnDetach(PeerSession*) override {}
  std::shared_ptr<PeerSession> session() { return session_; }
  std::atomic<uint64_t> received{0};
  std::atomic<bool> attached{false};

 private:
  std::shared_ptr<PeerSession> session_;
};

void Fill(Frame* frame) {
  static const std::string kPayload(16, 'p');
  for (int i = 0; i < kPerFrame; ++i) {
    auto* message = frame->add_messages();
    message->set_account("$G");
    message->set_subject("bench.subject");
    message->set_payload(kPayload);
  }
}

struct Setup {
  explicit Setup(size_t max_frame_bytes) {
    AttachServerOptions options;
    options.limits.max_frame_bytes = max_frame_bytes;
    options.hello.set_peer_id("router");
    server = std::move(*AttachServer::Start(options, &handler));
    AttachClientOptions client_options;
    client_options.target = server->address();
    client_options.hello.set_peer_id("bench");
    client_options.limits.max_frame_bytes = max_frame_bytes;
    client_options.on_frame = [this](const Frame& frame) {
      client_received.fetch_add(frame.messages_size(), std::memory_order_relaxed);
    };
    client = AttachClient::Start(client_options);
    while (!client->connected() || !handler.attached.load()) absl::SleepFor(absl::Milliseconds(1));
  }
  CountingHandler handler;
  std::unique_ptr<AttachServer> server;
  std::unique_ptr<AttachClient> client;
  std::atomic<uint64_t> client_received{0};
};

// One server and client per frame size, kept for the whole run.
Setup& GetSetup(size_t max_frame_bytes) {
  static auto* setups = new std::map<size_t, std::unique_ptr<Setup>>();
  auto& setup = (*setups)[max_frame_bytes];
  if (setup == nullptr) setup = std::make_unique<Setup>(max_frame_bytes);
  return *setup;
}

// Peer → router.
void BM_AttachClientToServer(benchmark::State& state) {
  Setup& setup = GetSetup(state.range(0));
  const uint64_t base = setup.handler.received.load();
  uint64_t sent = 0;
  for (auto _ : state) {
    while (!setup.client->Enqueue(Fill)) absl::SleepFor(absl::Microseconds(20));
    sent += kPerFrame;
  }
  while (setup.handler.received.load() < base + sent) std::this_thread::yield();
  state.SetItemsProcessed(sent);
  TransportStats stats = setup.client->stats();
  state.counters["msgs_per_write"] =
      static_cast<double>(stats.messages_written) / static_cast<double>(stats.writes);
}
// Arg: QueueLimits::max_frame_bytes (how far queued Frames are coalesced).
BENCHMARK(BM_AttachClientToServer)->Arg(16 << 10)->Arg(64 << 10)->Arg(256 << 10)->Arg(1 << 20)->MinTime(2.0)->UseRealTime();

// Router → peer.
void BM_AttachServerToClient(benchmark::State& state) {
  Setup& setup = GetSetup(state.range(0));
  std::shared_ptr<PeerSession> session = setup.handler.session();
  const uint64_t base = setup.client_received.load();
  uint64_t sent = 0;
  for (auto _ : state) {
    while (!session->Send(Fill)) absl::SleepFor(absl::Microseconds(20));
    sent += kPerFrame;
  }
  while (setup.client_received.load() < base + sent) std::this_thread::yield();
  state.SetItemsProcessed(sent);
}
BENCHMARK(BM_AttachServerToClient)->Arg(16 << 10)->Arg(64 << 10)->Arg(256 << 10)->Arg(1 << 20)->MinTime(2.0)->UseRealTime();

}  // namespace
}  // namespace meridian::router
