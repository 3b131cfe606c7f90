// StreamConfig: the body of STREAM.CREATE / STREAM.UPDATE and the `config`
// of StreamInfo, with nats-server 2.9.10's JSON field names, defaults and
// validation.
//
// Lifecycle of a create request, in nats-server's order (the engine drives it):
//   1. ParseStreamConfigJson(body)                 10025 on bad JSON / types
//   2. CheckStreamCreateRequest(subject_name, cfg) 10056 / 10128 / sealed / mirror_direct
//   3. (engine) account limits: max streams 10027, bytes 10028/10047 (CheckStreamBytesLimits)
//   4. CheckStreamConfig(cfg, ctx)                 defaults + validation (10052 ...)
//   5. (engine) num_replicas > 1 without a cluster -> 10074
//   6. (engine) existing stream: StreamConfigsEqual(existing, checked) ? ok : 10058
//   7. (engine) subjects overlapping another stream -> 10065 (StreamSubjectsOverlap)
// An update: ParseStreamConfigJson, CheckStreamConfig, name vs subject (10056),
// lookup (10059), CheckStreamUpdate(old, checked), overlap (10065).
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
#include "services/jetstream/api/types.h"

namespace meridian::jetstream::api {

inline constexpr size_t kMaxNameLen = 255;              // JSMaxNameLen
inline constexpr size_t kMaxDescriptionLen = 4 * 1024;  // JSMaxDescriptionLen
inline constexpr int kStreamMaxReplicas = 5;
inline constexpr Nanos kDefaultDuplicateWindow = NanosFromSeconds(120);

struct Placement {
  std::string cluster;            // omitempty
  std::vector<std::string> tags;  // omitempty
  std::string preferred;          // omitempty (newer than 2.9.10)
  friend bool operator==(const Placement&, const Placement&) = default;
};

struct ExternalStream {
  std::string api;      // "api"
  std::string deliver;  // "deliver"
  friend bool operator==(const ExternalStream&, const ExternalStream&) = default;
};

struct SubjectTransform {
  std::string src;   // "src"
  std::string dest;  // "dest"
  friend bool operator==(const SubjectTransform&, const SubjectTransform&) = default;
};

struct StreamSource {
  std::string name;
  StreamSequence opt_start_seq;                      // omitempty
  std::optional<absl::Time> opt_start_time;          // omitempty
  std::string filter_subject;                        // omitempty
  std::vector<SubjectTransform> subject_transforms;  // omitempty (newer)
  std::optional<ExternalStream> external;            // omitempty
  friend bool operator==(const StreamSource&, const StreamSource&) = default;
};

struct RePublish {
  std::string src;  // omitempty; CheckStreamConfig sets ">" when empty
  std::string dest;
  bool headers_only = false;  // omitempty
  friend bool operator==(const RePublish&, const RePublish&) = default;
};

// Defaults for consumers of the stream that leave them unset (newer).
struct StreamConsumerLimits {
  Nanos inactive_threshold;     // omitempty
  int64_t max_ack_pending = 0;  // omitempty
  bool empty() const { return inactive_threshold.is_zero() && max_ack_pending == 0; }
  friend bool operator==(const StreamConsumerLimits&, const StreamConsumerLimits&) = default;
};

// Field order = nats-server's struct order = JSON output order. Fields marked
// "newer" are beyond 2.9.10 and are written only when set, so output for a
// 2.9.10-style config is byte-identical to nats-server 2.9.10's.
struct StreamConfig {
  std::string name;
  std::string description;            // omitempty
  std::vector<std::string> subjects;  // omitempty
  RetentionPolicy retention = RetentionPolicy::kLimits;
  int64_t max_consumers = 0;  // Go int; -1 after defaults when unset
  int64_t max_msgs = 0;
  int64_t max_bytes = 0;
  Nanos max_age;
  int64_t max_msgs_per_subject = 0;
  int32_t max_msg_size = 0;  // omitempty (never 0 after defaults)
  DiscardPolicy discard = DiscardPolicy::kOld;
  StorageType storage = StorageType::kFile;
  int64_t num_replicas = 0;                           // 1 after defaults
  bool no_ack = false;                                // omitempty
  std::string template_owner;                         // omitempty (stream templates, deprecated)
  Nanos duplicate_window;                             // omitempty
  std::optional<Placement> placement;                 // omitempty
  std::optional<StreamSource> mirror;                 // omitempty
  std::vector<StreamSource> sources;                  // omitempty
  Compression compression = Compression::kNone;       // newer: written when s2
  StreamSequence first_seq;                           // newer, omitempty
  std::optional<SubjectTransform> subject_transform;  // newer, omitempty
  std::optional<RePublish> republish;                 // omitempty
  bool allow_direct = false;
  bool mirror_direct = false;
  bool discard_new_per_subject = false;  // omitempty
  bool sealed = false;
  bool deny_delete = false;
  bool deny_purge = false;
  bool allow_rollup_hdrs = false;
  StreamConsumerLimits consumer_limits;         // newer, written when set
  bool allow_msg_ttl = false;                   // newer, omitempty
  Nanos subject_delete_marker_ttl;              // newer, omitempty
  std::map<std::string, std::string> metadata;  // newer, omitempty (sorted, as Go)

