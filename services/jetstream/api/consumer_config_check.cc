// ConsumerConfig defaults and validation: nats-server 2.9.10's
// setConsumerConfigDefaults, checkConsumerCfg, checkNewConsumerConfig, the
// create handler's subject checks and the workqueue rules of addConsumer.
// Checks for fields newer than 2.9.10 (filter_subjects) follow 2.10.
#include <random>
#include <set>
#include <string>

#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/subjects/subject.h"
#include "services/jetstream/api/consumer_config.h"

namespace meridian::jetstream::api {
namespace {

// common/subjects takes std::string_view (Debian's absl::string_view is distinct).
std::string_view Sv(absl::string_view s) { return std::string_view(s.data(), s.size()); }

bool Acks(AckPolicy p) { return p == AckPolicy::kExplicit || p == AckPolicy::kAll; }

// nats-server subjectIsSubsetMatch(subject, test).
bool SubsetMatch(absl::string_view subject, absl::string_view test) {
  return subjects::IsSubsetMatch(Sv(test), Sv(subject));
}

// nats-server validFilteredSubject.
bool ValidFilteredSubject(absl::string_view filter, const std::vector<std::string>& subjects) {
  if (!subjects::IsValidSubject(Sv(filter))) return false;
  const bool has_wc = subjects::SubjectHasWildcard(Sv(filter));
  for (const auto& subject : subjects) {
    if (SubsetMatch(filter, subject)) return true;
    if (has_wc && SubsetMatch(subject, filter)) return true;
  }
  return false;
}

// nats-server streamSourceSubjects / gatherSourceMirrorSubjects (standalone).
void SourceSubjects(const StreamSource& src, const ConsumerCheckContext& ctx,
                    std::set<std::string>* seen, std::vector<std::string>* out, bool* has_ext);

void StreamSubjectsRecursive(absl::string_view name, const ConsumerCheckContext& ctx,
                             std::set<std::string>* seen, std::vector<std::string>* out,
                             bool* has_ext) {
  if (seen->count(std::string(name)) != 0) return;
  const StreamConfig* cfg = ctx.lookup_stream ? ctx.lookup_stream(name) : nullptr;
  if (cfg == nullptr) return;
  seen->insert(std::string(name));
  out->insert(out->end(), cfg->subjects.begin(), cfg->subjects.end());
  if (cfg->mirror) {
    SourceSubjects(*cfg->mirror, ctx, seen, out, has_ext);
  } else {
    for (const auto& s : cfg->sources) {
      SourceSubjects(s, ctx, seen, out, has_ext);
      if (*has_ext) break;
    }
  }
}

void SourceSubjects(const StreamSource& src, const ConsumerCheckContext& ctx,
                    std::set<std::string>* seen, std::vector<std::string>* out, bool* has_ext) {
  if (src.external) {
    *has_ext = true;
    return;
  }
  StreamSubjectsRecursive(src.name, ctx, seen, out, has_ext);
}

ApiError InvalidPolicy(absl::string_view text) {
  return Make(ErrorId::JSConsumerInvalidPolicyErrF, text);
}

std::string BadStart(absl::string_view dp, absl::string_view start) {
  return absl::StrCat("consumer delivery policy is deliver ", dp, ", but optional start ", start,
                      " is also set");
}

std::string NotSet(absl::string_view dp, absl::string_view what) {
  return absl::StrCat("consumer delivery policy is deliver ", dp, ", but optional ", what,
                      " is not set");
}

// Go's strconv.Atoi error text for a bad sample frequency.
bool GoAtoi(absl::string_view s, int64_t* out, std::string* err) {
  // Go accepts an optional sign and decimal digits only.
  absl::string_view digits = s;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) digits.remove_prefix(1);
  bool ok = !digits.empty();
  for (char c : digits) ok = ok && c >= '0' && c <= '9';
  if (ok && absl::SimpleAtoi(s, out)) return true;
  *err = absl::StrCat("strconv.Atoi: parsing \"", s,
                      "\": ", ok ? "value out of range" : "invalid syntax");
  return false;
}

}  // namespace

