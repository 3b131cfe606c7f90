// Helpers to run a parser over an input cut into chunks. Every chunk is
// copied into its own exactly-sized heap block that is freed right after
// Feed(), so a view kept past its callback or a read past a chunk shows up
// under ASan.
#ifndef MERIDIAN_COMMON_PROTOCOL_TESTS_PARSE_HELPERS_H_
#define MERIDIAN_COMMON_PROTOCOL_TESTS_PARSE_HELPERS_H_

#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/protocol/parser.h"
#include "common/protocol/tests/recording_handler.h"

namespace meridian::protocol::testing {

struct ParseResult {
  std::vector<Event> events;
  ParseError error = ParseError::kNone;
  // Whether some view fell outside the chunk (only checked for one chunk).
  bool view_outside_chunk = false;
};

// Feeds `input` cut at `cuts` (ascending offsets inside input).
template <Mode kMode>
ParseResult ParseWithCuts(std::string_view input,
                          const std::vector<size_t>& cuts,
                          const ParserOptions& options = {},
                          std::optional<size_t> stop_after = std::nullopt) {
  RecordingHandler h;
  h.stop_after = stop_after;
  Parser<RecordingHandler, kMode> parser(&h, options);
  ParseResult r;
  size_t start = 0;
  for (size_t k = 0; k <= cuts.size(); ++k) {
    size_t end = k < cuts.size() ? cuts[k] : input.size();
    size_t n = end - start;
    auto chunk = std::make_unique<char[]>(n == 0 ? 1 : n);
    if (n > 0) std::memcpy(chunk.get(), input.data() + start, n);
    if (cuts.empty()) {
      h.range_begin = chunk.get();
      h.range_end = chunk.get() + n;
    }
    r.error = parser.Feed(chunk.get(), n);
    h.range_begin = h.range_end = nullptr;
    start = end;
    if (r.error != ParseError::kNone) break;
  }
  r.events = std::move(h.events);
  r.view_outside_chunk = h.view_outside_range;
  return r;
}

template <Mode kMode>
ParseResult ParseWhole(std::string_view input,
                       const ParserOptions& options = {}) {
  return ParseWithCuts<kMode>(input, {}, options);
}

template <Mode kMode>
ParseResult ParseBytewise(std::string_view input,
                          const ParserOptions& options = {}) {
  std::vector<size_t> cuts;
  for (size_t i = 1; i < input.size(); ++i) cuts.push_back(i);
  return ParseWithCuts<kMode>(input, cuts, options);
}

}  // namespace meridian::protocol::testing

#endif  // MERIDIAN_COMMON_PROTOCOL_TESTS_PARSE_HELPERS_H_
