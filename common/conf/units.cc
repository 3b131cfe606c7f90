#include "common/conf/units.h"

#include <algorithm>
#include <charconv>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace meridian::conf {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int64_t Power(int64_t base, int exponent) {
  int64_t r = 1;
  for (int i = 0; i < exponent; ++i) r *= base;
  return r;
}

}  // namespace

int64_t SizeSuffixMultiplier(std::string_view suffix) {
  static constexpr std::string_view kLetters = "kmgtpe";
  const std::string s = absl::AsciiStrToLower(std::string(suffix));
  if (s.empty()) return 1;
  const size_t exponent = kLetters.find(s[0]);
  if (exponent == std::string_view::npos) return 0;
  const std::string_view rest = std::string_view(s).substr(1);
  if (rest.empty()) return Power(1000, static_cast<int>(exponent) + 1);
  if (rest == "b" || rest == "i" || rest == "ib")
    return Power(1024, static_cast<int>(exponent) + 1);
  return 0;
}

absl::StatusOr<BareNumber> ParseBareNumber(std::string_view word_in) {
  const std::string word(word_in);
  BareNumber out;
  size_t i = !word.empty() && word[0] == '-' ? 1 : 0;
  const size_t digits_start = i;
  while (i < word.size() && IsDigit(word[i])) ++i;
  if (i == digits_start) return out;  // not a number
  const std::string_view digits = std::string_view(word).substr(0, i);
  const std::string rest = word.substr(i);

  if (!rest.empty() && rest[0] == '.') {
    const std::string fraction = rest.substr(1);
    if (fraction.empty() || !std::all_of(fraction.begin(), fraction.end(), IsDigit)) return out;
    auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), out.double_value);
    if (ec != std::errc() || end != word.data() + word.size()) {
      return absl::InvalidArgumentError(absl::StrCat("float '", word, "' is out of range"));
    }
    out.kind = BareNumber::Kind::kDouble;
    return out;
  }
  // A suffix is one of k m g t p e followed only by b/i letters (as the
  // nats lexer scans it); anything else makes the word a plain string.
  if (!rest.empty()) {
    const char first = absl::ascii_tolower(static_cast<unsigned char>(rest[0]));
    if (std::string_view("kmgtpe").find(first) == std::string_view::npos) return out;
    for (char c : rest.substr(1)) {
      c = absl::ascii_tolower(static_cast<unsigned char>(c));
      if (c != 'b' && c != 'i') return out;
    }
  }
  int64_t n = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || end != digits.data() + digits.size()) {
    return absl::InvalidArgumentError(absl::StrCat("integer '", word, "' is out of range"));
  }
  const int64_t mult = SizeSuffixMultiplier(rest);
  if (mult == 0) {
    return absl::InvalidArgumentError(absl::StrCat("invalid size suffix '", rest, "' in '", word,
                                                   "' (use k, kb, ki, kib, m, mb, ... e, eib)"));
  }
  if (__builtin_mul_overflow(n, mult, &out.int_value)) {
    return absl::InvalidArgumentError(absl::StrCat("integer '", word, "' is out of range"));
  }
  out.kind = BareNumber::Kind::kInt;
  return out;
}

absl::StatusOr<absl::Duration> ParseDuration(const Value& v) {
  if (v.is_int()) return absl::Seconds(v.as_int());
  if (!v.is_string()) {
    return ErrorAt(v, absl::StrCat("expected a duration such as \"2s\" or integer seconds, got ",
                                   v.KindName()));
  }
  // Go also spells microseconds with the micro sign (U+00B5) or mu (U+03BC).
  std::string s = v.as_string();
  for (std::string_view micro : {"\xC2\xB5s", "\xCE\xBCs"}) {
    for (size_t at; (at = s.find(micro)) != std::string::npos;) s.replace(at, micro.size(), "us");
  }
  absl::Duration d;
  // absl also accepts "inf"; Go does not, and neither does nats-server.
  if (absl::StrContains(absl::AsciiStrToLower(s), "inf") || !absl::ParseDuration(s, &d)) {
    return ErrorAt(v, absl::StrCat("invalid duration '", v.as_string(),
                                   "' (expected e.g. \"500ms\", \"2s\", \"1m30s\", \"1h\")"));
  }
  return d;
}

absl::StatusOr<int64_t> ParseSize(const Value& v) {
  if (v.is_int()) return v.as_int();
  if (!v.is_string()) {
    return ErrorAt(v, absl::StrCat("expected a size such as 1GB or \"64MB\", got ", v.KindName()));
  }
  const std::string& s = v.as_string();
  if (s.empty()) return 0;
  auto invalid = [&] { return ErrorAt(v, absl::StrCat("invalid size '", s, "'")); };
  // nats-server's getStorageSize: a single upper-case K, M, G or T is binary.
  const char last = s.back();
  if (s.size() > 1 && std::string_view("KMGT").find(last) != std::string_view::npos &&
      IsDigit(s[s.size() - 2])) {
    absl::StatusOr<BareNumber> n = ParseBareNumber(std::string_view(s).substr(0, s.size() - 1));
    if (!n.ok()) return ErrorAt(v, std::string(n.status().message()));
    if (n->kind != BareNumber::Kind::kInt) return invalid();
    const int shift = 10 * (static_cast<int>(std::string_view("KMGT").find(last)) + 1);
    int64_t out = 0;
    if (__builtin_mul_overflow(n->int_value, int64_t{1} << shift, &out)) {
      return ErrorAt(v, absl::StrCat("size '", s, "' is out of range"));
    }
    return out;
  }
  absl::StatusOr<BareNumber> n = ParseBareNumber(s);
  if (!n.ok()) return ErrorAt(v, std::string(n.status().message()));
  if (n->kind != BareNumber::Kind::kInt) return invalid();
  return n->int_value;
}

}  // namespace meridian::conf
