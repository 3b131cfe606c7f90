// Internal: the RocksDB key layout and value encodings of the message store
// (README.md describes the layout). Pure functions, no RocksDB types.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "services/jetstream/store/store.h"

namespace meridian::jetstream::keys {

// Stream id 0 holds the store-wide records.
inline constexpr uint64_t kGlobalId = 0;
inline constexpr size_t kIdLen = 8;
inline constexpr size_t kTagPrefixLen = kIdLen + 1;  // id + tag
inline constexpr size_t kSeqLen = 8;

// Tags (the byte after the id).
inline constexpr char kCatalogTag = 'N';   // global: name -> stream id
inline constexpr char kNextIdTag = 'X';    // global: next stream id
inline constexpr char kFormatTag = 'V';    // global: store format (8 bytes)

// Store formats: 1 wrote an index key per message (no format record); 2
// writes index runs (subject_runs.h) and reads format 1 as runs of one; 3
// keeps messages in blocks (msg_blocks.h) and converts the message keys of
// formats 1 and 2 into blocks at open.
inline constexpr uint64_t kFormat = 3;
inline constexpr char kIndexTag = 'I';     // id I varint(len) subject seq -> run
inline constexpr char kMsgTag = 'M';       // id M seq -> message (formats 1 and 2)
inline constexpr char kBlockTag = 'B';     // id B first seq -> block of messages
inline constexpr char kRangeTag = 'R';     // id R range -> range record
inline constexpr char kConsumerTag = 'c';  // id c name -> blob
inline constexpr char kMetaTag = 'm';      // id m -> meta
inline constexpr char kSeqStateTag = 'q';  // id q -> last seq, last ts

void AppendBigEndian64(std::string* dst, uint64_t v);
uint64_t ReadBigEndian64(const char* p);
void AppendVarint(std::string* dst, uint64_t v);
// Consumes a varint from the front of `in`.
bool ReadVarint(std::string_view* in, uint64_t* v);

// The 8-byte stream id: every key of a stream starts with it.
std::string StreamPrefix(uint64_t id);
std::string TagPrefix(uint64_t id, char tag);
// The first key after every key starting with TagPrefix(id, tag).
std::string TagLimit(uint64_t id, char tag);

void MsgKey(uint64_t id, StreamSeq seq, std::string* out);
void BlockKey(uint64_t id, StreamSeq first, std::string* out);
void RangeKey(uint64_t id, uint64_t range, std::string* out);
// Every index key of `subject` starts with this.
void IndexPrefix(uint64_t id, std::string_view subject, std::string* out);
void IndexKey(uint64_t id, std::string_view subject, StreamSeq seq, std::string* out);
std::string CatalogKey(std::string_view name);
std::string NextIdKey();
std::string FormatKey();
std::string ConsumerKey(uint64_t id, std::string_view name);
std::string MetaKey(uint64_t id);
std::string SeqStateKey(uint64_t id);

// Whether `key` is an index key of the subject whose IndexPrefix is
// `prefix` (the subject's length precedes it, so the same prefix and length
// mean the same subject).
inline bool IsIndexKeyOf(std::string_view key, std::string_view prefix) {
  return key.size() == prefix.size() + kSeqLen && key.starts_with(prefix);
}
// `key` starts with TagPrefix(id, kIndexTag).
bool ParseIndexKey(std::string_view key, std::string_view* subject, StreamSeq* seq);
// `key` starts with TagPrefix(id, kMsgTag) (or kBlockTag: a block's first seq).
bool ParseMsgKey(std::string_view key, StreamSeq* seq);

// Ranges: seqs [r * kRangeSeqs + 1, (r + 1) * kRangeSeqs] form range r. A
// block never spans two ranges; a range record says which of the range's
// messages are removed (msg_blocks.h).
inline constexpr uint64_t kRangeSeqs = 1024;
inline uint64_t RangeOf(StreamSeq seq) { return (seq - 1) / kRangeSeqs; }
inline StreamSeq RangeFirst(uint64_t range) { return range * kRangeSeqs + 1; }
inline StreamSeq RangeLast(uint64_t range) { return (range + 1) * kRangeSeqs; }

// Block value: per message varint(seq - previous seq) varint(len) then the
// message in EncodeMsg form, "previous" starting at the key's seq (so the
// first delta is 0). Seqs ascend; gaps are removed or never-written seqs.
void AppendBlockEntry(StreamSeq prev, StreamSeq seq, std::string_view msg, std::string* out);
// Reads a block's entries in order.
class BlockReader {
 public:
  BlockReader(StreamSeq key_seq, std::string_view value) : seq_(key_seq), rest_(value) {}
  // The next entry; false at the end or on a malformed block (then ok() is false).
  bool Next(StreamSeq* seq, std::string_view* msg);
  bool ok() const { return ok_; }

 private:
  StreamSeq seq_;
  std::string_view rest_;
  bool ok_ = true;
};

// Range record: varint(covered) varint(removed) and, when removed > 0, a
// bitmap of kRangeSeqs bits (bit i: seq RangeFirst + i is removed).
// covered counts the range's messages in blocks, removed ones included.
struct RangeRecord {
  uint64_t covered = 0;
  uint64_t removed = 0;
  std::vector<uint64_t> bits;  // kRangeSeqs / 64 words, or empty when removed == 0
};
void EncodeRange(const RangeRecord& record, std::string* out);
bool DecodeRange(std::string_view value, RangeRecord* out);

// Message value: ts (8, big-endian), varint(len) subject, varint(len)
// headers, data.
void EncodeMsg(int64_t ts_ns, std::string_view subject, std::string_view headers,
               std::string_view data, std::string* out);
struct MsgView {
  int64_t ts_ns = 0;
  std::string_view subject;
  std::string_view headers;
  std::string_view data;
};
bool DecodeMsg(std::string_view value, MsgView* out);

// Index value: a run, the live messages of one subject appended in one
// commit (subject_runs.h): varint(span) varint(count), then per message
// varint(seq - previous seq) varint(size), "previous" starting at the key's
// seq. The run covers seqs [key, key + span]; only its live messages are
// listed (a run with none is deleted). A value of one varint alone (the
// first format: a key per message) is a run of one message at the key's seq
// with that size.
struct RunEntry {
  static constexpr uint64_t kRemoved = ~uint64_t{0};  // size of a removed entry (in memory)
  StreamSeq seq = 0;
  uint64_t size = 0;
};
// Encodes the entries whose size is not kRemoved (ascending seqs >= key_seq,
// <= span_end).
void EncodeRun(StreamSeq key_seq, StreamSeq span_end, const std::vector<RunEntry>& entries,
               std::string* out);
// Replaces *entries by the run's messages.
bool DecodeRun(StreamSeq key_seq, std::string_view value, StreamSeq* span_end,
               std::vector<RunEntry>* entries);
// The number of messages in a run, without decoding them.
bool DecodeRunCount(std::string_view value, uint64_t* count);

// Sequence state: what the index cannot tell. last seq and last ts survive
// removing the newest messages (as nats-server's last seq does); first seq
// matters only while the stream is empty (0 = never stored, else last + 1 or
// what SetNextSeq set).
struct SeqState {
  StreamSeq first = 0;
  StreamSeq last = 0;
  int64_t last_ts_ns = 0;
};
void EncodeSeqState(const SeqState& state, std::string* out);
bool DecodeSeqState(std::string_view value, SeqState* state);

}  // namespace meridian::jetstream::keys
