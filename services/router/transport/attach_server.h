// The router side of Router.Attach: an async gRPC server accepting many peer
// streams, each with a bounded coalescing send queue. No gRPC in this header.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "meridian/router/v1/router.pb.h"
#include "services/router/transport/outbox.h"

namespace grpc {
class Service;
}  // namespace grpc

namespace meridian::rpc {
class AsyncHosted;
}  // namespace meridian::rpc

namespace meridian::router {

class AttachServer;

// One attached peer stream. Owned by a shared_ptr: the handler may keep
// `shared_from_this()` past OnDetach; Send then returns false.
class PeerSession : public std::enable_shared_from_this<PeerSession> {
 public:
  using Frame = v1::Frame;

  PeerSession(uint64_t id, const QueueLimits& limits) : id_(id), outbox_(limits) {}

  // Unique per server, in accept order, starting at 1.
  uint64_t id() const { return id_; }
  // The peer's Hello; set before OnAttach, constant afterwards.
  const v1::Hello& hello() const { return hello_; }
  // "ipv4:127.0.0.1:port" as gRPC reports it.
  const std::string& peer_address() const { return peer_address_; }

  // Thread-safe, never blocks. False when the queue is full (overflow
  // counted; a peer that stays full for QueueLimits::stall_timeout is
  // disconnected) or the stream is gone. The builder form appends in place
  // (see Outbox::Enqueue: only append, the Frame may hold earlier content).
  bool Send(const Frame& frame) { return outbox_.Enqueue(frame); }
  bool Send(absl::FunctionRef<void(Frame*)> build) { return outbox_.Enqueue(build); }
  // Cancels the stream; OnDetach follows on the server thread.
  void Close() { outbox_.CancelStream(); }
  TransportStats stats() const { return outbox_.stats(); }

  // Flow control (any thread). While paused no further Frame is read from
  // the peer (the Frame being handled is not affected), so gRPC's flow
  // control holds the peer's writes back.
  void PauseReads() { paused_.store(true, std::memory_order_release); }
  void ResumeReads() {
    if (paused_.exchange(false, std::memory_order_acq_rel)) outbox_.Kick();
  }
  bool reads_paused() const { return paused_.load(std::memory_order_acquire); }
  // The send queue: bytes waiting, when a write last completed, and a
  // one-shot notification when it drains (see Outbox::WatchDrain). Set
  // `on_drain` in OnAttach.
  size_t queued_bytes() const { return outbox_.queued_bytes(); }
  absl::Time last_write() const { return outbox_.last_progress(); }
  void SetOnDrain(std::function<void()> on_drain) { outbox_.SetOnDrain(std::move(on_drain)); }
  void WatchDrain() { outbox_.WatchDrain(); }

 private:
  friend class AttachServer;
  friend class SessionStream;  // attach_server.cc
  const uint64_t id_;
  v1::Hello hello_;
  std::string peer_address_;
  Outbox outbox_;
  std::atomic<bool> paused_{false};
};

// Receives the streams' events, all on the server's one transport thread, in
// order per session. Must not block (post to the router's loop).
class PeerHandler {
 public:
  virtual ~PeerHandler() = default;
  // The first Frame carried `hello`. The server has already queued its own
  // Hello (resync_requested = true) to the peer, so anything sent from here
  // on follows it. If that first Frame carried messages or interest too,
  // OnFrame follows with it.
  virtual void OnAttach(PeerSession* session, const v1::Hello& hello) = 0;
  // A Frame from an attached peer (valid only during the call).
  virtual void OnFrame(PeerSession* session, const v1::Frame& frame) = 0;
  // The stream ended (peer gone, cancelled, stalled, or server shutdown).
  // Exactly once per OnAttach; nothing is delivered for the session after.
  virtual void OnDetach(PeerSession* session) = 0;
};

struct AttachServerOptions {
  // "host:port" (port 0 picks one) or "unix:/path". Port reuse is off.
  std::string listen = "127.0.0.1:0";
  // Our Hello, sent to every peer after its own (resync_requested forced true).
  v1::Hello hello;
  QueueLimits limits;  // per session
  // Other services to serve on the same port (not owned; must outlive the
  // server). A callback-API service here brings gRPC's callback threads,
  // which then poll the Attach connections too: prefer `async_services`.
  std::vector<grpc::Service*> extra_services;
  // Services answered on the transport thread (async API; not owned, must
  // outlive the server). Their handlers must not block.
  std::vector<rpc::AsyncHosted*> async_services;
  // gRPC's default grpc.health.v1 service (callback API, see above). Off when
  // `async_services` carries rpc::AsyncHealth.
  bool default_health = true;
};

// Thread-safe. One transport thread polls the server's CompletionQueue.
class AttachServer {
 public:
  // `handler` must outlive the server.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<AttachServer>> Start(
      AttachServerOptions options, PeerHandler* handler);
  ~AttachServer();  // Shutdown()
  AttachServer(const AttachServer&) = delete;
  AttachServer& operator=(const AttachServer&) = delete;

  // "127.0.0.1:<port>" (or the unix: address) clients dial.
  const std::string& address() const;
  int port() const;
  // Cancels every stream (OnDetach for each attached one), stops listening
  // and joins the thread. Idempotent.
  void Shutdown();
  // Sessions currently attached (after Hello).
  size_t attached() const;

  class Impl;

 private:
  explicit AttachServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace meridian::router
