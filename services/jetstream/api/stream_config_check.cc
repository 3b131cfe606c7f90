// StreamConfig defaults and validation: nats-server 2.9.10's checkStreamCfg,
// the create handler's pre-checks, configUpdateCheck and checkBytesLimits.
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/json/time_format.h"
#include "common/subjects/subject.h"
#include "services/jetstream/api/go_decode.h"
#include "services/jetstream/api/stream_config.h"

namespace meridian::jetstream::api {
namespace {

// common/subjects takes std::string_view (Debian's absl::string_view is distinct).
std::string_view Sv(absl::string_view s) { return std::string_view(s.data(), s.size()); }

constexpr Nanos k100ms = NanosFromMillis(100);

ApiError Invalid(absl::string_view reason) { return Make(ErrorId::JSStreamInvalidConfigF, reason); }

std::string Quote(absl::string_view s) { return internal::GoDecoder::GoQuote(s); }

bool Collide(absl::string_view a, absl::string_view b) {
  return subjects::SubjectsOverlap(Sv(a), Sv(b));
}

// nats-server subjectIsSubsetMatch(subject, test): every subject matched by
// `subject` is matched by `test`.
bool SubsetMatch(absl::string_view subject, absl::string_view test) {
  return subjects::IsSubsetMatch(Sv(test), Sv(subject));
}

struct SubjectInfo {
  bool valid = false;
  std::vector<std::string> tokens;
  int partial_wildcards = 0;
  bool full_wildcard = false;
};

// nats-server subjectInfo: non-empty tokens, '>' only last (whitespace is
// allowed: mapping functions may contain spaces).
SubjectInfo Info(absl::string_view subject) {
  SubjectInfo info;
  info.tokens = absl::StrSplit(subject, '.');
  for (const auto& t : info.tokens) {
    if (t.empty() || info.full_wildcard) return info;  // valid stays false
    if (t == "*") ++info.partial_wildcards;
    if (t == ">") info.full_wildcard = true;
  }
  info.valid = true;
  return info;
}

bool ParseIntTrim(absl::string_view s, int* out) {
  return absl::SimpleAtoi(absl::StripAsciiWhitespace(s), out);
}

// The wildcard indexes a destination token refers to; false when the token
// is a malformed mapping function. Empty when it is a literal token.
bool PlaceholderIndexes(absl::string_view token, std::vector<int>* indexes, bool* is_placeholder) {
  *is_placeholder = false;
  indexes->clear();
  if (token.size() > 1 && token[0] == '$') {
    int n;
    if (absl::SimpleAtoi(token.substr(1), &n)) {
      *is_placeholder = true;
      indexes->push_back(n);
    }
    return true;  // "$foo" is a literal token
  }
  if (token.size() > 4 && absl::StartsWith(token, "{{") && absl::EndsWith(token, "}}")) {
    absl::string_view inner = absl::StripAsciiWhitespace(token.substr(2, token.size() - 4));
    size_t open = inner.find('(');
    if (open == absl::string_view::npos || inner.back() != ')') return false;
    std::string fn = absl::AsciiStrToLower(absl::StripAsciiWhitespace(inner.substr(0, open)));
    absl::string_view arg_text = inner.substr(open + 1, inner.size() - open - 2);
    std::vector<absl::string_view> args = absl::StrSplit(arg_text, ',');
    *is_placeholder = true;
    int n;
    if (fn == "wildcard") {
      if (args.size() != 1 || !ParseIntTrim(args[0], &n)) return false;
      indexes->push_back(n);
    } else if (fn == "partition") {
      if (args.size() < 2 || !ParseIntTrim(args[0], &n)) return false;
      for (size_t i = 1; i < args.size(); ++i) {
        if (!ParseIntTrim(args[i], &n)) return false;
        indexes->push_back(n);
      }
    } else if (fn == "splitfromleft" || fn == "splitfromright" || fn == "slicefromleft" ||
               fn == "slicefromright") {
      if (args.size() != 2 || !ParseIntTrim(args[0], &n)) return false;
      indexes->push_back(n);
      if (!ParseIntTrim(args[1], &n)) return false;
    } else if (fn == "split") {
      if (args.size() != 2 || !ParseIntTrim(args[0], &n)) return false;
      if (absl::StrContains(args[1], ' ') || absl::StrContains(args[1], '.')) return false;
      indexes->push_back(n);
    } else {
      return false;
    }
    return true;
  }
  return true;
}

}  // namespace

// nats-server newTransform's validity rules (the mapping is applied elsewhere).
bool ValidSubjectTransform(absl::string_view src, absl::string_view dest) {
  SubjectInfo s = Info(src);
  SubjectInfo d = Info(dest);
  if (!s.valid || !d.valid || d.partial_wildcards > 0 || s.full_wildcard != d.full_wildcard) {
    return false;
  }
  if (s.partial_wildcards == 0 && !s.full_wildcard) return true;
  int placeholders = 0;
  std::vector<int> indexes;
  for (const auto& token : d.tokens) {
    bool is_placeholder;
    if (!PlaceholderIndexes(token, &indexes, &is_placeholder)) return false;
    if (!is_placeholder) continue;
    ++placeholders;
    for (int i : indexes) {
      if (i > s.partial_wildcards) return false;
    }
  }
  return placeholders >= s.partial_wildcards;
}

bool IsValidName(absl::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    switch (c) {
      case ' ':
      case '\t':
      case '\r':
      case '\n':
      case '\f':
      case '.':
      case '*':
      case '>':
        return false;
      default:
        break;
    }
  }
  return true;
}

