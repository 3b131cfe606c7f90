// Zero-copy parser for the NATS client protocol.
//
// A Parser is fed byte chunks exactly as they come off a socket and calls its
// handler once per complete operation. Arguments and payloads are
// std::string_views into the chunk passed to Feed() whenever the operation
// lies whole inside that chunk; only an operation that straddles two chunks
// is copied into an internal buffer (reused from one message to the next).
// Views are valid only during the callback.
//
//   struct Conn {
//     void OnPub(std::string_view subject, std::string_view reply,
//                std::string_view payload);
//     ...
//   };
//   ServerParser<Conn> parser(&conn);
//   if (ParseError e = parser.Feed(buf, n); e != ParseError::kNone) {
//     if (!ErrText(e).empty()) SendErr(ErrText(e));
//     Close();
//   }
//
// Callbacks return void, or bool where false stops parsing: Feed() then
// returns kStopped and the parser stays stopped (use it to refuse ops before
// CONNECT or after an auth failure). A callback may change the parser's
// limits (set_headers after CONNECT, set_max_payload) but must not destroy
// the parser. The handler may own the parser (a Connection holding a
// ServerParser<Connection> member); the callback set is checked by a
// static_assert in Feed() (concepts ServerHandler / ClientHandler).
//
// Not thread-safe: one parser per connection, used on the connection's loop.
#ifndef MERIDIAN_COMMON_PROTOCOL_PARSER_H_
#define MERIDIAN_COMMON_PROTOCOL_PARSER_H_

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "common/protocol/args.h"
#include "common/protocol/errors.h"

namespace meridian::protocol {

// Which side of the protocol a parser reads.
enum class Mode : uint8_t {
  // Inside the server, reading what a client sends: CONNECT PUB HPUB SUB UNSUB
  // PING PONG, and tolerating +OK -ERR INFO.
  kServer,
  // Inside a client (tests, load generator), reading what a server sends:
  // INFO MSG HMSG PING PONG +OK -ERR.
  kClient,
};

struct ParserOptions {
  // Longest control-line argument (the text after the op name, without
  // CRLF), as nats-server's max_control_line.
  uint32_t max_control_line = 4096;
  // Largest PUB/HPUB/MSG/HMSG total size; negative means no limit.
  int64_t max_payload = 1024 * 1024;
  // Whether HPUB (server mode) is accepted. nats-server closes a connection
  // that sends HPUB without having negotiated headers in CONNECT.
  bool headers = true;
  // After a straddling operation completes, the copy buffer is freed if it
  // grew beyond this many bytes, so an idle connection does not keep a
  // max_payload-sized buffer.
  size_t retained_buffer_limit = 64 * 1024;
};

namespace internal {
template <typename R>
concept CallbackResult = std::is_void_v<R> || std::is_same_v<R, bool>;
}  // namespace internal

// What a server-mode handler implements. Each returns void or bool.
template <typename H>
concept ServerHandler = requires(H& h, std::string_view s,
                                 std::optional<uint64_t> max) {
  requires internal::CallbackResult<decltype(h.OnConnect(s))>;
  requires internal::CallbackResult<decltype(h.OnPub(s, s, s))>;
  // (subject, reply, headers, payload)
  requires internal::CallbackResult<decltype(h.OnHpub(s, s, s, s))>;
  // (subject, queue, sid)
  requires internal::CallbackResult<decltype(h.OnSub(s, s, s))>;
  // (sid, max): max is empty when absent or not a number.
  requires internal::CallbackResult<decltype(h.OnUnsub(s, max))>;
  requires internal::CallbackResult<decltype(h.OnPing())>;
  requires internal::CallbackResult<decltype(h.OnPong())>;
  requires internal::CallbackResult<decltype(h.OnOk())>;
  requires internal::CallbackResult<decltype(h.OnErr(s))>;
  requires internal::CallbackResult<decltype(h.OnInfo(s))>;
};

// What a client-mode handler implements.
template <typename H>
concept ClientHandler = requires(H& h, std::string_view s) {
  // (subject, sid, reply, headers, payload); headers is empty for MSG.
  requires internal::CallbackResult<decltype(h.OnMsg(s, s, s, s, s))>;
  requires internal::CallbackResult<decltype(h.OnInfo(s))>;
  requires internal::CallbackResult<decltype(h.OnPing())>;
  requires internal::CallbackResult<decltype(h.OnPong())>;
  requires internal::CallbackResult<decltype(h.OnOk())>;
  requires internal::CallbackResult<decltype(h.OnErr(s))>;
};

template <typename Handler, Mode kMode>
class Parser {
 public:
  explicit Parser(Handler* handler, ParserOptions options = {})
      : handler_(handler), options_(options) {}
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  // Parses `len` bytes, calling the handler for every operation completed.
  // Returns kNone, or the error that ends the connection; once an error is
  // returned every later call returns it again.
  [[nodiscard]] ParseError Feed(const char* data, size_t len);
  [[nodiscard]] ParseError Feed(std::string_view data) {
    return Feed(data.data(), data.size());
  }

