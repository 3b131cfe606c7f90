#include "services/jetstream/store/keys.h"

namespace meridian::jetstream::keys {

void AppendBigEndian64(std::string* dst, uint64_t v) {
  char buf[8];
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  dst->append(buf, sizeof(buf));
}

uint64_t ReadBigEndian64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

void AppendVarint(std::string* dst, uint64_t v) {
  while (v >= 0x80) {
    dst->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  dst->push_back(static_cast<char>(v));
}

bool ReadVarint(std::string_view* in, uint64_t* v) {
  uint64_t result = 0;
  for (size_t i = 0; i < in->size() && i < 10; ++i) {
    const uint8_t b = static_cast<uint8_t>((*in)[i]);
    result |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) {
      in->remove_prefix(i + 1);
      *v = result;
      return true;
    }
  }
  return false;
}

std::string StreamPrefix(uint64_t id) {
  std::string out;
  AppendBigEndian64(&out, id);
  return out;
}

std::string TagPrefix(uint64_t id, char tag) {
  std::string out = StreamPrefix(id);
  out.push_back(tag);
  return out;
}

std::string TagLimit(uint64_t id, char tag) {
  std::string out = StreamPrefix(id);
  out.push_back(static_cast<char>(tag + 1));
  return out;
}

void MsgKey(uint64_t id, StreamSeq seq, std::string* out) {
  out->clear();
  AppendBigEndian64(out, id);
  out->push_back(kMsgTag);
  AppendBigEndian64(out, seq);
}

void BlockKey(uint64_t id, StreamSeq first, std::string* out) {
  out->clear();
  AppendBigEndian64(out, id);
  out->push_back(kBlockTag);
  AppendBigEndian64(out, first);
}

void RangeKey(uint64_t id, uint64_t range, std::string* out) {
  out->clear();
  AppendBigEndian64(out, id);
  out->push_back(kRangeTag);
  AppendBigEndian64(out, range);
}

void AppendBlockEntry(StreamSeq prev, StreamSeq seq, std::string_view msg, std::string* out) {
  AppendVarint(out, seq - prev);
  AppendVarint(out, msg.size());
  out->append(msg);
}

bool BlockReader::Next(StreamSeq* seq, std::string_view* msg) {
  if (rest_.empty() || !ok_) return false;
  uint64_t delta = 0;
  uint64_t len = 0;
  if (!ReadVarint(&rest_, &delta) || !ReadVarint(&rest_, &len) || len > rest_.size()) {
    ok_ = false;
    return false;
  }
  seq_ += delta;
  *seq = seq_;
  *msg = rest_.substr(0, len);
  rest_.remove_prefix(len);
  return true;
}

void EncodeRange(const RangeRecord& record, std::string* out) {
  out->clear();
  AppendVarint(out, record.covered);
  AppendVarint(out, record.removed);
  if (record.removed == 0) return;
  for (uint64_t word : record.bits) AppendBigEndian64(out, word);
}

bool DecodeRange(std::string_view value, RangeRecord* out) {
  if (!ReadVarint(&value, &out->covered) || !ReadVarint(&value, &out->removed)) return false;
  out->bits.clear();
  if (out->removed == 0) return value.empty();
  if (value.size() != kRangeSeqs / 8 || out->removed > out->covered) return false;
  out->bits.reserve(kRangeSeqs / 64);
  for (size_t i = 0; i < value.size(); i += 8) out->bits.push_back(ReadBigEndian64(value.data() + i));
  return true;
}

void IndexPrefix(uint64_t id, std::string_view subject, std::string* out) {
  out->clear();
  AppendBigEndian64(out, id);
  out->push_back(kIndexTag);
  AppendVarint(out, subject.size());
  out->append(subject);
}

void IndexKey(uint64_t id, std::string_view subject, StreamSeq seq, std::string* out) {
  IndexPrefix(id, subject, out);
  AppendBigEndian64(out, seq);
}

std::string CatalogKey(std::string_view name) {
  std::string out = TagPrefix(kGlobalId, kCatalogTag);
  out.append(name);
  return out;
}

std::string NextIdKey() { return TagPrefix(kGlobalId, kNextIdTag); }
std::string FormatKey() { return TagPrefix(kGlobalId, kFormatTag); }

std::string ConsumerKey(uint64_t id, std::string_view name) {
  std::string out = TagPrefix(id, kConsumerTag);
  out.append(name);
  return out;
}

std::string MetaKey(uint64_t id) { return TagPrefix(id, kMetaTag); }
std::string SeqStateKey(uint64_t id) { return TagPrefix(id, kSeqStateTag); }

bool ParseIndexKey(std::string_view key, std::string_view* subject, StreamSeq* seq) {
  if (key.size() < kTagPrefixLen + 1 + kSeqLen) return false;
  key.remove_prefix(kTagPrefixLen);
  uint64_t len = 0;
  if (!ReadVarint(&key, &len) || key.size() != len + kSeqLen) return false;
  *subject = key.substr(0, len);
  *seq = ReadBigEndian64(key.data() + len);
  return true;
}

bool ParseMsgKey(std::string_view key, StreamSeq* seq) {
  if (key.size() != kTagPrefixLen + kSeqLen) return false;
  *seq = ReadBigEndian64(key.data() + kTagPrefixLen);
  return true;
}

void EncodeMsg(int64_t ts_ns, std::string_view subject, std::string_view headers,
               std::string_view data, std::string* out) {
  out->clear();
  out->reserve(8 + 10 + subject.size() + headers.size() + data.size());
  AppendBigEndian64(out, static_cast<uint64_t>(ts_ns));
  AppendVarint(out, subject.size());
  out->append(subject);
  AppendVarint(out, headers.size());
  out->append(headers);
  out->append(data);
}

bool DecodeMsg(std::string_view value, MsgView* out) {
  if (value.size() < 8) return false;
  out->ts_ns = static_cast<int64_t>(ReadBigEndian64(value.data()));
  value.remove_prefix(8);
  uint64_t len = 0;
  if (!ReadVarint(&value, &len) || value.size() < len) return false;
  out->subject = value.substr(0, len);
  value.remove_prefix(len);
  if (!ReadVarint(&value, &len) || value.size() < len) return false;
  out->headers = value.substr(0, len);
  value.remove_prefix(len);
  out->data = value;
  return true;
}

void EncodeRun(StreamSeq key_seq, StreamSeq span_end, const std::vector<RunEntry>& entries,
               std::string* out) {
  out->clear();
  uint64_t count = 0;
  for (const RunEntry& e : entries) count += e.size != RunEntry::kRemoved ? 1 : 0;
  AppendVarint(out, span_end - key_seq);
  AppendVarint(out, count);
  StreamSeq previous = key_seq;
  for (const RunEntry& e : entries) {
    if (e.size == RunEntry::kRemoved) continue;
    AppendVarint(out, e.seq - previous);
    AppendVarint(out, e.size);
    previous = e.seq;
  }
}

bool DecodeRun(StreamSeq key_seq, std::string_view value, StreamSeq* span_end,
               std::vector<RunEntry>* entries) {
  entries->clear();
  uint64_t first = 0;
  if (!ReadVarint(&value, &first)) return false;
  if (value.empty()) {  // the first format: one message, `first` is its size
    *span_end = key_seq;
    entries->push_back(RunEntry{key_seq, first});
    return true;
  }
  uint64_t count = 0;
  if (!ReadVarint(&value, &count) || count > value.size() / 2) return false;
  *span_end = key_seq + first;
  entries->reserve(count);
  StreamSeq seq = key_seq;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t delta = 0;
    uint64_t size = 0;
    if (!ReadVarint(&value, &delta) || !ReadVarint(&value, &size)) return false;
    seq += delta;
    if (seq > *span_end || size == RunEntry::kRemoved) return false;
    entries->push_back(RunEntry{seq, size});
  }
  return value.empty();
}

bool DecodeRunCount(std::string_view value, uint64_t* count) {
  uint64_t first = 0;
  if (!ReadVarint(&value, &first)) return false;
  if (value.empty()) {
    *count = 1;
    return true;
  }
  return ReadVarint(&value, count);
}

void EncodeSeqState(const SeqState& state, std::string* out) {
  out->clear();
  AppendBigEndian64(out, state.first);
  AppendBigEndian64(out, state.last);
  AppendBigEndian64(out, static_cast<uint64_t>(state.last_ts_ns));
}

bool DecodeSeqState(std::string_view value, SeqState* state) {
  if (value.size() != 24) return false;
  state->first = ReadBigEndian64(value.data());
  state->last = ReadBigEndian64(value.data() + 8);
  state->last_ts_ns = static_cast<int64_t>(ReadBigEndian64(value.data() + 16));
  return true;
}

}  // namespace meridian::jetstream::keys