void SetConsumerDefaults(ConsumerConfig* cfg, const ConsumerLimits& limits,
                         const StreamConfig* stream) {
  if (stream != nullptr) {
    if (cfg->inactive_threshold.is_zero()) {
      cfg->inactive_threshold = stream->consumer_limits.inactive_threshold;
    }
    if (cfg->max_ack_pending == 0) cfg->max_ack_pending = stream->consumer_limits.max_ack_pending;
  }
  if (cfg->deliver_subject.empty() && cfg->max_waiting == 0) cfg->max_waiting = kDefaultMaxWaiting;
  if (cfg->ack_wait.is_zero() && Acks(cfg->ack_policy)) cfg->ack_wait = kDefaultAckWait;
  if (cfg->max_deliver == 0) cfg->max_deliver = -1;
  if (!cfg->backoff.empty()) cfg->ack_wait = cfg->backoff[0];
  if (Acks(cfg->ack_policy) && cfg->max_ack_pending == 0) {
    int64_t pending = kDefaultMaxAckPending;
    if (limits.server_max_ack_pending > 0 && limits.server_max_ack_pending < pending) {
      pending = limits.server_max_ack_pending;
    }
    if (limits.account_max_ack_pending > 0 && limits.account_max_ack_pending < pending) {
      pending = limits.account_max_ack_pending;
    }
    cfg->max_ack_pending = pending;
  }
  if (cfg->deliver_subject.empty() && cfg->max_batch == 0 && limits.server_max_request_batch > 0) {
    cfg->max_batch = limits.server_max_request_batch;
  }
}

