// How fast the loadgen scans frames: subscribers (MSG) and the sink (PUB)
// must stay far cheaper per message than any server.
#include <string>

#include "benchmark/benchmark.h"
#include "tests/bench/loadgen/frame_reader.h"

namespace meridian::loadgen {
namespace {

std::string Repeat(const std::string& frame, size_t bytes) {
  std::string out;
  while (out.size() + frame.size() <= bytes) out += frame;
  return out;
}

void Scan(benchmark::State& state, const std::string& frame) {
  const std::string buf = Repeat(frame, 256 * 1024);
  const size_t per_buf = buf.size() / frame.size();
  FrameReader reader;
  for (auto _ : state) {
    // Odd split so one frame straddles the two halves.
    const size_t half = buf.size() / 2 + 7;
    if (reader.Feed(buf.data(), half) != FeedStatus::kOk) state.SkipWithError("feed");
    if (reader.Feed(buf.data() + half, buf.size() - half) != FeedStatus::kOk) state.SkipWithError("feed");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * per_buf));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * buf.size()));
}

void BM_ScanMsg16(benchmark::State& state) { Scan(state, "MSG bench 1 16\r\nabcdefghijklmnop\r\n"); }
void BM_ScanPub16(benchmark::State& state) { Scan(state, "PUB bench 16\r\nabcdefghijklmnop\r\n"); }
void BM_ScanMsg1K(benchmark::State& state) { Scan(state, "MSG bench 1 1024\r\n" + std::string(1024, 'x') + "\r\n"); }

BENCHMARK(BM_ScanMsg16);
BENCHMARK(BM_ScanPub16);
BENCHMARK(BM_ScanMsg1K);

}  // namespace
}  // namespace meridian::loadgen
