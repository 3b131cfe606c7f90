// The parser fuzz body, shared by the libFuzzer target (parser_fuzz.cc) and
// a deterministic gtest (parser_fuzz_test.cc) so CI exercises it without
// clang.
#ifndef MERIDIAN_COMMON_PROTOCOL_TESTS_FUZZ_BODY_H_
#define MERIDIAN_COMMON_PROTOCOL_TESTS_FUZZ_BODY_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace meridian::protocol::testing {

// Runs one input through both parser modes and checks the invariants:
//  - fed whole, every view points into the input (zero-copy);
//  - fed at pseudo-random split points (derived from the input) and byte by
//    byte, the events and the final error are the same as fed whole;
//  - a handler that stops after k events sees a prefix of them;
//  - the events re-encoded with encoder.h parse back to the same events.
// The first input byte picks the limits (control line, payload, headers).
// Returns "" or a description of the first violated invariant.
std::string CheckParserInvariants(const uint8_t* data, size_t size);

}  // namespace meridian::protocol::testing

#endif  // MERIDIAN_COMMON_PROTOCOL_TESTS_FUZZ_BODY_H_
