#include "services/jetstream/engine/advisories.h"

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/json/time_format.h"
#include "common/json/writer.h"
#include "services/jetstream/engine/engine.h"
#include "services/jetstream/engine/strings.h"

namespace meridian::jetstream::advisory {
namespace {

// The account every request is served in until accounts arrive (engine.cc
// sends in it too).
constexpr std::string_view kDefaultAccount = "$G";

// NUID shape: 12 random base-62 digits, then a 10-digit sequence that starts
// at a random point and grows by a random step; a new prefix when it wraps.
class EventIds {
 public:
  EventIds() { Reset(); }

  std::string Next() {
    seq_ += step_;
    if (seq_ >= kMaxSeq) Reset();
    std::string out = prefix_;
    out.resize(kPrefixLen + kSeqLen);
    uint64_t v = seq_;
    for (int i = kPrefixLen + kSeqLen - 1; i >= kPrefixLen; --i) {
      out[i] = kDigits[v % kBase];
      v /= kBase;
    }
    return out;
  }

 private:
  static constexpr char kDigits[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  static constexpr uint64_t kBase = 62;
  static constexpr int kPrefixLen = 12;
  static constexpr int kSeqLen = 10;
  static constexpr uint64_t kMaxSeq = 839299365868340224ull;  // 62^10

  void Reset() {
    prefix_.assign(kPrefixLen, '0');
    for (char& c : prefix_) c = kDigits[absl::Uniform<uint64_t>(gen_, 0, kBase)];
    seq_ = absl::Uniform<uint64_t>(gen_, 0, kMaxSeq / 2);
    step_ = absl::Uniform<uint64_t>(gen_, 33, 333);
  }

  absl::BitGen gen_;
  std::string prefix_;
  uint64_t seq_ = 0;
  uint64_t step_ = 1;
};

void BeginEvent(json::Writer& w, std::string_view type, const Event& e) {
  w.BeginObject();
  w.Member("type", AV(type));
  w.Member("id", e.id);
  w.Member("timestamp", json::FormatRfc3339Nano(absl::FromUnixNanos(e.time_ns)));
}

void EndEvent(json::Writer& w, std::string_view domain) {
  if (!domain.empty()) w.Member("domain", AV(domain));
  w.EndObject();
}

void OptionalString(json::Writer& w, std::string_view key, std::string_view value) {
  if (!value.empty()) w.Member(AV(key), AV(value));
}

// The names of the consumer's delivery in the order nats-server's structs
// have them (stream, consumer, consumer_seq, stream_seq).
void WriteDelivery(json::Writer& w, const Delivery& d, bool with_consumer_seq) {
  w.Member("stream", AV(d.stream));
  w.Member("consumer", AV(d.consumer));
  if (with_consumer_seq) w.MemberUint("consumer_seq", d.consumer_seq);
  w.MemberUint("stream_seq", d.stream_seq);
}

// Domain of this service's JetStream; EngineOptions has none yet, so every
// event leaves it out, as nats-server without a `domain` setting does.
std::string_view Domain(Engine*) { return {}; }

Event NewEvent(Engine* engine) {
  Event e;
  e.id = NewEventId();
  e.time_ns = engine->now_ns();
  return e;
}

std::string ConsumerSubject(std::string_view prefix, const Delivery& d) {
  return absl::StrCat(AV(prefix), ".", AV(d.stream), ".", AV(d.consumer));
}

void Publish(Engine* engine, std::string_view subject, const std::string& json) {
  engine->Send(subject, {}, {}, json);
}

}  // namespace

std::string_view ActionName(Action action) {
  switch (action) {
    case Action::kCreate:
      return "create";
    case Action::kDelete:
      return "delete";
    case Action::kModify:
      return "modify";
  }
  return "";
}

std::string NewEventId() {
  thread_local EventIds ids;
  return ids.Next();
}

std::string StreamActionJson(const Event& e, std::string_view stream, Action action,
                             std::string_view template_name, std::string_view domain) {
  std::string out;
  json::Writer w(&out);
  BeginEvent(w, kStreamActionType, e);
  w.Member("stream", AV(stream));
  w.Member("action", AV(ActionName(action)));
  OptionalString(w, "template", template_name);
  EndEvent(w, domain);
  return out;
}

std::string ConsumerActionJson(const Event& e, std::string_view stream, std::string_view consumer,
                               Action action, std::string_view domain) {
  std::string out;
  json::Writer w(&out);
  BeginEvent(w, kConsumerActionType, e);
  w.Member("stream", AV(stream));
  w.Member("consumer", AV(consumer));
  w.Member("action", AV(ActionName(action)));
  EndEvent(w, domain);
  return out;
}

std::string MaxDeliverJson(const Event& e, const Delivery& d, std::string_view domain) {
  std::string out;
  json::Writer w(&out);
  BeginEvent(w, kMaxDeliverType, e);
  WriteDelivery(w, d, /*with_consumer_seq=*/false);
  w.MemberUint("deliveries", d.deliveries);
  EndEvent(w, domain);
  return out;
}

std::string NakJson(const Event& e, const Delivery& d, std::string_view domain) {
  std::string out;
  json::Writer w(&out);
  BeginEvent(w, kNakType, e);
  WriteDelivery(w, d, /*with_consumer_seq=*/true);
  w.MemberUint("deliveries", d.deliveries);
  EndEvent(w, domain);
  return out;
}

std::string TerminatedJson(const Event& e, const Delivery& d, std::string_view reason,
                           std::string_view domain) {
  std::string out;
  json::Writer w(&out);
  BeginEvent(w, kTerminatedType, e);
  WriteDelivery(w, d, /*with_consumer_seq=*/true);
  w.MemberUint("deliveries", d.deliveries);
  OptionalString(w, "reason", reason);
  EndEvent(w, domain);
  return out;
}

std::string AckMetricJson(const Event& e, const Delivery& d, int64_t ack_time_ns,
                          std::string_view domain) {
  std::string out;
  json::Writer w(&out);
  BeginEvent(w, kAckMetricType, e);
  WriteDelivery(w, d, /*with_consumer_seq=*/true);
  w.MemberInt("ack_time", ack_time_ns);
  w.MemberUint("deliveries", d.deliveries);
  EndEvent(w, domain);
  return out;
}

std::string ApiAuditJson(const Event& e, const ApiAudit& a, std::string_view domain) {
  std::string out;
  json::Writer w(&out);
  BeginEvent(w, kApiAuditType, e);
  w.Member("server", AV(a.server));
  const ClientInfo& c = a.client;
  w.Key("client").BeginObject();
  OptionalString(w, "host", c.host);
  if (c.id != 0) w.MemberUint("id", c.id);
  w.Member("acc", AV(c.account));
  OptionalString(w, "user", c.user);
  OptionalString(w, "name", c.name);
  OptionalString(w, "lang", c.lang);
  OptionalString(w, "ver", c.version);
  OptionalString(w, "server", c.server);
  OptionalString(w, "cluster", c.cluster);
  OptionalString(w, "kind", c.kind);
  OptionalString(w, "client_type", c.client_type);
  w.EndObject();
  w.Member("subject", AV(a.subject));
  OptionalString(w, "request", a.request);
  w.Member("response", AV(a.response));
  EndEvent(w, domain);
  return out;
}

int ParseSampleFrequency(std::string_view sample_freq) {
  if (!sample_freq.empty() && sample_freq.back() == '%') sample_freq.remove_suffix(1);
  int percent = 0;
  if (sample_freq.empty() || !ParseInt(sample_freq, &percent) || percent < 0) return 0;
  return percent;
}

bool ShouldSample(int percent) {
  if (percent <= 0) return false;
  if (percent >= 100) return true;
  thread_local absl::BitGen gen;
  return absl::Uniform<int>(gen, 0, 100) <= percent;
}

void PublishStreamAction(Engine* engine, std::string_view stream, Action action) {
  std::string_view pre = action == Action::kCreate   ? kStreamCreatedPre
                         : action == Action::kDelete ? kStreamDeletedPre
                                                     : kStreamUpdatedPre;
  const std::string subject = absl::StrCat(AV(pre), ".", AV(stream));
  if (!engine->HasInterest(subject)) return;
  // Templates are gone from JetStream; a stream never names one here.
  Publish(engine, subject, StreamActionJson(NewEvent(engine), stream, action, {}, Domain(engine)));
}

void PublishConsumerAction(Engine* engine, std::string_view stream, std::string_view consumer,
                           Action action) {
  std::string_view pre = action == Action::kDelete ? kConsumerDeletedPre : kConsumerCreatedPre;
  const std::string subject = absl::StrCat(AV(pre), ".", AV(stream), ".", AV(consumer));
  if (!engine->HasInterest(subject)) return;
  Publish(engine, subject,
          ConsumerActionJson(NewEvent(engine), stream, consumer, action, Domain(engine)));
}

void PublishMaxDeliveries(Engine* engine, const Delivery& d) {
  const std::string subject = ConsumerSubject(kMaxDeliveriesPre, d);
  if (!engine->HasInterest(subject)) return;
  Publish(engine, subject, MaxDeliverJson(NewEvent(engine), d, Domain(engine)));
}

void PublishNak(Engine* engine, const Delivery& d) {
  const std::string subject = ConsumerSubject(kMsgNakedPre, d);
  if (!engine->HasInterest(subject)) return;
  Publish(engine, subject, NakJson(NewEvent(engine), d, Domain(engine)));
}

void PublishTerminated(Engine* engine, const Delivery& d, std::string_view reason) {
  const std::string subject = ConsumerSubject(kMsgTerminatedPre, d);
  if (!engine->HasInterest(subject)) return;
  Publish(engine, subject, TerminatedJson(NewEvent(engine), d, reason, Domain(engine)));
}

void PublishAckMetric(Engine* engine, const Delivery& d, int64_t ack_time_ns) {
  const std::string subject = ConsumerSubject(kAckMetricPre, d);
  if (!engine->HasInterest(subject)) return;
  Publish(engine, subject, AckMetricJson(NewEvent(engine), d, ack_time_ns, Domain(engine)));
}

void PublishApiAudit(Engine* engine, const router::PackedMessage& request,
                     std::string_view response) {
  if (!engine->HasInterest(kApiAudit)) return;
  ApiAudit a;
  const EngineOptions& o = engine->options();
  // nats-server's name defaults to its id.
  a.server = o.server_name.empty() ? std::string_view(o.server_id)
                                   : std::string_view(o.server_name);
  // The requester's connection lives in a frontend: only its account is
  // known here (Go writes "acc" even when empty).
  a.client.account = request.account.empty() ? kDefaultAccount : request.account;
  a.subject = request.subject;
  a.request = request.payload;
  a.response = response;
  Publish(engine, kApiAudit, ApiAuditJson(NewEvent(engine), a, Domain(engine)));
}

}  // namespace meridian::jetstream::advisory
