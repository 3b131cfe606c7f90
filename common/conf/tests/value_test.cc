#include "common/conf/value.h"

#include "gtest/gtest.h"

namespace meridian::conf {
namespace {

TEST(PositionTest, ToString) {
  EXPECT_EQ((Position{"a/b.conf", 12, 5}).ToString(), "a/b.conf:12:5");
}

TEST(ValueTest, DefaultIsNull) {
  Value v;
  EXPECT_TRUE(v.is_null());
  EXPECT_EQ(v.KindName(), "null");
  EXPECT_EQ(v.Find("x"), nullptr);
  EXPECT_EQ(v.DebugString(), "null");
}

TEST(ValueTest, KindsAndAccessors) {
  EXPECT_TRUE(Value::MakeBool(true).as_bool());
  EXPECT_EQ(Value::MakeInt(-7).as_int(), -7);
  EXPECT_DOUBLE_EQ(Value::MakeDouble(0.5).as_double(), 0.5);
  EXPECT_DOUBLE_EQ(Value::MakeInt(3).as_double(), 3.0);
  EXPECT_EQ(Value::MakeString("x").as_string(), "x");
  EXPECT_EQ(Value::MakeArray({Value::MakeInt(1)}).as_array().size(), 1u);
  EXPECT_EQ(Value::MakeInt(1).KindName(), "integer");
  EXPECT_EQ(Value::MakeDouble(1).KindName(), "float");
  EXPECT_EQ(Value::MakeString("").KindName(), "string");
  EXPECT_EQ(Value::MakeArray({}).KindName(), "array");
  EXPECT_EQ(Value::MakeMap({}).KindName(), "map");
  EXPECT_EQ(Value::MakeBool(false).KindName(), "bool");
  EXPECT_EQ(Value::MakeMap({}).kind(), Value::Kind::kMap);
}

TEST(ValueTest, FindIsCaseInsensitiveAndLastWins) {
  Value m = Value::MakeMap(
      {{"Port", Value::MakeInt(1)}, {"host", Value::MakeString("h")}, {"PORT", Value::MakeInt(2)}});
  ASSERT_NE(m.Find("port"), nullptr);
  EXPECT_EQ(m.Find("port")->as_int(), 2);
  EXPECT_EQ(m.Find("HOST")->as_string(), "h");
  EXPECT_EQ(m.Find("missing"), nullptr);
  EXPECT_EQ(m.as_map().front().first, "Port");  // spelling kept
  EXPECT_EQ(Value::MakeInt(1).Find("port"), nullptr);
}

TEST(ValueTest, DebugString) {
  Value m = Value::MakeMap({
      {"a", Value::MakeInt(1)},
      {"b", Value::MakeArray({Value::MakeBool(true), Value::MakeString("x\"y\n")})},
      {"c", Value::MakeDouble(2)},
      {"d", Value::MakeDouble(0.25)},
      {"e", Value::MakeMap({})},
  });
  EXPECT_EQ(m.DebugString(), R"({"a": 1, "b": [true, "x\"y\n"], "c": 2.0, "d": 0.25, "e": {}})");
}

TEST(ValueTest, ErrorAt) {
  Value v = Value::MakeInt(1, Position{"x.conf", 3, 7});
  absl::Status s = ErrorAt(v, "bad port");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "x.conf:3:7: bad port");
}

}  // namespace
}  // namespace meridian::conf
