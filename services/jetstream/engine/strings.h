// std::string_view glue for Abseil's string functions (Debian's Abseil has
// its own absl::string_view, not std::string_view).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"

namespace meridian::jetstream {

inline absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }
inline std::string_view SV(absl::string_view s) { return std::string_view(s.data(), s.size()); }

inline std::vector<std::string_view> SplitTokens(std::string_view s, char sep = '.') {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t end = s.find(sep, start);
    if (end == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
}

template <typename Int>
bool ParseInt(std::string_view s, Int* out) {
  return absl::SimpleAtoi(AV(s), out);
}

}  // namespace meridian::jetstream
