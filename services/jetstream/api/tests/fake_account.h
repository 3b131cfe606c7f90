// Test helper: a minimal standalone JetStream "account" doing around the
// library what the engine does for STREAM.CREATE / UPDATE and
// CONSUMER.CREATE, in nats-server 2.9.10's order; and builders for the info
// objects with the engine-owned values (times, states, names) taken from a
// golden response.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "services/jetstream/api/consumer_config.h"
#include "services/jetstream/api/errors.h"
#include "services/jetstream/api/info.h"
#include "services/jetstream/api/stream_config.h"
#include "services/jetstream/api/tests/golden_util.h"

namespace meridian::jetstream::api::testing {

// A minimal standalone "account": what the engine does around this library
// for STREAM.CREATE / UPDATE and CONSUMER.CREATE, in nats-server's order.
class FakeAccount {
 public:
  ApiResult<StreamConfig> CreateStream(absl::string_view subject_name, absl::string_view body) {
    auto cfg = ParseStreamConfigJson(body);
    if (!cfg.ok()) return cfg.error();
    if (ApiStatus pre = CheckStreamCreateRequest(subject_name, *cfg); !pre.ok()) {
      return pre.error();
    }
    auto checked = CheckStreamConfig(*cfg, Context());
    if (!checked.ok()) return checked.error();
    if (checked->num_replicas > 1) return Make(ErrorId::JSStreamReplicasNotSupportedErr);
    if (auto it = streams_.find(checked->name); it != streams_.end()) {
      if (StreamConfigsEqual(it->second, *checked)) return it->second;
      return Make(ErrorId::JSStreamNameExistErr);
    }
    for (const auto& [name, other] : streams_) {
      if (StreamSubjectsOverlap(other.subjects, checked->subjects)) {
        return Make(ErrorId::JSStreamSubjectOverlapErr);
      }
    }
    streams_[checked->name] = *checked;
    return *checked;
  }

  ApiResult<StreamConfig> UpdateStream(absl::string_view subject_name, absl::string_view body) {
    auto cfg = ParseStreamConfigJson(body);
    if (!cfg.ok()) return cfg.error();
    auto checked = CheckStreamConfig(*cfg, Context());
    if (!checked.ok()) return checked.error();
    if (checked->name != subject_name) return Make(ErrorId::JSStreamMismatchErr);
    auto it = streams_.find(checked->name);
    if (it == streams_.end()) return Make(ErrorId::JSStreamNotFoundErr);
    auto updated = CheckStreamUpdate(it->second, *checked);
    if (!updated.ok()) return updated.error();
    for (const auto& [name, other] : streams_) {
      if (name != updated->name && StreamSubjectsOverlap(other.subjects, updated->subjects)) {
        return Make(ErrorId::JSStreamSubjectOverlapErr);
      }
    }
    it->second = *updated;
    return *updated;
  }

  // Returns the config as stored (name resolved).
  ApiResult<ConsumerConfig> CreateConsumer(absl::string_view subject, absl::string_view body) {
    auto req = ParseCreateConsumerRequestJson(body);
    if (!req.ok()) return req.error();
    auto form = ParseConsumerCreateSubject(subject);
    EXPECT_TRUE(form.has_value()) << subject;
    if (ApiStatus s = CheckConsumerCreateSubject(*form, &*req); !s.ok()) return s.error();
    if (req->config.num_replicas > 1) return Make(ErrorId::JSStreamReplicasNotSupportedErr);
    auto stream = streams_.find(req->stream_name);
    if (stream == streams_.end()) return Make(ErrorId::JSStreamNotFoundErr);
    ConsumerConfig cfg = req->config;
    SetConsumerDefaults(&cfg, ConsumerLimits{}, &stream->second);
    ConsumerCheckContext ctx;
    ctx.lookup_stream = Lookup();
    if (ApiStatus s = CheckConsumerConfig(cfg, stream->second, ctx); !s.ok()) return s.error();
    std::string name = cfg.is_durable() ? cfg.durable_name : cfg.name;
    auto& consumers = consumers_[req->stream_name];
    if (!name.empty()) {
      if (auto it = consumers.find(name); it != consumers.end()) {
        if (ApiStatus s = CheckConsumerUpdate(it->second, cfg, false); !s.ok()) return s.error();
        it->second = cfg;
        return cfg;
      }
    }
    if (stream->second.max_consumers > 0 &&
        static_cast<int64_t>(consumers.size()) >= stream->second.max_consumers) {
      return Make(ErrorId::JSMaximumConsumersLimitErr);
    }
    if (stream->second.retention == RetentionPolicy::kWorkQueue) {
      std::vector<const ConsumerConfig*> others;
      for (const auto& [n, c] : consumers) others.push_back(&c);
      if (ApiStatus s = CheckWorkQueueConsumer(cfg, others); !s.ok()) return s.error();
    }
    if (name.empty()) name = NewConsumerName();
    if (ApiStatus s = CheckConsumerName(name); !s.ok()) return s.error();
    if (!cfg.is_durable() && cfg.inactive_threshold.ns <= 0) {
      cfg.inactive_threshold = kEphemeralInactiveThreshold;
    }
    consumers[name] = cfg;
    return cfg;
  }

  const StreamConfig& stream(const std::string& name) { return streams_.at(name); }

 private:
  std::function<const StreamConfig*(absl::string_view)> Lookup() {
    return [this](absl::string_view name) -> const StreamConfig* {
      auto it = streams_.find(std::string(name));
      return it == streams_.end() ? nullptr : &it->second;
    };
  }
  StreamCheckContext Context() {
    StreamCheckContext ctx;
    ctx.lookup_stream = Lookup();
    return ctx;
  }

  std::map<std::string, StreamConfig> streams_;
  std::map<std::string, std::map<std::string, ConsumerConfig>> consumers_;
};

// StreamInfo as a create/update response shows it: config, created, state.
inline StreamInfo InfoFrom(const StreamConfig& cfg, const json::Value& golden) {
  StreamInfo info;
  info.config = cfg;
  info.created = TimeOf(golden.Find("created"));
  if (const json::Value* state = golden.Find("state")) info.state = StateOf(*state);
  return info;
}

inline ConsumerInfo ConsumerInfoFrom(const std::string& stream, const ConsumerConfig& cfg,
                                     const json::Value& golden) {
  ConsumerInfo info;
  info.stream_name = stream;
  info.name = *golden.Find("name")->AsString();
  info.created = TimeOf(golden.Find("created"));
  info.config = cfg;
  info.delivered.stream_seq.value =
      golden.Find("delivered")->Find("stream_seq")->AsUint64().value();
  info.num_pending = golden.Find("num_pending")->AsUint64().value();
  return info;
}

}  // namespace meridian::jetstream::api::testing
