#include "services/jetstream/engine/consumer.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/json/parser.h"
#include "common/json/time_format.h"
#include "common/json/writer.h"
#include "common/log/log.h"
#include "common/subjects/subject.h"
#include "services/jetstream/api/requests.h"
#include "services/jetstream/engine/advisories.h"
#include "services/jetstream/engine/engine.h"
#include "services/jetstream/engine/headers.h"
#include "services/jetstream/engine/stream.h"

namespace meridian::jetstream {
namespace {

// Push flow control: a FlowControl request after this many bytes delivered;
// deliveries wait for its answer.
constexpr uint64_t kFlowControlBytes = 2 << 20;
// Messages one Run delivers before letting the engine do other work.
constexpr int kRunBudget = 4096;

std::string RandomToken(int n) {
  static const char kAlphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  static uint64_t state = static_cast<uint64_t>(absl::GetCurrentTimeNanos()) | 1;
  std::string out;
  for (int i = 0; i < n; ++i) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    out.push_back(kAlphabet[state % (sizeof(kAlphabet) - 1)]);
  }
  return out;
}

}  // namespace

Consumer::Consumer(Stream* stream, api::ConsumerConfig config, int64_t created_ns)
    : stream_(stream), config_(std::move(config)), created_ns_(created_ns) {
  filters_ = config_.Filters();
  sample_percent_ = advisory::ParseSampleFrequency(config_.sample_freq);
  last_active_ns_ = created_ns;
}

Consumer::~Consumer() {
  Timers& t = stream_->engine()->timers();
  t.Cancel(&ack_timer_);
  t.Cancel(&pull_timer_);
  t.Cancel(&hb_timer_);
  t.Cancel(&inactive_timer_);
  t.Cancel(&replay_timer_);
  t.Cancel(&pause_timer_);
}

absl::StatusOr<std::unique_ptr<Consumer>> Consumer::Create(Stream* stream,
                                                           api::ConsumerConfig config) {
  std::unique_ptr<Consumer> c(new Consumer(stream, std::move(config), stream->engine()->now_ns()));
  c->InitStart();
  c->MarkConfirmed();
  if (c->config_.pause_until.has_value()) c->Pause(absl::ToUnixNanos(*c->config_.pause_until));
  c->ArmHeartbeat();
  c->ArmInactivity();
  return c;
}

void Consumer::InitStart() {
  StreamStore* store = stream_->store();
  const StreamState st = store->State();
  StreamSeq start = st.first_seq == 0 ? 1 : st.first_seq;
  switch (config_.deliver_policy) {
    case api::DeliverPolicy::kAll:
      break;
    case api::DeliverPolicy::kLast: {
      StoredMessage m;
      StreamSeq last = 0;
      if (filters_.empty()) {
        last = st.last_seq;
      } else {
        for (const auto& f : filters_) {
          if (store->LoadLast(f, &m).ok()) last = std::max(last, m.seq);
        }
      }
      start = last == 0 ? st.last_seq + 1 : last;
      break;
    }
    case api::DeliverPolicy::kNew:
      start = st.last_seq + 1;
      break;
    case api::DeliverPolicy::kByStartSequence:
      start = config_.opt_start_seq.value;
      break;
    case api::DeliverPolicy::kByStartTime:
      start = config_.opt_start_time.has_value()
                  ? store->SeqAtOrAfterTime(absl::ToUnixNanos(*config_.opt_start_time))
                  : start;
      break;
    case api::DeliverPolicy::kLastPerSubject: {
      std::vector<StreamSeq> seqs;
      std::vector<std::string> filters = filters_.empty() ? std::vector<std::string>{">"} : filters_;
      for (const auto& f : filters) {
        for (const auto& [subj, ss] : store->Subjects(f)) seqs.push_back(ss.last_seq);
      }
      std::sort(seqs.begin(), seqs.end());
      seqs.erase(std::unique(seqs.begin(), seqs.end()), seqs.end());
      last_per_subject_.assign(seqs.begin(), seqs.end());
      start = seqs.empty() ? st.last_seq + 1 : seqs.front();
      break;
    }
  }
  if (start == 0) start = 1;
  delivered_.stream_seq = start - 1;
  ack_floor_.stream_seq = start - 1;
  num_pending_valid_ = false;
}

