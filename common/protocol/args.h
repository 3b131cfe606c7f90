// Argument parsing for NATS control lines (the part after the op name). Kept
// inline: these run once per message on the hot path.
#ifndef MERIDIAN_COMMON_PROTOCOL_ARGS_H_
#define MERIDIAN_COMMON_PROTOCOL_ARGS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "common/protocol/errors.h"

namespace meridian::protocol {

// Parses a decimal size the way nats-server does (parseSize): digits only,
// at most 9 of them. Returns -1 when `digits` is empty, too long or not a
// number.
inline int64_t ParseSize(std::string_view digits) {
  constexpr size_t kMaxDigits = 9;
  if (digits.empty() || digits.size() > kMaxDigits) return -1;
  int64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return -1;
    n = n * 10 + (c - '0');
  }
  return n;
}

namespace internal {

// Splits `line` at runs of spaces, tabs and CRs into at most `max` fields.
// Returns the number of fields, or max + 1 when there are more.
inline int SplitArgs(std::string_view line, std::string_view* out, int max) {
  int n = 0;
  const char* p = line.data();
  const char* end = p + line.size();
  while (true) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r')) ++p;
    if (p == end) return n;
    const char* start = p;
    while (p < end && *p != ' ' && *p != '\t' && *p != '\r') ++p;
    if (n == max) return max + 1;
    out[n++] = std::string_view(start, static_cast<size_t>(p - start));
  }
}

// Arguments of PUB, HPUB, MSG and HMSG. header_size is -1 for PUB and MSG.
struct MsgArgs {
  std::string_view subject;
  std::string_view sid;  // MSG/HMSG only
  std::string_view reply;
  int64_t header_size = -1;
  int64_t total_size = 0;
};

// PUB <subject> [reply] <size>
inline ParseError ParsePubArgs(std::string_view line, MsgArgs* a) {
  std::string_view f[3];
  std::string_view size;
  switch (SplitArgs(line, f, 3)) {
    case 2:
      a->subject = f[0];
      a->reply = {};
      size = f[1];
      break;
    case 3:
      a->subject = f[0];
      a->reply = f[1];
      size = f[2];
      break;
    default:
      return ParseError::kPubArgs;
  }
  a->header_size = -1;
  a->total_size = ParseSize(size);
  if (a->total_size < 0) return ParseError::kPubSize;
  return ParseError::kNone;
}

// HPUB <subject> [reply] <header size> <total size>
inline ParseError ParseHpubArgs(std::string_view line, MsgArgs* a) {
  std::string_view f[4];
  std::string_view hdr;
  std::string_view size;
  switch (SplitArgs(line, f, 4)) {
    case 3:
      a->subject = f[0];
      a->reply = {};
      hdr = f[1];
      size = f[2];
      break;
    case 4:
      a->subject = f[0];
      a->reply = f[1];
      hdr = f[2];
      size = f[3];
      break;
    default:
      return ParseError::kHpubArgs;
  }
  a->header_size = ParseSize(hdr);
  if (a->header_size < 0) return ParseError::kHpubHeaderSize;
  a->total_size = ParseSize(size);
  if (a->total_size < 0) return ParseError::kHpubTotalSize;
  if (a->header_size > a->total_size) return ParseError::kHpubHeaderTooLarge;
  return ParseError::kNone;
}

// MSG <subject> <sid> [reply] <size>
inline ParseError ParseMsgArgs(std::string_view line, MsgArgs* a) {
  std::string_view f[4];
  std::string_view size;
  switch (SplitArgs(line, f, 4)) {
    case 3:
      a->subject = f[0];
      a->sid = f[1];
      a->reply = {};
      size = f[2];
      break;
    case 4:
      a->subject = f[0];
      a->sid = f[1];
      a->reply = f[2];
      size = f[3];
      break;
    default:
      return ParseError::kMsgArgs;
  }
  a->header_size = -1;
  a->total_size = ParseSize(size);
  if (a->total_size < 0) return ParseError::kMsgSize;
  return ParseError::kNone;
}

// HMSG <subject> <sid> [reply] <header size> <total size>
inline ParseError ParseHmsgArgs(std::string_view line, MsgArgs* a) {
  std::string_view f[5];
  std::string_view hdr;
  std::string_view size;
  switch (SplitArgs(line, f, 5)) {
    case 4:
      a->subject = f[0];
      a->sid = f[1];
      a->reply = {};
      hdr = f[2];
      size = f[3];
      break;
    case 5:
      a->subject = f[0];
      a->sid = f[1];
      a->reply = f[2];
      hdr = f[3];
      size = f[4];
      break;
    default:
      return ParseError::kHmsgArgs;
  }
  a->header_size = ParseSize(hdr);
  a->total_size = ParseSize(size);
  if (a->total_size < 0) return ParseError::kHmsgTotalSize;
  if (a->header_size < 0 || a->header_size > a->total_size) {
    return ParseError::kHmsgHeaderSize;
  }
  return ParseError::kNone;
}

struct SubArgs {
  std::string_view subject;
  std::string_view queue;
  std::string_view sid;
};

// SUB <subject> [queue] <sid>
inline ParseError ParseSubArgs(std::string_view line, SubArgs* a) {
  std::string_view f[3];
  switch (SplitArgs(line, f, 3)) {
    case 2:
      a->subject = f[0];
      a->queue = {};
      a->sid = f[1];
      return ParseError::kNone;
    case 3:
      a->subject = f[0];
      a->queue = f[1];
      a->sid = f[2];
      return ParseError::kNone;
    default:
      return ParseError::kSubArgs;
  }
}

struct UnsubArgs {
  std::string_view sid;
  // Absent, or not a number (nats-server then unsubscribes at once, as for 0).
  std::optional<uint64_t> max;
};

// UNSUB <sid> [max]
inline ParseError ParseUnsubArgs(std::string_view line, UnsubArgs* a) {
  std::string_view f[2];
  switch (SplitArgs(line, f, 2)) {
    case 1:
      a->sid = f[0];
      a->max.reset();
      return ParseError::kNone;
    case 2: {
      a->sid = f[0];
      int64_t max = ParseSize(f[1]);
      if (max >= 0) {
        a->max = static_cast<uint64_t>(max);
      } else {
        a->max.reset();
      }
      return ParseError::kNone;
    }
    default:
      return ParseError::kUnsubArgs;
  }
}

}  // namespace internal
}  // namespace meridian::protocol

#endif  // MERIDIAN_COMMON_PROTOCOL_ARGS_H_
