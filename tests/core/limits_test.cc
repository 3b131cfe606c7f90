// Limits, authorization and faults: each test starts its own server with a
// configuration file or flags written here, on Meridian and on nats-server.
#include <atomic>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "tests/core/core_fixture.h"

namespace meridian::testing {
namespace {

constexpr char kConnect[] = "CONNECT {\"verbose\":false,\"pedantic\":false}\r\n";

class LimitsTest : public CoreTest {
 protected:
  // A raw connection to `s` that has read INFO.
  static bool Raw(TestServer* s, RawClient* c, int rcvbuf = 0) {
    return c->ConnectAndReadInfo(s->host(), s->port(), rcvbuf);
  }
  static std::string ConnectLine(const std::string& extra_fields) {
    return absl::StrCat("CONNECT {\"verbose\":false,\"pedantic\":false", extra_fields, "}\r\n");
  }
};

bool AuthFailure(natsStatus s) {
  return s == NATS_NOT_PERMITTED || s == NATS_CONNECTION_AUTH_FAILED;
}

TEST_P(LimitsTest, UserAndPassword) {
  TestServer* s = StartServer(WithArgs({"--user", "alice", "--pass", "s3cret"}));
  ASSERT_NE(s, nullptr);

  NatsOptionsPtr good = TestOptions(s->url());
  natsOptions_SetUserInfo(good.get(), "alice", "s3cret");
  natsStatus st;
  NatsConnPtr nc = NatsConnect(good.get(), &st);
  ASSERT_EQ(st, NATS_OK) << natsStatus_GetText(st);
  NatsSubPtr sub = SubscribeSync(nc.get(), "auth.ok", &st);
  ASSERT_EQ(st, NATS_OK);
  ASSERT_EQ(natsConnection_PublishString(nc.get(), "auth.ok", "in"), NATS_OK);
  NatsMsgPtr m = NextMsg(sub.get(), 5000);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(Data(m.get()), "in");

  NatsOptionsPtr bad = TestOptions(s->url());
  natsOptions_SetUserInfo(bad.get(), "alice", "wrong");
  NatsConnPtr denied = NatsConnect(bad.get(), &st);
  EXPECT_EQ(denied, nullptr);
  EXPECT_TRUE(AuthFailure(st)) << natsStatus_GetText(st);
  NatsConnPtr anonymous = NatsConnect(s->url(), &st);
  EXPECT_EQ(anonymous, nullptr);
  EXPECT_TRUE(AuthFailure(st)) << natsStatus_GetText(st);

  RawClient raw;
  ASSERT_TRUE(Raw(s, &raw));
  EXPECT_EQ(JsonField(InfoJsonOf(raw.info()), "auth_required"), "true") << raw.info();
  ASSERT_TRUE(raw.Send(ConnectLine(",\"user\":\"alice\",\"pass\":\"wrong\"") + "PING\r\n"));
  EXPECT_TRUE(raw.WaitClosed());
  EXPECT_EQ(raw.buffer(), "-ERR 'Authorization Violation'\r\n");

  RawClient ok;
  ASSERT_TRUE(Raw(s, &ok));
  ASSERT_TRUE(ok.Send(ConnectLine(",\"user\":\"alice\",\"pass\":\"s3cret\"") + "PING\r\n"));
  EXPECT_TRUE(ok.WaitFor("PONG\r\n")) << ok.buffer();
}

TEST_P(LimitsTest, OperationsBeforeConnectAreViolationsWhenAuthIsRequired) {
  TestServer* s = StartServer(WithArgs({"--user", "alice", "--pass", "s3cret"}));
  ASSERT_NE(s, nullptr);
  for (const char* op : {"SUB foo 1\r\n", "PUB foo 2\r\nhi\r\n", "PING\r\n"}) {
    SCOPED_TRACE(op);
    RawClient raw;
    ASSERT_TRUE(Raw(s, &raw));
    ASSERT_TRUE(raw.Send(op));
    EXPECT_TRUE(raw.WaitClosed());
    EXPECT_EQ(raw.buffer(), "-ERR 'Authorization Violation'\r\n");
  }
}

TEST_P(LimitsTest, Token) {
  TestServer* s = StartServer(WithArgs({"--auth", "t0ken"}));
  ASSERT_NE(s, nullptr);
  NatsOptionsPtr good = TestOptions(s->url());
  natsOptions_SetToken(good.get(), "t0ken");
  natsStatus st;
  NatsConnPtr nc = NatsConnect(good.get(), &st);
  ASSERT_EQ(st, NATS_OK) << natsStatus_GetText(st);
  EXPECT_EQ(natsConnection_Flush(nc.get()), NATS_OK);

  NatsOptionsPtr bad = TestOptions(s->url());
  natsOptions_SetToken(bad.get(), "nope");
  EXPECT_EQ(NatsConnect(bad.get(), &st), nullptr);
  EXPECT_TRUE(AuthFailure(st)) << natsStatus_GetText(st);

  RawClient raw;
  ASSERT_TRUE(Raw(s, &raw));
  ASSERT_TRUE(raw.Send(ConnectLine(",\"auth_token\":\"nope\"") + "PING\r\n"));
  EXPECT_TRUE(raw.WaitClosed());
  EXPECT_EQ(raw.buffer(), "-ERR 'Authorization Violation'\r\n");
}

// authorization.timeout is in seconds (nats-server: a float of seconds).
TEST_P(LimitsTest, AuthenticationTimeout) {
  TestServer* s =
      StartServer(WithConfig("authorization {\n  user: a\n  password: b\n  timeout: 1\n}\n"));
  ASSERT_NE(s, nullptr);
  RawClient raw;
  absl::Time start = absl::Now();
  ASSERT_TRUE(Raw(s, &raw));
  EXPECT_TRUE(raw.WaitClosed(absl::Seconds(6))) << raw.buffer();
  absl::Duration took = absl::Now() - start;
  EXPECT_EQ(raw.buffer(), "-ERR 'Authentication Timeout'\r\n");
  EXPECT_GE(took, absl::Milliseconds(800));
  EXPECT_LT(took, absl::Seconds(4));
  // A client that authenticates in time stays.
  RawClient ok;
  ASSERT_TRUE(Raw(s, &ok));
  ASSERT_TRUE(ok.Send(ConnectLine(",\"user\":\"a\",\"pass\":\"b\"") + "PING\r\n"));
  ASSERT_TRUE(ok.Expect("PONG\r\n"));
  EXPECT_TRUE(ok.Drain(absl::Milliseconds(1500))) << "closed after authenticating: " << ok.buffer();
}

// nats-server reads authorization.timeout as a float of seconds.
TEST_P(LimitsTest, AuthenticationTimeoutFractionalSeconds) {
  TestServer* s =
      StartServer(WithConfig("authorization {\n  user: a\n  password: b\n  timeout: 0.5\n}\n"));
  ASSERT_NE(s, nullptr);
  RawClient raw;
  absl::Time start = absl::Now();
  ASSERT_TRUE(Raw(s, &raw));
  EXPECT_TRUE(raw.WaitClosed(absl::Seconds(5))) << raw.buffer();
  EXPECT_EQ(raw.buffer(), "-ERR 'Authentication Timeout'\r\n");
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(1500));
}

// Without a configured timeout the deadline is 2 s (AUTH_TIMEOUT).
TEST_P(LimitsTest, DefaultAuthenticationTimeout) {
  TestServer* s = StartServer(WithArgs({"--user", "a", "--pass", "b"}));
  ASSERT_NE(s, nullptr);
  RawClient raw;
  absl::Time start = absl::Now();
  ASSERT_TRUE(Raw(s, &raw));
  EXPECT_TRUE(raw.WaitClosed(absl::Seconds(6))) << raw.buffer();
  absl::Duration took = absl::Now() - start;
  EXPECT_EQ(raw.buffer(), "-ERR 'Authentication Timeout'\r\n");
  EXPECT_GE(took, absl::Milliseconds(1800));
  EXPECT_LT(took, absl::Milliseconds(3500));
}

TEST_P(LimitsTest, StaleConnection) {
  TestServer* s = StartServer(WithConfig("ping_interval: \"1s\"\nping_max: 2\n"));
  ASSERT_NE(s, nullptr);
  RawClient idle;
  ASSERT_TRUE(Raw(s, &idle));
  ASSERT_TRUE(idle.Send(std::string(kConnect) + "PING\r\n"));
  ASSERT_TRUE(idle.Expect("PONG\r\n"));
  // Never answers the server's PINGs.
  EXPECT_TRUE(idle.WaitClosed(absl::Seconds(10))) << idle.buffer();
  EXPECT_EQ(idle.buffer(), "PING\r\nPING\r\n-ERR 'Stale Connection'\r\n");

  // One that answers stays.
  RawClient live;
  ASSERT_TRUE(Raw(s, &live));
  ASSERT_TRUE(live.Send(std::string(kConnect) + "PING\r\n"));
  ASSERT_TRUE(live.Expect("PONG\r\n"));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(live.Expect("PING\r\n", absl::Seconds(5))) << live.buffer();
    ASSERT_TRUE(live.Send("PONG\r\n"));
  }
  EXPECT_TRUE(live.PingPong());
}

