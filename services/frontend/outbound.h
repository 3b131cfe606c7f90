// A connection's outbound bytes: a queue of fixed-size blocks, appended on
// the connection's loop and written with writev (uv_write) once per loop
// turn. Blocks come from and return to a per-loop pool, so steady traffic
// allocates nothing. Loop thread only.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstring>
#include <deque>
#include <memory>
#include <string_view>
#include <vector>

namespace meridian::frontend {

inline constexpr size_t kBlockSize = 32 * 1024;

struct Block {
  char data[kBlockSize];
  size_t begin = 0;  // first unsent byte
  size_t end = 0;    // one past the last written byte
};

// Recycles blocks for every connection of one loop.
class BlockPool {
 public:
  std::unique_ptr<Block> Get() {
    if (free_.empty()) return std::make_unique<Block>();
    std::unique_ptr<Block> b = std::move(free_.back());
    free_.pop_back();
    b->begin = b->end = 0;
    return b;
  }
  void Put(std::unique_ptr<Block> b) {
    if (free_.size() < kMaxFree) free_.push_back(std::move(b));
  }

 private:
  static constexpr size_t kMaxFree = 256;  // 8 MiB kept per loop at most
  std::vector<std::unique_ptr<Block>> free_;
};

class Outbound {
 public:
  explicit Outbound(BlockPool* pool) : pool_(pool) {}
  ~Outbound() { Clear(); }

  size_t pending() const { return pending_; }
  bool empty() const { return pending_ == 0; }

  // Reserves `n` contiguous bytes (n <= kBlockSize) and returns where to
  // write them; Commit(n) after writing.
  char* Reserve(size_t n) {
    if (blocks_.empty() || kBlockSize - blocks_.back()->end < n) blocks_.push_back(pool_->Get());
    return blocks_.back()->data + blocks_.back()->end;
  }
  void Commit(size_t n) {
    blocks_.back()->end += n;
    pending_ += n;
  }
  void Append(std::string_view s) {
    while (!s.empty()) {
      if (blocks_.empty() || blocks_.back()->end == kBlockSize) blocks_.push_back(pool_->Get());
      Block* b = blocks_.back().get();
      size_t n = std::min(s.size(), kBlockSize - b->end);
      std::memcpy(b->data + b->end, s.data(), n);
      b->end += n;
      pending_ += n;
      s.remove_prefix(n);
    }
  }

  // Fills up to `max` buffers with the unsent bytes, skipping the first
  // `skip` (already handed to an in-flight write). Returns the count.
  size_t Buffers(uv_buf_t* bufs, size_t max, size_t skip = 0) const {
    size_t count = 0;
    for (const auto& b : blocks_) {
      if (count == max) break;
      size_t len = b->end - b->begin;
      if (skip >= len) {
        skip -= len;
        continue;
      }
      bufs[count++] = uv_buf_init(const_cast<char*>(b->data + b->begin + skip),
                                  static_cast<unsigned>(len - skip));
      skip = 0;
    }
    return count;
  }
  // Drops `n` sent bytes from the front, recycling emptied blocks.
  void Consume(size_t n) {
    pending_ -= n;
    while (n > 0) {
      Block* b = blocks_.front().get();
      size_t len = b->end - b->begin;
      if (n < len) {
        b->begin += n;
        return;
      }
      n -= len;
      pool_->Put(std::move(blocks_.front()));
      blocks_.pop_front();
    }
    if (!blocks_.empty() && blocks_.front()->begin == blocks_.front()->end && blocks_.size() == 1) {
      blocks_.front()->begin = blocks_.front()->end = 0;
    }
  }
  void Clear() {
    for (auto& b : blocks_) pool_->Put(std::move(b));
    blocks_.clear();
    pending_ = 0;
  }

 private:
  BlockPool* pool_;
  std::deque<std::unique_ptr<Block>> blocks_;
  size_t pending_ = 0;
};

}  // namespace meridian::frontend
