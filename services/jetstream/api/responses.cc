#include "services/jetstream/api/responses.h"

#include "absl/strings/str_cat.h"

namespace meridian::jetstream::api {
namespace {

// Starts {"type":"..." and leaves the object open.
json::Writer Begin(std::string* out, ResponseType type) {
  json::Writer w(out);
  w.BeginObject();
  w.Member("type", ResponseTypeName(type));
  return w;
}

std::string Finish(json::Writer& w, std::string* out) {
  w.EndObject();
  return std::move(*out);
}

bool IsPaged(ResponseType type) {
  switch (type) {
    case ResponseType::kStreamInfo:
    case ResponseType::kStreamNames:
    case ResponseType::kStreamList:
    case ResponseType::kConsumerNames:
    case ResponseType::kConsumerList:
      return true;
    default:
      return false;
  }
}

}  // namespace

absl::string_view ResponseTypeName(ResponseType type) {
  switch (type) {
    case ResponseType::kAccountInfo:
      return "io.nats.jetstream.api.v1.account_info_response";
    case ResponseType::kStreamCreate:
      return "io.nats.jetstream.api.v1.stream_create_response";
    case ResponseType::kStreamUpdate:
      return "io.nats.jetstream.api.v1.stream_update_response";
    case ResponseType::kStreamInfo:
      return "io.nats.jetstream.api.v1.stream_info_response";
    case ResponseType::kStreamNames:
      return "io.nats.jetstream.api.v1.stream_names_response";
    case ResponseType::kStreamList:
      return "io.nats.jetstream.api.v1.stream_list_response";
    case ResponseType::kStreamDelete:
      return "io.nats.jetstream.api.v1.stream_delete_response";
    case ResponseType::kStreamPurge:
      return "io.nats.jetstream.api.v1.stream_purge_response";
    case ResponseType::kStreamMsgGet:
      return "io.nats.jetstream.api.v1.stream_msg_get_response";
    case ResponseType::kStreamMsgDelete:
      return "io.nats.jetstream.api.v1.stream_msg_delete_response";
    case ResponseType::kStreamSnapshot:
      return "io.nats.jetstream.api.v1.stream_snapshot_response";
    case ResponseType::kStreamRestore:
      return "io.nats.jetstream.api.v1.stream_restore_response";
    case ResponseType::kStreamRemovePeer:
      return "io.nats.jetstream.api.v1.stream_remove_peer_response";
    case ResponseType::kStreamLeaderStepDown:
      return "io.nats.jetstream.api.v1.stream_leader_stepdown_response";
    case ResponseType::kConsumerCreate:
      return "io.nats.jetstream.api.v1.consumer_create_response";
    case ResponseType::kConsumerInfo:
      return "io.nats.jetstream.api.v1.consumer_info_response";
    case ResponseType::kConsumerNames:
      return "io.nats.jetstream.api.v1.consumer_names_response";
    case ResponseType::kConsumerList:
      return "io.nats.jetstream.api.v1.consumer_list_response";
    case ResponseType::kConsumerDelete:
      return "io.nats.jetstream.api.v1.consumer_delete_response";
    case ResponseType::kConsumerLeaderStepDown:
      return "io.nats.jetstream.api.v1.consumer_leader_stepdown_response";
    case ResponseType::kConsumerPause:
      return "io.nats.jetstream.api.v1.consumer_pause_response";
    case ResponseType::kMetaLeaderStepDown:
      return "io.nats.jetstream.api.v1.meta_leader_stepdown_response";
    case ResponseType::kMetaServerRemove:
      return "io.nats.jetstream.api.v1.meta_server_remove_response";
    case ResponseType::kAccountPurge:
      return "io.nats.jetstream.api.v1.account_purge_response";
    case ResponseType::kStreamTemplateCreate:
      return "io.nats.jetstream.api.v1.stream_template_create_response";
    case ResponseType::kStreamTemplateInfo:
      return "io.nats.jetstream.api.v1.stream_template_info_response";
    case ResponseType::kStreamTemplateDelete:
      return "io.nats.jetstream.api.v1.stream_template_delete_response";
    case ResponseType::kStreamTemplateNames:
      return "io.nats.jetstream.api.v1.stream_template_names_response";
  }
  return "";
}

std::string ErrorResponse(ResponseType type, const ApiError& error) {
  std::string out;
  json::Writer w = Begin(&out, type);
  w.Key("error");
  WriteApiError(w, error);
  if (IsPaged(type)) WritePagingMembers(w, Paging{});
  switch (type) {
    case ResponseType::kStreamNames:
      w.Key("streams").Null();  // a nil []string in nats-server
      break;
    case ResponseType::kStreamList:
      w.Key("streams").BeginArray().EndArray();
      break;
    case ResponseType::kConsumerNames:
    case ResponseType::kConsumerList:
      w.Key("consumers").BeginArray().EndArray();
      break;
    case ResponseType::kStreamPurge:
      w.MemberUint("purged", 0);
      break;
    case ResponseType::kStreamRestore:
      w.Member("deliver_subject", "");
      break;
    default:
      break;
  }
  return Finish(w, &out);
}

std::string SuccessResponse(ResponseType type) {
  std::string out;
  json::Writer w = Begin(&out, type);
  w.MemberBool("success", true);
  return Finish(w, &out);
}

std::string AccountInfoResponse(const AccountInfo& info) {
  std::string out;
  json::Writer w = Begin(&out, ResponseType::kAccountInfo);
  WriteAccountInfoMembers(w, info);
  return Finish(w, &out);
}

std::string StreamCreateResponse(const StreamInfo& info, bool did_create) {
  std::string out;
  json::Writer w = Begin(&out, ResponseType::kStreamCreate);
  WriteStreamInfoMembers(w, info);
  if (did_create) w.MemberBool("did_create", true);
  return Finish(w, &out);
}

std::string StreamUpdateResponse(const StreamInfo& info) {
  std::string out;
  json::Writer w = Begin(&out, ResponseType::kStreamUpdate);
  WriteStreamInfoMembers(w, info);
  return Finish(w, &out);
}

std::string StreamInfoResponse(const StreamInfo& info, const Paging& paging) {
  std::string out;
  json::Writer w = Begin(&out, ResponseType::kStreamInfo);
  WritePagingMembers(w, paging);
  WriteStreamInfoMembers(w, info);
  return Finish(w, &out);
}

std::string StreamNamesResponse(const std::vector<std::string>& names, const Paging& paging) {
  std::string out;
  json::Writer w = Begin(&out, ResponseType::kStreamNames);
  WritePagingMembers(w, paging);
  w.Key("streams");
  if (names.empty()) {
    w.Null();
  } else {
    w.BeginArray();
    for (const auto& n : names) w.String(n);
    w.EndArray();
  }
  return Finish(w, &out);
}

// A LIST response: paging, `key` holding each item's members as an object,
// and "missing" when some could not be read.
template <typename T>
std::string PagedListResponse(ResponseType type, absl::string_view key, const std::vector<T>& items,
                              const Paging& paging, const std::vector<std::string>& missing,
                              void (*write_members)(json::Writer&, const T&)) {
  std::string out;
  json::Writer w = Begin(&out, type);
  WritePagingMembers(w, paging);
  w.Key(key).BeginArray();
  for (const T& item : items) {
    w.BeginObject();
    write_members(w, item);
    w.EndObject();
  }
  w.EndArray();
  if (!missing.empty()) {
    w.Key("missing").BeginArray();
    for (const auto& m : missing) w.String(m);
    w.EndArray();
  }
  return Finish(w, &out);
}

std::string StreamListResponse(const std::vector<StreamInfo>& streams, const Paging& paging,
                               const std::vector<std::string>& missing) {
  return PagedListResponse(ResponseType::kStreamList, "streams", streams, paging, missing,
                           &WriteStreamInfoMembers);
}

std::string StreamPurgeResponse(uint64_t purged) {
  std::string out;
  json::Writer w = Begin(&out, ResponseType::kStreamPurge);
  w.MemberBool("success", true);
  w.MemberUint("purged", purged);
  return Finish(w, &out);
}

std::string StreamMsgGetResponse(const StoredMsg& msg) {
  std::string out;
  json::Writer w = Begin(&out, ResponseType::kStreamMsgGet);
  w.Key("message").BeginObject();
  WriteStoredMsgMembers(w, msg);
  w.EndObject();
  return Finish(w, &out);
}

std::string StreamSnapshotResponse(const StreamConfig& config, const StreamState& state) {
  std::string out;
  json::Writer w = Begin(&out, ResponseType::kStreamSnapshot);
  w.Key("config");
  WriteStreamConfig(w, config);
  w.Key("state").BeginObject();
  WriteStreamStateMembers(w, state);
  w.EndObject();
  return Finish(w, &out);
}

std::string StreamRestoreResponse(absl::string_view deliver_subject) {
  std::string out;
  json::Writer w = Begin(&out, ResponseType::kStreamRestore);
  w.Member("deliver_subject", deliver_subject);
  return Finish(w, &out);
}

std::string ConsumerCreateResponse(const ConsumerInfo& info) {
  std::string out;
  json::Writer w = Begin(&out, ResponseType::kConsumerCreate);
  WriteConsumerInfoMembers(w, info);
  return Finish(w, &out);
}

std::string ConsumerInfoResponse(const ConsumerInfo& info) {
  std::string out;
  json::Writer w = Begin(&out, ResponseType::kConsumerInfo);
  WriteConsumerInfoMembers(w, info);
  return Finish(w, &out);
}

std::string ConsumerNamesResponse(const std::vector<std::string>& names, const Paging& paging) {
  std::string out;
  json::Writer w = Begin(&out, ResponseType::kConsumerNames);
  WritePagingMembers(w, paging);
  w.Key("consumers").BeginArray();
  for (const auto& n : names) w.String(n);
  w.EndArray();
  return Finish(w, &out);
}

std::string ConsumerListResponse(const std::vector<ConsumerInfo>& consumers, const Paging& paging,
                                 const std::vector<std::string>& missing) {
  return PagedListResponse(ResponseType::kConsumerList, "consumers", consumers, paging, missing,
                           &WriteConsumerInfoMembers);
}

std::string PubAckResponse(const PubAck& ack) {
  std::string out = "{\"stream\":";
  json::AppendQuoted(ack.stream, &out, /*escape_html=*/false);  // Go %q
  if (!ack.domain.empty()) {
    out += ", \"domain\":";
    json::AppendQuoted(ack.domain, &out, /*escape_html=*/false);
  }
  absl::StrAppend(&out, ", \"seq\":", ack.seq.value);
  if (ack.duplicate) out += ",\"duplicate\": true";
  out += "}";
  return out;
}

std::string PubAckErrorResponse(absl::string_view stream, const ApiError& error) {
  std::string out;
  json::Writer w(&out);
  w.BeginObject();
  w.Key("error");
  WriteApiError(w, error);
  w.Member("stream", stream);
  w.MemberUint("seq", 0);
  w.EndObject();
  return out;
}

}  // namespace meridian::jetstream::api
