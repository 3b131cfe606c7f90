#include "common/log/log.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

namespace meridian::log {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(LogTest, WritesLevelsToFileAndFilters) {
  std::string path = ::testing::TempDir() + "/log_test_" + std::to_string(::getpid()) + ".log";
  ASSERT_TRUE(Init({.debug = false, .trace = false, .file = path, .prefix = "unit"}).ok());
  MLOG_INFO("hello ", 42);
  MLOG_DEBUG("hidden");
  ASSERT_TRUE(Init({.debug = true, .trace = false, .file = path, .prefix = "unit"}).ok());
  MLOG_DEBUG("shown");
  MLOG_TRACE("hidden too");
  std::string text = ReadAll(path);
  EXPECT_NE(text.find("[INF] unit: hello 42\n"), std::string::npos) << text;
  EXPECT_NE(text.find("[DBG] unit: shown\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("hidden"), std::string::npos) << text;
  ASSERT_TRUE(Init({}).ok());
  ::unlink(path.c_str());
}

TEST(LogTest, UnwritableFileIsAnError) {
  absl::Status s = Init({.file = "/nonexistent-dir/x.log"});
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("/nonexistent-dir/x.log"), std::string::npos);
}

}  // namespace
}  // namespace meridian::log
