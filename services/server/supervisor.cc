#include "services/server/supervisor.h"

#include <signal.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/rpc/rpc.h"
#include "meridian/admin/v1/admin.grpc.pb.h"
#include "prometheus/counter.h"
#include "prometheus/registry.h"

namespace meridian::launcher {
namespace {

absl::Duration Backoff(int restarts) {
  absl::Duration d = absl::Milliseconds(100);
  for (int i = 1; i < restarts && d < absl::Seconds(5); ++i) d *= 2;
  return std::min(d, absl::Seconds(5));
}

absl::Status GetInfo(const std::string& address, admin::v1::ServerInfo* info) {
  auto stub = admin::v1::Admin::NewStub(rpc::MakeChannel(address));
  grpc::ClientContext context;
  rpc::SetDeadline(&context, absl::Seconds(2));
  return rpc::FromGrpc(stub->GetServerInfo(&context, admin::v1::GetServerInfoRequest(), info));
}

}  // namespace

Supervisor::Supervisor(prometheus::Registry* registry)
    : restarts_family_(&prometheus::BuildCounter()
                            .Name("meridian_launcher_child_restarts_total")
                            .Help("Children restarted by the launcher after they exited")
                            .Register(*registry)) {
  poller_ = std::thread([this] { PollLoop(); });
}

Supervisor::~Supervisor() {
  StopAll(absl::Seconds(10));
  {
    std::lock_guard<std::mutex> lock(mu_);
    poller_stop_ = true;
  }
  cv_.notify_all();
  poller_.join();
}

absl::Status Supervisor::StartAll(std::vector<ChildSpec> specs, absl::Duration ready_timeout) {
  for (ChildSpec& spec : specs) {
    if (spec.name.empty()) spec.name = spec.kind;
    restarts_family_->Add({{"daemon", spec.name}});  // exported at 0 from the start
    Child child;
    child.spec = spec;
    child.process = std::make_unique<ChildProcess>(spec.binary, spec.args);
    MLOG_DEBUG("starting ", spec.name, ": ", spec.binary);
    if (absl::Status s = child.process->Spawn(); !s.ok()) {
      StopAll(absl::Seconds(10));
      return absl::Status(s.code(), absl::StrCat(spec.name, ": ", s.message()));
    }
    child.started_at = absl::Now();
    children_.push_back(std::move(child));
    Child& c = children_.back();
    absl::Time deadline = absl::Now() + ready_timeout;
    for (;;) {
      if (c.process->Reap()) {
        std::string why = c.process->DescribeLastExit();
        StopAll(absl::Seconds(10));
        return absl::UnavailableError(
            absl::StrCat("meridian-", spec.name, " failed to start (", why, ")"));
      }
      if (rpc::CheckHealth(spec.grpc_address, absl::Milliseconds(500)) == rpc::Health::kServing) {
        break;
      }
      if (absl::Now() > deadline) {
        StopAll(absl::Seconds(10));
        return absl::DeadlineExceededError(absl::StrCat(
            "meridian-", spec.name, " did not become healthy within ",
            absl::FormatDuration(ready_timeout)));
      }
      ::usleep(20 * 1000);
    }
    MLOG_INFO("meridian-", spec.name, " started, pid ", c.process->pid());
  }
  std::lock_guard<std::mutex> lock(mu_);
  poll_specs_ = std::move(specs);
  poll_now_ = true;
  cv_.notify_all();
  return absl::OkStatus();
}

void Supervisor::EnterLameDuck() {
  lame_duck_ = true;
  for (Child& c : children_) {
    if (c.spec.kind == "frontend") c.process->Signal(SIGUSR2);
  }
}

bool Supervisor::FrontendsGone() const {
  for (const Child& c : children_) {
    if (c.spec.kind == "frontend" && (c.process->running() || c.pending_restart)) return false;
  }
  return true;
}

void Supervisor::Reap() {
  for (Child& c : children_) {
    if (!c.process->Reap() || stopping_) continue;
    if (lame_duck_ && c.spec.kind == "frontend") {
      MLOG_INFO("meridian-", c.spec.name, " finished lame duck mode (",
                c.process->DescribeLastExit(), ")");
      continue;
    }
    c.restarts++;
    // A child that ran a good while before dying gets a quick restart.
    int effective = absl::Now() - c.started_at > absl::Seconds(30) ? 1 : c.restarts;
    c.restart_at = absl::Now() + Backoff(effective);
    c.pending_restart = true;
    restarts_family_->Add({{"daemon", c.spec.name}}).Increment();
    {
      std::lock_guard<std::mutex> lock(mu_);
      restarts_[c.spec.name] = c.restarts;
      poll_now_ = true;
    }
    cv_.notify_all();
    MLOG_WARN("meridian-", c.spec.name, " exited (", c.process->DescribeLastExit(),
              "); restarting it (restart #", c.restarts, ")");
  }
}

void Supervisor::Tick() {
  if (stopping_) return;
  for (Child& c : children_) {
    if (!c.pending_restart || absl::Now() < c.restart_at) continue;
    c.pending_restart = false;
    if (absl::Status s = c.process->Spawn(); !s.ok()) {
      MLOG_ERROR("restart of meridian-", c.spec.name, " failed: ", s.message());
      c.restart_at = absl::Now() + absl::Seconds(5);
      c.pending_restart = true;
      continue;
    }
    c.started_at = absl::Now();
    MLOG_INFO("meridian-", c.spec.name, " restarted, pid ", c.process->pid());
  }
}

bool Supervisor::StopAll(absl::Duration grace) {
  stopping_ = true;
  bool clean = true;
  // Frontends first (they hold the clients), then everything else at once:
  // the others depend on nothing but each other's sockets, and each takes
  // about a second to stop, so waiting for them one by one only adds up.
  auto stop_group = [&](bool frontends) {
    std::vector<Child*> group;
    for (auto it = children_.rbegin(); it != children_.rend(); ++it) {
      if ((it->spec.kind == "frontend") == frontends && it->process->running()) {
        it->process->Signal(SIGTERM);
        group.push_back(&*it);
      }
    }
    for (Child* c : group) {
      int code = c->process->Stop(grace);  // already signalled: waits, then SIGKILL
      if (code != 0) {
        clean = false;
        MLOG_WARN("meridian-", c->spec.name, " stopped with ", c->process->DescribeLastExit());
      } else {
        MLOG_DEBUG("meridian-", c->spec.name, " stopped");
      }
    }
  };
  stop_group(true);
  stop_group(false);
  children_.clear();
  return clean;
}

void Supervisor::SignalAll(int sig) {
  for (Child& c : children_) c.process->Signal(sig);
}

absl::Status Supervisor::FetchInfo(const std::string& name, admin::v1::ServerInfo* info) const {
  for (const Child& c : children_) {
    if (c.spec.name == name) return GetInfo(c.spec.grpc_address, info);
  }
  return absl::NotFoundError(absl::StrCat("no child named ", name));
}

std::vector<admin::v1::Member> Supervisor::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return snapshot_;
}