bool Consumer::Matches(std::string_view subject) const {
  if (filters_.empty()) return true;
  for (const auto& f : filters_) {
    if (subjects::SubjectMatches(f, subject)) return true;
  }
  return false;
}

uint64_t Consumer::num_redelivered() const {
  uint64_t n = 0;
  for (const auto& [seq, count] : delivery_counts_) n += count > 1 ? 1 : 0;
  return n;
}

uint64_t Consumer::num_pending() {
  if (!num_pending_valid_) {
    StreamStore* store = stream_->store();
    if (!last_per_subject_.empty()) {
      num_pending_ = last_per_subject_.size() +
                     store->NumPending(filters_, last_per_subject_.back() + 1, false);
    } else {
      num_pending_ = store->NumPending(filters_, delivered_.stream_seq + 1, false);
    }
    num_pending_valid_ = true;
  }
  return num_pending_;
}

bool Consumer::push_bound() {
  return !is_pull() && stream_->engine()->HasInterest(config_.deliver_subject, config_.deliver_group);
}

void Consumer::Update(api::ConsumerConfig config) {
  config_ = std::move(config);
  filters_ = config_.Filters();
  sample_percent_ = advisory::ParseSampleFrequency(config_.sample_freq);
  num_pending_valid_ = false;
  MarkConfirmed();
  ArmHeartbeat();
  ArmInactivity();
}

void Consumer::OnStored(StreamSeq seq, std::string_view subject) {
  if (num_pending_valid_ && seq > delivered_.stream_seq && Matches(subject)) ++num_pending_;
}

void Consumer::OnRemoved() {
  num_pending_valid_ = false;
  // Pending acks for messages that are gone no longer wait.
  StreamStore* store = stream_->store();
  const StreamState st = store->State();
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->first < st.first_seq) {
      redeliver_.erase(it->first);
      delivery_counts_.erase(it->first);
      it = pending_.erase(it);
      dirty_ = true;
    } else {
      break;
    }
  }
  while (!last_per_subject_.empty() && last_per_subject_.front() < st.first_seq) {
    last_per_subject_.pop_front();
  }
  if (ack_floor_.stream_seq + 1 < st.first_seq && pending_.empty() &&
      delivered_.stream_seq + 1 < st.first_seq) {
    // Nothing of what lies below the stream's first message can be delivered.
    delivered_.stream_seq = st.first_seq - 1;
    ack_floor_.stream_seq = st.first_seq - 1;
    dirty_ = true;
  }
  UpdateAckFloor();
}

bool Consumer::NeedsSeq(StreamSeq seq, std::string_view subject) const {
  if (!Matches(subject)) return false;
  if (seq > delivered_.stream_seq) return true;
  return pending_.count(seq) > 0;
}

int64_t Consumer::AckWaitFor(uint64_t delivery_count) const {
  if (!config_.backoff.empty()) {
    size_t i = std::min<size_t>(delivery_count == 0 ? 0 : delivery_count - 1, config_.backoff.size() - 1);
    return config_.backoff[i].ns;
  }
  return config_.ack_wait.ns > 0 ? config_.ack_wait.ns : api::kDefaultAckWait.ns;
}

bool Consumer::NextMessage(StoredMessage* m, bool* redelivery) {
  StreamStore* store = stream_->store();
  while (!redeliver_.empty()) {
    StreamSeq seq = *redeliver_.begin();
    redeliver_.erase(redeliver_.begin());
    if (pending_.count(seq) == 0) continue;
    if (config_.max_deliver > 0) {
      // Delivered max_deliver times already (a NAK asked for more): it
      // leaves the pending list with the advisory, as nats-server does when
      // it would redeliver such a message.
      const uint64_t dc = DeliveryCount(seq);
      if (dc >= static_cast<uint64_t>(config_.max_deliver)) {
        DropMaxDelivered(seq, dc);
        UpdateAckFloor();
        continue;
      }
    }
    if (store->Load(seq, m).ok()) {
      *redelivery = true;
      return true;
    }
    pending_.erase(seq);
    delivery_counts_.erase(seq);
  }
  *redelivery = false;
  while (!last_per_subject_.empty()) {
    StreamSeq seq = last_per_subject_.front();
    if (store->Load(seq, m).ok()) return true;
    last_per_subject_.pop_front();
    num_pending_valid_ = false;
  }
  return store->LoadNext(filters_, delivered_.stream_seq + 1, m).ok();
}

