#include "common/json/writer.h"

#include <cmath>
#include <limits>
#include <string>

#include "gtest/gtest.h"

namespace meridian::json {
namespace {

std::string Quoted(absl::string_view s, bool escape_html = true) {
  std::string out;
  AppendQuoted(s, &out, escape_html);
  return out;
}

std::string DoubleText(double d) {
  std::string out;
  AppendDouble(d, &out);
  return out;
}

TEST(EscapeTest, PlainTextIsCopied) {
  EXPECT_EQ(Quoted(""), R"("")");
  EXPECT_EQ(Quoted("hello world"), R"("hello world")");
  EXPECT_EQ(Quoted("foo.bar.>"), R"("foo.bar.\u003e")");
}

TEST(EscapeTest, QuotesBackslashAndShortEscapes) {
  EXPECT_EQ(Quoted("a\"b\\c/d"), R"("a\"b\\c/d")");  // '/' is not escaped by Go
  EXPECT_EQ(Quoted("\n\r\t\b\f"), R"("\n\r\t\b\f")");
}

TEST(EscapeTest, OtherControlCharactersAsLowercaseHex) {
  EXPECT_EQ(Quoted(std::string("\x00\x01\x1f", 3)), R"("\u0000\u0001\u001f")");
  EXPECT_EQ(Quoted("\x0b"), R"("\u000b")");
  EXPECT_EQ(Quoted("\x7f"), "\"\x7f\"");  // DEL passes, as in Go
}

TEST(EscapeTest, HtmlCharactersLikeGoDefault) {
  EXPECT_EQ(Quoted("<a href=\"x\">&amp;</a>"),
            R"("\u003ca href=\"x\"\u003e\u0026amp;\u003c/a\u003e")");
  EXPECT_EQ(Quoted("<>&", /*escape_html=*/false), R"("<>&")");
}

TEST(EscapeTest, Utf8KeptAsIs) {
  EXPECT_EQ(Quoted("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
}

TEST(EscapeTest, LineAndParagraphSeparatorsEscaped) {
  EXPECT_EQ(Quoted("a\xe2\x80\xa8" "b\xe2\x80\xa9"), R"("a\u2028b\u2029")");
  EXPECT_EQ(Quoted("\xe2\x80\xa8", false), R"("\u2028")");  // Go escapes them regardless
}

TEST(EscapeTest, InvalidUtf8BecomesReplacementPerByte) {
  EXPECT_EQ(Quoted("a\xff" "b"), R"("a\ufffdb")");
  EXPECT_EQ(Quoted("\xe2\x82"), R"("\ufffd\ufffd")");            // truncated
  EXPECT_EQ(Quoted("\xc0\x80"), R"("\ufffd\ufffd")");            // overlong NUL
  EXPECT_EQ(Quoted("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");  // encoded surrogate
  EXPECT_EQ(Quoted("\xf4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")");  // > U+10FFFF
  EXPECT_EQ(Quoted("\xf4\x8f\xbf\xbf"), "\"\xf4\x8f\xbf\xbf\"");  // U+10FFFF is fine
}

TEST(DoubleTest, GoFloat64Text) {
  EXPECT_EQ(DoubleText(0), "0");
  EXPECT_EQ(DoubleText(-0.0), "-0");
  EXPECT_EQ(DoubleText(1), "1");
  EXPECT_EQ(DoubleText(0.5), "0.5");
  EXPECT_EQ(DoubleText(0.1), "0.1");
  EXPECT_EQ(DoubleText(-2.25), "-2.25");
  EXPECT_EQ(DoubleText(123456789.125), "123456789.125");
  EXPECT_EQ(DoubleText(1e20), "100000000000000000000");
  EXPECT_EQ(DoubleText(1e21), "1e+21");
  EXPECT_EQ(DoubleText(1.5e300), "1.5e+300");
  EXPECT_EQ(DoubleText(0.000001), "0.000001");
  EXPECT_EQ(DoubleText(1e-7), "1e-7");
  EXPECT_EQ(DoubleText(-2.5e-9), "-2.5e-9");
  EXPECT_EQ(DoubleText(1.7976931348623157e308), "1.7976931348623157e+308");
  EXPECT_EQ(DoubleText(5e-324), "5e-324");
  EXPECT_EQ(DoubleText(std::nan("")), "null");
  EXPECT_EQ(DoubleText(std::numeric_limits<double>::infinity()), "null");
}

TEST(WriterTest, CompactLikeGoMarshal) {
  std::string out;
  Writer w = Writer::Compact(&out);
  w.BeginObject()
      .Member("server_id", "NABC")
      .MemberInt("port", 4222)
      .MemberBool("headers", true)
      .Key("connect_urls").BeginArray().String("10.0.0.1:4222").String("10.0.0.2:4222").EndArray()
      .Key("empty").BeginArray().EndArray()
      .Key("obj").BeginObject().EndObject()
      .Key("nil").Null()
      .MemberUint("max", std::numeric_limits<uint64_t>::max())
      .MemberInt("min", std::numeric_limits<int64_t>::min())
      .MemberDouble("cpu", 0.5)
      .EndObject();
  EXPECT_TRUE(w.complete());
  EXPECT_EQ(out,
            R"({"server_id":"NABC","port":4222,"headers":true,)"
            R"("connect_urls":["10.0.0.1:4222","10.0.0.2:4222"],"empty":[],"obj":{},"nil":null,)"
            R"("max":18446744073709551615,"min":-9223372036854775808,"cpu":0.5})");
}

// What json.MarshalIndent(v, "", "  ") prints for the equivalent Go value.
TEST(WriterTest, PrettyLikeGoMarshalIndent) {
  std::string out;
  Writer w = Writer::Pretty(&out);
  w.BeginObject();
  w.Member("server_id", "NABC");
  w.MemberInt("port", 4222);
  w.Key("tags").BeginArray().EndArray();
  w.Key("cluster").BeginObject().EndObject();
  w.Key("routes").BeginArray();
  w.BeginObject().MemberInt("rid", 1).Key("subs").BeginArray().EndArray().EndObject();
  w.BeginObject()
      .MemberInt("rid", 2)
      .Key("subs").BeginArray().String("foo").String("bar").EndArray()
      .EndObject();
  w.EndArray();
  w.MemberDouble("cpu", 0.5);
  w.Key("nested").BeginArray();
  w.BeginArray().EndArray();
  w.BeginObject().EndObject();
  w.BeginArray().BeginObject().EndObject().EndArray();
  w.EndArray();
  w.Key("http_req_stats").BeginObject().MemberUint("/varz", 3).EndObject();
  w.MemberBool("ok", true);
  w.Key("none").Null();
  w.EndObject();
  EXPECT_TRUE(w.complete());
  EXPECT_EQ(out, R"({
  "server_id": "NABC",
  "port": 4222,
  "tags": [],
  "cluster": {},
  "routes": [
    {
      "rid": 1,
      "subs": []
    },
    {
      "rid": 2,
      "subs": [
        "foo",
        "bar"
      ]
    }
  ],
  "cpu": 0.5,
  "nested": [
    [],
    {},
    [
      {}
    ]
  ],
  "http_req_stats": {
    "/varz": 3
  },
  "ok": true,
  "none": null
})");
}

TEST(WriterTest, PrettyTopLevelEmptyContainersAndScalars) {
  std::string a, b, c, d;
  Writer::Pretty(&a).BeginObject().EndObject();
  Writer::Pretty(&b).BeginArray().EndArray();
  Writer::Pretty(&c).BeginArray().Int(1).Int(2).EndArray();
  Writer::Pretty(&d).String("x");
  EXPECT_EQ(a, "{}");
  EXPECT_EQ(b, "[]");
  EXPECT_EQ(c, "[\n  1,\n  2\n]");
  EXPECT_EQ(d, R"("x")");
}

TEST(WriterTest, CustomIndentAndKeysAreEscaped) {
  std::string out;
  Writer w(&out, {.pretty = true, .indent = 3});  // /ipqueuesz and /raftz use 3 spaces
  w.BeginObject().MemberInt("a<b", 1).EndObject();
  EXPECT_EQ(out, "{\n   \"a\\u003cb\": 1\n}");
}

TEST(WriterTest, RawIsCopied) {
  std::string out;
  Writer w = Writer::Compact(&out);
  w.BeginArray().Raw(R"({"k":1})").Int(2).EndArray();
  EXPECT_EQ(out, R"([{"k":1},2])");
}

TEST(WriterTest, AppendsToExistingContent) {
  std::string out = "INFO ";
  Writer::Compact(&out).BeginObject().Member("server_name", "n1").EndObject();
  out += "\r\n";
  EXPECT_EQ(out, "INFO {\"server_name\":\"n1\"}\r\n");
}

TEST(WriterTest, CompleteAndDepth) {
  std::string out;
  Writer w = Writer::Compact(&out);
  EXPECT_FALSE(w.complete());
  w.BeginObject().Key("a").BeginArray();
  EXPECT_EQ(w.depth(), 2);
  EXPECT_FALSE(w.complete());
  w.EndArray().EndObject();
  EXPECT_EQ(w.depth(), 0);
  EXPECT_TRUE(w.complete());
}

}  // namespace
}  // namespace meridian::json
