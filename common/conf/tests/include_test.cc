#include <filesystem>
#include <fstream>
#include <string>

#include "common/conf/conf.h"
#include "common/conf/tests/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace meridian::conf {
namespace {

using ::meridian::conf::testing::Msg;

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class IncludeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) / (std::string("conf_include_") + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }

  fs::path dir_;
};

TEST_F(IncludeTest, MergesTopLevelKeysAtThatPoint) {
  Write("auth.conf", "authorization { user: a, password: b }\ntimeout: 5\n");
  std::string main = Write("main.conf", "port: 1\ninclude ./auth.conf\nhost: h\n");
  absl::StatusOr<Value> v = ParseFile(main);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(
      v->DebugString(),
      R"({"port": 1, "authorization": {"user": "a", "password": "b"}, "timeout": 5, "host": "h"})");
  // Values from the included file name that file.
  EXPECT_EQ(v->Find("timeout")->pos().file, (dir_ / "auth.conf").string());
  EXPECT_EQ(v->Find("timeout")->pos().line, 2);
}

TEST_F(IncludeTest, PathsAreRelativeToTheIncludingFile) {
  Write("conf.d/accounts.conf", "include \"sub/users.conf\"\n");
  Write("conf.d/sub/users.conf", "users = [ { user: alice } ]\n");
  std::string main = Write("main.conf", "accounts {\n  include 'conf.d/accounts.conf'\n}\n");
  absl::StatusOr<Value> v = ParseFile(main);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->Find("accounts")->Find("users")->as_array()[0].Find("user")->as_string(), "alice");
}

TEST_F(IncludeTest, IncludedKeysAreVisibleAsVariables) {
  Write("passwords.conf", "ALICE_PASS: s3cret\n");
  std::string main = Write("main.conf",
                           "authorization {\n  include ./passwords.conf\n"
                           "  users = [ { user: alice, password: $ALICE_PASS } ]\n}\n");
  absl::StatusOr<Value> v = ParseFile(main);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->Find("authorization")->Find("users")->as_array()[0].Find("password")->as_string(),
            "s3cret");
}

TEST_F(IncludeTest, ParseStringUsesBaseDir) {
  Write("x.conf", "a: 1\n");
  absl::StatusOr<Value> v = ParseString("include x.conf\n", "inline", dir_.string());
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->Find("a")->as_int(), 1);
}

TEST_F(IncludeTest, MissingFile) {
  std::string main = Write("main.conf", "port: 1\n\ninclude ./nope.conf\n");
  absl::StatusOr<Value> v = ParseFile(main);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Msg(v.status()), StartsWith(main + ":3:9: cannot read include file './nope.conf'"));
}

TEST_F(IncludeTest, Cycle) {
  std::string a = Write("a.conf", "x: 1\ninclude b.conf\n");
  std::string b = Write("b.conf", "y: 2\n\ninclude ./a.conf\n");
  absl::StatusOr<Value> v = ParseFile(a);
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(Msg(v.status()), StartsWith(b + ":3:9: include cycle: "));
  EXPECT_THAT(Msg(v.status()), HasSubstr("(included from " + a + ":2:9)"));
}

TEST_F(IncludeTest, SelfInclude) {
  std::string a = Write("self.conf", "include self.conf\n");
  absl::StatusOr<Value> v = ParseFile(a);
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(Msg(v.status()), HasSubstr("include cycle"));
}

TEST_F(IncludeTest, ErrorInsideIncludedFileNamesThatFile) {
  Write("bad.conf", "a: 1\nb: [1, 2\n");
  std::string main = Write("main.conf", "include bad.conf\n");
  absl::StatusOr<Value> v = ParseFile(main);
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(Msg(v.status()),
              StartsWith((dir_ / "bad.conf").string() + ":2:4: unterminated array"));
}

TEST_F(IncludeTest, MissingTopLevelFile) {
  absl::StatusOr<Value> v = ParseFile((dir_ / "absent.conf").string());
  EXPECT_EQ(v.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Msg(v.status()), HasSubstr("absent.conf"));
}

}  // namespace
}  // namespace meridian::conf
