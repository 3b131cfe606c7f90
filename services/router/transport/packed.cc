#include "services/router/transport/packed.h"

#include <algorithm>
#include <cstring>

namespace meridian::router {
namespace {

constexpr size_t kHeader = 1 + 1 + 2 * 4 + 4 * 2;
constexpr uint8_t kQueueChoice = 1;
constexpr uint8_t kDeliverAs = 2;  // u16 length + deliver_as after the queue list

void PutU16(char* p, size_t v) {
  p[0] = static_cast<char>(v & 0xff);
  p[1] = static_cast<char>((v >> 8) & 0xff);
}
void PutU32(char* p, size_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
uint32_t GetU(const char* p, int bytes) {
  uint32_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}
std::string_view Clip16(std::string_view s) { return s.substr(0, 0xffff); }

}  // namespace

size_t PackedSize(const PackedMessage& m, absl::Span<const std::string_view> queues) {
  size_t n = kHeader + Clip16(m.account).size() + Clip16(m.subject).size() +
             Clip16(m.reply).size() + Clip16(m.origin).size() + m.headers.size() +
             m.payload.size();
  for (size_t i = 0; i < queues.size() && i < 255; ++i) n += 2 + Clip16(queues[i]).size();
  if (!m.deliver_as.empty()) n += 2 + Clip16(m.deliver_as).size();
  return n;
}

void AppendPacked(std::string* out, const PackedMessage& m,
                  absl::Span<const std::string_view> queues) {
  const std::string_view account = Clip16(m.account), subject = Clip16(m.subject),
                         reply = Clip16(m.reply), origin = Clip16(m.origin);
  const size_t num_queues = std::min<size_t>(queues.size(), 255);
  const size_t start = out->size();
  out->resize(start + PackedSize(m, queues));
  char* p = out->data() + start;
  p[0] = static_cast<char>((m.queue_choice ? kQueueChoice : 0) |
                           (m.deliver_as.empty() ? 0 : kDeliverAs));
  p[1] = static_cast<char>(num_queues);
  PutU16(p + 2, account.size());
  PutU16(p + 4, subject.size());
  PutU16(p + 6, reply.size());
  PutU16(p + 8, origin.size());
  PutU32(p + 10, m.headers.size());
  PutU32(p + 14, m.payload.size());
  p += kHeader;
  for (std::string_view field : {account, subject, reply, origin, m.headers, m.payload}) {
    std::memcpy(p, field.data(), field.size());
    p += field.size();
  }
  for (size_t i = 0; i < num_queues; ++i) {
    std::string_view q = Clip16(queues[i]);
    PutU16(p, q.size());
    std::memcpy(p + 2, q.data(), q.size());
    p += 2 + q.size();
  }
  if (!m.deliver_as.empty()) {
    std::string_view d = Clip16(m.deliver_as);
    PutU16(p, d.size());
    std::memcpy(p + 2, d.data(), d.size());
  }
}

bool NextPacked(std::string_view* in, PackedMessage* m, bool* malformed) {
  *malformed = false;
  if (in->empty()) return false;
  if (in->size() < kHeader) {
    *malformed = true;
    return false;
  }
  const char* p = in->data();
  const size_t lens[6] = {GetU(p + 2, 2), GetU(p + 4, 2), GetU(p + 6, 2),
                          GetU(p + 8, 2), GetU(p + 10, 4), GetU(p + 14, 4)};
  size_t need = kHeader;
  for (size_t len : lens) need += len;
  if (need > in->size()) {
    *malformed = true;
    return false;
  }
  const uint8_t flags = static_cast<uint8_t>(p[0]);
  m->queue_choice = (flags & kQueueChoice) != 0;
  m->num_queues = static_cast<uint8_t>(p[1]);
  const char* f = p + kHeader;
  std::string_view* fields[6] = {&m->account, &m->subject, &m->reply,
                                 &m->origin,  &m->headers, &m->payload};
  for (int i = 0; i < 6; ++i) {
    *fields[i] = std::string_view(f, lens[i]);
    f += lens[i];
  }
  // The queue list.
  const char* q = f;
  for (uint8_t i = 0; i < m->num_queues; ++i) {
    if (static_cast<size_t>(q + 2 - p) > in->size()) {
      *malformed = true;
      return false;
    }
    q += 2 + GetU(q, 2);
    if (static_cast<size_t>(q - p) > in->size()) {
      *malformed = true;
      return false;
    }
  }
  m->queue_bytes = std::string_view(f, q - f);
  m->deliver_as = {};
  if ((flags & kDeliverAs) != 0) {  // (a zero length reads as no deliver_as)
    const size_t at = static_cast<size_t>(q - p);
    if (at + 2 > in->size() || at + 2 + GetU(q, 2) > in->size()) {
      *malformed = true;
      return false;
    }
    m->deliver_as = std::string_view(q + 2, GetU(q, 2));
    q += 2 + m->deliver_as.size();
  }
  in->remove_prefix(q - p);
  return true;
}

}  // namespace meridian::router
