#include "tests/bench/loadgen/js_session.h"

#include <unistd.h>

#include <algorithm>
#include <random>

namespace meridian::loadgen {
namespace {

// At most `n` characters of `text` for an error message, CR/LF made visible.
std::string Clip(std::string_view text, size_t n = 400) {
  std::string out;
  for (char c : text.substr(0, n)) {
    if (c == '\r')
      out += "\\r";
    else if (c == '\n')
      out += "\\n";
    else
      out.push_back(c);
  }
  if (text.size() > n) out += "...";
  return out;
}

bool ParseDigits(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<JsSession>> JsSession::Open(const Endpoint& endpoint, Deadline deadline) {
  std::unique_ptr<JsSession> s(new JsSession());
  JsSession* self = s.get();
  absl::StatusOr<std::unique_ptr<Conn>> conn =
      Conn::Dial(endpoint, deadline, [self](const Frame& f) { self->OnFrame(f); });
  if (!conn.ok()) return conn.status();
  s->conn_ = std::move(*conn);
  std::mt19937_64 rng(std::random_device{}());
  s->inbox_ = "_INBOX.lg" + std::to_string(::getpid()) + "x" + std::to_string(rng() % 1000000007);
  absl::Status st = s->conn_->WriteAll("SUB " + s->inbox_ + ".* " + std::to_string(kInboxSid) + "\r\n", deadline);
  if (st.ok()) st = s->conn_->Flush(deadline);
  if (!st.ok()) return st;
  return s;
}

void JsSession::OnFrame(const Frame& f) {
  // Replies to Request() arrive on "<inbox>.r<n>".
  if (f.subject.size() > inbox_.size() + 2 && f.subject.compare(0, inbox_.size(), inbox_) == 0 &&
      f.subject[inbox_.size()] == '.' && f.subject[inbox_.size() + 1] == 'r') {
    uint64_t token = 0;
    if (waiting_for_ != 0 && ParseDigits(f.subject.substr(inbox_.size() + 2), &token) && token == waiting_for_) {
      reply_.headers.assign(f.data.substr(0, f.header_bytes));
      reply_.payload.assign(f.data.substr(f.header_bytes));
      answered_ = true;
    }
    return;  // a late reply to an earlier request is dropped
  }
  if (handler_) handler_(f);
}

absl::StatusOr<JsReply> JsSession::Request(std::string_view subject, std::string_view payload, Deadline deadline) {
  const Deadline until = std::min(deadline, DeadlineAfter(kRequestTimeoutS));
  waiting_for_ = ++next_request_;
  answered_ = false;
  std::string frame = "PUB ";
  frame.append(subject);
  frame += " " + inbox_ + ".r" + std::to_string(waiting_for_) + " " + std::to_string(payload.size()) + "\r\n";
  frame.append(payload);
  frame += "\r\n";
  absl::Status st = conn_->WriteAll(frame, until);
  while (st.ok() && !answered_) {
    if (Clock::now() >= until) {
      st = absl::DeadlineExceededError("no reply to " + std::string(subject) + " within " +
                                       std::to_string(static_cast<int>(kRequestTimeoutS)) +
                                       " s (request: " + Clip(payload) + ")");
      break;
    }
    st = conn_->Poll(100, until);
  }
  waiting_for_ = 0;
  if (!st.ok()) return st;
  if (HeaderStatus(reply_.headers) == 503) {
    return absl::NotFoundError("no responders for " + std::string(subject) + " (is JetStream enabled?)");
  }
  return reply_;
}

absl::StatusOr<std::string> JsSession::ApiRequest(std::string_view subject, std::string_view payload,
                                                  Deadline deadline) {
  absl::StatusOr<JsReply> reply = Request(subject, payload, deadline);
  if (!reply.ok()) return reply.status();
  const std::string& body = reply->payload;
  const size_t first = body.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || body[first] != '{' || body.find("\"error\"") != std::string::npos) {
    return absl::FailedPreconditionError("request " + std::string(subject) + " " + Clip(payload) + " answered " +
                                         (reply->headers.empty() ? "" : "[" + Clip(reply->headers, 100) + "] ") +
                                         Clip(body));
  }
  return body;
}

bool JsonInt(std::string_view json, std::string_view key, int64_t* out, size_t from) {
  std::string needle = "\"";
  needle.append(key);
  needle += "\":";
  const size_t at = json.find(needle, from);
  if (at == std::string_view::npos) return false;
  size_t i = at + needle.size();
  while (i < json.size() && json[i] == ' ') ++i;
  bool negative = false;
  if (i < json.size() && json[i] == '-') {
    negative = true;
    ++i;
  }
  size_t end = i;
  while (end < json.size() && json[end] >= '0' && json[end] <= '9') ++end;
  uint64_t v = 0;
  if (!ParseDigits(json.substr(i, end - i), &v)) return false;
  *out = negative ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
  return true;
}

bool LastTokenNumber(std::string_view subject, uint64_t* out) {
  const size_t dot = subject.rfind('.');
  return dot != std::string_view::npos && ParseDigits(subject.substr(dot + 1), out);
}

int HeaderStatus(std::string_view headers) {
  // "NATS/1.0 503\r\n" or "NATS/1.0 408 Request Timeout\r\n".
  constexpr std::string_view kPrefix = "NATS/1.0 ";
  if (headers.size() < kPrefix.size() + 3 || headers.substr(0, kPrefix.size()) != kPrefix) return 0;
  int code = 0;
  for (size_t i = kPrefix.size(); i < kPrefix.size() + 3; ++i) {
    if (headers[i] < '0' || headers[i] > '9') return 0;
    code = code * 10 + (headers[i] - '0');
  }
  return code;
}

bool ParseAckSubject(std::string_view reply, uint64_t* delivered, uint64_t* stream_seq) {
  constexpr std::string_view kPrefix = "$JS.ACK.";
  if (reply.substr(0, kPrefix.size()) != kPrefix) return false;
  std::string_view tokens[11];
  size_t n = 0;
  std::string_view rest = reply.substr(kPrefix.size());
  while (n < 11) {
    const size_t dot = rest.find('.');
    tokens[n++] = rest.substr(0, dot);
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  // v1: stream.consumer.dc.sseq.cseq.ts.pending (7 tokens); v2 adds
  // domain.account_hash in front (9) and may append a random token (10).
  size_t base = 0;
  if (n == 7)
    base = 2;
  else if (n == 9 || n == 10)
    base = 4;
  else
    return false;
  return ParseDigits(tokens[base], delivered) && ParseDigits(tokens[base + 1], stream_seq);
}

}  // namespace meridian::loadgen
