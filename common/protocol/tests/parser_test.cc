#include "common/protocol/parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/protocol/encoder.h"
#include "common/protocol/errors.h"
#include "common/testing/alloc_counter.h"
#include "common/protocol/tests/parse_helpers.h"
#include "common/protocol/tests/recording_handler.h"

namespace meridian::protocol {
namespace {

using ::meridian::protocol::testing::Ev;
using ::meridian::protocol::testing::Event;
using ::meridian::protocol::testing::ParseBytewise;
using ::meridian::protocol::testing::ParseResult;
using ::meridian::protocol::testing::ParseWhole;
using ::meridian::protocol::testing::ParseWithCuts;
using ::meridian::protocol::testing::RecordingHandler;

// Parses `input` whole, split in two at every byte, and byte by byte; all
// must give `want` events and `want_error`. Fed whole, every view must point
// into the input (zero-copy).
template <Mode kMode>
void ExpectParse(std::string_view input, const std::vector<Event>& want,
                 ParseError want_error = ParseError::kNone,
                 const ParserOptions& options = {}) {
  SCOPED_TRACE(::testing::Message()
               << "input: " << Ev("", {std::string(input)}));
  ParseResult whole = ParseWhole<kMode>(input, options);
  EXPECT_EQ(whole.events, want);
  EXPECT_EQ(whole.error, want_error);
  EXPECT_FALSE(whole.view_outside_chunk) << "a view was copied";
  for (size_t cut = 1; cut < input.size(); ++cut) {
    ParseResult r = ParseWithCuts<kMode>(input, {cut}, options);
    ASSERT_EQ(r.events, want) << "cut at " << cut;
    ASSERT_EQ(r.error, want_error) << "cut at " << cut;
  }
  ParseResult bytes = ParseBytewise<kMode>(input, options);
  EXPECT_EQ(bytes.events, want) << "byte by byte";
  EXPECT_EQ(bytes.error, want_error) << "byte by byte";
}

void ExpectServer(std::string_view input, const std::vector<Event>& want,
                  ParseError want_error = ParseError::kNone,
                  const ParserOptions& options = {}) {
  ExpectParse<Mode::kServer>(input, want, want_error, options);
}

void ExpectClient(std::string_view input, const std::vector<Event>& want,
                  ParseError want_error = ParseError::kNone,
                  const ParserOptions& options = {}) {
  ExpectParse<Mode::kClient>(input, want, want_error, options);
}

// --- server mode: every operation ------------------------------------------

TEST(ParserTest, Connect) {
  ExpectServer("CONNECT {\"verbose\":false,\"pedantic\":false}\r\n",
               {Ev("CONNECT", {"{\"verbose\":false,\"pedantic\":false}"})});
  ExpectServer("connect\t {}\r\n", {Ev("CONNECT", {"{}"})});
  ExpectServer("CoNnEcT {\"a\":\"b c\"}\n",
               {Ev("CONNECT", {"{\"a\":\"b c\"}"})});
  // As upstream: no blank needed, and an empty argument is passed through.
  ExpectServer("CONNECT{}\r\n", {Ev("CONNECT", {"{}"})});
  ExpectServer("CONNECT\r\n", {Ev("CONNECT", {""})});
}

TEST(ParserTest, Pub) {
  ExpectServer("PUB foo 5\r\nhello\r\n", {Ev("PUB", {"foo", "", "hello"})});
  ExpectServer("PUB foo.bar _INBOX.x.y 3\r\nabc\r\n",
               {Ev("PUB", {"foo.bar", "_INBOX.x.y", "abc"})});
  ExpectServer("pub foo 1\r\nx\r\n", {Ev("PUB", {"foo", "", "x"})});
  ExpectServer("pUb foo 1\r\nx\r\n", {Ev("PUB", {"foo", "", "x"})});
  ExpectServer("PUB\tfoo\t \treply  \t 2\r\nhi\r\n",
               {Ev("PUB", {"foo", "reply", "hi"})});
  ExpectServer("PUB foo 2  \r\nhi\r\n", {Ev("PUB", {"foo", "", "hi"})});
}

TEST(ParserTest, PubZeroLengthAndBinaryPayload) {
  ExpectServer("PUB foo 0\r\n\r\n", {Ev("PUB", {"foo", "", ""})});
  ExpectServer("PUB foo r 0\r\n\r\n", {Ev("PUB", {"foo", "r", ""})});
  std::string payload("a\0b\r\nPUB x 1\r\n\xff", 15);
  ExpectServer("PUB foo 15\r\n" + payload + "\r\n",
               {Ev("PUB", {"foo", "", payload})});
}

TEST(ParserTest, PubControlLineWithBareLf) {
  // nats-server ends control lines at '\n' and drops a preceding '\r'.
  ExpectServer("PUB foo 2\nhi\r\n", {Ev("PUB", {"foo", "", "hi"})});
}

TEST(ParserTest, Hpub) {
  const std::string hdr = "NATS/1.0\r\nA: b\r\n\r\n";  // 18 bytes
  ExpectServer("HPUB foo 18 20\r\n" + hdr + "hi\r\n",
               {Ev("HPUB", {"foo", "", hdr, "hi"})});
  ExpectServer("hpub foo rep 18 20\r\n" + hdr + "hi\r\n",
               {Ev("HPUB", {"foo", "rep", hdr, "hi"})});
  ExpectServer("HPUB\tfoo\t18\t18\r\n" + hdr + "\r\n",
               {Ev("HPUB", {"foo", "", hdr, ""})});
  ExpectServer("HPUB foo 0 0\r\n\r\n", {Ev("HPUB", {"foo", "", "", ""})});
}

TEST(ParserTest, Sub) {
  ExpectServer("SUB foo 1\r\n", {Ev("SUB", {"foo", "", "1"})});
  ExpectServer("SUB foo.* workers 22\r\n",
               {Ev("SUB", {"foo.*", "workers", "22"})});
  ExpectServer("sub\tfoo.>\t\tq  sid-x \r\n",
               {Ev("SUB", {"foo.>", "q", "sid-x"})});
}

TEST(ParserTest, Unsub) {
  ExpectServer("UNSUB 1\r\n", {Ev("UNSUB", {"1", "-"})});
  ExpectServer("unsub 1 10\r\n", {Ev("UNSUB", {"1", "10"})});
  ExpectServer("UNSUB\t7\t0\r\n", {Ev("UNSUB", {"7", "0"})});
  // Upstream treats an unparsable max like no max (unsubscribe now).
  ExpectServer("UNSUB 1 abc\r\n", {Ev("UNSUB", {"1", "-"})});
}

TEST(ParserTest, PingPongOkErrInfo) {
  ExpectServer("PING\r\n", {Ev("PING")});
  ExpectServer("ping\n", {Ev("PING")});
  ExpectServer("PONG\r\n", {Ev("PONG")});
  ExpectServer("pong\r\n", {Ev("PONG")});
  ExpectServer("+OK\r\n", {Ev("+OK")});
  ExpectServer("+ok\r\n", {Ev("+OK")});
  ExpectServer("-ERR 'Unknown Protocol Operation'\r\n",
               {Ev("-ERR", {"'Unknown Protocol Operation'"})});
  ExpectServer("INFO {\"server_id\":\"x\"} \r\n",
               {Ev("INFO", {"{\"server_id\":\"x\"} "})});
  // nats-server ignores whatever follows PING up to the newline.
  ExpectServer("PINGxyz\r\n", {Ev("PING")});
}

TEST(ParserTest, Pipelined) {
  std::string in =
      "CONNECT {\"verbose\":false}\r\nPING\r\nSUB foo 1\r\nSUB bar q 2\r\n"
      "PUB foo 5\r\nhello\r\nHPUB bar r 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"
      "PUB foo 0\r\n\r\nUNSUB 1 5\r\nPONG\r\n";
  ExpectServer(
      in, {Ev("CONNECT", {"{\"verbose\":false}"}), Ev("PING"),
           Ev("SUB", {"foo", "", "1"}), Ev("SUB", {"bar", "q", "2"}),
           Ev("PUB", {"foo", "", "hello"}),
           Ev("HPUB", {"bar", "r", "NATS/1.0\r\n\r\n", "hi"}),
           Ev("PUB", {"foo", "", ""}), Ev("UNSUB", {"1", "5"}), Ev("PONG")});
}

// --- client mode -------------------------------------------------------------

TEST(ParserTest, ClientMsg) {
  ExpectClient("MSG foo 1 5\r\nhello\r\n",
               {Ev("MSG", {"foo", "1", "", "", "hello"})});
  ExpectClient("msg foo.bar 9 _INBOX.a 2\r\nhi\r\n",
               {Ev("MSG", {"foo.bar", "9", "_INBOX.a", "", "hi"})});
  ExpectClient("MSG\tfoo\t1\t0\r\n\r\n", {Ev("MSG", {"foo", "1", "", "", ""})});
}

TEST(ParserTest, ClientHmsg) {
  const std::string hdr = "NATS/1.0 503\r\n\r\n";  // 16 bytes
  ExpectClient("HMSG foo 1 16 16\r\n" + hdr + "\r\n",
               {Ev("MSG", {"foo", "1", "", hdr, ""})});
  ExpectClient("hmsg foo 1 rep 16 18\r\n" + hdr + "hi\r\n",
               {Ev("MSG", {"foo", "1", "rep", hdr, "hi"})});
}

TEST(ParserTest, ClientControl) {
  ExpectClient(
      "INFO {\"max_payload\":1048576} \r\nPING\r\nPONG\r\n+OK\r\n"
      "-ERR 'Stale Connection'\r\n",
      {Ev("INFO", {"{\"max_payload\":1048576} "}), Ev("PING"), Ev("PONG"),
       Ev("+OK"), Ev("-ERR", {"'Stale Connection'"})});
}

TEST(ParserTest, ModesRejectTheOtherDirection) {
  ExpectClient("PUB foo 1\r\nx\r\n", {}, ParseError::kUnknownOp);
  ExpectClient("HPUB foo 0 1\r\nx\r\n", {}, ParseError::kUnknownOp);
  ExpectClient("SUB foo 1\r\n", {}, ParseError::kUnknownOp);
  ExpectClient("UNSUB 1\r\n", {}, ParseError::kUnknownOp);
  ExpectClient("CONNECT {}\r\n", {}, ParseError::kUnknownOp);
  ExpectServer("MSG foo 1 1\r\nx\r\n", {}, ParseError::kUnknownOp);
  ExpectServer("HMSG foo 1 0 1\r\nx\r\n", {}, ParseError::kUnknownOp);
}

// --- errors ------------------------------------------------------------------

TEST(ParserTest, UnknownOperations) {
  for (const char* in :
       {"FOO\r\n", "PUX foo 1\r\n", "PUBX foo 1\r\n", "PUB\r\n", "-ERR\r\n",
        "\r\n", " PING\r\n", "PIN\r\n", "+OX\r\n", "SUBfoo 1\r\n", "UNSUB\r\n",
        "HPUX\r\n", "CONNEXT {}\r\n", "INFX {}\r\n", "R+ x\r\n", "A+ x\r\n",
        "LS+ x\r\n"}) {
    ExpectServer(in, {}, ParseError::kUnknownOp);
  }
  // Operations before the bad one are delivered.
  ExpectServer("PING\r\nXXX\r\n", {Ev("PING")}, ParseError::kUnknownOp);
}

TEST(ParserTest, PayloadMustEndWithCrLf) {
  ExpectServer("PUB foo 1\r\nab\r\n", {}, ParseError::kUnknownOp);
  ExpectServer("PUB foo 1\r\na\n", {}, ParseError::kUnknownOp);
  ExpectServer("PUB foo 1\r\na\rX", {}, ParseError::kUnknownOp);
  ExpectServer("PUB foo 3\r\nab\r\n\r\n", {}, ParseError::kUnknownOp);
  ExpectClient("MSG foo 1 1\r\nab\r\n", {}, ParseError::kUnknownOp);
}

TEST(ParserTest, PubArgumentErrors) {
  ExpectServer("PUB foo\r\n", {}, ParseError::kPubArgs);
  ExpectServer("PUB \r\n", {}, ParseError::kPubArgs);
  ExpectServer("PUB a b c 1\r\n", {}, ParseError::kPubArgs);
  ExpectServer("PUB foo bar\r\n", {}, ParseError::kPubSize);
  ExpectServer("PUB foo -1\r\n", {}, ParseError::kPubSize);
  ExpectServer("PUB foo 1x\r\n", {}, ParseError::kPubSize);
  ExpectServer("PUB foo 1234567890\r\n", {}, ParseError::kPubSize);
}

TEST(ParserTest, HpubArgumentErrors) {
  ExpectServer("HPUB foo 1\r\n", {}, ParseError::kHpubArgs);
  ExpectServer("HPUB a b c d e\r\n", {}, ParseError::kHpubArgs);
  ExpectServer("HPUB foo x 10\r\n", {}, ParseError::kHpubHeaderSize);
  ExpectServer("HPUB foo r x 10\r\n", {}, ParseError::kHpubHeaderSize);
  ExpectServer("HPUB foo 1 x\r\n", {}, ParseError::kHpubTotalSize);
  ExpectServer("HPUB foo 10 5\r\n", {}, ParseError::kHpubHeaderTooLarge);
}

TEST(ParserTest, HpubWithoutHeadersNegotiated) {
  ParserOptions options;
  options.headers = false;
  ExpectServer("PING\r\nHPUB foo 12 12\r\nNATS/1.0\r\n\r\n\r\n", {Ev("PING")},
               ParseError::kHeadersNotSupported, options);
  // PUB still works.
  ExpectServer("PUB foo 1\r\nx\r\n", {Ev("PUB", {"foo", "", "x"})},
               ParseError::kNone, options);
}

TEST(ParserTest, SubAndUnsubArgumentErrors) {
  ExpectServer("SUB foo\r\n", {}, ParseError::kSubArgs);
  ExpectServer("SUB \r\n", {}, ParseError::kSubArgs);
  ExpectServer("SUB a b c d\r\n", {}, ParseError::kSubArgs);
  ExpectServer("UNSUB \r\n", {}, ParseError::kUnsubArgs);
  ExpectServer("UNSUB 1 2 3\r\n", {}, ParseError::kUnsubArgs);
}

TEST(ParserTest, ClientArgumentErrors) {
  ExpectClient("MSG foo 1\r\n", {}, ParseError::kMsgArgs);
  ExpectClient("MSG a b c d e\r\n", {}, ParseError::kMsgArgs);
  ExpectClient("MSG foo 1 x\r\n", {}, ParseError::kMsgSize);
  ExpectClient("HMSG foo 1 2\r\n", {}, ParseError::kHmsgArgs);
  ExpectClient("HMSG foo 1 x 2\r\n", {}, ParseError::kHmsgHeaderSize);
  ExpectClient("HMSG foo 1 3 2\r\n", {}, ParseError::kHmsgHeaderSize);
  ExpectClient("HMSG foo 1 2 x\r\n", {}, ParseError::kHmsgTotalSize);
}

TEST(ParserTest, MaxControlLine) {
  ParserOptions options;
  options.max_control_line = 16;
  // The limit applies to the argument, without op name and CRLF.
  ExpectServer("SUB " + std::string(14, 'a') + " 1\r\n",
               {Ev("SUB", {std::string(14, 'a'), "", "1"})}, ParseError::kNone,
               options);
  ExpectServer("SUB " + std::string(15, 'a') + " 1\r\n", {},
               ParseError::kMaxControlLine, options);
  ExpectServer("SUB " + std::string(14, 'a') + " 1\n",
               {Ev("SUB", {std::string(14, 'a'), "", "1"})}, ParseError::kNone,
               options);
  // Detected without waiting for the end of the line.
  ExpectServer("PUB " + std::string(40, 'a'), {}, ParseError::kMaxControlLine,
               options);
  ExpectServer("CONNECT " + std::string(17, 'a'), {},
               ParseError::kMaxControlLine, options);
  // Junk after PING counts too (upstream has no bound there; we keep one).
  ExpectServer("PING" + std::string(40, ' ') + "\r\n", {},
               ParseError::kMaxControlLine, options);
  ExpectServer("PING" + std::string(16, ' ') + "\r\n", {Ev("PING")},
               ParseError::kNone, options);
}

TEST(ParserTest, MaxControlLineDefaultIs4096) {
  std::string json(4096, 'x');
  ParseResult ok = ParseWhole<Mode::kServer>("CONNECT " + json + "\r\n");
  EXPECT_EQ(ok.error, ParseError::kNone);
  ASSERT_EQ(ok.events.size(), 1u);
  ParseResult bad = ParseWhole<Mode::kServer>("CONNECT " + json + "x\r\n");
  EXPECT_EQ(bad.error, ParseError::kMaxControlLine);
  // A long line trickling in, 100 bytes at a time, is refused before its end.
  std::vector<size_t> cuts;
  std::string endless = "PUB " + std::string(100000, 'a');
  for (size_t i = 100; i < endless.size(); i += 100) cuts.push_back(i);
  EXPECT_EQ(ParseWithCuts<Mode::kServer>(endless, cuts).error,
            ParseError::kMaxControlLine);
}

TEST(ParserTest, MaxPayload) {
  ParserOptions options;
  options.max_payload = 4;
  ExpectServer("PUB foo 4\r\nabcd\r\n", {Ev("PUB", {"foo", "", "abcd"})},
               ParseError::kNone, options);
  ExpectServer("PUB foo 5\r\nabcde\r\n", {}, ParseError::kMaxPayload, options);
  ExpectServer("HPUB foo 2 5\r\nabcde\r\n", {}, ParseError::kMaxPayload,
               options);
  // Argument errors are reported before the size is checked, as upstream.
  ExpectServer("HPUB foo 6 5\r\n", {}, ParseError::kHpubHeaderTooLarge,
               options);
  options.max_payload = -1;
  ExpectServer("PUB foo 5\r\nabcde\r\n", {Ev("PUB", {"foo", "", "abcde"})},
               ParseError::kNone, options);
}

TEST(ParserTest, DefaultMaxPayloadIsOneMiB) {
  std::string payload(1 << 20, 'p');
  ParseResult ok =
      ParseWhole<Mode::kServer>("PUB big 1048576\r\n" + payload + "\r\n");
  EXPECT_EQ(ok.error, ParseError::kNone);
  ASSERT_EQ(ok.events.size(), 1u);
  EXPECT_EQ(ok.events[0].fields[2].size(), payload.size());
  EXPECT_EQ(ParseWhole<Mode::kServer>("PUB big 1048577\r\n").error,
            ParseError::kMaxPayload);
}

TEST(ParserTest, ErrTextMatchesNatsServer) {
  EXPECT_EQ(ErrText(ParseError::kUnknownOp), "Unknown Protocol Operation");
  EXPECT_EQ(ErrText(ParseError::kMaxControlLine),
            "maximum control line exceeded");
  EXPECT_EQ(ErrText(ParseError::kMaxPayload), "Maximum Payload Violation");
  // nats-server closes without -ERR for these.
  for (ParseError e :
       {ParseError::kNone, ParseError::kHeadersNotSupported,
        ParseError::kPubArgs, ParseError::kPubSize, ParseError::kHpubArgs,
        ParseError::kHpubHeaderSize, ParseError::kHpubTotalSize,
        ParseError::kHpubHeaderTooLarge, ParseError::kSubArgs,
        ParseError::kUnsubArgs, ParseError::kStopped}) {
    EXPECT_EQ(ErrText(e), "") << ErrorDescription(e);
  }
  EXPECT_EQ(ErrorDescription(ParseError::kPubArgs), "processPub Parse Error");
  EXPECT_EQ(ErrorDescription(ParseError::kHpubHeaderTooLarge),
            "processHeaderPub Header Size larger then TotalSize");
}

TEST(ParserTest, ErrorIsStickyAndHasContext) {
  RecordingHandler h;
  ServerParser<RecordingHandler> p(&h);
  EXPECT_EQ(p.Feed("PING\r\nBOGUS stuff\r\n"), ParseError::kUnknownOp);
  EXPECT_EQ(p.error(), ParseError::kUnknownOp);
  EXPECT_EQ(p.error_context(), "BOGUS stuff\r\n");
  EXPECT_EQ(p.Feed("PING\r\n"), ParseError::kUnknownOp);
  EXPECT_EQ(h.events.size(), 1u);
  p.Reset();
  EXPECT_EQ(p.Feed("PING\r\n"), ParseError::kNone);
  EXPECT_EQ(h.events.size(), 2u);
}

TEST(ParserTest, HandlerCanStop) {
  std::string in = "PING\r\nPUB a 1\r\nx\r\nPING\r\n";
  for (size_t cut = 0; cut < in.size(); ++cut) {
    std::vector<size_t> cuts;
    if (cut > 0) cuts.push_back(cut);
    ParseResult r = ParseWithCuts<Mode::kServer>(in, cuts, {}, 2);
    EXPECT_EQ(r.events,
              (std::vector<Event>{Ev("PING"), Ev("PUB", {"a", "", "x"})}));
    EXPECT_EQ(r.error, ParseError::kStopped);
  }
}

// A handler returning void, which enables headers on CONNECT like the
// frontend will.
struct HeaderGate {
  ServerParser<HeaderGate>* parser = nullptr;
  int hpubs = 0;
  void OnConnect(std::string_view) { parser->set_headers(true); }
  void OnPub(std::string_view, std::string_view, std::string_view) {}
  void OnHpub(std::string_view, std::string_view, std::string_view,
              std::string_view) {
    ++hpubs;
  }
  void OnSub(std::string_view, std::string_view, std::string_view) {}
  void OnUnsub(std::string_view, std::optional<uint64_t>) {}
  void OnPing() {}
  void OnPong() {}
  void OnOk() {}
  void OnErr(std::string_view) {}
  void OnInfo(std::string_view) {}
};

TEST(ParserTest, CallbackCanChangeLimits) {
  HeaderGate gate;
  ParserOptions options;
  options.headers = false;
  ServerParser<HeaderGate> p(&gate, options);
  gate.parser = &p;
  EXPECT_EQ(p.Feed("CONNECT {\"headers\":true}\r\nHPUB a 0 1\r\nx\r\n"),
            ParseError::kNone);
  EXPECT_EQ(gate.hpubs, 1);
  HeaderGate gate2;
  ServerParser<HeaderGate> p2(&gate2, options);
  gate2.parser = &p2;
  EXPECT_EQ(p2.Feed("HPUB a 0 1\r\nx\r\n"), ParseError::kHeadersNotSupported);
}

TEST(ParserTest, SetMaxPayloadAtRuntime) {
  RecordingHandler h;
  ServerParser<RecordingHandler> p(&h);
  p.set_max_payload(2);
  EXPECT_EQ(p.Feed("PUB a 3\r\n"), ParseError::kMaxPayload);
}

TEST(ParserTest, StraddleBufferIsReusedAndBounded) {
  // 100-byte messages pipelined and cut into 64-byte chunks: many straddle,
  // none needs a new allocation once the buffer has grown.
  std::string one = "PUB foo.bar 100\r\n" + std::string(100, 'x') + "\r\n";
  std::string in;
  for (int i = 0; i < 200; ++i) in += one;
  RecordingHandler h;
  ServerParser<RecordingHandler> p(&h);
  size_t capacity_after_warmup = 0;
  for (size_t off = 0; off < in.size(); off += 64) {
    ASSERT_EQ(p.Feed(in.data() + off, std::min<size_t>(64, in.size() - off)),
              ParseError::kNone);
    if (off == 64 * 20) capacity_after_warmup = p.buffer_capacity();
    if (off > 64 * 20) {
      ASSERT_EQ(p.buffer_capacity(), capacity_after_warmup);
    }
  }
  EXPECT_EQ(h.events.size(), 200u);
  EXPECT_TRUE(p.AtOpBoundary());

  // A big straddling payload does not leave a big buffer behind.
  std::string big = "PUB big 500000\r\n" + std::string(500000, 'b') + "\r\n";
  for (size_t off = 0; off < big.size(); off += 65536) {
    ASSERT_EQ(
        p.Feed(big.data() + off, std::min<size_t>(65536, big.size() - off)),
        ParseError::kNone);
  }
  EXPECT_EQ(h.events.size(), 201u);
  EXPECT_LE(p.buffer_capacity(), p.options().retained_buffer_limit);
}

// Counts without allocating.
struct CountingHandler {
  size_t ops = 0;
  size_t bytes = 0;
  void OnConnect(std::string_view) { ++ops; }
  void OnPub(std::string_view, std::string_view, std::string_view p) {
    ++ops;
    bytes += p.size();
  }
  void OnHpub(std::string_view, std::string_view, std::string_view h,
              std::string_view p) {
    ++ops;
    bytes += h.size() + p.size();
  }
  void OnSub(std::string_view, std::string_view, std::string_view) { ++ops; }
  void OnUnsub(std::string_view, std::optional<uint64_t>) { ++ops; }
  void OnPing() { ++ops; }
  void OnPong() { ++ops; }
  void OnOk() { ++ops; }
  void OnErr(std::string_view) { ++ops; }
  void OnInfo(std::string_view) { ++ops; }
};

TEST(ParserTest, SteadyStateDoesNotAllocate) {
  std::string in;
  for (int i = 0; i < 100; ++i) {
    AppendPub(&in, "orders.created", i % 2 ? "_INBOX.x" : "",
              std::string(static_cast<size_t>(i * 7), 'x'));
    AppendHpub(&in, "orders.h", "", "NATS/1.0\r\nK: v\r\n\r\n", "pp");
    in += "SUB a.* q 1\r\nUNSUB 1 5\r\nPING\r\n";
  }
  CountingHandler h;
  ServerParser<CountingHandler> p(&h);
  // Warm up: lets the straddle buffer reach its working size.
  for (size_t off = 0; off < in.size(); off += 61) {
    ASSERT_EQ(p.Feed(in.data() + off, std::min<size_t>(61, in.size() - off)),
              ParseError::kNone);
  }
  ::meridian::testing::AllocCounter allocs;
  for (size_t chunk : {size_t{61}, size_t{64}, size_t{4096}, in.size()}) {
    for (size_t off = 0; off < in.size(); off += chunk) {
      ASSERT_EQ(p.Feed(in.data() + off, std::min(chunk, in.size() - off)),
                ParseError::kNone);
    }
  }
  EXPECT_EQ(allocs.count(), 0u);
  EXPECT_EQ(h.ops, 100u * 5 * 5);
}

TEST(ParserTest, ThreeWaySplits) {
  const std::string in =
      "SUB a 1\r\nHPUB a r 12 15\r\nNATS/1.0\r\n\r\nxyz\r\nUNSUB 1\r\n";
  ParseResult want = ParseWhole<Mode::kServer>(in);
  ASSERT_EQ(want.error, ParseError::kNone);
  ASSERT_EQ(want.events.size(), 3u);
  for (size_t a = 1; a < in.size(); ++a) {
    for (size_t b = a + 1; b < in.size(); ++b) {
      ParseResult r = ParseWithCuts<Mode::kServer>(in, {a, b});
      ASSERT_EQ(r.events, want.events) << a << "," << b;
      ASSERT_EQ(r.error, ParseError::kNone);
    }
  }
}

TEST(ParserTest, EmptyFeedIsHarmless) {
  RecordingHandler h;
  ServerParser<RecordingHandler> p(&h);
  EXPECT_EQ(p.Feed(nullptr, 0), ParseError::kNone);
  EXPECT_TRUE(p.AtOpBoundary());
}

}  // namespace
}  // namespace meridian::protocol
