#include <cstdlib>

#include "common/conf/conf.h"
#include "common/conf/tests/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace meridian::conf {
namespace {

using ::meridian::conf::testing::MustParse;
using ::meridian::conf::testing::ParseError;
using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(ParserTest, EmptyAndCommentOnly) {
  EXPECT_EQ(MustParse("").DebugString(), "{}");
  EXPECT_EQ(MustParse("\n\n  # only comments\n// and more\n").DebugString(), "{}");
}

TEST(ParserTest, KeySeparators) {
  Value v = MustParse("a: 1\nb = 2\nc 3\nd:4\ne=5\nf\t6\n");
  EXPECT_EQ(v.DebugString(), R"({"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6})");
}

TEST(ParserTest, TopLevelSeparatorsAndComments) {
  Value v = MustParse("foo='1'; bar=2.2; baz=true, boo=22 # trailing\nqux: x // also\n");
  EXPECT_EQ(v.DebugString(), R"({"foo": "1", "bar": 2.2, "baz": true, "boo": 22, "qux": "x"})");
}

TEST(ParserTest, QuotedKeysKeepSpelling) {
  Value v = MustParse("\"Quoted Key\": 1\n'single': 2\nMixedCase: 3\n");
  EXPECT_EQ(v.as_map()[0].first, "Quoted Key");
  EXPECT_EQ(v.Find("quoted key")->as_int(), 1);
  EXPECT_EQ(v.Find("SINGLE")->as_int(), 2);
  EXPECT_EQ(v.as_map()[2].first, "MixedCase");
  EXPECT_EQ(v.Find("mixedcase")->as_int(), 3);
}

TEST(ParserTest, DuplicateKeyLaterWins) {
  Value v = MustParse("port: 1\nPORT: 2\n");
  EXPECT_EQ(v.as_map().size(), 2u);
  EXPECT_EQ(v.Find("port")->as_int(), 2);
}

TEST(ParserTest, Booleans) {
  for (const char* t : {"true", "TRUE", "yes", "Yes", "on", "ON"}) {
    Value v = MustParse(std::string("x: ") + t);
    ASSERT_TRUE(v.Find("x")->is_bool()) << t;
    EXPECT_TRUE(v.Find("x")->as_bool()) << t;
  }
  for (const char* f : {"false", "False", "no", "NO", "off", "Off"}) {
    Value v = MustParse(std::string("x: ") + f);
    ASSERT_TRUE(v.Find("x")->is_bool()) << f;
    EXPECT_FALSE(v.Find("x")->as_bool()) << f;
  }
  // Quoted booleans stay strings.
  EXPECT_TRUE(MustParse("x: \"true\"").Find("x")->is_string());
  EXPECT_TRUE(MustParse("x: 'off'").Find("x")->is_string());
}

TEST(ParserTest, Numbers) {
  Value v = MustParse("a: 4222\nb: -1\nc: 0.5\nd: -2.25\ne: 0\nf: 9223372036854775807\n");
  EXPECT_EQ(v.Find("a")->as_int(), 4222);
  EXPECT_EQ(v.Find("b")->as_int(), -1);
  EXPECT_TRUE(v.Find("c")->is_double());
  EXPECT_DOUBLE_EQ(v.Find("c")->as_double(), 0.5);
  EXPECT_DOUBLE_EQ(v.Find("d")->as_double(), -2.25);
  EXPECT_EQ(v.Find("e")->as_int(), 0);
  EXPECT_EQ(v.Find("f")->as_int(), INT64_MAX);
}

TEST(ParserTest, IntegerOutOfRange) {
  EXPECT_THAT(ParseError("a: 1\nb: 9223372036854775808\n"),
              StartsWith("test.conf:2:4: integer '9223372036854775808' is out of range"));
  EXPECT_THAT(ParseError("b: 10000000000G"), HasSubstr("out of range"));
}

