#include "common/http/request.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace meridian::http {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool UrlDecode(absl::string_view in, bool plus_as_space, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (in.size() - i < 3) return false;
      const int hi = HexValue(in[i + 1]);
      const int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>((hi << 4) | lo));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

QueryParams ParseQuery(absl::string_view raw_query) {
  QueryParams params;
  for (absl::string_view piece : absl::StrSplit(raw_query, '&')) {
    if (piece.empty()) continue;
    if (absl::StrContains(piece, ';')) continue;  // Go 1.17+: invalid semicolon separator
    absl::string_view key = piece;
    absl::string_view value;
    if (size_t eq = piece.find('='); eq != absl::string_view::npos) {
      key = piece.substr(0, eq);
      value = piece.substr(eq + 1);
    }
    std::string k, v;
    if (!UrlDecode(key, true, &k) || !UrlDecode(value, true, &v)) continue;
    params.emplace_back(std::move(k), std::move(v));
  }
  return params;
}

std::optional<std::string> Request::Param(absl::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return v;
  }
  return std::nullopt;
}

std::vector<std::string> Request::Params(absl::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : query) {
    if (k == name) out.push_back(v);
  }
  return out;
}

bool Request::HasParam(absl::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return true;
  }
  return false;
}

const std::string* Request::Header(absl::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (absl::EqualsIgnoreCase(k, name)) return &v;
  }
  return nullptr;
}

bool Request::HeaderHasToken(absl::string_view name, absl::string_view token) const {
  for (const auto& [k, v] : headers) {
    if (!absl::EqualsIgnoreCase(k, name)) continue;
    for (absl::string_view item : absl::StrSplit(v, ',')) {
      if (absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(item), token)) return true;
    }
  }
  return false;
}

}  // namespace meridian::http
