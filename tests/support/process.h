// Test support: run real Meridian programs, read their output, poll for
// conditions with a deadline (never sleep for luck), plain HTTP GETs.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace meridian::testing {

// $MERIDIAN_BIN_DIR/<name> (set by CTest), else ./bin/<name>.
std::string BinPath(const std::string& name);
// A fresh temporary directory, removed by the caller with RemoveTree.
std::string MakeTempDir(const std::string& prefix);
void RemoveTree(const std::string& path);

struct RunResult {
  int exit_code = -1;  // 128+signal when killed
  std::string out;     // stdout
  std::string err;     // stderr
};
// Runs a program to completion (killed after `timeout`).
RunResult RunProgram(const std::vector<std::string>& argv, absl::Duration timeout = absl::Seconds(30));

// A long-running program started in the background; stderr goes to a file.
class Process {
 public:
  Process() = default;
  explicit Process(std::vector<std::string> argv);
  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  ~Process();  // SIGKILLs and reaps it if still running

  bool Start();
  pid_t pid() const { return pid_; }
  // Sends a signal and waits for the exit; returns the exit code or 128+sig.
  int SignalAndWait(int sig, absl::Duration timeout);
  // Waits for exit without signalling.
  int Wait(absl::Duration timeout);
  bool Running();
  std::string Stderr() const;

 private:
  std::vector<std::string> argv_;
  std::string stderr_path_;
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

// Polls `condition` every 20 ms until true or the deadline passes.
bool PollUntil(const std::function<bool()>& condition, absl::Duration timeout);

// GET http://host:port/path; returns status code (0 when unreachable) and body.
int HttpGet(const std::string& host_port, const std::string& path, std::string* body);

bool ProcessAlive(pid_t pid);
// Every live descendant of `root` (children, grandchildren, ...), from /proc.
std::vector<pid_t> ProcessDescendants(pid_t root);
// True when `pid` no longer runs (gone, zombie or dead).
bool ProcessGone(pid_t pid);
// The reference nats-server 2.9.10 (Debian's), "" when not installed.
std::string NatsServerPath();
std::string ReadFile(const std::string& path);

// Minimal extraction of `"key":["value"` from the ports file JSON.
std::string PortsFileUrl(const std::string& json, const std::string& key);

}  // namespace meridian::testing
