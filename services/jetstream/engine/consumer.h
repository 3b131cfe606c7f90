// A consumer at run time: where it is in the stream (delivered, ack floor),
// what is waiting for an ack, what must be redelivered, the pull requests
// waiting (pull) or the deliver subject (push), and the timers of all that.
//
// Delivered messages keep the stream subject for the client (deliver_as)
// while routed on the deliver subject / pull request inbox; their reply is
// the v1 ack subject $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>.
//
// Thread: the engine thread.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "services/jetstream/api/consumer_config.h"
#include "services/jetstream/api/requests.h"
#include "services/jetstream/engine/timers.h"
#include "services/jetstream/store/store.h"

namespace meridian::jetstream {

class Stream;

struct SequencePair {
  uint64_t consumer_seq = 0;
  StreamSeq stream_seq = 0;
};

class Consumer {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Consumer>> Create(Stream* stream,
                                                                        api::ConsumerConfig config);
  // From the blob Serialize() wrote.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Consumer>> Load(Stream* stream,
                                                                      std::string_view blob);
  ~Consumer();

  const std::string& name() const { return config_.name; }
  const api::ConsumerConfig& config() const { return config_; }
  int64_t created_ns() const { return created_ns_; }
  bool is_pull() const { return config_.deliver_subject.empty(); }
  bool ephemeral() const { return config_.durable_name.empty(); }

  // Info (ConsumerInfo fields).
  SequencePair delivered() const { return delivered_; }
  SequencePair ack_floor() const { return ack_floor_; }
  uint64_t num_ack_pending() const { return pending_.size(); }
  uint64_t num_redelivered() const;
  uint64_t num_waiting() const { return waiting_.size(); }
  uint64_t num_pending();
  int64_t last_active_ns() const { return last_active_ns_; }
  bool push_bound();

  // A validated config change of editable fields.
  void Update(api::ConsumerConfig config);

  // Input.
  void OnPullRequest(std::string_view reply, const api::PullRequest& request);
  // `tokens`: the ack subject's tokens after "$JS.ACK.<stream>.<consumer>.".
  void OnAck(StreamSeq sseq, uint64_t cseq, uint64_t delivery_count, std::string_view payload,
             std::string_view reply);
  void OnFlowControlReply(std::string_view subject);
  // A message was stored in the stream.
  void OnStored(StreamSeq seq, std::string_view subject);
  // Messages were removed from the stream (limits, purge, delete).
  void OnRemoved();

  // Pauses deliveries until `until_ns` (0: resume now); kept in the config's
  // pause_until.
  void Pause(int64_t until_ns);
  bool paused() const;

  // Delivers what it may; returns false when it must run again (stopped by
  // a full outbound or by its budget per turn).
  bool Run();
  // The consumer goes away: waiting pull requests get 409 Consumer Deleted.
  void Shutdown();

  // State changed since it was last written. Writes are batched: what an
  // answer confirms (creation, update, pause, an acknowledged ack) is written
  // in the turn that answers; the rest (deliveries, plain acks) at most every
  // kPersistIntervalNs (README.md, "Durability").
  static constexpr int64_t kPersistIntervalNs = 20'000'000;
  bool dirty() const { return dirty_; }
  bool PersistDue(int64_t now_ns) const {
    return dirty_ && (persist_now_ || now_ns - persisted_ns_ >= kPersistIntervalNs);
  }
  // When a batched write falls due (dirty only).
  int64_t persist_due_ns() const { return persisted_ns_ + kPersistIntervalNs; }
  std::string Serialize();
  // Interest / workqueue retention: whether this consumer still needs `seq`.
  bool NeedsSeq(StreamSeq seq, std::string_view subject) const;
  bool Matches(std::string_view subject) const;

 private:
  Consumer(Stream* stream, api::ConsumerConfig config, int64_t created_ns);
  void InitStart();
  struct Waiting;
  struct Pending {
    uint64_t cseq;
    int64_t ts_ns;  // last delivery
  };
  struct Waiting {
    std::string reply;
    int64_t batch;
    int64_t max_bytes;
    int64_t expires_ns;  // absolute, 0 = none
    int64_t heartbeat_ns;
    bool no_wait;
    bool max_bytes_set = false;
    int64_t hb_due_ns = 0;
    int delivered = 0;
  };
  int64_t AckWaitFor(uint64_t delivery_count) const;
  bool NextMessage(StoredMessage* m, bool* redelivery);
  void DeliverTo(const StoredMessage& m, bool redelivery, std::string_view target);
  void ArmAckTimer();
  void OnAckTimer();
  void ArmPullTimer();
  void OnPullTimer();
  void ArmHeartbeat();
  void OnHeartbeat();
  void ArmInactivity();
  void Acked(StreamSeq sseq);
  void AckOne(StreamSeq sseq, uint64_t dseq);
  void UpdateAckFloor();
  uint64_t DeliveryCount(StreamSeq seq) const;
  // A message delivered max_deliver times leaves the pending list; the
  // MAX_DELIVERIES advisory says so.
  void DropMaxDelivered(StreamSeq seq, uint64_t deliveries);
  // A status message; with `request` it carries what the request had left
  // (Nats-Pending-Messages / -Bytes), which clients count down.
  void SendStatus(std::string_view to, int code, std::string_view text,
                  const Waiting* request = nullptr);
  void Touch();
  // Dirty, to be written before this turn's answers go out.
  void MarkConfirmed() {
    dirty_ = true;
    persist_now_ = true;
  }

  Stream* stream_;
  api::ConsumerConfig config_;
  std::vector<std::string> filters_;
  int sample_percent_ = 0;  // sample_freq: acks published as metrics, in percent
  int64_t created_ns_;
  int64_t last_active_ns_ = 0;

  SequencePair delivered_;
  SequencePair ack_floor_;
  std::map<StreamSeq, Pending> pending_;            // waiting for an ack
  std::map<StreamSeq, uint64_t> delivery_counts_;   // > 1 only (redelivered)
  std::set<StreamSeq> redeliver_;                   // due for redelivery
  std::map<int64_t, StreamSeq> nak_delayed_;        // -NAK with delay: due time -> seq
  std::deque<StreamSeq> last_per_subject_;          // initial set of last_per_subject
  std::deque<Waiting> waiting_;
  std::string reply_;  // DeliverTo's $JS.ACK subject, reused
  bool dirty_ = false;
  bool persist_now_ = false;   // write in this turn (an answer confirms the change)
  int64_t persisted_ns_ = 0;   // last write
  bool num_pending_valid_ = false;
  uint64_t num_pending_ = 0;

  // Push flow control.
  std::string fc_reply_;       // outstanding FlowControl request
  uint64_t fc_bytes_ = 0;      // delivered since the last request
  Timers::Id ack_timer_ = 0;
  Timers::Id pull_timer_ = 0;
  Timers::Id hb_timer_ = 0;
  Timers::Id inactive_timer_ = 0;
  Timers::Id replay_timer_ = 0;
  Timers::Id pause_timer_ = 0;
  int64_t replay_last_ts_ = 0;    // replay original: last message's store time
  int64_t replay_last_wall_ = 0;  // ... and when it was delivered
  int64_t rate_next_ns_ = 0;      // rate_limit_bps: earliest next delivery
  int64_t last_delivery_ns_ = 0;
};

}  // namespace meridian::jetstream
