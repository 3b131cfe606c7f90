#include "tests/jetstream/js_server.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace meridian::testing::jetstream {
std::string BackendName(Backend backend) {
  return backend == Backend::kMeridian ? "meridian" : "nats_server";
}


JsServer::JsServer(Backend backend, std::string dir)
    : backend_(backend), dir_(std::move(dir)), store_dir_(dir_ + "/store") {}

std::unique_ptr<JsServer> JsServer::Start(Backend backend, std::string* error) {
  if (backend == Backend::kNatsServer && NatsServerPath().empty()) {
    *error = "nats-server is not installed";
    return nullptr;
  }
  std::string dir = MakeTempDir(absl::StrCat("jstest-", BackendName(backend)));
  if (dir.empty()) {
    *error = "cannot create a temporary directory";
    return nullptr;
  }
  std::unique_ptr<JsServer> server(new JsServer(backend, dir));
  if (!server->Launch(-1, error)) return nullptr;
  return server;
}

bool JsServer::Launch(int port, std::string* error) {
  std::string run = absl::StrCat(dir_, "/run", ++runs_);
  ::mkdir(run.c_str(), 0700);
  std::string port_arg = std::to_string(port);
  std::vector<std::string> argv;
  if (backend_ == Backend::kMeridian) {
    argv = {BinPath("meridian-server"),
            "-a",
            "127.0.0.1",
            "-p",
            port_arg,
            "--ports_file_dir",
            run,
            "--run_dir",
            run,
            "-js",
            "-sd",
            store_dir_};
  } else {
    argv = {NatsServerPath(),   "-a", "127.0.0.1", "-p",  port_arg,
            "--ports_file_dir", run,  "-js",       "-sd", store_dir_};
  }
  process_ = Process(argv);
  if (!process_.Start()) {
    *error = "cannot start the server";
    return false;
  }
  pid_ = process_.pid();
  std::string exe = backend_ == Backend::kMeridian ? "meridian-server" : "nats-server";
  std::string path = absl::StrCat(run, "/", exe, "_", pid_, ".ports");
  std::string json;
  bool ok = PollUntil(
      [&] {
        json = ReadFile(path);
        return json.find("\"nats\"") != std::string::npos || !process_.Running();
      },
      absl::Seconds(30));
  std::string hp(absl::StripPrefix(PortsFileUrl(json, "nats"), "nats://"));
  size_t colon = hp.rfind(':');
  int got = 0;
  if (!ok || colon == std::string::npos || !absl::SimpleAtoi(hp.substr(colon + 1), &got)) {
    *error = absl::StrCat(exe, " did not become ready; ports file '", json, "'; log:\n", Log());
    return false;
  }
  port_ = got;
  return true;
}

std::string JsServer::url() const { return absl::StrCat("nats://127.0.0.1:", port_); }

std::string JsServer::DaemonExits() const {
  if (backend_ != Backend::kMeridian) return "";
  std::string out;
  for (absl::string_view line : absl::StrSplit(Log(), '\n')) {
    if (absl::StrContains(line, " exited (")) absl::StrAppend(&out, line, "\n");
  }
  return out;
}

void JsServer::WaitDaemonsGone() {
  PollUntil(
      [&] {
        for (pid_t d : daemons_) {
          if (!ProcessGone(d)) return false;
        }
        return true;
      },
      absl::Seconds(10));
}

int JsServer::Stop() {
  if (pid_ <= 0) return -1;
  daemons_ = ProcessDescendants(pid_);
  int code = process_.SignalAndWait(SIGTERM, absl::Seconds(40));
  if (process_.Running()) {
    Kill();
    return 128 + SIGKILL;
  }
  WaitDaemonsGone();
  pid_ = -1;
  return code;
}

void JsServer::Kill() {
  if (pid_ <= 0) return;
  if (backend_ == Backend::kMeridian) {
    // Frozen, the launcher neither restarts a daemon nor lets the kernel send
    // its children their parent-death SIGTERM before they are killed.
    ::kill(pid_, SIGSTOP);
    daemons_ = ProcessDescendants(pid_);
    for (pid_t d : daemons_) ::kill(d, SIGKILL);
  }
  process_.SignalAndWait(SIGKILL, absl::Seconds(10));
  WaitDaemonsGone();
  pid_ = -1;
}

bool JsServer::Restart(std::string* error) {
  if (pid_ > 0) Stop();
  absl::StrAppend(&previous_logs_, "---- run ", runs_, " ----\n", Log());
  return Launch(port_, error);
}

JsServer::~JsServer() {
  Kill();
  RemoveTree(dir_);
}

}  // namespace meridian::testing::jetstream
