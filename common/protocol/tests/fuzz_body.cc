#include "common/protocol/tests/fuzz_body.h"

#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "common/protocol/encoder.h"
#include "common/protocol/errors.h"
#include "common/protocol/parser.h"
#include "common/protocol/tests/parse_helpers.h"
#include "common/protocol/tests/recording_handler.h"

namespace meridian::protocol::testing {
namespace {

// splitmix64: a small deterministic generator seeded from the input.
struct Rng {
  uint64_t state;
  uint64_t Next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
};

uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (char c : s) {
    h ^= static_cast<uint8_t>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

ParserOptions OptionsFrom(uint8_t b) {
  static constexpr uint32_t kControl[] = {4096, 64, 16, 8};
  static constexpr int64_t kPayload[] = {1 << 20, 64, 0, -1};
  ParserOptions o;
  o.max_control_line = kControl[b & 3];
  o.max_payload = kPayload[(b >> 2) & 3];
  o.headers = (b & 0x10) == 0;
  o.retained_buffer_limit = (b & 0x20) != 0 ? 0 : 64 * 1024;
  return o;
}

std::vector<size_t> RandomCuts(size_t n, Rng* rng) {
  std::vector<size_t> cuts;
  const uint64_t max_chunk = 1 + rng->Next() % 97;
  size_t pos = 0;
  while (true) {
    pos += 1 + rng->Next() % max_chunk;
    if (pos >= n) break;
    cuts.push_back(pos);
  }
  return cuts;
}

std::string Describe(const char* what, const ParseResult& want,
                     const ParseResult& got) {
  std::ostringstream os;
  os << what << ": want " << want.events.size() << " events / "
     << ErrorDescription(want.error) << ", got " << got.events.size()
     << " events / " << ErrorDescription(got.error);
  size_t n = std::min(want.events.size(), got.events.size());
  for (size_t i = 0; i < n; ++i) {
    if (!(want.events[i] == got.events[i])) {
      os << "; first difference at " << i << ": want " << want.events[i]
         << ", got " << got.events[i];
      break;
    }
  }
  return os.str();
}

bool Same(const ParseResult& a, const ParseResult& b) {
  return a.events == b.events && a.error == b.error;
}

std::string Reencode(const std::vector<Event>& events) {
  std::string out;
  for (const Event& e : events) {
    const auto& f = e.fields;
    if (e.op == "CONNECT") {
      AppendConnect(&out, f[0]);
    } else if (e.op == "INFO") {
      out += "INFO " + f[0] + "\r\n";
    } else if (e.op == "PUB") {
      AppendPub(&out, f[0], f[1], f[2]);
    } else if (e.op == "HPUB") {
      AppendHpub(&out, f[0], f[1], f[2], f[3]);
    } else if (e.op == "SUB") {
      AppendSub(&out, f[0], f[1], f[2]);
    } else if (e.op == "UNSUB") {
      std::optional<uint64_t> max;
      if (f[1] != "-") max = std::stoull(f[1]);
      AppendUnsub(&out, f[0], max);
    } else if (e.op == "PING") {
      out += kPingLine;
    } else if (e.op == "PONG") {
      out += kPongLine;
    } else if (e.op == "+OK") {
      out += kOkLine;
    } else if (e.op == "-ERR") {
      out += "-ERR " + f[0] + "\r\n";
    } else if (e.op == "MSG") {
      if (f[3].empty()) {
        AppendMsg(&out, f[0], f[1], f[2], f[4]);
      } else {
        AppendHmsg(&out, f[0], f[1], f[2], f[3], f[4]);
      }
    }
  }
  return out;
}

template <Mode kMode>
std::string CheckMode(std::string_view input, const ParserOptions& options,
                      Rng* rng) {
  const ParseResult whole = ParseWhole<kMode>(input, options);
  if (whole.view_outside_chunk) {
    return "fed whole, a view did not point into the input";
  }
  for (int round = 0; round < 3; ++round) {
    ParseResult split =
        ParseWithCuts<kMode>(input, RandomCuts(input.size(), rng), options);
    if (!Same(whole, split)) return Describe("random split", whole, split);
  }
  if (input.size() <= 4096) {
    ParseResult bytes = ParseBytewise<kMode>(input, options);
    if (!Same(whole, bytes)) return Describe("byte by byte", whole, bytes);
  }
  for (const Event& e : whole.events) {
    const auto& f = e.fields;
    std::string_view payload;
    if (e.op == "PUB") payload = f[2];
    if (e.op == "HPUB" || e.op == "MSG") {
      size_t total =
          f[e.op == "HPUB" ? 2 : 3].size() + f[e.op == "HPUB" ? 3 : 4].size();
      if (options.max_payload >= 0 &&
          total > static_cast<size_t>(options.max_payload)) {
        return "a message above max_payload was delivered";
      }
    }
    if (options.max_payload >= 0 &&
        payload.size() > static_cast<size_t>(options.max_payload)) {
      return "a payload above max_payload was delivered";
    }
    if (e.op == "HPUB" && !options.headers) {
      return "HPUB delivered with headers disabled";
    }
  }
  if (!whole.events.empty()) {
    const size_t k = 1 + rng->Next() % whole.events.size();
    ParseResult stopped =
        ParseWithCuts<kMode>(input, RandomCuts(input.size(), rng), options, k);
    std::vector<Event> prefix(whole.events.begin(), whole.events.begin() + k);
    if (stopped.events != prefix || stopped.error != ParseError::kStopped) {
      ParseResult want{prefix, ParseError::kStopped, false};
      return Describe("stop after k events", want, stopped);
    }
    const std::string again = Reencode(whole.events);
    ParseResult round_trip = ParseWhole<kMode>(again, options);
    ParseResult want{whole.events, ParseError::kNone, false};
    if (!Same(want, round_trip)) {
      return Describe("re-encoded events", want, round_trip);
    }
  }
  return "";
}

}  // namespace

std::string CheckParserInvariants(const uint8_t* data, size_t size) {
  if (size == 0) return "";
  const ParserOptions options = OptionsFrom(data[0]);
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  Rng rng{Fnv1a(input) ^ data[0]};
  std::string err = CheckMode<Mode::kServer>(input, options, &rng);
  if (!err.empty()) return "server mode: " + err;
  err = CheckMode<Mode::kClient>(input, options, &rng);
  if (!err.empty()) return "client mode: " + err;
  return "";
}

}  // namespace meridian::protocol::testing
