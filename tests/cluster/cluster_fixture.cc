#include "tests/cluster/cluster_fixture.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tests/core/test_server.h"

namespace meridian::testing {
namespace {

// A free TCP port on 127.0.0.1 (bound to 0, then released) for the cluster
// listeners, which every node must know before the others start.
int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

// Every string of the `"key":["a","b",...]` array of a ports file.
std::vector<std::string> PortsFileUrls(const std::string& json, const std::string& key) {
  std::string needle = absl::StrCat("\"", key, "\":[");
  size_t at = json.find(needle);
  if (at == std::string::npos) return {};
  at += needle.size();
  size_t end = json.find(']', at);
  if (end == std::string::npos) return {};
  std::vector<std::string> out;
  for (absl::string_view item : absl::StrSplit(json.substr(at, end - at), ',', absl::SkipEmpty())) {
    out.emplace_back(absl::StripSuffix(absl::StripPrefix(absl::StripAsciiWhitespace(item), "\""),
                                       "\""));
  }
  return out;
}

int PortOf(const std::string& url) {
  int port = 0;
  (void)absl::SimpleAtoi(url.substr(url.rfind(':') + 1), &port);
  return port;
}

bool Gone(pid_t pid) {
  std::string stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return true;
  char state = stat[paren + 2];
  return state == 'Z' || state == 'X';
}

// Live descendants of `root` via /proc/<pid>/task/*/children.
std::vector<pid_t> Descendants(pid_t root) {
  std::vector<pid_t> out;
  std::vector<pid_t> todo = {root};
  while (!todo.empty()) {
    pid_t p = todo.back();
    todo.pop_back();
    std::string tasks = absl::StrCat("/proc/", p, "/task");
    DIR* d = ::opendir(tasks.c_str());
    if (d == nullptr) continue;
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.') continue;
      std::string kids = ReadFile(absl::StrCat(tasks, "/", e->d_name, "/children"));
      for (absl::string_view k : absl::StrSplit(kids, ' ', absl::SkipWhitespace())) {
        int c = 0;
        if (absl::SimpleAtoi(k, &c) && !Gone(c)) {
          out.push_back(c);
          todo.push_back(c);
        }
      }
    }
    ::closedir(d);
  }
  return out;
}

// Basename of argv[0] of a process.
std::string ProgramOf(pid_t pid) {
  std::string cmdline = ReadFile(absl::StrCat("/proc/", pid, "/cmdline"));
  std::string argv0 = cmdline.substr(0, cmdline.find('\0'));
  return argv0.substr(argv0.rfind('/') + 1);
}

// Inodes of the listening TCP sockets on `port`.
std::set<std::string> ListeningInodes(int port) {
  std::set<std::string> out;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::vector<std::string> lines = absl::StrSplit(ReadFile(table), '\n', absl::SkipEmpty());
    for (size_t i = 1; i < lines.size(); ++i) {
      std::vector<std::string> f = absl::StrSplit(lines[i], ' ', absl::SkipEmpty());
      if (f.size() < 10 || f[3] != "0A") continue;  // 0A = LISTEN
      int p = 0;
      if (absl::SimpleHexAtoi(f[1].substr(f[1].rfind(':') + 1), &p) && p == port) {
        out.insert(f[9]);
      }
    }
  }
  return out;
}

bool HoldsSocket(pid_t pid, const std::set<std::string>& inodes) {
  std::string fds = absl::StrCat("/proc/", pid, "/fd");
  DIR* d = ::opendir(fds.c_str());
  if (d == nullptr) return false;
  bool found = false;
  while (dirent* e = ::readdir(d)) {
    char link[128];
    ssize_t n = ::readlink(absl::StrCat(fds, "/", e->d_name).c_str(), link, sizeof link - 1);
    if (n <= 0) continue;
    link[n] = '\0';
    absl::string_view l(link);
    if (absl::ConsumePrefix(&l, "socket:[") && absl::ConsumeSuffix(&l, "]") &&
        inodes.count(std::string(l))) {
      found = true;
      break;
    }
  }
  ::closedir(d);
  return found;
}

}  // namespace

std::string BackendName(Backend backend) {
  switch (backend) {
    case Backend::kMeridianFrontends:
      return "meridian_frontends";
    case Backend::kMeridianMesh:
      return "meridian_mesh";
    case Backend::kNatsCluster:
      return "nats_cluster";
  }
  return "?";
}

