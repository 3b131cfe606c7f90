#include "tests/bench/loadgen/frame_reader.h"

#include <algorithm>
#include <cstring>

namespace meridian::loadgen {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

// True when `line` starts with `op` (case-insensitive) followed by a
// separator or the end; sets *args to the rest.
bool MatchOp(std::string_view line, std::string_view op, std::string_view* args) {
  if (line.size() < op.size()) return false;
  for (size_t i = 0; i < op.size(); ++i) {
    if ((line[i] | 0x20) != op[i]) return false;
  }
  if (line.size() > op.size() && !IsSpace(line[op.size()])) return false;
  *args = line.substr(op.size());
  return true;
}

// Splits on runs of spaces/tabs; returns the count, or -1 when over `max`.
int Split(std::string_view s, std::string_view* out, int max) {
  int n = 0;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && IsSpace(s[i])) ++i;
    if (i == s.size()) break;
    size_t start = i;
    while (i < s.size() && !IsSpace(s[i])) ++i;
    if (n == max) return -1;
    out[n++] = s.substr(start, i - start);
  }
  return n;
}

bool ParseSize(std::string_view s, size_t* out) {
  if (s.empty() || s.size() > 10) return false;
  size_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<size_t>(c - '0');
  }
  *out = v;
  return true;
}

int SidIndex(std::string_view sid) {
  if (sid.size() == 1 && sid[0] >= '0' && sid[0] < '0' + FrameReader::kMaxSid) return sid[0] - '0';
  return 0;
}

// Re-points `v` (a view into [from, ...)) at the same offset in `to`.
std::string_view Rebase(std::string_view v, const char* from, const std::string& to) {
  if (v.empty()) return v;
  return std::string_view(to.data() + (v.data() - from), v.size());
}

}  // namespace

const char* FeedStatusText(FeedStatus status) {
  switch (status) {
    case FeedStatus::kOk:
      return "ok";
    case FeedStatus::kProtocolError:
      return "protocol error (unparsable frame)";
    case FeedStatus::kLineTooLong:
      return "control line too long";
    case FeedStatus::kPayloadTooLarge:
      return "payload too large";
  }
  return "unknown";
}

FeedStatus FrameReader::Feed(const char* data, size_t len) {
  const char* p = data;
  const char* const end = data + len;
  while (p < end) {
    if (in_payload_) {
      size_t take = std::min(payload_left_, static_cast<size_t>(end - p));
      // The frame's last two bytes must be CRLF.
      if (payload_left_ >= 2 && payload_left_ - 2 < take && p[payload_left_ - 2] != '\r') {
        return FeedStatus::kProtocolError;
      }
      if (payload_left_ - 1 < take && p[payload_left_ - 1] != '\n') return FeedStatus::kProtocolError;
      if (on_frame_) payload_buf_.append(p, take);
      p += take;
      payload_left_ -= take;
      if (payload_left_ == 0) {
        in_payload_ = false;
        if (on_frame_) payload_buf_.resize(payload_buf_.size() - 2);
        FinishFrame(payload_buf_, pending_size_);
      }
      continue;
    }
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    if (nl == nullptr) {
      if (line_buf_.size() + static_cast<size_t>(end - p) > kMaxLine) return FeedStatus::kLineTooLong;
      line_buf_.append(p, static_cast<size_t>(end - p));
      return FeedStatus::kOk;
    }
    std::string_view line;
    if (line_buf_.empty()) {
      line = std::string_view(p, static_cast<size_t>(nl - p));
    } else {
      line_buf_.append(p, static_cast<size_t>(nl - p));
      line = line_buf_;
    }
    p = nl + 1;
    if (line.size() > kMaxLine) return FeedStatus::kLineTooLong;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    FeedStatus status;
    if (!on_frame_ && FastLine(line, &p, end, &status)) {
      line_buf_.clear();
      if (status != FeedStatus::kOk) return status;
      continue;
    }
    status = HandleLine(line, &p, end);
    line_buf_.clear();
    if (status != FeedStatus::kOk) return status;
  }
  return FeedStatus::kOk;
}

