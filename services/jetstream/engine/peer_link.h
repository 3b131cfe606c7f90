// meridian-jetstream's attachment to the router: one Attach stream (with
// failover targets) carrying the service's interest out and messages both
// ways. No protobuf or gRPC in this header.
//
// Threads: the engine thread runs the link (AttachClient's driven mode:
// Drive, with the engine's EngineWaiter as the driver); Frames read there
// are queued here, taken with Drain and sent with the Send* calls, all on
// the engine thread. `wake` tells the engine there is something to drain.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "services/router/transport/packed.h"

namespace meridian::router {
class AttachClient;
class AttachDriver;
}  // namespace meridian::router

namespace meridian::jetstream {

struct PeerLinkOptions {
  std::vector<std::string> targets;  // router addresses: first preferred, then failover
  std::string peer_id;
  std::string peer_name;
};

// What the engine is told while draining, in arrival order.
class PeerVisitor {
 public:
  virtual ~PeerVisitor() = default;
  // A (re)connect: send the whole interest again (SendInterestReset).
  virtual void OnAttached() = 0;
  // The router's view of other peers' interest; a reset drops all of it.
  virtual void OnRemoteInterestReset() = 0;
  virtual void OnRemoteInterest(std::string_view subject, std::string_view queue, int32_t delta) = 0;
  virtual void OnMessage(const router::PackedMessage& msg) = 0;
};

class PeerLink {
 public:
  // `driver` (the engine thread's waiter) outlives the link.
  PeerLink(PeerLinkOptions options, std::function<void()> wake, router::AttachDriver* driver);
  ~PeerLink();
  void Start();
  void Stop();

  // Engine thread: reads and writes what is ready (AttachClient::Drive;
  // `writable`: the socket is writable and nothing to read). True while the
  // stream is busy: drive again within a millisecond even without an event.
  bool Drive(bool writable);

  // Engine thread. True when Frames were waiting.
  bool Drain(PeerVisitor& visitor);

  // Engine thread. False when the stream is down or its queue is full (the
  // caller keeps what it wanted to send and retries).
  bool SendPacked(const std::string& packed);
  bool SendInterestReset(const std::vector<std::string>& subjects);
  bool SendInterest(std::string_view subject, int32_t delta);
  bool connected() const;

  // Flow control: stop taking Frames from the router while the engine is
  // behind (its outbound refused).
  void PauseReads();
  void ResumeReads();

 private:
  struct Inbox;
  PeerLinkOptions options_;
  std::function<void()> wake_;
  router::AttachDriver* const driver_;
  std::unique_ptr<Inbox> inbox_;
  std::unique_ptr<router::AttachClient> client_;
};

}  // namespace meridian::jetstream