void Consumer::Pause(int64_t until_ns) {
  Engine* engine = stream_->engine();
  engine->timers().Cancel(&pause_timer_);
  if (until_ns <= engine->now_ns()) {
    config_.pause_until.reset();
  } else {
    config_.pause_until = absl::FromUnixNanos(until_ns);
    pause_timer_ = engine->timers().At(until_ns, [this] {
      pause_timer_ = 0;
      config_.pause_until.reset();
      dirty_ = true;
      stream_->engine()->Kick(stream_);
    });
  }
  MarkConfirmed();
}

bool Consumer::paused() const {
  return config_.pause_until.has_value() &&
         absl::ToUnixNanos(*config_.pause_until) > stream_->engine()->now_ns();
}

bool Consumer::Run() {
  Engine* engine = stream_->engine();
  if (paused()) return true;
  if (is_pull()) {
    // Requests whose requester went away are dropped.
    if (waiting_.empty()) return true;
  } else {
    if (!fc_reply_.empty()) return true;  // stalled on flow control
    if (!engine->HasInterest(config_.deliver_subject, config_.deliver_group)) return true;
  }
  const bool acking = config_.ack_policy != api::AckPolicy::kNone;
  int budget = kRunBudget;
  for (; budget > 0; --budget) {
    if (engine->backlogged()) return false;
    if (is_pull() && waiting_.empty()) break;
    if (!is_pull() && !fc_reply_.empty()) break;
    if (acking && config_.max_ack_pending > 0 &&
        pending_.size() >= static_cast<uint64_t>(config_.max_ack_pending) && redeliver_.empty()) {
      break;
    }
    if (config_.rate_limit_bps > 0 && rate_next_ns_ > engine->now_ns()) {
      engine->timers().Cancel(&replay_timer_);
      replay_timer_ = engine->timers().At(rate_next_ns_, [this] {
        replay_timer_ = 0;
        stream_->engine()->Kick(stream_);
      });
      break;
    }
    StoredMessage m;
    bool redelivery = false;
    if (!NextMessage(&m, &redelivery)) break;
    if (!redelivery && config_.replay_policy == api::ReplayPolicy::kOriginal && replay_last_ts_ != 0) {
      const int64_t due = replay_last_wall_ + (m.ts_ns - replay_last_ts_);
      if (due > engine->now_ns()) {
        engine->timers().Cancel(&replay_timer_);
        replay_timer_ = engine->timers().At(due, [this] {
          replay_timer_ = 0;
          stream_->engine()->Kick(stream_);
        });
        break;
      }
    }
    if (is_pull()) {
      Waiting& w = waiting_.front();
      const uint64_t size = StoredSize(m.subject, m.headers, m.data);
      if (w.max_bytes > 0 && size > static_cast<uint64_t>(w.max_bytes)) {
        if (redelivery) redeliver_.insert(m.seq);
        SendStatus(w.reply, 409, "Message Size Exceeds MaxBytes");
        waiting_.pop_front();
        continue;
      }
      DeliverTo(m, redelivery, w.reply);
      ++w.delivered;
      w.batch -= 1;
      if (w.max_bytes > 0) w.max_bytes -= static_cast<int64_t>(size);
      if (w.batch <= 0 || (w.max_bytes_set && w.max_bytes <= 0)) {
        waiting_.pop_front();
        // One request's batch per turn when another waits: it leaves
        // before the next is read (engine README, "One turn").
        if (!waiting_.empty()) return false;
      }
    } else {
      DeliverTo(m, redelivery, config_.deliver_subject);
      if (config_.flow_control) {
        fc_bytes_ += StoredSize(m.subject, m.headers, m.data);
        if (fc_bytes_ >= kFlowControlBytes) {
          fc_bytes_ = 0;
          fc_reply_ = absl::StrCat("$JS.FC.", stream_->name(), ".", name(), ".", RandomToken(4));
          engine->Send(config_.deliver_subject, fc_reply_, StatusBlock(100, "FlowControl Request"), {});
        }
      }
    }
    if (config_.rate_limit_bps > 0) {
      // rate_limit_bps: the next delivery waits until this one's bits passed.
      const int64_t bits = static_cast<int64_t>(StoredSize(m.subject, m.headers, m.data)) * 8;
      rate_next_ns_ = std::max(rate_next_ns_, engine->now_ns()) +
                      bits * 1'000'000'000 / static_cast<int64_t>(config_.rate_limit_bps);
    }
    if (!redelivery && config_.replay_policy == api::ReplayPolicy::kOriginal) {
      replay_last_ts_ = m.ts_ns;
      replay_last_wall_ = engine->now_ns();
    }
  }
  // Out of budget (other consumers get their turn): more may be due, and
  // nothing else would come back for it (a push consumer without acks).
  if (budget == 0) return false;
  // no_wait requests that could not be filled end now.
  while (is_pull() && !waiting_.empty() && waiting_.front().no_wait) {
    Waiting& w = waiting_.front();
    // Partly filled or empty: "404 No Messages" (nats-server 2.9 said 408
    // for a partly filled one; clients end the batch on either).
    SendStatus(w.reply, 404, "No Messages");
    waiting_.pop_front();
  }
  return true;
}

