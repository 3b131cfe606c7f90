// Experiment for the latency work: the same sequential round trip as
// latency_bench.cc (client sends one small Frame, the server echoes it), over
// gRPC's *callback* API instead of the CompletionQueue API the transport uses
// today, with a bare echo reactor (no Outbox, no alarm). The benchmark thread
// starts each write and spins for the reply, like latency_bench's arg 0.
// Not used by the product: it measures what moving the transport to the
// callback API could gain (see README, Latency).
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "benchmark/benchmark.h"
#include "grpcpp/grpcpp.h"
#include "meridian/router/v1/router.grpc.pb.h"

namespace meridian::router {
namespace {

using ::meridian::router::v1::Frame;

class EchoReactor : public grpc::ServerBidiReactor<Frame, Frame> {
 public:
  EchoReactor() { StartRead(&in_); }
  void OnReadDone(bool ok) override {
    if (!ok) return Finish(grpc::Status::OK);
    StartWrite(&in_);
  }
  void OnWriteDone(bool ok) override {
    if (ok) StartRead(&in_);
  }
  void OnDone() override { delete this; }

 private:
  Frame in_;
};

class EchoService : public v1::Router::CallbackService {
  grpc::ServerBidiReactor<Frame, Frame>* Attach(grpc::CallbackServerContext*) override {
    return new EchoReactor;
  }
};

class PingClient : public grpc::ClientBidiReactor<Frame, Frame> {
 public:
  explicit PingClient(v1::Router::Stub* stub) {
    auto* m = out_.add_messages();
    m->set_account("$G");
    m->set_subject("bench.subject");
    m->set_payload(std::string(16, 'p'));
    stub->async()->Attach(&context_, this);
    StartRead(&in_);
    StartCall();
  }
  // Benchmark thread: one write at a time (the previous one is done once its
  // reply came back and OnWriteDone ran).
  void Send() {
    while (writing_.load(std::memory_order_acquire)) std::this_thread::yield();
    writing_.store(true, std::memory_order_release);
    StartWrite(&out_);
  }
  void OnWriteDone(bool) override { writing_.store(false, std::memory_order_release); }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    replies.fetch_add(1, std::memory_order_release);
    StartRead(&in_);
  }
  void Close() {
    while (writing_.load(std::memory_order_acquire)) std::this_thread::yield();
    StartWritesDone();
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return done_; });
  }
  void OnDone(const grpc::Status&) override {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
    cv_.notify_all();
  }
  std::atomic<uint64_t> replies{0};

 private:
  grpc::ClientContext context_;
  Frame out_, in_;
  std::atomic<bool> writing_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
};

void BM_CallbackRoundTrip(benchmark::State& state) {
  EchoService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  auto stub = v1::Router::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  auto client = std::make_unique<PingClient>(stub.get());
  std::vector<double> micros;
  micros.reserve(state.max_iterations);
  uint64_t expected = 0;
  for (auto _ : state) {
    const absl::Time start = absl::Now();
    client->Send();
    ++expected;
    while (client->replies.load(std::memory_order_acquire) < expected) std::this_thread::yield();
    micros.push_back(absl::ToDoubleMicroseconds(absl::Now() - start));
  }
  client->Close();
  client.reset();
  server->Shutdown();
  std::sort(micros.begin(), micros.end());
  auto at = [&micros](double p) {
    return micros.empty() ? 0 : micros[std::min(micros.size() - 1, static_cast<size_t>(p * micros.size()))];
  };
  state.counters["p50_us"] = at(0.50);
  state.counters["p90_us"] = at(0.90);
  state.counters["p99_us"] = at(0.99);
}
BENCHMARK(BM_CallbackRoundTrip)->Iterations(20000)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace meridian::router
