// The one machine-readable result line (stdout) and human text (stderr).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace meridian::loadgen {

class Report {
 public:
  Report& Add(const std::string& key, const std::string& value);
  Report& Add(const std::string& key, const char* value) { return Add(key, std::string(value)); }
  Report& Add(const std::string& key, uint64_t value) { return Add(key, std::to_string(value)); }
  Report& Add(const std::string& key, int value) { return Add(key, std::to_string(value)); }
  Report& Add(const std::string& key, double value, int decimals);
  // cpu_ms = this process's user+system CPU so far; cpu_pct = that over
  // `wall_secs` (100 = one core busy): shows the load generator's headroom.
  Report& AddCpuUsage(double wall_secs);
  // Adds status=ok|timeout|error (and error="..." when not ok), prints the
  // line and returns the exit code (0 ok, 2 timeout, 1 otherwise).
  int Finish(const absl::Status& status);

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

// Seconds between two steady-clock points.
template <typename T>
double Seconds(T from, T to) {
  return std::chrono::duration<double>(to - from).count();
}

// Human-readable note on stderr.
void Note(const std::string& text);

}  // namespace meridian::loadgen
