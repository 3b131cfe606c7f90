// The JetStream engine: one thread that owns every stream, consumer and the
// stores, fed by the router link. Each turn it drains the messages the
// router sent (API requests, publishes into streams, acks, flow-control
// replies), runs due timers, lets consumers deliver, commits the store once
// (group commit: every PubAck of the turn waits for that one write), and
// sends what the turn produced as one batch.
//
// Threads: Start() spawns the engine thread; everything else here runs on
// it. Stop() from any thread. RocksDB writes run on this thread, never on an
// event loop or a gRPC thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/subjects/sublist.h"
#include "services/jetstream/engine/engine_waiter.h"
#include "services/jetstream/engine/peer_link.h"
#include "services/jetstream/engine/timers.h"
#include "services/jetstream/store/store.h"

namespace meridian::jetstream {

class Stream;
class ApiHandler;

struct EngineOptions {
  PeerLinkOptions link;
  std::string store_dir = "/tmp/nats";
  int64_t max_memory_store = -1;  // bytes; -1: unlimited
  int64_t max_file_store = -1;
  bool sync_always = false;
  int64_t sync_interval_ms = 120000;  // background fsync period (without sync_always)
  std::string server_name;
  std::string server_id;
  uint64_t block_cache_bytes = 64ull << 20;
};

struct EngineStats {
  uint64_t api_requests = 0;
  uint64_t api_errors = 0;
  uint64_t messages_stored = 0;
  uint64_t turns = 0;
};

class Engine : private PeerVisitor {
 public:
  // Opens the stores and loads every stream and consumer (limits are
  // re-applied). Errors name the directory and the reason.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Engine>> Open(EngineOptions options);
  ~Engine();

  void Start();
  void Stop();
  // Any thread: waits (bounded) until the router has the service's interest
  // (so frontends started after this see JetStream at once). True if so.
  bool WaitAttached(absl::Duration timeout);
  // Any thread: runs `task` on the engine thread at its next turn (monitoring
  // reads engine state this way). A task the engine will never run (posted
  // after Stop, or pending at Stop) is called with nullptr instead, on the
  // posting or the stopping thread.
  void Post(std::function<void(Engine*)> task);

  // ----- for streams, consumers and the API (engine thread) -----
  // Queues a message for the router; `deliver_as` is the subject the client
  // sees when it differs from the routing subject (JetStream deliveries).
  void Send(std::string_view subject, std::string_view reply, std::string_view headers,
            std::string_view payload, std::string_view deliver_as = {});
  // Tells the frontends to drop their cached direct-get answers of `stream`
  // (account $MRD, subject $MRD.DG.INV.<stream>; frontend/direct_get_cache.h).
  void SendDirectGetInvalidation(std::string_view stream);
  // Deliveries stop for the turn once this much waits to be sent.
  bool backlogged() const { return out_bytes_ >= kMaxOutBytes; }
  int64_t now_ns() const { return now_ns_; }
  Timers& timers() { return timers_; }
  // Whether some client (anywhere) subscribes to `subject` (push consumers
  // deliver only then), and to it in `queue` when one is given.
  bool HasInterest(std::string_view subject, std::string_view queue = {});
  // A stream wants to run again at the end of this turn (deliveries).
  void Kick(Stream* stream);
  // Streams that mirror or source `origin` pull what it stored.
  void KickDependents(std::string_view origin);

  ApiHandler& api() { return *api_; }
  Store* store_for(bool memory) { return memory ? memory_store_.get() : file_store_.get(); }
  const EngineOptions& options() const { return options_; }
  EngineStats& stats() { return stats_; }

  // Streams by name; creation/deletion keep the subject index and the
  // interest sent to the router in step.
  Stream* FindStream(std::string_view name);
  const std::map<std::string, std::unique_ptr<Stream>, std::less<>>& streams() const {
    return streams_;
  }
  // The stream whose subjects match a published subject, or null.
  Stream* StreamForSubject(std::string_view subject);
  void AddStream(std::unique_ptr<Stream> stream);
  void RemoveStream(std::string_view name);
  // Re-index after a subjects change.
  void ReindexStream(Stream* stream);
  // Any configured subject (of another stream than `except`) overlapping.
  bool SubjectsOverlap(const std::vector<std::string>& subjects, const Stream* except);

  // Bytes reserved/used per storage kind, for max_*_store.
  uint64_t used_bytes(bool memory) const;

 private:
  void QueueOut(const router::PackedMessage& m);
  explicit Engine(EngineOptions options);
  absl::Status LoadStreams(Store* store);
  void Run();
  void Turn();
  void RunPosted();
  void Flush();
  void ScheduleSync();
  std::vector<std::string> InterestSubjects() const;

  // PeerVisitor
  void OnAttached() override;
  void OnRemoteInterestReset() override;
  void OnRemoteInterest(std::string_view subject, std::string_view queue, int32_t delta) override;
  void OnMessage(const router::PackedMessage& msg) override;

  static constexpr size_t kMaxOutBytes = 4 << 20;
  // One Frame carries at most about this much, so the router's flow control
  // (it pauses a peer between frames) can act on big deliveries.
  static constexpr size_t kChunkBytes = 256 << 10;
  // The router link is driven at least this often while busy / idle.
  static constexpr int64_t kBusyDriveNs = 1'000'000;
  static constexpr int64_t kIdleDriveNs = 10'000'000;

  EngineOptions options_;
  std::unique_ptr<Store> file_store_;
  std::unique_ptr<Store> memory_store_;
  std::unique_ptr<PeerLink> link_;
  std::unique_ptr<ApiHandler> api_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  EngineWaiter waiter_;
  std::mutex posted_mu_;
  std::vector<std::function<void(Engine*)>> posted_;  // under posted_mu_
  bool accepting_posts_ = true;                       // under posted_mu_
  std::mutex attached_mu_;
  std::condition_variable attached_cv_;
  bool attached_ = false;  // under attached_mu_: interest sent once

  int64_t now_ns_ = 0;
  Timers timers_;
  EngineStats stats_;
  // Packed records for the router, in chunks of about kChunkBytes.
  std::deque<std::string> out_;
  size_t out_bytes_ = 0;
  bool interest_dirty_ = false;

  std::map<std::string, std::unique_ptr<Stream>, std::less<>> streams_;
  // Stream subjects -> Stream (a Subscription per subject).
  struct SubjectEntry;
  subjects::Sublist subject_index_;
  std::vector<std::unique_ptr<SubjectEntry>> subject_entries_;
  std::vector<Stream*> kicked_;

  // Other peers' interest, as the router pushes it.
  struct RemoteSub;
  subjects::Sublist remote_;
  absl::flat_hash_map<std::string, std::unique_ptr<RemoteSub>> remote_subs_;
};

}  // namespace meridian::jetstream
