#include "tests/bench/loadgen/frame_reader.h"

#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace meridian::loadgen {
namespace {

// A server->client stream with every kind of frame, payloads containing
// protocol-looking bytes, and an HMSG.
std::string ServerStream() {
  std::string s = "INFO {\"server_id\":\"X\",\"headers\":true} \r\n";
  s += "PONG\r\n+OK\r\nPING\r\n";
  s += "MSG foo 1 5\r\nhello\r\n";
  s += "MSG foo.bar 2 _INBOX.x.1 4\r\nPING\r\n";
  s += "MSG\tfoo  1\t0\r\n\r\n";
  s += "HMSG foo 3 12 14\r\nNATS/1.0\r\n\r\nhi\r\n";
  s += "HMSG _INBOX.x.7 1 16 16\r\nNATS/1.0 503\r\n\r\n\r\n";
  std::string big(3000, 'z');
  s += "MSG big 1 3000\r\n" + big + "\r\n";
  s += "PING\r\n";
  return s;
}

struct Seen {
  std::vector<std::string> subjects, sids, replies, data;
  std::vector<size_t> hdrs;
};

void ExpectCounts(const FrameReader& r) {
  EXPECT_EQ(r.frames(), 6u);
  EXPECT_EQ(r.frames_for_sid(1), 4u);
  EXPECT_EQ(r.frames_for_sid(2), 1u);
  EXPECT_EQ(r.frames_for_sid(3), 1u);
  EXPECT_EQ(r.pings(), 2u);
  EXPECT_EQ(r.pongs(), 1u);
  EXPECT_EQ(r.infos(), 1u);
  EXPECT_EQ(r.oks(), 1u);
  EXPECT_EQ(r.data_bytes(), 5u + 4 + 0 + 14 + 16 + 3000);
}

TEST(FrameReader, WholeStream) {
  FrameReader r;
  std::string s = ServerStream();
  ASSERT_EQ(r.Feed(s.data(), s.size()), FeedStatus::kOk);
  ExpectCounts(r);
}

TEST(FrameReader, RandomSplitsWithAndWithoutCallback) {
  const std::string s = ServerStream();
  std::mt19937 rng(42);
  for (int iter = 0; iter < 2000; ++iter) {
    const bool with_callback = iter % 2 == 0;
    FrameReader r;
    Seen seen;
    if (with_callback) {
      r.set_on_frame([&](const Frame& f) {
        seen.subjects.emplace_back(f.subject);
        seen.sids.emplace_back(f.sid);
        seen.replies.emplace_back(f.reply);
        seen.data.emplace_back(f.data);
        seen.hdrs.push_back(f.header_bytes);
      });
    }
    size_t pos = 0;
    while (pos < s.size()) {
      size_t n = std::min<size_t>(s.size() - pos, 1 + rng() % (iter % 3 == 0 ? 4 : 64));
      // Feed from a scratch buffer that is scribbled over afterwards, as a
      // socket read buffer is: the reader must not keep views into it.
      std::string chunk = s.substr(pos, n);
      ASSERT_EQ(r.Feed(chunk.data(), n), FeedStatus::kOk) << "iter " << iter << " pos " << pos;
      chunk.assign(n, '#');
      pos += n;
    }
    ExpectCounts(r);
    if (with_callback) {
      ASSERT_EQ(seen.subjects.size(), 6u);
      EXPECT_EQ(seen.data[0], "hello");
      EXPECT_EQ(seen.subjects[1], "foo.bar");
      EXPECT_EQ(seen.replies[1], "_INBOX.x.1");
      EXPECT_EQ(seen.data[1], "PING");
      EXPECT_EQ(seen.data[2], "");
      EXPECT_EQ(seen.hdrs[3], 12u);
      EXPECT_EQ(seen.data[3], "NATS/1.0\r\n\r\nhi");
      EXPECT_EQ(seen.subjects[4], "_INBOX.x.7");
      EXPECT_EQ(seen.data[5], std::string(3000, 'z'));
    }
  }
}

TEST(FrameReader, ClientOpsForTheSink) {
  FrameReader r;
  std::string s =
      "CONNECT {}\r\nSUB a 1\r\nsub a q 2\r\nUNSUB 1\r\npub a 2\r\nok\r\nPUB a _R 0\r\n\r\n"
      "HPUB a 12 14\r\nNATS/1.0\r\n\r\nhi\r\nPING\r\n";
  ASSERT_EQ(r.Feed(s.data(), s.size()), FeedStatus::kOk);
  EXPECT_EQ(r.frames(), 3u);
  EXPECT_EQ(r.pings(), 1u);
}

TEST(FrameReader, ErrIsRecorded) {
  FrameReader r;
  std::string s = "INFO {} \r\n-ERR 'Meridian: not yet'\r\n";
  ASSERT_EQ(r.Feed(s.data(), s.size()), FeedStatus::kOk);
  EXPECT_EQ(r.errs(), 1u);
  EXPECT_EQ(r.first_error(), "Meridian: not yet");
}

TEST(FrameReader, Malformed) {
  for (std::string s :
       {"BOGUS\r\n", "MSG a 1 x\r\n", "MSG a\r\n", "MSG a 1 2\r\nabc\r\n", "HMSG a 1 5 3\r\n", "MSG a 1 2\r\nab\n\n"}) {
    FrameReader r;
    EXPECT_NE(r.Feed(s.data(), s.size()), FeedStatus::kOk) << s;
  }
  FrameReader r;
  std::string line(FrameReader::kMaxLine + 10, 'M');
  EXPECT_EQ(r.Feed(line.data(), line.size()), FeedStatus::kLineTooLong);
}

}  // namespace
}  // namespace meridian::loadgen
