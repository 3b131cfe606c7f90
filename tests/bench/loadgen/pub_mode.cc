// pub: N publishers, no subscribers.
#include <atomic>
#include <latch>
#include <thread>

#include "tests/bench/loadgen/conn.h"
#include "tests/bench/loadgen/modes.h"
#include "tests/bench/loadgen/publisher.h"
#include "tests/bench/loadgen/report.h"

namespace meridian::loadgen {

int RunPub(const Options& o) {
  const Deadline deadline = DeadlineAfter(o.timeout_s);
  Report report;
  report.Add("mode", "pub").Add("pubs", o.pubs).Add("size", static_cast<uint64_t>(o.size)).Add("msgs", o.msgs);
  absl::StatusOr<std::vector<Endpoint>> endpoints = ParseEndpoints(o.pub_url);
  if (!endpoints.ok()) return report.Finish(endpoints.status());

  std::vector<std::unique_ptr<Conn>> conns;
  for (int i = 0; i < o.pubs; ++i) {
    absl::StatusOr<std::unique_ptr<Conn>> conn = Conn::Dial((*endpoints)[static_cast<size_t>(i) % endpoints->size()], deadline);
    if (!conn.ok()) return report.Finish(conn.status());
    conns.push_back(std::move(*conn));
  }

  const std::vector<uint64_t> counts = SplitCount(o.msgs, o.pubs);
  std::vector<uint64_t> sent(conns.size(), 0);
  std::vector<absl::Status> results(conns.size());
  std::vector<Clock::time_point> ends(conns.size());
  std::atomic<bool> abort{false};
  std::latch start(1);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < conns.size(); ++i) {
    threads.emplace_back([&, i] {
      start.wait();
      results[i] = PublishAll(*conns[i], o.subject, o.size, counts[i], o.batch_bytes, deadline, abort, &sent[i]);
      ends[i] = Clock::now();
      if (!results[i].ok()) abort.store(true);
    });
  }
  const Clock::time_point t0 = Clock::now();
  start.count_down();
  for (std::thread& t : threads) t.join();

  absl::Status status;
  uint64_t total_sent = 0;
  Clock::time_point end = t0;
  for (size_t i = 0; i < conns.size(); ++i) {
    total_sent += sent[i];
    end = std::max(end, ends[i]);
    if (status.ok() && !results[i].ok() && !absl::IsAborted(results[i])) status = results[i];
  }
  const double secs = Seconds(t0, end);
  const double rate = secs > 0 ? static_cast<double>(total_sent) / secs : 0;
  report.Add("sent", total_sent)
      .Add("elapsed_ms", secs * 1e3, 1)
      .Add("pub_rate", rate, 0)
      .Add("pub_mbps", rate * static_cast<double>(o.size) / 1e6, 1)
      .AddCpuUsage(secs);
  Note("pub: " + std::to_string(o.pubs) + " publisher(s), " + std::to_string(total_sent) + " msgs x " +
       std::to_string(o.size) + " B in " + std::to_string(secs) + " s = " + std::to_string(rate / 1e6) + " M msgs/s");
  return report.Finish(status);
}

}  // namespace meridian::loadgen
