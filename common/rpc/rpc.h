// gRPC glue shared by every daemon: a server with grpc.health.v1 and sane
// limits, channels with deadlines, a health probe. Only rpc adapters include
// this header (it pulls in grpc++).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"

namespace meridian::rpc {

// Converts between absl::Status and grpc::Status (codes share numbers).
grpc::Status ToGrpc(const absl::Status& status);
absl::Status FromGrpc(const grpc::Status& status);

// Meridian's server settings on a builder: port reuse off (a used port is an
// error, not a share), keepalives, 64 MiB messages. Shared by GrpcServer and
// the servers that need their own builder (async completion queues).
// `default_health`: gRPC's own grpc.health.v1 service. It is a callback-API
// service, so it brings gRPC's callback threads, which poll every connection
// of the server; a data-plane server hosts AsyncHealth instead.
void ConfigureServerBuilder(grpc::ServerBuilder& builder, bool default_health = true);

// Selects gRPC's "poll" engine for this process unless GRPC_POLL_STRATEGY is
// already set. With it a thread waiting on a completion queue polls only the
// connections of that queue's calls and servers; with "epoll1" (the Linux
// default) any thread waiting on any queue takes any socket's reads and hands
// them over, which cost the router's data plane several context switches per
// message. Call before the first gRPC object exists (daemons do, at start).
void PreferPerQueuePolling();

// A started gRPC server. Thread-safe.
class GrpcServer {
 public:
  // `listen`: "host:port" (port 0 picks one) or "unix:/path". Port reuse is
  // off, so a port in use is an error rather than a silent share.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(
      const std::string& listen, const std::vector<grpc::Service*>& services);
  ~GrpcServer();

  // Sets grpc.health.v1 status of the whole server ("").
  void SetServing(bool serving);
  // The address clients dial: "127.0.0.1:<port>" or "unix:/path".
  const std::string& address() const { return address_; }
  // Stops accepting, gives in-flight calls `grace` to finish, then cancels.
  void Shutdown(absl::Duration grace);

 private:
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

// A channel to `target` (host:port or unix:/path), insecure (loopback or
// pod network; mTLS is a later issue).
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target);
// The same settings over a socket already connected to `target` (the
// channel owns `fd` and cannot reconnect: one channel per connection).
std::shared_ptr<grpc::Channel> MakeChannelFromFd(const std::string& target, int fd);

enum class Health { kServing, kNotServing, kUnreachable };
// Calls grpc.health.v1 Check on `target` with a deadline.
Health CheckHealth(const std::string& target, absl::Duration deadline);
const char* HealthName(Health health);

// Deadline helper for client contexts.
void SetDeadline(grpc::ClientContext* context, absl::Duration timeout);

}  // namespace meridian::rpc
