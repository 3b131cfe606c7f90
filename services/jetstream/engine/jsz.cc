#include "services/jetstream/engine/jsz.h"

#include <limits>

#include "services/jetstream/engine/api_handler.h"
#include "services/jetstream/engine/consumer.h"
#include "services/jetstream/engine/engine.h"
#include "services/jetstream/engine/stream.h"

namespace meridian::jetstream {
namespace {

constexpr const char* kAccountName = "$G";

api::AccountDetail AccountDetailOf(Engine& engine, const JszQuery& q) {
  api::AccountDetail d;
  d.name = d.id = kAccountName;
  d.stats.memory = engine.used_bytes(true);
  d.stats.storage = engine.used_bytes(false);
  // nats-server reports the account's limits here: without account limits
  // they are -1, which it writes as an unsigned number.
  d.stats.reserved_memory = std::numeric_limits<uint64_t>::max();
  d.stats.reserved_storage = std::numeric_limits<uint64_t>::max();
  d.stats.api.total = engine.stats().api_requests;
  d.stats.api.errors = engine.stats().api_errors;
  if (!q.streams) return d;
  for (const auto& [name, stream] : engine.streams()) {
    api::StreamDetail sd;
    sd.info = engine.api().StreamInfoOf(stream.get());
    // A standalone nats-server names itself the leader of every stream here.
    sd.info.cluster = api::ClusterInfo{};
    sd.info.cluster->leader = engine.options().server_name;
    sd.with_config = q.config;
    if (q.consumers) {
      for (const auto& [cname, consumer] : stream->consumers()) {
        api::ConsumerInfo ci = engine.api().ConsumerInfoOf(stream.get(), consumer.get());
        if (!q.config) ci.config.reset();
        sd.consumers.push_back(std::move(ci));
      }
    }
    d.streams.push_back(std::move(sd));
  }
  return d;
}

}  // namespace

api::JetStreamServerConfig ServerConfigOf(const Engine& engine) {
  api::JetStreamServerConfig c;
  c.max_memory = engine.options().max_memory_store;
  c.max_storage = engine.options().max_file_store;
  c.store_dir = engine.options().store_dir + "/jetstream";
  return c;
}

api::JetStreamStats ServerStatsOf(Engine& engine) {
  api::JetStreamStats s;
  s.memory = engine.used_bytes(true);
  s.storage = engine.used_bytes(false);
  for (const auto& [name, stream] : engine.streams()) {
    const api::StreamConfig& cfg = stream->config();
    if (cfg.max_bytes <= 0) continue;
    const uint64_t reserved = static_cast<uint64_t>(cfg.max_bytes);
    if (cfg.storage == api::StorageType::kMemory) {
      s.reserved_memory += reserved;
    } else {
      s.reserved_storage += reserved;
    }
  }
  s.accounts = 1;
  s.api.total = engine.stats().api_requests;
  s.api.errors = engine.stats().api_errors;
  return s;
}

api::JsInfo CollectJsz(Engine& engine, const JszQuery& query) {
  JszQuery q = query;
  if (q.limit == 0) q.limit = 1024;
  if (q.consumers) q.streams = true;
  if (q.streams) q.accounts = true;

  api::JsInfo info;
  info.server_id = q.server_id;
  info.now = absl::Now();
  info.config = ServerConfigOf(engine);
  info.stats = ServerStatsOf(engine);
  for (const auto& [name, stream] : engine.streams()) {
    const StreamState st = stream->State();
    ++info.streams;
    info.messages += st.msgs;
    info.bytes += st.bytes;
    info.consumers += static_cast<int64_t>(stream->consumers().size());
  }
  // As nats-server: a named account that exists is shown alone (even without
  // `accounts`); otherwise `accounts` pages through all of them.
  const bool named = q.account == kAccountName;
  const bool listed = q.accounts && q.offset < 1 && q.limit > 0;
  if (named || listed) info.account_details.push_back(AccountDetailOf(engine, q));
  return info;
}

}  // namespace meridian::jetstream
