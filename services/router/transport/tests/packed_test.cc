// Packed message records: round trips, and cut or garbled input.
#include "services/router/transport/packed.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "services/router/transport/tests/packed_fuzz_body.h"

namespace meridian::router {
namespace {

std::string TwoRecords() {
  std::string out;
  PackedMessage a{.account = "$G", .subject = "orders.new", .reply = "_INBOX.x.1",
                  .origin = "o7", .headers = "NATS/1.0\r\nK: v\r\n\r\n", .payload = "hello",
                  .queue_choice = true};
  std::vector<std::string_view> queues = {"workers", "audit"};
  AppendPacked(&out, a, queues);
  PackedMessage b{.account = "$G", .subject = "x", .payload = ""};
  AppendPacked(&out, b, {});
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
  ASSERT_TRUE(NextPacked(&in, &m, &malformed));
  EXPECT_EQ(m.subject, "x");
  EXPECT_TRUE(m.payload.empty());
  EXPECT_FALSE(m.queue_choice);
  EXPECT_EQ(m.num_queues, 0);
  EXPECT_FALSE(NextPacked(&in, &m, &malformed));
  EXPECT_FALSE(malformed);
  EXPECT_EQ(PackedSize(PackedMessage{.subject = "x"}, {}), 19u);  // 18-byte header + "x"
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
