#include "services/jetstream/api/requests.h"

#include <limits>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "services/jetstream/api/go_decode.h"

namespace meridian::jetstream::api {
namespace {

using internal::GoDecoder;

// Go's strconv.Atoi: optional sign, decimal digits, int64 range.
bool GoAtoi(absl::string_view s, int64_t* out) {
  absl::string_view digits = s;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) digits.remove_prefix(1);
  if (digits.empty()) return false;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
  }
  return absl::SimpleAtoi(s, out);
}

// Parses `body` (already known to be non-empty JSON text) and decodes it;
// on failure returns the Go error text.
template <typename Decode>
bool DecodeBody(absl::string_view body, absl::string_view go_struct, absl::string_view go_type,
                Decode decode, std::string* go_error) {
  json::Value v;
  if (!internal::ParseGoJson(body, &v, go_error)) return false;
  GoDecoder d(go_struct, go_type);
  decode(d, v);
  if (!d.ok()) {
    *go_error = d.error();
    return false;
  }
  return true;
}

}  // namespace

bool IsEmptyRequest(absl::string_view body) {
  if (body.empty() || body == "{}") return true;
  json::Value v;
  std::string err;
  if (!internal::ParseGoJson(body, &v, &err)) return false;
  return v.is_object() && v.size() == 0;
}

absl::StatusOr<PullRequest> ParsePullRequest(absl::string_view body) {
  absl::string_view req = absl::StripAsciiWhitespace(body);
  PullRequest out;
  if (req.empty()) return out;
  if (req[0] == '{') {
    out.batch = 0;
    std::string err;
    bool ok = DecodeBody(
        req, "JSApiConsumerGetNextRequest", "server.JSApiConsumerGetNextRequest",
        [&](GoDecoder& d, const json::Value& v) {
          d.Fields(v,
                   {"expires", "batch", "max_bytes", "no_wait", "idle_heartbeat", "group",
                    "min_pending", "min_ack_pending", "id", "priority"},
                   [&](absl::string_view f, const json::Value& fv) {
                     if (f == "expires")
                       d.Duration(fv, &out.expires);
                     else if (f == "batch")
                       d.Int(fv, &out.batch);
                     else if (f == "max_bytes")
                       d.Int(fv, &out.max_bytes);
                     else if (f == "no_wait")
                       d.Bool(fv, &out.no_wait);
                     else if (f == "idle_heartbeat")
                       d.Duration(fv, &out.idle_heartbeat);
                     else if (f == "group")
                       d.String(fv, &out.group);
                     else if (f == "min_pending")
                       d.Int(fv, &out.min_pending, "int64");
                     else if (f == "min_ack_pending")
                       d.Int(fv, &out.min_ack_pending, "int64");
                     else if (f == "id")
                       d.String(fv, &out.id);
                     else
                       d.Int(fv, &out.priority);
                   });
        },
        &err);
    if (!ok) return absl::InvalidArgumentError(err);
    if (out.idle_heartbeat.ns > 0 && out.idle_heartbeat.ns * 2 > out.expires.ns) {
      return absl::InvalidArgumentError("heartbeat value too large");
    }
    return out;
  }
  int64_t n;
  if (GoAtoi(req, &n)) out.batch = n;
  return out;
}

std::string PullRequestBadRequestStatus(const absl::Status& status) {
  return absl::StrCat("400 Bad Request - ", status.message());
}

ApiResult<std::optional<PurgeRequest>> ParsePurgeRequest(absl::string_view body) {
  if (IsEmptyRequest(body)) return std::optional<PurgeRequest>();
  PurgeRequest req;
  std::string err;
  bool ok = DecodeBody(
      body, "JSApiStreamPurgeRequest", "server.JSApiStreamPurgeRequest",
      [&](GoDecoder& d, const json::Value& v) {
        d.Fields(v, {"seq", "filter", "keep"}, [&](absl::string_view f, const json::Value& fv) {
          if (f == "seq")
            d.StreamSeq(fv, &req.seq);
          else if (f == "filter")
            d.String(fv, &req.filter);
          else
            d.Uint(fv, &req.keep);
        });
      },
      &err);
  if (!ok) return internal::InvalidJsonError(err);
  if (req.seq.value > 0 && req.keep > 0) return Make(ErrorId::JSBadRequestErr);
  return std::optional<PurgeRequest>(std::move(req));
}

