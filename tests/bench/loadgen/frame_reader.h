// FrameReader: a small, allocation-free (on the fast path) NATS frame scanner.
//
// It walks a byte stream in either direction (server->client: INFO, MSG, HMSG,
// PING, PONG, +OK, -ERR; client->server: CONNECT, PUB, HPUB, SUB, UNSUB, PING,
// PONG) and counts frames. Payloads are skipped in place; a control line is
// copied only when it straddles two reads, a payload only when a frame callback
// is installed and the payload straddles two reads. Not thread-safe: one
// reader per connection, owned by that connection's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace meridian::loadgen {

enum class Op : uint8_t {
  kInfo,
  kConnect,
  kMsg,
  kHmsg,
  kPub,
  kHpub,
  kSub,
  kUnsub,
  kPing,
  kPong,
  kOk,
  kErr,
};

// One message frame (MSG/HMSG/PUB/HPUB), handed to the frame callback. Views
// are valid only during the callback.
struct Frame {
  Op op = Op::kMsg;
  std::string_view subject;
  std::string_view sid;     // empty for PUB/HPUB
  std::string_view reply;   // empty when absent
  size_t header_bytes = 0;  // HMSG/HPUB only
  std::string_view data;    // headers + payload, without the trailing CRLF
};

enum class [[nodiscard]] FeedStatus : uint8_t{kOk, kProtocolError, kLineTooLong, kPayloadTooLarge};

const char* FeedStatusText(FeedStatus status);

class FrameReader {
 public:
  // Control lines longer than this are an error (nats-server allows 4096 to
  // clients; INFO from servers can be longer, so be generous).
  static constexpr size_t kMaxLine = 64 * 1024;
  static constexpr size_t kMaxPayload = 64 * 1024 * 1024;
  // Message frames are also counted per numeric sid below this bound
  // (larger or non-numeric sids count under sid 0).
  static constexpr int kMaxSid = 8;

  FrameReader() = default;

  // When set, every message frame is handed over whole (slower: payloads
  // that straddle reads are copied).
  void set_on_frame(std::function<void(const Frame&)> on_frame) { on_frame_ = std::move(on_frame); }

  // Consumes all `len` bytes. After an error the reader is unusable.
  FeedStatus Feed(const char* data, size_t len);

  uint64_t frames() const { return frames_; }  // MSG+HMSG+PUB+HPUB
  uint64_t frames_for_sid(int sid) const { return sid_frames_[sid]; }
  uint64_t data_bytes() const { return data_bytes_; }
  uint64_t pings() const { return pings_; }
  uint64_t pongs() const { return pongs_; }
  uint64_t infos() const { return infos_; }
  uint64_t oks() const { return oks_; }
  // -ERR frames: count and the text of the first one (quotes stripped).
  uint64_t errs() const { return errs_; }
  const std::string& first_error() const { return first_error_; }

 private:
  // The hot path for canonical MSG/PUB lines without a callback; false when
  // the line needs the general parser.
  bool FastLine(std::string_view line, const char** p, const char* end, FeedStatus* status);
  FeedStatus HandleLine(std::string_view line, const char** p, const char* end);
  FeedStatus StartPayload(Op op, std::string_view args, const char** p, const char* end);
  // `data` is empty when no callback is set and the payload straddled reads.
  void FinishFrame(std::string_view data, size_t size);

  std::function<void(const Frame&)> on_frame_;
  // Partial control line (straddling reads).
  std::string line_buf_;
  // Payload in progress: bytes still expected, including the final CRLF.
  size_t payload_left_ = 0;
  size_t pending_size_ = 0;
  int pending_sid_ = 0;
  bool in_payload_ = false;
  // Copies kept only for the frame callback while a payload straddles reads.
  std::string pending_line_;
  Frame pending_frame_;
  std::string payload_buf_;

  uint64_t frames_ = 0;
  uint64_t sid_frames_[kMaxSid] = {};
  uint64_t data_bytes_ = 0;
  uint64_t pings_ = 0;
  uint64_t pongs_ = 0;
  uint64_t infos_ = 0;
  uint64_t oks_ = 0;
  uint64_t errs_ = 0;
  std::string first_error_;
};

}  // namespace meridian::loadgen
