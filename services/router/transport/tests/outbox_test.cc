#include "services/router/transport/outbox.h"

#include <string>

#include "gtest/gtest.h"

namespace meridian::router {
namespace {

using ::meridian::router::v1::Frame;

class FakeWaker : public OutboxWaker {
 public:
  void Wake() override { ++wakes; }
  void Cancel() override { ++cancels; }
  int wakes = 0;
  int cancels = 0;
};

Frame MessageFrame(const std::string& subject, size_t payload = 0) {
  Frame frame;
  auto* message = frame.add_messages();
  message->set_account("A");
  message->set_subject(subject);
  message->set_payload(std::string(payload, 'x'));
  return frame;
}

Frame InterestFrame(const std::string& subject, int count) {
  Frame frame;
  auto* delta = frame.add_interest();
  delta->set_account("A");
  delta->set_subject(subject);
  delta->set_count(count);
  return frame;
}

TEST(OutboxTest, CoalescesMessageFramesInOrder) {
  Outbox outbox(QueueLimits{});
  FakeWaker waker;
  outbox.Open(&waker);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(outbox.Enqueue(MessageFrame("s." + std::to_string(i))));
  EXPECT_EQ(outbox.queued_frames(), 1u);
  std::unique_ptr<Frame> frame = outbox.TakeNext();
  ASSERT_NE(frame, nullptr);
  ASSERT_EQ(frame->messages_size(), 10);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(frame->messages(i).subject(), "s." + std::to_string(i));
  EXPECT_EQ(outbox.TakeNext(), nullptr);
  TransportStats stats = outbox.stats();
  EXPECT_EQ(stats.frames_enqueued, 10u);
  EXPECT_EQ(stats.writes, 1u);
  EXPECT_EQ(stats.messages_written, 10u);
}

TEST(OutboxTest, KeepsInterestAndMessageOrder) {
  Outbox outbox(QueueLimits{});
  FakeWaker waker;
  outbox.Open(&waker);
  ASSERT_TRUE(outbox.Enqueue(InterestFrame("a", 1)));
  ASSERT_TRUE(outbox.Enqueue(InterestFrame("b", 1)));  // merges
  ASSERT_TRUE(outbox.Enqueue(MessageFrame("a")));      // would reorder: new frame
  ASSERT_TRUE(outbox.Enqueue(MessageFrame("b")));      // merges
  ASSERT_TRUE(outbox.Enqueue(InterestFrame("a", -1)));  // new frame
  EXPECT_EQ(outbox.queued_frames(), 3u);
  auto first = outbox.TakeNext();
  EXPECT_EQ(first->interest_size(), 2);
  auto second = outbox.TakeNext();
  EXPECT_EQ(second->messages_size(), 2);
  auto third = outbox.TakeNext();
  EXPECT_EQ(third->interest(0).count(), -1);
}

TEST(OutboxTest, HelloAndResetStartAFrameAndResetAbsorbsDeltas) {
  Outbox outbox(QueueLimits{});
  FakeWaker waker;
  outbox.Open(&waker);
  Frame hello;
  hello.mutable_hello()->set_peer_id("p");
  ASSERT_TRUE(outbox.Enqueue(hello));
  ASSERT_TRUE(outbox.Enqueue(InterestFrame("a", 1)));  // not into the hello frame
  Frame reset = InterestFrame("b", 1);
  reset.set_interest_reset(true);
  ASSERT_TRUE(outbox.Enqueue(reset));                  // new frame
  ASSERT_TRUE(outbox.Enqueue(InterestFrame("c", 1)));  // rest of the set: merges
  EXPECT_EQ(outbox.queued_frames(), 3u);
  outbox.TakeNext();
  outbox.TakeNext();
  auto third = outbox.TakeNext();
  EXPECT_TRUE(third->interest_reset());
  EXPECT_EQ(third->interest_size(), 2);
}

TEST(OutboxTest, WakesOnlyWhenIdle) {
  Outbox outbox(QueueLimits{});
  FakeWaker waker;
  outbox.Open(&waker);
  ASSERT_TRUE(outbox.Enqueue(MessageFrame("a")));
  ASSERT_TRUE(outbox.Enqueue(MessageFrame("b")));
  EXPECT_EQ(waker.wakes, 1);
  auto frame = outbox.TakeNext();  // a write is now in flight
  ASSERT_TRUE(outbox.Enqueue(MessageFrame("c")));
  EXPECT_EQ(waker.wakes, 1);       // the write completion will pick it up
  ASSERT_NE(outbox.TakeNext(), nullptr);
  EXPECT_EQ(outbox.TakeNext(), nullptr);  // idle again
  ASSERT_TRUE(outbox.Enqueue(MessageFrame("d")));
  EXPECT_EQ(waker.wakes, 2);
}

TEST(OutboxTest, BoundsFramesAndBytes) {
  QueueLimits limits;
  limits.max_frames = 2;
  limits.max_bytes = 10000;
  limits.max_frame_bytes = 4000;
  Outbox outbox(limits);
  FakeWaker waker;
  outbox.Open(&waker);
  ASSERT_TRUE(outbox.Enqueue(MessageFrame("a", 3000)));
  ASSERT_TRUE(outbox.Enqueue(MessageFrame("b", 3000)));   // too big to merge: frame 2
  EXPECT_FALSE(outbox.Enqueue(MessageFrame("c", 3000)));  // third frame: refused
  ASSERT_TRUE(outbox.Enqueue(MessageFrame("d", 100)));    // still merges into the tail
  EXPECT_EQ(outbox.stats().overflows, 1u);
  outbox.TakeNext();
  ASSERT_TRUE(outbox.Enqueue(MessageFrame("e", 3000)));
  EXPECT_FALSE(outbox.Enqueue(MessageFrame("f", 5000)));  // bytes bound
  EXPECT_EQ(outbox.stats().overflows, 2u);
  EXPECT_LE(outbox.queued_bytes(), limits.max_bytes);
}

TEST(OutboxTest, ClosedRefusesAndDiscards) {
  Outbox outbox(QueueLimits{});
  FakeWaker waker;
  EXPECT_FALSE(outbox.Enqueue(MessageFrame("a")));
  outbox.Open(&waker);
  ASSERT_TRUE(outbox.Enqueue(MessageFrame("a")));
  outbox.Close();
  EXPECT_EQ(outbox.queued_frames(), 0u);
  EXPECT_FALSE(outbox.Enqueue(MessageFrame("b")));
  EXPECT_EQ(outbox.stats().dropped, 3u);
  outbox.Seal();
  outbox.Open(&waker);
  EXPECT_FALSE(outbox.is_open());
}

TEST(OutboxTest, CancelsAStalledStreamOnce) {
  QueueLimits limits;
  limits.max_frames = 1;
  limits.max_frame_bytes = 10;
  limits.stall_timeout = absl::ZeroDuration();
  Outbox outbox(limits);
  FakeWaker waker;
  outbox.Open(&waker);
  ASSERT_TRUE(outbox.Enqueue(MessageFrame("a", 100)));
  EXPECT_FALSE(outbox.Enqueue(MessageFrame("b", 100)));  // stall starts
  EXPECT_EQ(waker.cancels, 0);
  EXPECT_FALSE(outbox.Enqueue(MessageFrame("c", 100)));
  EXPECT_FALSE(outbox.Enqueue(MessageFrame("d", 100)));
  EXPECT_EQ(waker.cancels, 1);
  EXPECT_EQ(outbox.stats().stall_cancels, 1u);
}

TEST(OutboxTest, ProgressResetsTheStallClock) {
  QueueLimits limits;
  limits.max_frames = 1;
  limits.max_frame_bytes = 10;
  limits.stall_timeout = absl::Hours(1);
  Outbox outbox(limits);
  FakeWaker waker;
  outbox.Open(&waker);
  ASSERT_TRUE(outbox.Enqueue(MessageFrame("a", 100)));
  EXPECT_FALSE(outbox.Enqueue(MessageFrame("b", 100)));
  outbox.TakeNext();
  ASSERT_TRUE(outbox.Enqueue(MessageFrame("b", 100)));
  EXPECT_EQ(waker.cancels, 0);
}

TEST(OutboxTest, BuilderFillsFramesInPlace) {
  Outbox outbox(QueueLimits{});
  FakeWaker waker;
  outbox.Open(&waker);
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 4; ++i) {
      ASSERT_TRUE(outbox.Enqueue([&](Frame* frame) {
        for (int j = 0; j < 8; ++j) {
          auto* message = frame->add_messages();
          message->set_subject("s");
          message->set_payload(std::to_string(i * 8 + j));
        }
      }));
    }
    std::unique_ptr<Frame> frame = outbox.TakeNext();
    ASSERT_EQ(frame->messages_size(), 32);
    for (int k = 0; k < 32; ++k) EXPECT_EQ(frame->messages(k).payload(), std::to_string(k));
    outbox.Recycle(std::move(frame));
    EXPECT_EQ(outbox.TakeNext(), nullptr);
  }
  EXPECT_EQ(outbox.stats().messages_enqueued, 96u);
}

