#include "tests/bench/loadgen/publisher.h"

#include <algorithm>

namespace meridian::loadgen {

std::vector<uint64_t> SplitCount(uint64_t total, int parts) {
  std::vector<uint64_t> out(static_cast<size_t>(parts), total / static_cast<uint64_t>(parts));
  for (uint64_t i = 0; i < total % static_cast<uint64_t>(parts); ++i) ++out[i];
  return out;
}

absl::Status PublishAll(Conn& conn, const std::string& subject, size_t size, uint64_t count, size_t batch_bytes,
                        Deadline deadline, const std::atomic<bool>& abort, uint64_t* sent) {
  *sent = 0;
  conn.set_abort(&abort);
  std::string frame = "PUB " + subject + " " + std::to_string(size) + "\r\n";
  for (size_t i = 0; i < size; ++i) frame.push_back(static_cast<char>('a' + i % 26));
  frame += "\r\n";
  const uint64_t per_chunk = std::max<uint64_t>(1, batch_bytes / frame.size());
  std::string chunk;
  chunk.reserve(per_chunk * frame.size());
  for (uint64_t i = 0; i < per_chunk; ++i) chunk += frame;
  while (*sent < count) {
    if (abort.load(std::memory_order_relaxed)) return absl::AbortedError("aborted");
    uint64_t n = std::min(per_chunk, count - *sent);
    if (absl::Status st = conn.WriteAll(std::string_view(chunk.data(), n * frame.size()), deadline); !st.ok()) {
      return st;
    }
    *sent += n;
  }
  return conn.Flush(deadline);
}

}  // namespace meridian::loadgen
