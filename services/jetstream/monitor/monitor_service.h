// meridian.jetstream.v1.JetStreamMonitor: the frontends' way to answer
// GET /jsz and the "jetstream" object of GET /varz with the engine's state.
//
// Threads: gRPC callback threads receive a call and post it to the engine
// thread (Engine::Post), which builds the JSON and finishes the call. No
// gRPC thread waits for the engine.
#pragma once

#include <functional>
#include <utility>

#include "meridian/jetstream/v1/monitor.grpc.pb.h"

namespace meridian::jetstream {

class Engine;

class JetStreamMonitorService final : public v1::JetStreamMonitor::CallbackService {
 public:
  // `engine` returns the engine (null while there is none: calls then fail
  // UNAVAILABLE); the engine must outlive the service's server (a stopped
  // engine fails calls UNAVAILABLE too).
  explicit JetStreamMonitorService(std::function<Engine*()> engine) : engine_(std::move(engine)) {}

  grpc::ServerUnaryReactor* Jsz(grpc::CallbackServerContext* context, const v1::JszRequest* request,
                                v1::JszReply* reply) override;

 private:
  const std::function<Engine*()> engine_;
};

}  // namespace meridian::jetstream
