#include "tests/bench/loadgen/report.h"

#include <sys/resource.h>

#include <cstdio>

namespace meridian::loadgen {

Report& Report::Add(const std::string& key, const std::string& value) {
  fields_.emplace_back(key, value);
  return *this;
}

Report& Report::Add(const std::string& key, double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, value);
  return Add(key, std::string(buf));
}

Report& Report::AddCpuUsage(double wall_secs) {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const double cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                     static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  Add("cpu_ms", cpu * 1e3, 0);
  return Add("cpu_pct", wall_secs > 0 ? 100 * cpu / wall_secs : 0.0, 0);
}

int Report::Finish(const absl::Status& status) {
  int code = 0;
  if (status.ok()) {
    Add("status", "ok");
  } else {
    code = absl::IsDeadlineExceeded(status) ? 2 : 1;
    Add("status", code == 2 ? "timeout" : "error");
    std::string text(status.message());
    for (char& c : text) {
      if (c == '"') c = '\'';
    }
    Add("error", "\"" + text + "\"");
  }
  std::string line;
  for (const auto& [key, value] : fields_) {
    if (!line.empty()) line += ' ';
    line += key + "=" + value;
  }
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
  if (!status.ok()) Note(std::string(code == 2 ? "TIMEOUT: " : "ERROR: ") + std::string(status.message()));
  return code;
}

void Note(const std::string& text) { std::fprintf(stderr, "%s\n", text.c_str()); }

}  // namespace meridian::loadgen