void Consumer::DeliverTo(const StoredMessage& m, bool redelivery, std::string_view target) {
  Engine* engine = stream_->engine();
  const int64_t now = engine->now_ns();
  ++delivered_.consumer_seq;
  const bool acking = config_.ack_policy != api::AckPolicy::kNone;
  // delivery_counts_ holds redelivered messages only (a first delivery
  // costs no map node): absent means 1.
  uint64_t dc = 1;
  if (acking) {
    if (auto it = delivery_counts_.find(m.seq); it != delivery_counts_.end()) {
      dc = ++it->second;
    } else if (redelivery || pending_.count(m.seq) > 0) {
      dc = 2;
      delivery_counts_.emplace(m.seq, dc);
    }
  }
  if (!redelivery) {
    if (!last_per_subject_.empty() && last_per_subject_.front() == m.seq) {
      last_per_subject_.pop_front();
      if (num_pending_valid_ && num_pending_ > 0) --num_pending_;
      delivered_.stream_seq = std::max(delivered_.stream_seq, m.seq);
    } else {
      delivered_.stream_seq = m.seq;
      if (num_pending_valid_ && num_pending_ > 0) --num_pending_;
    }
  }
  if (config_.ack_policy == api::AckPolicy::kNone) {
    ack_floor_ = delivered_;
  } else {
    // A redelivery keeps the original delivery sequence (the ack floor
    // follows those, as nats-server's does).
    auto [it, fresh] = pending_.try_emplace(m.seq, Pending{delivered_.consumer_seq, now});
    if (!fresh) it->second.ts_ns = now;
    if (ack_timer_ == 0) ArmAckTimer();
  }
  dirty_ = true;
  last_delivery_ns_ = now;
  last_active_ns_ = now;
  const uint64_t pending = num_pending();
  reply_.clear();  // reused: no allocation per delivery
  absl::StrAppend(&reply_, "$JS.ACK.", stream_->name(), ".", name(), ".", dc, ".", m.seq, ".",
                  delivered_.consumer_seq, ".", m.ts_ns, ".", pending);
  if (config_.headers_only) {
    std::string size = absl::StrCat(m.data.size());
    std::string hdrs = AddHeaders(m.headers, {{"Nats-Msg-Size", size}});
    engine->Send(target, reply_, hdrs, {}, m.subject);
  } else {
    engine->Send(target, reply_, m.headers, m.data, m.subject);
  }
}

void Consumer::ArmAckTimer() {
  Engine* engine = stream_->engine();
  engine->timers().Cancel(&ack_timer_);
  int64_t earliest = INT64_MAX;
  for (const auto& [seq, p] : pending_) {
    if (redeliver_.count(seq) > 0) continue;
    auto it = delivery_counts_.find(seq);
    uint64_t dc = it == delivery_counts_.end() ? 1 : it->second;
    earliest = std::min(earliest, p.ts_ns + AckWaitFor(dc));
  }
  if (earliest == INT64_MAX) return;
  ack_timer_ = engine->timers().At(earliest, [this] {
    ack_timer_ = 0;
    OnAckTimer();
  });
}

