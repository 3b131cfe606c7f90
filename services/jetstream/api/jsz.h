// The JetStream monitoring objects nats-server 2.9.10 serves on GET /jsz
// (JSInfo, AccountDetail, StreamDetail) and in the "jetstream" object of
// GET /varz, with their JSON writers (field order = Go struct order,
// omitempty as Go; ../shared/spec/monitoring.md section 6).
//
// Plain data, no thread affinity.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "services/jetstream/api/info.h"

namespace meridian::jetstream::api {

// JetStreamConfig as /jsz and /varz show it.
struct JetStreamServerConfig {
  int64_t max_memory = 0;
  int64_t max_storage = 0;
  std::string store_dir;  // omitempty
  std::string domain;     // omitempty
};

// JetStreamStats (embedded in JSInfo and AccountDetail).
struct JetStreamStats {
  uint64_t memory = 0;
  uint64_t storage = 0;
  uint64_t reserved_memory = 0;
  uint64_t reserved_storage = 0;
  int64_t accounts = 0;
  int64_t ha_assets = 0;
  ApiStats api;  // total, errors, inflight (omitempty)
};

struct StreamDetail {
  StreamInfo info;  // name from info.config.name; config written only with `with_config`
  bool with_config = false;
  std::vector<ConsumerInfo> consumers;  // consumer_detail, omitempty
};

struct AccountDetail {
  std::string name;
  std::string id;
  JetStreamStats stats;
  std::vector<StreamDetail> streams;  // stream_detail, omitempty
};

struct JsInfo {
  std::string server_id;
  absl::Time now;
  bool disabled = false;  // omitempty
  JetStreamServerConfig config;
  JetStreamStats stats;
  int64_t streams = 0;
  int64_t consumers = 0;
  uint64_t messages = 0;
  uint64_t bytes = 0;
  std::vector<AccountDetail> account_details;  // omitempty
};

// GET /jsz, indented as nats-server's json.MarshalIndent(v, "", "  ").
std::string JsInfoToJson(const JsInfo& info);
// The /varz "jetstream" object: {"config": ..., "stats": ...}.
std::string VarzJetStreamToJson(const JetStreamServerConfig& config, const JetStreamStats& stats);

}  // namespace meridian::jetstream::api
