// Packed message records: round trips, and cut or garbled input.
#include "services/router/transport/packed.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "services/router/transport/tests/packed_fuzz_body.h"

namespace meridian::router {
namespace {

PackedMessage Msg(std::string_view account, std::string_view subject) {
  PackedMessage m;
  m.account = account;
  m.subject = subject;
  return m;
}

std::string TwoRecords() {
  std::string out;
  PackedMessage a = Msg("$G", "orders.new");
  a.reply = "_INBOX.x.1";
  a.origin = "o7";
  a.headers = "NATS/1.0\r\nK: v\r\n\r\n";
  a.payload = "hello";
  a.queue_choice = true;
  a.deliver_as = "orders.shown";
  std::vector<std::string_view> queues = {"workers", "audit"};
  AppendPacked(&out, a, queues);
  AppendPacked(&out, Msg("$G", "x"), {});
  return out;
}

TEST(PackedTest, RoundTrip) {
  std::string buf = TwoRecords();
  std::string_view in = buf;
  PackedMessage m;
  bool malformed = false;
  ASSERT_TRUE(NextPacked(&in, &m, &malformed));
  EXPECT_EQ(m.account, "$G");
  EXPECT_EQ(m.subject, "orders.new");
  EXPECT_EQ(m.reply, "_INBOX.x.1");
  EXPECT_EQ(m.origin, "o7");
  EXPECT_EQ(m.headers, "NATS/1.0\r\nK: v\r\n\r\n");
  EXPECT_EQ(m.payload, "hello");
  EXPECT_TRUE(m.queue_choice);
  std::vector<std::string_view> queues;
  m.Queues(&queues);
  EXPECT_EQ(queues, (std::vector<std::string_view>{"workers", "audit"}));
  EXPECT_EQ(m.deliver_as, "orders.shown");
  ASSERT_TRUE(NextPacked(&in, &m, &malformed));
  EXPECT_EQ(m.subject, "x");
  EXPECT_TRUE(m.deliver_as.empty());  // not left over from the record before
  EXPECT_TRUE(m.payload.empty());
  EXPECT_FALSE(m.queue_choice);
  EXPECT_EQ(m.num_queues, 0);
  EXPECT_FALSE(NextPacked(&in, &m, &malformed));
  EXPECT_FALSE(malformed);
  EXPECT_EQ(PackedSize(Msg("", "x"), {}), 19u);  // 18-byte header + "x"
}

// The bytes of tests/corpus/one_record: flags 1 (queue_choice), one queue.
constexpr std::string_view kOneRecord(
    "\x01\x01\x02\x00\x01\x00\x00\x00\x02\x00\x00\x00\x00\x00\x02\x00\x00\x00"
    "$Gxo1hi\x01\x00q",
    28);

PackedMessage OneRecord() {
  PackedMessage m = Msg("$G", "x");
  m.origin = "o1";
  m.payload = "hi";
  m.queue_choice = true;
  return m;
}

TEST(PackedTest, WithoutDeliverAsTheBytesAreTheOriginalFormat) {
  PackedMessage m = OneRecord();
  std::vector<std::string_view> queues = {"q"};
  std::string out;
  AppendPacked(&out, m, queues);
  EXPECT_EQ(out, kOneRecord);
  EXPECT_EQ(PackedSize(m, queues), kOneRecord.size());
}

TEST(PackedTest, DeliverAsFollowsTheQueueListUnderFlagBit1) {
  PackedMessage m = OneRecord();
  m.deliver_as = "orders.new";
  std::vector<std::string_view> queues = {"q"};
  std::string out;
  AppendPacked(&out, m, queues);
  std::string expected(kOneRecord);
  expected[0] = '\x03';
  expected.append("\x0a\x00orders.new", 12);
  EXPECT_EQ(out, expected);
  EXPECT_EQ(PackedSize(m, queues), expected.size());

  std::string_view in = out;
  PackedMessage back;
  bool malformed = false;
  ASSERT_TRUE(NextPacked(&in, &back, &malformed));
  EXPECT_TRUE(in.empty());
  EXPECT_EQ(back.subject, "x");
  EXPECT_EQ(back.deliver_as, "orders.new");
  EXPECT_TRUE(back.queue_choice);
  std::vector<std::string_view> back_queues;
  back.Queues(&back_queues);
  EXPECT_EQ(back_queues, queues);

  // The flag with a zero length reads as no deliver_as; without its length
  // bytes the record is cut.
  std::string empty(kOneRecord);
  empty[0] = '\x03';
  empty.append("\x00\x00", 2);
  in = empty;
  ASSERT_TRUE(NextPacked(&in, &back, &malformed));
  EXPECT_TRUE(in.empty());
  EXPECT_TRUE(back.deliver_as.empty());
  std::string cut(kOneRecord);
  cut[0] = '\x03';
  in = cut;
  EXPECT_FALSE(NextPacked(&in, &back, &malformed));
  EXPECT_TRUE(malformed);
  // Other flag bits are ignored, as before.
  std::string other(kOneRecord);
  other[0] = '\x81';
  in = other;
  ASSERT_TRUE(NextPacked(&in, &back, &malformed));
  EXPECT_TRUE(in.empty());
  EXPECT_TRUE(back.deliver_as.empty());
}

TEST(PackedTest, EveryCutIsMalformedNeverACrash) {
  std::string buf = TwoRecords();
  std::string_view whole = buf;
  PackedMessage m;
  bool malformed = false;
  ASSERT_TRUE(NextPacked(&whole, &m, &malformed));
  const size_t first = buf.size() - whole.size();
  for (size_t cut = 1; cut < buf.size(); ++cut) {
    if (cut == first) continue;  // a whole first record
    std::string_view in(buf.data(), cut);
    size_t records = 0;
    while (NextPacked(&in, &m, &malformed)) ++records;
    EXPECT_TRUE(malformed) << "cut at " << cut;
    EXPECT_EQ(records, cut > first ? 1u : 0u) << "cut at " << cut;
    PackedFuzzOne(reinterpret_cast<const uint8_t*>(buf.data()), cut);
  }
}

TEST(PackedTest, GarbageNeverCrashes) {
  std::string buf = TwoRecords();
  for (size_t i = 0; i < buf.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string flipped = buf;
      flipped[i] = static_cast<char>(flipped[i] ^ (1 << bit));
      PackedFuzzOne(reinterpret_cast<const uint8_t*>(flipped.data()), flipped.size());
    }
  }
}

}  // namespace
}  // namespace meridian::router
