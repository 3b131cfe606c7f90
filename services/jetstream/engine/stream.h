// A stream at run time: its config, its message store, the dedupe window,
// limits, and its consumers. Publishes are decided here (expectations,
// dedupe, discard policy, rollups) and applied to the StreamStore; the
// decisions are deterministic given the message, the stored state and the
// time, so a replicated log can later carry them unchanged.
//
// Thread: the engine thread.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "services/jetstream/api/stream_config.h"
#include "services/jetstream/engine/sourcing.h"
#include "services/jetstream/engine/timers.h"
#include "services/jetstream/store/store.h"
#include "services/router/transport/packed.h"

namespace meridian::jetstream {

class Engine;
class Consumer;

class Stream {
 public:
  // A new stream: creates its store and writes its metadata.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Stream>> Create(Engine* engine,
                                                                      api::StreamConfig config);
  // A stream found in a store at start.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Stream>> Load(Engine* engine,
                                                                    StreamStore* store);
  ~Stream();

  // After Load: consumers, the dedupe window, limits re-applied.
  void AfterLoad();

  const std::string& name() const { return config_.name; }
  const std::vector<std::string>& subjects() const { return config_.subjects; }
  const api::StreamConfig& config() const { return config_; }
  int64_t created_ns() const { return created_ns_; }
  StreamStore* store() { return store_; }
  StreamState State() const { return store_->State(); }
  Engine* engine() { return engine_; }

  // Applies an already validated config change.
  [[nodiscard]] absl::Status Update(api::StreamConfig config);
  // Removes the store and every consumer.
  [[nodiscard]] absl::Status Destroy();

  // A message published on one of the stream's subjects.
  void ProcessPublish(const router::PackedMessage& msg);

  // Removals through the API; consumers are told.
  [[nodiscard]] absl::StatusOr<uint64_t> Purge(const PurgeOptions& options);
  [[nodiscard]] absl::Status RemoveMsg(StreamSeq seq);

  // Copies from a mirror's / source's origin (see sourcing.h). False when
  // the stream refused it (a limit with discard new): the copy stops there.
  bool StoreMirrored(const StoredMessage& m, const std::string& subject);
  bool StoreSourced(std::string_view subject, std::string_view headers, std::string_view data);
  const Sourcing& sourcing() const { return sourcing_; }

  // Consumers.
  Consumer* FindConsumer(std::string_view name);
  const std::map<std::string, std::unique_ptr<Consumer>, std::less<>>& consumers() const {
    return consumers_;
  }
  void AddConsumer(std::unique_ptr<Consumer> consumer);
  void RemoveConsumer(std::string_view name);
  // Lets consumers deliver, and persists the ones whose state changed.
  void RunConsumers();
  // Writes consumer state that is due (all_dirty: every changed consumer,
  // at shutdown) into the store's current batch.
  void PersistConsumers(bool all_dirty);
  // A consumer acknowledged `seq` (interest / workqueue retention).
  void OnAcked(StreamSeq seq);
  // A direct get of this stream was answered: a frontend may cache the
  // answer, so the next change of the stream invalidates the frontends'
  // copies (before that change is acknowledged to anyone).
  void ArmDirectGetInvalidation();

 private:
  Stream(Engine* engine, StreamStore* store, api::StreamConfig config, int64_t created_ns);
  [[nodiscard]] absl::Status SaveMeta();
  void Reply(std::string_view reply, const std::string& json);
  void ReplyError(std::string_view reply, const api::ApiError& error);
  std::string AckJson(StreamSeq seq, bool duplicate) const;
  // Enforces max_msgs / max_bytes / max_msgs_per_subject after a store
  // (discard old) and max_age; returns removed sequences' count.
  void EnforceLimits(std::string_view subject);
  void ExpireOld();
  // Removes an expired message; a subject that lost its last message gets a
  // delete marker when subject_delete_marker_ttl is set.
  void ExpireOne(const StoredMessage& m);
  void ArmTtlTimer();
  void ScheduleAgeTimer();
  void PruneDedupe();
  void RememberMsgId(std::string_view id, StreamSeq seq, int64_t ts_ns);
  void AfterRemovals();
  void Republish(const StoredMessage& m, StreamSeq subject_last);
  bool InterestRemains(StreamSeq seq, std::string_view subject);

  Engine* engine_;
  StreamStore* store_;
  api::StreamConfig config_;
  int64_t created_ns_;

  // Dedupe window: Nats-Msg-Id -> seq, with insertion times for pruning.
  struct Dedupe {
    StreamSeq seq;
    int64_t ts_ns;
  };
  absl::flat_hash_map<std::string, Dedupe> dedupe_;
  std::deque<std::pair<int64_t, std::string>> dedupe_order_;
  std::string last_msg_id_;
  Timers::Id age_timer_ = 0;
  Timers::Id persist_timer_ = 0;  // a batched consumer state write falls due
  Timers::Id dedupe_timer_ = 0;
  // Per-message TTLs (Nats-TTL) and delete markers: expiry time -> seq.
  std::multimap<int64_t, StreamSeq> ttl_index_;
  Timers::Id ttl_timer_ = 0;

  std::map<std::string, std::unique_ptr<Consumer>, std::less<>> consumers_;
  Sourcing sourcing_;
  bool meta_dirty_ = false;  // source cursors moved
  bool direct_get_armed_ = false;  // see ArmDirectGetInvalidation
  void InvalidateDirectGets();
  void AfterStore(StreamSeq seq, std::string_view subject);
};

}  // namespace meridian::jetstream
