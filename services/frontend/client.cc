#include "services/frontend/client.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/protocol/encoder.h"
#include "common/subjects/subject.h"
#include "services/frontend/core.h"
#include "services/frontend/direct_get_cache.h"
#include "services/frontend/router_link.h"
#include "services/frontend/worker.h"

namespace meridian::frontend {
namespace {

constexpr std::string_view kAuthViolation = "Authorization Violation";

absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }

int64_t NowNanos() { return absl::GetCurrentTimeNanos(); }

}  // namespace

ClientConnection::ClientConnection(Worker* worker, uint64_t cid, int fd)
    : worker_(worker),
      cid_(cid),
      parser_(this, protocol::ParserOptions{
                        .max_control_line = static_cast<uint32_t>(
                            worker->settings().limits.max_control_line),
                        .max_payload = worker->settings().limits.max_payload,
                        .headers = false}),
      out_(&worker->pool()) {
  uv_tcp_init(worker->loop(), &tcp_);
  tcp_.data = this;
  if (uv_tcp_open(&tcp_, fd) != 0) handle_closed_ = true;
  uv_tcp_nodelay(&tcp_, 1);
  sockaddr_storage addr{};
  int len = sizeof addr;
  if (uv_tcp_getpeername(&tcp_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    char buf[INET6_ADDRSTRLEN] = {0};
    if (addr.ss_family == AF_INET) {
      auto* in = reinterpret_cast<sockaddr_in*>(&addr);
      uv_ip4_name(in, buf, sizeof buf);
      port_ = ntohs(in->sin_port);
    } else {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(&addr);
      uv_ip6_name(in6, buf, sizeof buf);
      port_ = ntohs(in6->sin6_port);
    }
    ip_ = buf;
  }
  last_activity_ns_.store(NowNanos(), std::memory_order_relaxed);
  next_ping_ = start_ + worker->settings().limits.ping_interval;
}

ClientConnection::~ClientConnection() = default;

bool ClientConnection::Start() {
  if (handle_closed_) return false;
  Core* core = worker_->core();
  std::string info = core->InfoJson(cid_, ip_, /*connect_info=*/false, worker_->settings().limits, worker_->settings().auth);
  scratch_.clear();
  protocol::AppendInfo(&scratch_, info);
  QueueRaw(scratch_);
  if (worker_->settings().limits.max_connections > 0 &&
      core->num_connections().load() > worker_->settings().limits.max_connections) {
    Close("Max Connections", "maximum connections exceeded");
    return true;
  }
  ResumeReading();
  return true;
}

void ClientConnection::PauseReading() {
  if (!reading_ || handle_closed_) return;
  reading_ = false;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
}

void ClientConnection::ResumeReading() {
  if (reading_ || closing_ || handle_closed_) return;
  reading_ = true;
  uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), &ClientConnection::OnAlloc,
                &ClientConnection::OnRead);
}

void ClientConnection::OnAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* self = static_cast<ClientConnection*>(handle->data);
  *buf = uv_buf_init(self->worker_->read_buffer(), Worker::kReadBufferSize);
}

void ClientConnection::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<ClientConnection*>(stream->data);
  if (nread == 0) return;
  if (nread < 0) {
    self->Close(nread == UV_EOF ? "Client Closed" : absl::StrCat("Read Error: ", uv_strerror(nread)));
    return;
  }
  if (self->closing_) return;
  self->Touch();
  const Limits& limits = self->worker_->settings().limits;
  self->parser_.set_max_payload(limits.max_payload);
  self->parser_.set_max_control_line(static_cast<uint32_t>(limits.max_control_line));
  protocol::ParseError e = self->parser_.Feed(buf->base, static_cast<size_t>(nread));
  if (self->stall_requested_) {
    self->stall_requested_ = false;
    if (!self->closing_) self->worker_->Stall(self);
  }
  if (e == protocol::ParseError::kNone || e == protocol::ParseError::kStopped) return;
  std::string_view text = protocol::ErrText(e);
  MLOG_DEBUG("client ", self->cid_, ": ", protocol::ErrorDescription(e), " - closing");
  self->Close(text.empty() ? "Protocol Violation" : "Parse Error", text);
}

void ClientConnection::Touch() {
  activity_since_ping_ = true;
  last_activity_ns_.store(NowNanos(), std::memory_order_relaxed);
}

bool ClientConnection::Authorized() const {
  const SimpleAuth& auth = worker_->settings().auth;
  if (!auth.required()) return true;
  if (!auth.token.empty()) return connect_.auth_token == auth.token;
  return connect_.user == auth.user && connect_.pass == auth.pass;
}

