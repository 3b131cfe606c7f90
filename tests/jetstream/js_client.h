// RAII for the libnats JetStream / KV objects the tests use, plus small
// helpers that turn libnats out-params into values (and gtest failures).
#pragma once

#include <nats/nats.h>

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace meridian::testing::jetstream {

struct NatsDeleter {
  void operator()(natsConnection* p) const { natsConnection_Destroy(p); }
  void operator()(natsSubscription* p) const { natsSubscription_Destroy(p); }
  void operator()(natsMsg* p) const { natsMsg_Destroy(p); }
  void operator()(natsOptions* p) const { natsOptions_Destroy(p); }
  void operator()(jsCtx* p) const { jsCtx_Destroy(p); }
  void operator()(jsStreamInfo* p) const { jsStreamInfo_Destroy(p); }
  void operator()(jsConsumerInfo* p) const { jsConsumerInfo_Destroy(p); }
  void operator()(jsPubAck* p) const { jsPubAck_Destroy(p); }
  void operator()(jsMsgMetaData* p) const { jsMsgMetaData_Destroy(p); }
  void operator()(jsStreamNamesList* p) const { jsStreamNamesList_Destroy(p); }
  void operator()(jsStreamInfoList* p) const { jsStreamInfoList_Destroy(p); }
  void operator()(kvStore* p) const { kvStore_Destroy(p); }
  void operator()(kvEntry* p) const { kvEntry_Destroy(p); }
  void operator()(kvWatcher* p) const { kvWatcher_Destroy(p); }
  void operator()(kvStatus* p) const { kvStatus_Destroy(p); }
};
template <typename T>
using Ptr = std::unique_ptr<T, NatsDeleter>;
using ConnPtr = Ptr<natsConnection>;
using SubPtr = Ptr<natsSubscription>;
using MsgPtr = Ptr<natsMsg>;
using JsPtr = Ptr<jsCtx>;
using StreamInfoPtr = Ptr<jsStreamInfo>;
using ConsumerInfoPtr = Ptr<jsConsumerInfo>;
using PubAckPtr = Ptr<jsPubAck>;
using MetaPtr = Ptr<jsMsgMetaData>;
using KvPtr = Ptr<kvStore>;
using EntryPtr = Ptr<kvEntry>;
using WatcherPtr = Ptr<kvWatcher>;
using KvStatusPtr = Ptr<kvStatus>;

// A natsMsgList that destroys its messages.
struct MsgList {
  natsMsgList list{nullptr, 0};
  MsgList() = default;
  MsgList(const MsgList&) = delete;
  MsgList& operator=(const MsgList&) = delete;
  ~MsgList() { natsMsgList_Destroy(&list); }
  int size() const { return list.Count; }
  natsMsg* operator[](int i) const { return list.Msgs[i]; }
};

struct KvEntries {
  kvEntryList list{nullptr, 0};
  KvEntries() = default;
  KvEntries(const KvEntries&) = delete;
  KvEntries& operator=(const KvEntries&) = delete;
  ~KvEntries() { kvEntryList_Destroy(&list); }
};

struct KvKeys {
  kvKeysList list{nullptr, 0};
  KvKeys() = default;
  KvKeys(const KvKeys&) = delete;
  KvKeys& operator=(const KvKeys&) = delete;
  ~KvKeys() { kvKeysList_Destroy(&list); }
};

inline std::string Data(const natsMsg* m) {
  return std::string(natsMsg_GetData(m), static_cast<size_t>(natsMsg_GetDataLength(m)));
}

inline std::string Str(const char* s) { return s == nullptr ? std::string() : std::string(s); }

// Stream/consumer sequences and delivery count of a delivered JetStream message
// (zeros when the message carries no metadata).
struct Meta {
  uint64_t stream_seq = 0;
  uint64_t consumer_seq = 0;
  uint64_t delivered = 0;
  uint64_t pending = 0;
  std::string consumer;
};
inline Meta MetaOf(natsMsg* m) {
  Meta out;
  jsMsgMetaData* md = nullptr;
  if (natsMsg_GetMetaData(&md, m) != NATS_OK) return out;
  MetaPtr owned(md);
  out.stream_seq = md->Sequence.Stream;
  out.consumer_seq = md->Sequence.Consumer;
  out.delivered = md->NumDelivered;
  out.pending = md->NumPending;
  out.consumer = Str(md->Consumer);
  return out;
}

// The counters of a jsConsumerInfo, comparable in one EXPECT_EQ.
struct ConsumerCounts {
  uint64_t delivered_consumer = 0, delivered_stream = 0;
  uint64_t ack_floor_consumer = 0, ack_floor_stream = 0;
  int64_t num_ack_pending = 0;
  int64_t num_redelivered = 0;
  uint64_t num_pending = 0;
  bool operator==(const ConsumerCounts& o) const {
    return delivered_consumer == o.delivered_consumer && delivered_stream == o.delivered_stream &&
           ack_floor_consumer == o.ack_floor_consumer && ack_floor_stream == o.ack_floor_stream &&
           num_ack_pending == o.num_ack_pending && num_redelivered == o.num_redelivered &&
           num_pending == o.num_pending;
  }
};
inline ConsumerCounts CountsOf(const jsConsumerInfo* ci) {
  ConsumerCounts c;
  c.delivered_consumer = ci->Delivered.Consumer;
  c.delivered_stream = ci->Delivered.Stream;
  c.ack_floor_consumer = ci->AckFloor.Consumer;
  c.ack_floor_stream = ci->AckFloor.Stream;
  c.num_ack_pending = ci->NumAckPending;
  c.num_redelivered = ci->NumRedelivered;
  c.num_pending = ci->NumPending;
  return c;
}
inline std::ostream& operator<<(std::ostream& os, const ConsumerCounts& c) {
  return os << "{delivered " << c.delivered_consumer << "/" << c.delivered_stream << ", ack_floor "
            << c.ack_floor_consumer << "/" << c.ack_floor_stream << ", num_ack_pending "
            << c.num_ack_pending << ", num_redelivered " << c.num_redelivered << ", num_pending "
            << c.num_pending << "}";
}
// delivered (consumer/stream), ack floor (consumer/stream), ack pending,
// redelivered, pending.
inline ConsumerCounts Counts(uint64_t dc, uint64_t ds, uint64_t ac, uint64_t as,
                             int64_t ack_pending, int64_t redelivered, uint64_t pending) {
  ConsumerCounts c;
  c.delivered_consumer = dc;
  c.delivered_stream = ds;
  c.ack_floor_consumer = ac;
  c.ack_floor_stream = as;
  c.num_ack_pending = ack_pending;
  c.num_redelivered = redelivered;
  c.num_pending = pending;
  return c;
}

// libnats' last error text of this thread ("" when none).
inline std::string LastError() {
  const char* text = nats_GetLastError(nullptr);
  return text == nullptr ? "" : text;
}

}  // namespace meridian::testing::jetstream
