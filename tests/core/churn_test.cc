// Connections and subscriptions coming and going (cleanly, abruptly, in
// the middle of a frame) while publishers on other loops keep publishing:
// the server must stay up and keep delivering.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/core/core_fixture.h"

namespace meridian::testing {
namespace {

class ChurnTest : public SharedServerTest {};

TEST_P(ChurnTest, SubscriptionAndConnectionChurnUnderTraffic) {
  std::atomic<bool> stop{false};
  std::atomic<int> publish_errors{0};
  std::vector<NatsConnPtr> pubs;
  for (int i = 0; i < 2; ++i) {
    pubs.push_back(Conn());
    ASSERT_NE(pubs.back(), nullptr);
  }
  std::vector<std::thread> publishers;
  for (int p = 0; p < 2; ++p) {
    publishers.emplace_back([&, p] {
      std::string body(200, 'c');
      for (int i = 0; !stop.load(); ++i) {
        std::string subject = absl::StrCat("churn.", p, ".", i % 7);
        if (natsConnection_Publish(pubs[p].get(), subject.c_str(), body.data(),
                                   static_cast<int>(body.size())) != NATS_OK) {
          publish_errors++;
          return;
        }
        if (i % 64 == 0 && natsConnection_FlushTimeout(pubs[p].get(), 5000) != NATS_OK) {
          publish_errors++;
          return;
        }
      }
    });
  }
  struct Joiner {  // also when an assertion returns early
    std::atomic<bool>* stop;
    std::vector<std::thread>* threads;
    ~Joiner() {
      stop->store(true);
      for (auto& t : *threads) {
        if (t.joinable()) t.join();
      }
    }
  } joiner{&stop, &publishers};
  absl::Time end = absl::Now() + absl::Seconds(3);
  int rounds = 0;
  while (absl::Now() < end) {
    std::vector<std::unique_ptr<RawClient>> clients;
    for (int i = 0; i < 8; ++i) {
      auto c = std::make_unique<RawClient>();
      ASSERT_TRUE(Raw(c.get()));
      std::string ops = "CONNECT {\"verbose\":false,\"pedantic\":false}\r\n";
      for (int s = 0; s < 5; ++s) {
        absl::StrAppend(&ops, "SUB churn.", (i + s) % 2, ".> ", s % 2 ? "q " : "", s, "\r\n");
      }
      absl::StrAppend(&ops, "UNSUB 1\r\nUNSUB 2 3\r\n");
      if (i % 3 == 0) absl::StrAppend(&ops, "PUB churn.x 10\r\nhalf");  // vanish mid-frame
      ASSERT_TRUE(c->Send(ops));
      clients.push_back(std::move(c));
    }
    // Read a little from some (messages are flowing), then drop them all.
    for (size_t i = 0; i < clients.size(); i += 2)
      clients[i]->WaitFor("MSG churn.", absl::Milliseconds(200));
    clients.clear();
    ++rounds;
  }
  stop = true;
  for (auto& t : publishers) t.join();
  EXPECT_EQ(publish_errors.load(), 0);
  EXPECT_GT(rounds, 3);

  // Still delivering, also across loops.
  NatsConnPtr a = Conn(), b = Conn();
  ASSERT_TRUE(a && b);
  natsStatus st;
  NatsSubPtr sub = SubscribeSync(b.get(), "churn.after", &st);
  ASSERT_EQ(st, NATS_OK);
  ASSERT_EQ(natsConnection_Flush(b.get()), NATS_OK);
  ASSERT_EQ(natsConnection_PublishString(a.get(), "churn.after", "alive"), NATS_OK);
  NatsMsgPtr m = NextMsg(sub.get(), 10000, &st);
  ASSERT_NE(m, nullptr) << natsStatus_GetText(st);
  EXPECT_EQ(Data(m.get()), "alive");
  for (auto& p : pubs) EXPECT_EQ(natsConnection_Status(p.get()), NATS_CONN_STATUS_CONNECTED);
  EXPECT_EQ(server().DaemonExits(), "") << server().Log();
}

MERIDIAN_CORE_INSTANTIATE(ChurnTest);

}  // namespace
}  // namespace meridian::testing
