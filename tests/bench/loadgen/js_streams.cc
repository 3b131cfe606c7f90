#include "tests/bench/loadgen/js_streams.h"

#include <charconv>
#include <cstdio>
#include <thread>

namespace meridian::loadgen {

absl::StatusOr<std::unique_ptr<JsSession>> OpenJsSession(const std::string& url, Deadline deadline) {
  if (url.find(',') != std::string::npos) return absl::InvalidArgumentError("JetStream modes take one --url");
  absl::StatusOr<Endpoint> endpoint = ParseEndpoint(url);
  if (!endpoint.ok()) return endpoint.status();
  absl::StatusOr<std::unique_ptr<JsSession>> session = JsSession::Open(*endpoint, deadline);
  if (!session.ok()) return session.status();
  const Deadline ready_by = std::min(deadline, DeadlineAfter(10));
  for (;;) {
    absl::StatusOr<std::string> info = (*session)->ApiRequest("$JS.API.INFO", "", deadline);
    if (info.ok()) return session;
    if (!absl::IsNotFound(info.status()) || Clock::now() >= ready_by) return info.status();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

absl::Status CreateBenchStream(JsSession& session, Deadline deadline) {
  absl::StatusOr<std::string> r = session.ApiRequest(
      "$JS.API.STREAM.CREATE.BENCH", R"({"name":"BENCH","subjects":["bench.>"],"storage":"file"})", deadline);
  return r.status();
}

absl::Status CreateKvBucket(JsSession& session, Deadline deadline) {
  // As nats.go's CreateKeyValue(&KeyValueConfig{Bucket: "bench"}) sends it
  // (history 1, no TTL: duplicate window 2 min, R1, file storage).
  absl::StatusOr<std::string> r =
      session.ApiRequest("$JS.API.STREAM.CREATE.KV_bench",
                         R"({"name":"KV_bench","subjects":["$KV.bench.>"],"retention":"limits","max_consumers":-1,)"
                         R"("max_msgs_per_subject":1,"max_msgs":-1,"max_bytes":-1,"max_age":0,"max_msg_size":-1,)"
                         R"("storage":"file","discard":"new","num_replicas":1,"duplicate_window":120000000000,)"
                         R"("deny_delete":true,"allow_rollup_hdrs":true,"allow_direct":true})",
                         deadline);
  return r.status();
}

absl::StatusOr<int64_t> StreamMessages(JsSession& session, std::string_view stream, Deadline deadline) {
  absl::StatusOr<std::string> r = session.ApiRequest("$JS.API.STREAM.INFO." + std::string(stream), "", deadline);
  if (!r.ok()) return r.status();
  int64_t messages = 0;
  const size_t state = r->find("\"state\"");
  if (state == std::string::npos || !JsonInt(*r, "messages", &messages, state)) {
    return absl::InternalError("no state.messages in the stream info: " + r->substr(0, 300));
  }
  return messages;
}

absl::Status CheckPubAck(const Frame& f) {
  const std::string_view headers = f.data.substr(0, f.header_bytes);
  const std::string_view body = f.data.substr(f.header_bytes);
  if (const int status = HeaderStatus(headers); status != 0) {
    return absl::FailedPreconditionError("status reply instead of a PubAck: " + std::string(headers.substr(0, 80)) +
                                         (status == 503 ? " (no stream takes the subject)" : ""));
  }
  if (body.find("\"error\"") != std::string_view::npos || body.find("\"seq\"") == std::string_view::npos) {
    return absl::FailedPreconditionError("not a successful PubAck: " + std::string(body.substr(0, 300)));
  }
  return absl::OkStatus();
}

void AppendPub(std::string_view subject, std::string_view reply, std::string_view payload, std::string* out) {
  char len[24];
  const auto end = std::to_chars(len, len + sizeof(len), payload.size()).ptr;
  out->append("PUB ");
  out->append(subject);
  out->push_back(' ');
  out->append(reply);
  out->push_back(' ');
  out->append(len, end);
  out->append("\r\n");
  out->append(payload);
  out->append("\r\n");
}

std::string Payload(std::string_view prefix, size_t size) {
  std::string out(prefix.substr(0, size));
  for (size_t i = out.size(); i < size; ++i) out.push_back(static_cast<char>('a' + i % 26));
  return out;
}

absl::Status PublishWithAcks(JsSession& session, const std::vector<std::string>& subjects,
                             const std::vector<std::string>& payloads, uint64_t count, uint64_t window,
                             size_t batch_bytes, Deadline deadline, WindowResult* result) {
  WindowSpec spec;
  spec.count = count;
  spec.window = window;
  spec.batch_bytes = batch_bytes;
  const uint64_t n = subjects.size();
  spec.append_request = [&](uint64_t i, std::string_view reply, std::string* out) {
    AppendPub(subjects[(i - 1) % n], reply, payloads[(i - 1) % n], out);
  };
  spec.check_reply = [](uint64_t, const Frame& f) { return CheckPubAck(f); };
  return RunWindow(session, spec, deadline, result);
}

KvKeys MakeKvKeys(uint64_t keys, size_t size) {
  KvKeys k;
  for (uint64_t i = 0; i < keys; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "key%03llu", static_cast<unsigned long long>(i));
    k.names.emplace_back(name);
    k.subjects.push_back("$KV." + std::string(kKvBucket) + "." + name);
    k.values.push_back(Payload(std::string(name) + ":", size));
  }
  return k;
}

}  // namespace meridian::loadgen
