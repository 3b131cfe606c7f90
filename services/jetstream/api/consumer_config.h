// ConsumerConfig: the `config` of CONSUMER.CREATE requests and ConsumerInfo,
// with nats-server 2.9.10's field names, defaults and validation.
//
// Create flow (nats-server order; the engine drives it):
//   1. ParseCreateConsumerRequestJson(body)          10025
//   2. CheckConsumerCreateSubject(subject, &req)     10056/10016/10017/10018/10020/10127/10131
//                                                    (also sets config.name from the subject)
//   3. (engine) num_replicas > 1 without cluster -> 10074; stream lookup -> 10059
//   4. SetConsumerDefaults(&cfg, limits)             ack_wait, max_deliver, max_ack_pending,
//   max_waiting
//   5. CheckConsumerConfig(cfg, stream_cfg, ctx)     the 100xx config errors
//   6. (engine) existing name: CheckConsumerUpdate(old, cfg) (10012 with the reason)
//      action create + different config -> 10148, action update + missing -> 10149
//   7. (engine) max consumers 10026; CheckWorkQueueConsumer (10098/10099/10100/10101)
//   8. CheckConsumerName(name)                        10102 / 10103
//   9. (engine) ephemerals: inactive_threshold default (kEphemeralInactiveThreshold)
//
// Plain data, no thread affinity.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/json/value.h"
#include "common/json/writer.h"
#include "services/jetstream/api/errors.h"
#include "services/jetstream/api/stream_config.h"
#include "services/jetstream/api/types.h"

namespace meridian::jetstream::api {

inline constexpr Nanos kDefaultAckWait = NanosFromSeconds(30);  // JsAckWaitDefault
inline constexpr Nanos kEphemeralInactiveThreshold =
    NanosFromSeconds(5);                                // JsDeleteWaitTimeDefault
inline constexpr int64_t kDefaultMaxAckPending = 1000;  // JsDefaultMaxAckPending
inline constexpr int64_t kDefaultMaxWaiting = 512;      // JSWaitQueueDefaultMax
inline constexpr int64_t kFlowControlMaxPendingBytes = 32 * 1024 * 1024;

// Field order = nats-server 2.9.10's struct order = JSON output order.
// "newer" fields are written only when set.
struct ConsumerConfig {
  std::string durable_name;  // omitempty
  std::string name;          // omitempty
  std::string description;   // omitempty
  DeliverPolicy deliver_policy = DeliverPolicy::kAll;
  StreamSequence opt_start_seq;              // omitempty
  std::optional<absl::Time> opt_start_time;  // omitempty
  AckPolicy ack_policy = AckPolicy::kNone;
  Nanos ack_wait;                            // omitempty
  int64_t max_deliver = 0;                   // omitempty (-1 after defaults)
  std::vector<Nanos> backoff;                // omitempty
  std::string filter_subject;                // omitempty
  std::vector<std::string> filter_subjects;  // newer, omitempty
  ReplayPolicy replay_policy = ReplayPolicy::kInstant;
  uint64_t rate_limit_bps = 0;                  // omitempty
  std::string sample_freq;                      // omitempty
  int64_t max_waiting = 0;                      // omitempty
  int64_t max_ack_pending = 0;                  // omitempty
  Nanos idle_heartbeat;                         // omitempty
  bool flow_control = false;                    // omitempty
  bool headers_only = false;                    // omitempty
  int64_t max_batch = 0;                        // omitempty (pull)
  Nanos max_expires;                            // omitempty (pull)
  int64_t max_bytes = 0;                        // omitempty (pull)
  std::string deliver_subject;                  // omitempty (push)
  std::string deliver_group;                    // omitempty (push)
  Nanos inactive_threshold;                     // omitempty
  int64_t num_replicas = 0;                     // always written
  bool mem_storage = false;                     // omitempty
  bool direct = false;                          // omitempty (internal mirror/source consumers)
  std::map<std::string, std::string> metadata;  // newer, omitempty
  std::optional<absl::Time> pause_until;        // newer, omitempty
  std::vector<std::string> priority_groups;     // newer, omitempty
  PriorityPolicy priority_policy = PriorityPolicy::kNone;  // newer, omitempty
  Nanos priority_timeout;                                  // newer, omitempty

  bool is_durable() const { return !durable_name.empty(); }
  bool is_pull() const { return deliver_subject.empty(); }
  bool is_push() const { return !deliver_subject.empty(); }
  // filter_subject or filter_subjects, whichever is set.
  std::vector<std::string> Filters() const;