TEST(OutboxTest, BuilderSplitsWhatMayNotMerge) {
  Outbox outbox(QueueLimits{});
  FakeWaker waker;
  outbox.Open(&waker);
  ASSERT_TRUE(outbox.Enqueue(MessageFrame("m1")));
  ASSERT_TRUE(outbox.Enqueue([](Frame* frame) {  // interest after messages: own frame
    auto* delta = frame->add_interest();
    delta->set_subject("i1");
    delta->set_count(1);
  }));
  ASSERT_TRUE(outbox.Enqueue([](Frame* frame) {  // more interest: merges
    auto* delta = frame->add_interest();
    delta->set_subject("i2");
    delta->set_count(1);
  }));
  ASSERT_TRUE(outbox.Enqueue([](Frame* frame) {  // a reset: own frame
    frame->set_interest_reset(true);
    frame->add_interest()->set_subject("r1");
  }));
  EXPECT_EQ(outbox.queued_frames(), 3u);
  auto first = outbox.TakeNext();
  ASSERT_EQ(first->messages_size(), 1);
  EXPECT_EQ(first->interest_size(), 0);
  auto second = outbox.TakeNext();
  ASSERT_EQ(second->interest_size(), 2);
  EXPECT_EQ(second->interest(1).subject(), "i2");
  EXPECT_FALSE(second->interest_reset());
  auto third = outbox.TakeNext();
  EXPECT_TRUE(third->interest_reset());
  ASSERT_EQ(third->interest_size(), 1);
  EXPECT_EQ(third->interest(0).subject(), "r1");
}

