#include "services/jetstream/api/info.h"

#include "absl/strings/escaping.h"
#include "common/json/time_format.h"

namespace meridian::jetstream::api {
namespace {

void WriteTime(json::Writer& w, absl::string_view key, absl::Time t) {
  w.Key(key).String(json::FormatRfc3339Nano(t));
}

void WriteLimits(json::Writer& w, const AccountLimits& l) {
  w.Key("limits").BeginObject();
  w.MemberInt("max_memory", l.max_memory);
  w.MemberInt("max_storage", l.max_storage);
  w.MemberInt("max_streams", l.max_streams);
  w.MemberInt("max_consumers", l.max_consumers);
  w.MemberInt("max_ack_pending", l.max_ack_pending);
  w.MemberInt("memory_max_stream_bytes", l.memory_max_stream_bytes);
  w.MemberInt("storage_max_stream_bytes", l.storage_max_stream_bytes);
  w.MemberBool("max_bytes_required", l.max_bytes_required);
  w.EndObject();
}

void WriteTierMembers(json::Writer& w, const AccountTier& t) {
  w.MemberUint("memory", t.memory);
  w.MemberUint("storage", t.storage);
  w.MemberInt("streams", t.streams);
  w.MemberInt("consumers", t.consumers);
  WriteLimits(w, t.limits);
}

}  // namespace

std::string Base64Encode(absl::string_view bytes) { return absl::Base64Escape(bytes); }

void WriteStreamStateMembers(json::Writer& w, const StreamState& s) {
  w.MemberUint("messages", s.messages);
  w.MemberUint("bytes", s.bytes);
  w.MemberUint("first_seq", s.first_seq.value);
  WriteTime(w, "first_ts", s.first_ts);
  w.MemberUint("last_seq", s.last_seq.value);
  WriteTime(w, "last_ts", s.last_ts);
  if (s.num_subjects != 0) w.MemberInt("num_subjects", s.num_subjects);
  if (s.subjects && !s.subjects->empty()) {
    w.Key("subjects").BeginObject();
    for (const auto& [subject, count] : *s.subjects) w.MemberUint(subject, count);
    w.EndObject();
  }
  if (s.num_deleted != 0) w.MemberInt("num_deleted", s.num_deleted);
  if (!s.deleted.empty()) {
    w.Key("deleted").BeginArray();
    for (uint64_t seq : s.deleted) w.Uint(seq);
    w.EndArray();
  }
  if (s.lost) {
    w.Key("lost").BeginObject();
    w.Key("msgs");
    if (s.lost->msgs.empty()) {
      w.Null();
    } else {
      w.BeginArray();
      for (uint64_t seq : s.lost->msgs) w.Uint(seq);
      w.EndArray();
    }
    w.MemberUint("bytes", s.lost->bytes);
    w.EndObject();
  }
  w.MemberInt("consumer_count", s.consumer_count);
}

void WriteClusterInfoMembers(json::Writer& w, const ClusterInfo& c) {
  if (!c.name.empty()) w.Member("name", c.name);
  if (!c.leader.empty()) w.Member("leader", c.leader);
  if (!c.replicas.empty()) {
    w.Key("replicas").BeginArray();
    for (const PeerInfo& p : c.replicas) {
      w.BeginObject();
      w.Member("name", p.name);
      w.MemberBool("current", p.current);
      if (p.offline) w.MemberBool("offline", true);
      w.MemberInt("active", p.active.ns);
      if (p.lag != 0) w.MemberUint("lag", p.lag);
      w.Member("peer", p.peer);
      w.EndObject();
    }
    w.EndArray();
  }
}

void WriteStreamSourceInfoMembers(json::Writer& w, const StreamSourceInfo& s) {
  w.Member("name", s.name);
  if (s.external) {
    w.Key("external").BeginObject();
    w.Member("api", s.external->api).Member("deliver", s.external->deliver);
    w.EndObject();
  }
  w.MemberUint("lag", s.lag);
  w.MemberInt("active", s.active.ns);
  if (s.error) {
    w.Key("error");
    WriteApiError(w, *s.error);
  }
  if (!s.filter_subject.empty()) w.Member("filter_subject", s.filter_subject);
  if (!s.subject_transforms.empty()) {
    w.Key("subject_transforms").BeginArray();
    for (const auto& t : s.subject_transforms) {
      w.BeginObject().Member("src", t.src).Member("dest", t.dest).EndObject();
    }
    w.EndArray();
  }
}

void WriteStreamSourcingMembers(json::Writer& w, const StreamInfo& info) {
  if (info.mirror) {
    w.Key("mirror").BeginObject();
    WriteStreamSourceInfoMembers(w, *info.mirror);
    w.EndObject();
  }
  if (!info.sources.empty()) {
    w.Key("sources").BeginArray();
    for (const auto& s : info.sources) {
      w.BeginObject();
      WriteStreamSourceInfoMembers(w, s);
      w.EndObject();
    }
    w.EndArray();
  }
}

void WriteStreamInfoMembers(json::Writer& w, const StreamInfo& info) {
  w.Key("config");
  WriteStreamConfig(w, info.config);
  WriteTime(w, "created", info.created);
  w.Key("state").BeginObject();
  WriteStreamStateMembers(w, info.state);
  w.EndObject();
  if (!info.domain.empty()) w.Member("domain", info.domain);
  if (info.cluster) {
    w.Key("cluster").BeginObject();
    WriteClusterInfoMembers(w, *info.cluster);
    w.EndObject();
  }
  WriteStreamSourcingMembers(w, info);
  if (!info.alternates.empty()) {
    w.Key("alternates").BeginArray();
    for (const auto& a : info.alternates) {
      w.BeginObject();
      w.Member("name", a.name);
      if (!a.domain.empty()) w.Member("domain", a.domain);
      w.Member("cluster", a.cluster);
      w.EndObject();
    }
    w.EndArray();
  }
  if (info.ts) WriteTime(w, "ts", *info.ts);
}

void WriteSequenceInfoMembers(json::Writer& w, const SequenceInfo& s) {
  w.MemberUint("consumer_seq", s.consumer_seq.value);
  w.MemberUint("stream_seq", s.stream_seq.value);
  if (s.last_active) WriteTime(w, "last_active", *s.last_active);
}

void WriteConsumerInfoMembers(json::Writer& w, const ConsumerInfo& info) {
  w.Member("stream_name", info.stream_name);
  w.Member("name", info.name);
  WriteTime(w, "created", info.created);
  if (info.config) {
    w.Key("config");
    WriteConsumerConfig(w, *info.config);
  }
  w.Key("delivered").BeginObject();
  WriteSequenceInfoMembers(w, info.delivered);
  w.EndObject();
  w.Key("ack_floor").BeginObject();
  WriteSequenceInfoMembers(w, info.ack_floor);
  w.EndObject();
  w.MemberInt("num_ack_pending", info.num_ack_pending);
  w.MemberInt("num_redelivered", info.num_redelivered);
  w.MemberInt("num_waiting", info.num_waiting);
  w.MemberUint("num_pending", info.num_pending);
  if (info.cluster) {
    w.Key("cluster").BeginObject();
    WriteClusterInfoMembers(w, *info.cluster);
    w.EndObject();
  }
  if (info.push_bound) w.MemberBool("push_bound", true);
  if (info.paused) w.MemberBool("paused", true);
  if (!info.pause_remaining.is_zero()) w.MemberInt("pause_remaining", info.pause_remaining.ns);
  if (info.ts) WriteTime(w, "ts", *info.ts);
}

void WriteAccountInfoMembers(json::Writer& w, const AccountInfo& info) {
  WriteTierMembers(w, info.totals);
  if (!info.domain.empty()) w.Member("domain", info.domain);
  w.Key("api").BeginObject();
  if (info.api.level != 0) w.MemberInt("level", info.api.level);
  w.MemberUint("total", info.api.total);
  w.MemberUint("errors", info.api.errors);
  if (info.api.inflight != 0) w.MemberUint("inflight", info.api.inflight);
  w.EndObject();
  if (!info.tiers.empty()) {
    w.Key("tiers").BeginObject();
    for (const auto& [name, tier] : info.tiers) {
      w.Key(name).BeginObject();
      WriteTierMembers(w, tier);
      w.EndObject();
    }
    w.EndObject();
  }
}

void WriteStoredMsgMembers(json::Writer& w, const StoredMsg& m) {
  w.Member("subject", m.subject);
  w.MemberUint("seq", m.seq.value);
  if (!m.hdrs.empty()) w.Member("hdrs", Base64Encode(m.hdrs));
  if (!m.data.empty()) w.Member("data", Base64Encode(m.data));
  WriteTime(w, "time", m.time);
}

void WritePagingMembers(json::Writer& w, const Paging& p) {
  w.MemberInt("total", p.total);
  w.MemberInt("offset", p.offset);
  w.MemberInt("limit", p.limit);
}

std::string StreamStateToJson(const StreamState& s) {
  std::string out;
  json::Writer w(&out);
  w.BeginObject();
  WriteStreamStateMembers(w, s);
  w.EndObject();
  return out;
}

std::string StreamInfoToJson(const StreamInfo& info) {
  std::string out;
  json::Writer w(&out);
  w.BeginObject();
  WriteStreamInfoMembers(w, info);
  w.EndObject();
  return out;
}

std::string ConsumerInfoToJson(const ConsumerInfo& info) {
  std::string out;
  json::Writer w(&out);
  w.BeginObject();
  WriteConsumerInfoMembers(w, info);
  w.EndObject();
  return out;
}

}  // namespace meridian::jetstream::api