TEST(ParserTest, SizeSuffixes) {
  Value v = MustParse(R"(
k = 8k
kb = 4kb
ki = 3ki
kib = 4KiB
m = 1m
mb = 2MB
mi = 2Mi
mib = 64MiB
g = 2g
gb = 22GB
gi = 22Gi
gib = 22GiB
t = 1T
tb = 22TB
ti = 22Ti
tib = 22TiB
p = 1p
pb = 2PB
pi = 2Pi
e = 1E
eb = 1eb
neg = -2k
)");
  const int64_t K = 1024;
  EXPECT_EQ(v.Find("k")->as_int(), 8000);
  EXPECT_EQ(v.Find("kb")->as_int(), 4 * K);
  EXPECT_EQ(v.Find("ki")->as_int(), 3 * K);
  EXPECT_EQ(v.Find("kib")->as_int(), 4 * K);
  EXPECT_EQ(v.Find("m")->as_int(), 1000000);
  EXPECT_EQ(v.Find("mb")->as_int(), 2 * K * K);
  EXPECT_EQ(v.Find("mi")->as_int(), 2 * K * K);
  EXPECT_EQ(v.Find("mib")->as_int(), 64 * K * K);
  EXPECT_EQ(v.Find("g")->as_int(), 2000000000);
  EXPECT_EQ(v.Find("gb")->as_int(), 22 * K * K * K);
  EXPECT_EQ(v.Find("gi")->as_int(), 22 * K * K * K);
  EXPECT_EQ(v.Find("gib")->as_int(), 22 * K * K * K);
  EXPECT_EQ(v.Find("t")->as_int(), 1000000000000);
  EXPECT_EQ(v.Find("tb")->as_int(), 22 * K * K * K * K);
  EXPECT_EQ(v.Find("ti")->as_int(), 22 * K * K * K * K);
  EXPECT_EQ(v.Find("tib")->as_int(), 22 * K * K * K * K);
  EXPECT_EQ(v.Find("p")->as_int(), 1000000000000000);
  EXPECT_EQ(v.Find("pb")->as_int(), 2 * K * K * K * K * K);
  EXPECT_EQ(v.Find("pi")->as_int(), 2 * K * K * K * K * K);
  EXPECT_EQ(v.Find("e")->as_int(), 1000000000000000000);
  EXPECT_EQ(v.Find("eb")->as_int(), K * K * K * K * K * K);
  EXPECT_EQ(v.Find("neg")->as_int(), -2000);
  EXPECT_THAT(ParseError("x: 1kbi"), HasSubstr("invalid size suffix 'kbi'"));
}

TEST(ParserTest, WordsThatStartWithDigitsAreStrings) {
  Value v = MustParse(
      "a: 500ms\nb: 2s\nc: 1h\nd: 1m30s\ne: 127.0.0.1\nf: 0.0.0.0:4222\n"
      "g: 2023-01-01T00:00:00Z\nh: 3xyz\ni: 1.5k\n");
  for (const char* k : {"a", "b", "c", "d", "e", "f", "g", "h", "i"}) {
    EXPECT_TRUE(v.Find(k)->is_string()) << k;
  }
  EXPECT_EQ(v.Find("a")->as_string(), "500ms");
  EXPECT_EQ(v.Find("d")->as_string(), "1m30s");
  EXPECT_EQ(v.Find("f")->as_string(), "0.0.0.0:4222");
  EXPECT_EQ(v.Find("g")->as_string(), "2023-01-01T00:00:00Z");
}

TEST(ParserTest, BareStrings) {
  Value v = MustParse(
      "host: 0.0.0.0\nstore_dir: /data/js\nurl: nats://a:4222\npass: abc#123\n"
      "subject: foo.*.>\n");
  EXPECT_EQ(v.Find("host")->as_string(), "0.0.0.0");
  EXPECT_EQ(v.Find("store_dir")->as_string(), "/data/js");
  EXPECT_EQ(v.Find("url")->as_string(), "nats://a:4222");
  EXPECT_EQ(v.Find("pass")->as_string(), "abc#123");  // '#' inside a word is no comment
  EXPECT_EQ(v.Find("subject")->as_string(), "foo.*.>");
}

