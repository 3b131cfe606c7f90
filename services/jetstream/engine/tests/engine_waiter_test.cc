// EngineWaiter: the engine thread's sleep between turns.
#include "services/jetstream/engine/engine_waiter.h"

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "gtest/gtest.h"

namespace meridian::jetstream {
namespace {

using Clock = std::chrono::steady_clock;

double MillisSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

TEST(EngineWaiterTest, SleepsUntilTheTimeoutWhenNothingHappens) {
  EngineWaiter w;
  w.BindToThisThread();
  const Clock::time_point t0 = Clock::now();
  EngineWaiter::Ready r = w.Wait(30'000'000);
  EXPECT_GE(MillisSince(t0), 29.0);
  EXPECT_FALSE(r.readable);
  EXPECT_FALSE(r.writable_only);
}

TEST(EngineWaiterTest, AWakeFromAnotherThreadEndsTheWait) {
  EngineWaiter w;
  w.BindToThisThread();
  std::thread other([&w] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    w.Wake();
  });
  const Clock::time_point t0 = Clock::now();
  (void)w.Wait(10'000'000'000);
  EXPECT_LT(MillisSince(t0), 5'000.0);
  other.join();
  // Consumed: the next wait sleeps again.
  const Clock::time_point t1 = Clock::now();
  (void)w.Wait(20'000'000);
  EXPECT_GE(MillisSince(t1), 19.0);
}

TEST(EngineWaiterTest, AWakeFromItsOwnThreadSkipsTheNextWaitOnly) {
  EngineWaiter w;
  w.BindToThisThread();
  w.Wake();
  const Clock::time_point t0 = Clock::now();
  (void)w.Wait(10'000'000'000);
  EXPECT_LT(MillisSince(t0), 1'000.0);
  const Clock::time_point t1 = Clock::now();
  (void)w.Wait(20'000'000);
  EXPECT_GE(MillisSince(t1), 19.0);
}

TEST(EngineWaiterTest, ReportsTheWatchedSocket) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  EngineWaiter w;
  w.BindToThisThread();
  w.Watch(sv[0], /*writable=*/false);
  const Clock::time_point t0 = Clock::now();
  EXPECT_FALSE(w.Wait(20'000'000).readable);  // nothing to read yet
  EXPECT_GE(MillisSince(t0), 19.0);
  ASSERT_EQ(::write(sv[1], "x", 1), 1);
  EngineWaiter::Ready r = w.Wait(10'000'000'000);
  EXPECT_TRUE(r.readable);
  EXPECT_FALSE(r.writable_only);
  char c;
  ASSERT_EQ(::read(sv[0], &c, 1), 1);
  // Asked for writability: an idle socket is writable at once.
  w.Watch(sv[0], /*writable=*/true);
  r = w.Wait(10'000'000'000);
  EXPECT_FALSE(r.readable);
  EXPECT_TRUE(r.writable_only);
  // Unwatched: only the eventfd and the timeout are left.
  w.Watch(-1, false);
  ASSERT_EQ(::write(sv[1], "y", 1), 1);
  const Clock::time_point t1 = Clock::now();
  EXPECT_FALSE(w.Wait(20'000'000).readable);
  EXPECT_GE(MillisSince(t1), 19.0);
  ::close(sv[0]);
  ::close(sv[1]);
}

}  // namespace
}  // namespace meridian::jetstream