bool FrameReader::FastLine(std::string_view line, const char** p, const char* end, FeedStatus* status) {
  // Canonical "MSG subject sid [reply] size" / "PUB subject [reply] size"
  // with single spaces; anything else goes to the general parser.
  if (line.size() < 8) return false;
  const bool is_msg = std::memcmp(line.data(), "MSG ", 4) == 0;
  if (!is_msg && std::memcmp(line.data(), "PUB ", 4) != 0) return false;
  const char* b = line.data() + 4;
  const char* e = line.data() + line.size();
  const char* q = e;
  while (q > b && static_cast<unsigned>(q[-1] - '0') < 10) --q;
  if (q == e || e - q > 9 || q - b < 2 || q[-1] != ' ') return false;
  size_t size = 0;
  for (const char* d = q; d < e; ++d) size = size * 10 + static_cast<size_t>(*d - '0');
  const char* rest_end = q - 1;  // the space before the size
  const char* sp = static_cast<const char*>(std::memchr(b, ' ', static_cast<size_t>(rest_end - b)));
  if (is_msg) {
    // subject [b, sp), sid (sp, sp2), optional reply (sp2, rest_end)
    if (sp == nullptr || sp == b || sp + 1 >= rest_end) return false;
    const char* sid = sp + 1;
    const char* sp2 = static_cast<const char*>(std::memchr(sid, ' ', static_cast<size_t>(rest_end - sid)));
    if (sp2 == sid) return false;
    if (sp2 != nullptr &&
        (sp2 + 1 >= rest_end || std::memchr(sp2 + 1, ' ', static_cast<size_t>(rest_end - sp2 - 1)) != nullptr)) {
      return false;
    }
    const char* sid_end = sp2 != nullptr ? sp2 : rest_end;
    pending_sid_ = SidIndex(std::string_view(sid, static_cast<size_t>(sid_end - sid)));
  } else {
    // subject [b, sp) and optional reply (sp, rest_end), or subject alone
    if (sp == b) return false;
    if (sp != nullptr &&
        (sp + 1 >= rest_end || std::memchr(sp + 1, ' ', static_cast<size_t>(rest_end - sp - 1)) != nullptr)) {
      return false;
    }
    pending_sid_ = 0;
  }
  if (std::memchr(b, '\t', static_cast<size_t>(rest_end - b)) != nullptr) return false;
  *status = FeedStatus::kOk;
  pending_size_ = size;
  const size_t need = size + 2;
  if (static_cast<size_t>(end - *p) >= need) {
    const char* data = *p;
    if (data[size] != '\r' || data[size + 1] != '\n') {
      *status = FeedStatus::kProtocolError;
      return true;
    }
    *p += need;
    ++frames_;
    data_bytes_ += size;
    ++sid_frames_[pending_sid_];
    return true;
  }
  in_payload_ = true;
  payload_left_ = need;
  return true;
}

