// meridianctl: the admin CLI on the gRPC admin API.
//
//   meridianctl [--server host:port] status   every daemon of the suite with its health
//   meridianctl [--server host:port] info     the server answering at --server
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/options/options.h"
#include "common/rpc/rpc.h"
#include "common/version/version.h"
#include "meridian/admin/v1/admin.grpc.pb.h"

namespace {

using meridian::admin::v1::Admin;
namespace v1 = meridian::admin::v1;

const char* HealthText(v1::HealthStatus s) {
  switch (s) {
    case v1::HEALTH_STATUS_SERVING: return "SERVING";
    case v1::HEALTH_STATUS_NOT_SERVING: return "NOT_SERVING";
    case v1::HEALTH_STATUS_UNREACHABLE: return "UNREACHABLE";
    default: return "UNKNOWN";
  }
}

std::string Uptime(int64_t ms) {
  int64_t s = ms / 1000;
  if (s >= 86400) return absl::StrCat(s / 86400, "d", (s % 86400) / 3600, "h");
  if (s >= 3600) return absl::StrCat(s / 3600, "h", (s % 3600) / 60, "m");
  if (s >= 60) return absl::StrCat(s / 60, "m", s % 60, "s");
  return absl::StrCat(s, "s");
}

int Status(Admin::Stub& stub, absl::Duration timeout) {
  grpc::ClientContext context;
  meridian::rpc::SetDeadline(&context, timeout);
  v1::ListMembersResponse response;
  grpc::Status status = stub.ListMembers(&context, v1::ListMembersRequest(), &response);
  if (!status.ok()) {
    std::fprintf(stderr, "meridianctl: %s\n", status.error_message().c_str());
    return 1;
  }
  std::printf("%-10s %-28s %-8s %-12s %-8s %-8s %-40s %s\n", "KIND", "NAME", "PID", "HEALTH",
              "RESTARTS", "UPTIME", "GRPC", "METRICS");
  bool all_serving = true;
  for (const v1::Member& m : response.members()) {
    const v1::ServerInfo& i = m.info();
    if (m.health().status() != v1::HEALTH_STATUS_SERVING) all_serving = false;
    std::printf("%-10s %-28s %-8d %-12s %-8d %-8s %-40s %s\n", i.kind().c_str(), i.name().c_str(),
                i.pid(), HealthText(m.health().status()), m.restarts(),
                Uptime(i.uptime_ms()).c_str(), i.grpc_address().c_str(),
                i.metrics_address().c_str());
  }
  return all_serving ? 0 : 2;
}

int Info(Admin::Stub& stub, absl::Duration timeout) {
  grpc::ClientContext context;
  meridian::rpc::SetDeadline(&context, timeout);
  v1::ServerInfo info;
  grpc::Status status = stub.GetServerInfo(&context, v1::GetServerInfoRequest(), &info);
  if (!status.ok()) {
    std::fprintf(stderr, "meridianctl: %s\n", status.error_message().c_str());
    return 1;
  }
  std::printf("%s", info.DebugString().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string server = "127.0.0.1:8223";
  absl::Duration timeout = absl::Seconds(5);
  bool help = false, version = false;
  meridian::options::OptionSet set(
      "meridianctl",
      "Meridian's admin CLI.\n\nCommands:\n  status   every daemon of the suite with its health "
      "(exit 2 when one is not serving)\n  info     the answering server's identity");
  set.String({"s", "server"}, &server, "Admin gRPC address of meridian-server or a daemon");
  set.Duration({"timeout"}, &timeout, "Deadline of each call");
  set.Bool({"h", "help"}, &help, "Show this message");
  set.Bool({"v", "version"}, &version, "Show version");
  std::vector<std::string> args;
  if (absl::Status s = set.ParseFlags(argc, argv, &args); !s.ok()) {
    std::fprintf(stderr, "meridianctl: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  if (help) {
    std::fputs(set.Usage().c_str(), stdout);
    return 0;
  }
  if (version) {
    std::printf("meridianctl: v%s\n", meridian::kVersion);
    return 0;
  }
  if (args.size() != 1) {
    std::fprintf(stderr, "meridianctl: expected one command: status or info (see --help)\n");
    return 1;
  }
  auto stub = Admin::NewStub(meridian::rpc::MakeChannel(server));
  if (args[0] == "status") return Status(*stub, timeout);
  if (args[0] == "info") return Info(*stub, timeout);
  std::fprintf(stderr, "meridianctl: unknown command \"%s\" (see --help)\n", args[0].c_str());
  return 1;
}
