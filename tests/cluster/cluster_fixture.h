// Fixtures of the cluster tests: a backend that offers N client URLs which
// must behave as one NATS server, whichever URL a client connects to.
//
//   kMeridianFrontends  one meridian-server --frontends N (one router); the
//                       URLs are the "nats" list of its ports file, in order.
//   kMeridianMesh       two meridian-server launchers meshed with -cluster /
//                       -routes; launcher 0 has ceil(N/2) frontends, launcher
//                       1 the rest; URLs are launcher 0's then launcher 1's.
//   kNatsCluster        N reference nats-server (2.9.10) nodes, fully routed:
//                       the expectations themselves are checked on it.
//
// Every process dies with the test binary (PR_SET_PDEATHSIG via Process; the
// Meridian daemons are killed as the launcher's descendants at teardown).
// $MERIDIAN_CLUSTER_BACKENDS (comma list of backend names, e.g.
// "nats_cluster") skips the others; test names carry the backend too, so
// --gtest_filter='*nats_cluster*' works as well.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/core/nats_client.h"
#include "tests/support/process.h"

namespace meridian::testing {

enum class Backend { kMeridianFrontends, kMeridianMesh, kNatsCluster };

// "meridian_frontends" / "meridian_mesh" / "nats_cluster".
std::string BackendName(Backend backend);
inline bool IsMeridian(Backend backend) { return backend != Backend::kNatsCluster; }
// Why this backend cannot run here ("" when it can): nats-server missing, or
// not listed in $MERIDIAN_CLUSTER_BACKENDS.
std::string SkipReason(Backend backend);

struct ClusterParam {
  Backend backend;
  int urls;  // client URLs (frontends / nodes)
};
// "nats_cluster_2", "meridian_frontends_3", ...
std::string ParamName(const ClusterParam& param);
inline void PrintTo(const ClusterParam& p, std::ostream* os) { *os << ParamName(p); }
inline std::string ClusterParamName(const ::testing::TestParamInfo<ClusterParam>& info) {
  return ParamName(info.param);
}

// Every backend at 2 and 3 URLs: the nats-server cluster reference first.
inline auto AllBackends() {
  return ::testing::Values(ClusterParam{Backend::kNatsCluster, 2},
                           ClusterParam{Backend::kNatsCluster, 3},
                           ClusterParam{Backend::kMeridianFrontends, 2},
                           ClusterParam{Backend::kMeridianFrontends, 3},
                           ClusterParam{Backend::kMeridianMesh, 2},
                           ClusterParam{Backend::kMeridianMesh, 3});
}

class Cluster {
 public:
  // Starts the backend and waits until a message published on any URL
  // reaches a subscriber on any other; nullptr (reason in *error) otherwise.
  // Ports are picked free and handed to the servers, so another process may
  // take one in between: a start that fails on "address already in use" is
  // retried with fresh ports (3 tries).
  static std::unique_ptr<Cluster> Start(Backend backend, int urls, std::string* error);
  static std::unique_ptr<Cluster> StartOnce(Backend backend, int urls, std::string* error);
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  Backend backend() const { return backend_; }
  const std::vector<std::string>& urls() const { return urls_; }
  const std::string& url(int i) const { return urls_[static_cast<size_t>(i)]; }
  int size() const { return static_cast<int>(urls_.size()); }
  // Everything the launchers / nodes wrote to stderr.
  std::string Log() const;
  // Meridian: launcher log lines saying a daemon exited; "" when none.
  std::string DaemonExits() const;

  // --- Meridian only: the processes behind the URLs -----------------------
  // The children are found as descendants of the launcher
  // (/proc/<pid>/task/*/children), by program name (argv[0] of
  // /proc/<pid>/cmdline); a frontend is the one holding the listening socket
  // of its URL's port (/proc/net/tcp inode ↔ /proc/<pid>/fd). meridianctl
  // status does not tell which frontend serves which URL.
  int LauncherOf(int url) const { return launcher_of_[static_cast<size_t>(url)]; }
  pid_t LauncherPid(int launcher) const;
  pid_t FrontendPid(int url) const;       // -1 when not found
  pid_t RouterPid(int launcher) const;    // -1 when not found (e.g. between restarts)
  // Polls until the launcher has a live router child other than `old`.
  pid_t WaitNewRouter(int launcher, pid_t old, absl::Duration timeout) const;
  // SIGSTOP / SIGCONT a launcher (its daemons keep running, nothing restarts).
  void Freeze(int launcher) const;
  void Thaw(int launcher) const;

