#include "common/http/router.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace meridian::http {

std::string CleanPath(absl::string_view path) {
  if (path.empty()) return ".";
  const bool rooted = path[0] == '/';
  std::vector<absl::string_view> parts;
  for (absl::string_view elem : absl::StrSplit(path, '/')) {
    if (elem.empty() || elem == ".") continue;
    if (elem == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back("..");  // unrooted paths keep leading ".."
      }
      continue;
    }
    parts.push_back(elem);
  }
  std::string joined = absl::StrJoin(parts, "/");
  if (rooted) return absl::StrCat("/", joined);
  return joined.empty() ? "." : joined;
}

std::string JoinPath(absl::string_view a, absl::string_view b) {
  if (a.empty() && b.empty()) return "";
  if (a.empty()) return CleanPath(b);
  if (b.empty()) return CleanPath(a);
  return CleanPath(absl::StrCat(a, "/", b));
}

std::string NormalizeBasePath(absl::string_view base_path) {
  if (base_path.empty()) return "/";
  if (base_path[0] != '/') return CleanPath(absl::StrCat("/", base_path));
  return CleanPath(base_path);
}

Router::Router(absl::string_view base_path) : base_path_(NormalizeBasePath(base_path)) {}

std::string Router::PathFor(absl::string_view path) const { return JoinPath(base_path_, path); }

void Router::Add(absl::string_view path, Handler handler) {
  routes_[PathFor(path)] = std::move(handler);
}

void Router::Dispatch(const Request& request, Response* response) const {
  auto it = routes_.find(absl::string_view(request.path));
  if (it == routes_.end()) {
    RespondNotFound(response);
    return;
  }
  it->second(request, response);
}

Handler Router::AsHandler() const {
  return [this](const Request& request, Response* response) { Dispatch(request, response); };
}

}  // namespace meridian::http
