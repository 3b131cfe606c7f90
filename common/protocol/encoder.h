// Encoders for NATS protocol lines. Server -> client (MSG, HMSG, INFO, -ERR,
// PING/PONG/+OK) for the frontend's output path, and client -> server
// (CONNECT, PUB, HPUB, SUB, UNSUB) for tests and the load generator.
//
// Two forms: Write*() writes into raw memory the caller sized with the
// matching *MaxSize() and returns the end pointer (for chunked output
// buffers); Append*() appends to a std::string. Integers are formatted with
// std::to_chars; nothing here allocates except std::string growth.
#ifndef MERIDIAN_COMMON_PROTOCOL_ENCODER_H_
#define MERIDIAN_COMMON_PROTOCOL_ENCODER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace meridian::protocol {

inline constexpr std::string_view kCrLf = "\r\n";
inline constexpr std::string_view kPingLine = "PING\r\n";
inline constexpr std::string_view kPongLine = "PONG\r\n";
inline constexpr std::string_view kOkLine = "+OK\r\n";

// Most bytes a decimal uint64 takes.
inline constexpr size_t kMaxUintDigits = 20;

// Writes `v` in decimal at `out`; returns the end.
char* WriteUint(char* out, uint64_t v);

// "MSG <subject> <sid> [reply] <payload_size>\r\n"
size_t MsgHeaderMaxSize(std::string_view subject, std::string_view sid,
                        std::string_view reply);
char* WriteMsgHeader(char* out, std::string_view subject, std::string_view sid,
                     std::string_view reply, size_t payload_size);

// "HMSG <subject> <sid> [reply] <header_size> <total_size>\r\n", where
// total_size = header_size + payload size.
size_t HmsgHeaderMaxSize(std::string_view subject, std::string_view sid,
                         std::string_view reply);
char* WriteHmsgHeader(char* out, std::string_view subject, std::string_view sid,
                      std::string_view reply, size_t header_size,
                      size_t total_size);

// Control line only; the caller appends payload and CRLF.
void AppendMsgHeader(std::string* out, std::string_view subject,
                     std::string_view sid, std::string_view reply,
                     size_t payload_size);
void AppendHmsgHeader(std::string* out, std::string_view subject,
                      std::string_view sid, std::string_view reply,
                      size_t header_size, size_t total_size);

// Whole frames: control line, headers, payload, CRLF.
void AppendMsg(std::string* out, std::string_view subject, std::string_view sid,
               std::string_view reply, std::string_view payload);
void AppendHmsg(std::string* out, std::string_view subject,
                std::string_view sid, std::string_view reply,
                std::string_view headers, std::string_view payload);

// "INFO <json> \r\n" (nats-server puts a space before the CRLF).
void AppendInfo(std::string* out, std::string_view json);
// "-ERR '<text>'\r\n"
void AppendErr(std::string* out, std::string_view text);
// The text of an -ERR argument without its single quotes, if it has them.
std::string_view UnquoteErr(std::string_view arg);

// Client -> server.
void AppendConnect(std::string* out, std::string_view json);
void AppendPub(std::string* out, std::string_view subject,
               std::string_view reply, std::string_view payload);
void AppendHpub(std::string* out, std::string_view subject,
                std::string_view reply, std::string_view headers,
                std::string_view payload);
void AppendSub(std::string* out, std::string_view subject,
               std::string_view queue, std::string_view sid);
void AppendUnsub(std::string* out, std::string_view sid,
                 std::optional<uint64_t> max = std::nullopt);

}  // namespace meridian::protocol

#endif  // MERIDIAN_COMMON_PROTOCOL_ENCODER_H_
