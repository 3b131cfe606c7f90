// libFuzzer target: any input either parses or yields an error; the typed
// helpers accept every leaf. Includes resolve under a directory that does not
// exist, so the fuzzer never reads real files.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/conf/conf.h"

namespace {

void Visit(const meridian::conf::Value& v) {
  (void)v.DebugString();
  if (v.is_array()) {
    for (const auto& item : v.as_array()) Visit(item);
  } else if (v.is_map()) {
    for (const auto& [key, item] : v.as_map()) {
      (void)v.Find(key);
      Visit(item);
    }
  } else {
    (void)meridian::conf::ParseDuration(v);
    (void)meridian::conf::ParseSize(v);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<meridian::conf::Value> v =
      meridian::conf::ParseString(text, "fuzz.conf", "/nonexistent-meridian-conf-fuzz");
  if (v.ok()) Visit(*v);
  return 0;
}
