// jspub, kvput, kvget: acknowledged publishes and direct gets with a window of
// outstanding requests (RunWindow). Each mode creates what it needs through
// the $JS.API first and checks the stream's message count at the end.
#include <algorithm>

#include "tests/bench/loadgen/js_session.h"
#include "tests/bench/loadgen/js_streams.h"
#include "tests/bench/loadgen/js_window.h"
#include "tests/bench/loadgen/modes.h"
#include "tests/bench/loadgen/report.h"

namespace meridian::loadgen {
namespace {

absl::Status Step(const char* what, const absl::Status& st) {
  if (st.ok()) return st;
  return absl::Status(st.code(), std::string(what) + ": " + std::string(st.message()));
}

absl::Status ExpectMessages(JsSession& session, std::string_view stream, int64_t want, Deadline deadline) {
  absl::StatusOr<int64_t> have = StreamMessages(session, stream, deadline);
  if (!have.ok()) return Step("stream info", have.status());
  if (*have != want) {
    return absl::InternalError("stream " + std::string(stream) + " holds " + std::to_string(*have) +
                               " messages, expected " + std::to_string(want));
  }
  return absl::OkStatus();
}

void AddWindowResult(Report& report, const char* rate_key, const WindowResult& r) {
  report.Add("done", r.answered)
      .Add("elapsed_ms", r.secs * 1e3, 1)
      .Add(rate_key, r.secs > 0 ? static_cast<double>(r.answered) / r.secs : 0.0, 0)
      .Add("p50_us", PercentileUs(r.sorted_ns, 0.50), 1)
      .Add("p90_us", PercentileUs(r.sorted_ns, 0.90), 1)
      .Add("p99_us", PercentileUs(r.sorted_ns, 0.99), 1)
      .Add("max_us", r.sorted_ns.empty() ? 0.0 : static_cast<double>(r.sorted_ns.back()) / 1e3, 1)
      .AddCpuUsage(r.secs);
}

}  // namespace

int RunJsPub(const Options& o) {
  const Deadline deadline = DeadlineAfter(o.timeout_s);
  const uint64_t window = o.window > 0 ? o.window : kAsyncPublishWindow;
  Report report;
  report.Add("mode", "jspub").Add("size", static_cast<uint64_t>(o.size)).Add("msgs", o.msgs).Add("window", window);
  absl::StatusOr<std::unique_ptr<JsSession>> session = OpenJsSession(o.pub_url, deadline);
  if (!session.ok()) return report.Finish(session.status());
  JsSession& s = **session;
  if (absl::Status st = Step("create stream BENCH", CreateBenchStream(s, deadline)); !st.ok()) return report.Finish(st);

  WindowResult r;
  absl::Status st = PublishWithAcks(s, {std::string(kBenchSubject)}, {Payload("", o.size)}, o.msgs, window,
                                    o.batch_bytes, deadline, &r);
  AddWindowResult(report, "ack_rate", r);
  if (st.ok()) st = ExpectMessages(s, kBenchStream, static_cast<int64_t>(o.msgs), deadline);
  Note("jspub: " + std::to_string(r.answered) + " acked publishes in " + std::to_string(r.secs) + " s");
  return report.Finish(Step("publish", st));
}

int RunKvPut(const Options& o) {
  const Deadline deadline = DeadlineAfter(o.timeout_s);
  const uint64_t window = o.window > 0 ? o.window : 1;
  Report report;
  report.Add("mode", "kvput")
      .Add("size", static_cast<uint64_t>(o.size))
      .Add("msgs", o.msgs)
      .Add("keys", o.keys)
      .Add("window", window);
  absl::StatusOr<std::unique_ptr<JsSession>> session = OpenJsSession(o.pub_url, deadline);
  if (!session.ok()) return report.Finish(session.status());
  JsSession& s = **session;
  if (absl::Status st = Step("create bucket KV_bench", CreateKvBucket(s, deadline)); !st.ok()) return report.Finish(st);

  const KvKeys keys = MakeKvKeys(o.keys, o.size);
  WindowResult r;
  absl::Status st = PublishWithAcks(s, keys.subjects, keys.values, o.msgs, window, o.batch_bytes, deadline, &r);
  AddWindowResult(report, "put_rate", r);
  // History 1: one message per key survives.
  if (st.ok()) st = ExpectMessages(s, "KV_bench", static_cast<int64_t>(std::min(o.msgs, o.keys)), deadline);
  Note("kvput: " + std::to_string(r.answered) + " puts in " + std::to_string(r.secs) + " s, window " +
       std::to_string(window));
  return report.Finish(Step("put", st));
}

int RunKvGet(const Options& o) {
  const Deadline deadline = DeadlineAfter(o.timeout_s);
  const uint64_t window = o.window > 0 ? o.window : 1;
  Report report;
  report.Add("mode", "kvget")
      .Add("size", static_cast<uint64_t>(o.size))
      .Add("msgs", o.msgs)
      .Add("keys", o.keys)
      .Add("window", window);
  absl::StatusOr<std::unique_ptr<JsSession>> session = OpenJsSession(o.pub_url, deadline);
  if (!session.ok()) return report.Finish(session.status());
  JsSession& s = **session;
  if (absl::Status st = Step("create bucket KV_bench", CreateKvBucket(s, deadline)); !st.ok()) return report.Finish(st);

  // Fill every key once (not timed), 256 puts outstanding.
  const KvKeys keys = MakeKvKeys(o.keys, o.size);
  WindowResult fill;
  absl::Status st =
      Step("fill", PublishWithAcks(s, keys.subjects, keys.values, o.keys, 256, o.batch_bytes, deadline, &fill));
  if (st.ok()) st = ExpectMessages(s, "KV_bench", static_cast<int64_t>(o.keys), deadline);
  if (!st.ok()) return report.Finish(st);

  // Direct get of the last message of $KV.bench.<key> (how nats.go's KV Get
  // asks a bucket with allow_direct), keys round robin.
  WindowSpec spec;
  spec.count = o.msgs;
  spec.window = window;
  spec.batch_bytes = o.batch_bytes;
  std::vector<std::string> requests;
  for (const std::string& subject : keys.subjects)
    requests.push_back("PUB $JS.API.DIRECT.GET.KV_bench." + subject + " ");
  spec.append_request = [&](uint64_t i, std::string_view reply, std::string* out) {
    out->append(requests[(i - 1) % o.keys]);
    out->append(reply);
    out->append(" 0\r\n\r\n");
  };
  spec.check_reply = [&](uint64_t i, const Frame& f) -> absl::Status {
    const std::string_view headers = f.data.substr(0, f.header_bytes);
    const std::string_view value = f.data.substr(f.header_bytes);
    const std::string& want = keys.values[(i - 1) % o.keys];
    if (f.op != Op::kHmsg || HeaderStatus(headers) != 0 || value != want) {
      return absl::FailedPreconditionError(
          "direct get of " + keys.subjects[(i - 1) % o.keys] + " answered " +
          (f.op == Op::kHmsg ? "HMSG [" + std::string(headers.substr(0, 120)) + "] " : "MSG ") +
          std::to_string(value.size()) + " bytes, expected its " + std::to_string(want.size()) + "-byte value");
    }
    return absl::OkStatus();
  };
  WindowResult r;
  st = RunWindow(s, spec, deadline, &r);
  report.Add("fill_rate", fill.secs > 0 ? static_cast<double>(fill.answered) / fill.secs : 0.0, 0);
  AddWindowResult(report, "get_rate", r);
  Note("kvget: " + std::to_string(r.answered) + " gets in " + std::to_string(r.secs) + " s, window " +
       std::to_string(window));
  return report.Finish(Step("get", st));
}

}  // namespace meridian::loadgen
