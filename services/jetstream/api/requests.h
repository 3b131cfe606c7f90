// Parsers for the small $JS.API request bodies, the pull (MSG.NEXT) request,
// ack payloads and the $JS.ACK reply subject, with nats-server 2.9.10's
// acceptance rules and error answers.
//
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/jetstream/api/errors.h"
#include "services/jetstream/api/types.h"

namespace meridian::jetstream::api {

// nats-server isEmptyRequest: empty, "{}", or any JSON object without members.
bool IsEmptyRequest(absl::string_view body);

// --- $JS.API.CONSUMER.MSG.NEXT -------------------------------------------

struct PullRequest {
  // Empty body -> 1; bare integer -> that (Go strconv.Atoi: may be 0 or
  // negative); JSON -> "batch" (0 when absent); anything else -> 1.
  int64_t batch = 1;
  Nanos expires;  // 0 = no expiry
  int64_t max_bytes = 0;
  bool no_wait = false;
  Nanos idle_heartbeat;
  // newer than 2.9.10 (parsed, not interpreted here)
  std::string group;
  int64_t min_pending = 0;
  int64_t min_ack_pending = 0;
  std::string id;
  int64_t priority = 0;
};

// Errors carry the text nats-server puts after "Bad Request - " in its
// `NATS/1.0 400 Bad Request - <text>` status reply: Go's JSON error
// ("json: cannot unmarshal string into Go struct field
// JSApiConsumerGetNextRequest.batch of type int", "invalid character ...")
// or "heartbeat value too large" (idle_heartbeat*2 > expires).
[[nodiscard]] absl::StatusOr<PullRequest> ParsePullRequest(absl::string_view body);

// The status line for a bad pull request: "400 Bad Request - <text>" (what
// follows "NATS/1.0 ").
std::string PullRequestBadRequestStatus(const absl::Status& status);

// --- STREAM.PURGE ----------------------------------------------------------

struct PurgeRequest {
  StreamSequence seq;  // purge below (exclusive); "seq"
  std::string filter;  // "filter"
  uint64_t keep = 0;   // "keep"
};
// Empty body -> nullopt (purge all). 10025 on bad JSON, 10003 when both seq
// and keep are set.
ApiResult<std::optional<PurgeRequest>> ParsePurgeRequest(absl::string_view body);

// --- STREAM.MSG.GET / DIRECT.GET -------------------------------------------

struct MsgGetRequest {
  StreamSequence seq;        // "seq"
  std::string last_by_subj;  // "last_by_subj"
  std::string next_by_subj;  // "next_by_subj" (with seq as the start)
};
// MSG.GET: empty -> 10003, bad JSON -> 10025, seq with last_by_subj, nothing
// set, or last_by_subj with next_by_subj -> 10003.
ApiResult<MsgGetRequest> ParseMsgGetRequest(absl::string_view body);

// DIRECT.GET.<stream> with a JSON body. On failure the result holds the
// status line nats-server answers with: "408 Empty Request",
// "408 Malformed Request", "408 Bad Request".
struct DirectGetParse {
  std::optional<MsgGetRequest> request;
  std::string status;  // set when !request
};
DirectGetParse ParseDirectGetRequest(absl::string_view body);

// DIRECT.GET.<stream>.<subject...>: the subject tail after the 5th token
// (may hold wildcards). The body must be empty. Status "408 Bad Request"
// when the body is not empty or the tail is missing.
DirectGetParse ParseDirectGetLastBySubject(absl::string_view api_subject, absl::string_view body);

// --- STREAM.MSG.DELETE -----------------------------------------------------

struct MsgDeleteRequest {
  StreamSequence seq;     // "seq"
  bool no_erase = false;  // "no_erase"
};
// Empty -> 10003, bad JSON -> 10025.
ApiResult<MsgDeleteRequest> ParseMsgDeleteRequest(absl::string_view body);

// --- NAMES / LIST -----------------------------------------------------------

struct ListRequest {
  int64_t offset = 0;   // "offset"; negative treated as 0 by the paging helper
  std::string subject;  // "subject" (STREAM.NAMES / LIST filter)
};
// Empty -> defaults; bad JSON -> 10025. Used for STREAM.NAMES/LIST and
// CONSUMER.NAMES/LIST (which only read "offset").
ApiResult<ListRequest> ParseListRequest(absl::string_view body);

// nats-server paging: offset clamped to [0, total]; returns the half-open
// range [begin, end) of items to send with `limit` entries at most.
struct PageRange {
  int64_t offset = 0;
  int64_t begin = 0;
  int64_t end = 0;
};
PageRange ComputePage(int64_t total, int64_t offset, int64_t limit);

// --- STREAM.INFO ------------------------------------------------------------

struct StreamInfoRequest {
  int64_t offset = 0;            // "offset"
  bool deleted_details = false;  // "deleted_details"
  std::string subjects_filter;   // "subjects_filter"
};
ApiResult<StreamInfoRequest> ParseStreamInfoRequest(absl::string_view body);

// --- Ack payloads -------------------------------------------------------------

enum class AckKind : uint8_t {
  kAck,       // empty, "+ACK", "+OK"
  kNak,       // "-NAK" [delay]
  kProgress,  // "+WPI"
  kNext,      // "+NXT" [pull request]
  kTerm,      // "+TERM" [reason]
  kUnknown,   // anything else: nats-server ignores it (but still answers a reply)
};

struct AckPayload {
  AckKind kind = AckKind::kUnknown;
  // kNak: the redelivery delay when one was given and parsed ({"delay":ns}
  // or a Go duration such as "2s"); nullopt = redeliver now (also when the
  // delay text does not parse, as nats-server: a plain NAK).
  std::optional<Nanos> nak_delay;
  // kNext: the pull request body after "+NXT" (may be empty).
  std::string next_request;
  // kTerm: the reason after "+TERM " (newer; empty otherwise).
  std::string term_reason;
};

// `payload` is the message body without headers.
AckPayload ParseAckPayload(absl::string_view payload);

// Go's time.ParseDuration ("1.5s", "2h45m", "300ms", "-1us", "0").
[[nodiscard]] absl::StatusOr<Nanos> ParseGoDuration(absl::string_view text);

// --- $JS.ACK subjects -------------------------------------------------------

// v1: $JS.ACK.<stream>.<consumer>.<delivered>.<stream_seq>.<consumer_seq>.<ts_ns>.<pending>
struct AckSubject {
  std::string stream;
  std::string consumer;
  uint64_t delivered = 0;  // delivery count
  StreamSequence stream_seq;
  ConsumerSequence consumer_seq;
  int64_t timestamp_ns = 0;
  uint64_t pending = 0;
};

std::string BuildAckSubject(const AckSubject& ack);
// Appends to *out (hot path: no allocation when *out has capacity).
void AppendAckSubject(const AckSubject& ack, std::string* out);
// nullopt unless exactly 9 tokens starting "$JS.ACK" with numeric tokens.
std::optional<AckSubject> ParseAckSubject(absl::string_view subject);
// The same, viewing `subject` (which must outlive it): what the ack path uses.
struct AckSubjectRef {
  absl::string_view stream;
  absl::string_view consumer;
  uint64_t delivered = 0;
  StreamSequence stream_seq;
  ConsumerSequence consumer_seq;
  int64_t timestamp_ns = 0;
  uint64_t pending = 0;
};
std::optional<AckSubjectRef> ParseAckSubjectRef(absl::string_view subject);

}  // namespace meridian::jetstream::api
