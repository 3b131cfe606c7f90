// A client's subscription as the frontend indexes it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "common/subjects/sublist.h"

namespace meridian::frontend {

class ClientConnection;

// Fields other loops read (through match results): cid, worker, max and
// delivered. `owner` (the ClientConnection) is dereferenced only on the
// owning worker. Freed only after every worker passed a quiescent point
// after its removal from the index (Core::Retire).
struct ClientSub : subjects::Subscription {
  uint64_t cid = 0;
  uint64_t serial = 0;  // unique per subscription: a reused sid is a new one
  uint32_t worker = 0;
  std::atomic<uint64_t> max{0};        // auto-unsubscribe after this many; 0 = none
  std::atomic<uint64_t> delivered{0};  // counted only while max is set
  // The owning connection's pending outbound bytes, readable from any loop
  // (publishers slow down when it nears max_pending). Shared so it outlives
  // the connection for as long as the subscription does.
  std::shared_ptr<std::atomic<int64_t>> pending;
  ClientConnection* conn() const { return static_cast<ClientConnection*>(owner); }
};

}  // namespace meridian::frontend
