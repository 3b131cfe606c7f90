#include "services/jetstream/monitor/monitor_service.h"

#include <utility>

#include "services/jetstream/api/jsz.h"
#include "services/jetstream/engine/engine.h"
#include "services/jetstream/engine/jsz.h"

namespace meridian::jetstream {

grpc::ServerUnaryReactor* JetStreamMonitorService::Jsz(grpc::CallbackServerContext* context,
                                                       const v1::JszRequest* request,
                                                       v1::JszReply* reply) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  Engine* engine = engine_();
  if (engine == nullptr) {
    reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "JetStream is not running"));
    return reactor;
  }
  JszQuery q;
  q.server_id = request->server_id();
  q.account = request->account();
  q.accounts = request->accounts();
  q.streams = request->streams();
  q.consumers = request->consumers();
  q.config = request->config();
  q.offset = request->offset();
  q.limit = request->limit();
  const bool varz = request->varz();
  // The request and reply stay valid until Finish.
  engine->Post([reactor, reply, q = std::move(q), varz](Engine* engine) {
    if (engine == nullptr) {
      reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "JetStream is stopping"));
      return;
    }
    reply->set_json(varz ? api::VarzJetStreamToJson(ServerConfigOf(*engine), ServerStatsOf(*engine))
                         : api::JsInfoToJson(CollectJsz(*engine, q)));
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

}  // namespace meridian::jetstream
