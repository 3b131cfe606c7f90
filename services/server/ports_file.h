// nats-server's --ports_file_dir: <dir>/<executable>_<pid>.ports holding the
// URLs the server listens on, as JSON.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace meridian::launcher {

// `endpoints`: "client" -> {"nats://h:p", ...} (one per frontend, in
// frontend order), "monitoring" -> {"http://h:p", ...}, "cluster" ->
// {"nats://h:p"}, "admin" -> ... Written in nats-server's order,
// {"nats":[...],"monitoring":[...],"cluster":[...]}, then Meridian's own keys
// ("admin"). Returns the path.
[[nodiscard]] absl::StatusOr<std::string> WritePortsFile(
    const std::string& dir, const std::string& argv0,
    const std::map<std::string, std::vector<std::string>>& endpoints);

// The JSON text of the ports file (exposed for tests).
std::string PortsFileJson(const std::map<std::string, std::vector<std::string>>& endpoints);

}  // namespace meridian::launcher
