#include "services/server/child_process.h"

#include <unistd.h>

#include "gtest/gtest.h"

namespace meridian::launcher {
namespace {

bool WaitReaped(ChildProcess& child, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (child.Reap()) return true;
    ::usleep(5000);
  }
  return false;
}

TEST(ChildProcessTest, ExitCodeIsRecorded) {
  ChildProcess child("/bin/sh", {"-c", "exit 3"});
  ASSERT_TRUE(child.Spawn().ok());
  ASSERT_TRUE(WaitReaped(child, absl::Seconds(10)));
  EXPECT_EQ(child.last_exit_code(), 3);
  EXPECT_FALSE(child.running());
}

TEST(ChildProcessTest, StopSendsTermThenKill) {
  ChildProcess polite("/bin/sleep", {"30"});
  ASSERT_TRUE(polite.Spawn().ok());
  EXPECT_EQ(polite.Stop(absl::Seconds(10)), 128 + 15);  // sleep dies of SIGTERM
  std::string ready = ::testing::TempDir() + "/trap_ready_" + std::to_string(::getpid());
  ::unlink(ready.c_str());
  ChildProcess stubborn("/bin/sh", {"-c", "trap '' TERM; touch " + ready + "; exec sleep 30"});
  ASSERT_TRUE(stubborn.Spawn().ok());
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (::access(ready.c_str(), F_OK) != 0 && absl::Now() < deadline) ::usleep(5000);
  ASSERT_EQ(::access(ready.c_str(), F_OK), 0);
  EXPECT_EQ(stubborn.Stop(absl::Milliseconds(300)), 128 + 9);  // ignored TERM, so KILL
  ::unlink(ready.c_str());
  EXPECT_FALSE(stubborn.running());
}

TEST(ChildProcessTest, MissingBinaryIsAnError) {
  ChildProcess child("/nonexistent/meridian-x", {});
  EXPECT_FALSE(child.Spawn().ok());
}

}  // namespace
}  // namespace meridian::launcher
