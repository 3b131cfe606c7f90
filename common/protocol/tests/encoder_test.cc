#include "common/protocol/encoder.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "common/protocol/tests/parse_helpers.h"
#include "common/protocol/tests/recording_handler.h"

namespace meridian::protocol {
namespace {

using ::meridian::protocol::testing::Ev;
using ::meridian::protocol::testing::Event;
using ::meridian::protocol::testing::ParseResult;
using ::meridian::protocol::testing::ParseWhole;

TEST(EncoderTest, WriteUint) {
  char buf[kMaxUintDigits];
  auto str = [&](uint64_t v) {
    return std::string(buf, static_cast<size_t>(WriteUint(buf, v) - buf));
  };
  EXPECT_EQ(str(0), "0");
  EXPECT_EQ(str(7), "7");
  EXPECT_EQ(str(1048576), "1048576");
  EXPECT_EQ(str(std::numeric_limits<uint64_t>::max()), "18446744073709551615");
}

TEST(EncoderTest, MsgHeader) {
  std::string out;
  AppendMsgHeader(&out, "foo.bar", "12", "", 5);
  EXPECT_EQ(out, "MSG foo.bar 12 5\r\n");
  out.clear();
  AppendMsgHeader(&out, "foo", "1", "_INBOX.abc", 0);
  EXPECT_EQ(out, "MSG foo 1 _INBOX.abc 0\r\n");
}

TEST(EncoderTest, HmsgHeader) {
  std::string out;
  AppendHmsgHeader(&out, "foo", "1", "", 12, 14);
  EXPECT_EQ(out, "HMSG foo 1 12 14\r\n");
  out.clear();
  AppendHmsgHeader(&out, "foo", "1", "r", 12, 12);
  EXPECT_EQ(out, "HMSG foo 1 r 12 12\r\n");
}

TEST(EncoderTest, WriteStaysWithinMaxSize) {
  const std::string subject(200, 's');
  const std::string reply(100, 'r');
  std::vector<char> buf(HmsgHeaderMaxSize(subject, "123456", reply));
  char* end = WriteHmsgHeader(buf.data(), subject, "123456", reply,
                              std::numeric_limits<uint64_t>::max(),
                              std::numeric_limits<uint64_t>::max());
  EXPECT_LE(static_cast<size_t>(end - buf.data()), buf.size());
  std::vector<char> mbuf(MsgHeaderMaxSize(subject, "1", reply));
  end = WriteMsgHeader(mbuf.data(), subject, "1", reply,
                       std::numeric_limits<uint64_t>::max());
  EXPECT_LE(static_cast<size_t>(end - mbuf.data()), mbuf.size());
}

TEST(EncoderTest, NoRespondersFrameMatchesSpec) {
  // client-protocol.md §7: L = 32 + len(subject).
  const std::string subject = "req.x";
  const std::string hdr =
      "NATS/1.0 503\r\nNats-Subject: " + subject + "\r\n\r\n";
  std::string out;
  AppendHmsg(&out, "_INBOX.r", "9", "", hdr, "");
  const std::string l = std::to_string(32 + subject.size());
  EXPECT_EQ(out, "HMSG _INBOX.r 9 " + l + " " + l + "\r\n" + hdr + "\r\n");
}

TEST(EncoderTest, ControlLines) {
  std::string out;
  AppendInfo(&out, "{\"a\":1}");
  AppendErr(&out, "Unknown Protocol Operation");
  out += kPingLine;
  out += kPongLine;
  out += kOkLine;
  EXPECT_EQ(out,
            "INFO {\"a\":1} \r\n-ERR 'Unknown Protocol Operation'\r\n"
            "PING\r\nPONG\r\n+OK\r\n");
  EXPECT_EQ(UnquoteErr("'Stale Connection'"), "Stale Connection");
  EXPECT_EQ(UnquoteErr("plain"), "plain");
  EXPECT_EQ(UnquoteErr("'"), "'");
}

TEST(EncoderTest, ServerOutputParsesInClientMode) {
  std::string out;
  AppendInfo(&out, "{}");
  AppendMsg(&out, "foo", "1", "", "hello");
  AppendMsg(&out, "foo", "2", "reply.to", "");
  AppendHmsg(&out, "bar", "3", "r", "NATS/1.0\r\n\r\n", "x");
  AppendErr(&out, "Maximum Payload Violation");
  ParseResult r = ParseWhole<Mode::kClient>(out);
  EXPECT_EQ(r.error, ParseError::kNone);
  EXPECT_EQ(r.events,
            (std::vector<Event>{
                Ev("INFO", {"{} "}), Ev("MSG", {"foo", "1", "", "", "hello"}),
                Ev("MSG", {"foo", "2", "reply.to", "", ""}),
                Ev("MSG", {"bar", "3", "r", "NATS/1.0\r\n\r\n", "x"}),
                Ev("-ERR", {"'Maximum Payload Violation'"})}));
}

TEST(EncoderTest, ClientOutputParsesInServerMode) {
  std::string out;
  AppendConnect(&out, "{\"verbose\":false}");
  AppendSub(&out, "foo.*", "", "1");
  AppendSub(&out, "foo.>", "q", "2");
  AppendPub(&out, "foo.a", "", "hi");
  AppendPub(&out, "foo.b", "r", "");
  AppendHpub(&out, "foo.c", "", "NATS/1.0\r\n\r\n", "yo");
  AppendUnsub(&out, "1");
  AppendUnsub(&out, "2", 10);
  ParseResult r = ParseWhole<Mode::kServer>(out);
  EXPECT_EQ(r.error, ParseError::kNone);
  EXPECT_EQ(r.events,
            (std::vector<Event>{
                Ev("CONNECT", {"{\"verbose\":false}"}),
                Ev("SUB", {"foo.*", "", "1"}), Ev("SUB", {"foo.>", "q", "2"}),
                Ev("PUB", {"foo.a", "", "hi"}), Ev("PUB", {"foo.b", "r", ""}),
                Ev("HPUB", {"foo.c", "", "NATS/1.0\r\n\r\n", "yo"}),
                Ev("UNSUB", {"1", "-"}), Ev("UNSUB", {"2", "10"})}));
}

}  // namespace
}  // namespace meridian::protocol
