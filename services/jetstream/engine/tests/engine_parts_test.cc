// Unit tests of the engine's pure parts: header blocks, subject mapping,
// timers. The engine as a whole is tested with real clients (tests/js
// jetstream/, tests/jetstream/).
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "services/jetstream/engine/headers.h"
#include "services/jetstream/engine/subject_transform.h"
#include "services/jetstream/engine/timers.h"

namespace meridian::jetstream {
namespace {

TEST(HeadersTest, FindsValuesExactlyAndTrimmed) {
  const std::string block = "NATS/1.0\r\nNats-Msg-Id:  abc \r\nnats-msg-id: lower\r\nEmpty:\r\n\r\n";
  bool found = false;
  EXPECT_EQ(HeaderValue(block, "Nats-Msg-Id", &found), "abc");
  EXPECT_TRUE(found);
  EXPECT_EQ(HeaderValue(block, "nats-msg-id"), "lower");  // case-sensitive, as nats-server
  EXPECT_EQ(HeaderValue(block, "Empty", &found), "");
  EXPECT_TRUE(found);
  EXPECT_EQ(HeaderValue(block, "Missing", &found), "");
  EXPECT_FALSE(found);
  EXPECT_EQ(HeaderValue("", "X", &found), "");
  EXPECT_FALSE(found);
  EXPECT_EQ(HeaderValue("NATS/1.0\r\nX: 1", "X"), "1");  // unterminated block
}

TEST(HeadersTest, AddsToEmptyAndExistingBlocks) {
  EXPECT_EQ(AddHeaders("", {{"A", "1"}}), "NATS/1.0\r\nA: 1\r\n\r\n");
  EXPECT_EQ(AddHeaders("NATS/1.0\r\nX: y\r\n\r\n", {{"A", "1"}, {"B", "2"}}),
            "NATS/1.0\r\nX: y\r\nA: 1\r\nB: 2\r\n\r\n");
}

TEST(HeadersTest, RemovesKeysAndDropsAnEmptyBlock) {
  EXPECT_EQ(RemoveHeaders("NATS/1.0\r\nA: 1\r\nB: 2\r\n\r\n", {"A"}), "NATS/1.0\r\nB: 2\r\n\r\n");
  EXPECT_EQ(RemoveHeaders("NATS/1.0\r\nA: 1\r\n\r\n", {"A"}), "");
  // A status line is kept even without headers.
  EXPECT_EQ(RemoveHeaders("NATS/1.0 503\r\nA: 1\r\n\r\n", {"A"}), "NATS/1.0 503\r\n\r\n");
}

TEST(HeadersTest, StatusBlocks) {
  EXPECT_EQ(StatusBlock(404, "No Messages"), "NATS/1.0 404 No Messages\r\n\r\n");
  EXPECT_EQ(StatusBlock(503, ""), "NATS/1.0 503\r\n\r\n");
  EXPECT_EQ(StatusBlock(100, "Idle Heartbeat", {{"Nats-Last-Consumer", "3"}}),
            "NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: 3\r\n\r\n");
}

TEST(SubjectTransformTest, MapsWildcardsAndTails) {
  EXPECT_EQ(TransformSubject("in.>", "out.>", "in.a.b"), "out.a.b");
  EXPECT_EQ(TransformSubject("a.*.*", "b.$2.$1", "a.x.y"), "b.y.x");
  EXPECT_EQ(TransformSubject("a.*.*", "b.{{wildcard(2)}}.{{ wildcard(1) }}", "a.x.y"), "b.y.x");
  EXPECT_EQ(TransformSubject("a.*", "fixed", "a.x"), "fixed");
  EXPECT_EQ(TransformSubject("a.>", "", "a.x"), "a.x");  // no dest: unchanged
  EXPECT_EQ(TransformSubject(">", "p.>", "x.y"), "p.x.y");
}

TEST(TimersTest, RunsDueInOrderAndCancels) {
  Timers t;
  std::vector<int> ran;
  Timers::Id a = t.At(30, [&] { ran.push_back(3); });
  Timers::Id b = t.At(10, [&] { ran.push_back(1); });
  t.At(20, [&] { ran.push_back(2); });
  EXPECT_EQ(t.next(), 10);
  t.Cancel(&a);
  EXPECT_EQ(a, 0u);
  t.Cancel(&a);  // idempotent
  EXPECT_EQ(t.RunDue(25), 2);
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
  t.Cancel(&b);  // already fired: no effect
  EXPECT_EQ(t.RunDue(100), 0);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.next(), INT64_MAX);
}

TEST(TimersTest, ATimerScheduledWhileRunningRunsIfDue) {
  Timers t;
  int runs = 0;
  t.At(5, [&] {
    ++runs;
    t.At(6, [&] { ++runs; });
    t.At(50, [&] { ++runs; });
  });
  EXPECT_EQ(t.RunDue(10), 2);
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(t.next(), 50);
}

}  // namespace
}  // namespace meridian::jetstream
