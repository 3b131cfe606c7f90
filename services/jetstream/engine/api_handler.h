// The $JS.API request/reply API (and the $JS.ACK / $JS.FC subjects) on top
// of the engine: parses requests with services/jetstream/api, applies them
// to streams and consumers, answers with nats-server's JSON, and publishes
// the API audit and stream/consumer create advisories (advisories.h).
//
// Thread: the engine thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "services/jetstream/api/info.h"
#include "services/jetstream/api/responses.h"
#include "services/router/transport/packed.h"

namespace meridian::jetstream {

class Engine;
class Stream;
class Consumer;

class ApiHandler {
 public:
  explicit ApiHandler(Engine* engine) : engine_(engine) {}

  void Handle(const router::PackedMessage& msg);
  void HandleAck(const router::PackedMessage& msg);
  void HandleFlowControl(const router::PackedMessage& msg);

  api::StreamInfo StreamInfoOf(Stream* stream);
  api::ConsumerInfo ConsumerInfoOf(Stream* stream, Consumer* consumer);

 private:
  // Answers the request being handled; with `audit`, the answer also goes
  // out as a $JS.EVENT.ADVISORY.API audit (when someone listens), as
  // nats-server audits every API answer except a successful STREAM.MSG.GET.
  void Reply(std::string_view to, const std::string& json, bool audit = true);
  void Dispatch(const router::PackedMessage& msg);
  void AccountInfo(const router::PackedMessage& msg);
  void StreamCreate(const router::PackedMessage& msg, std::string_view name);
  void StreamUpdate(const router::PackedMessage& msg, std::string_view name);
  void StreamInfo(const router::PackedMessage& msg, std::string_view name);
  void StreamNames(const router::PackedMessage& msg, bool list);
  void StreamDelete(const router::PackedMessage& msg, std::string_view name);
  void StreamPurge(const router::PackedMessage& msg, std::string_view name);
  void StreamMsgGet(const router::PackedMessage& msg, std::string_view name);
  void StreamMsgDelete(const router::PackedMessage& msg, std::string_view name);
  void DirectGet(const router::PackedMessage& msg, std::string_view name, bool subject_form);
  void ConsumerCreate(const router::PackedMessage& msg);
  void ConsumerInfo(const router::PackedMessage& msg, std::string_view stream, std::string_view name);
  void ConsumerNames(const router::PackedMessage& msg, std::string_view stream, bool list);
  void ConsumerDelete(const router::PackedMessage& msg, std::string_view stream, std::string_view name);
  void ConsumerNext(const router::PackedMessage& msg, std::string_view stream, std::string_view name);
  void ConsumerPause(const router::PackedMessage& msg, std::string_view stream, std::string_view name);
  void Unsupported(const router::PackedMessage& msg, std::string_view what);
  // Answers of a server without clustering (nats-server's 10010).
  void NotClustered(const router::PackedMessage& msg, api::ResponseType type);
  void StreamTemplate(const router::PackedMessage& msg, const std::vector<std::string_view>& t);
  api::StreamCheckContext StreamContext();

  Engine* engine_;
  // The $JS.API request Handle() is answering (for the audit), else null.
  const router::PackedMessage* request_ = nullptr;
};

}  // namespace meridian::jetstream
