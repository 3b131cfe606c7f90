#include "services/jetstream/engine/subject_transform.h"

#include <vector>

#include "services/jetstream/engine/strings.h"

namespace meridian::jetstream {
namespace {

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// Index (1-based) of a wildcard reference token, or 0: "$N" or
// "{{wildcard(N)}}" (spaces allowed inside the braces, as nats-server's
// mapping syntax does).
int WildcardRef(std::string_view token) {
  int n = 0;
  if (token.size() > 1 && token[0] == '$' && ParseInt(token.substr(1), &n)) return n;
  if (token.size() < 4 || token.substr(0, 2) != "{{" || token.substr(token.size() - 2) != "}}") {
    return 0;
  }
  std::string_view inner = TrimSpaces(token.substr(2, token.size() - 4));
  constexpr std::string_view kFn = "wildcard";
  if (inner.substr(0, kFn.size()) != kFn) return 0;
  inner = TrimSpaces(inner.substr(kFn.size()));
  if (inner.size() < 2 || inner.front() != '(' || inner.back() != ')') return 0;
  return ParseInt(TrimSpaces(inner.substr(1, inner.size() - 2)), &n) ? n : 0;
}

}  // namespace

std::string TransformSubject(std::string_view src, std::string_view dest, std::string_view subject) {
  if (dest.empty()) return std::string(subject);
  std::vector<std::string_view> s = SplitTokens(src);
  std::vector<std::string_view> t = SplitTokens(subject);
  std::vector<std::string_view> wild;
  std::string rest;  // what '>' matched
  for (size_t i = 0; i < s.size() && i < t.size(); ++i) {
    if (s[i] == "*") wild.push_back(t[i]);
    if (s[i] == ">") {
      for (size_t j = i; j < t.size(); ++j) {
        if (j > i) rest.push_back('.');
        rest.append(t[j]);
      }
      break;
    }
  }
  std::vector<std::string> out;
  for (std::string_view d : SplitTokens(dest)) {
    if (d == ">") {
      if (!rest.empty()) out.push_back(rest);
      continue;
    }
    int n = WildcardRef(d);
    if (n > 0 && n <= static_cast<int>(wild.size())) {
      out.emplace_back(wild[n - 1]);
    } else {
      out.emplace_back(d);
    }
  }
  std::string joined;
  for (size_t i = 0; i < out.size(); ++i) {
    if (i > 0) joined.push_back('.');
    joined.append(out[i]);
  }
  return joined;
}

}  // namespace meridian::jetstream