TEST(ParserTest, DoubleQuotedEscapes) {
  Value v = MustParse(R"(s: "a\tb\nc\r\"q\" \\ \x41 \u00e9 # not a comment")");
  EXPECT_EQ(v.Find("s")->as_string(), "a\tb\nc\r\"q\" \\ A \xC3\xA9 # not a comment");
  EXPECT_THAT(ParseError(R"(s: "bad \q")"),
              StartsWith("test.conf:1:9: invalid escape character 'q'"));
  EXPECT_THAT(ParseError(R"(s: "\u12")"), HasSubstr("expected 4 hexadecimal digits"));
}

TEST(ParserTest, SingleQuotedIsRaw) {
  Value v = MustParse(R"(s: 'C:\data\$HOME "x"')");
  EXPECT_EQ(v.Find("s")->as_string(), R"(C:\data\$HOME "x")");
}

TEST(ParserTest, QuotedStringsMaySpanLines) {
  Value v = MustParse("text = 'This is a multi-line\ntext block.'\nnext: 1\n");
  EXPECT_EQ(v.Find("text")->as_string(), "This is a multi-line\ntext block.");
  EXPECT_EQ(v.Find("next")->pos().line, 3);
}

TEST(ParserTest, BlockStrings) {
  Value v = MustParse("motd (\n  Welcome to\n  (the) server\n)\nport: 1\n");
  EXPECT_EQ(v.Find("motd")->as_string(), "\n  Welcome to\n  (the) server\n");
  EXPECT_EQ(v.Find("port")->as_int(), 1);
  EXPECT_EQ(v.Find("port")->pos().line, 5);
  // Closing ')' at end of file.
  EXPECT_EQ(MustParse("b: (\nx\n)").Find("b")->as_string(), "\nx\n");
  // An indented ')' does not close the block.
  EXPECT_THAT(ParseError("a: 1\nb: (\n  x\n  )\n"),
              StartsWith("test.conf:2:4: unterminated block string"));
}

TEST(ParserTest, NestedMapsAndArrays) {
  Value v = MustParse(R"(
foo  {
  host {
    ip   = '127.0.0.1'
    port = 4242
  }
  servers = [ "a.com", "b.com", "c.com"]
}
array [
  { abc: 123 }
  { xyz: "word" }
]
mixed: [1, two, 3.0, [4, 5], {six: 6},]
empty_map {}
empty_array: []
)");
  EXPECT_EQ(v.Find("foo")->Find("host")->Find("port")->as_int(), 4242);
  EXPECT_EQ(v.Find("foo")->Find("servers")->as_array()[2].as_string(), "c.com");
  EXPECT_EQ(v.Find("array")->as_array()[1].Find("xyz")->as_string(), "word");
  EXPECT_EQ(v.Find("mixed")->DebugString(), R"([1, "two", 3.0, [4, 5], {"six": 6}])");
  EXPECT_EQ(v.Find("empty_map")->DebugString(), "{}");
  EXPECT_EQ(v.Find("empty_array")->DebugString(), "[]");
}

