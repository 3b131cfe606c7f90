// A whole Meridian suite under test: meridian-server on random ports with a
// ports file, its admin address, and meridianctl status parsed.
#pragma once

#include <string>
#include <vector>

#include "tests/support/process.h"

namespace meridian::testing {

struct Member {
  std::string kind, name, health, grpc, metrics;
  int pid = 0;
  int restarts = 0;
};

std::vector<Member> ParseStatus(const std::string& out);

class Suite {
 public:
  // meridian-server -a 127.0.0.1 -p -1 -m -1 -js (store in a temp dir) plus `extra`.
  explicit Suite(std::vector<std::string> extra = {});
  ~Suite();

  // Starts it and waits for its ports file.
  bool Start();
  std::string Admin() const;
  std::string ClientHostPort() const;
  int ClientPort() const;
  std::string MonitoringHostPort() const;
  RunResult Status() const;
  // Polls meridianctl status until `expected` members all report SERVING.
  std::vector<Member> WaitAllServing(size_t expected);
  Process& process() { return process_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::string ports_json_;
  Process process_;
};

}  // namespace meridian::testing