  friend bool operator==(const ConsumerConfig&, const ConsumerConfig&) = default;
};

// Action of a CreateConsumerRequest (newer than 2.9.10, which ignores it).
enum class ConsumerAction : uint8_t { kCreateOrUpdate, kCreate, kUpdate };

struct CreateConsumerRequest {
  std::string stream_name;
  ConsumerConfig config;
  ConsumerAction action = ConsumerAction::kCreateOrUpdate;
  bool pedantic = false;
};

// --- JSON ---------------------------------------------------------------

ApiResult<ConsumerConfig> ParseConsumerConfig(const json::Value& v);
ApiResult<CreateConsumerRequest> ParseCreateConsumerRequest(const json::Value& v);
ApiResult<CreateConsumerRequest> ParseCreateConsumerRequestJson(absl::string_view body);

// The Go encoding/json error text for a request ParseCreateConsumerRequest
// refuses ("" when it parses), e.g. "json: cannot unmarshal string into Go
// struct field ConsumerConfig.config.ack_wait of type time.Duration".
std::string CreateConsumerRequestDecodeError(const json::Value& v);

void WriteConsumerConfig(json::Writer& w, const ConsumerConfig& cfg);
std::string ConsumerConfigToJson(const ConsumerConfig& cfg);

// --- Subject forms --------------------------------------------------------

// Which CONSUMER.CREATE subject form a request came on.
enum class ConsumerCreateForm : uint8_t {
  kLegacyEphemeral,  // $JS.API.CONSUMER.CREATE.<stream>
  kLegacyDurable,    // $JS.API.CONSUMER.DURABLE.CREATE.<stream>.<durable>
  kNamed,            // $JS.API.CONSUMER.CREATE.<stream>.<name>[.<filter...>]
};

struct ConsumerCreateSubject {
  ConsumerCreateForm form = ConsumerCreateForm::kLegacyEphemeral;
  std::string stream;
  std::string consumer;  // empty for the legacy ephemeral form
  std::string filter;    // tail tokens of the named form, may hold wildcards
};

// Splits a $JS.API.CONSUMER.CREATE... / DURABLE.CREATE subject (no domain
// prefix). nullopt when it is neither (nats-server ignores those); a
// DURABLE.CREATE with the wrong token count is returned with an empty
// consumer so the check below answers 10016.
std::optional<ConsumerCreateSubject> ParseConsumerCreateSubject(absl::string_view subject);

// The create handler's subject/body consistency checks, in nats-server's
// order; for the named form it copies the subject's name into config.name.
ApiStatus CheckConsumerCreateSubject(const ConsumerCreateSubject& subject,
                                     CreateConsumerRequest* request);

// --- Defaults and validation ---------------------------------------------

struct ConsumerLimits {
  int64_t server_max_ack_pending = 0;    // jetstream limits max_ack_pending; 0 = none
  int64_t account_max_ack_pending = 0;   // account tier max_ack_pending; 0 = none
  int64_t server_max_request_batch = 0;  // jetstream limits max_request_batch; 0 = none
};

// nats-server setConsumerConfigDefaults (2.9.10): max_waiting 512 for pull,
// ack_wait 30 s when acking, max_deliver -1, ack_wait = backoff[0],
// max_ack_pending 1000 (capped by the limits) when acking, max_batch from the
// server limit. Stream consumer_limits (newer) fill inactive_threshold /
// max_ack_pending first when the stream has them.
void SetConsumerDefaults(ConsumerConfig* cfg, const ConsumerLimits& limits,
                         const StreamConfig* stream = nullptr);

struct ConsumerCheckContext {
  ConsumerLimits limits;
  // Subjects of the streams this stream mirrors/sources, for the filter check
  // (gatherSourceMirrorSubjects); nullptr = none known. Return nullptr for an
  // unknown stream.
  std::function<const StreamConfig*(absl::string_view name)> lookup_stream;
  bool recovering = false;  // filter checks skipped
};

// nats-server checkConsumerCfg (after defaults).
ApiStatus CheckConsumerConfig(const ConsumerConfig& cfg, const StreamConfig& stream,
                              const ConsumerCheckContext& ctx);

// nats-server checkNewConsumerConfig for create-or-update of an existing
// consumer: ok when only editable fields differ; otherwise 10012 with the
// reason ("deliver policy can not be updated", ...), 10013 when the push
// consumer's old deliver subject still has interest, 10116 for backoff.
ApiStatus CheckConsumerUpdate(const ConsumerConfig& old, const ConsumerConfig& updated,
                              bool old_deliver_subject_has_interest);

// Workqueue stream rules for a new consumer (`others`: the stream's existing
// consumers): explicit ack (10098), one unfiltered consumer (10099),
// non-overlapping filters (10100), deliver all (10101).
ApiStatus CheckWorkQueueConsumer(const ConsumerConfig& cfg,
                                 const std::vector<const ConsumerConfig*>& others);

// Name checks after the name is chosen: length (10102), IsValidName (10103).
ApiStatus CheckConsumerName(absl::string_view name);

// nats-server's replica count for a consumer: num_replicas, or the stream's
// (1 for ephemerals on limits streams).
int64_t ConsumerReplicas(const ConsumerConfig& cfg, const StreamConfig& stream);

// Random 8-character consumer name (nats-server createConsumerName shape:
// 8 characters of the base64 URL alphabet).
std::string NewConsumerName();

}  // namespace meridian::jetstream::api
