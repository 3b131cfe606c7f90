// The peer side of Router.Attach: one long-lived stream to a router, with a
// bounded coalescing send queue and reconnection. No gRPC in this header.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "meridian/router/v1/router.pb.h"
#include "services/router/transport/attach_driver.h"
#include "services/router/transport/outbox.h"

namespace meridian::router {

struct AttachClientOptions {
  std::string target;  // "host:port" or "unix:/path" of the router
  // Other routers of the mesh to fail over to. The client dials the targets
  // [target, fallback_targets...] round robin: every attempt that fails and
  // every established stream that ends moves on to the next one (after the
  // usual backoff). Empty entries are ignored. Empty: always `target`.
  std::vector<std::string> fallback_targets;
  // Sent as the first Frame of every stream (resync_requested is ignored).
  v1::Hello hello;
  QueueLimits limits;
  // Delay before reconnecting (to the next target) after a failed or broken
  // stream: starts at `initial_backoff`, doubles per failed attempt up to
  // `max_backoff`, and is reset once a stream is established.
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(2);

  // Null: the client runs its own transport thread. Set: driven mode, for an
  // owner with an event loop: no transport thread; the client dials the
  // router's socket itself (on a dialer thread that only connects), tells
  // the driver which socket to watch, and runs the stream in Drive(), called
  // by the driver on its loop thread. Saves the two thread hand-offs per
  // message of the threaded mode. Outlives the client.
  AttachDriver* driver = nullptr;

  // All callbacks run on the client's transport thread (driven mode: the
  // driving thread, and the thread calling Stop); they must not block
  // (post to the owner's loop). They may call Enqueue.
  //
  // The router answered our Hello with its own: the stream is up and Enqueue
  // accepts Frames. `resync` is the router's Hello.resync_requested (always
  // true with AttachServer): send the full interest with interest_reset=true.
  // Called after every (re)connect.
  std::function<void(bool resync, const v1::Hello& router_hello)> on_connected;
  // A Frame from the router (the Hello is not repeated here; a first Frame
  // that carries more than the Hello is delivered as well). `frame` is only
  // valid during the call.
  // The callee may take the Frame's content (e.g. Swap its messages out):
  // the Frame is cleared and reused for the next read.
  std::function<void(v1::Frame& frame)> on_frame;
  // An established stream ended (the client reconnects by itself).
  std::function<void(const absl::Status& status)> on_disconnected;
};

// Thread-safe. Owns one transport thread that runs a gRPC CompletionQueue.
class AttachClient {
 public:
  using Frame = v1::Frame;

  // Starts connecting in the background; never fails (a bad target just
  // keeps failing to connect, with backoff).
  static std::unique_ptr<AttachClient> Start(AttachClientOptions options);
  // Two steps, for owners whose callbacks use the client: keep the pointer
  // first, then Connect (the callbacks may run as soon as Connect starts the
  // transport thread). Connect once.
  static std::unique_ptr<AttachClient> Create(AttachClientOptions options);
  void Connect();
  ~AttachClient();  // Stop()
  AttachClient(const AttachClient&) = delete;
  AttachClient& operator=(const AttachClient&) = delete;

  // Queue a Frame for the router. Never blocks. False when the stream is not
  // established (counted as dropped: the owner resyncs on on_connected) or
  // the queue is full (counted as an overflow). What is queued when the
  // stream breaks is discarded.
  bool Enqueue(const Frame& frame);
  // Same, building in place (under the queue lock; no copy and no allocation
  // in the steady state). `build` must only append (add_messages,
  // add_interest, may set interest_reset): the Frame may already hold earlier
  // queued content. Do not call into this client from `build`.
  bool Enqueue(absl::FunctionRef<void(Frame*)> build);

  // Cancels the stream and joins the thread. Idempotent. No callback runs
  // after Stop returns. Driven mode: the driver must have stopped calling
  // Drive (Stop finishes the stream on the calling thread).
  void Stop();

  // Driven mode, on the driving thread: runs whatever is ready (dial results,
  // completions, queued writes), without blocking. `writable`: called
  // because the watched fd is writable. True while the stream is busy (a
  // write is pending, or the stream is starting or ending): then call again
  // within a millisecond or so even without an event. gRPC may finish part
  // of that work on its own threads (a busy transport hands some to its
  // executor), and nothing tells the driver what they complete. Owners also
  // drive now and then when idle (the frontend: after 10 ms without one).
  bool Drive(bool writable);

  // Flow control (any thread): while paused, nothing more is read from the
  // router after the Frame being handled (gRPC's flow control then holds
  // the router's writes). A new stream starts paused too if still paused.
  void PauseReads();
  void ResumeReads();
  bool reads_paused() const;

  bool connected() const;
  // Streams established so far.
  uint64_t connects() const;
  TransportStats stats() const;
  // options.target (the first target), whichever target is in use.
  const std::string& target() const;
  // The target of the stream that is established or being attempted (or,
  // during a backoff, the one to be dialled next).
  std::string current_target() const;

  class Impl;

 private:
  explicit AttachClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace meridian::router