TEST(OutboxTest, BuilderIsAllOrNothingWhenFull) {
  QueueLimits limits;
  limits.max_bytes = 1000;
  Outbox outbox(limits);
  FakeWaker waker;
  outbox.Open(&waker);
  ASSERT_TRUE(outbox.Enqueue(MessageFrame("a", 500)));
  EXPECT_FALSE(outbox.Enqueue([](Frame* frame) {
    frame->add_messages()->set_subject("b");
    frame->add_messages()->set_payload(std::string(600, 'x'));
  }));
  EXPECT_EQ(outbox.stats().overflows, 1u);
  auto frame = outbox.TakeNext();
  ASSERT_EQ(frame->messages_size(), 1);
  EXPECT_EQ(frame->messages(0).subject(), "a");
  EXPECT_EQ(frame->ByteSizeLong(), outbox.stats().bytes_written);
}

TEST(OutboxTest, CountsBytesExactlyWhenMerging) {
  Outbox outbox(QueueLimits{});
  FakeWaker waker;
  outbox.Open(&waker);
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(outbox.Enqueue([&](Frame* frame) {
      auto* message = frame->add_messages();
      message->set_subject("subject." + std::to_string(i));
      message->set_payload(std::string(i * 7, 'p'));
    }));
  }
  const size_t queued = outbox.queued_bytes();
  auto frame = outbox.TakeNext();
  EXPECT_EQ(frame->ByteSizeLong(), queued);
}

}  // namespace
}  // namespace meridian::router
