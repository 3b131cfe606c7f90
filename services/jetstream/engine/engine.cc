#include "services/jetstream/engine/engine.h"

#include <sched.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log/log.h"
#include "common/subjects/subject.h"
#include "services/jetstream/engine/api_handler.h"
#include "services/jetstream/engine/consumer.h"
#include "services/jetstream/engine/stream.h"

namespace meridian::jetstream {
namespace {

constexpr std::string_view kAccount = "$G";
// Messages between Meridian's daemons that no client account sees.
constexpr std::string_view kInternalAccount = "$MRD";
constexpr std::string_view kInternalSubjectPrefix = "$MRD.DG.INV.";
// Without traffic the engine still wakes this often (timers are exact; this
// only bounds how stale now_ns_ can be for a request arriving on a wake).
constexpr int64_t kMaxIdleNs = 1'000'000'000;

}  // namespace

struct Engine::SubjectEntry : subjects::Subscription {
  Stream* stream = nullptr;
};

struct Engine::RemoteSub : subjects::Subscription {
  int64_t count = 0;
};

Engine::Engine(EngineOptions options) : options_(std::move(options)) {}

Engine::~Engine() {
  Stop();
  for (auto& e : subject_entries_) (void)subject_index_.Remove(e.get());
  for (auto& [k, s] : remote_subs_) (void)remote_.Remove(s.get());
}

absl::StatusOr<std::unique_ptr<Engine>> Engine::Open(EngineOptions options) {
  std::unique_ptr<Engine> e(new Engine(std::move(options)));
  e->now_ns_ = absl::GetCurrentTimeNanos();
  StoreOptions file;
  file.path = absl::StrCat(e->options_.store_dir, "/jetstream/db");
  file.sync_always = e->options_.sync_always;
  file.block_cache_bytes = e->options_.block_cache_bytes;
  std::error_code ec;
  std::filesystem::create_directories(file.path, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot create store directory ", file.path, ": ", ec.message()));
  }
  auto fs = Store::Open(file);
  if (!fs.ok()) return fs.status();
  e->file_store_ = std::move(*fs);
  StoreOptions mem;
  mem.path = "/meridian-memory-store";
  mem.in_memory = true;
  mem.block_cache_bytes = 8 << 20;
  auto ms = Store::Open(mem);
  if (!ms.ok()) return ms.status();
  e->memory_store_ = std::move(*ms);
  e->api_ = std::make_unique<ApiHandler>(e.get());
  if (auto s = e->LoadStreams(e->file_store_.get()); !s.ok()) return s;
  MLOG_INFO("JetStream store at ", file.path, ": ", e->streams_.size(), " streams",
            e->options_.sync_always ? " (sync always)" : "");
  return e;
}

absl::Status Engine::LoadStreams(Store* store) {
  for (StreamStore* ss : store->Streams()) {
    auto stream = Stream::Load(this, ss);
    if (!stream.ok()) {
      MLOG_ERROR("stream ", ss->name(), " not loaded: ", stream.status().message());
      continue;
    }
    AddStream(std::move(*stream));
  }
  for (auto& [name, s] : streams_) s->AfterLoad();
  return store->Commit();
}

void Engine::Start() {
  link_ = std::make_unique<PeerLink>(options_.link, [this] { waiter_.Wake(); }, &waiter_);
  link_->Start();
  ScheduleSync();
  thread_ = std::thread([this] { Run(); });
}

bool Engine::WaitAttached(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(attached_mu_);
  return attached_cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [this] { return attached_; });
}

void Engine::ScheduleSync() {
  if (options_.sync_always || options_.sync_interval_ms <= 0) return;
  timers_.At(now_ns_ + options_.sync_interval_ms * 1'000'000, [this] {
    if (absl::Status s = file_store_->Sync(); !s.ok()) MLOG_ERROR("store sync failed: ", s.message());
    ScheduleSync();
  });
}

void Engine::Post(std::function<void(Engine*)> task) {
  bool queued = false;
  {
    std::lock_guard<std::mutex> lock(posted_mu_);
    if (accepting_posts_) {
      posted_.push_back(std::move(task));
      queued = true;
    }
  }
  if (queued) {
    waiter_.Wake();
    return;
  }
  task(nullptr);
}

void Engine::RunPosted() {
  std::vector<std::function<void(Engine*)>> tasks;
  {
    std::lock_guard<std::mutex> lock(posted_mu_);
    tasks.swap(posted_);
  }
  for (auto& task : tasks) task(this);
}