  void set_max_payload(int64_t max_payload) {
    options_.max_payload = max_payload;
  }
  void set_max_control_line(uint32_t max) { options_.max_control_line = max; }
  void set_headers(bool headers) { options_.headers = headers; }
  const ParserOptions& options() const { return options_; }

  // The sticky error (kNone while healthy).
  ParseError error() const { return error_; }
  // Up to 64 bytes of the input that caused error(), for logs.
  std::string_view error_context() const { return error_context_; }
  // True between operations (nothing partial is pending).
  bool AtOpBoundary() const {
    return state_ == State::kOpStart && error_ == ParseError::kNone;
  }
  // Bytes currently held in the straddle buffer, and its capacity.
  size_t buffered_bytes() const { return buf_.size(); }
  size_t buffer_capacity() const { return buf_.capacity(); }

  // Back to the initial state (keeps options, frees the buffer).
  void Reset() {
    state_ = State::kOpStart;
    error_ = ParseError::kNone;
    error_context_.clear();
    arg_buffered_ = false;
    std::string().swap(buf_);
  }

 private:
  enum class State : uint8_t {
    kOpStart,    // at the first byte of an op
    kOpP,        // after 'P': PUB, PING or PONG
    kOpH,        // after 'H': HPUB or HMSG
    kOpName,     // matching the rest of keyword_
    kNeedSpace,  // op name done, a space or tab must follow
    kSkipSpace,  // skipping blanks before the argument
    kArg,        // reading the control-line argument up to '\n'
    kSkipLine,   // PING/PONG/+OK: ignoring the rest of the line
    kPayload,    // copying a straddling payload (+CRLF) into buf_
  };
  enum class Op : uint8_t {
    kConnect,
    kInfo,
    kPub,
    kHpub,
    kSub,
    kUnsub,
    kPing,
    kPong,
    kOk,
    kErr,
    kMsg,
    kHmsg,
  };

  // A straddling PUB/HPUB/MSG/HMSG: the control line sits at buf_[0, ...),
  // its fields are kept as offsets, the payload follows at payload_off.
  struct Pending {
    uint32_t subject_off, subject_len;
    uint32_t sid_off, sid_len;
    uint32_t reply_off, reply_len;
    int64_t header_size;
    int64_t total_size;
    size_t payload_off;
  };

  static constexpr bool kServerMode = kMode == Mode::kServer;

  static bool IsBlank(char c) { return c == ' ' || c == '\t'; }
  // Upper-cases ASCII letters; other bytes map to values no keyword uses.
  static char Upper(char c) { return static_cast<char>(c & 0xDF); }

  template <typename F>
  static bool Invoke(F&& f) {
    if constexpr (std::is_void_v<decltype(f())>) {
      f();
      return true;
    } else {
      return f();
    }
  }

  ParseError Fail(ParseError e, const char* at, size_t n) {
    error_ = e;
    error_context_.assign(at, std::min<size_t>(n, 64));
    return e;
  }
  ParseError Stop() {
    error_ = ParseError::kStopped;
    return error_;
  }