TEST_P(LimitsTest, MaxConnections) {
  TestServer* s = StartServer(WithConfig("max_connections: 2\n"));
  ASSERT_NE(s, nullptr);
  RawClient a, b, c;
  for (RawClient* r : {&a, &b}) {
    ASSERT_TRUE(Raw(s, r));
    ASSERT_TRUE(r->Send(std::string(kConnect) + "PING\r\n"));
    ASSERT_TRUE(r->Expect("PONG\r\n"));
  }
  ASSERT_TRUE(c.Connect(s->host(), s->port()));
  EXPECT_TRUE(c.WaitClosed()) << c.buffer();
  EXPECT_TRUE(absl::EndsWith(c.buffer(), "-ERR 'maximum connections exceeded'\r\n")) << c.buffer();
  // The first two are unaffected; once one leaves, there is room again.
  EXPECT_TRUE(a.PingPong());
  EXPECT_TRUE(b.PingPong());
  b.Close();
  EXPECT_TRUE(PollUntil(
      [&] {
        RawClient d;
        return Raw(s, &d) && d.Send(std::string(kConnect) + "PING\r\n") &&
               d.Expect("PONG\r\n", absl::Seconds(1));
      },
      absl::Seconds(10)));
}

TEST_P(LimitsTest, MaxSubscriptions) {
  TestServer* s = StartServer(WithConfig("max_subscriptions: 2\n"));
  ASSERT_NE(s, nullptr);
  RawClient c;
  ASSERT_TRUE(Raw(s, &c));
  ASSERT_TRUE(c.Send(std::string(kConnect) + "SUB a 1\r\nSUB b 2\r\nSUB c 3\r\nPING\r\n"));
  ASSERT_TRUE(c.WaitFor("PONG\r\n")) << c.buffer();
  EXPECT_EQ(c.buffer(), "-ERR 'maximum subscriptions exceeded'\r\nPONG\r\n");
  c.Clear();
  // Still open, the first two work, the third does not exist.
  ASSERT_TRUE(c.Send("PUB a 1\r\nx\r\nPUB c 1\r\nz\r\nPUB b 1\r\ny\r\nPING\r\n"));
  ASSERT_TRUE(c.WaitFor("PONG\r\n"));
  EXPECT_EQ(c.buffer(), "MSG a 1 1\r\nx\r\nMSG b 2 1\r\ny\r\nPONG\r\n");
  // After an UNSUB there is room again.
  c.Clear();
  ASSERT_TRUE(c.Send("UNSUB 1\r\nSUB c 3\r\nPUB c 1\r\nz\r\nPING\r\n"));
  ASSERT_TRUE(c.WaitFor("PONG\r\n"));
  EXPECT_EQ(c.buffer(), "MSG c 3 1\r\nz\r\nPONG\r\n");
}

