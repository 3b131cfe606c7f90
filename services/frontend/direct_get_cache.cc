#include "services/frontend/direct_get_cache.h"

#include <utility>

namespace meridian::frontend {
namespace {

constexpr std::string_view kRequestPrefix = "$JS.API.DIRECT.GET.";
// An answer that does not arrive within this is no longer awaited.
constexpr absl::Duration kAwaitFor = absl::Seconds(5);
// Bookkeeping per entry beyond its bytes (keys, maps, control block).
constexpr uint64_t kEntryOverhead = 96;

uint64_t EntryBytes(std::string_view request_subject, std::string_view headers,
                    std::string_view payload) {
  return request_subject.size() + headers.size() + payload.size() + kEntryOverhead;
}

uint64_t EntryBytes(std::string_view request_subject, const DirectGetCache::Entry& e) {
  return EntryBytes(request_subject, e.headers, e.payload);
}

}  // namespace

DirectGetCache::DirectGetCache(DirectGetCacheOptions options) : options_(options) {}

std::string_view DirectGetCache::RequestStream(std::string_view subject) {
  if (!subject.starts_with(kRequestPrefix)) return {};
  std::string_view rest = subject.substr(kRequestPrefix.size());
  size_t dot = rest.find('.');
  // A stream name, a dot, then a non-empty subject.
  if (dot == 0 || dot == std::string_view::npos || dot + 1 == rest.size()) return {};
  return rest.substr(0, dot);
}

bool DirectGetCache::Cacheable(std::string_view headers) {
  // A found message (JetStream's headers, no status) or "404 Message Not
  // Found": both follow from the stream's contents alone.
  if (headers.starts_with("NATS/1.0 404")) return true;
  return headers.starts_with("NATS/1.0\r\n") &&
         headers.find("\r\nNats-Sequence:") != std::string_view::npos;
}

DirectGetCache::EntryPtr DirectGetCache::Lookup(std::string_view stream,
                                                std::string_view request_subject) {
  EntryPtr found;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto s = streams_.find(stream);
    if (s != streams_.end()) {
      auto e = s->second.entries.find(request_subject);
      if (e != s->second.entries.end() && absl::Now() - e->second->stored < options_.ttl) {
        found = e->second;
      }
    }
  }
  (found ? hits_ : misses_).fetch_add(1, std::memory_order_relaxed);
  return found;
}

void DirectGetCache::ExpectReply(std::string_view reply, std::string_view stream,
                                 std::string_view request_subject) {
  const absl::Time now = absl::Now();
  std::lock_guard<std::mutex> lock(mu_);
  if (awaited_.size() >= kMaxAwaited) ExpireAwaitedLocked(now);
  if (awaited_.size() >= kMaxAwaited) awaited_.clear();  // answers that never come
  auto [pos, fresh] = awaited_.try_emplace(std::string(reply));
  Awaited& a = pos->second;
  // A reply subject reused while an answer is awaited on it: which answer
  // belongs to which request (and which epoch) is unknown, so neither is kept.
  a.ambiguous = !fresh;
  a.stream.assign(stream);
  a.request_subject.assign(request_subject);
  a.epoch = epoch_;
  auto s = streams_.find(stream);
  if (s == streams_.end()) s = streams_.emplace(std::string(stream), StreamEntries{}).first;
  a.stream_epoch = s->second.epoch;
  a.deadline = now + kAwaitFor;
  expecting_.store(awaited_.size(), std::memory_order_relaxed);
}

void DirectGetCache::ExpireAwaitedLocked(absl::Time now) {
  absl::erase_if(awaited_, [now](const auto& kv) { return kv.second.deadline < now; });
}

void DirectGetCache::OnRouted(std::string_view subject, std::string_view headers,
                              std::string_view payload) {
  if (!Expecting()) return;
  const absl::Time now = absl::Now();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = awaited_.find(subject);
  if (it == awaited_.end()) return;
  Awaited a = std::move(it->second);
  awaited_.erase(it);
  expecting_.store(awaited_.size(), std::memory_order_relaxed);
  if (a.ambiguous || a.epoch != epoch_ || a.deadline < now || !Cacheable(headers)) return;
  StreamEntries& s = streams_[a.stream];  // exists: created at ExpectReply or later
  if (s.epoch != a.stream_epoch) return;  // the stream changed meanwhile
  const uint64_t size = EntryBytes(a.request_subject, headers, payload);
  const uint64_t max_bytes = static_cast<uint64_t>(options_.max_bytes);
  if (size > max_bytes) return;
  if (bytes_ + size > max_bytes) DropEntriesLocked();  // full: start over
  auto entry = std::make_shared<Entry>();
  entry->headers.assign(headers);
  entry->payload.assign(payload);
  entry->stored = now;
  auto [pos, inserted] = s.entries.try_emplace(std::move(a.request_subject));
  if (inserted) {
    ++entries_;
  } else {
    bytes_ -= EntryBytes(pos->first, *pos->second);
  }
  bytes_ += size;
  pos->second = std::move(entry);
  stored_.fetch_add(1, std::memory_order_relaxed);
}

void DirectGetCache::OnInternal(std::string_view subject) {
  if (subject.starts_with(kInvalidationPrefix)) {
    Invalidate(subject.substr(kInvalidationPrefix.size()));
  }
}

void DirectGetCache::Invalidate(std::string_view stream) {
  std::lock_guard<std::mutex> lock(mu_);
  auto found = streams_.find(stream);
  if (found == streams_.end()) found = streams_.emplace(std::string(stream), StreamEntries{}).first;
  StreamEntries& s = found->second;
  ++s.epoch;
  for (const auto& [request_subject, entry] : s.entries) bytes_ -= EntryBytes(request_subject, *entry);
  entries_ -= s.entries.size();
  s.entries.clear();
  invalidations_.fetch_add(1, std::memory_order_relaxed);
}

void DirectGetCache::Reset() {
  std::lock_guard<std::mutex> lock(mu_);
  ++epoch_;
  DropEntriesLocked();
  awaited_.clear();
  expecting_.store(0, std::memory_order_relaxed);
  resets_.fetch_add(1, std::memory_order_relaxed);
}

void DirectGetCache::DropEntriesLocked() {
  for (auto& [name, s] : streams_) s.entries.clear();  // epochs stay
  bytes_ = 0;
  entries_ = 0;
}

DirectGetCacheStats DirectGetCache::stats() const {
  DirectGetCacheStats out;
  out.hits = hits_.load(std::memory_order_relaxed);
  out.misses = misses_.load(std::memory_order_relaxed);
  out.stored = stored_.load(std::memory_order_relaxed);
  out.invalidations = invalidations_.load(std::memory_order_relaxed);
  out.resets = resets_.load(std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mu_);
  out.entries = entries_;
  out.bytes = bytes_;
  return out;
}

}  // namespace meridian::frontend