void Supervisor::PollLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!poller_stop_) {
    std::vector<ChildSpec> specs = poll_specs_;
    std::map<std::string, int> restarts = restarts_;
    lock.unlock();
    std::vector<admin::v1::Member> members;
    for (const ChildSpec& spec : specs) {
      admin::v1::Member m;
      rpc::Health health = rpc::CheckHealth(spec.grpc_address, absl::Milliseconds(500));
      if (!GetInfo(spec.grpc_address, m.mutable_info()).ok()) {
        m.mutable_info()->set_kind(spec.kind);
        m.mutable_info()->set_grpc_address(spec.grpc_address);
      }
      switch (health) {
        case rpc::Health::kServing:
          m.mutable_health()->set_status(admin::v1::HEALTH_STATUS_SERVING);
          break;
        case rpc::Health::kNotServing:
          m.mutable_health()->set_status(admin::v1::HEALTH_STATUS_NOT_SERVING);
          break;
        case rpc::Health::kUnreachable:
          m.mutable_health()->set_status(admin::v1::HEALTH_STATUS_UNREACHABLE);
          break;
      }
      m.set_restarts(restarts[spec.name]);
      members.push_back(std::move(m));
    }
    lock.lock();
    snapshot_ = std::move(members);
    cv_.wait_for(lock, std::chrono::seconds(1), [this] { return poller_stop_ || poll_now_; });
    poll_now_ = false;
  }
}

}  // namespace meridian::launcher
