#include "common/json/parser.h"

#include <limits>
#include <random>
#include <string>

#include "gtest/gtest.h"

namespace meridian::json {
namespace {

Value MustParse(absl::string_view text) {
  auto v = Parse(text);
  EXPECT_TRUE(v.ok()) << text << ": " << v.status();
  return v.ok() ? *std::move(v) : Value();
}

TEST(ParseTest, Scalars) {
  EXPECT_TRUE(MustParse("null").is_null());
  EXPECT_EQ(MustParse("true").AsBool(), true);
  EXPECT_EQ(MustParse(" false ").AsBool(), false);
  EXPECT_EQ(MustParse("0").AsInt64(), 0);
  EXPECT_EQ(MustParse("-12").AsInt64(), -12);
  EXPECT_EQ(MustParse("1.5").AsDouble(), 1.5);
  EXPECT_EQ(MustParse("-0.25e2").AsDouble(), -25.0);
  EXPECT_EQ(MustParse("1E+2").AsDouble(), 100.0);
  EXPECT_EQ(MustParse("\t\r\n\"s\"\n").AsString()[0], "s");
}

TEST(ParseTest, IntegersStayExact) {
  Value max64 = MustParse("9223372036854775807");
  EXPECT_EQ(max64.AsInt64(), std::numeric_limits<int64_t>::max());
  Value min64 = MustParse("-9223372036854775808");
  EXPECT_EQ(min64.AsInt64(), std::numeric_limits<int64_t>::min());
  Value above = MustParse("9223372036854775808");
  EXPECT_TRUE(above.is_integral());
  EXPECT_EQ(above.AsInt64(), std::nullopt);
  EXPECT_EQ(above.AsUint64(), 9223372036854775808ULL);
  Value umax = MustParse("18446744073709551615");
  EXPECT_EQ(umax.AsUint64(), std::numeric_limits<uint64_t>::max());
  Value too_big = MustParse("18446744073709551616");
  EXPECT_FALSE(too_big.is_integral());
  EXPECT_EQ(too_big.AsDouble(), 18446744073709551616.0);
  Value too_small = MustParse("-9223372036854775809");
  EXPECT_FALSE(too_small.is_integral());
  EXPECT_FALSE(MustParse("1.0").is_integral());
  EXPECT_FALSE(MustParse("1e3").is_integral());
  EXPECT_EQ(MustParse("1e3").AsDouble(), 1000.0);
  EXPECT_EQ(MustParse("1e-400").AsDouble(), 0.0);  // underflow is not an error (Go)
  EXPECT_EQ(MustParse("4.9e-324").AsDouble(), 4.9e-324);
}

TEST(ParseTest, StringEscapes) {
  EXPECT_EQ(*MustParse(R"("a\"b\\c\/d\b\f\n\r\t")").AsString(), "a\"b\\c/d\b\f\n\r\t");
  EXPECT_EQ(*MustParse(R"("\u00e9\u20AC")").AsString(), "\xc3\xa9\xe2\x82\xac");
  EXPECT_EQ(*MustParse(R"("\ud83d\ude00")").AsString(), "\xf0\x9f\x98\x80");
  EXPECT_EQ(*MustParse(R"("\u0000")").AsString(), std::string(1, '\0'));
  EXPECT_EQ(*MustParse("\"caf\xc3\xa9\"").AsString(), "caf\xc3\xa9");
  EXPECT_EQ(*MustParse(R"("\u003c\u003e\u0026")").AsString(), "<>&");
}

TEST(ParseTest, RoundTripCompactAndPretty) {
  const std::string compact =
      R"({"server_id":"NABC","port":4222,"cpu":0.5,"tags":[],"cluster":{},)"
      R"("routes":[{"rid":1,"subs":["a","b"]},{"rid":2,"subs":[]}],"ok":true,"none":null,)"
      R"("big":18446744073709551615,"neg":-9223372036854775808,"s":"\u003cx\u003e\n\u0001"})";
  Value v = MustParse(compact);
  EXPECT_EQ(v.ToJson(), compact);
  const std::string pretty = v.ToJson(/*pretty=*/true);
  Value again = MustParse(pretty);
  EXPECT_EQ(again, v);
  EXPECT_EQ(again.ToJson(true), pretty);
}

TEST(ParseTest, DepthLimit) {
  std::string ok = std::string(64, '[') + std::string(64, ']');
  EXPECT_TRUE(Parse(ok).ok());
  std::string deep = std::string(65, '[') + std::string(65, ']');
  ParseError err;
  auto v = Parse(deep, {}, &err);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(err.message, "exceeded max depth");
  EXPECT_EQ(err.offset, 64u);
  std::string objects;
  for (int i = 0; i < 65; ++i) objects += "{\"a\":";
  objects += "1" + std::string(65, '}');
  EXPECT_FALSE(Parse(objects).ok());
  EXPECT_TRUE(Parse(objects, {.max_depth = 65}).ok());
}

struct ErrorCase {
  std::string input;
  std::string message;
  size_t offset;
};

class ParseErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ParseErrorTest, GoTextAndOffset) {
  const ErrorCase& c = GetParam();
  ParseError err;
  auto v = Parse(c.input, {}, &err);
  ASSERT_FALSE(v.ok()) << c.input;
  EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(err.message, c.message) << c.input;
  EXPECT_EQ(err.offset, c.offset) << c.input;
  EXPECT_EQ(v.status().message(), c.message + " at offset " + std::to_string(c.offset));
}

INSTANTIATE_TEST_SUITE_P(
    All, ParseErrorTest,
    ::testing::Values(
        ErrorCase{"", "unexpected end of JSON input", 0},
        ErrorCase{"   ", "unexpected end of JSON input", 3},
        ErrorCase{"x", "invalid character 'x' looking for beginning of value", 0},
        ErrorCase{"'a'", "invalid character '\\'' looking for beginning of value", 0},
        ErrorCase{std::string(1, '\0'), "invalid character '\\x00' looking for beginning of value", 0},
        ErrorCase{"\xef\xbb\xbf{}", "invalid character '\xc3\xaf' looking for beginning of value", 0},
        ErrorCase{"\x80", "invalid character '\\u0080' looking for beginning of value", 0},
        ErrorCase{"{\"a\":1} x", "invalid character 'x' after top-level value", 8},
        ErrorCase{"\"a\"\"b\"", "invalid character '\"' after top-level value", 3},
        ErrorCase{"{\"X\":12x}", "invalid character 'x' after object key:value pair", 7},
        ErrorCase{"[1,]", "invalid character ']' looking for beginning of value", 3},
        ErrorCase{"[,1]", "invalid character ',' looking for beginning of value", 1},
        ErrorCase{"{\"a\":1,}", "invalid character '}' looking for beginning of object key string", 7},
        ErrorCase{"{a:1}", "invalid character 'a' looking for beginning of object key string", 1},
        ErrorCase{"{\"a\" 1}", "invalid character '1' after object key", 5},
        ErrorCase{"{\"a\":}", "invalid character '}' looking for beginning of value", 5},
        ErrorCase{"[1 2]", "invalid character '2' after array element", 3},
        ErrorCase{"[1}", "invalid character '}' after array element", 2},
        ErrorCase{"\"a\x01\"", "invalid character '\\x01' in string literal", 2},
        ErrorCase{"\"a\nb\"", "invalid character '\\n' in string literal", 2},
        ErrorCase{"\"\\x\"", "invalid character 'x' in string escape code", 2},
        ErrorCase{"\"\\U0041\"", "invalid character 'U' in string escape code", 2},
        ErrorCase{"\"\\u12g4\"", "invalid character 'g' in \\u hexadecimal character escape", 5},
        ErrorCase{"\"\\u12", "unexpected end of JSON input", 5},
        ErrorCase{"\"abc", "unexpected end of JSON input", 4},
        ErrorCase{"\"abc\\", "unexpected end of JSON input", 5},
        ErrorCase{"-", "unexpected end of JSON input", 1},
        ErrorCase{"-a", "invalid character 'a' in numeric literal", 1},
        ErrorCase{"+1", "invalid character '+' looking for beginning of value", 0},
        ErrorCase{"01", "invalid character '1' after top-level value", 1},
        ErrorCase{"[01]", "invalid character '1' after array element", 2},
        ErrorCase{"1.", "unexpected end of JSON input", 2},
        ErrorCase{".5", "invalid character '.' looking for beginning of value", 0},
        ErrorCase{"1.e5", "invalid character 'e' after decimal point in numeric literal", 2},
        ErrorCase{"1e", "unexpected end of JSON input", 2},
        ErrorCase{"1e+", "unexpected end of JSON input", 3},
        ErrorCase{"1ex", "invalid character 'x' in exponent of numeric literal", 2},
        ErrorCase{"1e+x", "invalid character 'x' in exponent of numeric literal", 3},
        ErrorCase{"1e400", "number 1e400 out of range", 0},
        ErrorCase{"[-1e999]", "number -1e999 out of range", 1},
        ErrorCase{"tru", "unexpected end of JSON input", 3},
        ErrorCase{"trUe", "invalid character 'U' in literal true (expecting 'u')", 2},
        ErrorCase{"falsy", "invalid character 'y' in literal false (expecting 'e')", 4},
        ErrorCase{"nul1", "invalid character '1' in literal null (expecting 'l')", 3},
        ErrorCase{"True", "invalid character 'T' looking for beginning of value", 0},
        ErrorCase{"NaN", "invalid character 'N' looking for beginning of value", 0},
        ErrorCase{"[", "unexpected end of JSON input", 1},
        ErrorCase{"[1,2", "unexpected end of JSON input", 4},
        ErrorCase{"{", "unexpected end of JSON input", 1},
        ErrorCase{"{\"a\"", "unexpected end of JSON input", 4},
        ErrorCase{"{\"a\":", "unexpected end of JSON input", 5},
        ErrorCase{"{\"a\":1,", "unexpected end of JSON input", 7},
        ErrorCase{"\"\\ud800\"", "unpaired surrogate \\ud800 in string literal", 1},
        ErrorCase{"\"x\\udc00\"", "unpaired surrogate \\udc00 in string literal", 2},
        ErrorCase{"\"\\ud800\\u0041\"", "unpaired surrogate \\ud800 in string literal", 1},
        ErrorCase{"\"\\ud800\\ud800\\udc00\"", "unpaired surrogate \\ud800 in string literal", 1},
        ErrorCase{"\"\xff\"", "invalid UTF-8 in string literal", 1},
        ErrorCase{"\"ok\xc3\"", "invalid UTF-8 in string literal", 3},
        ErrorCase{"\"\xed\xa0\x80\"", "invalid UTF-8 in string literal", 1},
        ErrorCase{"\"\xc0\xaf\"", "invalid UTF-8 in string literal", 1}));

TEST(ParseTest, ReplaceInvalidUnicodeLikeGo) {
  ParseOptions go{.replace_invalid_unicode = true};
  const std::string fffd = "\xef\xbf\xbd";
  auto a = Parse("\"\\ud800\\u0041\"", go);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(*a->AsString(), fffd + "A");
  auto b = Parse("\"\\ud800\\ud800\\udc00\"", go);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(*b->AsString(), fffd + "\xf0\x90\x80\x80");
  auto c = Parse("\"a\xff" "b\"", go);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(*c->AsString(), "a" + fffd + "b");
  auto d = Parse("\"\\udc00\"", go);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d->AsString(), fffd);
}

