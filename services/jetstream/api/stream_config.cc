// StreamConfig JSON: parsing (Go Unmarshal rules) and writing (Go Marshal
// layout of nats-server 2.9.10's struct). Validation is in
// stream_config_check.cc.
#include "services/jetstream/api/stream_config.h"

#include <string>

#include "common/json/time_format.h"
#include "services/jetstream/api/go_decode.h"

namespace meridian::jetstream::api {
namespace {

using internal::GoDecoder;

void DecodeExternal(GoDecoder& d, const json::Value& v, std::optional<ExternalStream>* out) {
  ExternalStream ext;
  if (d.Nested(v, "ExternalStream", "server.ExternalStream", [&](GoDecoder& n) {
        n.Fields(v, {"api", "deliver"}, [&](absl::string_view f, const json::Value& fv) {
          if (f == "api")
            n.String(fv, &ext.api);
          else
            n.String(fv, &ext.deliver);
        });
      })) {
    *out = std::move(ext);
  } else if (v.is_null()) {
    out->reset();
  }
}

void DecodeTransform(GoDecoder& d, const json::Value& v, SubjectTransform* out) {
  d.Fields(v, {"src", "dest"}, [&](absl::string_view f, const json::Value& fv) {
    if (f == "src")
      d.String(fv, &out->src);
    else
      d.String(fv, &out->dest);
  });
}

void DecodeSourceFields(GoDecoder& d, const json::Value& v, StreamSource* src) {
  d.Fields(v,
           {"name", "opt_start_seq", "opt_start_time", "filter_subject", "subject_transforms",
            "external"},
           [&](absl::string_view f, const json::Value& fv) {
             if (f == "name") {
               d.String(fv, &src->name);
             } else if (f == "opt_start_seq") {
               d.StreamSeq(fv, &src->opt_start_seq);
             } else if (f == "opt_start_time") {
               d.Time(fv, &src->opt_start_time);
             } else if (f == "filter_subject") {
               d.String(fv, &src->filter_subject);
             } else if (f == "subject_transforms") {
               src->subject_transforms.clear();
               d.NestedSlice(fv, "SubjectTransformConfig", "server.SubjectTransformConfig",
                             [&](GoDecoder& n, const json::Value& item) {
                               SubjectTransform t;
                               DecodeTransform(n, item, &t);
                               src->subject_transforms.push_back(std::move(t));
                             });
             } else if (f == "external") {
               DecodeExternal(d, fv, &src->external);
             }
           });
}

void DecodeStreamConfig(GoDecoder& d, const json::Value& v, StreamConfig* cfg) {
  d.Fields(v,
           {"name",
            "description",
            "subjects",
            "retention",
            "max_consumers",
            "max_msgs",
            "max_bytes",
            "max_age",
            "max_msgs_per_subject",
            "max_msg_size",
            "discard",
            "storage",
            "num_replicas",
            "no_ack",
            "template_owner",
            "duplicate_window",
            "placement",
            "mirror",
            "sources",
            "compression",
            "first_seq",
            "subject_transform",
            "republish",
            "allow_direct",
            "mirror_direct",
            "discard_new_per_subject",
            "sealed",
            "deny_delete",
            "deny_purge",
            "allow_rollup_hdrs",
            "consumer_limits",
            "allow_msg_ttl",
            "subject_delete_marker_ttl",
            "metadata"},
           [&](absl::string_view f, const json::Value& fv) {
             if (f == "name")
               d.String(fv, &cfg->name);
             else if (f == "description")
               d.String(fv, &cfg->description);
             else if (f == "subjects")
               d.StringSlice(fv, &cfg->subjects);
             else if (f == "retention")
               d.Enum(fv, &cfg->retention, &ParseRetentionPolicy);
             else if (f == "max_consumers")
               d.Int(fv, &cfg->max_consumers);
             else if (f == "max_msgs")
               d.Int(fv, &cfg->max_msgs, "int64");
             else if (f == "max_bytes")
               d.Int(fv, &cfg->max_bytes, "int64");
             else if (f == "max_age")
               d.Duration(fv, &cfg->max_age);
             else if (f == "max_msgs_per_subject")
               d.Int(fv, &cfg->max_msgs_per_subject, "int64");
             else if (f == "max_msg_size")
               d.Int32(fv, &cfg->max_msg_size);
             else if (f == "discard")
               d.Enum(fv, &cfg->discard, &ParseDiscardPolicy);
             else if (f == "storage")
               d.Enum(fv, &cfg->storage, &ParseStorageType);
             else if (f == "num_replicas")
               d.Int(fv, &cfg->num_replicas);
             else if (f == "no_ack")
               d.Bool(fv, &cfg->no_ack);
             else if (f == "template_owner")
               d.String(fv, &cfg->template_owner);
             else if (f == "duplicate_window")
               d.Duration(fv, &cfg->duplicate_window);
             else if (f == "placement") {
               Placement p;
               if (d.Nested(fv, "Placement", "server.Placement", [&](GoDecoder& n) {
                     n.Fields(fv, {"cluster", "tags", "preferred"},
                              [&](absl::string_view pf, const json::Value& pv) {
                                if (pf == "cluster")
                                  n.String(pv, &p.cluster);
                                else if (pf == "tags")
                                  n.StringSlice(pv, &p.tags);
                                else
                                  n.String(pv, &p.preferred);
                              });
                   })) {
                 cfg->placement = std::move(p);
               } else if (fv.is_null()) {
                 cfg->placement.reset();
               }
             } else if (f == "mirror") {
               StreamSource src;
               if (d.Nested(fv, "StreamSource", "server.StreamSource",
                            [&](GoDecoder& n) { DecodeSourceFields(n, fv, &src); })) {
                 cfg->mirror = std::move(src);
               } else if (fv.is_null()) {
                 cfg->mirror.reset();
               }
             } else if (f == "sources") {
               cfg->sources.clear();
               d.NestedSlice(fv, "StreamSource", "*server.StreamSource",
                             [&](GoDecoder& n, const json::Value& item) {
                               StreamSource src;
                               DecodeSourceFields(n, item, &src);
                               cfg->sources.push_back(std::move(src));
                             });
             } else if (f == "compression") {
               d.Enum(fv, &cfg->compression, &ParseCompression);
             } else if (f == "first_seq") {
               d.StreamSeq(fv, &cfg->first_seq);
             } else if (f == "subject_transform") {
               SubjectTransform t;
               if (d.Nested(fv, "SubjectTransformConfig", "server.SubjectTransformConfig",
                            [&](GoDecoder& n) { DecodeTransform(n, fv, &t); })) {
                 cfg->subject_transform = std::move(t);
               } else if (fv.is_null()) {
                 cfg->subject_transform.reset();
               }
             } else if (f == "republish") {
               RePublish r;
               if (d.Nested(fv, "RePublish", "server.RePublish", [&](GoDecoder& n) {
                     n.Fields(fv, {"src", "dest", "headers_only"},
                              [&](absl::string_view rf, const json::Value& rv) {
                                if (rf == "src")
                                  n.String(rv, &r.src);
                                else if (rf == "dest")
                                  n.String(rv, &r.dest);
                                else
                                  n.Bool(rv, &r.headers_only);
                              });
                   })) {
                 cfg->republish = std::move(r);
               } else if (fv.is_null()) {
                 cfg->republish.reset();
               }
             } else if (f == "allow_direct")
               d.Bool(fv, &cfg->allow_direct);
             else if (f == "mirror_direct")
               d.Bool(fv, &cfg->mirror_direct);
             else if (f == "discard_new_per_subject")
               d.Bool(fv, &cfg->discard_new_per_subject);
             else if (f == "sealed")
               d.Bool(fv, &cfg->sealed);
             else if (f == "deny_delete")
               d.Bool(fv, &cfg->deny_delete);
             else if (f == "deny_purge")
               d.Bool(fv, &cfg->deny_purge);
             else if (f == "allow_rollup_hdrs")
               d.Bool(fv, &cfg->allow_rollup_hdrs);
             else if (f == "consumer_limits") {
               d.Nested(fv, "StreamConsumerLimits", "server.StreamConsumerLimits",
                        [&](GoDecoder& n) {
                          n.Fields(fv, {"inactive_threshold", "max_ack_pending"},
                                   [&](absl::string_view lf, const json::Value& lv) {
                                     if (lf == "inactive_threshold") {
                                       n.Duration(lv, &cfg->consumer_limits.inactive_threshold);
                                     } else {
                                       n.Int(lv, &cfg->consumer_limits.max_ack_pending);
                                     }
                                   });
                        });
             } else if (f == "allow_msg_ttl")
               d.Bool(fv, &cfg->allow_msg_ttl);
             else if (f == "subject_delete_marker_ttl")
               d.Duration(fv, &cfg->subject_delete_marker_ttl);
             else if (f == "metadata")
               d.StringMap(fv, &cfg->metadata);
           });
}

void WriteTime(json::Writer& w, absl::string_view key, absl::Time t) {
  w.Key(key).String(json::FormatRfc3339Nano(t));
}

void WriteSource(json::Writer& w, const StreamSource& s) {
  w.BeginObject();
  w.Member("name", s.name);
  if (s.opt_start_seq.value != 0) w.MemberUint("opt_start_seq", s.opt_start_seq.value);
  if (s.opt_start_time) WriteTime(w, "opt_start_time", *s.opt_start_time);
  if (!s.filter_subject.empty()) w.Member("filter_subject", s.filter_subject);
  if (!s.subject_transforms.empty()) {
    w.Key("subject_transforms").BeginArray();
    for (const auto& t : s.subject_transforms) {
      w.BeginObject().Member("src", t.src).Member("dest", t.dest).EndObject();
    }
    w.EndArray();
  }
  if (s.external) {
    w.Key("external").BeginObject();
    w.Member("api", s.external->api).Member("deliver", s.external->deliver);
    w.EndObject();
  }
  w.EndObject();
}

}  // namespace

ApiResult<StreamConfig> ParseStreamConfig(const json::Value& v) {
  GoDecoder d("StreamConfig", "server.StreamConfig");
  StreamConfig cfg;
  DecodeStreamConfig(d, v, &cfg);
  if (!d.ok()) return internal::InvalidJsonError(d.error());
  return cfg;
}

std::string StreamConfigDecodeError(const json::Value& v) {
  GoDecoder d("StreamConfig", "server.StreamConfig");
  StreamConfig cfg;
  DecodeStreamConfig(d, v, &cfg);
  return d.error();
}

ApiResult<StreamConfig> ParseStreamConfigJson(absl::string_view body) {
  json::Value v;
  std::string go_error;
  if (!internal::ParseGoJson(body, &v, &go_error)) return internal::InvalidJsonError(go_error);
  return ParseStreamConfig(v);
}

void WriteStreamConfig(json::Writer& w, const StreamConfig& c) {
  w.BeginObject();
  w.Member("name", c.name);
  if (!c.description.empty()) w.Member("description", c.description);
  if (!c.subjects.empty()) {
    w.Key("subjects").BeginArray();
    for (const auto& s : c.subjects) w.String(s);
    w.EndArray();
  }
  w.Member("retention", ToString(c.retention));
  w.MemberInt("max_consumers", c.max_consumers);
  w.MemberInt("max_msgs", c.max_msgs);
  w.MemberInt("max_bytes", c.max_bytes);
  w.MemberInt("max_age", c.max_age.ns);
  w.MemberInt("max_msgs_per_subject", c.max_msgs_per_subject);
  if (c.max_msg_size != 0) w.MemberInt("max_msg_size", c.max_msg_size);
  w.Member("discard", ToString(c.discard));
  w.Member("storage", ToString(c.storage));
  w.MemberInt("num_replicas", c.num_replicas);
  if (c.no_ack) w.MemberBool("no_ack", true);
  if (!c.template_owner.empty()) w.Member("template_owner", c.template_owner);
  if (!c.duplicate_window.is_zero()) w.MemberInt("duplicate_window", c.duplicate_window.ns);
  if (c.placement) {
    w.Key("placement").BeginObject();
    if (!c.placement->cluster.empty()) w.Member("cluster", c.placement->cluster);
    if (!c.placement->tags.empty()) {
      w.Key("tags").BeginArray();
      for (const auto& t : c.placement->tags) w.String(t);
      w.EndArray();
    }
    if (!c.placement->preferred.empty()) w.Member("preferred", c.placement->preferred);
    w.EndObject();
  }
  if (c.mirror) {
    w.Key("mirror");
    WriteSource(w, *c.mirror);
  }
  if (!c.sources.empty()) {
    w.Key("sources").BeginArray();
    for (const auto& s : c.sources) WriteSource(w, s);
    w.EndArray();
  }
  if (c.compression != Compression::kNone) w.Member("compression", ToString(c.compression));
  if (c.first_seq.value != 0) w.MemberUint("first_seq", c.first_seq.value);
  if (c.subject_transform) {
    w.Key("subject_transform").BeginObject();
    w.Member("src", c.subject_transform->src).Member("dest", c.subject_transform->dest);
    w.EndObject();
  }
  if (c.republish) {
    w.Key("republish").BeginObject();
    if (!c.republish->src.empty()) w.Member("src", c.republish->src);
    w.Member("dest", c.republish->dest);
    if (c.republish->headers_only) w.MemberBool("headers_only", true);
    w.EndObject();
  }
  w.MemberBool("allow_direct", c.allow_direct);
  w.MemberBool("mirror_direct", c.mirror_direct);
  if (c.discard_new_per_subject) w.MemberBool("discard_new_per_subject", true);
  w.MemberBool("sealed", c.sealed);
  w.MemberBool("deny_delete", c.deny_delete);
  w.MemberBool("deny_purge", c.deny_purge);
  w.MemberBool("allow_rollup_hdrs", c.allow_rollup_hdrs);
  if (!c.consumer_limits.empty()) {
    w.Key("consumer_limits").BeginObject();
    if (!c.consumer_limits.inactive_threshold.is_zero()) {
      w.MemberInt("inactive_threshold", c.consumer_limits.inactive_threshold.ns);
    }
    if (c.consumer_limits.max_ack_pending != 0) {
      w.MemberInt("max_ack_pending", c.consumer_limits.max_ack_pending);
    }
    w.EndObject();
  }
  if (c.allow_msg_ttl) w.MemberBool("allow_msg_ttl", true);
  if (!c.subject_delete_marker_ttl.is_zero()) {
    w.MemberInt("subject_delete_marker_ttl", c.subject_delete_marker_ttl.ns);
  }
  if (!c.metadata.empty()) {
    w.Key("metadata").BeginObject();
    for (const auto& [k, val] : c.metadata) w.Member(k, val);
    w.EndObject();
  }
  w.EndObject();
}

std::string StreamConfigToJson(const StreamConfig& cfg) {
  std::string out;
  json::Writer w(&out);
  WriteStreamConfig(w, cfg);
  return out;
}

}  // namespace meridian::jetstream::api