 private:
  struct Node {
    std::unique_ptr<Process> process;
    std::string dir;
    std::string exe;  // name of the ports file prefix
    std::vector<std::string> urls;
  };
  explicit Cluster(Backend backend) : backend_(backend) {}
  bool StartNode(std::vector<std::string> argv, const std::string& dir, size_t url_count,
                 std::string* error);
  bool WaitAllPairsFlow(std::string* error);
  void StopNode(Node& node);

  Backend backend_;
  std::vector<Node> nodes_;
  std::vector<std::string> urls_;
  std::vector<int> launcher_of_;
};

// kill -9 `pid` and wait until it is gone (reaped by its parent or a zombie).
bool Kill9AndWait(pid_t pid, absl::Duration timeout = absl::Seconds(10));

// Polls `condition` until true; on timeout returns false. Same as PollUntil
// but with a finer period for the sub-second checks.
bool PollFast(const std::function<bool()>& condition, absl::Duration timeout);

// A process-wide unique subject token ("<prefix>.<pid>.<n>").
std::string UniqueSubject(const std::string& prefix);

// The propagation barrier. After subscription changes (SUB/UNSUB) on a
// connection, subscribes a fresh probe subject on it, flushes, and from a
// helper connection on every URL publishes to the probe until the probe
// receives that URL's message. Interest deltas travel in order per
// connection, so seeing the probe from URL j means every earlier change of
// that connection is visible at j. Returns "" or what timed out.
class Prober {
 public:
  explicit Prober(const std::vector<std::string>& urls);
  bool ok() const { return ok_; }
  std::string Barrier(const std::vector<natsConnection*>& changed,
                      absl::Duration timeout = absl::Seconds(10));
  natsConnection* helper(int url) { return helpers_[static_cast<size_t>(url)].get(); }

 private:
  std::vector<NatsConnPtr> helpers_;
  bool ok_ = true;
};

// Subscribes a fresh subject on `to` and publishes on `from` (every 20 ms)
// until it arrives; true when it did within `timeout`.
bool AwaitFlow(natsConnection* from, natsConnection* to, absl::Duration timeout);

// Base of the parameterized cluster suites. By default the cluster of a
// parameter is shared by the tests of a suite (started on first use, and a
// failed start is remembered so later tests fail fast); OwnCluster() gives a
// test its own, stopped when the test ends.
class ClusterTest : public ::testing::TestWithParam<ClusterParam> {
 public:
  static void TearDownTestSuite();

 protected:
  void SetUp() override;
  void TearDown() override;
  // For suites that damage their cluster: one fresh cluster per test.
  virtual bool OwnCluster() const { return false; }

  Backend backend() const { return GetParam().backend; }
  Cluster& cluster() { return *cluster_; }
  Prober& prober() { return *prober_; }
  int urls() const { return cluster_->size(); }

  // A libnats connection to URL i (no reconnects); `tweak` edits the options.
  NatsConnPtr Connect(int url, const std::function<void(natsOptions*)>& tweak = nullptr);
  // The propagation barrier for these connections (fails the test on timeout).
  ::testing::AssertionResult Propagated(const std::vector<natsConnection*>& changed);

 private:
  static std::map<std::string, std::pair<std::unique_ptr<Cluster>, std::string>>& Shared();
  std::unique_ptr<Cluster> own_;
  Cluster* cluster_ = nullptr;
  std::unique_ptr<Prober> prober_;
};

// Sends requests (each waiting at most 200 ms) until one fails with
// NATS_NO_RESPONDERS; true when that happened within `timeout`.
bool AwaitNoResponders(natsConnection* nc, const std::string& subject, absl::Duration timeout);

// Reconnects counted by libnats for this connection.
uint64_t Reconnects(natsConnection* nc);

}  // namespace meridian::testing