void Consumer::OnAckTimer() {
  const int64_t now = stream_->engine()->now_ns();
  bool any = false;
  for (const auto& [seq, p] : pending_) {
    auto it = delivery_counts_.find(seq);
    uint64_t dc = it == delivery_counts_.end() ? 1 : it->second;
    if (config_.max_deliver > 0 && dc >= static_cast<uint64_t>(config_.max_deliver)) continue;
    if (p.ts_ns + AckWaitFor(dc) <= now && redeliver_.insert(seq).second) any = true;
  }
  // Past max_deliver and its last ack wait: no longer pending (the
  // redelivery count stays, as nats-server keeps it).
  if (config_.max_deliver > 0) {
    for (auto it = pending_.begin(); it != pending_.end();) {
      auto dc = delivery_counts_.find(it->first);
      const uint64_t n = dc == delivery_counts_.end() ? 1 : dc->second;
      if (n >= static_cast<uint64_t>(config_.max_deliver) && it->second.ts_ns + AckWaitFor(n) <= now) {
        const StreamSeq seq = it->first;
        ++it;
        DropMaxDelivered(seq, n);
      } else {
        ++it;
      }
    }
    UpdateAckFloor();
  }
  ArmAckTimer();
  if (any) stream_->engine()->Kick(stream_);
}

uint64_t Consumer::DeliveryCount(StreamSeq seq) const {
  auto it = delivery_counts_.find(seq);
  return it == delivery_counts_.end() ? 1 : it->second;
}

void Consumer::DropMaxDelivered(StreamSeq seq, uint64_t deliveries) {
  pending_.erase(seq);
  redeliver_.erase(seq);
  dirty_ = true;
  advisory::Delivery d;
  d.stream = stream_->name();
  d.consumer = name();
  d.stream_seq = seq;
  d.deliveries = deliveries;
  advisory::PublishMaxDeliveries(stream_->engine(), d);
}

void Consumer::UpdateAckFloor() {
  // Messages gone from the stream while pending: with nothing left pending
  // the floor is what was delivered.
  if (config_.ack_policy != api::AckPolicy::kNone && pending_.empty() && last_per_subject_.empty()) {
    ack_floor_ = delivered_;
  }
}

void Consumer::Acked(StreamSeq sseq) {
  pending_.erase(sseq);
  redeliver_.erase(sseq);
  delivery_counts_.erase(sseq);
  dirty_ = true;
  stream_->OnAcked(sseq);
}

// nats-server's ack floor rules: ack-all moves the floor to the acked
// message; an explicit ack moves it only when it acknowledges the delivery
// right after the floor, then up to just below the next pending message.
void Consumer::AckOne(StreamSeq sseq, uint64_t dseq) {
  if (config_.ack_policy == api::AckPolicy::kAll) {
    if (dseq <= ack_floor_.consumer_seq) return;
    std::vector<StreamSeq> done;
    for (const auto& [seq, p] : pending_) {
      if (seq > sseq) break;
      done.push_back(seq);
    }
    for (StreamSeq s : done) Acked(s);
    ack_floor_ = SequencePair{dseq, sseq};
    return;
  }
  auto it = pending_.find(sseq);
  if (it == pending_.end()) return;  // already acked (or gone)
  dseq = it->second.cseq;
  Acked(sseq);
  if (pending_.empty()) {
    ack_floor_ = delivered_;
  } else if (dseq == ack_floor_.consumer_seq + 1) {
    ack_floor_ = SequencePair{dseq, sseq};
    auto next = pending_.upper_bound(sseq);
    if (next != pending_.end()) {
      ack_floor_ = SequencePair{next->second.cseq - 1, next->first - 1};
    }
  }
}

