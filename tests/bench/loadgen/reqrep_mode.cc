// reqrep: one responder connection echoes requests; one requester connection
// makes sequential round trips, each to a unique reply subject under one
// wildcard inbox. Both are driven from one thread (RoundTripper).
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <random>
#include <thread>

#include "tests/bench/loadgen/conn.h"
#include "tests/bench/loadgen/modes.h"
#include "tests/bench/loadgen/report.h"

namespace meridian::loadgen {
namespace {

// What the requester saw last: the token after the inbox prefix, and whether
// it was a no-responders status.
struct Reply {
  uint64_t token = 0;
  bool no_responders = false;
  uint64_t count = 0;
};

bool ParseToken(std::string_view subject, uint64_t* token) {
  size_t dot = subject.rfind('.');
  if (dot == std::string_view::npos || dot + 1 == subject.size()) return false;
  uint64_t v = 0;
  for (char c : subject.substr(dot + 1)) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *token = v;
  return true;
}

// Drives both connections from one thread: sends a request, then serves the
// responder and reads the requester until the matching reply arrives. One
// thread means no hand-off between loadgen threads inside a round trip; with
// `spin` it busy-polls instead of sleeping in poll(2), so only the server's
// own wake-ups remain in the measured latency.
class RoundTripper {
 public:
  RoundTripper(Conn* requester, Conn* responder, std::string* responder_out, Reply* reply, std::string inbox,
               const Options& o)
      : requester_(requester),
        responder_(responder),
        out_(responder_out),
        reply_(reply),
        inbox_(std::move(inbox)),
        subject_(o.subject),
        spin_(o.spin) {
    for (size_t i = 0; i < o.size; ++i) payload_.push_back(static_cast<char>('a' + i % 26));
  }

  // One round trip with a fresh token; *no_responders reports a 503 status.
  [[nodiscard]] absl::Status RoundTrip(Deadline deadline, bool* no_responders) {
    const uint64_t token = ++next_token_;
    frame_.clear();
    frame_ +=
        "PUB " + subject_ + " " + inbox_ + "." + std::to_string(token) + " " + std::to_string(payload_.size()) + "\r\n";
    frame_ += payload_;
    frame_ += "\r\n";
    if (absl::Status st = requester_->WriteAll(frame_, deadline); !st.ok()) return st;
    while (reply_->count == 0 || reply_->token != token) {
      bool served = false;
      bool got = false;
      if (absl::Status st = responder_->Poll(0, deadline, &served); !st.ok()) return st;
      if (!out_->empty()) {
        absl::Status st = responder_->WriteAll(*out_, deadline);
        out_->clear();
        if (!st.ok()) return st;
      }
      if (absl::Status st = requester_->Poll(0, deadline, &got); !st.ok()) return st;
      if (served || got) continue;
      if (Clock::now() >= deadline) return absl::DeadlineExceededError("no reply before the deadline");
      if (!spin_) {
        pollfd fds[2] = {{responder_->fd(), POLLIN, 0}, {requester_->fd(), POLLIN, 0}};
        ::poll(fds, 2, MillisLeft(deadline, 100));
      }
    }
    *no_responders = reply_->no_responders;
    return absl::OkStatus();
  }

