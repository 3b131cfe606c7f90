#include "services/jetstream/engine/stream.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/json/parser.h"
#include "common/json/time_format.h"
#include "common/json/writer.h"
#include "common/log/log.h"
#include "common/subjects/subject.h"
#include "services/jetstream/api/requests.h"
#include "services/jetstream/api/errors.h"
#include "services/jetstream/api/responses.h"
#include "services/jetstream/engine/subject_transform.h"
#include "services/jetstream/engine/advisories.h"
#include "services/jetstream/engine/consumer.h"
#include "services/jetstream/engine/engine.h"
#include "services/jetstream/engine/headers.h"
#include "services/jetstream/engine/strings.h"

namespace meridian::jetstream {
namespace {

constexpr std::string_view kMsgId = "Nats-Msg-Id";
constexpr std::string_view kExpectedStream = "Nats-Expected-Stream";
constexpr std::string_view kExpectedLastSeq = "Nats-Expected-Last-Sequence";
constexpr std::string_view kExpectedLastSubjSeq = "Nats-Expected-Last-Subject-Sequence";
constexpr std::string_view kExpectedLastMsgId = "Nats-Expected-Last-Msg-Id";
constexpr std::string_view kRollup = "Nats-Rollup";
constexpr std::string_view kExpectedLastSubjSeqSubject = "Nats-Expected-Last-Subject-Sequence-Subject";
constexpr std::string_view kTtl = "Nats-TTL";
constexpr std::string_view kMarkerReason = "Nats-Marker-Reason";

// Nats-TTL (ADR-43): a Go duration ("1s", "2m") or whole seconds; "never"
// or -1 = never expires (returned as -1). At least one second.
absl::StatusOr<int64_t> ParseTtl(std::string_view v) {
  if (v == "never" || v == "-1") return int64_t{-1};
  int64_t seconds = 0;
  int64_t ns = 0;
  if (ParseInt(v, &seconds)) {
    ns = seconds * 1'000'000'000;
  } else {
    auto d = api::ParseGoDuration(AV(v));
    if (!d.ok()) return absl::InvalidArgumentError("invalid TTL");
    ns = d->ns;
  }
  if (ns < 1'000'000'000) return absl::InvalidArgumentError("TTL below one second");
  return ns;
}

// Stream metadata in the store: {"config":{...},"created":"<RFC 3339>",
// "sources":[["<origin>",<last origin seq taken>],...]}.
std::string EncodeMeta(const api::StreamConfig& config, int64_t created_ns,
                       const std::vector<std::pair<std::string, StreamSeq>>& cursors = {}) {
  std::string out;
  json::Writer w(&out);
  w.BeginObject().Key("config").Raw(api::StreamConfigToJson(config));
  w.Member("created", json::FormatRfc3339Nano(absl::FromUnixNanos(created_ns)));
  w.Key("sources").BeginArray();
  for (const auto& [name, seq] : cursors) w.BeginArray().String(name).Uint(seq).EndArray();
  w.EndArray();
  w.EndObject();
  return out;
}

}  // namespace

Stream::Stream(Engine* engine, StreamStore* store, api::StreamConfig config, int64_t created_ns)
    : engine_(engine), store_(store), config_(std::move(config)), created_ns_(created_ns) {}

Stream::~Stream() {
  engine_->timers().Cancel(&ttl_timer_);
  engine_->timers().Cancel(&age_timer_);
  engine_->timers().Cancel(&dedupe_timer_);
  engine_->timers().Cancel(&persist_timer_);
  // The store outlives the stream at shutdown (not after Destroy, which
  // disarmed it): it must not call back into a deleted stream.
  if (direct_get_armed_) store_->NotifyOnNextChange(nullptr);
}

absl::StatusOr<std::unique_ptr<Stream>> Stream::Create(Engine* engine, api::StreamConfig config) {
  const bool memory = config.storage == api::StorageType::kMemory;
  const int64_t now = engine->now_ns();
  auto ss = engine->store_for(memory)->Create(config.name, EncodeMeta(config, now));
  if (!ss.ok()) return ss.status();
  if (config.first_seq.value > 1) {
    if (auto s = (*ss)->SetNextSeq(config.first_seq.value); !s.ok()) return s;
  }
  std::unique_ptr<Stream> stream(new Stream(engine, *ss, std::move(config), now));
  if (stream->config_.mirror.has_value() && stream->config_.mirror->opt_start_seq.value > 1) {
    (void)stream->store_->SetNextSeq(stream->config_.mirror->opt_start_seq.value);
  }
  stream->sourcing_.Configure(stream->config_, {});
  stream->ScheduleAgeTimer();
  return stream;
}

absl::StatusOr<std::unique_ptr<Stream>> Stream::Load(Engine* engine, StreamStore* store) {
  auto meta = json::Parse(store->meta());
  if (!meta.ok()) return absl::DataLossError(absl::StrCat("stream metadata: ", meta.status().message()));
  const json::Value* cfg = meta->Find("config");
  const json::Value* created = meta->Find("created");
  if (cfg == nullptr || created == nullptr || created->AsString() == nullptr) {
    return absl::DataLossError("stream metadata lacks config or created");
  }
  auto config = api::ParseStreamConfig(*cfg);
  if (!config.ok()) return absl::DataLossError(config.error().description);
  auto t = json::ParseRfc3339(*created->AsString());
  int64_t created_ns = t.ok() ? absl::ToUnixNanos(*t) : engine->now_ns();
  std::unique_ptr<Stream> stream(new Stream(engine, store, std::move(*config), created_ns));
  std::vector<std::pair<std::string, StreamSeq>> cursors;
  if (const json::Value* s = meta->Find("sources"); s != nullptr && s->AsArray() != nullptr) {
    for (const json::Value& e : *s->AsArray()) {
      if (e.size() == 2 && e.At(0)->AsString() != nullptr) {
        cursors.emplace_back(*e.At(0)->AsString(), e.At(1)->AsUint64().value_or(0));
      }
    }
  }
  stream->sourcing_.Configure(stream->config_, cursors);
  return stream;
}

void Stream::AfterLoad() {
  for (auto& [name, blob] : store_->Consumers()) {
    auto c = Consumer::Load(this, blob);
    if (!c.ok()) {
      MLOG_ERROR("consumer ", name, " of stream ", this->name(), " not loaded: ", c.status().message());
      continue;
    }
    consumers_[(*c)->name()] = std::move(*c);
  }
  // The dedupe window: message ids stored within it.
  if (config_.duplicate_window.ns > 0) {
    StreamSeq start = store_->SeqAtOrAfterTime(engine_->now_ns() - config_.duplicate_window.ns);
    StoredMessage m;
    std::vector<std::string> all;
    while (store_->LoadNext(all, start, &m).ok()) {
      std::string_view id = HeaderValue(m.headers, kMsgId);
      if (!id.empty()) RememberMsgId(id, m.seq, m.ts_ns);
      start = m.seq + 1;
    }
  }
  if (config_.allow_msg_ttl) {
    // Per-message TTLs: rebuilt from the stored headers.
    StoredMessage m;
    std::vector<std::string> all;
    for (StreamSeq s = 1; store_->LoadNext(all, s, &m).ok(); s = m.seq + 1) {
      std::string_view v = HeaderValue(m.headers, kTtl);
      if (v.empty()) continue;
      auto ttl = ParseTtl(v);
      if (ttl.ok() && *ttl > 0) ttl_index_.emplace(m.ts_ns + *ttl, m.seq);
    }
    ArmTtlTimer();
  }
  ExpireOld();
  EnforceLimits({});
  ScheduleAgeTimer();
  engine_->Kick(this);
}

absl::Status Stream::SaveMeta() {
  meta_dirty_ = false;
  return store_->PutMeta(EncodeMeta(config_, created_ns_, sourcing_.Positions()));
}

void Stream::ArmDirectGetInvalidation() {
  if (direct_get_armed_) return;
  direct_get_armed_ = true;
  store_->NotifyOnNextChange([this] { InvalidateDirectGets(); });
}

void Stream::InvalidateDirectGets() {
  if (!direct_get_armed_) return;
  direct_get_armed_ = false;
  store_->NotifyOnNextChange(nullptr);
  engine_->SendDirectGetInvalidation(config_.name);
}

absl::Status Stream::Update(api::StreamConfig config) {
  InvalidateDirectGets();  // allow_direct, subjects or limits may change the answers
  config_ = std::move(config);
  sourcing_.Configure(config_, sourcing_.Positions());
  if (auto s = SaveMeta(); !s.ok()) return s;
  engine_->ReindexStream(this);
  EnforceLimits({});
  ExpireOld();
  ScheduleAgeTimer();
  for (auto& [n, c] : consumers_) c->OnRemoved();
  engine_->Kick(this);
  advisory::PublishStreamAction(engine_, config_.name, advisory::Action::kModify);
  return absl::OkStatus();
}

absl::Status Stream::Destroy() {
  InvalidateDirectGets();
  // As nats-server: each consumer's delete advisory, then the stream's.
  for (auto& [n, c] : consumers_) {
    c->Shutdown();
    advisory::PublishConsumerAction(engine_, config_.name, n, advisory::Action::kDelete);
  }
  consumers_.clear();
  advisory::PublishStreamAction(engine_, config_.name, advisory::Action::kDelete);
  const bool memory = config_.storage == api::StorageType::kMemory;
  return engine_->store_for(memory)->Delete(config_.name);
}

void Stream::Reply(std::string_view reply, const std::string& json) {
  if (!reply.empty()) engine_->Send(reply, {}, {}, json);
}

std::string Stream::AckJson(StreamSeq seq, bool duplicate) const {
  api::PubAck ack;
  ack.stream = config_.name;
  ack.seq.value = seq;
  ack.duplicate = duplicate;
  return api::PubAckResponse(ack);
}

void Stream::ReplyError(std::string_view reply, const api::ApiError& error) {
  Reply(reply, api::PubAckErrorResponse(config_.name, error));
}

void Stream::ProcessPublish(const router::PackedMessage& msg) {
  const std::string_view reply = config_.no_ack ? std::string_view() : msg.reply;
  const std::string_view hdr = msg.headers;
  if (config_.sealed) return ReplyError(reply, api::Make(api::ErrorId::JSStreamSealedErr));
  if (config_.max_msg_size >= 0 &&
      static_cast<int64_t>(hdr.size() + msg.payload.size()) > static_cast<int64_t>(config_.max_msg_size)) {
    return ReplyError(reply, api::Make(api::ErrorId::JSStreamMessageExceedsMaximumErr));
  }
  std::string_view msg_id;
  if (!hdr.empty()) {
    msg_id = HeaderValue(hdr, kMsgId);
    if (!msg_id.empty() && config_.duplicate_window.ns > 0) {
      auto it = dedupe_.find(std::string(msg_id));
      if (it != dedupe_.end()) {
        return Reply(reply, AckJson(it->second.seq, true));
      }
    }
    bool found = false;
    std::string_view v = HeaderValue(hdr, kExpectedStream, &found);
    if (found && v != config_.name) {
      return ReplyError(reply, api::Make(api::ErrorId::JSStreamNotMatchErr));
    }
    const StreamState state = store_->State();
    v = HeaderValue(hdr, kExpectedLastSeq, &found);
    if (found) {
      uint64_t want = 0;
      if (!ParseInt(v, &want) || want != state.last_seq) {
        return ReplyError(reply, api::Make(api::ErrorId::JSStreamWrongLastSequenceErrF, state.last_seq));
      }
    }
    v = HeaderValue(hdr, kExpectedLastMsgId, &found);
    if (found && v != last_msg_id_) {
      return ReplyError(reply,
                        api::Make(api::ErrorId::JSStreamWrongLastMsgIDErrF, last_msg_id_));
    }
    v = HeaderValue(hdr, kExpectedLastSubjSeq, &found);
    if (found) {
      uint64_t want = 0;
      std::string_view other = HeaderValue(hdr, kExpectedLastSubjSeqSubject);
      StreamSeq last = 0;
      if (other.empty()) {
        last = store_->Subject(msg.subject).last_seq;
      } else {
        StoredMessage m;
        if (store_->LoadLast(other, &m).ok()) last = m.seq;
      }
      if (!ParseInt(v, &want) || want != last) {
        return ReplyError(reply, api::Make(api::ErrorId::JSStreamWrongLastSequenceErrF, last));
      }
    }
  }
  std::string_view rollup;
  if (!hdr.empty()) {
    rollup = HeaderValue(hdr, kRollup);
    if (!rollup.empty()) {
      if (!config_.allow_rollup_hdrs) {
        return ReplyError(reply, api::Make(api::ErrorId::JSStreamRollupFailedF, "rollup not permitted"));
      }
      if (rollup != "sub" && rollup != "all") {
        return ReplyError(reply, api::Make(api::ErrorId::JSStreamRollupFailedF, "unrecognized rollup header value " + std::string(rollup)));
      }
    }
  }
  int64_t ttl_ns = 0;
  if (!hdr.empty()) {
    bool found = false;
    std::string_view v = HeaderValue(hdr, kTtl, &found);
    if (found) {
      if (!config_.allow_msg_ttl) return ReplyError(reply, api::Make(api::ErrorId::JSMessageTTLDisabledErr));
      auto ttl = ParseTtl(v);
      if (!ttl.ok()) return ReplyError(reply, api::Make(api::ErrorId::JSMessageTTLInvalidErr));
      ttl_ns = *ttl;
    }
  }
  // subject_transform: the stored subject.
  std::string transformed;
  std::string_view subject = msg.subject;
  if (config_.subject_transform.has_value()) {
    const api::SubjectTransform& t = *config_.subject_transform;
    if (t.src.empty() || subjects::SubjectMatches(t.src, subject)) {
      transformed = TransformSubject(t.src.empty() ? ">" : t.src, t.dest, subject);
      subject = transformed;
    }
  }
  // Discard new: refuse what would go over a limit.
  const uint64_t size = StoredSize(subject, hdr, msg.payload);
  if (config_.discard == api::DiscardPolicy::kNew) {
    const StreamState state = store_->State();
    if (config_.max_msgs > 0 && state.msgs >= static_cast<uint64_t>(config_.max_msgs)) {
      return ReplyError(reply, api::Make(api::ErrorId::JSStreamStoreFailedF, "maximum messages exceeded"));
    }
    if (config_.max_bytes > 0 && state.bytes + size > static_cast<uint64_t>(config_.max_bytes)) {
      return ReplyError(reply, api::Make(api::ErrorId::JSStreamStoreFailedF, "maximum bytes exceeded"));
    }
    if (config_.discard_new_per_subject && config_.max_msgs_per_subject > 0 &&
        store_->Subject(subject).msgs >= static_cast<uint64_t>(config_.max_msgs_per_subject)) {
      return ReplyError(reply, api::Make(api::ErrorId::JSStreamStoreFailedF, "maximum messages per subject exceeded"));
    }
  }
  // Account storage limit.
  const bool memory = config_.storage == api::StorageType::kMemory;
  const int64_t account_max =
      memory ? engine_->options().max_memory_store : engine_->options().max_file_store;
  if (account_max >= 0 && engine_->used_bytes(memory) + size > static_cast<uint64_t>(account_max)) {
    return ReplyError(reply, api::Make(memory ? api::ErrorId::JSMemoryResourcesExceededErr
                                              : api::ErrorId::JSStorageResourcesExceededErr));
  }

  const int64_t ts = engine_->now_ns();
  const StreamSeq subject_last =
      config_.republish.has_value() ? store_->Subject(subject).last_seq : 0;
  auto seq = store_->Append(subject, hdr, msg.payload, ts);
  if (!seq.ok()) {
    return ReplyError(reply, api::Make(api::ErrorId::JSStreamStoreFailedF, std::string(seq.status().message())));
  }
  ++engine_->stats().messages_stored;
  if (!msg_id.empty()) {
    if (config_.duplicate_window.ns > 0) RememberMsgId(msg_id, *seq, ts);
    last_msg_id_ = std::string(msg_id);
  }
  if (rollup == "sub") {
    PurgeOptions p;
    p.filter = std::string(subject);
    p.below = *seq;
    (void)store_->Purge(p);
  } else if (rollup == "all") {
    PurgeOptions p;
    p.below = *seq;
    (void)store_->Purge(p);
  }
  // Interest retention with nobody interested keeps nothing.
  bool kept = true;
  if (config_.retention == api::RetentionPolicy::kInterest) {
    bool wanted = false;
    for (auto& [n, c] : consumers_) wanted = wanted || c->Matches(subject);
    if (!wanted) {
      (void)store_->Remove(*seq);
      kept = false;
    }
  }
  if (kept && ttl_ns > 0) {
    ttl_index_.emplace(ts + ttl_ns, *seq);
    ArmTtlTimer();
  }
  if (kept) {
    EnforceLimits(subject);
    if (!rollup.empty()) {
      for (auto& [n, c] : consumers_) c->OnRemoved();
    }
    for (auto& [n, c] : consumers_) c->OnStored(*seq, subject);
    if (config_.republish.has_value()) {
      StoredMessage m;
      m.seq = *seq;
      m.ts_ns = ts;
      m.subject = std::string(subject);
      m.headers = std::string(hdr);
      m.data = std::string(msg.payload);
      Republish(m, subject_last);
    }
    if (config_.max_age.ns > 0 && age_timer_ == 0) ScheduleAgeTimer();
    engine_->Kick(this);
    engine_->KickDependents(name());
  }
  Reply(reply, AckJson(*seq, false));
}

void Stream::Republish(const StoredMessage& m, StreamSeq subject_last) {
  const api::RePublish& rp = *config_.republish;
  if (!rp.src.empty() && !subjects::SubjectMatches(rp.src, m.subject)) return;
  std::string dest = TransformSubject(rp.src.empty() ? ">" : rp.src, rp.dest, m.subject);
  std::string seq = absl::StrCat(m.seq), last = absl::StrCat(subject_last);
  std::string hdrs = AddHeaders(m.headers, {{"Nats-Stream", config_.name},
                                            {"Nats-Subject", m.subject},
                                            {"Nats-Sequence", seq},
                                            {"Nats-Last-Sequence", last}});
  if (rp.headers_only) {
    std::string size = absl::StrCat(m.data.size());
    hdrs = AddHeaders(hdrs, {{"Nats-Msg-Size", size}});
    engine_->Send(dest, {}, hdrs, {});
  } else {
    engine_->Send(dest, {}, hdrs, m.data);
  }
}

void Stream::EnforceLimits(std::string_view subject) {
  bool removed = false;
  if (config_.max_msgs_per_subject > 0) {
    const auto max = static_cast<uint64_t>(config_.max_msgs_per_subject);
    auto trim = [&](std::string_view subj) {
      SubjectState ss = store_->Subject(subj);
      // Usually one over (a KV put): no second lookup after removing it.
      while (ss.msgs > max) {
        const bool removed_one = store_->Remove(ss.first_seq).ok();
        removed |= removed_one;
        if (removed_one && ss.msgs - 1 <= max) break;
        ss = store_->Subject(subj);
      }
    };
    if (!subject.empty()) {
      trim(subject);
    } else {
      for (auto& [subj, st] : store_->Subjects(">")) {
        if (st.msgs > static_cast<uint64_t>(config_.max_msgs_per_subject)) trim(subj);
      }
    }
  }
  if (config_.discard == api::DiscardPolicy::kOld || subject.empty()) {
    StreamState st = store_->State();
    while (st.msgs > 0 && ((config_.max_msgs > 0 && st.msgs > static_cast<uint64_t>(config_.max_msgs)) ||
                           (config_.max_bytes > 0 && st.bytes > static_cast<uint64_t>(config_.max_bytes)))) {
      PurgeOptions p;
      p.below = st.first_seq + 1;
      (void)store_->Purge(p);
      removed = true;
      st = store_->State();
    }
  }
  if (removed) AfterRemovals();
}

void Stream::AfterRemovals() {
  for (auto& [n, c] : consumers_) c->OnRemoved();
}

void Stream::ExpireOld() {
  if (config_.max_age.ns <= 0) return;
  const int64_t cutoff = engine_->now_ns() - config_.max_age.ns;
  StreamSeq below = store_->SeqAtOrAfterTime(cutoff + 1);
  const StreamState st = store_->State();
  if (st.msgs == 0 || below <= st.first_seq) return;
  if (config_.subject_delete_marker_ttl.ns > 0) {
    // One by one: a subject losing its last message gets a delete marker.
    StoredMessage m;
    std::vector<std::string> all;
    for (StreamSeq s = st.first_seq; s < below && store_->LoadNext(all, s, &m).ok() && m.seq < below;
         s = m.seq + 1) {
      ExpireOne(m);
    }
  } else {
    PurgeOptions p;
    p.below = below;
    (void)store_->Purge(p);
  }
  AfterRemovals();
}

void Stream::ExpireOne(const StoredMessage& m) {
  if (!store_->Remove(m.seq).ok()) return;
  const bool is_marker = !HeaderValue(m.headers, kMarkerReason).empty();
  if (config_.subject_delete_marker_ttl.ns <= 0 || is_marker || store_->Subject(m.subject).msgs > 0) {
    return;
  }
  std::string ttl = json::FormatGoDuration(config_.subject_delete_marker_ttl.ns);
  std::string hdrs = AddHeaders({}, {{kMarkerReason, "MaxAge"}, {kTtl, ttl}});
  const int64_t now = engine_->now_ns();
  auto seq = store_->Append(m.subject, hdrs, {}, now);
  if (!seq.ok()) return;
  ttl_index_.emplace(now + config_.subject_delete_marker_ttl.ns, *seq);
  for (auto& [n, c] : consumers_) c->OnStored(*seq, m.subject);
  ArmTtlTimer();
  engine_->Kick(this);
}

void Stream::ArmTtlTimer() {
  engine_->timers().Cancel(&ttl_timer_);
  if (ttl_index_.empty()) return;
  ttl_timer_ = engine_->timers().At(ttl_index_.begin()->first, [this] {
    ttl_timer_ = 0;
    const int64_t now = engine_->now_ns();
    bool removed = false;
    while (!ttl_index_.empty() && ttl_index_.begin()->first <= now) {
      StreamSeq seq = ttl_index_.begin()->second;
      ttl_index_.erase(ttl_index_.begin());
      StoredMessage m;
      if (store_->Load(seq, &m).ok()) {
        ExpireOne(m);
        removed = true;
      }
    }
    if (removed) AfterRemovals();
    ArmTtlTimer();
  });
}

void Stream::ScheduleAgeTimer() {
  engine_->timers().Cancel(&age_timer_);
  if (config_.max_age.ns <= 0) return;
  const StreamState st = store_->State();
  if (st.msgs == 0) return;
  age_timer_ = engine_->timers().At(st.first_ts_ns + config_.max_age.ns, [this] {
    age_timer_ = 0;
    ExpireOld();
    ScheduleAgeTimer();
    engine_->Kick(this);
  });
}

void Stream::RememberMsgId(std::string_view id, StreamSeq seq, int64_t ts_ns) {
  dedupe_[std::string(id)] = Dedupe{seq, ts_ns};
  dedupe_order_.emplace_back(ts_ns, std::string(id));
  if (dedupe_timer_ == 0) {
    dedupe_timer_ = engine_->timers().At(ts_ns + config_.duplicate_window.ns, [this] {
      dedupe_timer_ = 0;
      PruneDedupe();
    });
  }
}

void Stream::PruneDedupe() {
  const int64_t cutoff = engine_->now_ns() - config_.duplicate_window.ns;
  while (!dedupe_order_.empty() && dedupe_order_.front().first <= cutoff) {
    auto it = dedupe_.find(dedupe_order_.front().second);
    if (it != dedupe_.end() && it->second.ts_ns <= cutoff) dedupe_.erase(it);
    dedupe_order_.pop_front();
  }
  if (!dedupe_order_.empty()) {
    dedupe_timer_ = engine_->timers().At(dedupe_order_.front().first + config_.duplicate_window.ns,
                                         [this] {
                                           dedupe_timer_ = 0;
                                           PruneDedupe();
                                         });
  }
}

absl::StatusOr<uint64_t> Stream::Purge(const PurgeOptions& options) {
  auto n = store_->Purge(options);
  if (n.ok()) AfterRemovals();
  return n;
}

absl::Status Stream::RemoveMsg(StreamSeq seq) {
  absl::Status s = store_->Remove(seq);
  if (s.ok()) AfterRemovals();
  return s;
}

Consumer* Stream::FindConsumer(std::string_view name) {
  auto it = consumers_.find(name);
  return it == consumers_.end() ? nullptr : it->second.get();
}

void Stream::AddConsumer(std::unique_ptr<Consumer> consumer) {
  std::string name = consumer->name();
  consumers_[name] = std::move(consumer);
  engine_->Kick(this);
}

void Stream::RemoveConsumer(std::string_view name) {
  auto it = consumers_.find(name);
  if (it == consumers_.end()) return;
  it->second->Shutdown();
  advisory::PublishConsumerAction(engine_, config_.name, name, advisory::Action::kDelete);
  (void)store_->DeleteConsumer(name);
  consumers_.erase(it);
  // Interest retention: messages only the removed consumer held go now.
  if (config_.retention == api::RetentionPolicy::kInterest) {
    const StreamState st = store_->State();
    StoredMessage m;
    std::vector<std::string> all;
    for (StreamSeq s = st.first_seq; st.msgs > 0 && s <= st.last_seq;) {
      if (!store_->LoadNext(all, s, &m).ok()) break;
      if (!InterestRemains(m.seq, m.subject)) (void)store_->Remove(m.seq);
      s = m.seq + 1;
    }
    AfterRemovals();
  }
}

bool Stream::InterestRemains(StreamSeq seq, std::string_view subject) {
  for (auto& [n, c] : consumers_) {
    if (c->NeedsSeq(seq, subject)) return true;
  }
  return false;
}

void Stream::OnAcked(StreamSeq seq) {
  switch (config_.retention) {
    case api::RetentionPolicy::kLimits:
      return;
    case api::RetentionPolicy::kWorkQueue:
      if (store_->Remove(seq).ok()) AfterRemovals();
      return;
    case api::RetentionPolicy::kInterest: {
      StoredMessage m;
      if (!store_->Load(seq, &m).ok()) return;
      if (!InterestRemains(seq, m.subject) && store_->Remove(seq).ok()) AfterRemovals();
      return;
    }
  }
}

bool Stream::StoreMirrored(const StoredMessage& m, const std::string& subject) {
  StreamState st = store_->State();
  if (m.seq <= st.last_seq) return true;  // already there
  // A gap (filtered out at the origin) stays unused.
  if (m.seq != st.last_seq + 1 && !store_->SetNextSeq(m.seq).ok()) return false;
  auto seq = store_->Append(subject, m.headers, m.data, m.ts_ns);
  if (!seq.ok()) return false;
  AfterStore(*seq, subject);
  return true;
}

bool Stream::StoreSourced(std::string_view subject, std::string_view headers, std::string_view data) {
  const uint64_t size = StoredSize(subject, headers, data);
  const StreamState st = store_->State();
  if (config_.discard == api::DiscardPolicy::kNew &&
      ((config_.max_msgs > 0 && st.msgs >= static_cast<uint64_t>(config_.max_msgs)) ||
       (config_.max_bytes > 0 && st.bytes + size > static_cast<uint64_t>(config_.max_bytes)))) {
    return false;
  }
  auto seq = store_->Append(subject, headers, data, engine_->now_ns());
  if (!seq.ok()) return false;
  AfterStore(*seq, subject);
  return true;
}

void Stream::AfterStore(StreamSeq seq, std::string_view subject) {
  ++engine_->stats().messages_stored;
  EnforceLimits(subject);
  for (auto& [n, c] : consumers_) c->OnStored(seq, subject);
  if (config_.max_age.ns > 0 && age_timer_ == 0) ScheduleAgeTimer();
  engine_->Kick(this);
  engine_->KickDependents(name());
}

void Stream::RunConsumers() {
  if (!sourcing_.empty()) {
    bool more = false;
    if (sourcing_.Pull(engine_, this, &more)) meta_dirty_ = true;
    if (more) engine_->Kick(this);
    if (meta_dirty_) {
      if (auto s = SaveMeta(); !s.ok()) MLOG_ERROR("stream ", name(), " metadata not saved: ", s.message());
    }
  }
  bool again = false;
  for (auto& [n, c] : consumers_) {
    if (!c->Run()) again = true;
  }
  PersistConsumers(/*all_dirty=*/false);
  if (again) engine_->Kick(this);
}

void Stream::PersistConsumers(bool all_dirty) {
  const int64_t now = engine_->now_ns();
  int64_t next_due = 0;
  for (auto& [n, c] : consumers_) {
    if (!c->dirty()) continue;
    if (!all_dirty && !c->PersistDue(now)) {
      if (next_due == 0 || c->persist_due_ns() < next_due) next_due = c->persist_due_ns();
      continue;
    }
    if (auto s = store_->PutConsumer(c->name(), c->Serialize()); !s.ok()) {
      MLOG_ERROR("consumer ", c->name(), " state not saved: ", s.message());
    }
  }
  // A batched write not due yet: come back when it is.
  if (next_due != 0 && persist_timer_ == 0) {
    persist_timer_ = engine_->timers().At(next_due, [this] {
      persist_timer_ = 0;
      engine_->Kick(this);
    });
  }
}

}  // namespace meridian::jetstream
