// pubsub: K subscribers (plain or one queue group) registered first, then P
// publishers. Subscribers count data frames (sid 1) and settle probes (sid 2).
// With URL lists, subscriber i dials sub_urls[i % n] and publisher i
// pub_urls[i % n]; the result line then also tells how deliveries split.
#include <unistd.h>

#include <atomic>
#include <latch>
#include <thread>

#include "tests/bench/loadgen/conn.h"
#include "tests/bench/loadgen/modes.h"
#include "tests/bench/loadgen/publisher.h"
#include "tests/bench/loadgen/report.h"

namespace meridian::loadgen {
namespace {

constexpr int kDataSid = 1;
constexpr int kProbeSid = 2;

struct Shared {
  std::atomic<bool> abort{false};
  std::atomic<bool> group_done{false};
  std::atomic<uint64_t> received{0};
  std::atomic<int> probed_subs{0};
  Clock::time_point group_done_at;
};

struct SubState {
  std::unique_ptr<Conn> conn;
  uint64_t received = 0;
  Clock::time_point done_at{};
  bool done = false;
  absl::Status status;
};

// Reads until this subscriber (plain) or the group (queue) has `expected`
// data frames.
void RunSubscriber(int index, SubState& s, Shared& shared, uint64_t expected, bool queue_group, Deadline deadline) {
  bool probed = false;
  for (;;) {
    if (shared.abort.load(std::memory_order_relaxed)) return;
    if (queue_group && shared.group_done.load(std::memory_order_acquire)) return;
    if (Clock::now() >= deadline) {
      s.status = absl::DeadlineExceededError("subscriber timed out");
      return;
    }
    if (absl::Status st = s.conn->Poll(20, deadline); !st.ok()) {
      std::string text = "subscriber " + std::to_string(index) + ": " + std::string(st.message());
      if (text.find("connection closed") != std::string::npos) text += " (servers close slow consumers without -ERR)";
      s.status = absl::Status(st.code(), text);
      shared.abort.store(true);
      return;
    }
    FrameReader& r = s.conn->reader();
    if (!probed && r.frames_for_sid(kProbeSid) > 0) {
      probed = true;
      shared.probed_subs.fetch_add(1);
    }
    const uint64_t now_received = r.frames_for_sid(kDataSid);
    const uint64_t delta = now_received - s.received;
    if (delta == 0) continue;
    s.received = now_received;
    const uint64_t before = shared.received.fetch_add(delta);
    if (queue_group) {
      if (before < expected && before + delta >= expected) {
        shared.group_done_at = Clock::now();
        shared.group_done.store(true, std::memory_order_release);
        return;
      }
    } else if (s.received >= expected) {
      s.done_at = Clock::now();
      s.done = true;
      return;
    }
  }
}

// Publishes probes on `probe_subject` until every subscriber has seen one.
absl::Status Settle(const Endpoint& endpoint, const std::string& probe_subject, const Shared& shared, int subs,
                    Deadline deadline) {
  absl::StatusOr<std::unique_ptr<Conn>> conn = Conn::Dial(endpoint, deadline);
  if (!conn.ok()) return conn.status();
  const std::string probe = "PUB " + probe_subject + " 0\r\n\r\n";
  while (shared.probed_subs.load() < subs) {
    if (shared.abort.load()) return absl::AbortedError("aborted during settle");
    if (Clock::now() >= deadline) return absl::DeadlineExceededError("settle: subscribers never saw a probe");
    if (absl::Status st = (*conn)->WriteAll(probe, deadline); !st.ok()) return st;
    if (absl::Status st = (*conn)->Flush(deadline); !st.ok()) return st;
    // Give the probe time to cross; poll the condition for up to 10 ms.
    for (int i = 0; i < 10 && shared.probed_subs.load() < subs; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  return absl::OkStatus();
}

}  // namespace

int RunPubSub(const Options& o) {
  const Deadline deadline = DeadlineAfter(o.timeout_s);
  const bool queue_group = !o.queue.empty();
  absl::StatusOr<std::vector<Endpoint>> pub_endpoints = ParseEndpoints(o.pub_url);
  absl::StatusOr<std::vector<Endpoint>> sub_endpoints = ParseEndpoints(o.sub_url);
  bool same_server = pub_endpoints.ok() && sub_endpoints.ok() && pub_endpoints->size() == 1;
  if (same_server) {
    for (const Endpoint& e : *sub_endpoints) same_server = same_server && e.ToString() == (*pub_endpoints)[0].ToString();
  }
  const bool settle = o.settle_check || !same_server;
  const uint64_t expected_total = queue_group ? o.msgs : o.msgs * static_cast<uint64_t>(o.subs);
  Report report;
  report.Add("mode", "pubsub")
      .Add("pubs", o.pubs)
      .Add("subs", o.subs)
      .Add("queue", queue_group ? o.queue : std::string("-"))
      .Add("size", static_cast<uint64_t>(o.size))
      .Add("msgs", o.msgs)
      .Add("expected", expected_total);
  if (!pub_endpoints.ok()) return report.Finish(pub_endpoints.status());
  if (!sub_endpoints.ok()) return report.Finish(sub_endpoints.status());

  // Subscribers first; SUB then PING/PONG proves the server registered it.
  const std::string probe_subject = "_LOADGEN.probe." + std::to_string(::getpid());
  std::string sub_ops = "SUB " + o.subject + (queue_group ? " " + o.queue : "") + " 1\r\n";
  if (settle) sub_ops += "SUB " + probe_subject + " 2\r\n";
  std::vector<SubState> subs(static_cast<size_t>(o.subs));
  for (size_t i = 0; i < subs.size(); ++i) {
    SubState& s = subs[i];
    absl::StatusOr<std::unique_ptr<Conn>> conn = Conn::Dial((*sub_endpoints)[i % sub_endpoints->size()], deadline);
    if (!conn.ok()) return report.Finish(conn.status());
    s.conn = std::move(*conn);
    absl::Status st = s.conn->WriteAll(sub_ops, deadline);
    if (st.ok()) st = s.conn->Flush(deadline);
    if (!st.ok()) return report.Finish(st);
  }
  std::vector<std::unique_ptr<Conn>> pubs;
  for (int i = 0; i < o.pubs; ++i) {
    absl::StatusOr<std::unique_ptr<Conn>> conn =
        Conn::Dial((*pub_endpoints)[static_cast<size_t>(i) % pub_endpoints->size()], deadline);
    if (!conn.ok()) return report.Finish(conn.status());
    pubs.push_back(std::move(*conn));
  }

  Shared shared;
  std::vector<std::thread> sub_threads;
  for (size_t i = 0; i < subs.size(); ++i) {
    sub_threads.emplace_back(
        [&, i] { RunSubscriber(static_cast<int>(i), subs[i], shared, o.msgs, queue_group, deadline); });
  }
  absl::Status status;
  if (settle) status = Settle((*pub_endpoints)[0], probe_subject, shared, o.subs, deadline);

  const std::vector<uint64_t> counts = SplitCount(o.msgs, o.pubs);
  std::vector<uint64_t> sent(pubs.size(), 0);
  std::vector<absl::Status> pub_results(pubs.size());
  std::vector<Clock::time_point> pub_ends(pubs.size());
  std::latch start(1);
  std::vector<std::thread> pub_threads;
  Clock::time_point t0 = Clock::now();
  if (status.ok()) {
    for (size_t i = 0; i < pubs.size(); ++i) {
      pub_threads.emplace_back([&, i] {
        start.wait();
        pub_results[i] =
            PublishAll(*pubs[i], o.subject, o.size, counts[i], o.batch_bytes, deadline, shared.abort, &sent[i]);
        pub_ends[i] = Clock::now();
        if (!pub_results[i].ok() && !absl::IsAborted(pub_results[i])) {
          pub_results[i] = absl::Status(
              pub_results[i].code(), "publisher " + std::to_string(i) + ": " + std::string(pub_results[i].message()));
          shared.abort.store(true);
        }
      });
    }
    t0 = Clock::now();
    start.count_down();
    for (std::thread& t : pub_threads) t.join();
  } else {
    shared.abort.store(true);
  }
  for (std::thread& t : sub_threads) t.join();

  // Results: the first real error wins; then a timeout.
  uint64_t total_sent = 0;
  Clock::time_point pub_end = t0;
  for (size_t i = 0; i < pubs.size(); ++i) {
    total_sent += sent[i];
    pub_end = std::max(pub_end, pub_ends[i]);
    if (status.ok() && !pub_results[i].ok() && !absl::IsAborted(pub_results[i])) status = pub_results[i];
  }
  Clock::time_point last_receive = t0;
  bool all_done = queue_group ? shared.group_done.load() : true;
  for (SubState& s : subs) {
    if (status.ok() && !s.status.ok() && !absl::IsDeadlineExceeded(s.status)) status = s.status;
    if (!queue_group) {
      all_done = all_done && s.done;
      if (s.done) last_receive = std::max(last_receive, s.done_at);
    }
  }
  if (queue_group && all_done) last_receive = shared.group_done_at;
  const uint64_t received = shared.received.load();
  if (status.ok() && !all_done) {
    status = absl::DeadlineExceededError("timed out: received " + std::to_string(received) + " of " +
                                         std::to_string(expected_total));
  }
  if (!all_done) last_receive = Clock::now();

  const double pub_secs = Seconds(t0, pub_end);
  const double secs = Seconds(t0, last_receive);
  const double pub_rate = pub_secs > 0 ? static_cast<double>(total_sent) / pub_secs : 0;
  const double sub_rate = secs > 0 ? static_cast<double>(received) / secs : 0;
  report.Add("sent", total_sent)
      .Add("received", received)
      .Add("elapsed_ms", secs * 1e3, 1)
      .Add("pub_elapsed_ms", pub_secs * 1e3, 1)
      .Add("pub_rate", pub_rate, 0)
      .Add("sub_rate", sub_rate, 0)
      .Add("sub_mbps", sub_rate * static_cast<double>(o.size) / 1e6, 1);
  // How deliveries split: per subscriber, and per entry of the --sub-url list
  // (e.g. which node's queue members got the messages).
  std::string per_sub;
  std::vector<uint64_t> per_url(sub_endpoints->size(), 0);
  for (size_t i = 0; i < subs.size(); ++i) {
    if (i > 0) per_sub += ',';
    per_sub += std::to_string(subs[i].received);
    per_url[i % per_url.size()] += subs[i].received;
  }
  report.Add("recv_per_sub", per_sub);
  if (per_url.size() > 1) {
    std::string text;
    for (size_t i = 0; i < per_url.size(); ++i) {
      if (i > 0) text += ',';
      text += std::to_string(per_url[i]);
    }
    report.Add("recv_per_sub_url", text);
  }
  report.AddCpuUsage(secs);
  Note("pubsub: " + std::to_string(o.pubs) + " pub(s) -> " + std::to_string(o.subs) +
       (queue_group ? " queue member(s)" : " sub(s)") + ", " + std::to_string(received) + "/" +
       std::to_string(expected_total) + " delivered in " + std::to_string(secs) + " s; publish " +
       std::to_string(pub_rate / 1e6) + " M msgs/s, deliver " + std::to_string(sub_rate / 1e6) + " M msgs/s");
  return report.Finish(status);
}

}  // namespace meridian::loadgen
