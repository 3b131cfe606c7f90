// One NATS client connection: the protocol state machine on top of the
// zero-copy parser, its subscriptions, and its outbound buffer.
//
// Loop thread of its Worker only (monitoring reads the counters, which are
// single-writer atomics, under the worker's table lock).
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "common/protocol/parser.h"
#include "services/frontend/client_sub.h"
#include "services/frontend/connect_options.h"
#include "services/frontend/message.h"
#include "services/frontend/outbound.h"
#include "services/frontend/snapshot.h"
#include "services/frontend/stats.h"

namespace meridian::frontend {

class Worker;

class ClientConnection {
 public:
  ClientConnection(Worker* worker, uint64_t cid, int fd);
  ~ClientConnection();

  // Starts reading and sends INFO; false if the socket could not be adopted.
  bool Start();

  uint64_t cid() const { return cid_; }
  const std::string& ip() const { return ip_; }
  int port() const { return port_; }
  const ConnectOptions& connect() const { return connect_; }
  absl::Time start() const { return start_; }
  absl::Time last_activity() const { return absl::FromUnixNanos(last_activity_ns_.load(std::memory_order_relaxed)); }
  size_t pending_bytes() const { return pending_snapshot_.load(std::memory_order_relaxed); }
  size_t num_subs() const { return num_subs_.load(std::memory_order_relaxed); }
  Counter in_msgs, in_bytes, out_msgs, out_bytes;
  // A copy of this connection's state for monitoring (loop thread).
  ConnSnapshot Snapshot(bool with_subs) const;

  // Delivery (loop thread). Returns false when the message was not queued
  // (connection closing).
  bool QueueMsg(std::string_view sid, const Message& msg);
  void QueueRaw(std::string_view bytes);
  // Whether the subscription `serial` is still subscribed under `sid`
  // (deliveries from other loops may trail an UNSUB, or a SUB reusing it).
  bool HasSub(std::string_view sid, uint64_t serial) const;
  // Worker's check phase: one writev of everything pending.
  void Flush();
  // Periodic checks (ping, stale, auth timeout, write deadline).
  void Tick(absl::Time now);
  void Close(std::string_view reason, std::string_view err = "");
  bool closing() const { return closing_; }
  // An INFO with the current state (lame duck, connect_urls) to a client that
  // announced protocol >= 1 in CONNECT, as nats-server sends them.
  void SendAsyncInfo();

  // Parser callbacks.
  bool OnConnect(std::string_view json);
  bool OnPub(std::string_view subject, std::string_view reply, std::string_view payload);
  bool OnHpub(std::string_view subject, std::string_view reply, std::string_view headers,
              std::string_view payload);
  bool OnSub(std::string_view subject, std::string_view queue, std::string_view sid);
  bool OnUnsub(std::string_view sid, std::optional<uint64_t> max);
  bool OnPing();
  bool OnPong();
  bool OnOk() { return true; }
  bool OnErr(std::string_view text);
  bool OnInfo(std::string_view) { return true; }

  // Fast-producer pushback: reading pauses while a subscriber it feeds is
  // near max_pending (as nats-server stalls fast producers).
  void PauseReading();
  void ResumeReading();

  // The worker unsubscribes a subscription that reached its max.
  void RemoveSub(std::string_view sid);
  bool dirty = false;

 private:
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnWritten(uv_write_t* req, int status);
  static void OnClosed(uv_handle_t* handle);

  bool Publish(std::string_view subject, std::string_view reply, std::string_view headers,
               std::string_view payload);
  // Publish with the direct-get cache on: gets may be answered from it,
  // other messages may make this connection unsynced.
  size_t PublishTracked(const Message& msg, bool* stall);
  void SendNoResponders(std::string_view subject, std::string_view reply);
  void SendErr(std::string_view text);
  void SendOk();
  void RemoveAllSubs();
  bool Authorized() const;
  void Touch();

  Worker* worker_;
  uint64_t cid_;
  uv_tcp_t tcp_;
  uv_write_t write_req_;
  protocol::ServerParser<ClientConnection> parser_;
  Outbound out_;
  ConnectOptions connect_;
  bool connected_ = false;   // CONNECT accepted
  bool info_sent_after_pong_ = false;
  bool closing_ = false;
  bool handle_closed_ = false;
  size_t in_flight_ = 0;     // bytes handed to an unfinished uv_write
  absl::Time write_blocked_since_ = absl::InfinitePast();
  std::string ip_;
  int port_ = 0;
  absl::Time start_ = absl::Now();
  absl::Time next_ping_;
  int pings_out_ = 0;
  bool activity_since_ping_ = false;
  std::atomic<int64_t> last_activity_ns_{0};
  std::atomic<size_t> pending_snapshot_{0};
  std::atomic<size_t> num_subs_{0};
  std::shared_ptr<std::atomic<int64_t>> pending_ = std::make_shared<std::atomic<int64_t>>(0);
  bool stall_requested_ = false;
  bool reading_ = false;
  subjects::internal::StringMap<std::unique_ptr<ClientSub>> subs_;
  std::string close_reason_;
  std::string scratch_;
  // Direct-get cache: this connection forwarded something meridian-jetstream
  // may not have processed yet; its gets bypass the cache until the answer
  // on barrier_reply_ (its latest get's reply subject) is delivered.
  bool unsynced_ = false;
  std::string barrier_reply_;
};

}  // namespace meridian::frontend
