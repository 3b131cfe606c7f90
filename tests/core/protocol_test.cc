// The client protocol on a raw socket, byte for byte as nats-server 2.9.10
// writes it (../shared/spec/client-protocol.md §1-§10, §14): INFO, +OK,
// the -ERR texts and whether the connection stays open, MSG/HMSG framing,
// no-responders, split frames, peers vanishing mid-frame.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/core/core_fixture.h"

namespace meridian::testing {
namespace {

// What real clients send: no +OK, no pedantic checks.
constexpr char kConnect[] = "CONNECT {\"verbose\":false,\"pedantic\":false}\r\n";
constexpr char kConnectHeaders[] =
    "CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":true,\"protocol\":1}\r\n";

class ProtocolTest : public SharedServerTest {
 protected:
  // A raw connection that has read INFO and sent `connect` (if any).
  void Open(RawClient* c, const std::string& connect = kConnect) {
    ASSERT_TRUE(Raw(c)) << "no INFO";
    if (!connect.empty()) {
      ASSERT_TRUE(c->Send(connect));
    }
  }
};

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1))
    n++;
  return n;
}

TEST_P(ProtocolTest, InfoLineFormat) {
  RawClient c;
  ASSERT_TRUE(Raw(&c));
  const std::string& line = c.info();  // without the CRLF
  ASSERT_TRUE(absl::StartsWith(line, "INFO {")) << line;
  ASSERT_TRUE(absl::EndsWith(line, "} "))
      << "nats-server puts a space before CRLF: '" << line << "'";
  std::string json = InfoJsonOf(line);
  std::string id = JsonField(json, "server_id");
  ASSERT_GE(id.size(), 3u) << json;
  EXPECT_EQ(id.substr(0, 2), "\"N") << json;
  EXPECT_EQ(id.size(), 56u + 2) << json;
  EXPECT_FALSE(JsonField(json, "server_name").empty()) << json;
  std::string version = JsonField(json, "version");
  EXPECT_TRUE(absl::StartsWith(version, "\"2.")) << json;
  if (!meridian()) {
    EXPECT_EQ(version, "\"2.9.10\"");
  }
  EXPECT_EQ(JsonField(json, "proto"), "1") << json;
  EXPECT_EQ(JsonField(json, "headers"), "true") << json;
  EXPECT_EQ(JsonField(json, "max_payload"), "1048576") << json;
  EXPECT_EQ(JsonField(json, "port"), absl::StrCat(server().port())) << json;
  EXPECT_EQ(JsonField(json, "auth_required"), "") << json;
  std::string cid = JsonField(json, "client_id");
  uint64_t cid_value = 0;
  EXPECT_TRUE(absl::SimpleAtoi(cid, &cid_value) && cid_value > 0) << json;
  // Each connection gets its own id.
  RawClient c2;
  ASSERT_TRUE(Raw(&c2));
  EXPECT_NE(JsonField(InfoJsonOf(c2.info()), "client_id"), cid);
  // Nothing else is sent before the client speaks.
  EXPECT_TRUE(c.Drain(absl::Milliseconds(50)));
  EXPECT_EQ(c.buffer(), "");
}

TEST_P(ProtocolTest, VerboseConnectAnswersOkThenPong) {
  RawClient c;
  Open(&c, "CONNECT {\"verbose\":true,\"pedantic\":false}\r\nPING\r\n");
  ASSERT_TRUE(c.WaitFor("PONG\r\n"));
  EXPECT_TRUE(absl::StartsWith(c.buffer(), "+OK\r\nPONG\r\n")) << c.buffer();
  c.Clear();
  ASSERT_TRUE(c.Send("SUB v 1\r\nPUB v 2\r\nhi\r\nUNSUB 1\r\nPING\r\n"));
  ASSERT_TRUE(c.WaitFor("PONG\r\n"));
  EXPECT_EQ(c.buffer(), "+OK\r\n+OK\r\nMSG v 1 2\r\nhi\r\n+OK\r\nPONG\r\n");
}

