#include "services/frontend/core.h"

#include <future>

#include <sched.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/json/writer.h"
#include "common/log/log.h"
#include "common/version/version.h"
#include "services/frontend/router_link.h"
#include "services/frontend/tcp_listener.h"
#include "services/frontend/worker.h"

namespace meridian::frontend {

namespace {

// CPUs this process may run on (taskset / cgroup cpusets), as Go's NumCPU.
int UsableCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace

Core::Core(CoreOptions options) : options_(std::move(options)) {
  if (options_.jetstream && !options_.routers.empty() && options_.direct_get.max_bytes > 0) {
    direct_get_cache_ = std::make_unique<DirectGetCache>(options_.direct_get);
  }
  if (!options_.routers.empty()) router_link_ = std::make_unique<RouterLink>(this, options_.routers);
  int n = options_.workers > 0 ? options_.workers : UsableCpus();
  for (int i = 0; i < n; ++i) workers_.push_back(std::make_unique<Worker>(this, i));
}

Core::~Core() { Stop(); }

absl::Status Core::Start() {
  Worker* acceptor = workers_[0].get();
  listener_ = std::make_unique<TcpListener>(acceptor->loop(), [this](uv_tcp_t* c) { Accept(c); });
  if (absl::Status s = listener_->Bind(options_.client_listen); !s.ok()) {
    listener_.reset();
    return s;
  }
  for (auto& w : workers_) w->Start();
  if (router_link_) {
    std::string host = listener_->host();
    if (host.empty() || host == "0.0.0.0" || host == "::") host = "127.0.0.1";
    router_link_->Start(absl::StrCat(host, ":", listener_->port()), workers_[0]->link_driver());
    // Clients are taken once the router told us what the others want (e.g.
    // JetStream's subjects), so a client arriving at a (re)start does not
    // get "no responders" for a service that is there. Bounded: a router
    // that is down does not keep clients out.
    if (!router_link_->WaitInitialView(absl::Seconds(5))) {
      MLOG_WARN("no interest from the router yet; accepting clients anyway");
    }
  }
  {
    std::promise<absl::Status> accepting;
    TcpListener* l = listener_.get();
    acceptor->thread().Post([l, &accepting] { accepting.set_value(l->Accept()); });
    if (absl::Status s = accepting.get_future().get(); !s.ok()) {
      listener_.reset();
      return s;
    }
  }
  MLOG_INFO("listening for client connections on ", listener_->host(), ":", listener_->port(),
            " with ", workers_.size(), " loops");
  return absl::OkStatus();
}

void Core::Stop() {
  if (workers_.empty()) return;
  if (router_link_) router_link_->Stop();  // no more routed batches for the loops
  if (listener_) {
    TcpListener* l = listener_.get();
    workers_[0]->thread().Post([l] { l->Close(); });
  }
  for (auto& w : workers_) w->Stop();
  workers_.clear();
  listener_.reset();
}

int Core::port() const { return listener_ ? listener_->port() : 0; }
const std::string& Core::host() const {
  static const std::string kEmpty;
  return listener_ ? listener_->host() : kEmpty;
}

void Core::Accept(uv_tcp_t* client) {
  // Runs on worker 0's loop: pass the socket to the next loop in turn.
  int fd = -1;
  uv_os_fd_t os_fd;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(client), &os_fd) == 0) fd = ::dup(os_fd);
  uv_close(reinterpret_cast<uv_handle_t*>(client),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
  if (fd < 0) return;
  if (lame_duck()) {
    ::close(fd);
    return;
  }
  Worker* w = workers_[next_worker_++ % workers_.size()].get();
  w->Adopt(fd);
}

std::vector<ConnSnapshot> Core::SnapshotConnections(bool with_subs, absl::Duration timeout) {
  struct Gather {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<ConnSnapshot> conns;
    size_t pending;
  };
  auto gather = std::make_shared<Gather>();
  gather->pending = workers_.size();
  for (auto& w : workers_) {
    Worker* worker = w.get();
    worker->thread().Post([worker, gather, with_subs] {
      std::vector<ConnSnapshot> part = worker->SnapshotConnections(with_subs);
      std::lock_guard<std::mutex> lock(gather->mu);
      for (ConnSnapshot& c : part) gather->conns.push_back(std::move(c));
      if (--gather->pending == 0) gather->cv.notify_all();
    });
  }
  std::unique_lock<std::mutex> lock(gather->mu);
  gather->cv.wait_for(lock, absl::ToChronoNanoseconds(timeout), [&] { return gather->pending == 0; });
  return std::move(gather->conns);
}

Core::Totals Core::SumStats() const {
  Totals t;
  for (const auto& w : workers_) {
    const WorkerStats& s = w->stats();
    t.in_msgs += s.in_msgs.Get();
    t.in_bytes += s.in_bytes.Get();
    t.out_msgs += s.out_msgs.Get();
    t.out_bytes += s.out_bytes.Get();
    t.slow_consumers += s.slow_consumers.Get();
    t.stale_connections += s.stale_connections.Get();
    t.total_connections += s.total_connections.Get();
  }
  return t;
}

uint64_t Core::SafeEpoch() const {
  uint64_t safe = UINT64_MAX;
  for (const auto& w : workers_) safe = std::min(safe, w->seen_epoch().load(std::memory_order_acquire));
  return safe;
}

void Core::UpdateSettings(const Limits& limits, const SimpleAuth& auth) {
  for (auto& w : workers_) {
    Worker* worker = w.get();
    worker->thread().Post([worker, limits, auth] { worker->UpdateSettings({limits, auth}); });
  }
}

std::string Core::InfoJson(uint64_t cid, const std::string& client_ip, bool connect_info,
                           const Limits& limits, const SimpleAuth& auth) const {
  std::string out;
  json::Writer w = json::Writer::Compact(&out);
  w.BeginObject();
  w.Member("server_id", options_.server_id);
  w.Member("server_name", options_.server_name.empty() ? options_.server_id : options_.server_name);
  w.Member("version", kNatsCompatVersion);
  w.MemberInt("proto", 1);
  w.Member("go", absl::StrCat("meridian v", kVersion));
  w.Member("host", listener_ ? listener_->host() : "0.0.0.0");
  w.MemberInt("port", port());
  w.MemberBool("headers", true);
  w.MemberInt("max_payload", limits.max_payload);
  if (auth.required()) w.MemberBool("auth_required", true);
  if (options_.jetstream) w.MemberBool("jetstream", true);
  w.MemberUint("client_id", cid);
  w.Member("client_ip", client_ip);
  if (router_link_) {
    std::vector<std::string> urls = router_link_->ConnectUrls();
    if (!urls.empty()) {
      w.Key("connect_urls").BeginArray();
      for (const std::string& url : urls) w.String(url);
      w.EndArray();
    }
  }
  if (lame_duck()) w.MemberBool("ldm", true);
  if (connect_info) {
    w.MemberBool("connect_info", true);
    w.Member("remote_account", "$G");
    w.MemberBool("acc_is_sys", false);
  }
  w.EndObject();
  return out;
}

void Core::CheckLameDuckDone() {
  if (num_connections_.load() > 0 || lame_duck_done_.exchange(true)) return;
  MLOG_INFO("lame duck mode: every client is closed");
  if (lame_duck_callback_) lame_duck_callback_();
}

void Core::EnterLameDuck(std::function<void()> done) {
  if (lame_duck_.load()) return;
  lame_duck_callback_ = std::move(done);
  lame_duck_.store(true);
  MLOG_INFO("entering lame duck mode: closing clients over ",
            absl::FormatDuration(options_.limits.lame_duck_duration), " after ",
            absl::FormatDuration(options_.limits.lame_duck_grace_period));
  if (listener_) {
    TcpListener* l = listener_.get();
    workers_[0]->thread().Post([l] { l->Close(); });
  }
  for (auto& w : workers_) {
    Worker* worker = w.get();
    worker->thread().Post([worker, this] {
      worker->LameDuck(options_.limits.lame_duck_grace_period, options_.limits.lame_duck_duration);
    });
  }
}

}  // namespace meridian::frontend
