#include "common/json/value.h"

#include <limits>

#include "common/json/parser.h"
#include "gtest/gtest.h"

namespace meridian::json {
namespace {

TEST(ValueTest, KindsAndAccessors) {
  EXPECT_TRUE(Value().is_null());
  EXPECT_EQ(Value().type(), Type::kNull);
  EXPECT_EQ(Value(true).AsBool(), true);
  EXPECT_EQ(Value(7).AsInt64(), 7);
  EXPECT_EQ(Value(7).AsUint64(), 7u);
  EXPECT_EQ(Value(7).AsDouble(), 7.0);
  EXPECT_EQ(Value(-1).AsUint64(), std::nullopt);
  EXPECT_EQ(Value(2.5).AsInt64(), std::nullopt);
  EXPECT_FALSE(Value(2.5).is_integral());
  EXPECT_EQ(Value(std::numeric_limits<uint64_t>::max()).AsInt64(), std::nullopt);
  EXPECT_EQ(*Value("s").AsString(), "s");
  EXPECT_EQ(Value("s").AsBool(), std::nullopt);
  EXPECT_EQ(Value(1).AsString(), nullptr);
  EXPECT_EQ(TypeName(Value::EmptyArray().type()), "array");
  EXPECT_EQ(TypeName(Value::EmptyObject().type()), "object");
  EXPECT_EQ(Value::EmptyObject().size(), 0u);
}

TEST(ValueTest, BuildAndSerialize) {
  Value v = Value::EmptyObject();
  v.Add("name", "n1");
  Value& urls = v.Add("urls", Value::EmptyArray());
  urls.Push("a:1");
  urls.Push("b:2");
  v.Add("n", 1.5);
  EXPECT_EQ(v.ToJson(), R"({"name":"n1","urls":["a:1","b:2"],"n":1.5})");
  EXPECT_EQ(v.ToJson(/*pretty=*/true),
            "{\n  \"name\": \"n1\",\n  \"urls\": [\n    \"a:1\",\n    \"b:2\"\n  ],\n  \"n\": 1.5\n}");
  EXPECT_EQ(v.size(), 3u);
  EXPECT_EQ(*v.Find("urls")->At(1)->AsString(), "b:2");
  EXPECT_EQ(v.Find("urls")->At(2), nullptr);
}

TEST(ValueTest, FindLastDuplicateWinsAndFoldIgnoresCase) {
  auto v = Parse(R"({"verbose":false,"Pedantic":true,"verbose":true})");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->Find("verbose")->AsBool(), true);
  EXPECT_EQ(v->Find("pedantic"), nullptr);
  ASSERT_NE(v->FindFold("pedantic"), nullptr);
  EXPECT_EQ(v->FindFold("PEDANTIC")->AsBool(), true);
  EXPECT_EQ(v->FindFold("missing"), nullptr);
  EXPECT_EQ(Value(1).Find("x"), nullptr);
}

TEST(ValueTest, Equality) {
  auto a = Parse(R"({"a":[1,2,{"b":null}],"c":"d"})");
  auto b = Parse(R"( { "a" : [ 1 , 2 , { "b" : null } ] , "c" : "d" } )");
  auto c = Parse(R"({"a":[1,2,{"b":false}],"c":"d"})");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);
  EXPECT_EQ(Value(1), Value(1.0));  // numbers compare by value
  EXPECT_EQ(Value(int64_t{5}), Value(uint64_t{5}));
  EXPECT_NE(Value(-1), Value(std::numeric_limits<uint64_t>::max()));
  EXPECT_NE(Value(1), Value("1"));
  EXPECT_NE(Value(1), Value(true));
}

TEST(ValueTest, ConnectExample) {
  // What nats.go sends.
  auto v = Parse(
      R"({"verbose":false,"pedantic":false,"tls_required":false,"name":"svc","lang":"go",)"
      R"("version":"1.31.0","protocol":1,"echo":true,"headers":true,"no_responders":true})");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v->Find("lang")->AsString(), "go");
  EXPECT_EQ(v->Find("protocol")->AsInt64(), 1);
  EXPECT_EQ(v->Find("headers")->AsBool(), true);
  EXPECT_EQ(v->Find("user"), nullptr);
}

}  // namespace
}  // namespace meridian::json
