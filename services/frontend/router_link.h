// The frontend's attachment to the router: sends the interest of local
// subscriptions (aggregated per subject and queue group), keeps the view of
// the interest everyone else holds (pushed by the router), forwards the
// messages that someone elsewhere wants, and hands the messages the router
// sends to a worker loop for local delivery. No protobuf or gRPC in this
// header.
//
// Threads: interest calls and Forward* from any worker loop; the router's
// Frames arrive on the transport thread of the AttachClient; the remote view
// (a Sublist) is read by every loop through its own LocalMatchCache.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/types/span.h"
#include "common/subjects/sublist.h"
#include "services/frontend/message.h"
#include "services/frontend/retire_list.h"

namespace meridian::router {
class AttachClient;
}  // namespace meridian::router

namespace meridian::frontend {

class Core;
class LinkDriver;

// Messages one loop forwards during one turn (opaque: a router Frame).
struct ForwardBatch;
std::unique_ptr<ForwardBatch, void (*)(ForwardBatch*)> NewForwardBatch();

// Messages from the router for one loop (opaque: a router Frame).
struct RoutedBatch;
void DeleteRoutedBatch(RoutedBatch* batch);

// Interest of other peers on one (subject, queue), as pushed by the router.
struct RemoteSub : subjects::Subscription {
  std::atomic<int64_t> count{0};
};

struct RouterLinkStats {
  uint64_t forwarded = 0;        // messages handed to the router
  uint64_t forward_refused = 0;  // batches the router queue refused (retried)
  uint64_t routed_in = 0;        // messages received from the router
  uint64_t resyncs = 0;          // full interest sets sent
  uint64_t connects = 0;
};

class RouterLink {
 public:
  // `targets`: router addresses, the first preferred, the others failover.
  RouterLink(Core* core, std::vector<std::string> targets);
  ~RouterLink();

  // Starts attaching (never fails); `client_url` ("host:port") is ours, for
  // the other frontends' INFO connect_urls. `driver`: loop 0's, to run the
  // stream on that loop (null: on a transport thread of its own).
  void Start(std::string client_url, LinkDriver* driver);
  // Main thread, while the loops still run.
  void Stop();
  // Loop 0, from its LinkDriver (AttachClient::Drive).
  bool Drive(bool writable);

  // Any loop: a local subscription on (subject, queue) came or went.
  void AddInterest(std::string_view subject, std::string_view queue);
  void RemoveInterest(absl::Span<const subjects::Subscription* const> subs);

  // What other peers want (read through a LocalMatchCache per loop).
  subjects::Sublist& remote() { return remote_; }
  bool connected() const { return connected_.load(std::memory_order_acquire); }
  // Waits (bounded) until the router sent its view of the others' interest
  // after the first attach (the cluster info that follows it). True when it did.
  bool WaitInitialView(absl::Duration timeout);
  // Whether anyone elsewhere wants anything (a publish skips the remote
  // match when not: one frontend alone pays nothing for the link).
  bool HasRemoteInterest() const { return remote_entries_.load(std::memory_order_relaxed) > 0; }

  // Loop thread: adds `msg` to the loop's batch; `served` are the queue
  // groups a local member already got.
  void Append(ForwardBatch* batch, const Message& msg,
              absl::Span<const std::string_view> served);
  // Loop thread, end of turn: hands the batch to the router's queue. False
  // when the queue is full: the batch stays and the caller pauses its
  // publishers until a later flush succeeds.
  bool Flush(ForwardBatch* batch);
  // True when a refused batch grew past the point where publishers pause.
  static bool Backlogged(const ForwardBatch* batch);
  static bool Empty(const ForwardBatch* batch);

  // Loop thread: delivers a batch of routed messages on `deliver`.
  // `route_subject` is what subscriptions match; `msg.subject` is what the
  // client's MSG/HMSG line shows: the same view unless the record carried a
  // deliver_as (JetStream deliveries: routed on the deliver subject or pull
  // inbox, shown with the stream subject).
  using DeliverFn = void (*)(void* ctx, std::string_view route_subject, const Message& msg,
                             absl::Span<const std::string_view> queues);
  static void ForEachRouted(RoutedBatch* batch, void* ctx, DeliverFn deliver);

  // connect_urls for INFO: every client URL of the cluster (ours included
  // once others exist), "host:port".
  std::vector<std::string> ConnectUrls() const;
  RouterLinkStats stats() const;
  // The router attached to (for /routez): its Hello and address.
  struct RouterInfo {
    bool connected = false;
    std::string id, name, target;
    int64_t remote_interest = 0;  // (subject, queue) entries others hold
  };
  RouterInfo Info() const;
  // Any loop, periodic: sends the full interest again if a delta was lost.
  void Tick();

 private:
  struct Interest {
    int64_t count = 0;
  };
  void OnConnected(const void* router_hello);  // const v1::Hello*
  void OnFrame(void* frame);  // v1::Frame*: its messages are taken
  void OnDisconnected();
  void ApplyRemoteInterest(const void* frame);
  void ClearRemote();
  void RetireRemote(RemoteSub* sub);
  void FreeRetired();
  void SendDelta(std::string_view subject, std::string_view queue, int32_t count)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SendFullInterest() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SendClusterInfo();

  Core* core_;
  std::vector<std::string> targets_;
  std::string client_url_;
  std::unique_ptr<router::AttachClient> client_;
  LinkDriver* driver_ = nullptr;
  bool driver_detached_ = false;  // main thread
  std::atomic<bool> connected_{false};
  std::mutex view_mu_;
  std::condition_variable view_cv_;
  bool initial_view_ = false;  // under view_mu_

  // Local interest: key = subject + '\0' + queue.
  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, Interest> local_ ABSL_GUARDED_BY(mu_);
  bool resync_needed_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::string> connect_urls_ ABSL_GUARDED_BY(mu_);
  std::string router_id_ ABSL_GUARDED_BY(mu_);
  std::string router_name_ ABSL_GUARDED_BY(mu_);

  // Remote view (transport thread only, except remote_ reads).
  subjects::Sublist remote_;
  absl::flat_hash_map<std::string, std::unique_ptr<RemoteSub>> remote_subs_;
  std::atomic<size_t> remote_entries_{0};  // remote_subs_.size(), for any thread
  std::mutex retired_mu_;
  RetireList<RemoteSub> retired_ ABSL_GUARDED_BY(retired_mu_);

  std::atomic<uint64_t> forwarded_{0}, forward_refused_{0}, routed_in_{0}, resyncs_{0};
  std::atomic<uint32_t> next_loop_{0};
};

}  // namespace meridian::frontend
