#include "services/router/core/tests/test_util.h"

#include <algorithm>
#include <utility>

#include "gtest/gtest.h"

namespace meridian::router {

void PrintTo(const OutboundDelta& d, std::ostream* os) {
  *os << "{to " << d.peer.value << ": " << d.delta.account << " '"
      << d.delta.subject << "' q='" << d.delta.queue << "' " << d.delta.count
      << "}";
}

namespace testing {

InterestDelta D(std::string subject, int32_t count, std::string queue,
                std::string account) {
  return InterestDelta{std::move(account), std::move(subject), std::move(queue),
                       count};
}

OutboundDelta To(uint64_t peer, std::string subject, int32_t count,
                 std::string queue, std::string account) {
  return OutboundDelta{PeerId{peer}, D(std::move(subject), count,
                                       std::move(queue), std::move(account))};
}

std::vector<OutboundDelta> Sorted(std::vector<OutboundDelta> deltas) {
  std::sort(deltas.begin(), deltas.end(),
            [](const OutboundDelta& a, const OutboundDelta& b) {
              return std::tie(a.peer.value, a.delta.account, a.delta.subject,
                              a.delta.queue, a.delta.count) <
                     std::tie(b.peer.value, b.delta.account, b.delta.subject,
                              b.delta.queue, b.delta.count);
            });
  return deltas;
}

std::vector<OutboundDelta> Apply(Router& router, uint64_t from,
                                 const InterestDelta& delta) {
  std::vector<OutboundDelta> out;
  absl::Status status = router.ApplyInterest(PeerId{from}, delta, &out);
  EXPECT_TRUE(status.ok()) << status;
  return Sorted(std::move(out));
}

void Views::Add(const std::vector<OutboundDelta>& deltas) {
  for (const OutboundDelta& d : deltas) {
    auto& view = views_[d.peer.value];
    Key key{d.delta.account, d.delta.subject, d.delta.queue};
    int64_t& v = view[key];
    v += d.delta.count;
    if (v == 0) view.erase(key);
  }
}

}  // namespace testing
std::string RandomPattern(std::mt19937_64& rng, int max_tokens) {
  static const char* kTokens[] = {"a", "b", "*", ">"};
  auto rand = [&rng](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  std::string s;
  const int n = 1 + rand(max_tokens);
  for (int i = 0; i < n; ++i) {
    if (i > 0) s += '.';
    s += kTokens[rand(i == n - 1 ? 4 : 3)];
  }
  return s;
}

std::string RandomLiteral(std::mt19937_64& rng, int max_tokens) {
  static const char* kTokens[] = {"a", "b", "c"};
  auto rand = [&rng](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  std::string s;
  const int n = 1 + rand(max_tokens);
  for (int i = 0; i < n; ++i) {
    if (i > 0) s += '.';
    s += kTokens[rand(3)];
  }
  return s;
}

}  // namespace meridian::router
