#include "common/http/wire.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace meridian::http {
namespace {

constexpr std::array<bool, 256> MakeTokenTable() {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (char c : absl::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}
constexpr std::array<bool, 256> kToken = MakeTokenTable();

bool IsToken(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!kToken[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

ParseOutcome Error(int status, std::string detail = "") {
  ParseOutcome o;
  o.kind = ParseOutcome::kError;
  o.error_status = status;
  o.error_detail = std::move(detail);
  return o;
}

// Splits "/a/b?x=1" into path and query and decodes the path.
bool SplitTarget(absl::string_view target, Request* out) {
  absl::string_view rest = target;
  if (rest.empty()) return false;
  if (rest[0] != '/') {
    if (rest == "*") {
      out->path = "*";
      out->raw_query.clear();
      return true;
    }
    // absolute-form: http://host[:port]/path?query
    size_t scheme_end = rest.find("://");
    if (scheme_end == absl::string_view::npos) return false;
    absl::string_view scheme = rest.substr(0, scheme_end);
    if (!absl::EqualsIgnoreCase(scheme, "http") && !absl::EqualsIgnoreCase(scheme, "https")) {
      return false;
    }
    rest.remove_prefix(scheme_end + 3);
    size_t slash = rest.find_first_of("/?");
    if (slash == absl::string_view::npos) {
      rest = "/";
    } else {
      rest.remove_prefix(slash);
      if (rest[0] == '?') {
        out->raw_query = std::string(rest.substr(1));
        out->path = "/";
        return true;
      }
    }
  }
  absl::string_view path = rest;
  out->raw_query.clear();
  if (size_t q = rest.find('?'); q != absl::string_view::npos) {
    path = rest.substr(0, q);
    out->raw_query = std::string(rest.substr(q + 1));
  }
  return UrlDecode(path, /*plus_as_space=*/false, &out->path);
}

absl::string_view TrimOws(absl::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

ParseOutcome RequestParser::Parse(absl::string_view buffer, Request* out) {
  // Tolerate empty lines before the request line (RFC 9112 2.2).
  size_t start = 0;
  while (start < buffer.size() && (buffer[start] == '\r' || buffer[start] == '\n')) ++start;

  // Find the empty line that ends the head: "\n\n" or "\n\r\n".
  size_t head_end = head_end_;  // one past the terminating newline; 0 = not found yet
  for (size_t i = std::max(scanned_, start); head_end == 0;) {
    const void* nl = i < buffer.size() ? memchr(buffer.data() + i, '\n', buffer.size() - i) : nullptr;
    if (nl == nullptr) {
      scanned_ = buffer.size();
      break;
    }
    i = static_cast<size_t>(static_cast<const char*>(nl) - buffer.data());
    if (i + 1 < buffer.size() && buffer[i + 1] == '\n') {
      head_end = i + 2;
    } else if (i + 2 < buffer.size() && buffer[i + 1] == '\r' && buffer[i + 2] == '\n') {
      head_end = i + 3;
    } else if (i + 2 >= buffer.size()) {  // can't tell yet: look at this newline again
      scanned_ = i;
      break;
    } else {
      ++i;
    }
  }
  if (head_end == 0) {
    if (buffer.size() - start > limits_.max_head_bytes) return Error(431);
    return {};
  }
  if (head_end - start > limits_.max_head_bytes) return Error(431);

  // Lines of the head, without their "\r\n" / "\n".
  std::vector<absl::string_view> lines;
  {
    absl::string_view head = buffer.substr(start, head_end - start);
    size_t pos = 0;
    while (pos < head.size()) {
      size_t nl = head.find('\n', pos);
      absl::string_view line = head.substr(pos, nl - pos);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      lines.push_back(line);
      pos = nl + 1;
    }
    if (!lines.empty() && lines.back().empty()) lines.pop_back();
  }
  if (lines.empty()) return Error(400, "malformed HTTP request");

  *out = Request{};
  // Request line: METHOD SP request-target SP HTTP-version
  absl::string_view line = lines[0];
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == absl::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == absl::string_view::npos || line.find(' ', sp2 + 1) != absl::string_view::npos) {
    return Error(400, "malformed HTTP request");
  }
  absl::string_view method = line.substr(0, sp1);
  absl::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  absl::string_view version = line.substr(sp2 + 1);
  if (!IsToken(method)) return Error(400, "invalid method");
  for (char c : target) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F) return Error(400, "invalid request URI");
  }
  if (version.size() != 8 || !absl::StartsWith(version, "HTTP/") || !absl::ascii_isdigit(version[5]) ||
      version[6] != '.' || !absl::ascii_isdigit(version[7])) {
    return Error(400, "malformed HTTP version");
  }
  if (version[5] != '1') return Error(505, "unsupported protocol version");
  out->version_minor = version[7] - '0';
  out->method = std::string(method);
  out->target = std::string(target);
  if (!SplitTarget(target, out)) return Error(400, "invalid request URI");
  out->query = ParseQuery(out->raw_query);

  // Header fields.
  int hosts = 0;
  bool has_length = false;
  uint64_t content_length = 0;
  for (size_t n = 1; n < lines.size(); ++n) {
    absl::string_view field = lines[n];
    if (field.front() == ' ' || field.front() == '\t') return Error(400, "obsolete line folding");
    size_t colon = field.find(':');
    if (colon == absl::string_view::npos) return Error(400, "malformed MIME header line");
    absl::string_view name = field.substr(0, colon);
    if (!IsToken(name)) return Error(400, "invalid header name");
    absl::string_view value = TrimOws(field.substr(colon + 1));
    for (char c : value) {
      const auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && u != '\t') || u == 0x7F) return Error(400, "invalid header value");
    }
    if (absl::EqualsIgnoreCase(name, "Host")) ++hosts;
    if (absl::EqualsIgnoreCase(name, "Transfer-Encoding")) {
      return Error(501, "unsupported transfer encoding");
    }
    if (absl::EqualsIgnoreCase(name, "Content-Length")) {
      uint64_t len = 0;
      if (value.empty() || !std::all_of(value.begin(), value.end(), absl::ascii_isdigit) ||
          !absl::SimpleAtoi(value, &len)) {
        return Error(400, "bad Content-Length");
      }
      if (has_length && len != content_length) return Error(400, "bad Content-Length");
      has_length = true;
      content_length = len;
    }
    out->headers.emplace_back(std::string(name), std::string(value));
  }
  if (out->version_minor >= 1 && hosts == 0) return Error(400, "missing required Host header");
  if (hosts > 1) return Error(400, "too many Host headers");