ApiStatus CheckStreamCreateRequest(absl::string_view subject_stream_name, const StreamConfig& cfg) {
  if (subject_stream_name != cfg.name) return Make(ErrorId::JSStreamMismatchErr);
  if (absl::StrContains(subject_stream_name, '\\') || absl::StrContains(subject_stream_name, '/')) {
    return Make(ErrorId::JSStreamNameContainsPathSeparatorsErr);
  }
  if (cfg.sealed) return Invalid("stream configuration for create can not be sealed");
  if (cfg.mirror_direct && !cfg.mirror) {
    return Invalid("stream has no mirror but does have mirror direct");
  }
  return ApiStatus::Ok();
}

ApiResult<StreamConfig> CheckStreamConfig(const StreamConfig& requested,
                                          const StreamCheckContext& ctx) {
  if (!IsValidName(requested.name)) {
    return Invalid("stream name is required and can not contain '.', '*', '>'");
  }
  if (requested.name.size() > kMaxNameLen) {
    return Invalid(absl::StrCat("stream name is too long, maximum allowed is ", kMaxNameLen));
  }
  if (requested.description.size() > kMaxDescriptionLen) {
    return Invalid(
        absl::StrCat("stream description is too long, maximum allowed is ", kMaxDescriptionLen));
  }

  StreamConfig cfg = requested;
  if (cfg.num_replicas == 0) cfg.num_replicas = 1;
  if (cfg.num_replicas > kStreamMaxReplicas) {
    return Invalid(absl::StrCat("maximum replicas is ", kStreamMaxReplicas));
  }
  if (cfg.num_replicas < 0) return Make(ErrorId::JSReplicasCountCannotBeNegative);
  if (cfg.max_msgs == 0) cfg.max_msgs = -1;
  if (cfg.max_msgs_per_subject == 0) cfg.max_msgs_per_subject = -1;
  if (cfg.max_bytes == 0) cfg.max_bytes = -1;
  if (cfg.max_msg_size == 0) cfg.max_msg_size = -1;
  if (cfg.max_consumers == 0) cfg.max_consumers = -1;

  const Nanos lim_dup = ctx.max_duplicate_window;
  if (cfg.duplicate_window.is_zero() && !cfg.mirror) {
    Nanos max_window = kDefaultDuplicateWindow;
    if (lim_dup.ns > 0 && max_window > lim_dup) max_window = lim_dup;
    if (!cfg.max_age.is_zero() && cfg.max_age < max_window) {
      cfg.duplicate_window = cfg.max_age;
    } else {
      cfg.duplicate_window = max_window;
    }
  }
  if (cfg.max_age.ns > 0 && cfg.max_age < k100ms) return Invalid("max age needs to be >= 100ms");
  if (cfg.duplicate_window.ns < 0) return Invalid("duplicates window can not be negative");
  if (!cfg.max_age.is_zero() && cfg.duplicate_window > cfg.max_age) {
    return Invalid("duplicates window can not be larger then max age");
  }
  if (lim_dup.ns > 0 && cfg.duplicate_window > lim_dup) {
    return Invalid(absl::StrCat("duplicates window can not be larger then server limit of ",
                                json::FormatGoDuration(lim_dup.ns)));
  }
  if (cfg.duplicate_window.ns > 0 && cfg.duplicate_window < k100ms) {
    return Invalid("duplicates window needs to be >= 100ms");
  }
  if (cfg.deny_purge && cfg.allow_rollup_hdrs) {
    return Invalid("roll-ups require the purge permission");
  }
  if (cfg.discard_new_per_subject) {
    if (cfg.discard != DiscardPolicy::kNew) {
      return Invalid("discard new per subject requires discard new policy to be set");
    }
    if (cfg.max_msgs_per_subject <= 0) {
      return Invalid("discard new per subject requires max msgs per subject > 0");
    }
  }

  auto lookup = [&](absl::string_view name) -> const StreamConfig* {
    return ctx.lookup_stream ? ctx.lookup_stream(name) : nullptr;
  };
  auto filter_overlaps = [](absl::string_view filter, const std::vector<std::string>& subs) {
    if (filter.empty() || subs.empty()) return true;
    for (const auto& s : subs) {
      if (Collide(s, filter)) return true;
    }
    return false;
  };

  std::vector<std::string> stream_subs;
  std::vector<std::string> delivery_prefixes;
  std::vector<std::string> api_prefixes;

  if (cfg.mirror) {
    if (!cfg.subjects.empty()) return Make(ErrorId::JSMirrorWithSubjectsErr);
    if (!cfg.sources.empty()) return Make(ErrorId::JSMirrorWithSourcesErr);
    const StreamConfig* origin = lookup(cfg.mirror->name);
    if (origin != nullptr) {
      stream_subs.insert(stream_subs.end(), origin->subjects.begin(), origin->subjects.end());
      if (cfg.max_msg_size > 0 && origin->max_msg_size > 0 &&
          cfg.max_msg_size < origin->max_msg_size) {
        return Make(ErrorId::JSMirrorMaxMessageSizeTooBigErr);
      }
      if (!ctx.recovering && !filter_overlaps(cfg.mirror->filter_subject, origin->subjects)) {
        return Invalid(absl::StrCat("mirror '", cfg.mirror->name, "' filter subject '",
                                    cfg.mirror->filter_subject,
                                    "' does not overlap with any origin stream subject"));
      }
      cfg.mirror_direct = origin->allow_direct;
    }
    if (cfg.mirror->external) {
      if (!cfg.mirror->external->deliver.empty()) {
        delivery_prefixes.push_back(cfg.mirror->external->deliver);
      }
      if (!cfg.mirror->external->api.empty()) api_prefixes.push_back(cfg.mirror->external->api);
    }
  }
  for (const auto& src : cfg.sources) {
    const StreamConfig* origin = lookup(src.name);
    if (origin != nullptr) {
      stream_subs.insert(stream_subs.end(), origin->subjects.begin(), origin->subjects.end());
      if (cfg.max_msg_size > 0 && origin->max_msg_size > 0 &&
          cfg.max_msg_size < origin->max_msg_size) {
        return Make(ErrorId::JSSourceMaxMessageSizeTooBigErr);
      }
      // nats-server checks against every origin subject gathered so far.
      if (!ctx.recovering && !filter_overlaps(src.filter_subject, stream_subs)) {
        return Invalid(absl::StrCat("source '", src.name, "' filter subject '", src.filter_subject,
                                    "' does not overlap with any origin stream subject"));
      }
    }
    if (!src.external) continue;
    if (!src.external->deliver.empty()) delivery_prefixes.push_back(src.external->deliver);
    if (!src.external->api.empty()) api_prefixes.push_back(src.external->api);
  }
  for (const auto& pfx : delivery_prefixes) {
    if (!subjects::IsValidPublishSubject(Sv(pfx))) {
      return Make(ErrorId::JSStreamInvalidExternalDeliverySubjErrF, pfx);
    }
    for (const auto& sub : stream_subs) {
      if (Collide(sub, absl::StrCat(pfx, ".", sub))) {
        return Make(ErrorId::JSStreamExternalDelPrefixOverlapsErrF, pfx, sub);
      }
    }
  }
  for (const auto& api_pfx : api_prefixes) {
    if (!subjects::IsValidPublishSubject(Sv(api_pfx))) {
      return Invalid(absl::StrCat("stream external api prefix ", Quote(api_pfx),
                                  " must be a valid subject without wildcards"));
    }
    if (Collide(api_pfx, "$JS.API")) {
      return Make(ErrorId::JSStreamExternalApiOverlapErrF, api_pfx, "$JS.API");
    }
  }

  // Source / mirror cycles through streams we can see.
  {
    std::vector<StreamConfig> to_visit{cfg};
    std::set<std::string> visited;
    for (size_t i = 0; i < to_visit.size(); ++i) {
      const StreamConfig current = to_visit[i];
      visited.insert(current.name);
      for (const auto& src : current.sources) {
        if (src.external) continue;
        if (visited.count(src.name) != 0) return Invalid("detected cycle");
        if (const StreamConfig* next = lookup(src.name)) to_visit.push_back(*next);
      }
      if (current.mirror && !current.mirror->external) {
        if (visited.count(current.mirror->name) != 0) return Invalid("detected cycle");
        if (const StreamConfig* next = lookup(current.mirror->name)) to_visit.push_back(*next);
      }
      if (to_visit.size() > 10000) break;  // defensive: configs seen by the engine are finite
    }
  }

  if (cfg.subjects.empty()) {
    if (!cfg.mirror && cfg.sources.empty()) cfg.subjects.push_back(cfg.name);
  } else {
    if (cfg.mirror) return Make(ErrorId::JSMirrorWithSubjectsErr);
    std::set<absl::string_view> seen;
    for (const auto& subj : cfg.subjects) {
      if (!seen.insert(subj).second) return Invalid("duplicate subjects detected");
      if (SubsetMatch(subj, "$JS.API.>")) return Invalid("subjects overlap with jetstream api");
      if (!subjects::IsValidSubject(Sv(subj))) return Invalid("invalid subject");
    }
  }
  if (cfg.subjects.empty() && cfg.sources.empty() && !cfg.mirror) {
    return Invalid("stream needs at least one configured subject or be a source/mirror");
  }

  const int64_t bytes_limit = cfg.storage == StorageType::kMemory ? ctx.memory_max_stream_bytes
                                                                  : ctx.storage_max_stream_bytes;
  if (ctx.max_bytes_required && cfg.max_bytes <= 0) {
    return Make(ErrorId::JSStreamMaxBytesRequired);
  } else if (bytes_limit > 0 && cfg.max_bytes > bytes_limit) {
    return Make(ErrorId::JSStreamMaxStreamBytesExceeded);
  }

  if (cfg.subjects.size() > 1) {
    for (const auto& subj : cfg.subjects) {
      for (const auto& tsubj : cfg.subjects) {
        if (tsubj != subj && Collide(tsubj, subj)) {
          return Invalid(absl::StrCat("subject ", Quote(subj), " overlaps with ", Quote(tsubj)));
        }
      }
    }
  }

  if (cfg.republish) {
    // (assign, not = ">": GCC 12 warns spuriously about the latter)
    if (cfg.republish->src.empty()) cfg.republish->src.assign(1, '>');
    bool src_valid = false;
    for (const auto& subj : cfg.subjects) {
      if (Collide(cfg.republish->src, subj)) {
        src_valid = true;
        break;
      }
    }
    if (!src_valid) {
      return Invalid("stream configuration for republish source is not valid subset of subjects");
    }
    for (const auto& subj : cfg.subjects) {
      if (Collide(cfg.republish->dest, subj)) {
        return Invalid("stream configuration for republish destination forms a cycle");
      }
    }
    if (!ValidSubjectTransform(cfg.republish->src, cfg.republish->dest)) {
      return Invalid("stream configuration for republish not valid");
    }
  }

  // Newer than 2.9.10: the stream's own subject transform.
  if (cfg.subject_transform && !cfg.subject_transform->dest.empty()) {
    absl::string_view src =
        cfg.subject_transform->src.empty() ? absl::string_view(">") : cfg.subject_transform->src;
    if (!ValidSubjectTransform(src, cfg.subject_transform->dest)) {
      return Make(ErrorId::JSStreamTransformInvalidDestination, "invalid subject transform");
    }
  }
  return cfg;
}

