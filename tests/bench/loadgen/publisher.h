// The publishing hot path shared by the pub and pubsub modes.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tests/bench/loadgen/conn.h"

namespace meridian::loadgen {

// Splits `total` into `parts` near-equal counts.
std::vector<uint64_t> SplitCount(uint64_t total, int parts);

// Writes `count` frames `PUB <subject> <size>\r\n<payload>\r\n` back to back
// in writes of about `batch_bytes`, then flushes (PING/PONG) so that the
// server has taken all of them. Stops early when `abort` is set. *sent counts
// frames written.
[[nodiscard]] absl::Status PublishAll(Conn& conn, const std::string& subject, size_t size, uint64_t count,
                                      size_t batch_bytes, Deadline deadline, const std::atomic<bool>& abort,
                                      uint64_t* sent);

}  // namespace meridian::loadgen