TEST(ParserTest, ArraySeparatorsAndComments) {
  Value v = MustParse(R"(
routes = [
  nats-route://a:6222   # first
  nats-route://b:6222,  // second
  "nats-route://c:6222",
]
inline: [a,b ,c]
)");
  EXPECT_EQ(v.Find("routes")->DebugString(),
            R"(["nats-route://a:6222", "nats-route://b:6222", "nats-route://c:6222"])");
  EXPECT_EQ(v.Find("inline")->DebugString(), R"(["a", "b", "c"])");
}

TEST(ParserTest, MapSeparators) {
  Value v = MustParse("m { a: 1, b: 2; c: 3\n d: 4, }\nn: {x: 1}\n");
  EXPECT_EQ(v.DebugString(), R"({"m": {"a": 1, "b": 2, "c": 3, "d": 4}, "n": {"x": 1}})");
}

TEST(ParserTest, BraceOnNextLine) {
  Value v = MustParse("cluster\n{\n  name: c1\n}\n");
  EXPECT_EQ(v.Find("cluster")->Find("name")->as_string(), "c1");
}

TEST(ParserTest, WholeFileInBraces) {
  Value v = MustParse("{\n  \"port\": 4222,\n  \"cluster\": {\"name\": \"c\"}\n}\n");
  EXPECT_EQ(v.Find("port")->as_int(), 4222);
  EXPECT_EQ(v.Find("cluster")->Find("name")->as_string(), "c");
}

TEST(ParserTest, CrLfLineEndings) {
  Value v = MustParse("a: 1\r\nb {\r\n  c: [x,\r\n y]\r\n}\r\nd: (\r\ntext\r\n)\r\ne: 'q'\r\n");
  EXPECT_EQ(v.DebugString(), R"({"a": 1, "b": {"c": ["x", "y"]}, "d": "\r\ntext\r\n", "e": "q"})");
  EXPECT_EQ(v.Find("e")->pos().ToString(), "test.conf:9:4");
}

TEST(ParserTest, Positions) {
  Value v = MustParse(
      "# comment\nport: 4222\ncluster {\n  name:   \"east\"\n  routes: [\n    a\n  ]\n}\n");
  EXPECT_EQ(v.pos().ToString(), "test.conf:1:1");
  EXPECT_EQ(v.Find("port")->pos().ToString(), "test.conf:2:7");
  EXPECT_EQ(v.Find("cluster")->pos().ToString(), "test.conf:3:9");
  EXPECT_EQ(v.Find("cluster")->Find("name")->pos().ToString(), "test.conf:4:11");
  EXPECT_EQ(v.Find("cluster")->Find("routes")->pos().ToString(), "test.conf:5:11");
  EXPECT_EQ(v.Find("cluster")->Find("routes")->as_array()[0].pos().ToString(), "test.conf:6:5");
}

TEST(ParserTest, IncludeIsAKeywordOnlyBeforeBlanks) {
  Value v = MustParse("include: 5\n");
  EXPECT_EQ(v.Find("include")->as_int(), 5);
}

TEST(VariableTest, SimpleAndNestedScopes) {
  Value v = MustParse(R"(
index = 22
foo = $index
nest {
  index = 11
  foo = $index
  deeper { bar = $index }
}
bar = $index
list = [ $index, { x: $index } ]
)");
  EXPECT_EQ(v.Find("foo")->as_int(), 22);
  EXPECT_EQ(v.Find("nest")->Find("foo")->as_int(), 11);
  EXPECT_EQ(v.Find("nest")->Find("deeper")->Find("bar")->as_int(), 11);
  EXPECT_EQ(v.Find("bar")->as_int(), 22);
  EXPECT_EQ(v.Find("list")->DebugString(), R"([22, {"x": 22}])");
  // The copy is positioned where it is referenced.
  EXPECT_EQ(v.Find("foo")->pos().line, 3);
}

TEST(VariableTest, MapAndArrayValuesAreCopied) {
  Value v = MustParse("PERMS = { publish: \">\" }\nusers = [ { user: a, permissions: $PERMS } ]\n");
  EXPECT_EQ(v.Find("users")->as_array()[0].Find("permissions")->Find("publish")->as_string(), ">");
}

TEST(VariableTest, BlockVariablesAreNotVisibleAfterTheBlock) {
  EXPECT_THAT(ParseError("a { secret = 1 }\nb = $secret\n"),
              StartsWith("test.conf:2:5: variable reference for 'secret' can not be found"));
}

TEST(VariableTest, NotExpandedInQuotedStrings) {
  Value v = MustParse("x = 1\na = \"$x\"\nb = '$x'\nc = (\n$x\n)\n");
  EXPECT_EQ(v.Find("a")->as_string(), "$x");
  EXPECT_EQ(v.Find("b")->as_string(), "$x");
  EXPECT_EQ(v.Find("c")->as_string(), "\n$x\n");
}

TEST(VariableTest, BcryptHashIsNotAVariable) {
  Value v = MustParse("password: $2a$11$ooo\n");
  EXPECT_EQ(v.Find("password")->as_string(), "$2a$11$ooo");
}

TEST(VariableTest, Undefined) {
  EXPECT_EQ(ParseError("port: 1\nfoo = $MERIDIAN_CONF_NO_SUCH_VARIABLE\n"),
            "test.conf:2:7: variable reference for 'MERIDIAN_CONF_NO_SUCH_VARIABLE' can not be "
            "found (define it above or in the environment)");
}

class EnvTest : public ::testing::Test {
 protected:
  void Set(const char* name, const char* value) {
    ASSERT_EQ(setenv(name, value, 1), 0);
    names_.push_back(name);
  }
  void TearDown() override {
    for (const char* n : names_) unsetenv(n);
  }
  std::vector<const char*> names_;
};

TEST_F(EnvTest, EnvironmentValuesAreParsedAsValues) {
  Set("MERIDIAN_CONF_T_INT", "22");
  Set("MERIDIAN_CONF_T_STR", "xyz");
  Set("MERIDIAN_CONF_T_SIZE", "1MB");
  Set("MERIDIAN_CONF_T_BOOL", "yes");
  Set("MERIDIAN_CONF_T_QUOTED", "'3xyz'");
  Set("MERIDIAN_CONF_T_ARRAY", "[a, b]");
  Set("MERIDIAN_CONF_T_NESTED", "$MERIDIAN_CONF_T_INT");
  Value v = MustParse(
      "a: $MERIDIAN_CONF_T_INT\nb: $MERIDIAN_CONF_T_STR\nc: $MERIDIAN_CONF_T_SIZE\n"
      "d: $MERIDIAN_CONF_T_BOOL\ne: $MERIDIAN_CONF_T_QUOTED\nf: $MERIDIAN_CONF_T_ARRAY\n"
      "g: $MERIDIAN_CONF_T_NESTED\n");
  EXPECT_EQ(v.Find("a")->as_int(), 22);
  EXPECT_EQ(v.Find("b")->as_string(), "xyz");
  EXPECT_EQ(v.Find("c")->as_int(), 1024 * 1024);
  EXPECT_TRUE(v.Find("d")->as_bool());
  EXPECT_EQ(v.Find("e")->as_string(), "3xyz");
  EXPECT_EQ(v.Find("f")->DebugString(), R"(["a", "b"])");
  EXPECT_EQ(v.Find("g")->as_int(), 22);
  EXPECT_EQ(v.Find("a")->pos().ToString(), "test.conf:1:4");
}

TEST_F(EnvTest, FileDefinitionsShadowTheEnvironment) {
  Set("MERIDIAN_CONF_T_SHADOW", "from-env");
  Value v = MustParse("MERIDIAN_CONF_T_SHADOW: from-file\nx: $MERIDIAN_CONF_T_SHADOW\n");
  EXPECT_EQ(v.Find("x")->as_string(), "from-file");
}

TEST_F(EnvTest, EnvironmentCycle) {
  Set("MERIDIAN_CONF_T_A", "$MERIDIAN_CONF_T_B");
  Set("MERIDIAN_CONF_T_B", "$MERIDIAN_CONF_T_A");
  EXPECT_THAT(ParseError("x: $MERIDIAN_CONF_T_A"),
              AllOf(StartsWith("test.conf:1:4: "), HasSubstr("variable reference cycle")));
}

TEST_F(EnvTest, BadEnvironmentValue) {
  Set("MERIDIAN_CONF_T_BAD", "\"unterminated");
  EXPECT_THAT(
      ParseError("\nx: $MERIDIAN_CONF_T_BAD"),
      StartsWith("test.conf:2:4: environment variable 'MERIDIAN_CONF_T_BAD' could not be parsed"));
}

}  // namespace
}  // namespace meridian::conf