  friend bool operator==(const StreamConfig&, const StreamConfig&) = default;
};

// --- JSON ---------------------------------------------------------------

// Go json.Unmarshal semantics: field names matched exactly, then ASCII
// case-insensitively; unknown fields ignored; null leaves a field unset
// (except the policy enums, which nats-server refuses); wrong types, numbers
// with fractions or out of range are errors. All errors are 10025.
ApiResult<StreamConfig> ParseStreamConfig(const json::Value& v);
// Parses `body` first (an empty body is invalid JSON, as in Go).
ApiResult<StreamConfig> ParseStreamConfigJson(absl::string_view body);

// The Go encoding/json error for a value ParseStreamConfig refuses ("" when
// it parses), e.g. "json: cannot unmarshal string into Go struct field
// StreamConfig.max_msgs of type int64": what newer servers append to 10025.
std::string StreamConfigDecodeError(const json::Value& v);

// Writes the config object as nats-server 2.9.10 marshals it.
void WriteStreamConfig(json::Writer& w, const StreamConfig& cfg);
std::string StreamConfigToJson(const StreamConfig& cfg);

// --- Validation -----------------------------------------------------------

// What CheckStreamConfig needs to know about the server and the account.
struct StreamCheckContext {
  // Server limit on duplicate_window (jetstream { limits { duplicate_window } }); 0 = none.
  Nanos max_duplicate_window;
  // Account tier limits (maxBytesLimits): max_bytes must be set (10113) / its
  // ceiling per storage type (10122); 0 = none.
  bool max_bytes_required = false;
  int64_t memory_max_stream_bytes = 0;
  int64_t storage_max_stream_bytes = 0;
  // Other streams of the account by name (mirror/source checks, cycles); may
  // be empty. Returns nullptr when there is no such stream.
  std::function<const StreamConfig*(absl::string_view name)> lookup_stream;
  // Recovering at start-up: source/mirror filter overlap checks are skipped.
  bool recovering = false;
};

// Stream and consumer names: non-empty, no whitespace, '.', '*', '>'
// (nats-server isValidName; path separators are checked separately).
bool IsValidName(absl::string_view name);

// The create handler's checks before the config itself is looked at:
// name in subject == cfg.name (10056), no path separators (10128), not
// sealed, no mirror_direct without a mirror (10052).
ApiStatus CheckStreamCreateRequest(absl::string_view subject_stream_name, const StreamConfig& cfg);

// nats-server checkStreamCfg: applies defaults (storage file, num_replicas 1,
// max_* 0 -> -1, duplicate_window 2 min or max_age, subjects [name] ...) and
// validates. Returns the config as the server stores it.
ApiResult<StreamConfig> CheckStreamConfig(const StreamConfig& requested,
                                          const StreamCheckContext& ctx);

// nats-server configUpdateCheck minus the account limits: `updated` is
// CheckStreamConfig's output. Returns the config to store (sealing adjusts it).
ApiResult<StreamConfig> CheckStreamUpdate(const StreamConfig& old, const StreamConfig& updated);

// nats-server newTransform's validity rules for a subject mapping (republish,
// subject transforms): both valid subjects, no '*' in dest, '>' in both or
// neither, every source '*' used by a $N / {{wildcard(N)}} / mapping function
// placeholder in dest, no index beyond the source's wildcards.
bool ValidSubjectTransform(absl::string_view src, absl::string_view dest);

// Idempotent create: same config after defaults.
bool StreamConfigsEqual(const StreamConfig& a, const StreamConfig& b);

// Whether any subject of `a` collides with any of `b` (10065 between streams).
bool StreamSubjectsOverlap(const std::vector<std::string>& a, const std::vector<std::string>& b);

// Account / server byte limits for a new or grown stream (checkBytesLimits):
// 10028 (memory) / 10047 (file) when `reserved + max_bytes*replicas` passes
// the account limit (-1 = unlimited) or the server's reservation passes its
// maximum. `add_bytes` is the stream's max_bytes (<0 counts as 1).
struct BytesLimitsInput {
  StorageType storage = StorageType::kFile;
  int64_t add_bytes = 0;
  int64_t replicas = 1;
  int64_t account_max = -1;      // max_memory / max_storage of the tier
  int64_t account_reserved = 0;  // bytes already reserved by the account's streams
  bool check_server = true;
  int64_t server_reserved = 0;  // bytes reserved on this server
  int64_t server_max = 0;       // server max_memory_store / max_file_store
  int64_t max_bytes_offset = 0;
};
ApiStatus CheckStreamBytesLimits(const BytesLimitsInput& in);

}  // namespace meridian::jetstream::api