  void StartKeyword(Op op, const char* rest) {
    op_ = op;
    keyword_ = rest;
    state_ = State::kOpName;
  }
  void EndKeyword() {
    switch (op_) {
      case Op::kConnect:
      case Op::kInfo:
        state_ = State::kSkipSpace;  // "CONNECT{...}" is accepted, as upstream
        break;
      case Op::kPing:
      case Op::kPong:
      case Op::kOk:
        skipped_ = 0;
        state_ = State::kSkipLine;
        break;
      default:
        state_ = State::kNeedSpace;
        break;
    }
  }

  void ReleaseBuffer() {
    arg_buffered_ = false;
    buf_.clear();
    if (buf_.capacity() > options_.retained_buffer_limit) {
      std::string().swap(buf_);
    }
  }

  // Raw control-line bytes allowed before '\n': the argument plus a CR.
  size_t MaxRawLine() const {
    return static_cast<size_t>(options_.max_control_line) + 1;
  }

  ParseError OnOpStart(const char* p, size_t avail, size_t* consumed);
  ParseError OnLine(std::string_view line, const char* data, size_t len,
                    size_t* i);
  ParseError OnMsgLine(std::string_view line, const char* data, size_t len,
                       size_t* i);
  ParseError DeliverMsg(const internal::MsgArgs& a, std::string_view region);
  ParseError FeedArg(const char* data, size_t len, size_t* i);
  ParseError FeedSkipLine(const char* data, size_t len, size_t* i);
  ParseError FeedPayload(const char* data, size_t len, size_t* i);

