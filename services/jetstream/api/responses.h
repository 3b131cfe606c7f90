// Complete $JS.API response payloads and PubAcks, as nats-server 2.9.10
// sends them:
//
//   {"type":"io.nats.jetstream.api.v1.stream_info_response","total":0,"offset":0,"limit":0,"config":{...},...}
//   {"type":"io.nats.jetstream.api.v1.stream_create_response","error":{"code":400,"err_code":10058,"description":"..."}}
//   {"stream":"S", "seq":1}            (PubAck; hand-built with a space, as nats-server)
//
// ErrorResponse(type, err) includes the members a response type always
// carries even on failure (paging zeros for paged responses, "purged":0 for
// purge, "streams":[] for LIST ...), so the engine only picks the type.
//
// Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "services/jetstream/api/errors.h"
#include "services/jetstream/api/info.h"

namespace meridian::jetstream::api {

enum class ResponseType : uint8_t {
  kAccountInfo,
  kStreamCreate,
  kStreamUpdate,
  kStreamInfo,
  kStreamNames,
  kStreamList,
  kStreamDelete,
  kStreamPurge,
  kStreamMsgGet,
  kStreamMsgDelete,
  kStreamSnapshot,
  kStreamRestore,
  kStreamRemovePeer,
  kStreamLeaderStepDown,
  kConsumerCreate,
  kConsumerInfo,
  kConsumerNames,
  kConsumerList,
  kConsumerDelete,
  kConsumerLeaderStepDown,
  kConsumerPause,  // newer
  kMetaLeaderStepDown,
  kMetaServerRemove,
  kAccountPurge,
  // Stream templates (deprecated in nats-server 2.9, gone in 2.10).
  kStreamTemplateCreate,
  kStreamTemplateInfo,
  kStreamTemplateDelete,
  kStreamTemplateNames,
};

// "io.nats.jetstream.api.v1.stream_info_response" ...
absl::string_view ResponseTypeName(ResponseType type);

// {"type":..., "error":{...}[, the type's always-present members]}.
std::string ErrorResponse(ResponseType type, const ApiError& error);

// {"type":...,"success":true}: stream/consumer delete, msg delete, leader
// stepdowns, remove peer.
std::string SuccessResponse(ResponseType type);

std::string AccountInfoResponse(const AccountInfo& info);
std::string StreamCreateResponse(const StreamInfo& info, bool did_create);
std::string StreamUpdateResponse(const StreamInfo& info);
// Paging is all zeros unless a subjects_filter matched subjects.
std::string StreamInfoResponse(const StreamInfo& info, const Paging& paging = {});
// An empty list is written as null, as nats-server does for NAMES.
std::string StreamNamesResponse(const std::vector<std::string>& names, const Paging& paging);
std::string StreamListResponse(const std::vector<StreamInfo>& streams, const Paging& paging,
                               const std::vector<std::string>& missing = {});
std::string StreamPurgeResponse(uint64_t purged);
std::string StreamMsgGetResponse(const StoredMsg& msg);
std::string StreamSnapshotResponse(const StreamConfig& config, const StreamState& state);
std::string StreamRestoreResponse(absl::string_view deliver_subject);

std::string ConsumerCreateResponse(const ConsumerInfo& info);
std::string ConsumerInfoResponse(const ConsumerInfo& info);
std::string ConsumerNamesResponse(const std::vector<std::string>& names, const Paging& paging);
std::string ConsumerListResponse(const std::vector<ConsumerInfo>& consumers, const Paging& paging,
                                 const std::vector<std::string>& missing = {});

// --- PubAck ---------------------------------------------------------------

struct PubAck {
  std::string stream;
  StreamSequence seq;
  std::string domain;      // written when set
  bool duplicate = false;  // written when true
};

// Success: {"stream":"S", "seq":N} / {"stream":"S", "domain":"D", "seq":N}
// (+ ,"duplicate": true}), byte-identical to nats-server's hand-built form.
std::string PubAckResponse(const PubAck& ack);
// Failure: {"error":{...},"stream":"S","seq":0} (json.Marshal form).
std::string PubAckErrorResponse(absl::string_view stream, const ApiError& error);

}  // namespace meridian::jetstream::api