ApiStatus CheckConsumerConfig(const ConsumerConfig& c, const StreamConfig& stream,
                              const ConsumerCheckContext& ctx) {
  if (c.num_replicas > 0 && c.num_replicas > stream.num_replicas) {
    return Make(ErrorId::JSConsumerReplicasExceedsStream);
  }
  if (c.num_replicas < 0) return Make(ErrorId::JSReplicasCountCannotBeNegative);
  if (!c.backoff.empty() && c.max_deliver <= static_cast<int64_t>(c.backoff.size())) {
    return Make(ErrorId::JSConsumerMaxDeliverBackoffErr);
  }
  if (c.description.size() > kMaxDescriptionLen) {
    return Make(ErrorId::JSConsumerDescriptionTooLongErrF, kMaxDescriptionLen);
  }
  if (!c.deliver_subject.empty()) {
    if (subjects::SubjectHasWildcard(Sv(c.deliver_subject))) {
      return Make(ErrorId::JSConsumerDeliverToWildcardsErr);
    }
    if (!subjects::IsValidSubject(Sv(c.deliver_subject))) {
      return Make(ErrorId::JSConsumerInvalidDeliverSubject);
    }
    for (const auto& subject : stream.subjects) {
      if (SubsetMatch(c.deliver_subject, subject)) return Make(ErrorId::JSConsumerDeliverCycleErr);
    }
    if (c.max_waiting != 0) return Make(ErrorId::JSConsumerPushMaxWaitingErr);
    if (c.max_ack_pending > 0 && c.ack_policy == AckPolicy::kNone) {
      return Make(ErrorId::JSConsumerMaxPendingAckPolicyRequiredErr);
    }
    if (c.idle_heartbeat.ns > 0 && c.idle_heartbeat < NanosFromMillis(100)) {
      return Make(ErrorId::JSConsumerSmallHeartbeatErr);
    }
  } else {
    if (c.ack_policy == AckPolicy::kNone && stream.retention == RetentionPolicy::kWorkQueue) {
      return Make(ErrorId::JSConsumerPullRequiresAckErr);
    }
    if (c.rate_limit_bps > 0) return Make(ErrorId::JSConsumerPullWithRateLimitErr);
    if (c.max_waiting < 0) return Make(ErrorId::JSConsumerMaxWaitingNegativeErr);
    if (c.idle_heartbeat.ns > 0) return Make(ErrorId::JSConsumerHBRequiresPushErr);
    if (c.flow_control) return Make(ErrorId::JSConsumerFCRequiresPushErr);
    if (c.max_batch < 0) return Make(ErrorId::JSConsumerMaxRequestBatchNegativeErr);
    if (!c.max_expires.is_zero() && c.max_expires < NanosFromMillis(1)) {
      return Make(ErrorId::JSConsumerMaxRequestExpiresToSmall);
    }
    if (ctx.limits.server_max_request_batch > 0 &&
        c.max_batch > ctx.limits.server_max_request_batch) {
      return Make(ErrorId::JSConsumerMaxRequestBatchExceededF, ctx.limits.server_max_request_batch);
    }
  }
  if (ctx.limits.server_max_ack_pending > 0 &&
      c.max_ack_pending > ctx.limits.server_max_ack_pending) {
    return Make(ErrorId::JSConsumerMaxPendingAckExcessErrF, ctx.limits.server_max_ack_pending);
  }
  if (ctx.limits.account_max_ack_pending > 0 &&
      c.max_ack_pending > ctx.limits.account_max_ack_pending) {
    return Make(ErrorId::JSConsumerMaxPendingAckExcessErrF, ctx.limits.account_max_ack_pending);
  }
  if (c.direct) {
    if (c.deliver_subject.empty()) return Make(ErrorId::JSConsumerDirectRequiresPushErr);
    if (c.is_durable()) return Make(ErrorId::JSConsumerDirectRequiresEphemeralErr);
  }

  // filter_subjects (newer than 2.9.10; 2.10's rules).
  if (!c.filter_subject.empty() && !c.filter_subjects.empty()) {
    return Make(ErrorId::JSConsumerDuplicateFilterSubjects);
  }
  for (const auto& f : c.filter_subjects) {
    if (f.empty()) return Make(ErrorId::JSConsumerEmptyFilter);
  }
  for (size_t i = 0; i < c.filter_subjects.size(); ++i) {
    if (!subjects::IsValidSubject(Sv(c.filter_subjects[i]))) {
      return Make(ErrorId::JSStreamInvalidConfigF, "invalid subject");
    }
    for (size_t j = 0; j < c.filter_subjects.size(); ++j) {
      if (i != j && SubsetMatch(c.filter_subjects[i], c.filter_subjects[j])) {
        return Make(ErrorId::JSConsumerOverlappingSubjectFilters);
      }
    }
  }

  // Filters must select something the stream (or what it mirrors/sources) has.
  const std::vector<std::string> filters = c.Filters();
  if (!filters.empty()) {
    std::vector<std::string> subjects = stream.subjects;
    bool has_ext = ctx.recovering;
    if (!ctx.recovering) {
      std::set<std::string> seen;
      if (stream.mirror) {
        SourceSubjects(*stream.mirror, ctx, &seen, &subjects, &has_ext);
      } else {
        for (const auto& s : stream.sources) {
          bool local_ext = false;
          SourceSubjects(s, ctx, &seen, &subjects, &local_ext);
          has_ext = has_ext || local_ext;
        }
      }
    }
    if (!has_ext) {
      for (const auto& f : filters) {
        if (!ValidFilteredSubject(f, subjects)) return Make(ErrorId::JSConsumerFilterNotSubsetErr);
      }
    }
  }

  const bool has_seq = c.opt_start_seq.value > 0;
  const bool has_time = c.opt_start_time.has_value();
  switch (c.deliver_policy) {
    case DeliverPolicy::kAll:
      if (has_seq) return InvalidPolicy(BadStart("all", "sequence"));
      if (has_time) return InvalidPolicy(BadStart("all", "time"));
      break;
    case DeliverPolicy::kLast:
      if (has_seq) return InvalidPolicy(BadStart("last", "sequence"));
      if (has_time) return InvalidPolicy(BadStart("last", "time"));
      break;
    case DeliverPolicy::kLastPerSubject:
      if (has_seq) return InvalidPolicy(BadStart("last per subject", "sequence"));
      if (has_time) return InvalidPolicy(BadStart("last per subject", "time"));
      if (filters.empty()) return InvalidPolicy(NotSet("last per subject", "filter subject"));
      break;
    case DeliverPolicy::kNew:
      if (has_seq) return InvalidPolicy(BadStart("new", "sequence"));
      if (has_time) return InvalidPolicy(BadStart("new", "time"));
      break;
    case DeliverPolicy::kByStartSequence:
      if (!has_seq) return InvalidPolicy(NotSet("by start sequence", "start sequence"));
      if (has_time) return InvalidPolicy(BadStart("by start sequence", "time"));
      break;
    case DeliverPolicy::kByStartTime:
      if (!has_time) return InvalidPolicy(NotSet("by start time", "start time"));
      if (has_seq) return InvalidPolicy(BadStart("by start time", "start sequence"));
      break;
  }

  if (!c.sample_freq.empty()) {
    absl::string_view s = c.sample_freq;
    absl::ConsumeSuffix(&s, "%");
    int64_t freq = 0;
    std::string err;
    if (!GoAtoi(s, &freq, &err)) return Make(ErrorId::JSConsumerInvalidSamplingErrF, err);
    // nats-server passes a nil error here, which prints as "<nil>".
    if (freq < 0) return Make(ErrorId::JSConsumerInvalidSamplingErrF, "<nil>");
  }
  if (c.flow_control && c.idle_heartbeat.is_zero()) {
    return Make(ErrorId::JSConsumerWithFlowControlNeedsHeartbeats);
  }
  if (!c.durable_name.empty() && !c.name.empty() && c.name != c.durable_name) {
    return Make(ErrorId::JSConsumerCreateDurableAndNameMismatch);
  }
  return ApiStatus::Ok();
}

