// What an owner's event loop offers to drive an AttachClient itself (no
// transport thread; see AttachClientOptions::driver). No gRPC or protobuf
// here, so event-loop code can implement it cheaply.
#pragma once

namespace meridian::router {

class AttachDriver {
 public:
  virtual ~AttachDriver() = default;
  // Any thread: call AttachClient::Drive(false) soon on the driving thread.
  // From the driving thread itself it may simply note it for the end of the
  // current turn.
  virtual void Wake() = 0;
  // Driving thread, from inside Drive: call Drive(false) whenever `fd` is
  // readable and, when `writable`, Drive(true) whenever it is writable.
  // fd -1: watch nothing. A new fd replaces the old one. The driver must stop
  // watching the old fd before this returns (the client closes it next).
  virtual void Watch(int fd, bool writable) = 0;
};

}  // namespace meridian::router