std::string SkipReason(Backend backend) {
  if (const char* only = std::getenv("MERIDIAN_CLUSTER_BACKENDS"); only && *only) {
    std::vector<std::string> names = absl::StrSplit(only, ',', absl::SkipWhitespace());
    if (std::find(names.begin(), names.end(), BackendName(backend)) == names.end()) {
      return absl::StrCat(BackendName(backend), " not in $MERIDIAN_CLUSTER_BACKENDS=", only);
    }
  }
  if (backend == Backend::kNatsCluster && NatsServerPath().empty()) {
    return "nats-server not installed: no reference run";
  }
  return "";
}

std::string ParamName(const ClusterParam& param) {
  return absl::StrCat(BackendName(param.backend), "_", param.urls);
}

bool PollFast(const std::function<bool()>& condition, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (absl::Now() > deadline) return false;
    ::usleep(2 * 1000);
  }
}

std::string UniqueSubject(const std::string& prefix) {
  static std::atomic<int> next{0};
  return absl::StrCat(prefix, ".", ::getpid(), ".", next++);
}

bool Kill9AndWait(pid_t pid, absl::Duration timeout) {
  if (pid <= 0) return false;
  ::kill(pid, SIGKILL);
  return PollFast([&] { return Gone(pid); }, timeout);
}

// --- Cluster -------------------------------------------------------------

std::unique_ptr<Cluster> Cluster::Start(Backend backend, int urls, std::string* error) {
  for (int attempt = 1;; ++attempt) {
    error->clear();
    std::unique_ptr<Cluster> c = StartOnce(backend, urls, error);
    const bool port_taken = error->find("already in use") != std::string::npos ||
                            error->find("address in use") != std::string::npos;
    if (c != nullptr || attempt == 3 || !port_taken) {
      return c;
    }
  }
}

std::unique_ptr<Cluster> Cluster::StartOnce(Backend backend, int urls, std::string* error) {
  std::unique_ptr<Cluster> c(new Cluster(backend));
  std::string name = UniqueSubject("mesh");
  for (char& ch : name) ch = ch == '.' ? '_' : ch;
  auto host_port = [](int port) { return absl::StrCat("nats://127.0.0.1:", port); };
  auto dir_for = [&] { return MakeTempDir(absl::StrCat("cluster-", BackendName(backend))); };
  if (backend == Backend::kNatsCluster) {
    // Node 0 first; the others route to it and learn each other by gossip.
    int seed = FreePort();
    for (int i = 0; i < urls; ++i) {
      std::string dir = dir_for();
      std::vector<std::string> argv = {
          NatsServerPath(), "-a",         "127.0.0.1", "-p", "-1", "--ports_file_dir", dir,
          "-n",             absl::StrCat("n", i), "--cluster_name", name, "-cluster",
          host_port(i == 0 ? seed : FreePort())};
      if (i > 0) argv.insert(argv.end(), {"-routes", host_port(seed)});
      if (!c->StartNode(argv, dir, 1, error)) return nullptr;
    }
  } else {
    int launchers = backend == Backend::kMeridianMesh ? 2 : 1;
    int ports[2] = {FreePort(), FreePort()};
    for (int l = 0; l < launchers; ++l) {
      int frontends = launchers == 1 ? urls : (l == 0 ? (urls + 1) / 2 : urls / 2);
      std::string dir = dir_for();
      std::vector<std::string> argv = {BinPath("meridian-server"), "-a", "127.0.0.1", "-p", "-1",
                                       "--frontends", absl::StrCat(frontends),
                                       "--ports_file_dir", dir, "--run_dir", dir,
                                       "-n", absl::StrCat(name, "-", l)};
      if (launchers == 2) {
        argv.insert(argv.end(), {"--cluster_name", name, "-cluster", host_port(ports[l]),
                                 "-routes", host_port(ports[1 - l])});
      }
      if (!c->StartNode(argv, dir, static_cast<size_t>(frontends), error)) return nullptr;
    }
  }
  if (!c->WaitAllPairsFlow(error)) return nullptr;
  return c;
}

bool Cluster::StartNode(std::vector<std::string> argv, const std::string& dir, size_t url_count,
                        std::string* error) {
  Node node;
  node.dir = dir;
  node.exe = argv[0].substr(argv[0].rfind('/') + 1);
  node.process = std::make_unique<Process>(argv);
  if (dir.empty() || !node.process->Start()) {
    *error = absl::StrCat("cannot start ", absl::StrJoin(argv, " "));
    return false;
  }
  std::string path = absl::StrCat(dir, "/", node.exe, "_", node.process->pid(), ".ports");
  bool ok = PollUntil(
      [&] {
        node.urls = PortsFileUrls(ReadFile(path), "nats");
        return node.urls.size() >= url_count || !node.process->Running();
      },
      absl::Seconds(30));
  int index = static_cast<int>(nodes_.size());
  nodes_.push_back(std::move(node));
  Node& n = nodes_.back();
  if (!ok || n.urls.size() != url_count) {
    *error = absl::StrCat(absl::StrJoin(argv, " "), "\n did not list ", url_count,
                          " client URLs in ", path, ": '", ReadFile(path), "'; log:\n",
                          n.process->Stderr());
    return false;
  }
  for (const std::string& u : n.urls) {
    urls_.push_back(u);
    launcher_of_.push_back(index);
  }
  return true;
}