TEST_P(LimitsTest, MaxPayloadFromConfig) {
  TestServer* s = StartServer(WithConfig("max_payload: 1KB\n"));
  ASSERT_NE(s, nullptr);
  RawClient c;
  ASSERT_TRUE(Raw(s, &c));
  EXPECT_EQ(JsonField(InfoJsonOf(c.info()), "max_payload"), "1024") << c.info();
  natsStatus st;
  NatsConnPtr nc = NatsConnect(s->url(), &st);
  ASSERT_EQ(st, NATS_OK);
  EXPECT_EQ(natsConnection_GetMaxPayload(nc.get()), 1024);

  ASSERT_TRUE(c.Send(std::string(kConnect) + "SUB p 1\r\nPUB p 1024\r\n" + std::string(1024, 'x') +
                     "\r\nPING\r\n"));
  ASSERT_TRUE(c.WaitFor("PONG\r\n"));
  EXPECT_EQ(c.buffer(), absl::StrCat("MSG p 1 1024\r\n", std::string(1024, 'x'), "\r\nPONG\r\n"));
  c.Clear();
  ASSERT_TRUE(c.Send("PUB p 2000\r\n" + std::string(2000, 'y') + "\r\n"));
  EXPECT_TRUE(c.WaitClosed());
  EXPECT_EQ(c.buffer(), "-ERR 'Maximum Payload Violation'\r\n");
}