// nats-server's client options start as {verbose:true, pedantic:true} and
// CONNECT only overrides the fields it names (Go json.Unmarshal into
// defaults): a CONNECT without "verbose" gets +OK, a PUB to a wildcard
// subject without "pedantic" gets 'Invalid Publish Subject'.
TEST_P(ProtocolTest, ConnectFieldsDefaultToVerboseAndPedantic) {
  RawClient c;
  Open(&c, "CONNECT {}\r\nPING\r\n");
  ASSERT_TRUE(c.WaitFor("PONG\r\n"));
  EXPECT_TRUE(absl::StartsWith(c.buffer(), "+OK\r\nPONG\r\n")) << c.buffer();
  c.Clear();
  RawClient p;
  Open(&p, "CONNECT {\"verbose\":false}\r\nPUB foo.* 2\r\nhi\r\n");
  EXPECT_TRUE(p.WaitFor("-ERR 'Invalid Publish Subject'\r\n", absl::Seconds(2))) << p.buffer();
  EXPECT_TRUE(p.PingPong());
}

struct ErrorCase {
  const char* name;
  std::string send;
  std::string err;  // expected -ERR text inside the quotes; "" = no -ERR at all
  bool closes;
};

void PrintTo(const ErrorCase& ec, std::ostream* os) { *os << ec.name; }

std::vector<ErrorCase> ErrorCases() {
  std::string c = kConnect;
  std::string ch = kConnectHeaders;
  return {
      {"garbage", "FOO BAR\r\n", "Unknown Protocol Operation", true},
      {"sub_control_line_5000_bytes", "SUB " + std::string(5000, 'a') + " 1\r\n",
       "maximum control line exceeded", true},
      {"pub_control_line_5000_bytes", c + "PUB " + std::string(5000, 'a') + " 1\r\n",
       "maximum control line exceeded", true},
      {"pub_over_max_payload", c + "PUB foo 1048577\r\n", "Maximum Payload Violation", true},
      {"hpub_over_max_payload", ch + "HPUB foo 12 1048589\r\n", "Maximum Payload Violation", true},
      {"sub_empty_token", c + "SUB foo..bar 1\r\n", "Invalid Subject", false},
      {"sub_full_wildcard_not_last", c + "SUB foo.>.bar 1\r\n", "Invalid Subject", false},
      {"connect_protocol_2", "CONNECT {\"verbose\":false,\"protocol\":2}\r\n",
       "invalid client protocol", true},
      {"no_responders_without_headers", "CONNECT {\"verbose\":false,\"no_responders\":true}\r\n",
       "no responders requires headers support", true},
      {"pedantic_pub_to_star",
       "CONNECT {\"verbose\":false,\"pedantic\":true}\r\nPUB foo.* 2\r\nhi\r\n",
       "Invalid Publish Subject", false},
      {"pedantic_pub_to_full_wildcard",
       "CONNECT {\"verbose\":false,\"pedantic\":true}\r\nPUB foo.> 2\r\nhi\r\n",
       "Invalid Publish Subject", false},
      {"hpub_without_headers_true", c + "HPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n", "", true},
      {"payload_not_followed_by_crlf", c + "PUB foo 2\r\nhiX\r\n", "Unknown Protocol Operation",
       true},
      {"unsub_without_sid", c + "UNSUB\r\n", "Unknown Protocol Operation", true},
      {"pub_without_size", c + "PUB foo\r\n", "", true},
      {"pub_with_negative_size", c + "PUB foo -1\r\n", "", true},
      {"sub_without_sid", c + "SUB foo\r\n", "", true},
      {"connect_malformed_json", "CONNECT {bad\r\n", "", true},
      {"connect_field_of_wrong_type", "CONNECT {\"verbose\":\"yes\"}\r\n", "", true},
      {"client_sends_err", c + "-ERR 'boom'\r\n", "", true},
  };
}

// The error table: one case per test on a fresh connection, against both
// servers, so the expectations are nats-server's own behaviour.
class ErrorTableTest : public SharedServerTestBase<std::tuple<ServerKind, ErrorCase>> {};

