// nats-server's --ports_file_dir: <dir>/<executable>_<pid>.ports holding the
// URLs the server listens on, as JSON.
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace meridian::launcher {

// `endpoints`: "client" -> "nats://h:p", "monitoring" -> "http://h:p", ...
// Written as {"nats":[...],"monitoring":[...],"admin":[...]}. Returns the path.
[[nodiscard]] absl::StatusOr<std::string> WritePortsFile(
    const std::string& dir, const std::string& argv0,
    const std::map<std::string, std::string>& endpoints);

}  // namespace meridian::launcher