TEST_P(LimitsTest, MaxControlLineFromConfig) {
  TestServer* s = StartServer(WithConfig("max_control_line: 512\n"));
  ASSERT_NE(s, nullptr);
  RawClient ok, c;
  ASSERT_TRUE(Raw(s, &ok));
  ASSERT_TRUE(ok.Send(std::string(kConnect) + "SUB " + std::string(400, 's') + " 1\r\nPING\r\n"));
  EXPECT_TRUE(ok.WaitFor("PONG\r\n")) << ok.buffer();
  EXPECT_EQ(ok.buffer(), "PONG\r\n");
  ASSERT_TRUE(Raw(s, &c));
  ASSERT_TRUE(c.Send(std::string(kConnect) + "SUB " + std::string(600, 's') + " 1\r\n"));
  EXPECT_TRUE(c.WaitClosed());
  EXPECT_EQ(c.buffer(), "-ERR 'maximum control line exceeded'\r\n");
}

struct Counter {
  std::atomic<int> after{0};
};

void Count(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* c = static_cast<Counter*>(closure);
  if (natsMsg_GetDataLength(msg) > 0 && natsMsg_GetData(msg)[0] == 'A') c->after++;
  natsMsg_Destroy(msg);
}

// The warning and error lines of a server log.
std::string Warnings(const std::string& log) {
  std::string out;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (absl::StrContains(line, "[WRN]") || absl::StrContains(line, "[ERR]") ||
        absl::StrContains(line, "Slow Consumer")) {
      absl::StrAppend(&out, line, "\n");
    }
  }
  return out;
}

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1))
    n++;
  return n;
}

// A subscriber that never reads is closed once its pending bytes pass
// max_pending (no -ERR required); the publisher and a healthy subscriber go
// on, and the healthy one receives everything published afterwards.
TEST_P(LimitsTest, SlowConsumerIsClosedOthersContinue) {
  TestServer* s = StartServer(WithConfig("max_pending: 16KB\nmax_payload: 4KB\n"));
  ASSERT_NE(s, nullptr);
  RawClient slow;
  ASSERT_TRUE(Raw(s, &slow, /*rcvbuf=*/4096));
  ASSERT_TRUE(slow.Send(std::string(kConnect) + "SUB sc.flood 1\r\nPING\r\n"));
  ASSERT_TRUE(slow.Expect("PONG\r\n"));

  natsStatus st;
  NatsConnPtr healthy = NatsConnect(s->url(), &st);
  ASSERT_EQ(st, NATS_OK);
  Counter counter;
  natsSubscription* raw_sub = nullptr;
  ASSERT_EQ(natsConnection_Subscribe(&raw_sub, healthy.get(), "sc.after", Count, &counter),
            NATS_OK);
  NatsSubPtr healthy_sub(raw_sub);
  ASSERT_EQ(natsConnection_Flush(healthy.get()), NATS_OK);

  NatsConnPtr pub = NatsConnect(s->url(), &st);
  ASSERT_EQ(st, NATS_OK);
  // 12 MB in 4 KB messages, far more than socket buffers hold, in bursts
  // larger than max_pending (nats-server stalls fast producers, so a slow
  // trickle would take it minutes to give up on the subscriber).
  std::string body(4000, 'f');
  constexpr int kFlood = 3072;
  absl::Time budget = absl::Now() + absl::Seconds(30);
  for (int i = 0; i < kFlood; ++i) {
    ASSERT_LT(absl::Now(), budget) << "publishing stalled; " << i << " sent";
    ASSERT_EQ(
        natsConnection_Publish(pub.get(), "sc.flood", body.data(), static_cast<int>(body.size())),
        NATS_OK);
    if (i % 32 == 31) {
      ASSERT_EQ(natsConnection_FlushTimeout(pub.get(), 10000), NATS_OK) << i;
    }
  }
  ASSERT_EQ(natsConnection_Flush(pub.get()), NATS_OK);
  // Read what the slow one got: the server must have closed it.
  EXPECT_TRUE(slow.WaitClosed(absl::Seconds(30)))
      << "slow consumer not closed; it has read " << slow.buffer().size() << " bytes";
  EXPECT_LT(slow.buffer().size(), static_cast<size_t>(kFlood) * body.size());
  EXPECT_EQ(Count(slow.buffer(), "-ERR"), 0u);

  EXPECT_EQ(natsConnection_Status(pub.get()), NATS_CONN_STATUS_CONNECTED);
  EXPECT_EQ(natsConnection_Status(healthy.get()), NATS_CONN_STATUS_CONNECTED);
  constexpr int kAfter = 500;
  for (int i = 0; i < kAfter; ++i) {
    ASSERT_EQ(natsConnection_PublishString(pub.get(), "sc.after", "A"), NATS_OK);
  }
  ASSERT_EQ(natsConnection_Flush(pub.get()), NATS_OK);
  EXPECT_TRUE(PollUntil([&] { return counter.after.load() == kAfter; }, absl::Seconds(20)))
      << "healthy subscriber got " << counter.after.load() << " of " << kAfter;
  EXPECT_EQ(natsConnection_Status(healthy.get()), NATS_CONN_STATUS_CONNECTED);
  if (HasFailure()) ADD_FAILURE() << "server warnings:\n" << Warnings(s->Log());
}