void ClientConnection::SendErr(std::string_view text) {
  scratch_.clear();
  protocol::AppendErr(&scratch_, text);
  QueueRaw(scratch_);
}

void ClientConnection::SendOk() { QueueRaw(protocol::kOkLine); }

bool ClientConnection::OnConnect(std::string_view json) {
  ConnectOptions opts;
  if (absl::Status s = ParseConnectOptions(json, &opts); !s.ok()) {
    MLOG_DEBUG("client ", cid_, ": bad CONNECT: ", s.message());
    Close("Protocol Violation");  // nats-server closes without -ERR
    return false;
  }
  connect_ = std::move(opts);
  if (connect_.protocol < 0 || connect_.protocol > 1) {
    Close("Protocol Violation", "invalid client protocol");
    return false;
  }
  if (connect_.no_responders && !connect_.headers) {
    Close("Protocol Violation", "no responders requires headers support");
    return false;
  }
  if (!Authorized()) {
    MLOG_INFO("client ", cid_, " ", ip_, ":", port_, ": authorization violation");
    Close("Authentication Failure", kAuthViolation);
    return false;
  }
  connected_ = true;
  parser_.set_headers(connect_.headers);
  if (connect_.verbose) SendOk();
  return true;
}

bool ClientConnection::OnPing() {
  if (!connected_ && worker_->settings().auth.required()) {
    Close("Authentication Failure", kAuthViolation);
    return false;
  }
  // PING is a flush barrier: messages this client published before it must
  // be in their receivers' buffers before the PONG goes out, and messages
  // other loops sent to this client before its PING must be ahead of the PONG.
  worker_->SyncForPing();
  QueueRaw(protocol::kPongLine);
  if (connected_ && !info_sent_after_pong_ && connect_.protocol >= 1) {
    info_sent_after_pong_ = true;
    scratch_.clear();
    protocol::AppendInfo(&scratch_, worker_->core()->InfoJson(cid_, ip_, /*connect_info=*/true, worker_->settings().limits, worker_->settings().auth));
    QueueRaw(scratch_);
  }
  return !closing_;  // draining the inbox may have closed this connection
}

bool ClientConnection::OnErr(std::string_view text) {
  // A client has no business sending -ERR: nats-server closes it.
  MLOG_DEBUG("client ", cid_, " sent -ERR ", text, ", closing");
  Close("Parse Error");
  return false;
}

bool ClientConnection::OnPong() {
  pings_out_ = 0;
  return true;
}

bool ClientConnection::OnPub(std::string_view subject, std::string_view reply,
                             std::string_view payload) {
  return Publish(subject, reply, {}, payload);
}

bool ClientConnection::OnHpub(std::string_view subject, std::string_view reply,
                              std::string_view headers, std::string_view payload) {
  return Publish(subject, reply, headers, payload);
}

bool ClientConnection::Publish(std::string_view subject, std::string_view reply,
                               std::string_view headers, std::string_view payload) {
  if (closing_) return false;
  if (!connected_ && worker_->settings().auth.required()) {
    Close("Authentication Failure", kAuthViolation);
    return false;
  }
  in_msgs.Inc();
  in_bytes.Add(headers.size() + payload.size());
  WorkerStats& ws = worker_->stats();
  ws.in_msgs.Inc();
  ws.in_bytes.Add(headers.size() + payload.size());
  // nats-server 2.9 reports a wildcard publish subject in pedantic mode and
  // still routes the message.
  if (connect_.pedantic && !subjects::IsValidLiteralSubject(subject)) SendErr("Invalid Publish Subject");
  if (connect_.verbose) SendOk();
  Message msg{.subject = subject,
              .reply = reply,
              .headers = headers,
              .payload = payload,
              .publisher_cid = cid_,
              .publisher_echo = connect_.echo};
  bool stall = false;
  size_t delivered = worker_->direct_get_cache() != nullptr ? PublishTracked(msg, &stall)
                                                            : worker_->Publish(msg, &stall);
  if (stall) stall_requested_ = true;
  if (delivered == 0 && !reply.empty() && connect_.no_responders) {
    SendNoResponders(subject, reply);
  }
  return !closing_;
}

