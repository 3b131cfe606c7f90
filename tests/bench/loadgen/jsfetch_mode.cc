// jsfetch: fills the BENCH stream with --msgs messages (acknowledged
// publishes, not timed), creates the durable pull consumer C (ack policy
// explicit, or none with --ack=none) and times consuming all of them with
// pull requests {"batch":B,"expires":E} to $JS.API.CONSUMER.MSG.NEXT.BENCH.C,
// --pulls of them in flight (as nats.go's Fetch/Consume keep a batch or two
// requested). Each message is acked with an empty PUB to its reply subject.
//
// Each pull slot k has its own reply subject "<inbox>_p<k>" and sid, so a
// delivery tells which request it belongs to; a slot re-requests when its
// batch is complete or the server ends the request with a status (408 on
// expiry). Every delivery must be a first delivery of a new stream sequence.
// With explicit acks the clock stops when the consumer reports all acked
// (num_ack_pending 0, ack floor = last sequence); with none at the last
// message.
#include <algorithm>
#include <thread>

#include "tests/bench/loadgen/js_session.h"
#include "tests/bench/loadgen/js_streams.h"
#include "tests/bench/loadgen/modes.h"
#include "tests/bench/loadgen/report.h"

namespace meridian::loadgen {
namespace {

constexpr int kFirstPullSid = 10;

struct PullSlot {
  std::string reply;
  uint64_t asked = 0;     // batch of the live request; 0 = no live request
  uint64_t received = 0;  // deliveries for it so far
};

class Puller {
 public:
  Puller(JsSession& session, const Options& o, bool explicit_ack)
      : session_(session), o_(o), explicit_ack_(explicit_ack), seen_(o.msgs + 1, 0) {
    for (int k = 0; k < o.pulls; ++k) slots_.push_back(PullSlot{session.inbox() + "_p" + std::to_string(k), 0, 0});
  }

  [[nodiscard]] absl::Status Subscribe(Deadline deadline) {
    std::string subs;
    for (size_t k = 0; k < slots_.size(); ++k) {
      subs += "SUB " + slots_[k].reply + " " + std::to_string(kFirstPullSid + k) + "\r\n";
    }
    if (absl::Status st = session_.conn().WriteAll(subs, deadline); !st.ok()) return st;
    return session_.conn().Flush(deadline);
  }

  // Pulls until all --msgs messages arrived (their acks written).
  [[nodiscard]] absl::Status Run(Deadline deadline) {
    session_.set_handler([this](const Frame& f) { OnFrame(f); });
    absl::Status st;
    std::string out;
    while (st.ok() && failure_.ok() && received_ < o_.msgs) {
      RequestMore();
      out.swap(out_);  // the handler may append acks while we write
      out_.clear();
      if (!out.empty()) {
        st = session_.conn().WriteAll(out, deadline);
      } else {
        st = session_.conn().Poll(100, deadline);
      }
      if (st.ok() && received_ < o_.msgs && Clock::now() >= deadline) {
        st = absl::DeadlineExceededError(std::to_string(received_) + " of " + std::to_string(o_.msgs) +
                                         " messages received before the deadline");
      }
    }
    if (st.ok() && failure_.ok() && !out_.empty()) st = session_.conn().WriteAll(out_, deadline);  // the last acks
    out_.clear();
    session_.set_handler(nullptr);
    return failure_.ok() ? st : failure_;
  }

  uint64_t received() const { return received_; }
  uint64_t requests() const { return requests_; }
  uint64_t expired() const { return expired_; }
  Clock::time_point last_message() const { return last_message_; }

 private:
  void RequestMore() {
    for (PullSlot& slot : slots_) {
      if (slot.asked != 0) continue;
      const uint64_t wanted = o_.msgs - received_ - outstanding_;
      if (wanted == 0) return;
      slot.asked = std::min<uint64_t>(o_.pull_batch, wanted);
      slot.received = 0;
      outstanding_ += slot.asked;
      ++requests_;
      const std::string body = "{\"batch\":" + std::to_string(slot.asked) +
                               ",\"expires\":" + std::to_string(static_cast<uint64_t>(o_.expires_s * 1e9)) + "}";
      AppendPub("$JS.API.CONSUMER.MSG.NEXT.BENCH.C", slot.reply, body, &out_);
    }
  }

  void EndRequest(PullSlot& slot) {
    outstanding_ -= slot.asked - slot.received;
    slot.asked = 0;
  }

  void OnFrame(const Frame& f) {
    if (!failure_.ok()) return;
    int64_t sid = -1;
    for (char c : f.sid) sid = (sid < 0 ? 0 : sid * 10) + (c - '0');
    const int64_t k = sid - kFirstPullSid;
    if (k < 0 || k >= static_cast<int64_t>(slots_.size())) {
      failure_ = absl::InternalError("unexpected message on " + std::string(f.subject));
      return;
    }
    PullSlot& slot = slots_[static_cast<size_t>(k)];
    const std::string_view headers = f.data.substr(0, f.header_bytes);
    if (const int status = HeaderStatus(headers); status != 0) {
      if (status == 100) return;  // idle heartbeat (not asked for)
      if (status == 408 || status == 404) {
        if (status == 408) ++expired_;
        if (slot.asked != 0) EndRequest(slot);
        return;
      }
      failure_ = absl::FailedPreconditionError("pull request ended with status " +
                                               std::string(headers.substr(0, headers.find('\r'))));
      return;
    }
    uint64_t delivered = 0;
    uint64_t seq = 0;
    if (!ParseAckSubject(f.reply, &delivered, &seq)) {
      failure_ = absl::InternalError("delivery on " + std::string(f.subject) + " without an ack subject (reply '" +
                                     std::string(f.reply) + "')");
      return;
    }
    if (delivered != 1 || seq == 0 || seq > o_.msgs || seen_[seq] != 0) {
      failure_ = absl::InternalError("delivery of stream sequence " + std::to_string(seq) + " (delivery count " +
                                     std::to_string(delivered) + "): not a first delivery of a new message");
      return;
    }
    if (f.data.size() - f.header_bytes != o_.size) {
      failure_ = absl::InternalError("delivery of " + std::to_string(f.data.size() - f.header_bytes) +
                                     " bytes, published " + std::to_string(o_.size));
      return;
    }
    seen_[seq] = 1;
    ++received_;
    last_message_ = Clock::now();
    if (explicit_ack_) {
      out_ += "PUB ";
      out_.append(f.reply);
      out_ += " 0\r\n\r\n";
    }
    if (slot.asked == 0) return;  // a late delivery for an ended request
    ++slot.received;
    --outstanding_;
    if (slot.received == slot.asked) slot.asked = 0;
  }

