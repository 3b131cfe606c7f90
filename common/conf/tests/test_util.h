// Helpers shared by the conf tests.
#pragma once

#include <cstdlib>
#include <string>
#include <string_view>

#include "common/conf/conf.h"
#include "gtest/gtest.h"

namespace meridian::conf::testing {

// common/conf/tests/testdata, from $MERIDIAN_SOURCE_DIR or this file's path.
inline std::string TestdataDir() {
  if (const char* root = std::getenv("MERIDIAN_SOURCE_DIR"); root != nullptr && *root != '\0') {
    return std::string(root) + "/common/conf/tests/testdata";
  }
  std::string here = __FILE__;
  return here.substr(0, here.rfind('/')) + "/testdata";
}

inline std::string TestdataPath(std::string_view name) {
  return TestdataDir() + "/" + std::string(name);
}

// A status message as std::string (absl::string_view differs from
// std::string_view in this Abseil build, which gmock matchers dislike).
inline std::string Msg(const absl::Status& s) { return std::string(s.message()); }

// Parses `text` and fails the test on an error.
inline Value MustParse(std::string_view text) {
  absl::StatusOr<Value> v = ParseString(text, "test.conf");
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *std::move(v) : Value();
}

// The error message of parsing `text` ("" if it parsed).
inline std::string ParseError(std::string_view text) {
  absl::StatusOr<Value> v = ParseString(text, "test.conf");
  return v.ok() ? std::string() : std::string(v.status().message());
}

}  // namespace meridian::conf::testing