size_t ClientConnection::PublishTracked(const Message& msg, bool* stall) {
  std::string_view stream;
  if (!msg.reply.empty() && msg.headers.empty() && msg.payload.empty()) {
    stream = DirectGetCache::RequestStream(msg.subject);
  }
  if (stream.empty()) {
    size_t delivered = worker_->Publish(msg, stall);
    // Possibly a write meridian-jetstream has not processed yet (invalidations
    // cover only what it has): this connection's direct gets go to it, behind
    // the write, until one of them is answered.
    if (worker_->forwarded_last()) unsynced_ = true;
    return delivered;
  }
  if (unsynced_) barrier_reply_.assign(msg.reply);
  return worker_->PublishDirectGet(msg, stream, /*may_answer=*/!unsynced_, stall);
}

void ClientConnection::SendNoResponders(std::string_view subject, std::string_view reply) {
  // Delivered only to this connection's own subscription on the reply subject.
  const subjects::MatchResult& result = worker_->Match(reply);
  for (subjects::Subscription* s : result.psubs) {
    auto* sub = static_cast<ClientSub*>(s);
    if (sub->cid != cid_) continue;
    std::string headers = absl::StrCat("NATS/1.0 503\r\nNats-Subject: ", AV(subject), "\r\n\r\n");
    Message status{.subject = reply, .headers = headers, .payload = {}};
    QueueMsg(sub->sid, status);
    return;
  }
}

bool ClientConnection::OnSub(std::string_view subject, std::string_view queue,
                             std::string_view sid) {
  if (closing_) return false;
  if (!connected_ && worker_->settings().auth.required()) {
    Close("Authentication Failure", kAuthViolation);
    return false;
  }
  if (!subjects::IsValidSubject(subject) || (!queue.empty() && !subjects::IsValidQueueName(queue))) {
    SendErr("Invalid Subject");
    return !closing_;
  }
  if (subs_.find(sid) != subs_.end()) {  // nats-server ignores a repeated sid
    if (connect_.verbose) SendOk();
    return true;
  }
  int64_t max_subs = worker_->settings().limits.max_subscriptions;
  if (max_subs > 0 && static_cast<int64_t>(subs_.size()) >= max_subs) {
    SendErr("maximum subscriptions exceeded");
    return !closing_;
  }
  auto sub = std::make_unique<ClientSub>();
  sub->subject = std::string(subject);
  sub->queue = std::string(queue);
  sub->sid = std::string(sid);
  sub->owner = this;
  sub->cid = cid_;
  sub->worker = worker_->index();
  sub->serial = worker_->core()->NextCid();
  sub->pending = pending_;
  if (worker_->core()->sublist().Insert(sub.get()) != subjects::SublistError::kOk) {
    SendErr("Invalid Subject");
    return !closing_;
  }
  if (RouterLink* link = worker_->core()->router_link()) link->AddInterest(sub->subject, sub->queue);
  subs_.emplace(sub->sid, std::move(sub));
  num_subs_.store(subs_.size(), std::memory_order_relaxed);
  if (connect_.verbose) SendOk();
  return true;
}

bool ClientConnection::OnUnsub(std::string_view sid, std::optional<uint64_t> max) {
  if (!connected_ && worker_->settings().auth.required()) {
    Close("Authentication Failure", kAuthViolation);
    return false;
  }
  auto it = subs_.find(sid);
  if (it != subs_.end()) {
    ClientSub* sub = it->second.get();
    if (max.has_value() && *max > 0 && sub->delivered.load() < *max) {
      sub->max.store(*max);
    } else {
      RemoveSub(sid);
    }
  }
  if (connect_.verbose) SendOk();
  return true;
}

void ClientConnection::RemoveSub(std::string_view sid) {
  auto it = subs_.find(sid);
  if (it == subs_.end()) return;
  ClientSub* sub = it->second.release();
  subs_.erase(it);
  num_subs_.store(subs_.size(), std::memory_order_relaxed);
  (void)worker_->core()->sublist().Remove(sub);
  if (RouterLink* link = worker_->core()->router_link()) {
    const subjects::Subscription* one = sub;
    link->RemoveInterest({&one, 1});
  }
  worker_->RetireSub(sub);
}

void ClientConnection::RemoveAllSubs() {
  if (subs_.empty()) return;
  std::vector<subjects::Subscription*> all;
  all.reserve(subs_.size());
  for (auto& [sid, sub] : subs_) all.push_back(sub.get());
  (void)worker_->core()->sublist().RemoveBatch(all);
  if (RouterLink* link = worker_->core()->router_link()) link->RemoveInterest(all);
  for (auto& [sid, sub] : subs_) worker_->RetireSub(sub.release());
  subs_.clear();
  num_subs_.store(0, std::memory_order_relaxed);
}

