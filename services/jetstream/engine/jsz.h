// JetStream monitoring from the engine's state: what GET /jsz and the
// "jetstream" object of GET /varz show (api/jsz.h), gathered as nats-server
// 2.9.10's Jsz() gathers them (one account, "$G", until accounts arrive).
//
// Thread: the engine thread (Engine::Post from elsewhere).
#pragma once

#include <cstdint>
#include <string>

#include "services/jetstream/api/jsz.h"

namespace meridian::jetstream {

class Engine;

struct JszQuery {
  std::string server_id;
  std::string account;     // acc: details of this account only (if it exists)
  bool accounts = false;   // account_details
  bool streams = false;    // stream_detail (implies accounts)
  bool consumers = false;  // consumer_detail (implies streams)
  bool config = false;     // configs in the details
  int64_t offset = 0;      // account paging
  int64_t limit = 0;       // 0: 1024
};

api::JsInfo CollectJsz(Engine& engine, const JszQuery& query);
api::JetStreamServerConfig ServerConfigOf(const Engine& engine);
api::JetStreamStats ServerStatsOf(Engine& engine);

}  // namespace meridian::jetstream