void Consumer::OnAck(StreamSeq sseq, uint64_t cseq, uint64_t delivery_count,
                     std::string_view payload, std::string_view reply) {
  Engine* engine = stream_->engine();
  last_active_ns_ = engine->now_ns();
  const api::AckPayload ack = api::ParseAckPayload(absl::string_view(payload.data(), payload.size()));
  const api::AckKind kind = ack.kind;
  advisory::Delivery d;  // the ack subject's numbers, as nats-server reports them
  d.stream = stream_->name();
  d.consumer = name();
  d.consumer_seq = cseq;
  d.stream_seq = sseq;
  d.deliveries = delivery_count;
  switch (kind) {
    case api::AckKind::kAck:
    case api::AckKind::kNext:
      if (config_.ack_policy == api::AckPolicy::kExplicit &&
          advisory::ShouldSample(sample_percent_)) {
        // Ack latency since the (last) delivery of a message still pending.
        if (auto it = pending_.find(sseq); it != pending_.end()) {
          advisory::PublishAckMetric(engine, d, engine->now_ns() - it->second.ts_ns);
        }
      }
      AckOne(sseq, cseq);
      break;
    case api::AckKind::kTerm:
      AckOne(sseq, cseq);
      advisory::PublishTerminated(engine, d, ack.term_reason);
      break;
    case api::AckKind::kNak:
      // nats-server announces a NAK of a delivery above the ack floor that
      // is still pending (or of any delivery when nothing is pending).
      if (cseq > ack_floor_.consumer_seq && cseq <= delivered_.consumer_seq &&
          (pending_.empty() || pending_.count(sseq) > 0)) {
        advisory::PublishNak(engine, d);
      }
      if (pending_.count(sseq) > 0) {
        if (ack.nak_delay.has_value() && ack.nak_delay->ns > 0) {
          pending_[sseq].ts_ns = engine->now_ns() + ack.nak_delay->ns - AckWaitFor(delivery_count);
          ArmAckTimer();
        } else {
          redeliver_.insert(sseq);
        }
      }
      break;
    case api::AckKind::kProgress:
      if (auto it = pending_.find(sseq); it != pending_.end()) {
        it->second.ts_ns = engine->now_ns();
        ArmAckTimer();
      }
      break;
    case api::AckKind::kUnknown:
      break;
  }
  if (kind == api::AckKind::kNext && !reply.empty()) {
    auto next = api::ParsePullRequest(ack.next_request);
    if (next.ok()) OnPullRequest(reply, *next);
  } else if (!reply.empty()) {
    // AckSync: the ack was processed, and is written before this answer
    // leaves (the turn commits first).
    MarkConfirmed();
    engine->Send(reply, {}, {}, {});
  }
  engine->Kick(stream_);
}

void Consumer::OnFlowControlReply(std::string_view subject) {
  if (subject == fc_reply_) {
    fc_reply_.clear();
    stream_->engine()->Kick(stream_);
  }
}

void Consumer::OnPullRequest(std::string_view reply, const api::PullRequest& request) {
  Engine* engine = stream_->engine();
  const int64_t now = engine->now_ns();
  last_active_ns_ = now;
  if (!is_pull()) return SendStatus(reply, 409, "Consumer is push based");
  if (config_.max_batch > 0 && request.batch > config_.max_batch) {
    return SendStatus(reply, 409, absl::StrCat("Exceeded MaxRequestBatch of ", config_.max_batch));
  }
  if (config_.max_expires.ns > 0 && request.expires.ns > config_.max_expires.ns) {
    return SendStatus(reply, 409, absl::StrCat("Exceeded MaxRequestExpires of ",
                                               json::FormatGoDuration(config_.max_expires.ns)));
  }
  if (config_.max_bytes > 0 && request.max_bytes > config_.max_bytes) {
    return SendStatus(reply, 409, absl::StrCat("Exceeded MaxRequestMaxBytes of ", config_.max_bytes));
  }
  if (config_.max_waiting > 0 && waiting_.size() >= static_cast<uint64_t>(config_.max_waiting)) {
    return SendStatus(reply, 409, "Exceeded MaxWaiting");
  }
  Waiting w;
  w.reply = std::string(reply);
  w.batch = request.batch > 0 ? request.batch : 1;
  w.max_bytes = request.max_bytes;
  w.max_bytes_set = request.max_bytes > 0;
  w.expires_ns = request.expires.ns > 0 ? now + request.expires.ns : 0;
  w.heartbeat_ns = request.idle_heartbeat.ns;
  // no_wait (with or without expires, as clients' Fetch sends it): the
  // request ends as soon as nothing more is available.
  w.no_wait = request.no_wait;
  if (w.heartbeat_ns > 0) w.hb_due_ns = now + w.heartbeat_ns;
  waiting_.push_back(std::move(w));
  ArmPullTimer();
  engine->Kick(stream_);
}

