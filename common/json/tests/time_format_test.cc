#include "common/json/time_format.h"

#include <limits>

#include "gtest/gtest.h"

namespace meridian::json {
namespace {

TEST(Rfc3339Test, KnownInstants) {
  EXPECT_EQ(FormatRfc3339Nano(absl::UnixEpoch()), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339Nano(absl::FromUnixSeconds(1000000000)), "2001-09-09T01:46:40Z");
  EXPECT_EQ(FormatRfc3339Nano(absl::FromUnixSeconds(1234567890)), "2009-02-13T23:31:30Z");
  absl::Time t = absl::FromCivil(absl::CivilSecond(2026, 11, 28, 16, 7, 53), absl::UTCTimeZone());
  EXPECT_EQ(FormatRfc3339Nano(t + absl::Nanoseconds(123456789)),
            "2026-11-28T16:07:53.123456789Z");
}

TEST(Rfc3339Test, FractionTrimmedLikeGo) {
  absl::Time t = absl::FromUnixSeconds(1234567890);
  EXPECT_EQ(FormatRfc3339Nano(t + absl::Milliseconds(100)), "2009-02-13T23:31:30.1Z");
  EXPECT_EQ(FormatRfc3339Nano(t + absl::Microseconds(1500)), "2009-02-13T23:31:30.0015Z");
  EXPECT_EQ(FormatRfc3339Nano(t + absl::Nanoseconds(1)), "2009-02-13T23:31:30.000000001Z");
  EXPECT_EQ(FormatRfc3339Nano(absl::UnixEpoch() - absl::Nanoseconds(1)),
            "1969-12-31T23:59:59.999999999Z");
}

TEST(Rfc3339Test, ZeroAndInfinite) {
  EXPECT_EQ(FormatRfc3339Nano(absl::InfinitePast()), "0001-01-01T00:00:00Z");
  EXPECT_EQ(kGoZeroTime, "0001-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339Nano(absl::InfiniteFuture()), "9999-12-31T23:59:59.999999999Z");
  absl::Time year1 = absl::FromCivil(absl::CivilSecond(1, 1, 1, 0, 0, 0), absl::UTCTimeZone());
  EXPECT_EQ(FormatRfc3339Nano(year1), "0001-01-01T00:00:00Z");
}

TEST(Rfc3339Test, AppendKeepsPrefix) {
  std::string out = "\"start\": \"";
  AppendRfc3339Nano(absl::FromUnixSeconds(0), &out);
  EXPECT_EQ(out, "\"start\": \"1970-01-01T00:00:00Z");
}

TEST(Rfc3339Test, Parse) {
  auto t = ParseRfc3339("2009-02-13T23:31:30.5Z");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, absl::FromUnixSeconds(1234567890) + absl::Milliseconds(500));
  auto offset = ParseRfc3339("2009-02-14T00:31:30+01:00");
  ASSERT_TRUE(offset.ok()) << offset.status();
  EXPECT_EQ(*offset, absl::FromUnixSeconds(1234567890));
  auto nanos = ParseRfc3339("2026-11-28T16:07:53.123456789Z");
  ASSERT_TRUE(nanos.ok());
  EXPECT_EQ(FormatRfc3339Nano(*nanos), "2026-11-28T16:07:53.123456789Z");
  EXPECT_FALSE(ParseRfc3339("yesterday").ok());
  EXPECT_FALSE(ParseRfc3339("2009-02-13 23:31:30Z").ok());
}

TEST(GoDurationTest, MatchesGoDurationString) {
  // Cases from Go's time/time_test.go durationTests.
  EXPECT_EQ(FormatGoDuration(int64_t{0}), "0s");
  EXPECT_EQ(FormatGoDuration(int64_t{1}), "1ns");
  EXPECT_EQ(FormatGoDuration(int64_t{1100}), "1.1\xc2\xb5s");
  EXPECT_EQ(FormatGoDuration(int64_t{2200000}), "2.2ms");
  EXPECT_EQ(FormatGoDuration(int64_t{3300000000}), "3.3s");
  EXPECT_EQ(FormatGoDuration(absl::Minutes(4) + absl::Seconds(5)), "4m5s");
  EXPECT_EQ(FormatGoDuration(absl::Minutes(4) + absl::Milliseconds(5001)), "4m5.001s");
  EXPECT_EQ(FormatGoDuration(absl::Hours(5) + absl::Minutes(6) + absl::Milliseconds(7001)),
            "5h6m7.001s");
  EXPECT_EQ(FormatGoDuration(absl::Minutes(8) + absl::Nanoseconds(1)), "8m0.000000001s");
  EXPECT_EQ(FormatGoDuration(std::numeric_limits<int64_t>::max()), "2562047h47m16.854775807s");
  EXPECT_EQ(FormatGoDuration(std::numeric_limits<int64_t>::min()), "-2562047h47m16.854775808s");
  // Others nats-server shows.
  EXPECT_EQ(FormatGoDuration(absl::Microseconds(1234)), "1.234ms");
  EXPECT_EQ(FormatGoDuration(absl::Minutes(2)), "2m0s");
  EXPECT_EQ(FormatGoDuration(absl::Hours(1)), "1h0m0s");
  EXPECT_EQ(FormatGoDuration(absl::Milliseconds(1500)), "1.5s");
  EXPECT_EQ(FormatGoDuration(absl::Microseconds(850)), "850\xc2\xb5s");
  EXPECT_EQ(FormatGoDuration(absl::Milliseconds(-1500)), "-1.5s");
  EXPECT_EQ(FormatGoDuration(int64_t{-1}), "-1ns");
  EXPECT_EQ(FormatGoDuration(absl::InfiniteDuration()), "2562047h47m16.854775807s");
}

TEST(UptimeTest, MatchesNatsServerMyUptime) {
  EXPECT_EQ(FormatUptime(absl::ZeroDuration()), "0s");
  EXPECT_EQ(FormatUptime(absl::Milliseconds(999)), "0s");
  EXPECT_EQ(FormatUptime(absl::Milliseconds(59999)), "59s");
  EXPECT_EQ(FormatUptime(absl::Seconds(60)), "1m0s");
  EXPECT_EQ(FormatUptime(absl::Seconds(3599)), "59m59s");
  EXPECT_EQ(FormatUptime(absl::Hours(1)), "1h0m0s");
  EXPECT_EQ(FormatUptime(absl::Hours(24)), "1d0h0m0s");
  EXPECT_EQ(FormatUptime(absl::Hours(3 * 24 + 4) + absl::Minutes(5) + absl::Seconds(6)), "3d4h5m6s");
  EXPECT_EQ(FormatUptime(absl::Hours(24 * 365)), "1y0d0h0m0s");
  EXPECT_EQ(FormatUptime(absl::Hours(24 * 400) + absl::Seconds(1) + absl::Milliseconds(900)),
            "1y35d0h0m1s");
  EXPECT_EQ(FormatUptime(absl::Hours(24 * 365 * 3 + 2)), "3y0d2h0m0s");
}

}  // namespace
}  // namespace meridian::json
