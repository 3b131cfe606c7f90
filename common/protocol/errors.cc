#include "common/protocol/errors.h"

namespace meridian::protocol {

std::string_view ErrText(ParseError error) {
  switch (error) {
    case ParseError::kUnknownOp:
      return "Unknown Protocol Operation";
    case ParseError::kMaxControlLine:
      return "maximum control line exceeded";
    case ParseError::kMaxPayload:
      return "Maximum Payload Violation";
    default:
      return {};
  }
}

std::string_view ErrorDescription(ParseError error) {
  switch (error) {
    case ParseError::kNone:
      return "no error";
    case ParseError::kUnknownOp:
      return "Unknown Protocol Operation";
    case ParseError::kMaxControlLine:
      return "maximum control line exceeded";
    case ParseError::kMaxPayload:
      return "maximum payload exceeded";
    case ParseError::kHeadersNotSupported:
      return "message headers not supported";
    case ParseError::kPubArgs:
      return "processPub Parse Error";
    case ParseError::kPubSize:
      return "processPub Bad or Missing Size";
    case ParseError::kHpubArgs:
      return "processHeaderPub Parse Error";
    case ParseError::kHpubHeaderSize:
      return "processHeaderPub Bad or Missing Header Size";
    case ParseError::kHpubTotalSize:
      return "processHeaderPub Bad or Missing Total Size";
    case ParseError::kHpubHeaderTooLarge:
      return "processHeaderPub Header Size larger then TotalSize";
    case ParseError::kSubArgs:
      return "processSub Parse Error";
    case ParseError::kUnsubArgs:
      return "processUnsub Parse Error";
    case ParseError::kMsgArgs:
      return "processMsgArgs Parse Error";
    case ParseError::kMsgSize:
      return "processMsgArgs Bad or Missing Size";
    case ParseError::kHmsgArgs:
      return "processHeaderMsgArgs Parse Error";
    case ParseError::kHmsgHeaderSize:
      return "processHeaderMsgArgs Bad or Missing Header Size";
    case ParseError::kHmsgTotalSize:
      return "processHeaderMsgArgs Bad or Missing Size";
    case ParseError::kStopped:
      return "stopped by handler";
  }
  return "unknown parse error";
}

}  // namespace meridian::protocol