ApiResult<StreamConfig> CheckStreamUpdate(const StreamConfig& old, const StreamConfig& updated) {
  StreamConfig cfg = updated;
  if (cfg.name != old.name) return Invalid("stream configuration name must match original");
  if (cfg.max_consumers != old.max_consumers) {
    return Invalid("stream configuration update can not change MaxConsumers");
  }
  if (cfg.storage != old.storage) {
    return Invalid("stream configuration update can not change storage type");
  }
  if (cfg.retention != old.retention) {
    return Invalid("stream configuration update can not change retention policy");
  }
  if (!old.template_owner.empty()) {
    return Invalid("stream configuration update not allowed on template owned stream");
  }
  if (!cfg.template_owner.empty()) {
    return Invalid("stream configuration update can not be owned by a template");
  }
  if (!cfg.sealed && old.sealed) {
    return Invalid("stream configuration update can not unseal a sealed stream");
  }
  if (!cfg.deny_delete && old.deny_delete) {
    return Invalid("stream configuration update can not cancel deny message deletes");
  }
  if (!cfg.deny_purge && old.deny_purge) {
    return Invalid("stream configuration update can not cancel deny purge");
  }
  if (cfg.mirror != old.mirror) return Make(ErrorId::JSStreamMirrorNotUpdatableErr);
  if (cfg.republish != old.republish) {
    return Invalid("stream configuration update can not change RePublish");
  }
  if (cfg.discard_new_per_subject) {
    if (cfg.discard != DiscardPolicy::kNew) {
      return Invalid("discard new per subject requires discard new policy to be set");
    }
    if (cfg.max_msgs_per_subject <= 0) {
      return Invalid("discard new per subject requires max msgs per subject > 0");
    }
  }
  if (cfg.sealed) {
    cfg.max_age = Nanos{0};
    cfg.discard = DiscardPolicy::kNew;
    cfg.deny_delete = true;
    cfg.deny_purge = true;
    cfg.allow_rollup_hdrs = false;
  }
  return cfg;
}

bool StreamConfigsEqual(const StreamConfig& a, const StreamConfig& b) { return a == b; }

bool StreamSubjectsOverlap(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (const auto& x : a) {
    for (const auto& y : b) {
      if (Collide(x, y)) return true;
    }
  }
  return false;
}

ApiStatus CheckStreamBytesLimits(const BytesLimitsInput& in) {
  const int64_t replicas = in.replicas < 1 ? 1 : in.replicas;
  const int64_t add = in.add_bytes < 0 ? 1 : in.add_bytes;
  const int64_t total = add * replicas + in.max_bytes_offset;
  const ErrorId id = in.storage == StorageType::kMemory ? ErrorId::JSMemoryResourcesExceededErr
                                                        : ErrorId::JSStorageResourcesExceededErr;
  if (in.storage != StorageType::kMemory && in.storage != StorageType::kFile) return {};
  if (in.account_max >= 0 && in.account_reserved + total > in.account_max) return Make(id);
  if (in.check_server && in.server_reserved + add > in.server_max) return Make(id);
  return {};
}

}  // namespace meridian::jetstream::api
