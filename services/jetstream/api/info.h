// The info objects the JetStream API returns (StreamInfo, StreamState,
// ConsumerInfo, account stats, stored messages) and their JSON writers, byte
// for byte as nats-server 2.9.10 marshals them (field order = Go struct
// order, omitempty as Go, durations as ns integers, times RFC 3339 nano UTC).
//
// The Write* functions write the object's *members* into an object the
// caller has begun (nats-server embeds these structs inline in responses);
// the *ToJson helpers wrap them in braces.
//
// Plain data, no thread affinity.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/json/writer.h"
#include "services/jetstream/api/consumer_config.h"
#include "services/jetstream/api/errors.h"
#include "services/jetstream/api/stream_config.h"
#include "services/jetstream/api/types.h"

namespace meridian::jetstream::api {

struct LostStreamData {
  std::vector<uint64_t> msgs;
  uint64_t bytes = 0;
};

struct StreamState {
  uint64_t messages = 0;
  uint64_t bytes = 0;
  StreamSequence first_seq;
  absl::Time first_ts = kZeroTime;
  StreamSequence last_seq;
  absl::Time last_ts = kZeroTime;
  int64_t num_subjects = 0;  // omitempty
  // Only with subjects_filter (omitempty; written sorted like Go's map).
  std::optional<std::map<std::string, uint64_t>> subjects;
  int64_t num_deleted = 0;             // omitempty
  std::vector<uint64_t> deleted;       // omitempty (deleted_details)
  std::optional<LostStreamData> lost;  // omitempty
  int64_t consumer_count = 0;
};

struct PeerInfo {
  std::string name;
  bool current = false;
  bool offline = false;  // omitempty
  Nanos active;
  uint64_t lag = 0;  // omitempty
  std::string peer;
};

// R1 on a standalone server: {"leader":"<server name>"} (name omitted without
// a cluster name).
struct ClusterInfo {
  std::string name;                // omitempty
  std::string leader;              // omitempty
  std::vector<PeerInfo> replicas;  // omitempty
};

struct StreamSourceInfo {
  std::string name;
  std::optional<ExternalStream> external;  // omitempty
  uint64_t lag = 0;
  Nanos active;
  std::optional<ApiError> error;  // omitempty
  // newer, omitempty
  std::string filter_subject;
  std::vector<SubjectTransform> subject_transforms;
};

struct StreamAlternate {
  std::string name;
  std::string domain;  // omitempty
  std::string cluster;
};

struct StreamInfo {
  StreamConfig config;
  absl::Time created = kZeroTime;
  StreamState state;
  std::string domain;                       // omitempty
  std::optional<ClusterInfo> cluster;       // omitempty
  std::optional<StreamSourceInfo> mirror;   // omitempty
  std::vector<StreamSourceInfo> sources;    // omitempty
  std::vector<StreamAlternate> alternates;  // omitempty
  std::optional<absl::Time> ts;             // newer ("ts"), omitempty
};

struct SequenceInfo {
  ConsumerSequence consumer_seq;
  StreamSequence stream_seq;
  std::optional<absl::Time> last_active;  // omitempty
};

struct ConsumerInfo {
  std::string stream_name;
  std::string name;
  absl::Time created = kZeroTime;
  std::optional<ConsumerConfig> config;  // omitempty (always set by nats-server)
  SequenceInfo delivered;
  SequenceInfo ack_floor;
  int64_t num_ack_pending = 0;
  int64_t num_redelivered = 0;
  int64_t num_waiting = 0;
  uint64_t num_pending = 0;
  std::optional<ClusterInfo> cluster;  // omitempty
  bool push_bound = false;             // omitempty
  // newer, omitempty
  bool paused = false;
  Nanos pause_remaining;
  std::optional<absl::Time> ts;
};

// $JS.API.INFO.
struct AccountLimits {
  int64_t max_memory = -1;
  int64_t max_storage = -1;
  int64_t max_streams = -1;
  int64_t max_consumers = -1;
  int64_t max_ack_pending = -1;
  int64_t memory_max_stream_bytes = -1;
  int64_t storage_max_stream_bytes = -1;
  bool max_bytes_required = false;
};

struct AccountTier {
  uint64_t memory = 0;
  uint64_t storage = 0;
  int64_t streams = 0;
  int64_t consumers = 0;
  AccountLimits limits;
};

struct ApiStats {
  uint64_t total = 0;
  uint64_t errors = 0;
  uint64_t inflight = 0;  // omitempty
  int64_t level = 0;      // newer (api.level), omitempty
};

struct AccountInfo {
  AccountTier totals;  // memory, storage, streams, consumers, limits
  std::string domain;  // omitempty
  ApiStats api;
  std::map<std::string, AccountTier> tiers;  // omitempty (e.g. "R1")
};

// A stored message as STREAM.MSG.GET returns it.
struct StoredMsg {
  std::string subject;
  StreamSequence seq;
  std::string hdrs;  // raw NATS/1.0 block; base64 on the wire, omitempty
  std::string data;  // raw payload; base64 on the wire, omitempty
  absl::Time time = kZeroTime;
};

// Paging fields of NAMES / LIST / STREAM.INFO responses.
struct Paging {
  int64_t total = 0;
  int64_t offset = 0;
  int64_t limit = 0;
};

inline constexpr int64_t kApiNamesLimit = 1024;        // JSApiNamesLimit
inline constexpr int64_t kApiListLimit = 256;          // JSApiListLimit
inline constexpr int64_t kMaxSubjectDetails = 100000;  // JSMaxSubjectDetails

// --- Writers (members only, see top) -----------------------------------

void WriteStreamStateMembers(json::Writer& w, const StreamState& s);
void WriteClusterInfoMembers(json::Writer& w, const ClusterInfo& c);
void WriteStreamSourceInfoMembers(json::Writer& w, const StreamSourceInfo& s);
// "mirror" and "sources" (each omitempty), as StreamInfo and /jsz's
// StreamDetail write them.
void WriteStreamSourcingMembers(json::Writer& w, const StreamInfo& info);
void WriteStreamInfoMembers(json::Writer& w, const StreamInfo& info);
void WriteSequenceInfoMembers(json::Writer& w, const SequenceInfo& s);
void WriteConsumerInfoMembers(json::Writer& w, const ConsumerInfo& info);
void WriteAccountInfoMembers(json::Writer& w, const AccountInfo& info);
void WriteStoredMsgMembers(json::Writer& w, const StoredMsg& m);
void WritePagingMembers(json::Writer& w, const Paging& p);

std::string StreamStateToJson(const StreamState& s);
std::string StreamInfoToJson(const StreamInfo& info);
std::string ConsumerInfoToJson(const ConsumerInfo& info);

// Standard padded base64 (Go encoding/json []byte).
std::string Base64Encode(absl::string_view bytes);

}  // namespace meridian::jetstream::api
