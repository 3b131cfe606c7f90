// One event loop of the frontend and the client connections it owns.
//
// Per loop turn: reads are parsed as they arrive (poll phase); deliveries to
// this loop's connections are appended to their outbound buffers, deliveries
// to other loops' connections are batched per destination loop; in the check
// phase every dirty connection is flushed with one writev and each batch is
// handed to its loop (one lock and one wake-up per batch).
#pragma once

#include <uv.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "common/subjects/local_match_cache.h"
#include "services/frontend/client_sub.h"
#include "services/frontend/limits.h"
#include "services/frontend/link_driver.h"
#include "services/frontend/loop_thread.h"
#include "services/frontend/message.h"
#include "services/frontend/outbound.h"
#include "services/frontend/retire_list.h"
#include "services/frontend/router_link.h"
#include "services/frontend/snapshot.h"
#include "services/frontend/stats.h"

namespace meridian::frontend {

class Core;
class DirectGetCache;
class ClientConnection;

class Worker {
 public:
  Worker(Core* core, uint32_t index);
  ~Worker();

  void Start();
  // Closes every connection and stops the loop (main thread).
  void Stop();

  // The limits and auth this loop applies; replaced on reload (loop thread).
  struct Settings {
    Limits limits;
    SimpleAuth auth;
  };
  const Settings& settings() const { return settings_; }
  void UpdateSettings(Settings settings) { settings_ = std::move(settings); }

  uint32_t index() const { return index_; }
  Core* core() { return core_; }
  uv_loop_t* loop() { return thread_.loop(); }
  // Loop 0 with a router link on the loop: what drives its stream (else null).
  LinkDriver* link_driver() { return link_driver_.get(); }
  LoopThread& thread() { return thread_; }
  BlockPool& pool() { return pool_; }
  WorkerStats& stats() { return stats_; }
  char* read_buffer() { return read_buffer_.get(); }
  static constexpr size_t kReadBufferSize = 64 * 1024;

  // Loop thread: delivers (and frees) a batch the router sent.
  void DeliverRoutedNow(RoutedBatch* batch);
  // Takes a new client socket (any thread): adopted on this loop.
  void Adopt(int fd);

  // Loop thread: publishes `msg` to every matching subscription. Returns the
  // number of deliveries; *stall is set when a receiver is near max_pending.
  size_t Publish(const Message& msg, bool* stall);
  // Whether the last Publish handed the message to the router.
  bool forwarded_last() const { return forwarded_last_; }
  // Null unless this frontend caches direct-get answers.
  DirectGetCache* direct_get_cache() { return direct_get_; }
  // Publish of a direct get of `stream` (DirectGetCache::RequestStream):
  // answered from the cache when only meridian-jetstream would receive the
  // request and `may_answer`; otherwise forwarded, its answer awaited by the
  // cache when it may be stored.
  size_t PublishDirectGet(const Message& msg, std::string_view stream, bool may_answer,
                          bool* stall);
  // Before a PONG: hand this loop's pending batches to their loops (and the
  // router) and take in what other loops sent here (PING is a flush barrier
  // across loops).
  void SyncForPing();
  // Any thread: messages from the router for this loop's delivery (owned).
  void PostRouted(RoutedBatch* batch);
  // Pauses a publisher's reading for a moment (fast-producer pushback).
  void Stall(ClientConnection* conn);
  const subjects::MatchResult& Match(std::string_view subject) { return cache_.Match(subject); }

  // Loop thread: connection bookkeeping.
  void MarkDirty(ClientConnection* conn);
  void Unregister(ClientConnection* conn);
  void RetireSub(ClientSub* sub);

  // Loop thread: copies of every connection's state, for monitoring.
  std::vector<ConnSnapshot> SnapshotConnections(bool with_subs);
  size_t NumConnections() {
    std::lock_guard<std::mutex> lock(conns_mu_);
    return conns_.size();
  }
  std::atomic<uint64_t>& seen_epoch() { return seen_epoch_; }

  // Loop thread: an INFO update to every client that takes them (protocol
  // >= 1), e.g. when the cluster's connect_urls changed.
  void SendInfoToAll();
  // Lame duck (loop thread): send INFO ldm to all, schedule closes.
  void LameDuck(absl::Duration grace, absl::Duration duration);

 private:
  friend class ClientConnection;
  struct Batch {
    std::string bytes;
  };

  // False when the subscription had already reached its max.
  bool DeliverTo(ClientSub* sub, const Message& msg, bool* stall);
  // Offers `msg` to the router when someone elsewhere wants it; `served` are
  // the groups a local member got. True when forwarded.
  bool Forward(const Message& msg, absl::Span<const std::string_view> served, bool* stall);
  // A message from the router: every subscriber matching `route_subject`
  // (all plain ones, one member of each group in `queues`, no other group)
  // gets `msg`, whose subject may differ (see RouterLink::DeliverFn).
  void DeliverRouted(std::string_view route_subject, const Message& msg,
                     absl::Span<const std::string_view> queues);
  void FlushForward();
  void OnStallTimer();
  void AppendRemote(ClientSub* sub, const Message& msg, bool last);
  void DrainInbox();
  void HandOffBatches();
  void OnCheck();
  void OnPrepare();
  void OnTick();
  void CloseAll();

  Core* core_;
  uint32_t index_;
  Settings settings_;
  LoopThread thread_;
  BlockPool pool_;
  WorkerStats stats_;
  std::unique_ptr<char[]> read_buffer_;
  subjects::LocalMatchCache cache_;
  uint64_t rng_;
  size_t NextRandom(size_t n);

  // Cluster: the router link (null when the frontend runs alone), this
  // loop's view of remote interest, and the messages forwarded this turn.
  RouterLink* link_ = nullptr;
  std::unique_ptr<subjects::LocalMatchCache> remote_cache_;
  std::unique_ptr<ForwardBatch, void (*)(ForwardBatch*)> forward_;
  std::vector<std::string_view> served_;  // scratch of Publish
  bool forwarded_last_ = false;
  DirectGetCache* direct_get_ = nullptr;
  // Whether the request on `subject` reaches no one but meridian-jetstream.
  bool OnlyJetStreamWants(std::string_view subject);

  uv_check_t check_;
  uv_prepare_t prepare_;
  uv_async_t inbox_async_;
  uv_timer_t tick_;
  uv_timer_t stall_timer_;
  std::unique_ptr<LinkDriver> link_driver_;
  std::vector<uint64_t> stalled_;  // cids paused until the stall timer fires

  std::mutex conns_mu_;  // taken on connect/close and by monitoring, never per message
  absl::flat_hash_map<uint64_t, ClientConnection*> conns_ ABSL_GUARDED_BY(conns_mu_);
  std::vector<ClientConnection*> dirty_;

  std::vector<std::string> outbox_;  // per destination worker, encoded deliveries
  std::mutex inbox_mu_;
  std::vector<std::string> inbox_ ABSL_GUARDED_BY(inbox_mu_);
  std::vector<RoutedBatch*> routed_ ABSL_GUARDED_BY(inbox_mu_);

  RetireList<ClientSub> retired_;
  std::atomic<uint64_t> seen_epoch_{0};
  bool stopping_ = false;
  // Lame duck: clients are closed between these two times.
  absl::Time ldm_close_start_ = absl::InfiniteFuture();
  absl::Time ldm_close_end_ = absl::InfiniteFuture();
};

}  // namespace meridian::frontend
