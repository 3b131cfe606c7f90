// Round-trip latency of one Attach stream: the client queues one small Frame,
// the server's handler echoes it from its transport thread (Send), the client
// sees it in on_frame. Sequential (one Frame in flight), 20k round trips;
// reports p50/p90/p99 in microseconds.
//
// Arg 0: the producer spins (yield) for the reply: transport cost only.
// Arg 1: the producer sleeps on a condition variable that on_frame signals,
//        as an event loop would (adds one wake-up of the producer thread).
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "benchmark/benchmark.h"
#include "services/router/transport/attach_client.h"
#include "services/router/transport/attach_server.h"

namespace meridian::router {
namespace {

using ::meridian::router::v1::Frame;

class EchoHandler : public PeerHandler {
 public:
  void OnAttach(PeerSession*, const v1::Hello&) override { attached.store(true); }
  void OnFrame(PeerSession* session, const Frame& frame) override {
    session->Send([&frame](Frame* out) {
      out->mutable_messages()->MergeFrom(frame.messages());
    });
  }
  void OnDetach(PeerSession*) override {}
  std::atomic<bool> attached{false};
};

struct PingPong {
  PingPong() {
    AttachServerOptions options;
    options.hello.set_peer_id("router");
    server = std::move(*AttachServer::Start(options, &handler));
    AttachClientOptions client_options;
    client_options.target = server->address();
    client_options.hello.set_peer_id("bench");
    client_options.on_frame = [this](Frame& frame) {
      {
        std::lock_guard<std::mutex> lock(mu);
        replies.fetch_add(frame.messages_size(), std::memory_order_release);
      }
      cv.notify_one();
    };
    client = AttachClient::Start(client_options);
    while (!client->connected() || !handler.attached.load()) {
      absl::SleepFor(absl::Milliseconds(1));
    }
  }
  EchoHandler handler;
  std::unique_ptr<AttachServer> server;
  std::unique_ptr<AttachClient> client;
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<uint64_t> replies{0};
};

void Fill(Frame* frame) {
  static const std::string kPayload(16, 'p');
  auto* message = frame->add_messages();
  message->set_account("$G");
  message->set_subject("bench.subject");
  message->set_payload(kPayload);
}

double Percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t index = std::min(sorted.size() - 1, static_cast<size_t>(p * sorted.size()));
  return sorted[index];
}

void BM_AttachRoundTrip(benchmark::State& state) {
  const bool block = state.range(0) != 0;
  PingPong pp;
  std::vector<double> micros;
  micros.reserve(state.max_iterations);
  uint64_t expected = pp.replies.load();
  for (auto _ : state) {
    const absl::Time start = absl::Now();
    while (!pp.client->Enqueue(Fill)) absl::SleepFor(absl::Microseconds(20));
    ++expected;
    if (block) {
      std::unique_lock<std::mutex> lock(pp.mu);
      pp.cv.wait(lock, [&] { return pp.replies.load(std::memory_order_acquire) >= expected; });
    } else {
      while (pp.replies.load(std::memory_order_acquire) < expected) std::this_thread::yield();
    }
    micros.push_back(absl::ToDoubleMicroseconds(absl::Now() - start));
  }
  std::sort(micros.begin(), micros.end());
  state.counters["p50_us"] = Percentile(micros, 0.50);
  state.counters["p90_us"] = Percentile(micros, 0.90);
  state.counters["p99_us"] = Percentile(micros, 0.99);
  state.counters["max_us"] = micros.empty() ? 0 : micros.back();
  const TransportStats stats = pp.client->stats();
  state.counters["client_writes"] = static_cast<double>(stats.writes);
}
BENCHMARK(BM_AttachRoundTrip)->Arg(0)->Arg(1)->Iterations(20000)->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace meridian::router