  if (content_length > limits_.max_body_bytes) return Error(413);
  if (buffer.size() - head_end < content_length) {
    head_end_ = head_end;  // the head is parsed again once the body is in
    return {};
  }
  out->body = std::string(buffer.substr(head_end, content_length));

  ParseOutcome done;
  done.kind = ParseOutcome::kComplete;
  done.consumed = head_end + content_length;
  scanned_ = 0;
  head_end_ = 0;
  return done;
}

void SerializeResponse(const Response& response, const ResponseFraming& framing, std::string* out) {
  const int status = response.status;
  const bool bodyless = (status >= 100 && status < 200) || status == 204 || status == 304;

  std::vector<std::pair<absl::string_view, std::string>> headers;
  headers.reserve(response.headers.size() + 6);
  bool has_origin = false;
  for (const auto& [name, value] : response.headers) {
    if (absl::EqualsIgnoreCase(name, "Access-Control-Allow-Origin")) has_origin = true;
    // The framing headers are ours.
    if (absl::EqualsIgnoreCase(name, "Content-Length") || absl::EqualsIgnoreCase(name, "Connection") ||
        absl::EqualsIgnoreCase(name, "Date") || absl::EqualsIgnoreCase(name, "Content-Type") ||
        absl::EqualsIgnoreCase(name, "Transfer-Encoding")) {
      continue;
    }
    headers.emplace_back(name, value);
  }
  if (!has_origin && !framing.allow_origin.empty()) {
    headers.emplace_back("Access-Control-Allow-Origin", std::string(framing.allow_origin));
  }
  if (!bodyless) {
    if (!response.content_type.empty()) {
      headers.emplace_back("Content-Type", response.content_type);
    } else if (!response.body.empty()) {
      headers.emplace_back("Content-Type", std::string(kContentTypeText));
    }
    headers.emplace_back("Content-Length", absl::StrCat(response.body.size()));
  }
  if (!framing.date.empty()) headers.emplace_back("Date", std::string(framing.date));
  if (framing.version_minor >= 1 && !framing.keep_alive) {
    headers.emplace_back("Connection", "close");
  } else if (framing.version_minor == 0 && framing.keep_alive) {
    headers.emplace_back("Connection", "keep-alive");
  }
  std::stable_sort(headers.begin(), headers.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });

  absl::StrAppend(out, framing.version_minor >= 1 ? "HTTP/1.1 " : "HTTP/1.0 ", status, " ",
                  ReasonPhrase(status), "\r\n");
  for (auto& [name, value] : headers) {
    out->append(name.data(), name.size());
    out->append(": ");
    for (char c : value) out->push_back(c == '\r' || c == '\n' ? ' ' : c);
    out->append("\r\n");
  }
  out->append("\r\n");
  if (!bodyless && !framing.head) out->append(response.body);
}

}  // namespace meridian::http
