#include "common/conf/units.h"

#include "common/conf/conf.h"
#include "common/conf/tests/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace meridian::conf {
namespace {

using ::meridian::conf::testing::Msg;
using ::meridian::conf::testing::MustParse;
using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(SizeSuffixTest, Table) {
  EXPECT_EQ(SizeSuffixMultiplier(""), 1);
  EXPECT_EQ(SizeSuffixMultiplier("k"), 1000);
  EXPECT_EQ(SizeSuffixMultiplier("K"), 1000);
  EXPECT_EQ(SizeSuffixMultiplier("kb"), 1024);
  EXPECT_EQ(SizeSuffixMultiplier("Ki"), 1024);
  EXPECT_EQ(SizeSuffixMultiplier("KiB"), 1024);
  EXPECT_EQ(SizeSuffixMultiplier("g"), 1000000000);
  EXPECT_EQ(SizeSuffixMultiplier("GiB"), int64_t{1} << 30);
  EXPECT_EQ(SizeSuffixMultiplier("ti"), int64_t{1} << 40);
  EXPECT_EQ(SizeSuffixMultiplier("E"), 1000000000000000000);
  EXPECT_EQ(SizeSuffixMultiplier("eib"), int64_t{1} << 60);
  EXPECT_EQ(SizeSuffixMultiplier("kbi"), 0);
  EXPECT_EQ(SizeSuffixMultiplier("x"), 0);
  EXPECT_EQ(SizeSuffixMultiplier("bb"), 0);
}

TEST(BareNumberTest, Kinds) {
  EXPECT_EQ(ParseBareNumber("12")->kind, BareNumber::Kind::kInt);
  EXPECT_EQ(ParseBareNumber("-12k")->int_value, -12000);
  EXPECT_EQ(ParseBareNumber("1.5")->kind, BareNumber::Kind::kDouble);
  EXPECT_EQ(ParseBareNumber("1.")->kind, BareNumber::Kind::kNotANumber);
  EXPECT_EQ(ParseBareNumber("abc")->kind, BareNumber::Kind::kNotANumber);
  EXPECT_EQ(ParseBareNumber("-")->kind, BareNumber::Kind::kNotANumber);
  EXPECT_EQ(ParseBareNumber("10.0.0.1")->kind, BareNumber::Kind::kNotANumber);
  EXPECT_FALSE(ParseBareNumber("1kbb").ok());
}

TEST(DurationTest, GoStrings) {
  Value v = MustParse(
      "a: \"500ms\"\nb: 2s\nc: 1h\nd: 1m30s\ne: \"-1.5h\"\nf: \"0\"\ng: \"100us\"\nh: "
      "\"10\xC2\xB5s\"\n"
      "i: 250ns\n");
  EXPECT_EQ(*ParseDuration(*v.Find("a")), absl::Milliseconds(500));
  EXPECT_EQ(*ParseDuration(*v.Find("b")), absl::Seconds(2));
  EXPECT_EQ(*ParseDuration(*v.Find("c")), absl::Hours(1));
  EXPECT_EQ(*ParseDuration(*v.Find("d")), absl::Seconds(90));
  EXPECT_EQ(*ParseDuration(*v.Find("e")), absl::Minutes(-90));
  EXPECT_EQ(*ParseDuration(*v.Find("f")), absl::ZeroDuration());
  EXPECT_EQ(*ParseDuration(*v.Find("g")), absl::Microseconds(100));
  EXPECT_EQ(*ParseDuration(*v.Find("h")), absl::Microseconds(10));
  EXPECT_EQ(*ParseDuration(*v.Find("i")), absl::Nanoseconds(250));
}

TEST(DurationTest, IntegerMeansSeconds) {
  Value v = MustParse("ping_interval: 120\n");
  EXPECT_EQ(*ParseDuration(*v.Find("ping_interval")), absl::Seconds(120));
}

TEST(DurationTest, Errors) {
  Value v = MustParse("a: soon\nb: 1.5\nc: \"inf\"\nd: \"5\"\ne: [1]\n");
  EXPECT_THAT(Msg(ParseDuration(*v.Find("a")).status()),
              StartsWith("test.conf:1:4: invalid duration 'soon'"));
  EXPECT_THAT(Msg(ParseDuration(*v.Find("b")).status()),
              StartsWith("test.conf:2:4: expected a duration"));
  EXPECT_FALSE(ParseDuration(*v.Find("c")).ok());
  EXPECT_FALSE(ParseDuration(*v.Find("d")).ok());  // Go needs a unit
  EXPECT_THAT(Msg(ParseDuration(*v.Find("e")).status()), HasSubstr("got array"));
}

TEST(SizeTest, IntegersAndStrings) {
  Value v = MustParse(
      "a: 1GB\nb: \"1GB\"\nc: \"64MB\"\nd: \"1G\"\ne: \"512K\"\nf: \"\"\ng: 1000\nh: \"1000\"\n"
      "i: \"2T\"\nj: \"10mb\"\nk: -1\n");
  const int64_t K = 1024;
  EXPECT_EQ(*ParseSize(*v.Find("a")), K * K * K);
  EXPECT_EQ(*ParseSize(*v.Find("b")), K * K * K);
  EXPECT_EQ(*ParseSize(*v.Find("c")), 64 * K * K);
  EXPECT_EQ(*ParseSize(*v.Find("d")), K * K * K);  // getStorageSize: binary
  EXPECT_EQ(*ParseSize(*v.Find("e")), 512 * K);
  EXPECT_EQ(*ParseSize(*v.Find("f")), 0);
  EXPECT_EQ(*ParseSize(*v.Find("g")), 1000);
  EXPECT_EQ(*ParseSize(*v.Find("h")), 1000);
  EXPECT_EQ(*ParseSize(*v.Find("i")), 2 * K * K * K * K);
  EXPECT_EQ(*ParseSize(*v.Find("j")), 10 * K * K);
  EXPECT_EQ(*ParseSize(*v.Find("k")), -1);
}

TEST(SizeTest, Errors) {
  Value v = MustParse("a: lots\nb: \"1XB\"\nc: 1.5\nd: \"99999999999T\"\ne: true\n");
  EXPECT_EQ(Msg(ParseSize(*v.Find("a")).status()), "test.conf:1:4: invalid size 'lots'");
  EXPECT_FALSE(ParseSize(*v.Find("b")).ok());
  EXPECT_THAT(Msg(ParseSize(*v.Find("c")).status()), HasSubstr("got float"));
  EXPECT_THAT(Msg(ParseSize(*v.Find("d")).status()), HasSubstr("out of range"));
  EXPECT_THAT(Msg(ParseSize(*v.Find("e")).status()), HasSubstr("got bool"));
}

}  // namespace
}  // namespace meridian::conf