namespace {

bool DecodeMsgGet(absl::string_view body, MsgGetRequest* req, std::string* err) {
  return DecodeBody(
      body, "JSApiMsgGetRequest", "server.JSApiMsgGetRequest",
      [&](GoDecoder& d, const json::Value& v) {
        d.Fields(v, {"seq", "last_by_subj", "next_by_subj"},
                 [&](absl::string_view f, const json::Value& fv) {
                   if (f == "seq")
                     d.StreamSeq(fv, &req->seq);
                   else if (f == "last_by_subj")
                     d.String(fv, &req->last_by_subj);
                   else
                     d.String(fv, &req->next_by_subj);
                 });
      },
      err);
}

}  // namespace

ApiResult<MsgGetRequest> ParseMsgGetRequest(absl::string_view body) {
  if (IsEmptyRequest(body)) return Make(ErrorId::JSBadRequestErr);
  MsgGetRequest req;
  std::string err;
  if (!DecodeMsgGet(body, &req, &err)) return internal::InvalidJsonError(err);
  const bool has_seq = req.seq.value > 0;
  if ((has_seq && !req.last_by_subj.empty()) ||
      (!has_seq && req.last_by_subj.empty() && req.next_by_subj.empty())) {
    return Make(ErrorId::JSBadRequestErr);
  }
  if (!req.last_by_subj.empty() && !req.next_by_subj.empty()) return Make(ErrorId::JSBadRequestErr);
  return req;
}

DirectGetParse ParseDirectGetRequest(absl::string_view body) {
  DirectGetParse out;
  if (body.empty()) {
    out.status = "408 Empty Request";
    return out;
  }
  MsgGetRequest req;
  std::string err;
  if (!DecodeMsgGet(body, &req, &err)) {
    out.status = "408 Malformed Request";
    return out;
  }
  const bool has_seq = req.seq.value > 0;
  if (!has_seq && req.last_by_subj.empty() && req.next_by_subj.empty()) {
    out.status = "408 Empty Request";
  } else if (has_seq && !req.last_by_subj.empty()) {
    out.status = "408 Bad Request";
  } else if (!req.last_by_subj.empty() && !req.next_by_subj.empty()) {
    out.status = "408 Bad Request";
  } else {
    out.request = std::move(req);
  }
  return out;
}

DirectGetParse ParseDirectGetLastBySubject(absl::string_view api_subject, absl::string_view body) {
  DirectGetParse out;
  if (!body.empty()) {
    out.status = "408 Bad Request";
    return out;
  }
  // $JS.API.DIRECT.GET.<stream>.<key...>: the key follows the 5th dot.
  size_t pos = 0;
  for (int dots = 0; dots < 5; ++dots) {
    pos = api_subject.find('.', pos);
    if (pos == absl::string_view::npos) break;
    ++pos;
  }
  if (pos == absl::string_view::npos || pos >= api_subject.size()) {
    out.status = "408 Bad Request";
    return out;
  }
  MsgGetRequest req;
  req.last_by_subj = std::string(api_subject.substr(pos));
  out.request = std::move(req);
  return out;
}

ApiResult<MsgDeleteRequest> ParseMsgDeleteRequest(absl::string_view body) {
  if (IsEmptyRequest(body)) return Make(ErrorId::JSBadRequestErr);
  MsgDeleteRequest req;
  std::string err;
  bool ok = DecodeBody(
      body, "JSApiMsgDeleteRequest", "server.JSApiMsgDeleteRequest",
      [&](GoDecoder& d, const json::Value& v) {
        d.Fields(v, {"seq", "no_erase"}, [&](absl::string_view f, const json::Value& fv) {
          if (f == "seq")
            d.StreamSeq(fv, &req.seq);
          else
            d.Bool(fv, &req.no_erase);
        });
      },
      &err);
  if (!ok) return internal::InvalidJsonError(err);
  return req;
}

ApiResult<ListRequest> ParseListRequest(absl::string_view body) {
  ListRequest req;
  if (IsEmptyRequest(body)) return req;
  std::string err;
  bool ok = DecodeBody(
      body, "JSApiStreamNamesRequest", "server.JSApiStreamNamesRequest",
      [&](GoDecoder& d, const json::Value& v) {
        d.Fields(v, {"offset", "subject"}, [&](absl::string_view f, const json::Value& fv) {
          if (f == "offset")
            d.Int(fv, &req.offset);
          else
            d.String(fv, &req.subject);
        });
      },
      &err);
  if (!ok) return internal::InvalidJsonError(err);
  return req;
}