  Handler* handler_;
  ParserOptions options_;
  State state_ = State::kOpStart;
  Op op_ = Op::kPing;
  ParseError error_ = ParseError::kNone;
  // Set while the control line read so far lives in buf_.
  bool arg_buffered_ = false;
  const char* keyword_ = nullptr;  // upper-case rest of the op name
  size_t arg_start_ = 0;           // start of the argument in the chunk
  size_t skipped_ = 0;             // bytes ignored after PING/PONG/+OK
  Pending pending_{};
  std::string buf_;
  std::string error_context_;
};

template <typename Handler>
using ServerParser = Parser<Handler, Mode::kServer>;
template <typename Handler>
using ClientParser = Parser<Handler, Mode::kClient>;

// ---------------------------------------------------------------------------
// Implementation.

template <typename Handler, Mode kMode>
ParseError Parser<Handler, kMode>::Feed(const char* data, size_t len) {
  // Checked here rather than on the class so that a handler can hold its
  // parser as a member (the handler is incomplete where the member is
  // declared).
  static_assert(
      kMode == Mode::kServer ? ServerHandler<Handler> : ClientHandler<Handler>,
      "Handler lacks a callback of this mode; see ServerHandler / "
      "ClientHandler");
  if (error_ != ParseError::kNone) return error_;
  size_t i = 0;
  while (i < len) {
    ParseError e = ParseError::kNone;
    switch (state_) {
      case State::kOpStart: {
        size_t used = 0;
        e = OnOpStart(data + i, len - i, &used);
        i += used;
        break;
      }
      case State::kOpP: {
        char b = Upper(data[i]);
        if (kServerMode && b == 'U') {
          StartKeyword(Op::kPub, "B");
        } else if (b == 'I') {
          StartKeyword(Op::kPing, "NG");
        } else if (b == 'O') {
          StartKeyword(Op::kPong, "NG");
        } else {
          return Fail(ParseError::kUnknownOp, data + i, len - i);
        }
        ++i;
        break;
      }
      case State::kOpH: {
        char b = Upper(data[i]);
        if (kServerMode && b == 'P') {
          StartKeyword(Op::kHpub, "UB");
        } else if (!kServerMode && b == 'M') {
          StartKeyword(Op::kHmsg, "SG");
        } else {
          return Fail(ParseError::kUnknownOp, data + i, len - i);
        }
        ++i;
        break;
      }
      case State::kOpName:
        if (Upper(data[i]) != *keyword_) {
          return Fail(ParseError::kUnknownOp, data + i, len - i);
        }
        ++i;
        if (*++keyword_ == '\0') EndKeyword();
        break;
      case State::kNeedSpace:
        if (!IsBlank(data[i])) {
          return Fail(ParseError::kUnknownOp, data + i, len - i);
        }
        ++i;
        state_ = State::kSkipSpace;
        break;
      case State::kSkipSpace:
        while (i < len && IsBlank(data[i])) ++i;
        if (i < len) {
          state_ = State::kArg;
          arg_start_ = i;
        }
        break;
      case State::kArg:
        e = FeedArg(data, len, &i);
        break;
      case State::kSkipLine:
        e = FeedSkipLine(data, len, &i);
        break;
      case State::kPayload:
        e = FeedPayload(data, len, &i);
        break;
    }
    if (e != ParseError::kNone) return e;
  }
  return ParseError::kNone;
}

template <typename Handler, Mode kMode>
ParseError Parser<Handler, kMode>::OnOpStart(const char* p, size_t avail,
                                             size_t* consumed) {
  // Fast path for the op that dominates each direction.
  if (avail >= 4 && p[3] == ' ') {
    if constexpr (kServerMode) {
      if (Upper(p[0]) == 'P' && Upper(p[1]) == 'U' && Upper(p[2]) == 'B') {
        op_ = Op::kPub;
        state_ = State::kSkipSpace;
        *consumed = 4;
        return ParseError::kNone;
      }
    } else {
      if (Upper(p[0]) == 'M' && Upper(p[1]) == 'S' && Upper(p[2]) == 'G') {
        op_ = Op::kMsg;
        state_ = State::kSkipSpace;
        *consumed = 4;
        return ParseError::kNone;
      }
    }
  }
  *consumed = 1;
  char b = p[0];
  if (b == '+') {
    StartKeyword(Op::kOk, "OK");
    return ParseError::kNone;
  }
  if (b == '-') {
    StartKeyword(Op::kErr, "ERR");
    return ParseError::kNone;
  }
  switch (Upper(b)) {
    case 'P':
      state_ = State::kOpP;
      return ParseError::kNone;
    case 'H':
      state_ = State::kOpH;
      return ParseError::kNone;
    case 'I':
      StartKeyword(Op::kInfo, "NFO");
      return ParseError::kNone;
    case 'C':
      if (!kServerMode) break;
      StartKeyword(Op::kConnect, "ONNECT");
      return ParseError::kNone;
    case 'S':
      if (!kServerMode) break;
      StartKeyword(Op::kSub, "UB");
      return ParseError::kNone;
    case 'U':
      if (!kServerMode) break;
      StartKeyword(Op::kUnsub, "NSUB");
      return ParseError::kNone;
    case 'M':
      if (kServerMode) break;
      StartKeyword(Op::kMsg, "SG");
      return ParseError::kNone;
    default:
      break;
  }
  return Fail(ParseError::kUnknownOp, p, avail);
}

template <typename Handler, Mode kMode>
ParseError Parser<Handler, kMode>::FeedArg(const char* data, size_t len,
                                           size_t* i) {
  const size_t max_raw = MaxRawLine();
  const size_t have = arg_buffered_ ? buf_.size() : *i - arg_start_;
  // Look for '\n' only as far as a legal line can reach.
  const size_t window = std::min(len - *i, max_raw + 1 - have);
  const char* nl =
      static_cast<const char*>(std::memchr(data + *i, '\n', window));
  if (nl == nullptr) {
    if (window < len - *i) {
      return Fail(ParseError::kMaxControlLine, data + *i, len - *i);
    }
    // The line continues in the next chunk: keep what we have.
    if (arg_buffered_) {
      buf_.append(data + *i, len - *i);
    } else {
      buf_.assign(data + arg_start_, len - arg_start_);
      arg_buffered_ = true;
    }
    *i = len;
    if (buf_.size() > max_raw ||
        (buf_.size() == max_raw && buf_.back() != '\r')) {
      return Fail(ParseError::kMaxControlLine, buf_.data(), buf_.size());
    }
    return ParseError::kNone;
  }
  const size_t nl_pos = static_cast<size_t>(nl - data);
  std::string_view line;
  if (arg_buffered_) {
    buf_.append(data + *i, nl_pos - *i);
    if (!buf_.empty() && buf_.back() == '\r') buf_.pop_back();
    line = buf_;
  } else {
    line = std::string_view(data + arg_start_, nl_pos - arg_start_);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  }
  *i = nl_pos + 1;
  if (line.size() > options_.max_control_line) {
    return Fail(ParseError::kMaxControlLine, line.data(), line.size());
  }
  return OnLine(line, data, len, i);
}

template <typename Handler, Mode kMode>
ParseError Parser<Handler, kMode>::OnLine(std::string_view line,
                                          const char* data, size_t len,
                                          size_t* i) {
  bool ok = true;
  switch (op_) {
    case Op::kPub:
    case Op::kHpub:
    case Op::kMsg:
    case Op::kHmsg:
      return OnMsgLine(line, data, len, i);
    case Op::kInfo:
      ok = Invoke([&] { return handler_->OnInfo(line); });
      break;
    case Op::kErr:
      ok = Invoke([&] { return handler_->OnErr(line); });
      break;
    case Op::kConnect:
      if constexpr (kServerMode) {
        ok = Invoke([&] { return handler_->OnConnect(line); });
      }
      break;
    case Op::kSub:
      if constexpr (kServerMode) {
        internal::SubArgs a;
        if (ParseError e = internal::ParseSubArgs(line, &a);
            e != ParseError::kNone) {
          return Fail(e, line.data(), line.size());
        }
        ok = Invoke([&] { return handler_->OnSub(a.subject, a.queue, a.sid); });
      }
      break;
    case Op::kUnsub:
      if constexpr (kServerMode) {
        internal::UnsubArgs a;
        if (ParseError e = internal::ParseUnsubArgs(line, &a);
            e != ParseError::kNone) {
          return Fail(e, line.data(), line.size());
        }
        ok = Invoke([&] { return handler_->OnUnsub(a.sid, a.max); });
      }
      break;
    default:
      break;
  }
  state_ = State::kOpStart;
  if (arg_buffered_) ReleaseBuffer();
  return ok ? ParseError::kNone : Stop();
}

template <typename Handler, Mode kMode>
ParseError Parser<Handler, kMode>::OnMsgLine(std::string_view line,
                                             const char* data, size_t len,
                                             size_t* i) {
  internal::MsgArgs a;
  ParseError e;
  switch (op_) {
    case Op::kPub:
      e = internal::ParsePubArgs(line, &a);
      break;
    case Op::kHpub:
      if (!options_.headers) {
        return Fail(ParseError::kHeadersNotSupported, line.data(), line.size());
      }
      e = internal::ParseHpubArgs(line, &a);
      break;
    case Op::kMsg:
      e = internal::ParseMsgArgs(line, &a);
      break;
    default:
      e = internal::ParseHmsgArgs(line, &a);
      break;
  }
  if (e != ParseError::kNone) return Fail(e, line.data(), line.size());
  if (options_.max_payload >= 0 && a.total_size > options_.max_payload) {
    return Fail(ParseError::kMaxPayload, line.data(), line.size());
  }
  const size_t need = static_cast<size_t>(a.total_size) + 2;  // + CRLF
  const size_t avail = len - *i;
  if (avail >= need) {
    // Zero-copy: the payload is whole in this chunk (the arguments may be
    // in buf_ if the control line straddled).
    const char* p = data + *i;
    if (p[need - 2] != '\r' || p[need - 1] != '\n') {
      return Fail(ParseError::kUnknownOp, p + need - 2, 2);
    }
    *i += need;
    state_ = State::kOpStart;
    e = DeliverMsg(a, std::string_view(p, need - 2));
    if (arg_buffered_) ReleaseBuffer();
    return e;
  }
  // The payload straddles: move the control line into buf_ (unless it is
  // there already) and keep the fields as offsets into it.
  if (!arg_buffered_) {
    buf_.assign(line.data(), line.size());
    arg_buffered_ = true;
  }
  const char* base = line.data();
  auto off = [base](std::string_view v) {
    return static_cast<uint32_t>(v.empty() ? 0 : v.data() - base);
  };
  pending_.subject_off = off(a.subject);
  pending_.subject_len = static_cast<uint32_t>(a.subject.size());
  pending_.sid_off = off(a.sid);
  pending_.sid_len = static_cast<uint32_t>(a.sid.size());
  pending_.reply_off = off(a.reply);
  pending_.reply_len = static_cast<uint32_t>(a.reply.size());
  pending_.header_size = a.header_size;
  pending_.total_size = a.total_size;
  pending_.payload_off = buf_.size();
  // Reserve once; past 8 MiB (only with a raised max_payload) let it grow as
  // bytes really arrive.
  constexpr size_t kMaxReserve = 8 << 20;
  buf_.reserve(buf_.size() + std::min(need, kMaxReserve));
  state_ = State::kPayload;
  return FeedPayload(data, len, i);
}

template <typename Handler, Mode kMode>
ParseError Parser<Handler, kMode>::FeedPayload(const char* data, size_t len,
                                               size_t* i) {
  const size_t size = static_cast<size_t>(pending_.total_size);
  const size_t need = size + 2;
  const size_t have = buf_.size() - pending_.payload_off;
  const size_t take = std::min(need - have, len - *i);
  buf_.append(data + *i, take);
  *i += take;
  const size_t now = have + take;
  // Check the CR as soon as it is there, as nats-server does.
  if (now > size && buf_[pending_.payload_off + size] != '\r') {
    return Fail(ParseError::kUnknownOp,
                buf_.data() + pending_.payload_off + size, 1);
  }
  if (now < need) return ParseError::kNone;
  if (buf_[pending_.payload_off + size + 1] != '\n') {
    return Fail(ParseError::kUnknownOp,
                buf_.data() + pending_.payload_off + size + 1, 1);
  }
  const char* b = buf_.data();
  internal::MsgArgs a;
  a.subject = std::string_view(b + pending_.subject_off, pending_.subject_len);
  a.sid = std::string_view(b + pending_.sid_off, pending_.sid_len);
  a.reply = std::string_view(b + pending_.reply_off, pending_.reply_len);
  a.header_size = pending_.header_size;
  a.total_size = pending_.total_size;
  state_ = State::kOpStart;
  ParseError e =
      DeliverMsg(a, std::string_view(b + pending_.payload_off, size));
  ReleaseBuffer();
  return e;
}

template <typename Handler, Mode kMode>
ParseError Parser<Handler, kMode>::DeliverMsg(const internal::MsgArgs& a,
                                              std::string_view region) {
  std::string_view headers;
  std::string_view payload = region;
  if (a.header_size >= 0) {
    headers = region.substr(0, static_cast<size_t>(a.header_size));
    payload = region.substr(static_cast<size_t>(a.header_size));
  }
  bool ok;
  if constexpr (kServerMode) {
    if (a.header_size < 0) {
      ok = Invoke([&] { return handler_->OnPub(a.subject, a.reply, payload); });
    } else {
      ok = Invoke([&] {
        return handler_->OnHpub(a.subject, a.reply, headers, payload);
      });
    }
  } else {
    ok = Invoke([&] {
      return handler_->OnMsg(a.subject, a.sid, a.reply, headers, payload);
    });
  }
  return ok ? ParseError::kNone : Stop();
}

template <typename Handler, Mode kMode>
ParseError Parser<Handler, kMode>::FeedSkipLine(const char* data, size_t len,
                                                size_t* i) {
  // nats-server ignores whatever follows PING/PONG/+OK up to '\n'; we do the
  // same but bound it by the control-line limit.
  const size_t max_raw = MaxRawLine();
  const size_t window = std::min(len - *i, max_raw + 1 - skipped_);
  const char* nl =
      static_cast<const char*>(std::memchr(data + *i, '\n', window));
  if (nl == nullptr) {
    if (window < len - *i) {
      return Fail(ParseError::kMaxControlLine, data + *i, len - *i);
    }
    skipped_ += len - *i;
    *i = len;
    return ParseError::kNone;
  }
  *i = static_cast<size_t>(nl - data) + 1;
  state_ = State::kOpStart;
  bool ok = true;
  switch (op_) {
    case Op::kPing:
      ok = Invoke([&] { return handler_->OnPing(); });
      break;
    case Op::kPong:
      ok = Invoke([&] { return handler_->OnPong(); });
      break;
    default:
      ok = Invoke([&] { return handler_->OnOk(); });
      break;
  }
  return ok ? ParseError::kNone : Stop();
}

}  // namespace meridian::protocol

#endif  // MERIDIAN_COMMON_PROTOCOL_PARSER_H_
