#include "services/server/ports_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace meridian::launcher {

absl::StatusOr<std::string> WritePortsFile(const std::string& dir, const std::string& argv0,
                                           const std::map<std::string, std::string>& endpoints) {
  std::string exe = std::filesystem::path(argv0).filename().string();
  std::string path = absl::StrCat(dir, "/", exe, "_", ::getpid(), ".ports");
  std::string json = "{";
  bool first = true;
  for (const auto& [name, url] : endpoints) {
    std::string key = name == "client" ? "nats" : name;
    absl::StrAppend(&json, first ? "" : ",", "\"", key, "\":[\"", url, "\"]");
    first = false;
  }
  json += "}";
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
