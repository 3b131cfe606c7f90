// Starts the suite's daemons in order, keeps them running (a crashed child is
// restarted with backoff, logged and counted), and stops them in reverse.
//
// Threads: Start/Reap/Tick/StopAll run on the launcher's main thread. A
// health poller thread refreshes the members snapshot (health and
// GetServerInfo of every child) once a second; Snapshot() is thread-safe and
// never blocks on the network, so gRPC admin callbacks can call it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "meridian/admin/v1/admin.pb.h"
#include "services/server/child_process.h"

namespace prometheus {
class Registry;
template <typename T>
class Family;
class Counter;
}  // namespace prometheus

namespace meridian::launcher {

struct ChildSpec {
  std::string kind;          // frontend, router, jetstream, links, auth
  std::string name;          // unique among the children: the kind, or "frontend-1" when
                             // several of a kind run; names logs, metrics and FetchInfo
  std::string binary;        // absolute path
  std::vector<std::string> args;
  std::string grpc_address;  // where its health and admin services answer
};

class Supervisor {
 public:
  explicit Supervisor(prometheus::Registry* registry);
  ~Supervisor();

  // Spawns each child in order and waits until it reports SERVING on gRPC
  // health. A child that exits or times out fails the start: the started ones
  // are stopped and the error names the child.
  [[nodiscard]] absl::Status StartAll(std::vector<ChildSpec> specs, absl::Duration ready_timeout);

  // Reaps exited children and schedules their restart (on SIGCHLD).
  void Reap();
  // Restarts children whose backoff has passed. Call a few times a second.
  void Tick();
  // Stops children in reverse order. Returns true when all exited with 0.
  bool StopAll(absl::Duration grace);

  // Latest known state of every child. Thread-safe, non-blocking.
  std::vector<admin::v1::Member> Snapshot() const;
  // Fetches a child's ServerInfo now, by child name (blocking; main thread only).
  absl::Status FetchInfo(const std::string& name, admin::v1::ServerInfo* info) const;
  // Forwards a signal (SIGHUP reload) to every child.
  void SignalAll(int sig);
  // Lame duck: SIGUSR2 to every frontend, which close their clients and exit;
  // they are not restarted. FrontendsGone() tells when all have exited.
  void EnterLameDuck();
  bool FrontendsGone() const;

 private:
  struct Child {
    ChildSpec spec;
    std::unique_ptr<ChildProcess> process;
    int restarts = 0;
    absl::Time restart_at = absl::InfinitePast();
    absl::Time started_at = absl::InfinitePast();
    bool pending_restart = false;
  };

  void PollLoop();

  std::vector<Child> children_;  // main thread
  bool stopping_ = false;
  bool lame_duck_ = false;
  prometheus::Family<prometheus::Counter>* restarts_family_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool poller_stop_ ABSL_GUARDED_BY(mu_) = false;
  bool poll_now_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<ChildSpec> poll_specs_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> restarts_ ABSL_GUARDED_BY(mu_);  // by child name
  std::vector<admin::v1::Member> snapshot_ ABSL_GUARDED_BY(mu_);
  std::thread poller_;
};

}  // namespace meridian::launcher
