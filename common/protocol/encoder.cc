#include "common/protocol/encoder.h"

#include <charconv>
#include <cstring>

namespace meridian::protocol {
namespace {

char* Put(char* out, std::string_view s) {
  std::memcpy(out, s.data(), s.size());
  return out + s.size();
}

// Appends exactly what `write` produces, given an upper bound on its size.
template <typename W>
void AppendWith(std::string* out, size_t max, W&& write) {
  const size_t old = out->size();
  out->resize(old + max);
  char* end = write(out->data() + old);
  out->resize(static_cast<size_t>(end - out->data()));
}

size_t FieldsSize(std::string_view a, std::string_view b, std::string_view c) {
  return a.size() + 1 + b.size() + 1 + c.size() + 1;
}

}  // namespace

char* WriteUint(char* out, uint64_t v) {
  return std::to_chars(out, out + kMaxUintDigits, v).ptr;
}

size_t MsgHeaderMaxSize(std::string_view subject, std::string_view sid,
                        std::string_view reply) {
  return 4 + FieldsSize(subject, sid, reply) + kMaxUintDigits + 2;
}

char* WriteMsgHeader(char* out, std::string_view subject, std::string_view sid,
                     std::string_view reply, size_t payload_size) {
  out = Put(out, "MSG ");
  out = Put(out, subject);
  *out++ = ' ';
  out = Put(out, sid);
  *out++ = ' ';
  if (!reply.empty()) {
    out = Put(out, reply);
    *out++ = ' ';
  }
  out = WriteUint(out, payload_size);
  return Put(out, kCrLf);
}

size_t HmsgHeaderMaxSize(std::string_view subject, std::string_view sid,
                         std::string_view reply) {
  return 5 + FieldsSize(subject, sid, reply) + 2 * (kMaxUintDigits + 1) + 2;
}

char* WriteHmsgHeader(char* out, std::string_view subject, std::string_view sid,
                      std::string_view reply, size_t header_size,
                      size_t total_size) {
  out = Put(out, "HMSG ");
  out = Put(out, subject);
  *out++ = ' ';
  out = Put(out, sid);
  *out++ = ' ';
  if (!reply.empty()) {
    out = Put(out, reply);
    *out++ = ' ';
  }
  out = WriteUint(out, header_size);
  *out++ = ' ';
  out = WriteUint(out, total_size);
  return Put(out, kCrLf);
}

void AppendMsgHeader(std::string* out, std::string_view subject,
                     std::string_view sid, std::string_view reply,
                     size_t payload_size) {
  AppendWith(out, MsgHeaderMaxSize(subject, sid, reply), [&](char* p) {
    return WriteMsgHeader(p, subject, sid, reply, payload_size);
  });
}

void AppendHmsgHeader(std::string* out, std::string_view subject,
                      std::string_view sid, std::string_view reply,
                      size_t header_size, size_t total_size) {
  AppendWith(out, HmsgHeaderMaxSize(subject, sid, reply), [&](char* p) {
    return WriteHmsgHeader(p, subject, sid, reply, header_size, total_size);
  });
}

void AppendMsg(std::string* out, std::string_view subject, std::string_view sid,
               std::string_view reply, std::string_view payload) {
  AppendMsgHeader(out, subject, sid, reply, payload.size());
  out->append(payload);
  out->append(kCrLf);
}

void AppendHmsg(std::string* out, std::string_view subject,
                std::string_view sid, std::string_view reply,
                std::string_view headers, std::string_view payload) {
  AppendHmsgHeader(out, subject, sid, reply, headers.size(),
                   headers.size() + payload.size());
  out->append(headers);
  out->append(payload);
  out->append(kCrLf);
}

void AppendInfo(std::string* out, std::string_view json) {
  out->append("INFO ");
  out->append(json);
  out->append(" \r\n");
}

void AppendErr(std::string* out, std::string_view text) {
  out->append("-ERR '");
  out->append(text);
  out->append("'\r\n");
}

std::string_view UnquoteErr(std::string_view arg) {
  if (arg.size() >= 2 && arg.front() == '\'' && arg.back() == '\'') {
    return arg.substr(1, arg.size() - 2);
  }
  return arg;
}

void AppendConnect(std::string* out, std::string_view json) {
  out->append("CONNECT ");
  out->append(json);
  out->append(kCrLf);
}

void AppendPub(std::string* out, std::string_view subject,
               std::string_view reply, std::string_view payload) {
  AppendWith(out, 4 + FieldsSize(subject, reply, {}) + kMaxUintDigits + 2,
             [&](char* p) {
               p = Put(p, "PUB ");
               p = Put(p, subject);
               *p++ = ' ';
               if (!reply.empty()) {
                 p = Put(p, reply);
                 *p++ = ' ';
               }
               p = WriteUint(p, payload.size());
               return Put(p, kCrLf);
             });
  out->append(payload);
  out->append(kCrLf);
}

void AppendHpub(std::string* out, std::string_view subject,
                std::string_view reply, std::string_view headers,
                std::string_view payload) {
  AppendWith(out,
             5 + FieldsSize(subject, reply, {}) + 2 * (kMaxUintDigits + 1) + 2,
             [&](char* p) {
               p = Put(p, "HPUB ");
               p = Put(p, subject);
               *p++ = ' ';
               if (!reply.empty()) {
                 p = Put(p, reply);
                 *p++ = ' ';
               }
               p = WriteUint(p, headers.size());
               *p++ = ' ';
               p = WriteUint(p, headers.size() + payload.size());
               return Put(p, kCrLf);
             });
  out->append(headers);
  out->append(payload);
  out->append(kCrLf);
}

void AppendSub(std::string* out, std::string_view subject,
               std::string_view queue, std::string_view sid) {
  out->append("SUB ");
  out->append(subject);
  out->push_back(' ');
  if (!queue.empty()) {
    out->append(queue);
    out->push_back(' ');
  }
  out->append(sid);
  out->append(kCrLf);
}

void AppendUnsub(std::string* out, std::string_view sid,
                 std::optional<uint64_t> max) {
  out->append("UNSUB ");
  out->append(sid);
  if (max.has_value()) {
    char digits[kMaxUintDigits];
    out->push_back(' ');
    out->append(digits, static_cast<size_t>(WriteUint(digits, *max) - digits));
  }
  out->append(kCrLf);
}

}  // namespace meridian::protocol