ConnSnapshot ClientConnection::Snapshot(bool with_subs) const {
  ConnSnapshot s;
  s.cid = cid_;
  s.ip = ip_;
  s.port = port_;
  s.start = start_;
  s.last_activity = last_activity();
  s.pending_bytes = out_.pending();
  s.in_msgs = in_msgs.Get();
  s.out_msgs = out_msgs.Get();
  s.in_bytes = in_bytes.Get();
  s.out_bytes = out_bytes.Get();
  s.num_subs = subs_.size();
  s.name = connect_.name;
  s.lang = connect_.lang;
  s.version = connect_.version;
  s.user = connect_.user;
  if (with_subs) {
    for (const auto& [sid, sub] : subs_) {
      s.subs.push_back({.subject = sub->subject,
                        .queue = sub->queue,
                        .sid = sub->sid,
                        .cid = cid_,
                        .msgs = sub->delivered.load(std::memory_order_relaxed),
                        .max = sub->max.load(std::memory_order_relaxed)});
    }
  }
  return s;
}

bool ClientConnection::HasSub(std::string_view sid, uint64_t serial) const {
  auto it = subs_.find(sid);
  return it != subs_.end() && it->second->serial == serial;
}

bool ClientConnection::QueueMsg(std::string_view sid, const Message& msg) {
  if (closing_) return false;
  if (unsynced_ && msg.subject == barrier_reply_) {  // see PublishTracked
    unsynced_ = false;
    barrier_reply_.clear();
  }
  bool with_headers = !msg.headers.empty() && connect_.headers;
  size_t payload_size = msg.payload.size() + (with_headers ? msg.headers.size() : 0);
  size_t line_max = with_headers ? protocol::HmsgHeaderMaxSize(msg.subject, sid, msg.reply)
                                 : protocol::MsgHeaderMaxSize(msg.subject, sid, msg.reply);
  if (line_max <= kBlockSize) {
    char* p = out_.Reserve(line_max);
    char* end = with_headers ? protocol::WriteHmsgHeader(p, msg.subject, sid, msg.reply,
                                                         msg.headers.size(), payload_size)
                             : protocol::WriteMsgHeader(p, msg.subject, sid, msg.reply, payload_size);
    out_.Commit(static_cast<size_t>(end - p));
  } else {
    scratch_.clear();
    if (with_headers) {
      protocol::AppendHmsgHeader(&scratch_, msg.subject, sid, msg.reply, msg.headers.size(),
                                 payload_size);
    } else {
      protocol::AppendMsgHeader(&scratch_, msg.subject, sid, msg.reply, payload_size);
    }
    out_.Append(scratch_);
  }
  if (with_headers) out_.Append(msg.headers);
  out_.Append(msg.payload);
  out_.Append(protocol::kCrLf);
  out_msgs.Inc();
  out_bytes.Add(payload_size);
  WorkerStats& ws = worker_->stats();
  ws.out_msgs.Inc();
  ws.out_bytes.Add(payload_size);
  const int64_t max_pending = worker_->settings().limits.max_pending;
  if (static_cast<int64_t>(out_.pending()) * 2 > max_pending && in_flight_ == 0) {
    // Half way to the limit: write now rather than at the end of the loop
    // turn, so one large read from a fast producer cannot by itself push a
    // reading subscriber over max_pending.
    Flush();
  }
  if (static_cast<int64_t>(out_.pending()) > max_pending) {
    worker_->stats().slow_consumers.Inc();
    MLOG_WARN("client ", cid_, " ", ip_, ":", port_, ": slow consumer (pending bytes ",
              out_.pending(), "), closing");
    Close("Slow Consumer (Pending Bytes)");
    // Close the socket now, before dropping the buffers: an unfinished
    // uv_write may still point into them, and closing cancels it.
    if (!handle_closed_) {
      handle_closed_ = true;
      uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), &ClientConnection::OnClosed);
    }
    out_.Clear();
    in_flight_ = 0;
    return false;
  }
  pending_->store(static_cast<int64_t>(out_.pending()), std::memory_order_relaxed);
  worker_->MarkDirty(this);
  return true;
}

void ClientConnection::QueueRaw(std::string_view bytes) {
  if (handle_closed_) return;
  out_.Append(bytes);
  worker_->MarkDirty(this);
}