PageRange ComputePage(int64_t total, int64_t offset, int64_t limit) {
  PageRange r;
  if (total < 0) total = 0;
  r.offset = offset < 0 ? 0 : (offset > total ? total : offset);
  r.begin = r.offset;
  r.end = limit > 0 && total - r.begin > limit ? r.begin + limit : total;
  return r;
}

ApiResult<StreamInfoRequest> ParseStreamInfoRequest(absl::string_view body) {
  StreamInfoRequest req;
  if (IsEmptyRequest(body)) return req;
  std::string err;
  bool ok = DecodeBody(
      body, "JSApiStreamInfoRequest", "server.JSApiStreamInfoRequest",
      [&](GoDecoder& d, const json::Value& v) {
        d.Fields(v, {"offset", "deleted_details", "subjects_filter"},
                 [&](absl::string_view f, const json::Value& fv) {
                   if (f == "offset")
                     d.Int(fv, &req.offset);
                   else if (f == "deleted_details")
                     d.Bool(fv, &req.deleted_details);
                   else
                     d.String(fv, &req.subjects_filter);
                 });
      },
      &err);
  if (!ok) return internal::InvalidJsonError(err);
  return req;
}

// --- Ack payloads -------------------------------------------------------------

AckPayload ParseAckPayload(absl::string_view payload) {
  AckPayload out;
  if (payload.empty() || payload == "+ACK" || payload == "+OK") {
    out.kind = AckKind::kAck;
  } else if (absl::StartsWith(payload, "+NXT")) {
    out.kind = AckKind::kNext;
    out.next_request = std::string(payload.substr(4));
  } else if (absl::StartsWith(payload, "-NAK")) {
    out.kind = AckKind::kNak;
    absl::string_view arg = absl::StripAsciiWhitespace(payload.substr(4));
    if (!arg.empty()) {
      if (arg[0] == '{') {
        Nanos delay;
        std::string err;
        bool ok = DecodeBody(
            arg, "ConsumerNakOptions", "server.ConsumerNakOptions",
            [&](GoDecoder& d, const json::Value& v) {
              d.Fields(v, {"delay"},
                       [&](absl::string_view, const json::Value& fv) { d.Duration(fv, &delay); });
            },
            &err);
        if (ok) out.nak_delay = delay;
      } else if (auto d = ParseGoDuration(arg); d.ok()) {
        out.nak_delay = *d;
      }
    }
  } else if (payload == "+WPI") {
    out.kind = AckKind::kProgress;
  } else if (payload == "+TERM") {
    out.kind = AckKind::kTerm;
  } else if (absl::StartsWith(payload, "+TERM ")) {
    out.kind = AckKind::kTerm;
    out.term_reason = std::string(absl::StripAsciiWhitespace(payload.substr(6)));
  }
  return out;
}