FeedStatus FrameReader::HandleLine(std::string_view line, const char** p, const char* end) {
  if (line.empty()) return FeedStatus::kProtocolError;
  std::string_view args;
  switch (line[0] | 0x20) {
    case 'm':
      if (MatchOp(line, "msg", &args)) return StartPayload(Op::kMsg, args, p, end);
      break;
    case 'h':
      if (MatchOp(line, "hmsg", &args)) return StartPayload(Op::kHmsg, args, p, end);
      if (MatchOp(line, "hpub", &args)) return StartPayload(Op::kHpub, args, p, end);
      break;
    case 'p':
      if (MatchOp(line, "pub", &args)) return StartPayload(Op::kPub, args, p, end);
      if (MatchOp(line, "ping", &args)) {
        ++pings_;
        return FeedStatus::kOk;
      }
      if (MatchOp(line, "pong", &args)) {
        ++pongs_;
        return FeedStatus::kOk;
      }
      break;
    case 'i':
      if (MatchOp(line, "info", &args)) {
        ++infos_;
        return FeedStatus::kOk;
      }
      break;
    case 'c':
      if (MatchOp(line, "connect", &args)) return FeedStatus::kOk;
      break;
    case 's':
      if (MatchOp(line, "sub", &args)) return FeedStatus::kOk;
      break;
    case 'u':
      if (MatchOp(line, "unsub", &args)) return FeedStatus::kOk;
      break;
    case '+':
      if (MatchOp(line, "+ok", &args)) {
        ++oks_;
        return FeedStatus::kOk;
      }
      break;
    case '-':
      if (MatchOp(line, "-err", &args)) {
        if (errs_++ == 0) {
          while (!args.empty() && IsSpace(args.front())) args.remove_prefix(1);
          if (args.size() >= 2 && args.front() == '\'' && args.back() == '\'') args = args.substr(1, args.size() - 2);
          first_error_.assign(args);
        }
        return FeedStatus::kOk;
      }
      break;
    default:
      break;
  }
  return FeedStatus::kProtocolError;
}

FeedStatus FrameReader::StartPayload(Op op, std::string_view args, const char** p, const char* end) {
  // Token layout: MSG subject sid [reply] size; HMSG subject sid [reply] hdr
  // total; PUB subject [reply] size; HPUB subject [reply] hdr total.
  const bool is_msg = op == Op::kMsg || op == Op::kHmsg;
  const bool has_hdr = op == Op::kHmsg || op == Op::kHpub;
  const int fixed = 2 + (is_msg ? 1 : 0) + (has_hdr ? 1 : 0);  // tokens without the reply
  std::string_view tok[5];
  const int n = Split(args, tok, 5);
  if (n != fixed && n != fixed + 1) return FeedStatus::kProtocolError;
  size_t size = 0;
  size_t hdr = 0;
  if (!ParseSize(tok[n - 1], &size)) return FeedStatus::kProtocolError;
  if (has_hdr && (!ParseSize(tok[n - 2], &hdr) || hdr > size)) return FeedStatus::kProtocolError;
  if (size > kMaxPayload) return FeedStatus::kPayloadTooLarge;
  pending_sid_ = is_msg ? SidIndex(tok[1]) : 0;
  pending_size_ = size;
  const size_t need = size + 2;
  const bool whole = static_cast<size_t>(end - *p) >= need;
  if (on_frame_) {
    Frame& f = pending_frame_;
    f.op = op;
    f.subject = tok[0];
    f.sid = is_msg ? tok[1] : std::string_view();
    f.reply = n == fixed + 1 ? tok[is_msg ? 2 : 1] : std::string_view();
    f.header_bytes = hdr;
    if (!whole) {
      // The views die with this read: keep a copy for the callback.
      pending_line_.assign(args);
      f.subject = Rebase(f.subject, args.data(), pending_line_);
      f.sid = Rebase(f.sid, args.data(), pending_line_);
      f.reply = Rebase(f.reply, args.data(), pending_line_);
      payload_buf_.clear();
      payload_buf_.reserve(need);
    }
  }
  if (whole) {
    // Fast path: the whole payload is in this read.
    const char* data = *p;
    if (data[size] != '\r' || data[size + 1] != '\n') return FeedStatus::kProtocolError;
    *p += need;
    FinishFrame(std::string_view(data, size), size);
    return FeedStatus::kOk;
  }
  in_payload_ = true;
  payload_left_ = need;
  return FeedStatus::kOk;
}

void FrameReader::FinishFrame(std::string_view data, size_t size) {
  ++frames_;
  data_bytes_ += size;
  ++sid_frames_[pending_sid_];
  if (on_frame_) {
    pending_frame_.data = data;
    on_frame_(pending_frame_);
  }
}

}  // namespace meridian::loadgen
