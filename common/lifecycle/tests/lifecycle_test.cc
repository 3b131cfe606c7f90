#include "common/lifecycle/lifecycle.h"

#include <signal.h>

#include "gtest/gtest.h"

namespace meridian::lifecycle {
namespace {

TEST(LifecycleTest, StartsInOrderStopsInReverse) {
  std::vector<std::string> events;
  {
    Lifecycle lc;
    lc.Add("a", [&] { events.push_back("start a"); return absl::OkStatus(); },
           [&] { events.push_back("stop a"); });
    lc.Add("b", [&] { events.push_back("start b"); return absl::OkStatus(); },
           [&] { events.push_back("stop b"); });
    ASSERT_TRUE(lc.StartAll().ok());
  }
  EXPECT_EQ(events, (std::vector<std::string>{"start a", "start b", "stop b", "stop a"}));
}

TEST(LifecycleTest, FailedStartStopsTheStartedOnes) {
  std::vector<std::string> events;
  Lifecycle lc;
  lc.Add("a", [&] { events.push_back("start a"); return absl::OkStatus(); },
         [&] { events.push_back("stop a"); });
  lc.Add("b", [&] { return absl::UnavailableError("port in use"); },
         [&] { events.push_back("stop b"); });
  lc.Add("c", [&] { events.push_back("start c"); return absl::OkStatus(); }, nullptr);
  absl::Status s = lc.StartAll();
  EXPECT_EQ(s.message(), "b: port in use");
  EXPECT_EQ(events, (std::vector<std::string>{"start a", "stop a"}));
}

TEST(LifecycleTest, WaitForSignalSeesRaisedSignalAndTimesOut) {
  BlockSignals();
  EXPECT_EQ(WaitForSignal(10), 0);
  ::kill(::getpid(), SIGUSR1);
  EXPECT_EQ(WaitForSignal(1000), SIGUSR1);
}

}  // namespace
}  // namespace meridian::lifecycle