// Random byte strings and truncations/mutations of valid documents must never
// crash; anything accepted must round-trip.
TEST(ParseTest, RandomInputsNeverCrash) {
  const std::string seed =
      R"({"verbose":false,"name":"x\u00e9\ud83d\ude00","a":[1,-2.5e3,true,null,{"b":[]}],"n":18446744073709551615})";
  ASSERT_TRUE(Parse(seed).ok());
  std::mt19937 rng(12345);
  const std::string alphabet = "{}[]\",:\\u0123456789eE+-.tfnrlsaxd \n\x01\xff\xc3\xa9";
  for (int iter = 0; iter < 20000; ++iter) {
    std::string input = seed;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      size_t pos = rng() % (input.size() + 1);
      switch (rng() % 3) {
        case 0: input.insert(pos, 1, alphabet[rng() % alphabet.size()]); break;
        case 1: if (pos < input.size()) input.erase(pos, 1); break;
        default: input.resize(pos); break;
      }
    }
    ParseError err;
    auto v = Parse(input, {}, &err);
    if (v.ok()) {
      auto again = Parse(v->ToJson());
      ASSERT_TRUE(again.ok()) << input;
      EXPECT_EQ(*again, *v) << input;
    } else {
      EXPECT_LE(err.offset, input.size());
      EXPECT_FALSE(err.message.empty());
    }
  }
}

}  // namespace
}  // namespace meridian::json