ApiStatus CheckConsumerUpdate(const ConsumerConfig& old, const ConsumerConfig& n,
                              bool old_deliver_subject_has_interest) {
  if (old == n) return ApiStatus::Ok();
  auto fail = [](absl::string_view reason) { return Make(ErrorId::JSConsumerCreateErrF, reason); };
  if (old.deliver_policy != n.deliver_policy) return fail("deliver policy can not be updated");
  if (old.opt_start_seq != n.opt_start_seq) return fail("start sequence can not be updated");
  // nats-server 2.9.10 compared the *time.Time pointers here (always
  // different); the values are what matters.
  if (old.opt_start_time != n.opt_start_time) return fail("start time can not be updated");
  if (old.ack_policy != n.ack_policy) return fail("ack policy can not be updated");
  if (old.replay_policy != n.replay_policy) return fail("replay policy can not be updated");
  if (old.idle_heartbeat != n.idle_heartbeat) return fail("heart beats can not be updated");
  if (old.flow_control != n.flow_control) return fail("flow control can not be updated");
  if (old.max_waiting != n.max_waiting) return fail("max waiting can not be updated");
  if (old.deliver_subject != n.deliver_subject) {
    if (old.deliver_subject.empty()) return fail("can not update pull consumer to push based");
    if (n.deliver_subject.empty()) return fail("can not update push consumer to pull based");
    if (old_deliver_subject_has_interest) return Make(ErrorId::JSConsumerNameExistErr);
  }
  if (!n.backoff.empty() && n.max_deliver <= static_cast<int64_t>(n.backoff.size())) {
    return Make(ErrorId::JSConsumerMaxDeliverBackoffErr);
  }
  return ApiStatus::Ok();
}