// A subscriber that keeps reading is not a slow consumer while a fast
// producer on another connection floods its subject: the server holds the
// producer back (nats-server stalls it above 3/4 of max_pending) rather than
// closing the reader.
TEST_P(LimitsTest, ReadingSubscriberOfAFloodedSubjectSurvives) {
  TestServer* s = StartServer(WithConfig("max_pending: 64KB\nmax_payload: 8KB\n"));
  ASSERT_NE(s, nullptr);
  natsStatus st;
  NatsConnPtr healthy = NatsConnect(s->url(), &st);
  ASSERT_EQ(st, NATS_OK);
  Counter counter;
  natsSubscription* raw_sub = nullptr;
  ASSERT_EQ(natsConnection_Subscribe(&raw_sub, healthy.get(), "rf.>", Count, &counter), NATS_OK);
  NatsSubPtr healthy_sub(raw_sub);
  natsSubscription_SetPendingLimits(raw_sub, -1, -1);
  ASSERT_EQ(natsConnection_Flush(healthy.get()), NATS_OK);
  NatsConnPtr pub = NatsConnect(s->url(), &st);
  ASSERT_EQ(st, NATS_OK);
  // 1 KB messages in bursts of 32 (half of max_pending) per flush.
  std::string body(1024, 'A');
  constexpr int kCount = 4000;
  absl::Time budget = absl::Now() + absl::Seconds(30);
  for (int i = 0; i < kCount; ++i) {
    ASSERT_LT(absl::Now(), budget) << "publishing stalled; " << i << " sent";
    ASSERT_EQ(
        natsConnection_Publish(pub.get(), "rf.data", body.data(), static_cast<int>(body.size())),
        NATS_OK);
    if (i % 32 == 31) {
      ASSERT_EQ(natsConnection_FlushTimeout(pub.get(), 10000), NATS_OK) << i;
    }
  }
  ASSERT_EQ(natsConnection_Flush(pub.get()), NATS_OK);
  PollUntil(
      [&] { return counter.after.load() == kCount || natsConnection_IsClosed(healthy.get()); },
      absl::Seconds(20));
  EXPECT_EQ(counter.after.load(), kCount);
  EXPECT_EQ(natsConnection_Status(healthy.get()), NATS_CONN_STATUS_CONNECTED);
  if (HasFailure()) ADD_FAILURE() << "server warnings:\n" << Warnings(s->Log());
}

MERIDIAN_CORE_INSTANTIATE(LimitsTest);

}  // namespace
}  // namespace meridian::testing