bool Cluster::WaitAllPairsFlow(std::string* error) {
  std::vector<NatsConnPtr> conns;
  for (const std::string& u : urls_) {
    natsStatus st;
    conns.push_back(NatsConnect(u, &st));
    if (st != NATS_OK) {
      *error = absl::StrCat("connect ", u, ": ", natsStatus_GetText(st), "\n", Log());
      return false;
    }
  }
  for (size_t i = 0; i < conns.size(); ++i) {
    for (size_t j = 0; j < conns.size(); ++j) {
      if (i != j && !AwaitFlow(conns[i].get(), conns[j].get(), absl::Seconds(30))) {
        *error = absl::StrCat("no message flow from ", urls_[i], " to ", urls_[j], "\n", Log());
        return false;
      }
    }
  }
  return true;
}

std::string Cluster::Log() const {
  std::string out;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    absl::StrAppend(&out, "--- ", nodes_[i].exe, " #", i, " ---\n", nodes_[i].process->Stderr());
  }
  return out;
}

std::string Cluster::DaemonExits() const {
  if (!IsMeridian(backend_)) return "";
  std::string out;
  for (absl::string_view line : absl::StrSplit(Log(), '\n')) {
    if (absl::StrContains(line, " exited (")) absl::StrAppend(&out, line, "\n");
  }
  return out;
}

pid_t Cluster::LauncherPid(int launcher) const {
  return nodes_[static_cast<size_t>(launcher)].process->pid();
}

pid_t Cluster::FrontendPid(int url) const {
  std::set<std::string> inodes = ListeningInodes(PortOf(urls_[static_cast<size_t>(url)]));
  for (pid_t p : Descendants(LauncherPid(LauncherOf(url)))) {
    if (ProgramOf(p) == "meridian-frontend" && HoldsSocket(p, inodes)) return p;
  }
  return -1;
}

pid_t Cluster::RouterPid(int launcher) const {
  for (pid_t p : Descendants(LauncherPid(launcher))) {
    if (ProgramOf(p) == "meridian-router") return p;
  }
  return -1;
}

pid_t Cluster::WaitNewRouter(int launcher, pid_t old, absl::Duration timeout) const {
  pid_t now = -1;
  PollUntil(
      [&] {
        now = RouterPid(launcher);
        return now > 0 && now != old;
      },
      timeout);
  return now != old ? now : -1;
}

void Cluster::Freeze(int launcher) const { ::kill(LauncherPid(launcher), SIGSTOP); }
void Cluster::Thaw(int launcher) const { ::kill(LauncherPid(launcher), SIGCONT); }

void Cluster::StopNode(Node& node) {
  pid_t pid = node.process->pid();
  if (pid > 0 && IsMeridian(backend_)) {
    // Freeze the launcher so it restarts nothing, kill its daemons, then it.
    ::kill(pid, SIGSTOP);
    std::vector<pid_t> daemons = Descendants(pid);
    for (pid_t d : daemons) ::kill(d, SIGKILL);
    node.process->SignalAndWait(SIGKILL, absl::Seconds(10));
    PollUntil(
        [&] {
          for (pid_t d : daemons) {
            if (!Gone(d)) return false;
          }
          return true;
        },
        absl::Seconds(10));
  } else if (pid > 0) {
    node.process->SignalAndWait(SIGKILL, absl::Seconds(10));
  }
  RemoveTree(node.dir);
}

Cluster::~Cluster() {
  for (Node& n : nodes_) StopNode(n);
}

// --- Propagation barrier -------------------------------------------------

bool AwaitFlow(natsConnection* from, natsConnection* to, absl::Duration timeout) {
  std::string subject = UniqueSubject("_flow");
  natsStatus st;
  NatsSubPtr sub = SubscribeSync(to, subject, &st);
  if (st != NATS_OK || natsConnection_Flush(to) != NATS_OK) return false;
  absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (natsConnection_PublishString(from, subject.c_str(), "x") != NATS_OK) return false;
    natsConnection_Flush(from);
    if (NextMsg(sub.get(), 20)) return true;
  }
  return false;
}

Prober::Prober(const std::vector<std::string>& urls) {
  for (const std::string& u : urls) {
    natsStatus st;
    helpers_.push_back(NatsConnect(u, &st));
    ok_ = ok_ && st == NATS_OK;
  }
}