void Consumer::ArmPullTimer() {
  Engine* engine = stream_->engine();
  engine->timers().Cancel(&pull_timer_);
  int64_t earliest = INT64_MAX;
  for (const Waiting& w : waiting_) {
    if (w.expires_ns > 0) earliest = std::min(earliest, w.expires_ns);
    if (w.hb_due_ns > 0) earliest = std::min(earliest, w.hb_due_ns);
  }
  if (earliest == INT64_MAX) return;
  pull_timer_ = engine->timers().At(earliest, [this] {
    pull_timer_ = 0;
    OnPullTimer();
  });
}

void Consumer::OnPullTimer() {
  Engine* engine = stream_->engine();
  const int64_t now = engine->now_ns();
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (it->expires_ns > 0 && it->expires_ns <= now) {
      SendStatus(it->reply, 408, "Request Timeout", &*it);
      it = waiting_.erase(it);
      continue;
    }
    if (it->hb_due_ns > 0 && it->hb_due_ns <= now) {
      std::string lc = absl::StrCat(delivered_.consumer_seq), ls = absl::StrCat(delivered_.stream_seq);
      engine->Send(it->reply, {},
                   StatusBlock(100, "Idle Heartbeat", {{"Nats-Last-Consumer", lc}, {"Nats-Last-Stream", ls}}),
                   {});
      it->hb_due_ns = now + it->heartbeat_ns;
    }
    ++it;
  }
  ArmPullTimer();
}

void Consumer::ArmHeartbeat() {
  Engine* engine = stream_->engine();
  engine->timers().Cancel(&hb_timer_);
  if (is_pull() || config_.idle_heartbeat.ns <= 0) return;
  hb_timer_ = engine->timers().At(engine->now_ns() + config_.idle_heartbeat.ns, [this] {
    hb_timer_ = 0;
    OnHeartbeat();
  });
}

void Consumer::OnHeartbeat() {
  Engine* engine = stream_->engine();
  if (engine->now_ns() - last_delivery_ns_ >= config_.idle_heartbeat.ns &&
      engine->HasInterest(config_.deliver_subject, config_.deliver_group)) {
    std::string lc = absl::StrCat(delivered_.consumer_seq), ls = absl::StrCat(delivered_.stream_seq);
    std::vector<std::pair<std::string_view, std::string_view>> h = {{"Nats-Last-Consumer", lc},
                                                                    {"Nats-Last-Stream", ls}};
    if (!fc_reply_.empty()) h.emplace_back("Nats-Consumer-Stalled", fc_reply_);
    engine->Send(config_.deliver_subject, {}, StatusBlock(100, "Idle Heartbeat", h), {});
  }
  ArmHeartbeat();
}

void Consumer::ArmInactivity() {
  Engine* engine = stream_->engine();
  engine->timers().Cancel(&inactive_timer_);
  int64_t threshold = config_.inactive_threshold.ns;
  if (threshold <= 0) return;
  inactive_timer_ = engine->timers().At(engine->now_ns() + threshold, [this] {
    inactive_timer_ = 0;
    Engine* e = stream_->engine();
    const int64_t now = e->now_ns();
    bool active;
    if (is_pull()) {
      active = !waiting_.empty() || now - last_active_ns_ < config_.inactive_threshold.ns;
    } else {
      active = e->HasInterest(config_.deliver_subject, config_.deliver_group);
    }
    if (!active) {
      MLOG_DEBUG("consumer ", name(), " of ", stream_->name(), " inactive: removed");
      stream_->RemoveConsumer(name());  // destroys this
      return;
    }
    ArmInactivity();
  });
}