void ClientConnection::Flush() {
  dirty = false;
  pending_snapshot_.store(out_.pending(), std::memory_order_relaxed);
  if (handle_closed_ || in_flight_ > 0 || out_.empty()) {
    if (closing_ && !handle_closed_ && in_flight_ == 0 && out_.empty()) {
      handle_closed_ = true;
      uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), &ClientConnection::OnClosed);
    }
    return;
  }
  constexpr size_t kMaxBufs = 64;
  uv_buf_t bufs[kMaxBufs];
  size_t count = out_.Buffers(bufs, kMaxBufs);
  int written = uv_try_write(reinterpret_cast<uv_stream_t*>(&tcp_), bufs, static_cast<unsigned>(count));
  if (written == UV_EAGAIN) written = 0;
  if (written < 0) {
    out_.Clear();
    if (!closing_) Close(absl::StrCat("Write Error: ", uv_strerror(written)));
    handle_closed_ = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), &ClientConnection::OnClosed);
    return;
  }
  out_.Consume(static_cast<size_t>(written));
  pending_->store(static_cast<int64_t>(out_.pending()), std::memory_order_relaxed);
  if (!out_.empty()) {
    // The socket is full: hand the rest to libuv, which waits for it to be
    // writable; appends go on meanwhile after the in-flight bytes.
    count = out_.Buffers(bufs, kMaxBufs);
    size_t bytes = 0;
    for (size_t i = 0; i < count; ++i) bytes += bufs[i].len;
    in_flight_ = bytes;
    write_blocked_since_ = absl::Now();
    write_req_.data = this;
    if (uv_write(&write_req_, reinterpret_cast<uv_stream_t*>(&tcp_), bufs,
                 static_cast<unsigned>(count), &ClientConnection::OnWritten) != 0) {
      in_flight_ = 0;
      out_.Clear();
      if (!closing_) Close("Write Error");
      handle_closed_ = true;
      uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), &ClientConnection::OnClosed);
    }
    return;
  }
  if (closing_) {
    handle_closed_ = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), &ClientConnection::OnClosed);
  }
}

void ClientConnection::OnWritten(uv_write_t* req, int status) {
  auto* self = static_cast<ClientConnection*>(req->data);
  size_t done = self->in_flight_;
  self->in_flight_ = 0;
  self->write_blocked_since_ = absl::InfinitePast();
  if (status < 0) {
    if (status == UV_ECANCELED) return;  // handle closing
    self->out_.Clear();
    if (!self->closing_) self->Close(absl::StrCat("Write Error: ", uv_strerror(status)));
    self->worker_->MarkDirty(self);
    return;
  }
  self->out_.Consume(done);
  self->pending_->store(static_cast<int64_t>(self->out_.pending()), std::memory_order_relaxed);
  self->worker_->MarkDirty(self);
}

void ClientConnection::Tick(absl::Time now) {
  if (closing_) return;
  const Limits& limits = worker_->settings().limits;
  if (!connected_ && worker_->settings().auth.required() &&
      now - start_ > limits.auth_timeout) {
    Close("Authentication Timeout", "Authentication Timeout");
    return;
  }
  if (in_flight_ > 0 && now - write_blocked_since_ > limits.write_deadline) {
    worker_->stats().slow_consumers.Inc();
    MLOG_WARN("client ", cid_, " ", ip_, ":", port_, ": slow consumer (write deadline), closing");
    Close("Slow Consumer (Write Deadline)");
    if (!handle_closed_) {
      handle_closed_ = true;
      uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), &ClientConnection::OnClosed);
    }
    out_.Clear();
    in_flight_ = 0;
    return;
  }
  if (now >= next_ping_) {
    next_ping_ = now + limits.ping_interval;
    if (activity_since_ping_) {
      activity_since_ping_ = false;
      pings_out_ = 0;
      return;
    }
    if (pings_out_ + 1 > limits.ping_max) {
      worker_->stats().stale_connections.Inc();
      MLOG_DEBUG("client ", cid_, ": stale connection, closing");
      Close("Stale Connection", "Stale Connection");
      return;
    }
    pings_out_++;
    QueueRaw(protocol::kPingLine);
  }
}

void ClientConnection::SendAsyncInfo() {
  if (closing_ || connect_.protocol < 1) return;
  scratch_.clear();
  protocol::AppendInfo(&scratch_, worker_->core()->InfoJson(cid_, ip_, false, worker_->settings().limits, worker_->settings().auth));
  QueueRaw(scratch_);
}

void ClientConnection::Close(std::string_view reason, std::string_view err) {
  if (closing_) return;
  closing_ = true;
  close_reason_ = std::string(reason);
  if (!err.empty()) SendErr(err);
  PauseReading();
  RemoveAllSubs();
  worker_->Unregister(this);
  worker_->MarkDirty(this);  // the flush closes the socket once pending bytes are out
}

void ClientConnection::OnClosed(uv_handle_t* handle) {
  auto* self = static_cast<ClientConnection*>(handle->data);
  delete self;
}

}  // namespace meridian::frontend
