// Messages packed back to back in one `bytes` field (Frame.packed): the data
// plane's compact form. Protobuf costs per message (allocation, field
// parsing, UTF-8 checks) dominated the Attach stream; a packed record is
// appended with memcpy and read as views, with no allocation.
//
// Record (little endian): u8 flags (bit 0: queue_choice, bit 1: deliver_as
// follows), u8 queue count, u16 account, subject, reply and origin lengths,
// u32 headers and payload lengths, then those six fields' bytes in that
// order, then each queue group as u16 length + name, then (bit 1 only)
// deliver_as as u16 length + bytes. A record without deliver_as has bit 1
// clear and ends after its queue list (the original format); readers ignore
// the other flag bits.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/types/span.h"

namespace meridian::router {

struct PackedMessage {
  std::string_view account;
  std::string_view subject;
  std::string_view reply;
  std::string_view origin;   // the publishing peer's id (empty from the peer itself)
  std::string_view headers;
  std::string_view payload;
  bool queue_choice = false;
  uint8_t num_queues = 0;
  std::string_view queue_bytes;  // the encoded queue list
  // The subject the receiving client sees in its MSG/HMSG line when it
  // differs from the routing subject (JetStream deliveries: routed on the
  // deliver subject or pull inbox, shown with the stream subject). Empty:
  // the client sees `subject`.
  std::string_view deliver_as;

  // Appends the queue group names to `out` (views into the record).
  template <typename Vec>
  void Queues(Vec* out) const {
    const char* p = queue_bytes.data();
    for (uint8_t i = 0; i < num_queues; ++i) {
      uint16_t n = static_cast<uint8_t>(p[0]) | (static_cast<uint16_t>(static_cast<uint8_t>(p[1])) << 8);
      out->emplace_back(p + 2, n);
      p += 2 + n;
    }
  }
};

// Appends one record. Fields longer than their length type allows are not
// expected (subjects are bounded by max_control_line); they are truncated
// rather than corrupting the stream. At most 255 queue groups are written.
void AppendPacked(std::string* out, const PackedMessage& m,
                  absl::Span<const std::string_view> queues);

// Reads the record at the front of `*in` and advances it. False at the end
// or when the bytes are not a whole record (*malformed is then set).
bool NextPacked(std::string_view* in, PackedMessage* m, bool* malformed);

// Serialized size of a record (for batching decisions).
size_t PackedSize(const PackedMessage& m, absl::Span<const std::string_view> queues);

}  // namespace meridian::router
