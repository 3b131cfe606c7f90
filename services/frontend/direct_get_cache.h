// The frontend's cache of JetStream direct-get answers, so that repeated
// reads of a key (KV get: `$JS.API.DIRECT.GET.<stream>.<subject>` with an
// empty body, "the last message on <subject>") are answered here instead of
// travelling through the router to meridian-jetstream and back.
//
// Coherence (README.md, "Direct-get cache"):
// * meridian-jetstream sends an invalidation for a stream (account `$MRD`,
//   subject `$MRD.DG.INV.<stream>`) at the first change of that stream after
//   it answered a direct get, and sends it before anything that follows the
//   change (the publish ack, a delete's answer). Everything from
//   meridian-jetstream reaches a frontend in order, so by the time a client
//   sees the ack the entry is gone here, and on every other frontend before
//   any message sent after the ack reaches it.
// * An answer is stored only if no invalidation of its stream (and no reset)
//   came between the request and the answer (epochs).
// * Everything is dropped when the router link comes or goes and when
//   meridian-jetstream's interest changes (it restarted or reattached: what
//   it sent meanwhile may be lost). Entries older than `ttl` are not served:
//   the bound on staleness if an invalidation is dropped on the way (a
//   router queue overflowing towards a slow frontend).
// * Only while this is the only frontend (meridian-server turns the cache on
//   for one frontend and no cluster): an invalidation reaches the frontend
//   before the ack of the change reaches any client, so whatever a client
//   learns of the change, through any channel, comes after it here. With
//   other frontends the ack can reach a client there before the invalidation
//   arrives here, and a client told of the change outside NATS could read
//   the old value (as from a lagging replica with nats-server's allow_direct).
// * Answers are taken only from messages the router sends: with one
//   frontend no client publishes there (a client's message to someone's
//   reply subject is delivered locally and never stored), so only
//   meridian-jetstream's answers are. A reply subject reused before its
//   answer came stores nothing.
// * A client's own publishes are not covered by invalidations until
//   meridian-jetstream processed them: the caller forwards the gets of a
//   connection that forwarded anything else until one of them is answered
//   (ClientConnection, "unsynced").
//
// Thread-safe (one mutex): loops look up and expect answers, the router
// link's transport thread stores answers and applies invalidations.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "common/subjects/sublist.h"

namespace meridian::frontend {

struct DirectGetCacheOptions {
  int64_t max_bytes = 0;  // 0 or less: no cache (see the coherence notes above)
  absl::Duration ttl = absl::Seconds(1);
};

struct DirectGetCacheStats {
  uint64_t hits = 0, misses = 0, stored = 0, invalidations = 0, resets = 0;
  uint64_t entries = 0, bytes = 0;
};

class DirectGetCache {
 public:
  // The account and subjects of meridian-jetstream's invalidations.
  static constexpr std::string_view kAccount = "$MRD";
  static constexpr std::string_view kInvalidationPrefix = "$MRD.DG.INV.";
  static constexpr std::string_view kInvalidationInterest = "$MRD.DG.INV.>";
  // What meridian-jetstream subscribes the whole JetStream API with.
  static constexpr std::string_view kApiInterest = "$JS.API.>";

  explicit DirectGetCache(DirectGetCacheOptions options);

  // The stream of a cacheable request subject
  // ($JS.API.DIRECT.GET.<stream>.<subject>), or empty.
  static std::string_view RequestStream(std::string_view subject);

  struct Entry {
    std::string headers, payload;
    absl::Time stored;
  };
  using EntryPtr = std::shared_ptr<const Entry>;

  // The answer to `request_subject` (of `stream`) if stored and fresh.
  EntryPtr Lookup(std::string_view stream, std::string_view request_subject);
  // A request is being forwarded: its answer, arriving on `reply`, may be stored.
  void ExpectReply(std::string_view reply, std::string_view stream,
                   std::string_view request_subject);
  // Whether any answer is awaited (cheap: a routed message skips the rest).
  bool Expecting() const { return expecting_.load(std::memory_order_relaxed) > 0; }
  // A message from the router in the clients' account: stored when it is an
  // awaited answer.
  void OnRouted(std::string_view subject, std::string_view headers, std::string_view payload);
  // A message from the router in kAccount: an invalidation.
  void OnInternal(std::string_view subject);

  void Invalidate(std::string_view stream);
  void Reset();

  DirectGetCacheStats stats() const;
  const DirectGetCacheOptions& options() const { return options_; }

 private:
  struct StreamEntries {
    uint64_t epoch = 0;
    subjects::internal::StringMap<EntryPtr> entries;  // by request subject
  };
  struct Awaited {
    std::string stream, request_subject;
    uint64_t epoch = 0, stream_epoch = 0;
    absl::Time deadline;
    bool ambiguous = false;  // the reply subject was reused before an answer came
  };
  static constexpr size_t kMaxAwaited = 4096;
  static bool Cacheable(std::string_view headers);
  void DropEntriesLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ExpireAwaitedLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const DirectGetCacheOptions options_;
  mutable std::mutex mu_;
  uint64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;
  subjects::internal::StringMap<StreamEntries> streams_ ABSL_GUARDED_BY(mu_);
  subjects::internal::StringMap<Awaited> awaited_ ABSL_GUARDED_BY(mu_);  // by reply subject
  uint64_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t entries_ ABSL_GUARDED_BY(mu_) = 0;
  std::atomic<size_t> expecting_{0};
  std::atomic<uint64_t> hits_{0}, misses_{0}, stored_{0}, invalidations_{0}, resets_{0};
};

}  // namespace meridian::frontend
