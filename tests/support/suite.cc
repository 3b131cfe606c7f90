#include "tests/support/suite.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace meridian::testing {

std::vector<Member> ParseStatus(const std::string& out) {
  std::vector<Member> members;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (f.size() < 8 || f[0] == "KIND") continue;
    Member m;
    m.kind = f[0];
    m.name = f[1];
    (void)absl::SimpleAtoi(f[2], &m.pid);
    m.health = f[3];
    (void)absl::SimpleAtoi(f[4], &m.restarts);
    m.grpc = f[6];
    m.metrics = f[7];
    members.push_back(m);
  }
  return members;
}


Suite::Suite(std::vector<std::string> extra) {
  dir_ = MakeTempDir("meridian-suite");
  std::vector<std::string> argv = {BinPath("meridian-server"), "-a", "127.0.0.1", "-p", "-1",
                                   "-m", "-1", "--ports_file_dir", dir_, "-js", "-sd",
                                   dir_ + "/store", "-n", "itest"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  process_ = Process(argv);
}

Suite::~Suite() { RemoveTree(dir_); }

bool Suite::Start() {
  if (!process_.Start()) return false;
  std::string path = dir_ + "/meridian-server_" + std::to_string(process_.pid()) + ".ports";
  bool ok = PollUntil([&] { return !ReadFile(path).empty() || !process_.Running(); },
                      absl::Seconds(60));
  ports_json_ = ReadFile(path);
  return ok && !ports_json_.empty();
}

std::string Suite::Admin() const {
  return std::string(absl::StripPrefix(PortsFileUrl(ports_json_, "admin"), "grpc://"));
}
std::string Suite::ClientHostPort() const {
  return std::string(absl::StripPrefix(PortsFileUrl(ports_json_, "nats"), "nats://"));
}
int Suite::ClientPort() const {
  std::string hp = ClientHostPort();
  int port = 0;
  (void)absl::SimpleAtoi(hp.substr(hp.rfind(':') + 1), &port);
  return port;
}
std::string Suite::MonitoringHostPort() const {
  return std::string(absl::StripPrefix(PortsFileUrl(ports_json_, "monitoring"), "http://"));
}
RunResult Suite::Status() const {
  return RunProgram({BinPath("meridianctl"), "--server", Admin(), "status"});
}
std::vector<Member> Suite::WaitAllServing(size_t expected) {
  std::vector<Member> members;
  PollUntil(
      [&] {
        RunResult r = Status();
        members = ParseStatus(r.out);
        if (r.exit_code != 0 || members.size() != expected) return false;
        for (const Member& m : members) {
          if (m.health != "SERVING") return false;
        }
        return true;
      },
      absl::Seconds(30));
  return members;
}

}  // namespace meridian::testing
