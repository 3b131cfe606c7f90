// JetStream advisories and metrics ($JS.EVENT.>), as nats-server 2.9.10
// publishes them: stream and consumer actions, max deliveries, naks,
// terminations, ack samples and the API audit.
//
// Two layers:
//  - *Json(): the JSON of each event, members in the order of nats-server's
//    Go structs (TypedEvent first: type, id, timestamp), omitempty fields
//    left out when empty. Pure functions.
//  - Publish*(): build and send one event through the engine, only when
//    some client subscribes to its subject (nothing is built otherwise).
//
// Thread: Publish*() and NewEventId() on the engine thread; the rest is pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "services/router/transport/packed.h"

namespace meridian::jetstream {

class Engine;

namespace advisory {

// Subject prefixes; "." <stream> [ "." <consumer> ] follows.
inline constexpr std::string_view kStreamCreatedPre = "$JS.EVENT.ADVISORY.STREAM.CREATED";
inline constexpr std::string_view kStreamDeletedPre = "$JS.EVENT.ADVISORY.STREAM.DELETED";
inline constexpr std::string_view kStreamUpdatedPre = "$JS.EVENT.ADVISORY.STREAM.UPDATED";
inline constexpr std::string_view kConsumerCreatedPre = "$JS.EVENT.ADVISORY.CONSUMER.CREATED";
inline constexpr std::string_view kConsumerDeletedPre = "$JS.EVENT.ADVISORY.CONSUMER.DELETED";
inline constexpr std::string_view kMaxDeliveriesPre = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES";
inline constexpr std::string_view kMsgNakedPre = "$JS.EVENT.ADVISORY.CONSUMER.MSG_NAKED";
inline constexpr std::string_view kMsgTerminatedPre = "$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED";
inline constexpr std::string_view kAckMetricPre = "$JS.EVENT.METRIC.CONSUMER.ACK";
// The API audit subject (no suffix).
inline constexpr std::string_view kApiAudit = "$JS.EVENT.ADVISORY.API";

// Schema types (the "type" member).
inline constexpr std::string_view kStreamActionType = "io.nats.jetstream.advisory.v1.stream_action";
inline constexpr std::string_view kConsumerActionType =
    "io.nats.jetstream.advisory.v1.consumer_action";
inline constexpr std::string_view kMaxDeliverType = "io.nats.jetstream.advisory.v1.max_deliver";
inline constexpr std::string_view kNakType = "io.nats.jetstream.advisory.v1.nak";
inline constexpr std::string_view kTerminatedType = "io.nats.jetstream.advisory.v1.terminated";
inline constexpr std::string_view kAckMetricType = "io.nats.jetstream.metric.v1.consumer_ack";
inline constexpr std::string_view kApiAuditType = "io.nats.jetstream.advisory.v1.api_audit";

// TypedEvent: what every event starts with.
struct Event {
  std::string id;       // a NUID (NewEventId)
  int64_t time_ns = 0;  // "timestamp", RFC 3339 with nanoseconds, UTC
};

enum class Action { kCreate, kDelete, kModify };
std::string_view ActionName(Action action);  // "create" / "delete" / "modify"

// One message of a consumer (the ack subject's numbers).
struct Delivery {
  std::string_view stream;
  std::string_view consumer;
  uint64_t consumer_seq = 0;
  uint64_t stream_seq = 0;
  uint64_t deliveries = 0;
};

// nats-server's ClientInfo, the fields this service can know; the empty
// ones are left out (omitempty) except "acc", which Go always writes.
struct ClientInfo {
  std::string_view host;
  uint64_t id = 0;
  std::string_view account;  // "acc"
  std::string_view user;
  std::string_view name;
  std::string_view lang;
  std::string_view version;  // "ver"
  std::string_view server;
  std::string_view cluster;
  std::string_view kind;
  std::string_view client_type;
};

struct ApiAudit {
  std::string_view server;  // the server's name
  ClientInfo client;
  std::string_view subject;
  std::string_view request;   // omitempty
  std::string_view response;  // always written
};

// 22 characters of [0-9A-Za-z], unique per process (random prefix +
// sequence with random increments, as NATS' NUIDs).
std::string NewEventId();

// JSON of each event; `domain` is omitted when empty.
std::string StreamActionJson(const Event& e, std::string_view stream, Action action,
                             std::string_view template_name, std::string_view domain);
std::string ConsumerActionJson(const Event& e, std::string_view stream, std::string_view consumer,
                               Action action, std::string_view domain);
// max_deliver: stream, consumer, stream_seq, deliveries (no consumer_seq).
std::string MaxDeliverJson(const Event& e, const Delivery& d, std::string_view domain);
std::string NakJson(const Event& e, const Delivery& d, std::string_view domain);
// `reason` (from "+TERM <reason>", omitempty) is nats-server 2.10's member;
// 2.9.10 ignored such acks, so a plain +TERM gives 2.9.10's exact shape.
std::string TerminatedJson(const Event& e, const Delivery& d, std::string_view reason,
                           std::string_view domain);
std::string AckMetricJson(const Event& e, const Delivery& d, int64_t ack_time_ns,
                          std::string_view domain);
std::string ApiAuditJson(const Event& e, const ApiAudit& a, std::string_view domain);

// A consumer's sample_freq ("30", "30%", "100%"; validated beforehand as
// nats-server does): the percentage, 0 when empty or not a number.
int ParseSampleFrequency(std::string_view sample_freq);
// nats-server's rule: <= 0 never, >= 100 always, else a draw in [0, 100)
// at most `percent` (so one more than `percent` in a hundred).
bool ShouldSample(int percent);

// ----- publishing (engine thread; each returns at once without interest) -----
void PublishStreamAction(Engine* engine, std::string_view stream, Action action);
void PublishConsumerAction(Engine* engine, std::string_view stream, std::string_view consumer,
                           Action action);
void PublishMaxDeliveries(Engine* engine, const Delivery& d);
void PublishNak(Engine* engine, const Delivery& d);
void PublishTerminated(Engine* engine, const Delivery& d, std::string_view reason);
void PublishAckMetric(Engine* engine, const Delivery& d, int64_t ack_time_ns);
// An answered $JS.API request: its subject, body (without headers) and the
// response sent.
void PublishApiAudit(Engine* engine, const router::PackedMessage& request,
                     std::string_view response);

}  // namespace advisory
}  // namespace meridian::jetstream