void Engine::Stop() {
  if (stop_.exchange(true)) return;
  std::vector<std::function<void(Engine*)>> unrun;
  waiter_.Wake();
  if (thread_.joinable()) thread_.join();
  // Batched consumer state not written yet goes with the last commit.
  for (auto& [name, stream] : streams_) stream->PersistConsumers(/*all_dirty=*/true);
  if (memory_store_) (void)memory_store_->Commit();
  {
    std::lock_guard<std::mutex> lock(posted_mu_);
    accepting_posts_ = false;
    unrun.swap(posted_);
  }
  for (auto& task : unrun) task(nullptr);
  if (link_) link_->Stop();
  if (file_store_) {
    (void)file_store_->Commit();
    (void)file_store_->Sync();
  }
}

void Engine::Run() {
  waiter_.BindToThisThread();
  bool link_busy = true;  // the stream is starting
  while (!stop_.load()) {
    now_ns_ = absl::GetCurrentTimeNanos();
    int64_t wait_ns = std::min<int64_t>(timers_.next() - now_ns_, kMaxIdleNs);
    // Retry a refused send soon.
    if (out_bytes_ > 0 || !kicked_.empty()) wait_ns = std::min<int64_t>(wait_ns, 1'000'000);
    // gRPC finishes some of a busy stream's work on its own threads without
    // telling anyone (AttachClient::Drive): look again soon, and now and
    // then when idle.
    wait_ns = std::min(wait_ns, link_busy ? kBusyDriveNs : kIdleDriveNs);
    if (!kicked_.empty() && !backlogged()) {
      // Deliveries left for the next turn: the router and the frontend
      // (maybe on this CPU) move what this one sent first (README).
      wait_ns = 0;
      sched_yield();
    }
    const EngineWaiter::Ready ready = waiter_.Wait(wait_ns);
    if (stop_.load()) break;
    (void)link_->Drive(ready.writable_only);
    Turn();
    // What the turn queued starts on its way now.
    link_busy = link_->Drive(false);
  }
}

void Engine::Turn() {
  ++stats_.turns;
  now_ns_ = absl::GetCurrentTimeNanos();
  // Everything the router sent so far, then what is due.
  while (!backlogged() && link_->Drain(*this)) {
  }
  now_ns_ = absl::GetCurrentTimeNanos();
  timers_.RunDue(now_ns_);
  RunPosted();
  // Consumers deliver what the turn stored (bounded by the outbound size).
  // A stream that could not finish (outbound full) kicks itself again.
  std::vector<Stream*> kicked;
  kicked.swap(kicked_);
  for (Stream* s : kicked) s->RunConsumers();
  // One write for the turn; PubAcks go out only after it.
  if (absl::Status s = file_store_->Commit(); !s.ok()) {
    MLOG_ERROR("store commit failed: ", s.message());
  }
  (void)memory_store_->Commit();
  Flush();
}

void Engine::Flush() {
  if (interest_dirty_ && link_->connected()) {
    interest_dirty_ = !link_->SendInterestReset(InterestSubjects());
    if (!interest_dirty_) {
      std::lock_guard<std::mutex> lock(attached_mu_);
      attached_ = true;
      attached_cv_.notify_all();
    }
  }
  while (!out_.empty()) {
    if (!link_->connected()) {
      out_.clear();  // nobody to send to; requesters time out, consumers redeliver
      out_bytes_ = 0;
      break;
    }
    if (!link_->SendPacked(out_.front())) {
      // The router's queue is full: hold reads until it drains.
      link_->PauseReads();
      return;
    }
    out_bytes_ -= out_.front().size();
    out_.pop_front();
  }
  link_->ResumeReads();
}

void Engine::Send(std::string_view subject, std::string_view reply, std::string_view headers,
                  std::string_view payload, std::string_view deliver_as) {
  router::PackedMessage m;
  m.account = kAccount;
  m.subject = subject;
  m.reply = reply;
  m.headers = headers;
  m.payload = payload;
  m.deliver_as = deliver_as;
  QueueOut(m);
}

void Engine::QueueOut(const router::PackedMessage& m) {
  if (out_.empty() || out_.back().size() >= kChunkBytes) out_.emplace_back();
  const size_t before = out_.back().size();
  router::AppendPacked(&out_.back(), m, {});
  out_bytes_ += out_.back().size() - before;
}

void Engine::SendDirectGetInvalidation(std::string_view stream) {
  std::string subject(kInternalSubjectPrefix);
  subject.append(stream);
  router::PackedMessage m;
  m.account = kInternalAccount;
  m.subject = subject;
  QueueOut(m);
}

std::vector<std::string> Engine::InterestSubjects() const {
  std::vector<std::string> subjects = {"$JS.API.>", "$JS.ACK.>", "$JS.FC.>"};
  for (const auto& e : subject_entries_) subjects.push_back(e->subject);
  std::sort(subjects.begin(), subjects.end());
  subjects.erase(std::unique(subjects.begin(), subjects.end()), subjects.end());
  return subjects;
}

void Engine::OnAttached() { interest_dirty_ = true; }

