#include "services/server/ports_file.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace meridian::launcher {

std::string PortsFileJson(const std::map<std::string, std::vector<std::string>>& endpoints) {
  std::vector<std::string> order = {"client", "monitoring", "cluster"};
  for (const auto& [name, urls] : endpoints) {
    if (std::find(order.begin(), order.end(), name) == order.end()) order.push_back(name);
  }
  std::string json = "{";
  bool first = true;
  for (const std::string& name : order) {
    auto it = endpoints.find(name);
    if (it == endpoints.end() || it->second.empty()) continue;
    absl::StrAppend(&json, first ? "" : ",", "\"", name == "client" ? "nats" : name, "\":[");
    for (size_t i = 0; i < it->second.size(); ++i) {
      absl::StrAppend(&json, i == 0 ? "" : ",", "\"", it->second[i], "\"");
    }
    json += "]";
    first = false;
  }
  return json + "}";
}

absl::StatusOr<std::string> WritePortsFile(
    const std::string& dir, const std::string& argv0,
    const std::map<std::string, std::vector<std::string>>& endpoints) {
  std::string exe = std::filesystem::path(argv0).filename().string();
  std::string path = absl::StrCat(dir, "/", exe, "_", ::getpid(), ".ports");
  std::string json = PortsFileJson(endpoints);
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot write ", tmp, ": ", std::strerror(errno)));
    }
    out << json;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("rename ", tmp, ": ", std::strerror(errno)));
  }
  return path;
}

}  // namespace meridian::launcher