  JsSession& session_;
  const Options& o_;
  const bool explicit_ack_;
  std::vector<PullSlot> slots_;
  std::vector<uint8_t> seen_;
  std::string out_;           // acks and pull requests to write
  uint64_t outstanding_ = 0;  // messages asked for by live requests and not yet received
  uint64_t received_ = 0;
  uint64_t requests_ = 0;
  uint64_t expired_ = 0;
  absl::Status failure_;
  Clock::time_point last_message_;
};

// Polls $JS.API.CONSUMER.INFO.BENCH.C until every message is acked.
absl::Status WaitAllAcked(JsSession& s, uint64_t last_seq, Deadline deadline) {
  std::string info;
  while (Clock::now() < deadline) {
    absl::StatusOr<std::string> r = s.ApiRequest("$JS.API.CONSUMER.INFO.BENCH.C", "", deadline);
    if (!r.ok()) return r.status();
    info = *r;
    int64_t ack_pending = -1;
    int64_t floor = -1;
    const size_t ack_floor = r->find("\"ack_floor\"");
    if (JsonInt(*r, "num_ack_pending", &ack_pending) && ack_floor != std::string::npos &&
        JsonInt(*r, "stream_seq", &floor, ack_floor) && ack_pending == 0 && floor == static_cast<int64_t>(last_seq)) {
      return absl::OkStatus();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return absl::DeadlineExceededError("the consumer did not report all acked before the deadline; last info: " +
                                     info.substr(0, 400));
}

}  // namespace

int RunJsFetch(const Options& o) {
  const Deadline deadline = DeadlineAfter(o.timeout_s);
  const bool explicit_ack = o.ack == "explicit";
  Report report;
  report.Add("mode", "jsfetch")
      .Add("size", static_cast<uint64_t>(o.size))
      .Add("msgs", o.msgs)
      .Add("ack", o.ack)
      .Add("pull_batch", o.pull_batch)
      .Add("pulls", o.pulls);
  if (o.ack != "explicit" && o.ack != "none")
    return report.Finish(absl::InvalidArgumentError("--ack: explicit or none"));
  absl::StatusOr<std::unique_ptr<JsSession>> session = OpenJsSession(o.pub_url, deadline);
  if (!session.ok()) return report.Finish(session.status());
  JsSession& s = **session;
  absl::Status st = CreateBenchStream(s, deadline);
  if (!st.ok()) return report.Finish(absl::Status(st.code(), "create stream BENCH: " + std::string(st.message())));

  WindowResult fill;
  st = PublishWithAcks(s, {std::string(kBenchSubject)}, {Payload("", o.size)}, o.msgs, kAsyncPublishWindow,
                       o.batch_bytes, deadline, &fill);
  if (!st.ok()) return report.Finish(absl::Status(st.code(), "fill: " + std::string(st.message())));
  report.Add("fill_rate", fill.secs > 0 ? static_cast<double>(fill.answered) / fill.secs : 0.0, 0);

  // The durable pull consumer, with the server's defaults otherwise
  // (max_ack_pending 1000 with explicit acks, ack_wait 30 s, max_waiting 512).
  const std::string config = std::string(R"({"stream_name":"BENCH","config":{"durable_name":"C",)") +
                             R"("deliver_policy":"all","ack_policy":")" + o.ack + R"(","replay_policy":"instant"}})";
  absl::StatusOr<std::string> created = s.ApiRequest("$JS.API.CONSUMER.CREATE.BENCH.C", config, deadline);
  if (!created.ok()) return report.Finish(created.status());

  Puller puller(s, o, explicit_ack);
  st = puller.Subscribe(deadline);
  Note("jsfetch: stream filled, consuming");  // profiling scripts start here
  const Clock::time_point t0 = Clock::now();
  if (st.ok()) st = puller.Run(deadline);
  Clock::time_point end = puller.last_message();
  if (st.ok() && explicit_ack) {
    st = WaitAllAcked(s, o.msgs, deadline);
    end = Clock::now();
  }
  const double secs = puller.received() > 0 ? Seconds(t0, end) : 0;
  report.Add("done", puller.received())
      .Add("elapsed_ms", secs * 1e3, 1)
      .Add("consume_rate", secs > 0 ? static_cast<double>(puller.received()) / secs : 0.0, 0)
      .Add("pull_requests", puller.requests())
      .Add("expired", puller.expired())
      .AddCpuUsage(secs);
  Note("jsfetch: " + std::to_string(puller.received()) + " messages consumed (ack " + o.ack + ") in " +
       std::to_string(secs) + " s, " + std::to_string(puller.requests()) + " pull requests");
  return report.Finish(st);
}

}  // namespace meridian::loadgen
