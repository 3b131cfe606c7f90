#include "services/jetstream/api/jsz.h"

#include "common/json/time_format.h"
#include "common/json/writer.h"
#include "services/jetstream/api/stream_config.h"

namespace meridian::jetstream::api {
namespace {

void WriteConfig(json::Writer& w, const JetStreamServerConfig& c) {
  w.Key("config").BeginObject();
  w.MemberInt("max_memory", c.max_memory);
  w.MemberInt("max_storage", c.max_storage);
  if (!c.store_dir.empty()) w.Member("store_dir", c.store_dir);
  if (!c.domain.empty()) w.Member("domain", c.domain);
  w.EndObject();
}

void WriteStatsMembers(json::Writer& w, const JetStreamStats& s) {
  w.MemberUint("memory", s.memory);
  w.MemberUint("storage", s.storage);
  w.MemberUint("reserved_memory", s.reserved_memory);
  w.MemberUint("reserved_storage", s.reserved_storage);
  w.MemberInt("accounts", s.accounts);
  w.MemberInt("ha_assets", s.ha_assets);
  w.Key("api").BeginObject();
  w.MemberUint("total", s.api.total);
  w.MemberUint("errors", s.api.errors);
  if (s.api.inflight != 0) w.MemberUint("inflight", s.api.inflight);
  w.EndObject();
}

void WriteStreamDetail(json::Writer& w, const StreamDetail& d) {
  const StreamInfo& info = d.info;
  w.BeginObject();
  w.Member("name", info.config.name);
  w.Member("created", json::FormatRfc3339Nano(info.created));
  if (info.cluster) {
    w.Key("cluster").BeginObject();
    WriteClusterInfoMembers(w, *info.cluster);
    w.EndObject();
  }
  if (d.with_config) {
    w.Key("config");
    WriteStreamConfig(w, info.config);
  }
  w.Key("state").BeginObject();
  WriteStreamStateMembers(w, info.state);
  w.EndObject();
  if (!d.consumers.empty()) {
    w.Key("consumer_detail").BeginArray();
    for (const ConsumerInfo& c : d.consumers) {
      w.BeginObject();
      WriteConsumerInfoMembers(w, c);
      w.EndObject();
    }
    w.EndArray();
  }
  WriteStreamSourcingMembers(w, info);
  w.EndObject();
}

void WriteAccountDetail(json::Writer& w, const AccountDetail& a) {
  w.BeginObject();
  w.Member("name", a.name);
  w.Member("id", a.id);
  WriteStatsMembers(w, a.stats);
  if (!a.streams.empty()) {
    w.Key("stream_detail").BeginArray();
    for (const StreamDetail& d : a.streams) WriteStreamDetail(w, d);
    w.EndArray();
  }
  w.EndObject();
}

}  // namespace

std::string JsInfoToJson(const JsInfo& info) {
  std::string out;
  json::Writer w = json::Writer::Pretty(&out);
  w.BeginObject();
  w.Member("server_id", info.server_id);
  w.Member("now", json::FormatRfc3339Nano(info.now));
  if (info.disabled) w.MemberBool("disabled", true);
  WriteConfig(w, info.config);
  WriteStatsMembers(w, info.stats);
  w.MemberInt("streams", info.streams);
  w.MemberInt("consumers", info.consumers);
  w.MemberUint("messages", info.messages);
  w.MemberUint("bytes", info.bytes);
  if (!info.account_details.empty()) {
    w.Key("account_details").BeginArray();
    for (const AccountDetail& a : info.account_details) WriteAccountDetail(w, a);
    w.EndArray();
  }
  w.EndObject();
  return out;
}

std::string VarzJetStreamToJson(const JetStreamServerConfig& config, const JetStreamStats& stats) {
  std::string out;
  json::Writer w = json::Writer::Compact(&out);
  w.BeginObject();
  WriteConfig(w, config);
  w.Key("stats").BeginObject();
  WriteStatsMembers(w, stats);
  w.EndObject();
  w.EndObject();
  return out;
}

}  // namespace meridian::jetstream::api
