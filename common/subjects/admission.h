// Cache admission on the second miss: a subject enters a match cache only
// if it missed once already, recently. Unique subjects (reply inboxes: one
// per request, one per JetStream publish) then never cost a cache insert,
// an eviction or their copies; a subject used twice is cached from then on.
//
// A direct-mapped table of subject hashes: a miss whose hash sits in its
// slot is admitted, otherwise it takes the slot. Collisions only delay or
// hasten one admission. Thread-safe (relaxed atomics: a lost update is one
// more miss).
#ifndef MERIDIAN_COMMON_SUBJECTS_ADMISSION_H_
#define MERIDIAN_COMMON_SUBJECTS_ADMISSION_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/hash/hash.h"

namespace meridian::subjects::internal {

class SecondMissAdmission {
 public:
  // True if `subject` should be cached now (its second recent miss).
  bool Admit(std::string_view subject) { return AdmitHash(absl::Hash<std::string_view>{}(subject)); }
  // The same with the subject's hash already computed (any good 64-bit hash).
  bool AdmitHash(uint64_t hash) {
    const uint64_t h = hash | 1;  // 0 marks an empty slot
    std::atomic<uint64_t>& slot = slots_[h & (kSlots - 1)];
    if (slot.load(std::memory_order_relaxed) == h) return true;
    slot.store(h, std::memory_order_relaxed);
    return false;
  }

 private:
  static constexpr size_t kSlots = 4096;
  std::array<std::atomic<uint64_t>, kSlots> slots_{};
};

}  // namespace meridian::subjects::internal

#endif  // MERIDIAN_COMMON_SUBJECTS_ADMISSION_H_