void Consumer::SendStatus(std::string_view to, int code, std::string_view text,
                          const Waiting* request) {
  if (to.empty()) return;
  if (request != nullptr) {
    std::string msgs = absl::StrCat(request->batch),
                bytes = absl::StrCat(request->max_bytes_set ? request->max_bytes : 0);
    stream_->engine()->Send(
        to, {}, StatusBlock(code, text, {{"Nats-Pending-Messages", msgs}, {"Nats-Pending-Bytes", bytes}}),
        {});
  } else {
    stream_->engine()->Send(to, {}, StatusBlock(code, text), {});
  }
}

void Consumer::Shutdown() {
  for (const Waiting& w : waiting_) SendStatus(w.reply, 409, "Consumer Deleted");
  waiting_.clear();
}

std::string Consumer::Serialize() {
  dirty_ = false;
  persist_now_ = false;
  persisted_ns_ = stream_->engine()->now_ns();
  std::string out;
  json::Writer w(&out);
  w.BeginObject().Key("config").Raw(api::ConsumerConfigToJson(config_));
  w.Member("created", json::FormatRfc3339Nano(absl::FromUnixNanos(created_ns_)));
  w.Key("delivered").BeginArray().Uint(delivered_.consumer_seq).Uint(delivered_.stream_seq).EndArray();
  w.Key("ack_floor").BeginArray().Uint(ack_floor_.consumer_seq).Uint(ack_floor_.stream_seq).EndArray();
  w.Key("pending").BeginArray();
  for (const auto& [seq, p] : pending_) {
    auto it = delivery_counts_.find(seq);
    w.BeginArray().Uint(seq).Uint(p.cseq).Int(p.ts_ns).Uint(it == delivery_counts_.end() ? 1 : it->second).EndArray();
  }
  w.EndArray();
  w.Key("lps").BeginArray();
  for (StreamSeq s : last_per_subject_) w.Uint(s);
  w.EndArray();
  w.EndObject();
  return out;
}

absl::StatusOr<std::unique_ptr<Consumer>> Consumer::Load(Stream* stream, std::string_view blob) {
  auto v = json::Parse(absl::string_view(blob.data(), blob.size()));
  if (!v.ok()) return absl::DataLossError(absl::StrCat("consumer state: ", v.status().message()));
  const json::Value* cfg = v->Find("config");
  if (cfg == nullptr) return absl::DataLossError("consumer state lacks its config");
  auto config = api::ParseConsumerConfig(*cfg);
  if (!config.ok()) return absl::DataLossError(config.error().description);
  int64_t created = stream->engine()->now_ns();
  if (const json::Value* c = v->Find("created"); c != nullptr && c->AsString() != nullptr) {
    if (auto t = json::ParseRfc3339(*c->AsString()); t.ok()) created = absl::ToUnixNanos(*t);
  }
  std::unique_ptr<Consumer> c(new Consumer(stream, std::move(*config), created));
  auto pair = [](const json::Value* a, SequencePair* out) {
    if (a == nullptr || a->size() != 2) return;
    out->consumer_seq = a->At(0)->AsUint64().value_or(0);
    out->stream_seq = a->At(1)->AsUint64().value_or(0);
  };
  pair(v->Find("delivered"), &c->delivered_);
  pair(v->Find("ack_floor"), &c->ack_floor_);
  if (const json::Value* p = v->Find("pending"); p != nullptr && p->AsArray() != nullptr) {
    for (const json::Value& e : *p->AsArray()) {
      if (e.size() != 4) continue;
      StreamSeq seq = e.At(0)->AsUint64().value_or(0);
      c->pending_[seq] = Pending{e.At(1)->AsUint64().value_or(0), e.At(2)->AsInt64().value_or(0)};
      c->delivery_counts_[seq] = e.At(3)->AsUint64().value_or(1);
    }
  }
  if (const json::Value* l = v->Find("lps"); l != nullptr && l->AsArray() != nullptr) {
    for (const json::Value& e : *l->AsArray()) c->last_per_subject_.push_back(e.AsUint64().value_or(0));
  }
  c->ArmAckTimer();
  c->ArmHeartbeat();
  c->ArmInactivity();
  if (c->config_.pause_until.has_value()) c->Pause(absl::ToUnixNanos(*c->config_.pause_until));
  return c;
}

}  // namespace meridian::jetstream
