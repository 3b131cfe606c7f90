// libFuzzer entry for the packed message records (scripts/fuzz.sh).
#include <cstddef>
#include <cstdint>

#include "services/router/transport/tests/packed_fuzz_body.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  meridian::router::PackedFuzzOne(data, size);
  return 0;
}