 private:
  Conn* requester_;
  Conn* responder_;
  std::string* out_;
  Reply* reply_;
  std::string inbox_;
  std::string subject_;
  bool spin_;
  std::string payload_;
  std::string frame_;
  uint64_t next_token_ = 0;
};

double Percentile(const std::vector<uint64_t>& sorted_ns, double q) {
  if (sorted_ns.empty()) return 0;
  size_t i = std::min(sorted_ns.size() - 1, static_cast<size_t>(q * static_cast<double>(sorted_ns.size())));
  return static_cast<double>(sorted_ns[i]) / 1e3;
}

}  // namespace

int RunReqRep(const Options& o) {
  const Deadline deadline = DeadlineAfter(o.timeout_s);
  Report report;
  report.Add("mode", "reqrep")
      .Add("size", static_cast<uint64_t>(o.size))
      .Add("msgs", o.msgs)
      .Add("spin", o.spin ? 1 : 0);
  if (o.pub_url.find(',') != std::string::npos || o.sub_url.find(',') != std::string::npos) {
    return report.Finish(absl::InvalidArgumentError("reqrep takes one --pub-url and one --sub-url, not lists"));
  }
  absl::StatusOr<Endpoint> pub_endpoint = ParseEndpoint(o.pub_url);
  if (!pub_endpoint.ok()) return report.Finish(pub_endpoint.status());
  absl::StatusOr<Endpoint> sub_endpoint = ParseEndpoint(o.sub_url);
  if (!sub_endpoint.ok()) return report.Finish(sub_endpoint.status());

  // Responder.
  std::string out;
  auto respond = [&out](const Frame& f) {
    if (f.reply.empty()) return;
    out += "PUB ";
    out.append(f.reply);
    out += " " + std::to_string(f.data.size() - f.header_bytes) + "\r\n";
    out.append(f.data.substr(f.header_bytes));
    out += "\r\n";
  };
  absl::StatusOr<std::unique_ptr<Conn>> responder = Conn::Dial(*sub_endpoint, deadline, respond);
  if (!responder.ok()) return report.Finish(responder.status());
  absl::Status st = (*responder)->WriteAll("SUB " + o.subject + " 1\r\n", deadline);
  if (st.ok()) st = (*responder)->Flush(deadline);
  if (!st.ok()) return report.Finish(st);

  // Requester with one wildcard inbox.
  std::mt19937_64 rng(std::random_device{}());
  const std::string inbox = "_INBOX.lg" + std::to_string(::getpid()) + "x" + std::to_string(rng() % 1000000007);
  Reply reply;
  auto on_reply = [&reply](const Frame& f) {
    uint64_t token = 0;
    if (!ParseToken(f.subject, &token)) return;
    reply.token = token;
    ++reply.count;
    // A status-only HMSG (no payload) "NATS/1.0 503" means no responders.
    reply.no_responders =
        f.op == Op::kHmsg && f.header_bytes == f.data.size() && f.data.substr(0, 12) == "NATS/1.0 503";
  };
  absl::StatusOr<std::unique_ptr<Conn>> requester = Conn::Dial(*pub_endpoint, deadline, on_reply);
  if (!requester.ok()) return report.Finish(requester.status());
  st = (*requester)->WriteAll("SUB " + inbox + ".* 1\r\n", deadline);
  if (st.ok()) st = (*requester)->Flush(deadline);
  if (!st.ok()) return report.Finish(st);

  RoundTripper req(requester->get(), responder->get(), &out, &reply, inbox, o);
  // Settle: until the responder's interest reached the requester's server.
  bool no_responders = true;
  // Each try waits at most 500 ms (a server may drop a request it cannot
  // route yet); late replies carry an old token and are ignored.
  while (st.ok() && no_responders) {
    st = req.RoundTrip(std::min(deadline, DeadlineAfter(0.5)), &no_responders);
    if (absl::IsDeadlineExceeded(st) && Clock::now() < deadline) {
      st = absl::OkStatus();
      no_responders = true;
    }
    if (st.ok() && no_responders) {
      if (Clock::now() >= deadline) st = absl::DeadlineExceededError("responder never became reachable");
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  for (uint64_t i = 0; st.ok() && i < o.warmup; ++i) st = req.RoundTrip(deadline, &no_responders);

  std::vector<uint64_t> lat_ns;
  lat_ns.reserve(o.msgs);
  const Clock::time_point t0 = Clock::now();
  for (uint64_t i = 0; st.ok() && i < o.msgs; ++i) {
    const Clock::time_point a = Clock::now();
    st = req.RoundTrip(deadline, &no_responders);
    if (st.ok() && no_responders) st = absl::UnavailableError("no responders during the measured run");
    if (st.ok()) lat_ns.push_back(static_cast<uint64_t>((Clock::now() - a).count()));
  }
  const double secs = Seconds(t0, Clock::now());

  std::vector<uint64_t> sorted = lat_ns;
  std::sort(sorted.begin(), sorted.end());
  double sum = 0;
  for (uint64_t v : sorted) sum += static_cast<double>(v);
  const double rate = secs > 0 ? static_cast<double>(sorted.size()) / secs : 0;
  report.Add("done", static_cast<uint64_t>(sorted.size()))
      .Add("elapsed_ms", secs * 1e3, 1)
      .Add("req_rate", rate, 0)
      .Add("mean_us", sorted.empty() ? 0.0 : sum / static_cast<double>(sorted.size()) / 1e3, 1)
      .Add("p50_us", Percentile(sorted, 0.50), 1)
      .Add("p90_us", Percentile(sorted, 0.90), 1)
      .Add("p99_us", Percentile(sorted, 0.99), 1)
      .Add("p999_us", Percentile(sorted, 0.999), 1)
      .Add("max_us", sorted.empty() ? 0.0 : static_cast<double>(sorted.back()) / 1e3, 1)
      .AddCpuUsage(secs);
  Note("reqrep: " + std::to_string(sorted.size()) + " round trips, " + std::to_string(rate) + " req/s, p50 " +
       std::to_string(Percentile(sorted, 0.5)) + " us, p99 " + std::to_string(Percentile(sorted, 0.99)) + " us");
  return report.Finish(st);
}

}  // namespace meridian::loadgen
