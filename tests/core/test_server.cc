#include "tests/core/test_server.h"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace meridian::testing {
std::string KindName(ServerKind kind) {
  return kind == ServerKind::kMeridian ? "meridian" : "nats_server";
}


TestServer::TestServer(ServerKind kind, std::string dir, std::vector<std::string> argv)
    : kind_(kind), dir_(std::move(dir)), process_(std::move(argv)) {}

std::unique_ptr<TestServer> TestServer::Start(ServerKind kind, const ServerSetup& setup,
                                              std::string* error) {
  std::string dir = MakeTempDir(absl::StrCat("core-", KindName(kind)));
  if (dir.empty()) {
    *error = "cannot create a temporary directory";
    return nullptr;
  }
  std::vector<std::string> argv;
  if (kind == ServerKind::kMeridian) {
    argv = {BinPath("meridian-server"), "-a", "127.0.0.1", "-p", "-1",
            "--ports_file_dir",         dir,  "--run_dir", dir};
  } else {
    std::string bin = NatsServerPath();
    if (bin.empty()) {
      RemoveTree(dir);
      *error = "nats-server is not installed";
      return nullptr;
    }
    argv = {bin, "-a", "127.0.0.1", "-p", "-1", "--ports_file_dir", dir};
  }
  if (!setup.config.empty()) {
    std::string conf = dir + "/server.conf";
    std::ofstream(conf) << setup.config;
    argv.insert(argv.end(), {"-c", conf});
  }
  argv.insert(argv.end(), setup.args.begin(), setup.args.end());
  std::unique_ptr<TestServer> server(new TestServer(kind, dir, argv));
  if (!server->WaitReady(error)) return nullptr;
  return server;
}

bool TestServer::WaitReady(std::string* error) {
  if (!process_.Start()) {
    *error = "cannot start the server";
    return false;
  }
  pid_ = process_.pid();
  std::string exe = kind_ == ServerKind::kMeridian ? "meridian-server" : "nats-server";
  std::string path = absl::StrCat(dir_, "/", exe, "_", pid_, ".ports");
  std::string json;
  bool ok = PollUntil(
      [&] {
        json = ReadFile(path);
        return json.find("\"nats\"") != std::string::npos || !process_.Running();
      },
      absl::Seconds(30));
  std::string url = PortsFileUrl(json, "nats");
  std::string hp(absl::StripPrefix(url, "nats://"));
  size_t colon = hp.rfind(':');
  if (!ok || colon == std::string::npos || !absl::SimpleAtoi(hp.substr(colon + 1), &port_)) {
    *error = absl::StrCat(exe, " did not become ready; ports file '", json, "'; log:\n", Log());
    return false;
  }
  host_ = hp.substr(0, colon);
  return true;
}

std::string TestServer::url() const { return absl::StrCat("nats://", host_, ":", port_); }

std::string TestServer::DaemonExits() const {
  if (kind_ != ServerKind::kMeridian) return "";
  std::string out;
  for (absl::string_view line : absl::StrSplit(Log(), '\n')) {
    if (absl::StrContains(line, " exited (")) absl::StrAppend(&out, line, "\n");
  }
  return out;
}

void TestServer::Stop() {
  if (pid_ <= 0) return;
  if (kind_ == ServerKind::kNatsServer) {
    if (process_.SignalAndWait(SIGTERM, absl::Seconds(5)) < 0) {
      process_.SignalAndWait(SIGKILL, absl::Seconds(5));
    }
  } else {
    // The suite's graceful stop takes seconds (each daemon in turn); the
    // launcher's own tests cover it. Here: freeze the launcher so it restarts
    // nothing, kill its daemons, then the launcher.
    ::kill(pid_, SIGSTOP);
    std::vector<pid_t> daemons = ProcessDescendants(pid_);
    for (pid_t d : daemons) ::kill(d, SIGKILL);
    process_.SignalAndWait(SIGKILL, absl::Seconds(10));
    PollUntil(
        [&] {
          for (pid_t d : daemons) {
            if (!ProcessGone(d)) return false;
          }
          return true;
        },
        absl::Seconds(10));
  }
  pid_ = -1;
}

TestServer::~TestServer() {
  Stop();
  RemoveTree(dir_);
}

}  // namespace meridian::testing
