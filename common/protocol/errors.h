// Parse errors of the NATS client protocol, with the exact text nats-server
// sends for each.
#ifndef MERIDIAN_COMMON_PROTOCOL_ERRORS_H_
#define MERIDIAN_COMMON_PROTOCOL_ERRORS_H_

#include <cstdint>
#include <string_view>

namespace meridian::protocol {

// What Parser::Feed() reports. Every value but kNone is terminal: the parser
// stays in the error and the connection is to be closed (that is what
// nats-server does for each of them).
enum class ParseError : uint8_t {
  kNone = 0,
  // Bytes that are no operation: -ERR 'Unknown Protocol Operation'.
  kUnknownOp,
  // Control-line argument longer than max_control_line:
  // -ERR 'maximum control line exceeded'.
  kMaxControlLine,
  // PUB/HPUB size above max_payload: -ERR 'Maximum Payload Violation'.
  kMaxPayload,
  // HPUB while headers are not enabled: nats-server closes silently.
  kHeadersNotSupported,
  // Bad argument lists. nats-server logs the description and closes the
  // connection ("Protocol Violation") without sending -ERR.
  kPubArgs,             // processPub Parse Error
  kPubSize,             // processPub Bad or Missing Size
  kHpubArgs,            // processHeaderPub Parse Error
  kHpubHeaderSize,      // processHeaderPub Bad or Missing Header Size
  kHpubTotalSize,       // processHeaderPub Bad or Missing Total Size
  kHpubHeaderTooLarge,  // processHeaderPub Header Size larger then TotalSize
  kSubArgs,             // processSub Parse Error
  kUnsubArgs,           // processUnsub Parse Error
  // Client mode (parsing what a server sends); texts as the NATS clients log.
  kMsgArgs,         // processMsgArgs Parse Error
  kMsgSize,         // processMsgArgs Bad or Missing Size
  kHmsgArgs,        // processHeaderMsgArgs Parse Error
  kHmsgHeaderSize,  // processHeaderMsgArgs Bad or Missing Header Size
  kHmsgTotalSize,   // processHeaderMsgArgs Bad or Missing Size
  // A handler callback returned false; it has already dealt with the cause.
  kStopped,
};

// The text nats-server puts inside -ERR '...' for `error`, or "" when it
// closes the connection without sending -ERR (argument errors, headers not
// supported, kStopped, kNone).
std::string_view ErrText(ParseError error);

// A short description for logs ("processPub Parse Error", ...).
std::string_view ErrorDescription(ParseError error);

}  // namespace meridian::protocol

#endif  // MERIDIAN_COMMON_PROTOCOL_ERRORS_H_
