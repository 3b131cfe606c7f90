// What the JetStream modes create and publish: the BENCH stream, the KV_bench
// bucket (the stream nats.go's CreateKeyValue makes), PubAck checks and
// acknowledged publishing through RunWindow.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tests/bench/loadgen/js_session.h"
#include "tests/bench/loadgen/js_window.h"

namespace meridian::loadgen {

inline constexpr std::string_view kBenchStream = "BENCH";
inline constexpr std::string_view kBenchSubject = "bench.data";  // the stream takes bench.>
inline constexpr std::string_view kKvBucket = "bench";           // stream KV_bench, subjects $KV.bench.>
// nats.go's async JetStream publisher: at most 4000 publishes awaiting their PubAck.
inline constexpr uint64_t kAsyncPublishWindow = 4000;

// Opens a session to the one --url and waits until $JS.API.INFO answers (a
// server may accept clients a moment before its JetStream is ready: "no
// responders" is retried for up to 10 s).
absl::StatusOr<std::unique_ptr<JsSession>> OpenJsSession(const std::string& url, Deadline deadline);

// $JS.API.STREAM.CREATE.BENCH {"name":"BENCH","subjects":["bench.>"],"storage":"file"}: R1, file storage.
[[nodiscard]] absl::Status CreateBenchStream(JsSession& session, Deadline deadline);
// $JS.API.STREAM.CREATE.KV_bench with the config nats.go sends for a bucket with
// history 1 (max_msgs_per_subject 1, allow_rollup_hdrs, deny_delete,
// allow_direct, discard new, duplicate_window 2 min, file storage).
[[nodiscard]] absl::Status CreateKvBucket(JsSession& session, Deadline deadline);
// state.messages from $JS.API.STREAM.INFO.<stream>.
absl::StatusOr<int64_t> StreamMessages(JsSession& session, std::string_view stream, Deadline deadline);

// OK for a PubAck ({"stream":..,"seq":N} without "error"); otherwise the reply's text.
[[nodiscard]] absl::Status CheckPubAck(const Frame& f);

// Appends "PUB <subject> <reply> <len>\r\n<payload>\r\n".
void AppendPub(std::string_view subject, std::string_view reply, std::string_view payload, std::string* out);
// `size` printable bytes starting with `prefix`.
std::string Payload(std::string_view prefix, size_t size);

// Publishes message i (1..count) to subjects[(i-1) % n] with payloads[(i-1) % n]
// (both lists the same length) with a reply subject, at most `window`
// unacknowledged, and checks every PubAck.
[[nodiscard]] absl::Status PublishWithAcks(JsSession& session, const std::vector<std::string>& subjects,
                                           const std::vector<std::string>& payloads, uint64_t count, uint64_t window,
                                           size_t batch_bytes, Deadline deadline, WindowResult* result);

// The bucket's keys "key000".. and their subjects "$KV.bench.key000"..; each
// key's value is `size` bytes starting with the key name.
struct KvKeys {
  std::vector<std::string> names;
  std::vector<std::string> subjects;
  std::vector<std::string> values;
};
KvKeys MakeKvKeys(uint64_t keys, size_t size);

}  // namespace meridian::loadgen
