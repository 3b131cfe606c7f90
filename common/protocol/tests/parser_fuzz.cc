// libFuzzer target for the protocol parser. Built only with
// -DMERIDIAN_FUZZ=ON and clang:
//   cmake -S . -B build/fuzz -G Ninja -DMERIDIAN_FUZZ=ON \
//     -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang
//   cmake --build build/fuzz --target protocol_fuzz
//   build/fuzz/bin/protocol_fuzz common/protocol/tests/corpus
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/protocol/tests/fuzz_body.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string violation =
      meridian::protocol::testing::CheckParserInvariants(data, size);
  if (!violation.empty()) {
    std::fprintf(stderr, "parser invariant violated: %s\n", violation.c_str());
    std::abort();
  }
  return 0;
}