TEST_P(ErrorTableTest, ErrorTextAndClose) {
  const ErrorCase& ec = std::get<1>(GetParam());
  RawClient c;
  ASSERT_TRUE(Raw(&c)) << "no INFO";
  ASSERT_TRUE(c.Send(ec.send));
  std::string expect = ec.err.empty() ? "" : absl::StrCat("-ERR '", ec.err, "'\r\n");
  if (ec.closes) {
    EXPECT_TRUE(c.WaitClosed(absl::Seconds(5))) << "not closed; got '" << c.buffer() << "'";
    std::string got = c.buffer();
    EXPECT_EQ(got, expect);
  } else {
    EXPECT_TRUE(c.WaitFor(expect)) << "got '" << c.buffer() << "'";
    std::string got = c.buffer();
    EXPECT_TRUE(c.PingPong()) << "connection should stay open; got '" << c.buffer() << "'";
    EXPECT_EQ(Count(got + c.buffer(), "-ERR"), 1u) << got << c.buffer();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Servers, ErrorTableTest,
    ::testing::Combine(::testing::Values(ServerKind::kMeridian, ServerKind::kNatsServer),
                       ::testing::ValuesIn(ErrorCases())),
    [](const ::testing::TestParamInfo<std::tuple<ServerKind, ErrorCase>>& info) {
      return KindName(std::get<0>(info.param)) + "_" + std::get<1>(info.param).name;
    });

TEST_P(ProtocolTest, InvalidSubjectKeepsConnectionUsable) {
  RawClient c;
  Open(&c);
  ASSERT_TRUE(c.Send("SUB foo..bar 1\r\nSUB ok.sub 2\r\nPUB ok.sub 2\r\nhi\r\nPING\r\n"));
  ASSERT_TRUE(c.WaitFor("PONG\r\n"));
  EXPECT_EQ(c.buffer(), "-ERR 'Invalid Subject'\r\nMSG ok.sub 2 2\r\nhi\r\nPONG\r\n");
}

// nats-server answers a pedantic PUB to a wildcard subject with -ERR, keeps
// the connection, and still routes the message (processPub sends the error
// and returns nil; the same in 2.9.10 and later releases).
TEST_P(ProtocolTest, PedanticWildcardPublishGetsErrorAndIsStillRouted) {
  RawClient sub, pub;
  Open(&sub);
  ASSERT_TRUE(sub.Send("SUB wild.> 1\r\nPING\r\n"));
  ASSERT_TRUE(sub.Expect("PONG\r\n"));
  Open(&pub, "CONNECT {\"verbose\":false,\"pedantic\":true}\r\n");
  ASSERT_TRUE(pub.Send("PUB wild.* 3\r\nbad\r\nPUB wild.ok 4\r\ngood\r\nPING\r\n"));
  ASSERT_TRUE(pub.WaitFor("PONG\r\n"));
  EXPECT_EQ(pub.buffer(), "-ERR 'Invalid Publish Subject'\r\nPONG\r\n");
  ASSERT_TRUE(sub.WaitFor("MSG wild.ok 1 4\r\ngood\r\n")) << sub.buffer();
  EXPECT_EQ(sub.buffer(), "MSG wild.* 1 3\r\nbad\r\nMSG wild.ok 1 4\r\ngood\r\n");
}

TEST_P(ProtocolTest, PubSubBeforeConnectWithoutAuth) {
  RawClient c;
  Open(&c, "");
  ASSERT_TRUE(c.Send("SUB early 1\r\nPUB early 5\r\nhello\r\nPING\r\n"));
  ASSERT_TRUE(c.WaitFor("PONG\r\n")) << c.buffer();
  EXPECT_NE(c.buffer().find("MSG early 1 5\r\nhello\r\n"), std::string::npos) << c.buffer();
  EXPECT_EQ(Count(c.buffer(), "-ERR"), 0u) << c.buffer();
}

TEST_P(ProtocolTest, MessageFramingExact) {
  RawClient c;
  Open(&c);
  ASSERT_TRUE(
      c.Send("sub frame.> 9\r\n"                       // ops are case-insensitive
             "PUB\tframe.a\t \treply.to  2\r\nhi\r\n"  // any run of tabs/spaces separates
             "PUB frame.zero 0\r\n\r\n"
             "SUB frame.q workers 10\r\n"
             "pub frame.q 3\r\nabc\r\n"
             "PING\r\n"));
  ASSERT_TRUE(c.WaitFor("PONG\r\n"));
  EXPECT_EQ(c.buffer(),
            "MSG frame.a 9 reply.to 2\r\nhi\r\n"
            "MSG frame.zero 9 0\r\n\r\n"
            "MSG frame.q 9 3\r\nabc\r\n"
            "MSG frame.q 10 3\r\nabc\r\n"
            "PONG\r\n");
}

TEST_P(ProtocolTest, HeadersToHeaderAndNonHeaderSubscribers) {
  RawClient plain, hdr, pub;
  Open(&plain,
       "CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":false}\r\nSUB hh 1\r\nPING\r\n");
  ASSERT_TRUE(plain.Expect("PONG\r\n"));
  Open(&hdr, std::string(kConnectHeaders) + "SUB hh 7\r\nPING\r\n");
  ASSERT_TRUE(hdr.Expect("PONG\r\n"));
  Open(&pub, kConnectHeaders);
  std::string headers = "NATS/1.0\r\nX-Trace: Abc\r\nx-lower: v\r\n\r\n";
  ASSERT_TRUE(pub.Send(absl::StrCat("HPUB hh r.1 ", headers.size(), " ", headers.size() + 2, "\r\n",
                                    headers, "hi\r\nPING\r\n")));
  ASSERT_TRUE(pub.Expect("PONG\r\n"));
  // Headers stripped: payload length only.
  ASSERT_TRUE(plain.WaitFor("hi\r\n")) << plain.buffer();
  EXPECT_EQ(plain.buffer(), "MSG hh 1 r.1 2\r\nhi\r\n");
  std::string want = absl::StrCat("HMSG hh 7 r.1 ", headers.size(), " ", headers.size() + 2, "\r\n",
                                  headers, "hi\r\n");
  ASSERT_TRUE(hdr.WaitFor(want)) << hdr.buffer();
  // Drop the post-CONNECT INFO a newer server may push.
  EXPECT_TRUE(absl::EndsWith(hdr.buffer(), want)) << hdr.buffer();
}

TEST_P(ProtocolTest, NoRespondersStatusMessageBytes) {
  RawClient c;
  Open(
      &c,
      "CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":true,\"no_responders\":true}\r\n");
  ASSERT_TRUE(c.Send("SUB _INBOX.abc.* 5\r\nPUB nobody.here _INBOX.abc.1 2\r\nhi\r\nPING\r\n"));
  ASSERT_TRUE(c.WaitFor("PONG\r\n"));
  std::string want = meridian()
                         // Newer servers name the subject (spec §7): 32 + len(subject).
                         ? "HMSG _INBOX.abc.1 5 43 43\r\nNATS/1.0 503\r\nNats-Subject: "
                           "nobody.here\r\n\r\n\r\nPONG\r\n"
                         // nats-server 2.9.10: the bare status.
                         : "HMSG _INBOX.abc.1 5 16 16\r\nNATS/1.0 503\r\n\r\n\r\nPONG\r\n";
  EXPECT_EQ(c.buffer(), want);
  c.Clear();
  // HPUB requests get the same; a request without a subscription on its
  // reply subject, or a plain publish, gets nothing.
  ASSERT_TRUE(
      c.Send("HPUB nobody.here _INBOX.abc.2 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"
             "PUB nobody.here _INBOX.other.1 2\r\nhi\r\n"
             "PUB nobody.here 2\r\nhi\r\nPING\r\n"));
  ASSERT_TRUE(c.WaitFor("PONG\r\n"));
  EXPECT_TRUE(absl::StartsWith(c.buffer(), "HMSG _INBOX.abc.2 5 ")) << c.buffer();
  EXPECT_EQ(Count(c.buffer(), "HMSG"), 1u) << c.buffer();
  // Without no_responders nothing is sent.
  RawClient quiet;
  Open(&quiet, kConnectHeaders);
  ASSERT_TRUE(quiet.Send("SUB _INBOX.q.* 1\r\nPUB nobody.here _INBOX.q.1 2\r\nhi\r\nPING\r\n"));
  ASSERT_TRUE(quiet.WaitFor("PONG\r\n"));
  EXPECT_EQ(Count(quiet.buffer(), "503"), 0u) << quiet.buffer();
}

TEST_P(ProtocolTest, NoRespondersNotSentWhenSomeoneListens) {
  RawClient responder, c;
  Open(&responder);
  ASSERT_TRUE(responder.Send("SUB svc.x 1\r\nPING\r\n"));
  ASSERT_TRUE(responder.Expect("PONG\r\n"));
  Open(
      &c,
      "CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":true,\"no_responders\":true}\r\n");
  ASSERT_TRUE(c.Send("SUB _INBOX.r.* 5\r\nPUB svc.x _INBOX.r.1 2\r\nhi\r\nPING\r\n"));
  ASSERT_TRUE(c.WaitFor("PONG\r\n"));
  EXPECT_EQ(Count(c.buffer(), "503"), 0u) << c.buffer();
  ASSERT_TRUE(responder.WaitFor("MSG svc.x 1 _INBOX.r.1 2\r\nhi\r\n"));
}

// A frame split over many writes (and so, usually, many reads) is one frame.
TEST_P(ProtocolTest, FramesSplitAcrossWrites) {
  RawClient sub, pub;
  Open(&sub);
  ASSERT_TRUE(sub.Send("SUB half.frame 1\r\nPING\r\n"));
  ASSERT_TRUE(sub.Expect("PONG\r\n"));
  Open(&pub, kConnectHeaders);
  // The pauses only make separate TCP segments likely; the outcome must not
  // depend on them.
  std::vector<std::string> pieces = {"PU",      "B half", ".fra", "me 1", "1\r",
                                     "\nhello", " worl",  "d\r",  "\n"};
  for (const std::string& p : pieces) {
    ASSERT_TRUE(pub.Send(p));
    absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_TRUE(sub.WaitFor("MSG half.frame 1 11\r\nhello world\r\n")) << sub.buffer();
  sub.Clear();
  // Every byte on its own, a PUB and an HPUB.
  std::string frames =
      "PUB half.frame 3\r\nabc\r\nHPUB half.frame 12 15\r\nNATS/1.0\r\n\r\nxyz\r\n";
  for (char ch : frames) ASSERT_TRUE(pub.Send(std::string(1, ch)));
  ASSERT_TRUE(pub.PingPong());
  ASSERT_TRUE(sub.WaitFor("MSG half.frame 1 3\r\nxyz\r\n")) << sub.buffer();
  EXPECT_EQ(sub.buffer(), "MSG half.frame 1 3\r\nabc\r\nMSG half.frame 1 3\r\nxyz\r\n");
  // A large payload arriving in pieces.
  sub.Clear();
  std::string big(300000, 'b');
  ASSERT_TRUE(pub.Send(absl::StrCat("PUB half.frame ", big.size(), "\r\n", big.substr(0, 1000))));
  absl::SleepFor(absl::Milliseconds(5));
  ASSERT_TRUE(pub.Send(big.substr(1000) + "\r"));
  absl::SleepFor(absl::Milliseconds(5));
  ASSERT_TRUE(pub.Send("\n"));
  ASSERT_TRUE(pub.PingPong());
  std::string want = absl::StrCat("MSG half.frame 1 ", big.size(), "\r\n", big, "\r\n");
  ASSERT_TRUE(sub.WaitFor(want));
  EXPECT_EQ(sub.buffer().size(), want.size());
}

TEST_P(ProtocolTest, ClientVanishingMidMessageDisturbsNobody) {
  RawClient sub;
  Open(&sub);
  ASSERT_TRUE(sub.Send("SUB vanish 1\r\nPING\r\n"));
  ASSERT_TRUE(sub.Expect("PONG\r\n"));
  for (const std::string& partial :
       {std::string("PUB vanish 100\r\nhalf of it"), std::string("PUB vani"),
        std::string("HPUB vanish 12 20\r\nNATS/1.0\r\n"), std::string("SUB vanish 2")}) {
    RawClient gone;
    Open(&gone, kConnectHeaders);
    ASSERT_TRUE(gone.Send(partial));
    gone.Close();
  }
  RawClient pub;
  Open(&pub);
  ASSERT_TRUE(pub.Send("PUB vanish 2\r\nok\r\nPING\r\n"));
  ASSERT_TRUE(pub.Expect("PONG\r\n"));
  ASSERT_TRUE(sub.WaitFor("MSG vanish 1 2\r\nok\r\n")) << sub.buffer();
  EXPECT_EQ(sub.buffer(), "MSG vanish 1 2\r\nok\r\n");
  EXPECT_TRUE(sub.PingPong());
}

TEST_P(ProtocolTest, UnsubWithMaxAcrossConnections) {
  RawClient sub, pub;
  Open(&sub);
  ASSERT_TRUE(sub.Send("SUB au.x 1\r\nUNSUB 1 3\r\nSUB au.done 2\r\nPING\r\n"));
  ASSERT_TRUE(sub.Expect("PONG\r\n"));
  Open(&pub);
  std::string batch;
  for (int i = 0; i < 10; ++i) absl::StrAppend(&batch, "PUB au.x 1\r\n", i, "\r\n");
  ASSERT_TRUE(pub.Send(batch + "PUB au.done 0\r\n\r\nPING\r\n"));
  ASSERT_TRUE(pub.Expect("PONG\r\n"));
  ASSERT_TRUE(sub.WaitFor("MSG au.done 2 0\r\n\r\n")) << sub.buffer();
  EXPECT_EQ(
      sub.buffer(),
      "MSG au.x 1 1\r\n0\r\nMSG au.x 1 1\r\n1\r\nMSG au.x 1 1\r\n2\r\nMSG au.done 2 0\r\n\r\n");
}

// "UNSUB <sid> <max>" counts the deliveries made before it (spec §5: after
// that many *total* deliveries); when they already reach max, the
// subscription ends at once.
TEST_P(ProtocolTest, UnsubMaxCountsEarlierDeliveries) {
  RawClient c;
  Open(&c);
  ASSERT_TRUE(c.Send(
      "SUB au 1\r\nPUB au 1\r\na\r\nPUB au 1\r\nb\r\nUNSUB 1 2\r\nPUB au 1\r\nc\r\nPING\r\n"));
  ASSERT_TRUE(c.WaitFor("PONG\r\n"));
  EXPECT_EQ(c.buffer(), "MSG au 1 1\r\na\r\nMSG au 1 1\r\nb\r\nPONG\r\n");
  c.Clear();
  ASSERT_TRUE(
      c.Send("SUB bu 2\r\nPUB bu 1\r\na\r\nUNSUB 2 3\r\nPUB bu 1\r\nb\r\nPUB bu 1\r\nc\r\n"
             "PUB bu 1\r\nd\r\nPING\r\n"));
  ASSERT_TRUE(c.WaitFor("PONG\r\n"));
  EXPECT_EQ(c.buffer(), "MSG bu 2 1\r\na\r\nMSG bu 2 1\r\nb\r\nMSG bu 2 1\r\nc\r\nPONG\r\n");
}

// Once a publisher's PING is answered, what it published is queued to every
// subscriber ahead of anything they are sent later: a subscriber's PONG
// that follows cannot overtake it. nats-server delivers in the publisher's
// read loop, so this always holds there; clients and their test suites rely
// on "publish, flush, then look".
TEST_P(ProtocolTest, FlushIsABarrierAcrossConnections) {
  RawClient sub, pub;  // consecutive connections: different frontend loops
  Open(&sub);
  ASSERT_TRUE(sub.Send("SUB barrier 1\r\nPING\r\n"));
  ASSERT_TRUE(sub.Expect("PONG\r\n"));
  Open(&pub);
  ASSERT_TRUE(pub.PingPong());
  int overtaken = 0;
  constexpr int kRounds = 300;
  for (int i = 0; i < kRounds; ++i) {
    ASSERT_TRUE(pub.Send("PUB barrier 1\r\nx\r\nPING\r\n"));
    ASSERT_TRUE(pub.Expect("PONG\r\n"));
    ASSERT_TRUE(sub.Send("PING\r\n"));
    ASSERT_TRUE(sub.WaitFor("PONG\r\n"));
    if (!absl::StartsWith(sub.buffer(), "MSG barrier 1 1\r\nx\r\n")) {
      ++overtaken;
      ASSERT_TRUE(sub.WaitFor("MSG barrier 1 1\r\nx\r\n"));
    }
    sub.Clear();
  }
  EXPECT_EQ(overtaken, 0) << "the subscriber's PONG overtook a flushed message " << overtaken
                          << " times in " << kRounds;
}

// With a publisher flooding "unsub.flood" from another connection: in how
// many of `rounds` rounds a message of that subject arrived after the PONG
// that answers `unsub_ops` + PING, on a fresh subscriber each round (new
// connections alternate between the frontend's loops).
int LateDeliveries(TestServer& server, const std::string& unsub_ops, int rounds) {
  RawClient pub;
  if (!pub.ConnectAndReadInfo(server.host(), server.port()) || !pub.Send(kConnect) ||
      !pub.PingPong()) {
    ADD_FAILURE() << "publisher did not connect";
    return -1;
  }
  std::atomic<bool> stop{false};
  std::thread flood([&] {
    std::string batch;
    for (int i = 0; i < 50; ++i) batch += "PUB unsub.flood 1\r\nx\r\n";
    while (!stop.load() && pub.Send(batch)) {
    }
  });
  int late = 0;
  for (int round = 0; round < rounds; ++round) {
    RawClient sub;
    if (!sub.ConnectAndReadInfo(server.host(), server.port()) ||
        !sub.Send(std::string(kConnect) + "SUB unsub.flood 1\r\n") ||
        !sub.Expect("MSG unsub.flood 1 1\r\nx\r\n")) {
      ADD_FAILURE() << "no message before the UNSUB";
      break;
    }
    if (!sub.Send(unsub_ops + "PING\r\n") || !sub.Expect("PONG\r\n")) {
      ADD_FAILURE() << "no PONG";
      break;
    }
    sub.Clear();
    sub.Drain(absl::Milliseconds(20));
    if (sub.buffer().find("MSG unsub.flood") != std::string::npos) ++late;
  }
  stop = true;
  flood.join();
  return late;
}

// Once the server has answered the PING that follows an UNSUB, nothing more
// arrives for that sid, even with a publisher on another loop flooding the
// subject.
TEST_P(ProtocolTest, NoDeliveryAfterUnsubIsAcknowledged) {
  constexpr int kRounds = 60;
  int late = LateDeliveries(server(), "UNSUB 1\r\n", kRounds);
  EXPECT_EQ(late, 0) << "messages arrived after the UNSUB was acknowledged in " << late << " of "
                     << kRounds << " rounds";
}

// A sid reused for another subject right after its UNSUB gets nothing of the
// old subscription.
TEST_P(ProtocolTest, ReusedSidGetsNothingOfTheOldSubscription) {
  constexpr int kRounds = 60;
  int late = LateDeliveries(server(), "UNSUB 1\r\nSUB unsub.other 1\r\n", kRounds);
  EXPECT_EQ(late, 0) << "the old subject's messages arrived under the reused sid after the PONG in "
                     << late << " of " << kRounds << " rounds";
}

TEST_P(ProtocolTest, EchoFalseSkipsOwnSubscriptions) {
  RawClient c, other;
  Open(&c, "CONNECT {\"verbose\":false,\"pedantic\":false,\"echo\":false}\r\n");
  ASSERT_TRUE(c.Send("SUB e 1\r\nPUB e 4\r\nmine\r\nPING\r\n"));
  ASSERT_TRUE(c.WaitFor("PONG\r\n"));
  EXPECT_EQ(c.buffer(), "PONG\r\n");
  c.Clear();
  Open(&other);
  ASSERT_TRUE(other.Send("PUB e 6\r\ntheirs\r\nPING\r\n"));
  ASSERT_TRUE(other.Expect("PONG\r\n"));
  ASSERT_TRUE(c.WaitFor("MSG e 1 6\r\ntheirs\r\n")) << c.buffer();
}

MERIDIAN_CORE_INSTANTIATE(ProtocolTest);

}  // namespace
}  // namespace meridian::testing
