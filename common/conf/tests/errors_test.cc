// Malformed configurations: each is rejected, naming the file, line and column.
#include <fstream>
#include <iterator>
#include <string>

#include "common/conf/conf.h"
#include "common/conf/tests/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace meridian::conf {
namespace {

using ::meridian::conf::testing::Msg;
using ::meridian::conf::testing::ParseError;
using ::meridian::conf::testing::TestdataDir;
using ::meridian::conf::testing::TestdataPath;
using ::testing::HasSubstr;
using ::testing::StartsWith;

struct BadFile {
  const char* name;
  const char* location;  // "line:col" where the error is reported
  const char* reason;
};

class BadFileTest : public ::testing::TestWithParam<BadFile> {};

TEST_P(BadFileTest, RejectedWithLocation) {
  const BadFile& bad = GetParam();
  const std::string path = TestdataPath(std::string("bad/") + bad.name);
  absl::StatusOr<Value> v = ParseFile(path);
  ASSERT_FALSE(v.ok()) << bad.name << " parsed: " << v->DebugString();
  EXPECT_THAT(Msg(v.status()), StartsWith(path + ":" + bad.location + ": ")) << bad.name;
  EXPECT_THAT(Msg(v.status()), HasSubstr(bad.reason)) << bad.name;
}

INSTANTIATE_TEST_SUITE_P(
    Testdata, BadFileTest,
    ::testing::Values(
        BadFile{"unterminated_string.conf", "3:14", "unterminated string"},
        BadFile{"unclosed_brace.conf", "2:9", "unterminated map"},
        BadFile{"extra_brace.conf", "5:1", "unexpected '}'"},
        BadFile{"bad_array.conf", "4:25", "in array, expected ','"},
        BadFile{"unclosed_array.conf", "5:12", "unterminated array"},
        BadFile{"missing_value.conf", "3:1", "missing value for key 'port'"},
        BadFile{"undefined_variable.conf", "4:9",
                "variable reference for 'MERIDIAN_CONF_TEST_UNDEFINED' can not be found"},
        BadFile{"missing_include.conf", "3:9", "cannot read include file './does_not_exist.conf'"},
        BadFile{"garbage.conf", "4:18", "unexpected '@' after a value"},
        BadFile{"stray_separator.conf", "2:1", "unexpected '=', expected a key"}),
    [](const ::testing::TestParamInfo<BadFile>& info) {
      std::string name = info.param.name;
      return name.substr(0, name.find('.'));
    });

TEST(BadFileTest, IncludeCycleNamesTheChain) {
  const std::string a = TestdataPath("bad/include_cycle_a.conf");
  const std::string b = TestdataPath("bad/include_cycle_b.conf");
  absl::StatusOr<Value> v = ParseFile(a);
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(Msg(v.status()),
              StartsWith(b + ":3:9: include cycle: " + a + " -> " + b + " -> " + a));
  EXPECT_THAT(Msg(v.status()), HasSubstr("(included from " + a + ":3:9)"));
}

TEST(SyntaxErrorTest, Strings) {
  EXPECT_THAT(ParseError("a: 1\nb: 'never closed\n"),
              StartsWith("test.conf:2:4: unterminated string"));
  EXPECT_THAT(ParseError("\"key: 1\n"), StartsWith("test.conf:1:1: unterminated quoted key"));
  EXPECT_THAT(ParseError("a: C:\\data\n"),
              StartsWith("test.conf:1:6: invalid escape character 'd'"));
}

TEST(SyntaxErrorTest, Structure) {
  EXPECT_THAT(ParseError("a {\n  b: 1\n"), StartsWith("test.conf:1:3: unterminated map"));
  EXPECT_THAT(ParseError("a: 1\n}\n"), StartsWith("test.conf:2:1: unexpected '}'"));
  EXPECT_THAT(ParseError("a: [1,, 2]"), StartsWith("test.conf:1:7: unexpected ','"));
  EXPECT_THAT(ParseError("a: [, 2]"), StartsWith("test.conf:1:5: unexpected ','"));
  EXPECT_THAT(ParseError("a: [1 2]"), StartsWith("test.conf:1:7: unexpected '2' in array"));
  EXPECT_THAT(ParseError("a: [1}\n"), StartsWith("test.conf:1:6: unexpected '}' in array"));
  EXPECT_THAT(ParseError("a: {b: 1]\n"), StartsWith("test.conf:1:9: unexpected ']' after a value"));
  EXPECT_THAT(ParseError("m { ,a: 1 }"), StartsWith("test.conf:1:5: unexpected ','"));
  EXPECT_THAT(ParseError("{ a: 1 } b"),
              StartsWith("test.conf:1:10: unexpected 'b' after the closing"));
}

TEST(SyntaxErrorTest, MissingValues) {
  EXPECT_THAT(ParseError("port"), StartsWith("test.conf:1:1: missing value for key 'port'"));
  EXPECT_THAT(ParseError("a: 1\n  port =   \n"), StartsWith("test.conf:2:3: missing value"));
  EXPECT_THAT(ParseError("port # comment\n"), StartsWith("test.conf:1:1: missing value"));
  EXPECT_THAT(ParseError("port:"), StartsWith("test.conf:1:1: missing value"));
  EXPECT_THAT(ParseError("a: ,"), StartsWith("test.conf:1:4: unexpected ','"));
  EXPECT_THAT(ParseError("include\n"),
              StartsWith("test.conf:1:1: missing value for key 'include'"));
  EXPECT_THAT(ParseError("include   # x\n"),
              StartsWith("test.conf:1:1: include needs a file name"));
}

TEST(SyntaxErrorTest, Garbage) {
  EXPECT_THAT(ParseError("port: 4222 4223\n"), StartsWith("test.conf:1:12: unexpected '4'"));
  EXPECT_THAT(ParseError("a: 1\n: 2\n"), StartsWith("test.conf:2:1: unexpected ':'"));
  EXPECT_THAT(ParseError("a: \"x\"y\n"), StartsWith("test.conf:1:7: unexpected 'y'"));
  EXPECT_THAT(ParseError("a: $\n"), StartsWith("test.conf:1:4: '$' must be followed"));
}

// Every prefix of every valid testdata file either parses or fails with a
// located error; none crashes.
TEST(SyntaxErrorTest, TruncatedFilesFailCleanly) {
  for (const char* name :
       {"accounts.conf", "authorization.conf", "server.conf", "leafnodes.conf", "gateway.conf"}) {
    absl::StatusOr<Value> whole = ParseFile(TestdataPath(name));
    ASSERT_TRUE(whole.ok()) << whole.status();
    std::ifstream in(TestdataPath(name));
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (size_t n = 0; n < text.size(); ++n) {
      absl::StatusOr<Value> v = ParseString(text.substr(0, n), name, TestdataDir());
      if (!v.ok()) {
        EXPECT_THAT(Msg(v.status()),
                    ::testing::MatchesRegex(std::string(name) + ":[0-9]+:[0-9]+: .*"))
            << "prefix of " << n << " bytes";
      }
    }
  }
}

TEST(SyntaxErrorTest, DeepNestingIsRejectedNotCrashing) {
  std::string deep = "a: " + std::string(100000, '[');
  EXPECT_THAT(ParseError(deep), HasSubstr("nested too deeply"));
}

}  // namespace
}  // namespace meridian::conf
