#include "tests/bench/loadgen/js_window.h"

#include <algorithm>

namespace meridian::loadgen {

absl::Status RunWindow(JsSession& session, const WindowSpec& spec, Deadline deadline, WindowResult* result) {
  *result = WindowResult();
  const uint64_t count = spec.count;
  const std::string& inbox = session.inbox();
  // Send time of request i in ns after t0; -1 before it is sent and once answered.
  std::vector<int64_t> sent_at(count + 1, -1);
  absl::Status failure;
  uint64_t answered = 0;
  const Clock::time_point t0 = Clock::now();
  Clock::time_point last_reply = t0;
  std::vector<uint64_t> lat;
  lat.reserve(count);

  session.set_handler([&](const Frame& f) {
    if (!failure.ok()) return;
    uint64_t i = 0;
    if (f.subject.size() <= inbox.size() || f.subject.compare(0, inbox.size(), inbox) != 0 ||
        !LastTokenNumber(f.subject, &i) || i == 0 || i > count) {
      failure = absl::InternalError("unexpected message on " + std::string(f.subject));
      return;
    }
    if (sent_at[i] < 0) {
      failure = absl::InternalError("reply " + std::to_string(i) + " came twice or before its request");
      return;
    }
    if (absl::Status st = spec.check_reply(i, f); !st.ok()) {
      failure = absl::Status(st.code(), "reply " + std::to_string(i) + ": " + std::string(st.message()));
      return;
    }
    last_reply = Clock::now();
    lat.push_back(static_cast<uint64_t>(std::chrono::nanoseconds(last_reply - t0).count() - sent_at[i]));
    sent_at[i] = -1;
    ++answered;
  });

  uint64_t sent = 0;
  std::string out;
  absl::Status st;
  const std::string reply_prefix = inbox + ".";
  std::string reply;
  while (st.ok() && failure.ok() && answered < count) {
    out.clear();
    const int64_t now_ns = std::chrono::nanoseconds(Clock::now() - t0).count();
    while (sent < count && sent - answered < spec.window && out.size() < spec.batch_bytes) {
      ++sent;
      reply = reply_prefix;
      reply += std::to_string(sent);
      spec.append_request(sent, reply, &out);
      sent_at[sent] = now_ns;
    }
    if (!out.empty()) {
      st = session.conn().WriteAll(out, deadline);
    } else {
      st = session.conn().Poll(100, deadline);
    }
    if (st.ok() && answered < count && Clock::now() >= deadline) {
      st = absl::DeadlineExceededError(std::to_string(answered) + " of " + std::to_string(count) +
                                       " answered before the deadline (" + std::to_string(sent - answered) +
                                       " outstanding)");
    }
  }
  session.set_handler(nullptr);
  result->sent = sent;
  result->answered = answered;
  result->secs = std::chrono::duration<double>(last_reply - t0).count();
  std::sort(lat.begin(), lat.end());
  result->sorted_ns = std::move(lat);
  return failure.ok() ? st : failure;
}

double PercentileUs(const std::vector<uint64_t>& sorted_ns, double q) {
  if (sorted_ns.empty()) return 0;
  const size_t i = std::min(sorted_ns.size() - 1, static_cast<size_t>(q * static_cast<double>(sorted_ns.size())));
  return static_cast<double>(sorted_ns[i]) / 1e3;
}

}  // namespace meridian::loadgen
