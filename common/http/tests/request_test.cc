#include "common/http/request.h"

#include "gtest/gtest.h"

namespace meridian::http {
namespace {

TEST(UrlDecodeTest, PercentAndPlus) {
  std::string out;
  ASSERT_TRUE(UrlDecode("a%20b+c%2Fd%3f", true, &out));
  EXPECT_EQ(out, "a b c/d?");
  ASSERT_TRUE(UrlDecode("a+b", false, &out));
  EXPECT_EQ(out, "a+b");
  ASSERT_TRUE(UrlDecode("", true, &out));
  EXPECT_EQ(out, "");
  ASSERT_TRUE(UrlDecode("%e2%82%AC", true, &out));
  EXPECT_EQ(out, "\xe2\x82\xac");
  EXPECT_FALSE(UrlDecode("%", true, &out));
  EXPECT_FALSE(UrlDecode("a%2", true, &out));
  EXPECT_FALSE(UrlDecode("%zz", true, &out));
  EXPECT_FALSE(UrlDecode("%%41", true, &out));
}

TEST(ParseQueryTest, GoSemantics) {
  QueryParams q = ParseQuery("subs=detail&acc=A%20B&x=1+2&flag&&empty=&dup=1&dup=2");
  QueryParams want = {{"subs", "detail"}, {"acc", "A B"}, {"x", "1 2"}, {"flag", ""},
                      {"empty", ""},      {"dup", "1"},   {"dup", "2"}};
  EXPECT_EQ(q, want);
  // Malformed escapes and ';' drop only their own pair.
  EXPECT_EQ(ParseQuery("a=%zz&b=1&c=1;d=2&e=%41"),
            (QueryParams{{"b", "1"}, {"e", "A"}}));
  EXPECT_EQ(ParseQuery("a=b=c"), (QueryParams{{"a", "b=c"}}));
  EXPECT_TRUE(ParseQuery("").empty());
}

TEST(RequestTest, ParamAccessors) {
  Request r;
  r.query = ParseQuery("subs=1&flag&dup=a&dup=b");
  EXPECT_EQ(r.Param("subs"), "1");
  EXPECT_EQ(r.Param("flag"), "");
  EXPECT_EQ(r.Param("missing"), std::nullopt);
  EXPECT_EQ(r.Param("dup"), "a");
  EXPECT_EQ(r.Params("dup"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(r.HasParam("flag"));
  EXPECT_FALSE(r.HasParam("Subs"));  // names are case-sensitive, as in Go
}

TEST(RequestTest, HeadersCaseInsensitive) {
  Request r;
  r.headers = {{"Host", "x"}, {"connection", "Upgrade, Keep-Alive"}, {"Connection", "close"}};
  ASSERT_NE(r.Header("HOST"), nullptr);
  EXPECT_EQ(*r.Header("host"), "x");
  EXPECT_EQ(r.Header("Accept"), nullptr);
  EXPECT_TRUE(r.HeaderHasToken("Connection", "keep-alive"));
  EXPECT_TRUE(r.HeaderHasToken("CONNECTION", "Close"));
  EXPECT_FALSE(r.HeaderHasToken("Connection", "keep"));
}

}  // namespace
}  // namespace meridian::http
