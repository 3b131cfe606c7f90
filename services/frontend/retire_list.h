// Objects removed from a shared index but possibly still held in another
// loop's match result: each is freed once every loop has passed a quiescent
// point after its removal (the core's epochs). Not thread-safe.
#pragma once

#include <cstdint>
#include <vector>

namespace meridian::frontend {

template <typename T>
class RetireList {
 public:
  RetireList() = default;
  RetireList(const RetireList&) = delete;
  RetireList& operator=(const RetireList&) = delete;
  ~RetireList() { FreeAll(); }

  // `epoch`: the core's epoch advanced at the removal.
  void Add(uint64_t epoch, T* object) { items_.push_back({epoch, object}); }
  bool empty() const { return items_.empty(); }
  // Frees what every loop has moved past (`safe`: Core::SafeEpoch()).
  void FreeUpTo(uint64_t safe) {
    size_t keep = 0;
    for (Item& item : items_) {
      if (item.epoch <= safe) {
        delete item.object;
      } else {
        items_[keep++] = item;
      }
    }
    items_.resize(keep);
  }
  void FreeAll() {
    for (Item& item : items_) delete item.object;
    items_.clear();
  }

 private:
  struct Item {
    uint64_t epoch;
    T* object;
  };
  std::vector<Item> items_;
};

}  // namespace meridian::frontend