ApiStatus CheckWorkQueueConsumer(const ConsumerConfig& cfg,
                                 const std::vector<const ConsumerConfig*>& others) {
  if (cfg.direct) return ApiStatus::Ok();
  if (cfg.ack_policy != AckPolicy::kExplicit)
    return Make(ErrorId::JSConsumerWQRequiresExplicitAckErr);
  if (!others.empty()) {
    const std::vector<std::string> mine = cfg.Filters();
    if (mine.empty()) return Make(ErrorId::JSConsumerWQMultipleUnfilteredErr);
    for (const ConsumerConfig* other : others) {
      const std::vector<std::string> theirs = other->Filters();
      if (theirs.empty()) return Make(ErrorId::JSConsumerWQConsumerNotUniqueErr);
      for (const auto& a : mine) {
        for (const auto& b : theirs) {
          if (SubsetMatch(a, b) || SubsetMatch(b, a)) {
            return Make(ErrorId::JSConsumerWQConsumerNotUniqueErr);
          }
        }
      }
    }
  }
  if (cfg.deliver_policy != DeliverPolicy::kAll) {
    return Make(ErrorId::JSConsumerWQConsumerNotDeliverAllErr);
  }
  return ApiStatus::Ok();
}

ApiStatus CheckConsumerName(absl::string_view name) {
  if (name.size() > kMaxNameLen) return Make(ErrorId::JSConsumerNameTooLongErrF, kMaxNameLen);
  if (!IsValidName(name)) return Make(ErrorId::JSConsumerBadDurableNameErr);
  return ApiStatus::Ok();
}

int64_t ConsumerReplicas(const ConsumerConfig& cfg, const StreamConfig& stream) {
  if (cfg.num_replicas != 0) return cfg.num_replicas;
  if (!cfg.is_durable() && stream.retention == RetentionPolicy::kLimits) return 1;
  return stream.num_replicas;
}

std::string NewConsumerName() {
  // nats-server: 8 chars of the base64 URL encoding of a hash of a NUID.
  static constexpr char kDigits[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  thread_local absl::BitGen gen;
  std::string name(8, '0');
  for (char& ch : name) ch = kDigits[absl::Uniform<size_t>(gen, 0, sizeof(kDigits) - 1)];
  return name;
}

ApiStatus CheckConsumerCreateSubject(const ConsumerCreateSubject& subject,
                                     CreateConsumerRequest* request) {
  ConsumerConfig& cfg = request->config;
  if (subject.form == ConsumerCreateForm::kLegacyDurable && subject.consumer.empty()) {
    return Make(ErrorId::JSConsumerDurableNameNotInSubjectErr);
  }
  if (subject.stream != request->stream_name) return Make(ErrorId::JSStreamMismatchErr);
  if (!subject.consumer.empty() &&
      (absl::StrContains(subject.consumer, '\\') || absl::StrContains(subject.consumer, '/'))) {
    return Make(ErrorId::JSConsumerNameContainsPathSeparatorsErr);
  }
  if (subject.form == ConsumerCreateForm::kLegacyDurable) {
    if (cfg.durable_name.empty()) return Make(ErrorId::JSConsumerDurableNameNotSetErr);
    if (subject.consumer != cfg.durable_name) {
      return Make(ErrorId::JSConsumerDurableNameNotMatchSubjectErr);
    }
  }
  if (subject.form == ConsumerCreateForm::kNamed) {
    if (!cfg.durable_name.empty() && subject.consumer != cfg.durable_name) {
      return Make(ErrorId::JSConsumerDurableNameNotMatchSubjectErr);
    }
    cfg.name = subject.consumer;
  }
  if (subject.form == ConsumerCreateForm::kLegacyEphemeral && !cfg.durable_name.empty()) {
    return Make(ErrorId::JSConsumerEphemeralWithDurableNameErr);
  }
  if (!subject.filter.empty() && !cfg.filter_subjects.empty()) {
    return Make(ErrorId::JSConsumerMultipleFiltersNotAllowed);
  }
  if (!subject.filter.empty() && cfg.filter_subject != subject.filter) {
    return Make(ErrorId::JSConsumerCreateFilterSubjectMismatchErr);
  }
  return ApiStatus::Ok();
}

}  // namespace meridian::jetstream::api
