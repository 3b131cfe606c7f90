// ConsumerConfig / CreateConsumerRequest JSON (Go Unmarshal rules, Go
// Marshal layout of nats-server 2.9.10's struct) and the CONSUMER.CREATE
// subject forms. Validation is in consumer_config_check.cc.
#include "services/jetstream/api/consumer_config.h"

#include <string>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/json/time_format.h"
#include "services/jetstream/api/go_decode.h"

namespace meridian::jetstream::api {
namespace {

using internal::GoDecoder;

bool ParseAction(absl::string_view s, ConsumerAction* out) {
  if (s.empty())
    *out = ConsumerAction::kCreateOrUpdate;
  else if (s == "create")
    *out = ConsumerAction::kCreate;
  else if (s == "update")
    *out = ConsumerAction::kUpdate;
  else
    return false;
  return true;
}

void DecodeConsumerConfig(GoDecoder& d, const json::Value& v, ConsumerConfig* c) {
  d.Fields(v, {"durable_name",    "name",
               "description",     "deliver_policy",
               "opt_start_seq",   "opt_start_time",
               "ack_policy",      "ack_wait",
               "max_deliver",     "backoff",
               "filter_subject",  "filter_subjects",
               "replay_policy",   "rate_limit_bps",
               "sample_freq",     "max_waiting",
               "max_ack_pending", "idle_heartbeat",
               "flow_control",    "headers_only",
               "max_batch",       "max_expires",
               "max_bytes",       "deliver_subject",
               "deliver_group",   "inactive_threshold",
               "num_replicas",    "mem_storage",
               "direct",          "metadata",
               "pause_until",     "priority_groups",
               "priority_policy", "priority_timeout"},
           [&](absl::string_view f, const json::Value& fv) {
             if (f == "durable_name")
               d.String(fv, &c->durable_name);
             else if (f == "name")
               d.String(fv, &c->name);
             else if (f == "description")
               d.String(fv, &c->description);
             else if (f == "deliver_policy")
               d.Enum(fv, &c->deliver_policy, &ParseDeliverPolicy);
             else if (f == "opt_start_seq")
               d.StreamSeq(fv, &c->opt_start_seq);
             else if (f == "opt_start_time")
               d.Time(fv, &c->opt_start_time);
             else if (f == "ack_policy")
               d.Enum(fv, &c->ack_policy, &ParseAckPolicy);
             else if (f == "ack_wait")
               d.Duration(fv, &c->ack_wait);
             else if (f == "max_deliver")
               d.Int(fv, &c->max_deliver);
             else if (f == "backoff")
               d.DurationSlice(fv, &c->backoff);
             else if (f == "filter_subject")
               d.String(fv, &c->filter_subject);
             else if (f == "filter_subjects")
               d.StringSlice(fv, &c->filter_subjects);
             else if (f == "replay_policy")
               d.Enum(fv, &c->replay_policy, &ParseReplayPolicy);
             else if (f == "rate_limit_bps")
               d.Uint(fv, &c->rate_limit_bps);
             else if (f == "sample_freq")
               d.String(fv, &c->sample_freq);
             else if (f == "max_waiting")
               d.Int(fv, &c->max_waiting);
             else if (f == "max_ack_pending")
               d.Int(fv, &c->max_ack_pending);
             else if (f == "idle_heartbeat")
               d.Duration(fv, &c->idle_heartbeat);
             else if (f == "flow_control")
               d.Bool(fv, &c->flow_control);
             else if (f == "headers_only")
               d.Bool(fv, &c->headers_only);
             else if (f == "max_batch")
               d.Int(fv, &c->max_batch);
             else if (f == "max_expires")
               d.Duration(fv, &c->max_expires);
             else if (f == "max_bytes")
               d.Int(fv, &c->max_bytes);
             else if (f == "deliver_subject")
               d.String(fv, &c->deliver_subject);
             else if (f == "deliver_group")
               d.String(fv, &c->deliver_group);
             else if (f == "inactive_threshold")
               d.Duration(fv, &c->inactive_threshold);
             else if (f == "num_replicas")
               d.Int(fv, &c->num_replicas);
             else if (f == "mem_storage")
               d.Bool(fv, &c->mem_storage);
             else if (f == "direct")
               d.Bool(fv, &c->direct);
             else if (f == "metadata")
               d.StringMap(fv, &c->metadata);
             else if (f == "pause_until")
               d.Time(fv, &c->pause_until);
             else if (f == "priority_groups")
               d.StringSlice(fv, &c->priority_groups);
             else if (f == "priority_policy")
               d.Enum(fv, &c->priority_policy, &ParsePriorityPolicy);
             else if (f == "priority_timeout")
               d.Duration(fv, &c->priority_timeout);
           });
}

void WriteStrings(json::Writer& w, absl::string_view key, const std::vector<std::string>& v) {
  w.Key(key).BeginArray();
  for (const auto& s : v) w.String(s);
  w.EndArray();
}

}  // namespace

std::vector<std::string> ConsumerConfig::Filters() const {
  if (!filter_subjects.empty()) return filter_subjects;
  if (!filter_subject.empty()) return {filter_subject};
  return {};
}

ApiResult<ConsumerConfig> ParseConsumerConfig(const json::Value& v) {
  GoDecoder d("ConsumerConfig", "server.ConsumerConfig");
  ConsumerConfig cfg;
  DecodeConsumerConfig(d, v, &cfg);
  if (!d.ok()) return internal::InvalidJsonError(d.error());
  return cfg;
}

namespace {

void DecodeCreateRequest(GoDecoder& d, const json::Value& v, CreateConsumerRequest& req) {
  d.Fields(v, {"stream_name", "config", "action", "pedantic"},
           [&](absl::string_view f, const json::Value& fv) {
             if (f == "stream_name") {
               d.String(fv, &req.stream_name);
             } else if (f == "config") {
               d.Nested(fv, "ConsumerConfig", "server.ConsumerConfig",
                        [&](GoDecoder& n) { DecodeConsumerConfig(n, fv, &req.config); });
             } else if (f == "action") {
               d.Enum(fv, &req.action, &ParseAction);
             } else {
               d.Bool(fv, &req.pedantic);
             }
           });
}

}  // namespace

std::string CreateConsumerRequestDecodeError(const json::Value& v) {
  GoDecoder d("CreateConsumerRequest", "server.CreateConsumerRequest");
  CreateConsumerRequest req;
  DecodeCreateRequest(d, v, req);
  return d.error();
}

ApiResult<CreateConsumerRequest> ParseCreateConsumerRequest(const json::Value& v) {
  GoDecoder d("CreateConsumerRequest", "server.CreateConsumerRequest");
  CreateConsumerRequest req;
  DecodeCreateRequest(d, v, req);
  if (!d.ok()) return internal::InvalidJsonError(d.error());
  return req;
}

ApiResult<CreateConsumerRequest> ParseCreateConsumerRequestJson(absl::string_view body) {
  json::Value v;
  std::string go_error;
  if (!internal::ParseGoJson(body, &v, &go_error)) return internal::InvalidJsonError(go_error);
  return ParseCreateConsumerRequest(v);
}

void WriteConsumerConfig(json::Writer& w, const ConsumerConfig& c) {
  w.BeginObject();
  if (!c.durable_name.empty()) w.Member("durable_name", c.durable_name);
  if (!c.name.empty()) w.Member("name", c.name);
  if (!c.description.empty()) w.Member("description", c.description);
  w.Member("deliver_policy", ToString(c.deliver_policy));
  if (c.opt_start_seq.value != 0) w.MemberUint("opt_start_seq", c.opt_start_seq.value);
  if (c.opt_start_time) w.Key("opt_start_time").String(json::FormatRfc3339Nano(*c.opt_start_time));
  w.Member("ack_policy", ToString(c.ack_policy));
  if (!c.ack_wait.is_zero()) w.MemberInt("ack_wait", c.ack_wait.ns);
  if (c.max_deliver != 0) w.MemberInt("max_deliver", c.max_deliver);
  if (!c.backoff.empty()) {
    w.Key("backoff").BeginArray();
    for (Nanos b : c.backoff) w.Int(b.ns);
    w.EndArray();
  }
  if (!c.filter_subject.empty()) w.Member("filter_subject", c.filter_subject);
  if (!c.filter_subjects.empty()) WriteStrings(w, "filter_subjects", c.filter_subjects);
  w.Member("replay_policy", ToString(c.replay_policy));
  if (c.rate_limit_bps != 0) w.MemberUint("rate_limit_bps", c.rate_limit_bps);
  if (!c.sample_freq.empty()) w.Member("sample_freq", c.sample_freq);
  if (c.max_waiting != 0) w.MemberInt("max_waiting", c.max_waiting);
  if (c.max_ack_pending != 0) w.MemberInt("max_ack_pending", c.max_ack_pending);
  if (!c.idle_heartbeat.is_zero()) w.MemberInt("idle_heartbeat", c.idle_heartbeat.ns);
  if (c.flow_control) w.MemberBool("flow_control", true);
  if (c.headers_only) w.MemberBool("headers_only", true);
  if (c.max_batch != 0) w.MemberInt("max_batch", c.max_batch);
  if (!c.max_expires.is_zero()) w.MemberInt("max_expires", c.max_expires.ns);
  if (c.max_bytes != 0) w.MemberInt("max_bytes", c.max_bytes);
  if (!c.deliver_subject.empty()) w.Member("deliver_subject", c.deliver_subject);
  if (!c.deliver_group.empty()) w.Member("deliver_group", c.deliver_group);
  if (!c.inactive_threshold.is_zero()) w.MemberInt("inactive_threshold", c.inactive_threshold.ns);
  w.MemberInt("num_replicas", c.num_replicas);
  if (c.mem_storage) w.MemberBool("mem_storage", true);
  if (c.direct) w.MemberBool("direct", true);
  if (!c.metadata.empty()) {
    w.Key("metadata").BeginObject();
    for (const auto& [k, val] : c.metadata) w.Member(k, val);
    w.EndObject();
  }
  if (c.pause_until) w.Key("pause_until").String(json::FormatRfc3339Nano(*c.pause_until));
  if (!c.priority_groups.empty()) WriteStrings(w, "priority_groups", c.priority_groups);
  if (c.priority_policy != PriorityPolicy::kNone) {
    w.Member("priority_policy", ToString(c.priority_policy));
  }
  if (!c.priority_timeout.is_zero()) w.MemberInt("priority_timeout", c.priority_timeout.ns);
  w.EndObject();
}

std::string ConsumerConfigToJson(const ConsumerConfig& cfg) {
  std::string out;
  json::Writer w(&out);
  WriteConsumerConfig(w, cfg);
  return out;
}

std::optional<ConsumerCreateSubject> ParseConsumerCreateSubject(absl::string_view subject) {
  std::vector<absl::string_view> tokens = absl::StrSplit(subject, '.');
  const size_t n = tokens.size();
  if (n < 5 || tokens[0] != "$JS" || tokens[1] != "API" || tokens[2] != "CONSUMER") {
    return std::nullopt;
  }
  ConsumerCreateSubject out;
  if (tokens[3] == "DURABLE") {
    if (n < 5 || tokens[4] != "CREATE") return std::nullopt;
    out.form = ConsumerCreateForm::kLegacyDurable;
    if (n != 7) return out;  // CheckConsumerCreateSubject answers 10016
    out.stream = std::string(tokens[5]);
    out.consumer = std::string(tokens[6]);
    return out;
  }
  if (tokens[3] != "CREATE") return std::nullopt;
  out.stream = std::string(tokens[4]);
  if (n == 5) {
    out.form = ConsumerCreateForm::kLegacyEphemeral;
    return out;
  }
  out.form = ConsumerCreateForm::kNamed;
  out.consumer = std::string(tokens[5]);
  // nats-server 2.9.10 took the filter only from 8+ tokens (a one-token
  // filter was ignored); 2.10 fixed that to 7+, which is what we do.
  if (n > 6) {
    out.filter = absl::StrJoin(tokens.begin() + 6, tokens.end(), ".");
  }
  return out;
}

}  // namespace meridian::jetstream::api
