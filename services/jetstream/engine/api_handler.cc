#include "services/jetstream/engine/api_handler.h"

#include <algorithm>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/json/parser.h"
#include "common/json/time_format.h"
#include "common/json/writer.h"
#include "common/subjects/subject.h"
#include "services/jetstream/api/consumer_config.h"
#include "services/jetstream/api/requests.h"
#include "services/jetstream/api/responses.h"
#include "services/jetstream/engine/advisories.h"
#include "services/jetstream/engine/consumer.h"
#include "services/jetstream/engine/engine.h"
#include "services/jetstream/engine/headers.h"
#include "services/jetstream/engine/stream.h"
#include "services/jetstream/engine/strings.h"

namespace meridian::jetstream {
namespace {

using api::ErrorId;
using api::ResponseType;

absl::Time FromNanos(int64_t ns) { return ns == 0 ? api::kZeroTime : absl::FromUnixNanos(ns); }

// What a stream request may ask that is not supported yet, refused by name:
// mirrors/sources of another domain (external), mirror_direct, pedantic mode.
std::optional<api::ApiError> UnsupportedStreamOption(const api::StreamConfig& cfg,
                                                     std::string_view body) {
  auto external = [](const api::StreamSource& s) { return s.external.has_value(); };
  if ((cfg.mirror.has_value() && external(*cfg.mirror)) ||
      std::any_of(cfg.sources.begin(), cfg.sources.end(), external)) {
    return api::Make(ErrorId::JSStreamInvalidConfigF,
                     "mirrors and sources of another domain (external) are not supported by "
                     "meridian-jetstream yet");
  }
  if (cfg.mirror_direct) {
    return api::Make(ErrorId::JSStreamInvalidConfigF,
                     "mirror_direct is not supported by meridian-jetstream yet");
  }
  auto v = json::Parse(AV(body));
  if (v.ok()) {
    if (const json::Value* p = v->Find("pedantic"); p != nullptr && p->AsBool().value_or(false)) {
      return api::Make(ErrorId::JSPedanticErrF, "not supported by meridian-jetstream yet");
    }
  }
  return std::nullopt;
}

}  // namespace

void ApiHandler::Reply(std::string_view to, const std::string& json, bool audit) {
  if (!to.empty()) engine_->Send(to, {}, {}, json);
  if (audit && request_ != nullptr) advisory::PublishApiAudit(engine_, *request_, json);
}

api::StreamInfo ApiHandler::StreamInfoOf(Stream* stream) {
  api::StreamInfo info;
  info.config = stream->config();
  info.created = FromNanos(stream->created_ns());
  const StreamState st = stream->State();
  info.state.messages = st.msgs;
  info.state.bytes = st.bytes;
  info.state.first_seq.value = st.first_seq;
  info.state.first_ts = FromNanos(st.first_ts_ns);
  info.state.last_seq.value = st.last_seq;
  info.state.last_ts = FromNanos(st.last_ts_ns);
  info.state.num_subjects = static_cast<int64_t>(st.num_subjects);
  info.state.num_deleted = static_cast<int64_t>(st.num_deleted);
  info.state.consumer_count = static_cast<int64_t>(stream->consumers().size());
  stream->sourcing().Describe(engine_, &info);
  return info;  // standalone: no "cluster" (as nats-server without a cluster)
}

api::ConsumerInfo ApiHandler::ConsumerInfoOf(Stream* stream, Consumer* c) {
  api::ConsumerInfo info;
  info.stream_name = stream->name();
  info.name = c->name();
  info.created = FromNanos(c->created_ns());
  info.config = c->config();
  info.delivered.consumer_seq.value = c->delivered().consumer_seq;
  info.delivered.stream_seq.value = c->delivered().stream_seq;
  if (c->last_active_ns() > 0 && c->delivered().consumer_seq > 0) {
    info.delivered.last_active = absl::FromUnixNanos(c->last_active_ns());
  }
  info.ack_floor.consumer_seq.value = c->ack_floor().consumer_seq;
  info.ack_floor.stream_seq.value = c->ack_floor().stream_seq;
  info.num_ack_pending = static_cast<int64_t>(c->num_ack_pending());
  info.num_redelivered = static_cast<int64_t>(c->num_redelivered());
  info.num_waiting = static_cast<int64_t>(c->num_waiting());
  info.num_pending = c->num_pending();
  api::ClusterInfo cluster;
  cluster.leader = engine_->options().server_name;
  info.cluster = cluster;
  info.push_bound = c->push_bound();
  if (c->paused()) {
    info.paused = true;
    info.pause_remaining.ns = c->config().pause_until.has_value()
                                  ? absl::ToUnixNanos(*c->config().pause_until) - engine_->now_ns()
                                  : 0;
  }
  return info;
}

void ApiHandler::Handle(const router::PackedMessage& msg) {
  request_ = &msg;
  Dispatch(msg);
  request_ = nullptr;
}

void ApiHandler::Dispatch(const router::PackedMessage& msg) {
  ++engine_->stats().api_requests;
  std::string_view rest = msg.subject.substr(8);  // after "$JS.API."
  std::vector<std::string_view> t = SplitTokens(rest);
  auto is = [&](std::initializer_list<std::string_view> prefix, size_t total) {
    if (t.size() != total && total != 0) return false;
    if (t.size() < prefix.size()) return false;
    size_t i = 0;
    for (std::string_view p : prefix) {
      if (t[i++] != p) return false;
    }
    return true;
  };
  if (msg.reply.empty() && !is({"CONSUMER", "MSG", "NEXT"}, 5)) return;
  if (is({"INFO"}, 1)) return AccountInfo(msg);
  if (is({"STREAM", "CREATE"}, 3)) return StreamCreate(msg, t[2]);
  if (is({"STREAM", "UPDATE"}, 3)) return StreamUpdate(msg, t[2]);
  if (is({"STREAM", "INFO"}, 3)) return StreamInfo(msg, t[2]);
  if (is({"STREAM", "NAMES"}, 2)) return StreamNames(msg, false);
  if (is({"STREAM", "LIST"}, 2)) return StreamNames(msg, true);
  if (is({"STREAM", "DELETE"}, 3)) return StreamDelete(msg, t[2]);
  if (is({"STREAM", "PURGE"}, 3)) return StreamPurge(msg, t[2]);
  if (is({"STREAM", "MSG", "GET"}, 4)) return StreamMsgGet(msg, t[3]);
  if (is({"STREAM", "MSG", "DELETE"}, 4)) return StreamMsgDelete(msg, t[3]);
  if (is({"DIRECT", "GET"}, 3)) return DirectGet(msg, t[2], false);
  if (is({"DIRECT", "GET"}, 0) && t.size() > 3) return DirectGet(msg, t[2], true);
  if (is({"CONSUMER", "CREATE"}, 0) && t.size() >= 3) return ConsumerCreate(msg);
  if (is({"CONSUMER", "DURABLE", "CREATE"}, 0) && t.size() >= 4) return ConsumerCreate(msg);
  if (is({"CONSUMER", "INFO"}, 4)) return ConsumerInfo(msg, t[2], t[3]);
  if (is({"CONSUMER", "NAMES"}, 3)) return ConsumerNames(msg, t[2], false);
  if (is({"CONSUMER", "LIST"}, 3)) return ConsumerNames(msg, t[2], true);
  if (is({"CONSUMER", "DELETE"}, 4)) return ConsumerDelete(msg, t[2], t[3]);
  if (is({"CONSUMER", "MSG", "NEXT"}, 5)) return ConsumerNext(msg, t[3], t[4]);
  if (is({"STREAM", "SNAPSHOT"}, 3)) return Unsupported(msg, "stream snapshots");
  if (is({"STREAM", "RESTORE"}, 3)) return Unsupported(msg, "stream restore");
  // A standalone server has no stream or consumer leaders to move: nats-server
  // answers these with 10010 whatever the stream.
  if (is({"STREAM", "LEADER", "STEPDOWN"}, 4)) return NotClustered(msg, ResponseType::kStreamLeaderStepDown);
  if (is({"STREAM", "PEER", "REMOVE"}, 4)) return NotClustered(msg, ResponseType::kStreamRemovePeer);
  if (is({"CONSUMER", "LEADER", "STEPDOWN"}, 5)) {
    return NotClustered(msg, ResponseType::kConsumerLeaderStepDown);
  }
  if (is({"STREAM", "TEMPLATE"}, 0)) return StreamTemplate(msg, t);
  if (is({"CONSUMER", "PAUSE"}, 4)) return ConsumerPause(msg, t[2], t[3]);
  if (is({"CONSUMER", "RESET"}, 4)) return Unsupported(msg, "consumer reset");
  if (is({"CONSUMER", "UNPIN"}, 4)) return Unsupported(msg, "consumer unpin");
  if (is({"META"}, 0) || is({"SERVER"}, 0) || is({"ACCOUNT"}, 0)) {
    return Unsupported(msg, "system account JetStream requests");
  }
  // Anything else: nats-server has no subscriber for it and stays silent.
}

void ApiHandler::NotClustered(const router::PackedMessage& msg, ResponseType type) {
  ++engine_->stats().api_errors;
  Reply(msg.reply, api::ErrorResponse(type, api::Make(ErrorId::JSClusterRequiredErr)));
}

void ApiHandler::StreamTemplate(const router::PackedMessage& msg,
                                const std::vector<std::string_view>& t) {
  // Templates cannot be created here, so there are none: NAMES is empty,
  // INFO and DELETE find nothing, as nats-server 2.9 answers without them.
  if (t.size() == 3 && t[2] == "NAMES") {
    std::string out;
    json::Writer w(&out);
    w.BeginObject().Member("type", api::ResponseTypeName(ResponseType::kStreamTemplateNames));
    api::WritePagingMembers(w, api::Paging{0, 0, api::kApiNamesLimit});
    w.Key("streams").BeginArray().EndArray().EndObject();
    return Reply(msg.reply, out);
  }
  if (t.size() == 4 && (t[2] == "INFO" || t[2] == "DELETE")) {
    ++engine_->stats().api_errors;
    const ResponseType type =
        t[2] == "INFO" ? ResponseType::kStreamTemplateInfo : ResponseType::kStreamTemplateDelete;
    return Reply(msg.reply, api::ErrorResponse(type, api::Make(ErrorId::JSStreamTemplateNotFoundErr)));
  }
  Unsupported(msg, "stream templates (deprecated by nats-server 2.9, removed in 2.10)");
}

void ApiHandler::Unsupported(const router::PackedMessage& msg, std::string_view what) {
  ++engine_->stats().api_errors;
  api::ApiError e;
  e.code = 501;
  e.err_code = 10003;
  e.description = std::string(what) + " not supported by meridian-jetstream yet";
  std::string out;
  json::Writer w(&out);
  w.BeginObject().Member("type", "io.nats.jetstream.api.v1.error_response").Key("error");
  api::WriteApiError(w, e);
  w.EndObject();
  Reply(msg.reply, out);
}

void ApiHandler::AccountInfo(const router::PackedMessage& msg) {
  api::AccountInfo info;
  info.totals.memory = engine_->used_bytes(true);
  info.totals.storage = engine_->used_bytes(false);
  info.totals.streams = static_cast<int64_t>(engine_->streams().size());
  int64_t consumers = 0;
  for (const auto& [n, s] : engine_->streams()) consumers += static_cast<int64_t>(s->consumers().size());
  info.totals.consumers = consumers;
  info.totals.limits.max_memory = engine_->options().max_memory_store;
  info.totals.limits.max_storage = engine_->options().max_file_store;
  info.api.total = engine_->stats().api_requests;
  info.api.errors = engine_->stats().api_errors;
  Reply(msg.reply, api::AccountInfoResponse(info));
}

api::StreamCheckContext ApiHandler::StreamContext() {
  api::StreamCheckContext ctx;
  ctx.lookup_stream = [this](absl::string_view name) -> const api::StreamConfig* {
    Stream* s = engine_->FindStream(std::string_view(name.data(), name.size()));
    return s == nullptr ? nullptr : &s->config();
  };
  return ctx;
}

void ApiHandler::StreamCreate(const router::PackedMessage& msg, std::string_view name) {
  auto fail = [&](const api::ApiError& e) {
    ++engine_->stats().api_errors;
    Reply(msg.reply, api::ErrorResponse(ResponseType::kStreamCreate, e));
  };
  auto parsed = api::ParseStreamConfigJson(AV(msg.payload));
  if (!parsed.ok()) return fail(parsed.error());
  if (auto s = api::CheckStreamCreateRequest(AV(name), *parsed); !s.ok()) return fail(s.error());
  auto cfg = api::CheckStreamConfig(*parsed, StreamContext());
  if (!cfg.ok()) return fail(cfg.error());
  if (cfg->num_replicas > 1) return fail(api::Make(ErrorId::JSStreamReplicasNotSupportedErr));
  if (auto e = UnsupportedStreamOption(*cfg, msg.payload)) return fail(*e);
  if (Stream* existing = engine_->FindStream(name)) {
    if (api::StreamConfigsEqual(existing->config(), *cfg)) {
      return Reply(msg.reply, api::StreamCreateResponse(StreamInfoOf(existing), false));
    }
    return fail(api::Make(ErrorId::JSStreamNameExistErr));
  }
  if (engine_->SubjectsOverlap(cfg->subjects, nullptr)) {
    return fail(api::Make(ErrorId::JSStreamSubjectOverlapErr));
  }
  for (const std::string& s : cfg->subjects) {
    if (absl::StartsWith(s, "$JS.API") || absl::StartsWith(s, "$JS.ACK") || s == ">" ) {
      if (s == ">" || subjects::SubjectsOverlap(s, "$JS.API.>")) {
        return fail(api::Make(ErrorId::JSStreamInvalidConfigF,
                              "subjects overlap with jetstream api"));
      }
    }
  }
  const bool memory = cfg->storage == api::StorageType::kMemory;
  api::BytesLimitsInput limits;
  limits.storage = cfg->storage;
  limits.add_bytes = cfg->max_bytes;
  limits.account_max = memory ? engine_->options().max_memory_store : engine_->options().max_file_store;
  int64_t reserved = 0;
  for (const auto& [n, s] : engine_->streams()) {
    if ((s->config().storage == api::StorageType::kMemory) == memory && s->config().max_bytes > 0) {
      reserved += s->config().max_bytes;
    }
  }
  limits.account_reserved = reserved;
  limits.check_server = false;
  if (auto s = api::CheckStreamBytesLimits(limits); !s.ok()) return fail(s.error());
  auto stream = Stream::Create(engine_, std::move(*cfg));
  if (!stream.ok()) {
    return fail(api::Make(ErrorId::JSStreamStoreFailedF, std::string(stream.status().message())));
  }
  Stream* s = stream->get();
  engine_->AddStream(std::move(*stream));
  advisory::PublishStreamAction(engine_, s->name(), advisory::Action::kCreate);
  Reply(msg.reply, api::StreamCreateResponse(StreamInfoOf(s), true));
}

void ApiHandler::StreamUpdate(const router::PackedMessage& msg, std::string_view name) {
  auto fail = [&](const api::ApiError& e) {
    ++engine_->stats().api_errors;
    Reply(msg.reply, api::ErrorResponse(ResponseType::kStreamUpdate, e));
  };
  auto parsed = api::ParseStreamConfigJson(AV(msg.payload));
  if (!parsed.ok()) return fail(parsed.error());
  if (parsed->name != name) return fail(api::Make(ErrorId::JSStreamMismatchErr));
  Stream* stream = engine_->FindStream(name);
  if (stream == nullptr) return fail(api::Make(ErrorId::JSStreamNotFoundErr));
  auto cfg = api::CheckStreamConfig(*parsed, StreamContext());
  if (!cfg.ok()) return fail(cfg.error());
  auto updated = api::CheckStreamUpdate(stream->config(), *cfg);
  if (!updated.ok()) return fail(updated.error());
  if (auto e = UnsupportedStreamOption(*updated, msg.payload)) return fail(*e);
  if (engine_->SubjectsOverlap(updated->subjects, stream)) {
    return fail(api::Make(ErrorId::JSStreamSubjectOverlapErr));
  }
  if (auto s = stream->Update(std::move(*updated)); !s.ok()) {
    return fail(api::Make(ErrorId::JSStreamStoreFailedF, std::string(s.message())));
  }
  Reply(msg.reply, api::StreamUpdateResponse(StreamInfoOf(stream)));
}

void ApiHandler::StreamInfo(const router::PackedMessage& msg, std::string_view name) {
  auto fail = [&](const api::ApiError& e) {
    ++engine_->stats().api_errors;
    Reply(msg.reply, api::ErrorResponse(ResponseType::kStreamInfo, e));
  };
  auto req = api::ParseStreamInfoRequest(AV(msg.payload));
  if (!req.ok()) return fail(req.error());
  Stream* stream = engine_->FindStream(name);
  if (stream == nullptr) return fail(api::Make(ErrorId::JSStreamNotFoundErr));
  api::StreamInfo info = StreamInfoOf(stream);
  api::Paging paging;
  if (req->deleted_details) {
    for (StreamSeq s : stream->store()->DeletedSeqs()) info.state.deleted.push_back(s);
  }
  if (!req->subjects_filter.empty()) {
    auto subjects = stream->store()->Subjects(req->subjects_filter);
    std::sort(subjects.begin(), subjects.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    const int64_t total = static_cast<int64_t>(subjects.size());
    api::PageRange page = api::ComputePage(total, req->offset, api::kMaxSubjectDetails);
    std::map<std::string, uint64_t> out;
    for (int64_t i = page.begin; i < page.end; ++i) out[subjects[i].first] = subjects[i].second.msgs;
    if (!out.empty()) {
      info.state.subjects = std::move(out);
      paging.total = total;
      paging.offset = page.offset;
      paging.limit = api::kMaxSubjectDetails;
    }
  }
  Reply(msg.reply, api::StreamInfoResponse(info, paging));
}

void ApiHandler::StreamNames(const router::PackedMessage& msg, bool list) {
  const ResponseType type = list ? ResponseType::kStreamList : ResponseType::kStreamNames;
  auto req = api::ParseListRequest(AV(msg.payload));
  if (!req.ok()) {
    ++engine_->stats().api_errors;
    return Reply(msg.reply, api::ErrorResponse(type, req.error()));
  }
  std::vector<Stream*> matching;
  for (const auto& [name, s] : engine_->streams()) {
    if (!req->subject.empty()) {
      bool hit = false;
      for (const std::string& subj : s->subjects()) hit = hit || subjects::SubjectsOverlap(subj, req->subject);
      if (!hit) continue;
    }
    matching.push_back(s.get());
  }
  const int64_t limit = list ? api::kApiListLimit : api::kApiNamesLimit;
  api::PageRange page = api::ComputePage(static_cast<int64_t>(matching.size()), req->offset, limit);
  api::Paging paging{static_cast<int64_t>(matching.size()), page.offset, limit};
  if (list) {
    std::vector<api::StreamInfo> infos;
    for (int64_t i = page.begin; i < page.end; ++i) infos.push_back(StreamInfoOf(matching[i]));
    return Reply(msg.reply, api::StreamListResponse(infos, paging));
  }
  std::vector<std::string> names;
  for (int64_t i = page.begin; i < page.end; ++i) names.push_back(matching[i]->name());
  Reply(msg.reply, api::StreamNamesResponse(names, paging));
}

void ApiHandler::StreamDelete(const router::PackedMessage& msg, std::string_view name) {
  Stream* stream = engine_->FindStream(name);
  if (stream == nullptr) {
    ++engine_->stats().api_errors;
    return Reply(msg.reply, api::ErrorResponse(ResponseType::kStreamDelete,
                                               api::Make(ErrorId::JSStreamNotFoundErr)));
  }
  if (auto s = stream->Destroy(); !s.ok()) {
    ++engine_->stats().api_errors;
    return Reply(msg.reply, api::ErrorResponse(ResponseType::kStreamDelete,
                                               api::Make(ErrorId::JSStreamDeleteErrF, std::string(s.message()))));
  }
  engine_->RemoveStream(name);
  Reply(msg.reply, api::SuccessResponse(ResponseType::kStreamDelete));
}

void ApiHandler::StreamPurge(const router::PackedMessage& msg, std::string_view name) {
  auto fail = [&](const api::ApiError& e) {
    ++engine_->stats().api_errors;
    Reply(msg.reply, api::ErrorResponse(ResponseType::kStreamPurge, e));
  };
  Stream* stream = engine_->FindStream(name);
  if (stream == nullptr) return fail(api::Make(ErrorId::JSStreamNotFoundErr));
  auto req = api::ParsePurgeRequest(AV(msg.payload));
  if (!req.ok()) return fail(req.error());
  if (stream->config().sealed) return fail(api::Make(ErrorId::JSStreamSealedErr));
  if (stream->config().deny_purge) {
    return fail(api::Make(ErrorId::JSStreamPurgeFailedF, "stream purge not permitted"));
  }
  PurgeOptions p;
  if (req->has_value()) {
    p.filter = (*req)->filter;
    p.below = (*req)->seq.value;
    p.keep = (*req)->keep;
    p.keep_per_subject = false;  // nats-server: the newest `keep` of all that match
  }
  auto n = stream->Purge(p);
  if (!n.ok()) return fail(api::Make(ErrorId::JSStreamPurgeFailedF, std::string(n.status().message())));
  Reply(msg.reply, api::StreamPurgeResponse(*n));
}

void ApiHandler::StreamMsgGet(const router::PackedMessage& msg, std::string_view name) {
  auto fail = [&](const api::ApiError& e) {
    ++engine_->stats().api_errors;
    Reply(msg.reply, api::ErrorResponse(ResponseType::kStreamMsgGet, e));
  };
  Stream* stream = engine_->FindStream(name);
  if (stream == nullptr) return fail(api::Make(ErrorId::JSStreamNotFoundErr));
  auto req = api::ParseMsgGetRequest(AV(msg.payload));
  if (!req.ok()) return fail(req.error());
  StoredMessage m;
  absl::Status s;
  if (!req->last_by_subj.empty()) {
    s = stream->store()->LoadLast(req->last_by_subj, &m);
  } else if (!req->next_by_subj.empty()) {
    std::vector<std::string> f = {req->next_by_subj};
    s = stream->store()->LoadNext(f, req->seq.value, &m);
  } else {
    s = stream->store()->Load(req->seq.value, &m);
  }
  if (!s.ok()) return fail(api::Make(ErrorId::JSNoMessageFoundErr));
  api::StoredMsg out;
  out.subject = m.subject;
  out.seq.value = m.seq;
  out.hdrs = m.headers;
  out.data = m.data;
  out.time = absl::FromUnixNanos(m.ts_ns);
  Reply(msg.reply, api::StreamMsgGetResponse(out), /*audit=*/false);  // as nats-server 2.9.10
}

void ApiHandler::StreamMsgDelete(const router::PackedMessage& msg, std::string_view name) {
  auto fail = [&](const api::ApiError& e) {
    ++engine_->stats().api_errors;
    Reply(msg.reply, api::ErrorResponse(ResponseType::kStreamMsgDelete, e));
  };
  Stream* stream = engine_->FindStream(name);
  if (stream == nullptr) return fail(api::Make(ErrorId::JSStreamNotFoundErr));
  auto req = api::ParseMsgDeleteRequest(AV(msg.payload));
  if (!req.ok()) return fail(req.error());
  if (stream->config().sealed) return fail(api::Make(ErrorId::JSStreamSealedErr));
  if (stream->config().deny_delete) {
    return fail(api::Make(ErrorId::JSStreamMsgDeleteFailedF, "message delete not permitted"));
  }
  const StreamState st = stream->State();
  if (!stream->RemoveMsg(req->seq.value).ok()) {
    if (req->seq.value >= st.first_seq && req->seq.value <= st.last_seq) {
      return fail(api::Make(ErrorId::JSSequenceNotFoundErrF, req->seq.value));
    }
    return fail(api::Make(ErrorId::JSStreamMsgDeleteFailedF, "no message found"));
  }
  Reply(msg.reply, api::SuccessResponse(ResponseType::kStreamMsgDelete));
}

void ApiHandler::DirectGet(const router::PackedMessage& msg, std::string_view name, bool subject_form) {
  Stream* stream = engine_->FindStream(name);
  if (stream == nullptr || !stream->config().allow_direct) return;  // nobody answers, as nats-server
  api::DirectGetParse parsed = subject_form
                                   ? api::ParseDirectGetLastBySubject(AV(msg.subject), AV(msg.payload))
                                   : api::ParseDirectGetRequest(AV(msg.payload));
  if (!parsed.request.has_value()) {
    return engine_->Send(msg.reply, {}, absl::StrCat("NATS/1.0 ", parsed.status, "\r\n\r\n"), {});
  }
  const api::MsgGetRequest& req = *parsed.request;
  StoredMessage m;
  absl::Status s;
  if (!req.last_by_subj.empty()) {
    s = stream->store()->LoadLast(req.last_by_subj, &m);
  } else if (!req.next_by_subj.empty()) {
    std::vector<std::string> f = {req.next_by_subj};
    s = stream->store()->LoadNext(f, req.seq.value, &m);
  } else {
    s = stream->store()->Load(req.seq.value, &m);
  }
  // The last-by-subject form with no body is what frontends cache (KV get).
  if (subject_form && msg.payload.empty()) stream->ArmDirectGetInvalidation();
  if (!s.ok()) return engine_->Send(msg.reply, {}, StatusBlock(404, "Message Not Found"), {});
  std::string seq = absl::StrCat(m.seq);
  std::string ts = json::FormatRfc3339Nano(absl::FromUnixNanos(m.ts_ns));
  std::string hdrs = AddHeaders(m.headers, {{"Nats-Stream", stream->name()},
                                            {"Nats-Subject", m.subject},
                                            {"Nats-Sequence", seq},
                                            {"Nats-Time-Stamp", ts}});
  engine_->Send(msg.reply, {}, hdrs, m.data);
}

void ApiHandler::ConsumerCreate(const router::PackedMessage& msg) {
  auto fail = [&](const api::ApiError& e) {
    ++engine_->stats().api_errors;
    Reply(msg.reply, api::ErrorResponse(ResponseType::kConsumerCreate, e));
  };
  auto subject = api::ParseConsumerCreateSubject(AV(msg.subject));
  if (!subject.has_value()) return;
  auto req = api::ParseCreateConsumerRequestJson(AV(msg.payload));
  if (!req.ok()) return fail(req.error());
  if (auto s = api::CheckConsumerCreateSubject(*subject, &*req); !s.ok()) return fail(s.error());
  Stream* stream = engine_->FindStream(subject->stream);
  if (stream == nullptr) return fail(api::Make(ErrorId::JSStreamNotFoundErr));
  api::ConsumerConfig cfg = req->config;
  api::SetConsumerDefaults(&cfg, api::ConsumerLimits{}, &stream->config());
  if (!cfg.is_durable() && cfg.inactive_threshold.is_zero()) {
    cfg.inactive_threshold = api::kEphemeralInactiveThreshold;
  }
  api::ConsumerCheckContext ctx;
  if (auto s = api::CheckConsumerConfig(cfg, stream->config(), ctx); !s.ok()) return fail(s.error());
  if (req->pedantic) {
    return fail(api::Make(ErrorId::JSPedanticErrF, "not supported by meridian-jetstream yet"));
  }
  if (cfg.priority_policy != api::PriorityPolicy::kNone || !cfg.priority_groups.empty()) {
    return fail(api::Make(ErrorId::JSConsumerCreateErrF,
                          "priority groups are not supported by meridian-jetstream yet"));
  }
  std::string name = !cfg.durable_name.empty() ? cfg.durable_name : cfg.name;
  if (name.empty()) name = api::NewConsumerName();
  if (auto s = api::CheckConsumerName(name); !s.ok()) return fail(s.error());
  cfg.name = name;
  if (Consumer* existing = stream->FindConsumer(name)) {
    if (req->action == api::ConsumerAction::kCreate && !(existing->config() == cfg)) {
      return fail(api::Make(ErrorId::JSConsumerAlreadyExists));
    }
    if (!(existing->config() == cfg)) {
      bool interest = !existing->config().deliver_subject.empty() &&
                      existing->config().deliver_subject != cfg.deliver_subject &&
                      engine_->HasInterest(existing->config().deliver_subject);
      if (auto s = api::CheckConsumerUpdate(existing->config(), cfg, interest); !s.ok()) {
        return fail(s.error());
      }
      existing->Update(cfg);
      engine_->Kick(stream);
    }
    return Reply(msg.reply, api::ConsumerCreateResponse(ConsumerInfoOf(stream, existing)));
  }
  if (req->action == api::ConsumerAction::kUpdate) return fail(api::Make(ErrorId::JSConsumerDoesNotExist));
  const api::StreamConfig& scfg = stream->config();
  if (scfg.max_consumers > 0 && stream->consumers().size() >= static_cast<size_t>(scfg.max_consumers)) {
    return fail(api::Make(ErrorId::JSMaximumConsumersLimitErr));
  }
  if (scfg.retention == api::RetentionPolicy::kWorkQueue) {
    std::vector<const api::ConsumerConfig*> others;
    for (const auto& [n, c] : stream->consumers()) others.push_back(&c->config());
    if (auto s = api::CheckWorkQueueConsumer(cfg, others); !s.ok()) return fail(s.error());
  }
  if (cfg.is_push()) {
    // A push consumer needs its deliver subject not to loop into the stream.
    for (const std::string& s : scfg.subjects) {
      if (subjects::SubjectsOverlap(s, cfg.deliver_subject)) {
        return fail(api::Make(ErrorId::JSConsumerCreateErrF,
                              "consumer deliver subject forms a cycle"));
      }
    }
  }
  auto consumer = Consumer::Create(stream, std::move(cfg));
  if (!consumer.ok()) {
    return fail(api::Make(ErrorId::JSConsumerCreateErrF, std::string(consumer.status().message())));
  }
  Consumer* c = consumer->get();
  advisory::PublishConsumerAction(engine_, stream->name(), c->name(), advisory::Action::kCreate);
  // The response goes out before the first delivery (same turn, earlier).
  Reply(msg.reply, api::ConsumerCreateResponse(ConsumerInfoOf(stream, c)));
  stream->AddConsumer(std::move(*consumer));
}

void ApiHandler::ConsumerInfo(const router::PackedMessage& msg, std::string_view stream_name,
                              std::string_view name) {
  auto fail = [&](const api::ApiError& e) {
    ++engine_->stats().api_errors;
    Reply(msg.reply, api::ErrorResponse(ResponseType::kConsumerInfo, e));
  };
  Stream* stream = engine_->FindStream(stream_name);
  if (stream == nullptr) return fail(api::Make(ErrorId::JSStreamNotFoundErr));
  Consumer* c = stream->FindConsumer(name);
  if (c == nullptr) return fail(api::Make(ErrorId::JSConsumerNotFoundErr));
  Reply(msg.reply, api::ConsumerInfoResponse(ConsumerInfoOf(stream, c)));
}

void ApiHandler::ConsumerNames(const router::PackedMessage& msg, std::string_view stream_name, bool list) {
  const ResponseType type = list ? ResponseType::kConsumerList : ResponseType::kConsumerNames;
  auto fail = [&](const api::ApiError& e) {
    ++engine_->stats().api_errors;
    Reply(msg.reply, api::ErrorResponse(type, e));
  };
  auto req = api::ParseListRequest(AV(msg.payload));
  if (!req.ok()) return fail(req.error());
  Stream* stream = engine_->FindStream(stream_name);
  if (stream == nullptr) return fail(api::Make(ErrorId::JSStreamNotFoundErr));
  std::vector<Consumer*> all;
  for (const auto& [n, c] : stream->consumers()) all.push_back(c.get());
  const int64_t limit = list ? api::kApiListLimit : api::kApiNamesLimit;
  api::PageRange page = api::ComputePage(static_cast<int64_t>(all.size()), req->offset, limit);
  api::Paging paging{static_cast<int64_t>(all.size()), page.offset, limit};
  if (list) {
    std::vector<api::ConsumerInfo> infos;
    for (int64_t i = page.begin; i < page.end; ++i) infos.push_back(ConsumerInfoOf(stream, all[i]));
    return Reply(msg.reply, api::ConsumerListResponse(infos, paging));
  }
  std::vector<std::string> names;
  for (int64_t i = page.begin; i < page.end; ++i) names.push_back(all[i]->name());
  Reply(msg.reply, api::ConsumerNamesResponse(names, paging));
}

void ApiHandler::ConsumerDelete(const router::PackedMessage& msg, std::string_view stream_name,
                                std::string_view name) {
  auto fail = [&](const api::ApiError& e) {
    ++engine_->stats().api_errors;
    Reply(msg.reply, api::ErrorResponse(ResponseType::kConsumerDelete, e));
  };
  Stream* stream = engine_->FindStream(stream_name);
  if (stream == nullptr) return fail(api::Make(ErrorId::JSStreamNotFoundErr));
  if (stream->FindConsumer(name) == nullptr) return fail(api::Make(ErrorId::JSConsumerNotFoundErr));
  stream->RemoveConsumer(name);
  Reply(msg.reply, api::SuccessResponse(ResponseType::kConsumerDelete));
}

void ApiHandler::ConsumerNext(const router::PackedMessage& msg, std::string_view stream_name,
                              std::string_view name) {
  if (msg.reply.empty()) return;
  Stream* stream = engine_->FindStream(stream_name);
  Consumer* c = stream == nullptr ? nullptr : stream->FindConsumer(name);
  if (c == nullptr) {
    // nats-server has no subscriber for a missing consumer: no responders.
    return engine_->Send(msg.reply, {}, StatusBlock(503, ""), {});
  }
  auto req = api::ParsePullRequest(AV(msg.payload));
  if (!req.ok()) {
    return engine_->Send(msg.reply, {},
                         absl::StrCat("NATS/1.0 ", api::PullRequestBadRequestStatus(req.status()), "\r\n\r\n"),
                         {});
  }
  c->OnPullRequest(msg.reply, *req);
}

void ApiHandler::ConsumerPause(const router::PackedMessage& msg, std::string_view stream_name,
                               std::string_view name) {
  auto fail = [&](const api::ApiError& e) {
    ++engine_->stats().api_errors;
    Reply(msg.reply, api::ErrorResponse(ResponseType::kConsumerPause, e));
  };
  Stream* stream = engine_->FindStream(stream_name);
  if (stream == nullptr) return fail(api::Make(ErrorId::JSStreamNotFoundErr));
  Consumer* c = stream->FindConsumer(name);
  if (c == nullptr) return fail(api::Make(ErrorId::JSConsumerNotFoundErr));
  int64_t until_ns = 0;
  if (!api::IsEmptyRequest(AV(msg.payload))) {
    auto v = json::Parse(AV(msg.payload));
    if (!v.ok() || !v->is_object()) return fail(api::Make(ErrorId::JSInvalidJSONErr));
    if (const json::Value* u = v->Find("pause_until"); u != nullptr && u->AsString() != nullptr) {
      auto t = json::ParseRfc3339(*u->AsString());
      if (!t.ok()) return fail(api::Make(ErrorId::JSInvalidJSONErr));
      if (*t > absl::UnixEpoch()) until_ns = absl::ToUnixNanos(*t);
    }
  }
  c->Pause(until_ns);
  engine_->Kick(stream);
  std::string out;
  json::Writer w(&out);
  w.BeginObject().Member("type", api::ResponseTypeName(ResponseType::kConsumerPause));
  const bool paused = c->paused();
  w.MemberBool("paused", paused);
  w.Member("pause_until", json::FormatRfc3339Nano(until_ns > 0 ? absl::FromUnixNanos(until_ns) : api::kZeroTime));
  if (paused) w.MemberInt("pause_remaining", until_ns - engine_->now_ns());
  w.EndObject();
  Reply(msg.reply, out);
}

void ApiHandler::HandleAck(const router::PackedMessage& msg) {
  auto ack = api::ParseAckSubjectRef(AV(msg.subject));
  if (!ack.has_value()) return;
  Stream* stream = engine_->FindStream(SV(ack->stream));
  Consumer* c = stream == nullptr ? nullptr : stream->FindConsumer(SV(ack->consumer));
  if (c == nullptr) return;
  c->OnAck(ack->stream_seq.value, ack->consumer_seq.value, ack->delivered, msg.payload, msg.reply);
}

void ApiHandler::HandleFlowControl(const router::PackedMessage& msg) {
  // $JS.FC.<stream>.<consumer>.<token>
  std::vector<std::string_view> t = SplitTokens(msg.subject);
  if (t.size() < 5) return;
  Stream* stream = engine_->FindStream(t[2]);
  Consumer* c = stream == nullptr ? nullptr : stream->FindConsumer(t[3]);
  if (c != nullptr) c->OnFlowControlReply(msg.subject);
}

}  // namespace meridian::jetstream
