// The property both the packed-record fuzzer and its unit test check: any
// bytes are read without a crash, and every record read back re-encodes to
// bytes that read back the same.
#pragma once

#include <cstddef>
#include <cstdint>

namespace meridian::router {

// Aborts when the property does not hold.
void PackedFuzzOne(const uint8_t* data, size_t size);

}  // namespace meridian::router