absl::StatusOr<Nanos> ParseGoDuration(absl::string_view text) {
  const std::string orig(text);
  auto invalid = [&]() {
    return absl::InvalidArgumentError(absl::StrCat("time: invalid duration \"", orig, "\""));
  };
  absl::string_view s = text;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return Nanos{0};
  if (s.empty()) return invalid();
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  uint64_t total = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || (s[0] >= '0' && s[0] <= '9'))) return invalid();
    // Integer part.
    uint64_t v = 0;
    size_t i = 0;
    bool overflow = false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (v > (kMax - (s[i] - '0')) / 10) overflow = true;
      v = v * 10 + (s[i] - '0');
      ++i;
    }
    if (overflow) return invalid();
    const bool pre = i > 0;
    s.remove_prefix(i);
    // Fraction.
    uint64_t f = 0;
    double scale = 1;
    bool post = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      size_t j = 0;
      bool overflow_frac = false;
      while (j < s.size() && s[j] >= '0' && s[j] <= '9') {
        if (!overflow_frac) {
          if (f > (kMax - 9) / 10) {
            overflow_frac = true;
          } else {
            f = f * 10 + (s[j] - '0');
            scale *= 10;
          }
        }
        ++j;
      }
      post = j > 0;
      s.remove_prefix(j);
    }
    if (!pre && !post) return invalid();
    // Unit.
    size_t k = 0;
    while (k < s.size() && s[k] != '.' && !(s[k] >= '0' && s[k] <= '9')) ++k;
    if (k == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("time: missing unit in duration \"", orig, "\""));
    }
    absl::string_view unit = s.substr(0, k);
    s.remove_prefix(k);
    uint64_t unit_ns;
    if (unit == "ns")
      unit_ns = 1;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs")
      unit_ns = 1000;
    else if (unit == "ms")
      unit_ns = 1000 * 1000;
    else if (unit == "s")
      unit_ns = 1000ull * 1000 * 1000;
    else if (unit == "m")
      unit_ns = 60ull * 1000 * 1000 * 1000;
    else if (unit == "h")
      unit_ns = 3600ull * 1000 * 1000 * 1000;
    else {
      return absl::InvalidArgumentError(
          absl::StrCat("time: unknown unit \"", unit, "\" in duration \"", orig, "\""));
    }
    if (v > kMax / unit_ns) return invalid();
    v *= unit_ns;
    if (f > 0) {
      v += static_cast<uint64_t>(static_cast<double>(f) * (static_cast<double>(unit_ns) / scale));
      if (v > kMax) return invalid();
    }
    total += v;
    if (total > kMax) return invalid();
  }
  const int64_t ns = static_cast<int64_t>(total);
  return Nanos{neg ? -ns : ns};
}

// --- $JS.ACK subjects -------------------------------------------------------

void AppendAckSubject(const AckSubject& a, std::string* out) {
  absl::StrAppend(out, "$JS.ACK.", a.stream, ".", a.consumer, ".", a.delivered, ".",
                  a.stream_seq.value, ".", a.consumer_seq.value, ".", a.timestamp_ns, ".",
                  a.pending);
}

std::string BuildAckSubject(const AckSubject& ack) {
  std::string out;
  AppendAckSubject(ack, &out);
  return out;
}

std::optional<AckSubjectRef> ParseAckSubjectRef(absl::string_view subject) {
  // Hot path (every ack): no split into a vector, no copies.
  constexpr absl::string_view kPrefix = "$JS.ACK.";
  if (!absl::StartsWith(subject, kPrefix)) return std::nullopt;
  absl::string_view rest = subject.substr(kPrefix.size());
  absl::string_view t[7];
  for (int i = 0; i < 7; ++i) {
    const size_t dot = rest.find('.');
    if ((dot == absl::string_view::npos) != (i == 6)) return std::nullopt;  // exactly 9 tokens
    t[i] = rest.substr(0, dot);
    rest = dot == absl::string_view::npos ? absl::string_view() : rest.substr(dot + 1);
  }
  auto num = [](absl::string_view s, uint64_t* v) {
    if (s.empty() || s.size() > 20) return false;
    uint64_t n = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return false;
      // Only a 20-digit number can overflow; the builtins cost no division.
      if (__builtin_mul_overflow(n, 10u, &n) ||
          __builtin_add_overflow(n, static_cast<uint64_t>(c - '0'), &n)) {
        return false;
      }
    }
    *v = n;
    return true;
  };
  AckSubjectRef a;
  a.stream = t[0];
  a.consumer = t[1];
  uint64_t ts = 0;
  if (!num(t[2], &a.delivered) || !num(t[3], &a.stream_seq.value) ||
      !num(t[4], &a.consumer_seq.value) || !num(t[5], &ts) || !num(t[6], &a.pending)) {
    return std::nullopt;
  }
  a.timestamp_ns = static_cast<int64_t>(ts);
  return a;
}

std::optional<AckSubject> ParseAckSubject(absl::string_view subject) {
  std::optional<AckSubjectRef> r = ParseAckSubjectRef(subject);
  if (!r.has_value()) return std::nullopt;
  AckSubject a;
  a.stream = std::string(r->stream);
  a.consumer = std::string(r->consumer);
  a.delivered = r->delivered;
  a.stream_seq = r->stream_seq;
  a.consumer_seq = r->consumer_seq;
  a.timestamp_ns = r->timestamp_ns;
  a.pending = r->pending;
  return a;
}

}  // namespace meridian::jetstream::api
