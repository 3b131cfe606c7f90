// JsSession: one client connection that talks to the JetStream API over the
// raw protocol (no client library): a wildcard reply inbox, synchronous
// request/reply for setup calls ($JS.API.*), and a handler for every other
// frame, which the JetStream modes use for their measured traffic. Owned by
// the thread that opened it, like its Conn.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tests/bench/loadgen/conn.h"

namespace meridian::loadgen {

// A reply: headers (status line included, empty when a plain MSG) and payload.
struct JsReply {
  std::string headers;
  std::string payload;
};

class JsSession {
 public:
  // The inbox subscription's sid; the modes use other sids for their own.
  static constexpr int kInboxSid = 1;
  // How long a setup request waits for its reply (nats.go's default API timeout).
  static constexpr double kRequestTimeoutS = 5;

  // Dials, subscribes to "<inbox>.*" and flushes.
  static absl::StatusOr<std::unique_ptr<JsSession>> Open(const Endpoint& endpoint, Deadline deadline);

  Conn& conn() { return *conn_; }
  // "_INBOX.<unique>": reply subjects are "<inbox>.<token>". Tokens starting
  // with 'r' belong to Request(); any other frame goes to the handler.
  const std::string& inbox() const { return inbox_; }
  void set_handler(std::function<void(const Frame&)> handler) { handler_ = std::move(handler); }

  // Publishes `payload` to `subject` with a fresh reply subject and waits (at
  // most kRequestTimeoutS, never past `deadline`) for the reply. A 503
  // status (no responders) is a NotFound error naming the subject.
  absl::StatusOr<JsReply> Request(std::string_view subject, std::string_view payload, Deadline deadline);
  // Request() for a $JS.API call: a reply that is not JSON or that carries
  // "error" fails with the subject, the request and the reply's text.
  absl::StatusOr<std::string> ApiRequest(std::string_view subject, std::string_view payload, Deadline deadline);

 private:
  JsSession() = default;
  void OnFrame(const Frame& f);

  std::unique_ptr<Conn> conn_;
  std::string inbox_;
  std::function<void(const Frame&)> handler_;
  uint64_t next_request_ = 0;
  uint64_t waiting_for_ = 0;  // token of the outstanding Request(), 0 = none
  bool answered_ = false;
  JsReply reply_;
};

// --- small parsers shared by the JetStream modes (unit-tested) ---------------

// The integer after "\"key\":" (spaces allowed after the colon), first
// occurrence at or after `from` in JSON text; false when absent or not a number.
bool JsonInt(std::string_view json, std::string_view key, int64_t* out, size_t from = 0);

// The numeric last token of a subject ("_INBOX.x.42" -> 42); false when it
// is not all digits.
bool LastTokenNumber(std::string_view subject, uint64_t* out);

// The status code of a header block ("NATS/1.0 408 Request Timeout\r\n..." ->
// 408); 0 when there is no status (plain headers or none).
int HeaderStatus(std::string_view headers);

// A v1 ack subject $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>
// (also with the v2 <domain>.<account hash> prefix): the delivery count and
// stream sequence. False when `reply` is not an ack subject.
bool ParseAckSubject(std::string_view reply, uint64_t* delivered, uint64_t* stream_seq);

}  // namespace meridian::loadgen
