// RunWindow: request/reply traffic with a bounded number outstanding, over a
// JsSession's inbox. Request i (1..count) carries the reply subject
// "<inbox>.<i>"; new requests go out, in writes of up to `batch_bytes`, while
// fewer than `window` are unanswered. window = 1 is a synchronous client (a
// KV put or get that waits for its answer); window = 4000 is nats.go's async
// JetStream publisher (PublishAsync, max pending 4000). Every reply is checked
// and timed. Runs on the session's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "tests/bench/loadgen/js_session.h"

namespace meridian::loadgen {

struct WindowSpec {
  uint64_t count = 0;
  uint64_t window = 1;
  size_t batch_bytes = 64 * 1024;
  // Appends request `i`'s frame (PUB/HPUB with reply subject `reply`) to *out.
  std::function<void(uint64_t i, std::string_view reply, std::string* out)> append_request;
  // Checks the reply to request `i`; an error ends the run with its text.
  std::function<absl::Status(uint64_t i, const Frame& reply)> check_reply;
};

struct WindowResult {
  uint64_t sent = 0;
  uint64_t answered = 0;
  double secs = 0;                  // first write to last reply
  std::vector<uint64_t> sorted_ns;  // per-request latency (send -> reply), sorted
};

// Runs until every request is answered, a check fails, the connection fails
// or `deadline` passes (DeadlineExceeded naming how many were answered).
[[nodiscard]] absl::Status RunWindow(JsSession& session, const WindowSpec& spec, Deadline deadline,
                                     WindowResult* result);

// The q-quantile of sorted nanoseconds, in microseconds.
double PercentileUs(const std::vector<uint64_t>& sorted_ns, double q);

}  // namespace meridian::loadgen
