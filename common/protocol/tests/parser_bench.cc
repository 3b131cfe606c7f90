// Parser and encoder throughput. Messages are pipelined into one 4 MiB
// stream fed in 64 KiB chunks, as a socket read loop would.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/protocol/encoder.h"
#include "common/protocol/parser.h"

namespace meridian::protocol {
namespace {

constexpr size_t kChunk = 64 * 1024;
constexpr size_t kStream = 4 << 20;

struct CountingHandler {
  uint64_t msgs = 0;
  uint64_t bytes = 0;
  void OnConnect(std::string_view) {}
  void OnPub(std::string_view subject, std::string_view, std::string_view p) {
    ++msgs;
    bytes += p.size() + subject.size();
  }
  void OnHpub(std::string_view, std::string_view, std::string_view h,
              std::string_view p) {
    ++msgs;
    bytes += h.size() + p.size();
  }
  void OnSub(std::string_view, std::string_view, std::string_view) {}
  void OnUnsub(std::string_view, std::optional<uint64_t>) {}
  void OnPing() {}
  void OnPong() {}
  void OnOk() {}
  void OnErr(std::string_view) {}
  void OnInfo(std::string_view) {}
  void OnMsg(std::string_view subject, std::string_view, std::string_view,
             std::string_view, std::string_view p) {
    ++msgs;
    bytes += p.size() + subject.size();
  }
};

std::string Stream(bool client, size_t payload_size, size_t* count) {
  const std::string payload(payload_size, 'p');
  std::string one;
  if (client) {
    AppendMsg(&one, "orders.eu.created", "17", "", payload);
  } else {
    AppendPub(&one, "orders.eu.created", "", payload);
  }
  std::string s;
  *count = 0;
  while (s.size() + one.size() <= kStream) {
    s += one;
    ++*count;
  }
  return s;
}

template <Mode kMode>
void RunParse(benchmark::State& state) {
  size_t count = 0;
  const std::string stream = Stream(
      kMode == Mode::kClient, static_cast<size_t>(state.range(0)), &count);
  CountingHandler h;
  Parser<CountingHandler, kMode> parser(&h);
  for (auto _ : state) {
    for (size_t off = 0; off < stream.size(); off += kChunk) {
      const size_t n = std::min(kChunk, stream.size() - off);
      if (parser.Feed(stream.data() + off, n) != ParseError::kNone) {
        state.SkipWithError("parse error");
        return;
      }
    }
  }
  benchmark::DoNotOptimize(h.bytes);
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * stream.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * count));
}

void BM_ParsePub(benchmark::State& state) { RunParse<Mode::kServer>(state); }
BENCHMARK(BM_ParsePub)->Arg(16)->Arg(1024);

void BM_ParseMsgClientMode(benchmark::State& state) {
  RunParse<Mode::kClient>(state);
}
BENCHMARK(BM_ParseMsgClientMode)->Arg(16)->Arg(1024);

void BM_WriteMsgHeader(benchmark::State& state) {
  char buf[256];
  uint64_t len = 0;
  for (auto _ : state) {
    char* end = WriteMsgHeader(buf, "orders.eu.created", "17", "_INBOX.abc.def",
                               len++ & 0xffff);
    benchmark::DoNotOptimize(end);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_WriteMsgHeader);

}  // namespace
}  // namespace meridian::protocol