std::string Prober::Barrier(const std::vector<natsConnection*>& changed, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  struct Probe {
    std::string subject;
    NatsSubPtr sub;
  };
  std::vector<Probe> probes;
  for (natsConnection* nc : changed) {
    Probe p{UniqueSubject("_probe"), nullptr};
    natsStatus st;
    p.sub = SubscribeSync(nc, p.subject, &st);
    if (st != NATS_OK || natsConnection_Flush(nc) != NATS_OK) {
      return absl::StrCat("probe subscription failed: ", natsStatus_GetText(st));
    }
    probes.push_back(std::move(p));
  }
  for (Probe& p : probes) {
    for (size_t j = 0; j < helpers_.size(); ++j) {
      std::string tag = absl::StrCat(j);
      bool seen = false;
      absl::Duration wait = absl::Milliseconds(1);
      while (!seen) {
        if (absl::Now() > deadline) {
          return absl::StrCat("interest of ", p.subject, " not visible from URL #", j);
        }
        natsConnection_PublishString(helpers_[j].get(), p.subject.c_str(), tag.c_str());
        natsConnection_Flush(helpers_[j].get());
        // Earlier probes may still arrive: skip them. Wait 1, 2, 4 .. 32 ms.
        absl::Time wait_end = absl::Now() + wait;
        wait = std::min(wait * 2, absl::Milliseconds(32));
        while (!seen && absl::Now() < wait_end) {
          NatsMsgPtr m = NextMsg(p.sub.get(), 1);
          seen = m && Data(m.get()) == tag;
        }
      }
    }
  }
  return "";
}

// --- ClusterTest ---------------------------------------------------------

std::map<std::string, std::pair<std::unique_ptr<Cluster>, std::string>>& ClusterTest::Shared() {
  static auto* shared = new std::map<std::string, std::pair<std::unique_ptr<Cluster>, std::string>>();
  return *shared;
}

void ClusterTest::TearDownTestSuite() {
  for (auto& [name, entry] : Shared()) {
    if (entry.first) {
      EXPECT_EQ(entry.first->DaemonExits(), "") << entry.first->Log();
    }
  }
  Shared().clear();
}

void ClusterTest::SetUp() {
  std::string skip = SkipReason(backend());
  if (!skip.empty()) GTEST_SKIP() << skip;
  std::string error;
  if (OwnCluster()) {
    own_ = Cluster::Start(backend(), GetParam().urls, &error);
    ASSERT_NE(own_, nullptr) << error;
    cluster_ = own_.get();
  } else {
    auto& [shared, failure] = Shared()[ParamName(GetParam())];
    ASSERT_EQ(failure, "") << "(remembered) " << failure;
    if (!shared) shared = Cluster::Start(backend(), GetParam().urls, &error);
    if (!shared) failure = error;
    ASSERT_NE(shared, nullptr) << error;
    cluster_ = shared.get();
  }
  prober_ = std::make_unique<Prober>(cluster_->urls());
  ASSERT_TRUE(prober_->ok()) << "helper connections failed\n" << cluster_->Log();
}

void ClusterTest::TearDown() {
  prober_.reset();
  own_.reset();
  cluster_ = nullptr;
}

NatsConnPtr ClusterTest::Connect(int url, const std::function<void(natsOptions*)>& tweak) {
  NatsOptionsPtr opts = TestOptions(cluster_->url(url));
  if (tweak) tweak(opts.get());
  natsStatus st;
  NatsConnPtr nc = NatsConnect(opts.get(), &st);
  EXPECT_EQ(st, NATS_OK) << "connect to URL #" << url << ": " << natsStatus_GetText(st);
  return nc;
}

::testing::AssertionResult ClusterTest::Propagated(const std::vector<natsConnection*>& changed) {
  std::string error = prober_->Barrier(changed);
  if (error.empty()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "propagation barrier: " << error;
}

bool AwaitNoResponders(natsConnection* nc, const std::string& subject, absl::Duration timeout) {
  return PollFast(
      [&] {
        natsMsg* reply = nullptr;
        natsStatus st = natsConnection_RequestString(&reply, nc, subject.c_str(), "?", 200);
        natsMsg_Destroy(reply);
        return st == NATS_NO_RESPONDERS;
      },
      timeout);
}

uint64_t Reconnects(natsConnection* nc) {
  natsStatistics* stats = nullptr;
  natsStatistics_Create(&stats);
  natsConnection_GetStats(nc, stats);
  uint64_t reconnects = 0;
  natsStatistics_GetCounts(stats, nullptr, nullptr, nullptr, nullptr, &reconnects);
  natsStatistics_Destroy(stats);
  return reconnects;
}

}  // namespace meridian::testing
