#include "common/json/time_format.h"

#include <cstdio>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace meridian::json {
namespace {

void AppendPadded(int64_t v, int width, std::string* out) {
  char buf[24];
  int n = std::snprintf(buf, sizeof(buf), "%0*lld", width, static_cast<long long>(v));
  out->append(buf, static_cast<size_t>(n));
}

}  // namespace

void AppendRfc3339Nano(absl::Time t, std::string* out) {
  if (t == absl::InfinitePast()) {
    out->append(kGoZeroTime.data(), kGoZeroTime.size());
    return;
  }
  if (t == absl::InfiniteFuture()) {
    out->append("9999-12-31T23:59:59.999999999Z");
    return;
  }
  const absl::TimeZone utc = absl::UTCTimeZone();
  const absl::CivilSecond cs = absl::ToCivilSecond(t, utc);
  const int64_t nanos =
      absl::ToInt64Nanoseconds(t - absl::FromCivil(cs, utc));  // [0, 1e9)
  AppendPadded(cs.year(), 4, out);
  out->push_back('-');
  AppendPadded(cs.month(), 2, out);
  out->push_back('-');
  AppendPadded(cs.day(), 2, out);
  out->push_back('T');
  AppendPadded(cs.hour(), 2, out);
  out->push_back(':');
  AppendPadded(cs.minute(), 2, out);
  out->push_back(':');
  AppendPadded(cs.second(), 2, out);
  if (nanos != 0) {
    char frac[10];
    int64_t v = nanos;
    for (int i = 8; i >= 0; --i) {
      frac[i] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
    int len = 9;
    while (len > 0 && frac[len - 1] == '0') --len;  // Go's .999999999 trims zeros
    out->push_back('.');
    out->append(frac, static_cast<size_t>(len));
  }
  out->push_back('Z');
}

std::string FormatRfc3339Nano(absl::Time t) {
  std::string out;
  out.reserve(30);
  AppendRfc3339Nano(t, &out);
  return out;
}

absl::StatusOr<absl::Time> ParseRfc3339(absl::string_view text) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &err)) {
    return absl::InvalidArgumentError(
        absl::StrCat("parsing time \"", text, "\" as RFC 3339: ", err));
  }
  return t;
}

std::string FormatGoDuration(int64_t nanos) {
  // Port of Go's time.Duration.String (src/time/time.go).
  char buf[32];
  int w = sizeof(buf);
  uint64_t u = static_cast<uint64_t>(nanos);
  const bool neg = nanos < 0;
  if (neg) u = 0 - u;

  // Writes the fraction of v / 10^prec, omitting trailing zeros (and the
  // point when the fraction is zero); returns v / 10^prec.
  auto fmt_frac = [&](uint64_t v, int prec) {
    bool print = false;
    for (int i = 0; i < prec; ++i) {
      const uint64_t digit = v % 10;
      print = print || digit != 0;
      if (print) buf[--w] = static_cast<char>('0' + digit);
      v /= 10;
    }
    if (print) buf[--w] = '.';
    return v;
  };
  auto fmt_int = [&](uint64_t v) {
    if (v == 0) {
      buf[--w] = '0';
      return;
    }
    while (v > 0) {
      buf[--w] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
  };

  if (u < 1000000000ULL) {
    int prec;
    buf[--w] = 's';
    if (u == 0) return "0s";
    if (u < 1000ULL) {
      prec = 0;
      buf[--w] = 'n';
    } else if (u < 1000000ULL) {
      prec = 3;
      buf[--w] = '\xB5';  // U+00B5 MICRO SIGN, as Go writes it
      buf[--w] = '\xC2';
    } else {
      prec = 6;
      buf[--w] = 'm';
    }
    u = fmt_frac(u, prec);
    fmt_int(u);
  } else {
    buf[--w] = 's';
    u = fmt_frac(u, 9);
    fmt_int(u % 60);  // seconds
    u /= 60;
    if (u > 0) {
      buf[--w] = 'm';
      fmt_int(u % 60);  // minutes
      u /= 60;
      if (u > 0) {  // hours; Go stops at hours (days vary in length)
        buf[--w] = 'h';
        fmt_int(u);
      }
    }
  }
  if (neg) buf[--w] = '-';
  return std::string(buf + w, sizeof(buf) - static_cast<size_t>(w));
}

std::string FormatGoDuration(absl::Duration d) {
  return FormatGoDuration(absl::ToInt64Nanoseconds(d));
}

std::string FormatUptime(absl::Duration d) {
  const int64_t tsecs = absl::ToInt64Seconds(d);  // truncates like d / time.Second
  const int64_t tmins = tsecs / 60;
  const int64_t thrs = tmins / 60;
  const int64_t tdays = thrs / 24;
  const int64_t tyrs = tdays / 365;
  if (tyrs > 0) {
    return absl::StrFormat("%dy%dd%dh%dm%ds", tyrs, tdays % 365, thrs % 24, tmins % 60, tsecs % 60);
  }
  if (tdays > 0) {
    return absl::StrFormat("%dd%dh%dm%ds", tdays, thrs % 24, tmins % 60, tsecs % 60);
  }
  if (thrs > 0) return absl::StrFormat("%dh%dm%ds", thrs, tmins % 60, tsecs % 60);
  if (tmins > 0) return absl::StrFormat("%dm%ds", tmins, tsecs % 60);
  return absl::StrFormat("%ds", tsecs);
}

}  // namespace meridian::json