void Engine::OnRemoteInterestReset() {
  std::vector<subjects::Subscription*> all;
  for (auto& [k, s] : remote_subs_) all.push_back(s.get());
  (void)remote_.RemoveBatch(all);
  remote_subs_.clear();
}

void Engine::OnRemoteInterest(std::string_view subject, std::string_view queue, int32_t delta) {
  std::string key(subject);
  key.push_back('\0');
  key.append(queue);
  auto it = remote_subs_.find(key);
  if (it == remote_subs_.end()) {
    if (delta <= 0) return;
    auto sub = std::make_unique<RemoteSub>();
    sub->subject = std::string(subject);
    sub->queue = std::string(queue);
    if (remote_.Insert(sub.get()) != subjects::SublistError::kOk) return;
    it = remote_subs_.emplace(std::move(key), std::move(sub)).first;
  }
  it->second->count += delta;
  if (delta > 0) {
    // A push consumer waiting for a subscriber on its deliver subject.
    for (auto& [n, s] : streams_) {
      for (auto& [cn, c] : s->consumers()) {
        if (!c->is_pull() && subjects::SubjectMatches(subject, c->config().deliver_subject)) {
          Kick(s.get());
          break;
        }
      }
    }
  }
  if (it->second->count <= 0) {
    (void)remote_.Remove(it->second.get());
    remote_subs_.erase(it);
  }
}

bool Engine::HasInterest(std::string_view subject, std::string_view queue) {
  if (queue.empty()) return remote_.HasInterest(subject);
  auto r = remote_.Match(subject);
  for (const auto& q : r->qsubs) {
    if (q.name == queue) return true;
  }
  return false;
}

void Engine::OnMessage(const router::PackedMessage& msg) {
  std::string_view subject = msg.subject;
  if (subject.substr(0, 8) == "$JS.API.") {
    api_->Handle(msg);
    return;
  }
  if (subject.substr(0, 8) == "$JS.ACK.") {
    api_->HandleAck(msg);
    return;
  }
  if (subject.substr(0, 7) == "$JS.FC.") {
    api_->HandleFlowControl(msg);
    return;
  }
  if (Stream* s = StreamForSubject(subject)) s->ProcessPublish(msg);
}

void Engine::Kick(Stream* stream) {
  if (std::find(kicked_.begin(), kicked_.end(), stream) == kicked_.end()) {
    kicked_.push_back(stream);
  }
}

void Engine::KickDependents(std::string_view origin) {
  for (auto& [n, s] : streams_) {
    if (s->sourcing().Uses(origin)) Kick(s.get());
  }
}

Stream* Engine::FindStream(std::string_view name) {
  auto it = streams_.find(name);
  return it == streams_.end() ? nullptr : it->second.get();
}

Stream* Engine::StreamForSubject(std::string_view subject) {
  auto r = subject_index_.Match(subject);
  if (r->psubs.empty()) return nullptr;
  return static_cast<SubjectEntry*>(r->psubs.front())->stream;
}

void Engine::AddStream(std::unique_ptr<Stream> stream) {
  Stream* s = stream.get();
  streams_[s->name()] = std::move(stream);
  ReindexStream(s);
  if (!s->sourcing().empty()) Kick(s);  // catch up with the origins
}

void Engine::RemoveStream(std::string_view name) {
  auto it = streams_.find(name);
  if (it == streams_.end()) return;
  Stream* s = it->second.get();
  for (auto e = subject_entries_.begin(); e != subject_entries_.end();) {
    if ((*e)->stream == s) {
      (void)subject_index_.Remove(e->get());
      e = subject_entries_.erase(e);
    } else {
      ++e;
    }
  }
  kicked_.erase(std::remove(kicked_.begin(), kicked_.end(), s), kicked_.end());
  streams_.erase(it);
  interest_dirty_ = true;
}

void Engine::ReindexStream(Stream* stream) {
  for (auto e = subject_entries_.begin(); e != subject_entries_.end();) {
    if ((*e)->stream == stream) {
      (void)subject_index_.Remove(e->get());
      e = subject_entries_.erase(e);
    } else {
      ++e;
    }
  }
  for (const std::string& subject : stream->subjects()) {
    auto e = std::make_unique<SubjectEntry>();
    e->subject = subject;
    e->stream = stream;
    if (subject_index_.Insert(e.get()) != subjects::SublistError::kOk) continue;
    subject_entries_.push_back(std::move(e));
  }
  interest_dirty_ = true;
}

bool Engine::SubjectsOverlap(const std::vector<std::string>& subjects, const Stream* except) {
  for (const auto& e : subject_entries_) {
    if (e->stream == except) continue;
    for (const auto& s : subjects) {
      if (subjects::SubjectsOverlap(s, e->subject)) return true;
    }
  }
  return false;
}

uint64_t Engine::used_bytes(bool memory) const {
  return memory ? memory_store_->total_bytes() : file_store_->total_bytes();
}

}  // namespace meridian::jetstream
