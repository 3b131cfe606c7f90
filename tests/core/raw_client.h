// A tiny blocking TCP client for protocol tests: write bytes, read with a
// deadline until an expected substring shows up or the peer closes.
#pragma once

#include <string>

#include "absl/time/time.h"

namespace meridian::testing {

class RawClient {
 public:
  RawClient() = default;
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;
  ~RawClient();

  // Connects to host:port. `rcvbuf` > 0 sets SO_RCVBUF before connecting.
  bool Connect(const std::string& host, int port, int rcvbuf = 0);
  // Connects and reads the server's INFO line (kept in info()).
  bool ConnectAndReadInfo(const std::string& host, int port, int rcvbuf = 0);

  // Writes every byte; false when the peer is gone.
  bool Send(const std::string& bytes);

  // Reads until `needle` is in the unconsumed input (true) or until the
  // deadline passes or the peer closes (false). Input stays buffered.
  bool WaitFor(const std::string& needle, absl::Duration timeout = absl::Seconds(5));
  // As WaitFor, then drops everything up to and including `needle`.
  bool Expect(const std::string& needle, absl::Duration timeout = absl::Seconds(5));
  // Reads one CRLF-terminated line (without CRLF); false on timeout/close.
  bool ReadLine(std::string* line, absl::Duration timeout = absl::Seconds(5));
  // Reads exactly n more bytes into the buffer; false on timeout/close.
  bool ReadBytes(size_t n, std::string* out, absl::Duration timeout = absl::Seconds(5));
  // Reads until the peer closes the connection (EOF or reset): true if it did
  // within the timeout. Everything read stays in buffer().
  bool WaitClosed(absl::Duration timeout = absl::Seconds(5));
  // Reads whatever arrives within `window` (no expectation). False if closed.
  bool Drain(absl::Duration window);

  // Sends PING and waits for PONG: the server processed everything before.
  bool PingPong(absl::Duration timeout = absl::Seconds(5));

  const std::string& buffer() const { return buffer_; }
  void Clear() { buffer_.clear(); }
  const std::string& info() const { return info_; }
  bool closed() const { return closed_; }
  int fd() const { return fd_; }
  void Close();

 private:
  // One read with the remaining time; false on timeout or close.
  bool ReadSome(absl::Time deadline);

  int fd_ = -1;
  bool closed_ = false;
  std::string buffer_;
  std::string info_;
};

// The JSON of "INFO {...} \r\n" (between "INFO " and the line end).
std::string InfoJsonOf(const std::string& info_line);
// Crude field extraction from compact JSON: the raw text of a value
// ("\"x\"" for strings, "1" for numbers, "true"), "" when absent.
std::string JsonField(const std::string& json, const std::string& key);

}  // namespace meridian::testing
