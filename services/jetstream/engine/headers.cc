#include "services/jetstream/engine/headers.h"

#include "absl/strings/str_cat.h"

namespace meridian::jetstream {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls fn(line) for each header line after the status line, CRLF stripped.
template <typename Fn>
void ForEachLine(std::string_view block, Fn fn) {
  size_t pos = block.find("\r\n");
  if (pos == std::string_view::npos) return;
  pos += 2;
  while (pos < block.size()) {
    size_t end = block.find("\r\n", pos);
    if (end == std::string_view::npos) end = block.size();
    std::string_view line = block.substr(pos, end - pos);
    if (line.empty()) break;
    fn(line);
    pos = end + 2;
  }
}

void AppendLine(std::string* out, std::string_view k, std::string_view v) {
  out->append(k).append(": ").append(v).append("\r\n");
}

std::string_view StatusLine(std::string_view block) {
  size_t end = block.find("\r\n");
  return end == std::string_view::npos ? block : block.substr(0, end);
}

}  // namespace

std::string_view HeaderValue(std::string_view block, std::string_view key, bool* found) {
  if (found != nullptr) *found = false;
  std::string_view value;
  bool done = false;
  ForEachLine(block, [&](std::string_view line) {
    if (done) return;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || Trim(line.substr(0, colon)) != key) return;
    value = Trim(line.substr(colon + 1));
    done = true;
  });
  if (found != nullptr) *found = done;
  return value;
}

std::string AddHeaders(std::string_view block,
                       absl::Span<const std::pair<std::string_view, std::string_view>> headers) {
  std::string out;
  if (block.size() >= 4 && block.substr(block.size() - 4) == "\r\n\r\n") {
    out.reserve(block.size() + 64);
    out.append(block.substr(0, block.size() - 2));
  } else {
    out.append(kHeaderLine);
  }
  for (const auto& [k, v] : headers) AppendLine(&out, k, v);
  out.append("\r\n");
  return out;
}

std::string RemoveHeaders(std::string_view block, absl::Span<const std::string_view> keys) {
  std::string out(StatusLine(block));
  out.append("\r\n");
  bool any = false;
  ForEachLine(block, [&](std::string_view line) {
    size_t colon = line.find(':');
    std::string_view key = colon == std::string_view::npos ? line : Trim(line.substr(0, colon));
    for (std::string_view k : keys) {
      if (k == key) return;
    }
    out.append(line).append("\r\n");
    any = true;
  });
  if (!any && StatusLine(block) == "NATS/1.0") return {};
  out.append("\r\n");
  return out;
}

std::string StatusBlock(int status, std::string_view text,
                        absl::Span<const std::pair<std::string_view, std::string_view>> headers) {
  std::string out = absl::StrCat("NATS/1.0 ", status);
  if (!text.empty()) out.append(" ").append(text);
  out.append("\r\n");
  for (const auto& [k, v] : headers) AppendLine(&out, k, v);
  out.append("\r\n");
  return out;
}

}  // namespace meridian::jetstream
