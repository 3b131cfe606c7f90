// The frontend's connection engine: N worker loops (thread per core), one
// subscription index shared by all, client connections spread over the
// loops round-robin by the accepting loop.
//
// Threads: Start/Stop/LameDuck on the main thread; each Worker owns its loop
// thread and its connections; the Sublist is thread-safe; everything else in
// Core is immutable after Start or atomic.
#pragma once

#include <uv.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/subjects/sublist.h"
#include "services/frontend/direct_get_cache.h"
#include "services/frontend/limits.h"
#include "services/frontend/snapshot.h"

namespace meridian::frontend {

class Worker;
class TcpListener;
class RouterLink;

struct CoreOptions {
  std::string client_listen = "0.0.0.0:4222";
  int workers = 0;  // 0 = one per core
  std::string server_id;
  std::string server_name;
  bool jetstream = false;
  Limits limits;
  SimpleAuth auth;
  // Router addresses (first preferred, others failover); empty: alone.
  std::vector<std::string> routers;
  // With JetStream and a router: answers of direct gets kept here.
  DirectGetCacheOptions direct_get;
  // The router link's stream on its own thread; default: driven by loop 0.
  bool router_thread = false;
};

class Core {
 public:
  explicit Core(CoreOptions options);
  ~Core();

  [[nodiscard]] absl::Status Start();
  void Stop();
  // Lame duck: stop accepting, tell clients (INFO ldm), close them spread
  // over the lame duck duration after the grace period. `done` runs (on a
  // worker thread) when the last client is gone.
  void EnterLameDuck(std::function<void()> done);

  // Every connection's state, gathered from each loop on its own thread
  // (waits up to `timeout` for the loops; call from a non-worker thread).
  std::vector<ConnSnapshot> SnapshotConnections(bool with_subs, absl::Duration timeout);
  struct Totals {
    uint64_t in_msgs = 0, in_bytes = 0, out_msgs = 0, out_bytes = 0;
    uint64_t slow_consumers = 0, stale_connections = 0, total_connections = 0;
  };
  // Sums of the workers' counters (any thread).
  Totals SumStats() const;

  // Workers call this once closing has begun; runs `done` once when no
  // connection is left.
  void CheckLameDuckDone();

  const CoreOptions& options() const { return options_; }
  subjects::Sublist& sublist() { return sublist_; }
  // Null when the frontend runs without a router.
  RouterLink* router_link() { return router_link_.get(); }
  // Null unless JetStream is on, a router is set and the cache has a size.
  DirectGetCache* direct_get_cache() { return direct_get_cache_.get(); }
  std::vector<std::unique_ptr<Worker>>& workers() { return workers_; }
  int port() const;
  const std::string& host() const;
  absl::Time start_time() const { return start_time_; }

  uint64_t NextCid() { return next_cid_.fetch_add(1, std::memory_order_relaxed); }
  std::atomic<int64_t>& num_connections() { return num_connections_; }
  bool lame_duck() const { return lame_duck_.load(std::memory_order_acquire); }

  // INFO JSON (without "INFO " and CRLF) for a connection, with the limits
  // and auth of its loop.
  std::string InfoJson(uint64_t cid, const std::string& client_ip, bool connect_info,
                       const Limits& limits, const SimpleAuth& auth) const;

  // Config reload: new limits and auth for every loop (main thread). Options
  // applied to new operations and connections, as nats-server reloads them.
  void UpdateSettings(const Limits& limits, const SimpleAuth& auth);

  // Epoch-based reclamation of subscriptions removed from the index.
  uint64_t AdvanceEpoch() { return epoch_.fetch_add(1, std::memory_order_acq_rel) + 1; }
  uint64_t epoch() const { return epoch_.load(std::memory_order_acquire); }
  // The oldest epoch every worker has seen at a quiescent point.
  uint64_t SafeEpoch() const;

 private:
  void Accept(uv_tcp_t* client);

  CoreOptions options_;
  subjects::Sublist sublist_;
  std::unique_ptr<DirectGetCache> direct_get_cache_;  // before router_link_ and workers_
  std::unique_ptr<RouterLink> router_link_;  // before workers_: they point into it
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<TcpListener> listener_;
  std::atomic<uint64_t> next_cid_{1};
  std::atomic<int64_t> num_connections_{0};
  std::atomic<uint64_t> epoch_{1};
  std::atomic<bool> lame_duck_{false};
  std::atomic<bool> lame_duck_done_{false};
  std::function<void()> lame_duck_callback_;
  uint32_t next_worker_ = 0;  // accepting loop only
  absl::Time start_time_ = absl::Now();
};

}  // namespace meridian::frontend
