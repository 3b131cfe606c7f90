// Conn: one client connection to a NATS server over a plain TCP socket,
// handshake included. A Conn belongs to the thread that dialled it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tests/bench/loadgen/frame_reader.h"

namespace meridian::loadgen {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

struct Endpoint {
  std::string host = "127.0.0.1";
  int port = 4222;
  std::string ToString() const { return host + ":" + std::to_string(port); }
};

// "[nats://]host:port", "host" (port 4222) or ":port" (host 127.0.0.1).
absl::StatusOr<Endpoint> ParseEndpoint(const std::string& url);

// A comma-separated list of ParseEndpoint URLs ("h:1,h:2"); at least one.
// Connections are assigned to it round-robin (connection i -> [i % size]).
absl::StatusOr<std::vector<Endpoint>> ParseEndpoints(const std::string& urls);

// Now + `seconds`.
Deadline DeadlineAfter(double seconds);

// Milliseconds left before `deadline` (0 when passed), capped at `cap_ms`.
int MillisLeft(Deadline deadline, int cap_ms);

class Conn {
 public:
  static constexpr size_t kReadBufferSize = 256 * 1024;

  // Connects, reads INFO, sends CONNECT+PING and waits for the PONG. A -ERR,
  // a close or the deadline is an error. `on_frame`, when given, receives
  // every message frame in full (see FrameReader::set_on_frame).
  static absl::StatusOr<std::unique_ptr<Conn>> Dial(const Endpoint& endpoint, Deadline deadline,
                                                    std::function<void(const Frame&)> on_frame = nullptr);
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  FrameReader& reader() { return reader_; }
  // When set, a WriteAll waiting for socket space gives up (Aborted) once
  // *abort is true, e.g. because another connection of the run failed.
  void set_abort(const std::atomic<bool>* abort) { abort_ = abort; }
  int fd() const { return fd_; }

  // Writes all of `bytes`, which must end on a frame boundary. While the
  // socket is full it reads (so a -ERR is seen); PINGs read meanwhile are
  // answered after the last byte.
  [[nodiscard]] absl::Status WriteAll(std::string_view bytes, Deadline deadline);
  // Reads what is available, waiting up to `wait_ms` (never past the
  // deadline) when nothing is; feeds the reader and answers PINGs. Returns OK
  // with nothing read on timeout; *got_data (optional) tells which.
  [[nodiscard]] absl::Status Poll(int wait_ms, Deadline deadline, bool* got_data = nullptr);
  // Sends PING and reads until its PONG.
  [[nodiscard]] absl::Status Flush(Deadline deadline);

 private:
  explicit Conn(int fd) : fd_(fd), buffer_(new char[kReadBufferSize]) {}
  // One non-blocking read fed to the reader.
  [[nodiscard]] absl::Status ReadOnce(bool* got_data);
  // Writes without reading (small control frames only).
  [[nodiscard]] absl::Status WriteRaw(std::string_view bytes, Deadline deadline);
  [[nodiscard]] absl::Status AnswerPings(Deadline deadline);

  int fd_;
  std::unique_ptr<char[]> buffer_;
  FrameReader reader_;
  uint64_t pings_answered_ = 0;
  uint32_t writes_ = 0;
  const std::atomic<bool>* abort_ = nullptr;
};

}  // namespace meridian::loadgen
