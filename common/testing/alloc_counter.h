// Counts heap allocations made by the current thread while a scope is
// active (global operator new is replaced in alloc_counter.cc), to check
// that hot paths do not allocate.
#ifndef MERIDIAN_COMMON_TESTING_ALLOC_COUNTER_H_
#define MERIDIAN_COMMON_TESTING_ALLOC_COUNTER_H_

#include <cstddef>

namespace meridian::testing {

class AllocCounter {
 public:
  AllocCounter();
  ~AllocCounter();
  size_t count() const;
};

}  // namespace meridian::testing

#endif  // MERIDIAN_COMMON_TESTING_ALLOC_COUNTER_H_
