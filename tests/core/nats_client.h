// RAII for the NATS C client (libnats) objects the tests use.
#pragma once

#include <nats/nats.h>

#include <memory>
#include <string>

namespace meridian::testing {

struct NatsDeleter {
  void operator()(natsConnection* nc) const { natsConnection_Destroy(nc); }
  void operator()(natsSubscription* s) const { natsSubscription_Destroy(s); }
  void operator()(natsMsg* m) const { natsMsg_Destroy(m); }
  void operator()(natsOptions* o) const { natsOptions_Destroy(o); }
};
using NatsConnPtr = std::unique_ptr<natsConnection, NatsDeleter>;
using NatsSubPtr = std::unique_ptr<natsSubscription, NatsDeleter>;
using NatsMsgPtr = std::unique_ptr<natsMsg, NatsDeleter>;
using NatsOptionsPtr = std::unique_ptr<natsOptions, NatsDeleter>;

// Options for a test connection: one URL, no reconnects (a server fault must
// show, not be papered over), short connect timeout.
inline NatsOptionsPtr TestOptions(const std::string& url) {
  natsOptions* o = nullptr;
  if (natsOptions_Create(&o) != NATS_OK) return nullptr;
  NatsOptionsPtr opts(o);
  natsOptions_SetURL(o, url.c_str());
  natsOptions_SetAllowReconnect(o, false);
  natsOptions_SetTimeout(o, 5000);
  return opts;
}

// Connects with `opts`; *status gets the result.
inline NatsConnPtr NatsConnect(natsOptions* opts, natsStatus* status) {
  natsConnection* nc = nullptr;
  *status = natsConnection_Connect(&nc, opts);
  return NatsConnPtr(*status == NATS_OK ? nc : nullptr);
}

inline NatsConnPtr NatsConnect(const std::string& url, natsStatus* status) {
  NatsOptionsPtr opts = TestOptions(url);
  return NatsConnect(opts.get(), status);
}

inline NatsSubPtr SubscribeSync(natsConnection* nc, const std::string& subject, natsStatus* status,
                                const std::string& queue = "") {
  natsSubscription* s = nullptr;
  *status = queue.empty()
                ? natsConnection_SubscribeSync(&s, nc, subject.c_str())
                : natsConnection_QueueSubscribeSync(&s, nc, subject.c_str(), queue.c_str());
  return NatsSubPtr(*status == NATS_OK ? s : nullptr);
}

// Messages this connection has read from the socket, including those for
// subscriptions it no longer knows (libnats counts before the sid lookup).
inline uint64_t InMsgs(natsConnection* nc) {
  natsStatistics* stats = nullptr;
  natsStatistics_Create(&stats);
  natsConnection_GetStats(nc, stats);
  uint64_t in_msgs = 0;
  natsStatistics_GetCounts(stats, &in_msgs, nullptr, nullptr, nullptr, nullptr);
  natsStatistics_Destroy(stats);
  return in_msgs;
}

// Messages delivered to `sub` and not read yet.
inline int Pending(natsSubscription* sub) {
  int msgs = 0;
  natsSubscription_GetPending(sub, &msgs, nullptr);
  return msgs;
}

// The next message or nullptr (timeout or error, in *status).
inline NatsMsgPtr NextMsg(natsSubscription* sub, int64_t timeout_ms, natsStatus* status = nullptr) {
  natsMsg* m = nullptr;
  natsStatus s = natsSubscription_NextMsg(&m, sub, timeout_ms);
  if (status) *status = s;
  return NatsMsgPtr(s == NATS_OK ? m : nullptr);
}

inline std::string Data(const natsMsg* m) {
  return std::string(natsMsg_GetData(m), static_cast<size_t>(natsMsg_GetDataLength(m)));
}

}  // namespace meridian::testing
