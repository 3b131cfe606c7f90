// The subscription index: a token trie like nats-server's Sublist, with a
// bounded shared match cache and a generation number.
//
// Threading: a Sublist is shared by all loops (one per account) and is
// thread-safe; an absl::Mutex guards the trie and the cache (readers share
// it on cache hits). Each loop puts a LocalMatchCache (local_match_cache.h)
// in front, which is not thread-safe and touches only an atomic generation
// on its hits.
//
// Ownership: Subscriptions belong to the caller (the connection that made
// them) and are identified by address. A MatchResult is an immutable,
// reference-counted snapshot holding raw Subscription pointers; results
// handed out before a Remove() may still be in use on other loops for the
// rest of their current loop turn. So free a removed Subscription (and the
// connection its `owner` points to) only after every loop has passed a
// quiescent point after the Remove (e.g. post the free to every loop, or
// keep them alive for one turn of each loop). LocalMatchCache drops stale
// results at its next lookup because the generation changed.
#ifndef MERIDIAN_COMMON_SUBJECTS_SUBLIST_H_
#define MERIDIAN_COMMON_SUBJECTS_SUBLIST_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "common/subjects/admission.h"

namespace meridian::subjects {

namespace internal {
// Transparent string hashing for std::string_view lookups (this abseil build
// has its own absl::string_view, so its default hasher does not take
// std::string_view).
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const {
    return absl::Hash<absl::string_view>{}(
        absl::string_view(s.data(), s.size()));
  }
};
struct StringEq {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const {
    return a == b;
  }
};
template <typename V>
using StringMap = absl::flat_hash_map<std::string, V, StringHash, StringEq>;
}  // namespace internal

// One subscription. Fields must not change while it is in a Sublist.
// The frontend may derive from it to add delivery state (max, delivered).
struct Subscription {
  std::string subject;    // may contain wildcards
  std::string queue;      // queue group; empty for a plain subscription
  std::string sid;        // the client's id for it, unique per connection
  void* owner = nullptr;  // opaque to the index: the connection
};

struct QueueGroupMatch {
  std::string_view name;  // the group name (viewing a member's queue)
  std::vector<Subscription*> members;
};

// The subscriptions matching one literal subject: every plain one, and the
// queue subscriptions grouped by queue name (deliver to one of each group).
struct MatchResult {
  std::vector<Subscription*> psubs;
  std::vector<QueueGroupMatch> qsubs;

  bool empty() const { return psubs.empty() && qsubs.empty(); }
  // As nats-server counts fanout: plain subscribers + queue groups.
  size_t fanout() const { return psubs.size() + qsubs.size(); }
};

using MatchResultPtr = std::shared_ptr<const MatchResult>;

// What a match result depends on, so that a cache can answer other subjects
// with the same prefix (LocalMatchCache: unique reply inboxes, $JS.ACK
// subjects). kExact: the whole subject. kPrefix: the first `prefix_len`
// bytes, for any subject that has them followed by '.' and more tokens.
// kPrefixLastToken: the first `prefix_len` bytes followed by '.' and exactly
// one more token. A subject with an empty token still matches nothing: a
// cache must check that itself.
struct MatchScope {
  enum class Kind : uint8_t { kExact, kPrefix, kPrefixLastToken };
  Kind kind = Kind::kExact;
  size_t prefix_len = 0;
};

enum class SublistError : uint8_t {
  kOk = 0,
  kInvalidSubject,  // empty token, or '>' not last
  kNotFound,        // Remove of a subscription that is not in the index
  kDuplicate,       // Insert of a subscription already in the index
};
std::string_view SublistErrorName(SublistError error);

// The /subsz fields (monitoring.md §4), plus the raw sums needed to add
// stats of several sublists (accounts) together.
struct SublistStats {
  uint32_t num_subscriptions = 0;
  uint32_t num_cache = 0;
  uint64_t num_inserts = 0;
  uint64_t num_removes = 0;
  uint64_t num_matches = 0;
  double cache_hit_rate = 0;
  uint32_t max_fanout = 0;
  double avg_fanout = 0;
  // Raw values behind the ratios.
  uint64_t cache_hits = 0;
  uint64_t total_fanout = 0;
  uint64_t fanout_samples = 0;

  // Accumulates `other` into this (as nats-server aggregates accounts).
  void Add(const SublistStats& other);
};

struct SublistOptions {
  bool cache_enabled = true;
  // When the cache grows past cache_max entries it is swept down to
  // cache_sweep entries, dropping arbitrary ones (nats-server: 1024 / 256).
  size_t cache_max = 1024;
  size_t cache_sweep = 256;
  // Cache a subject only on its second recent miss (admission.h), so unique
  // subjects (reply inboxes) never enter it. Off: every miss is cached, as
  // nats-server does.
  bool cache_second_miss = true;
};

class Sublist {
 public:
  explicit Sublist(SublistOptions options = {});
  ~Sublist();
  Sublist(const Sublist&) = delete;
  Sublist& operator=(const Sublist&) = delete;

  // Adds `sub` (its subject must be a valid subscribe subject).
  [[nodiscard]] SublistError Insert(Subscription* sub);
  // Removes `sub`, pruning emptied trie nodes.
  [[nodiscard]] SublistError Remove(Subscription* sub);
  // Removes many subscriptions at once (a closing connection): the cache is
  // dropped instead of being updated per subscription. Returns the first
  // error; the others are still removed.
  [[nodiscard]] SublistError RemoveBatch(absl::Span<Subscription* const> subs);

  // All subscriptions matching the literal `subject`. Never null; cache hits
  // do not allocate. If `generation` is given it receives the generation the
  // result belongs to (read under the same lock).
  MatchResultPtr Match(std::string_view subject,
                       uint64_t* generation = nullptr);
  // The same with `hash` = internal::StringHash{}(subject), computed once by
  // a caller that hashes the subject anyway (LocalMatchCache).
  // With `scope`, it also receives what the result depends on (kExact for
  // an answer from the shared cache).
  MatchResultPtr MatchHashed(std::string_view subject, size_t hash,
                             uint64_t* generation = nullptr,
                             MatchScope* scope = nullptr);
  // Whether anything matches `subject` (cheaper than Match on a miss).
  bool HasInterest(std::string_view subject);

  // Bumped by every Insert/Remove; a result is current while it is equal.
  uint64_t generation() const {
    return generation_.load(std::memory_order_acquire);
  }

  uint32_t Count() const;
  size_t CacheCount() const;
  SublistStats Stats() const;
  // Appends every subscription (for /subsz listings).
  void All(std::vector<Subscription*>* out) const;

 private:
  struct Node;
  struct Level {
    internal::StringMap<std::unique_ptr<Node>> nodes;
    std::unique_ptr<Node> pwc;  // '*'
    std::unique_ptr<Node> fwc;  // '>'
    size_t NumNodes() const {
      return nodes.size() + (pwc != nullptr) + (fwc != nullptr);
    }
  };
  struct Node {
    std::unique_ptr<Level> next;
    absl::flat_hash_set<Subscription*> psubs;
    internal::StringMap<absl::flat_hash_set<Subscription*>> qsubs;
    bool IsEmpty() const {
      return psubs.empty() && qsubs.empty() &&
             (next == nullptr || next->NumNodes() == 0);
    }
  };

  SublistError RemoveLocked(Subscription* sub, bool update_cache)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  MatchResultPtr MatchLocked(std::string_view subject, MatchScope* scope = nullptr) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  void AddToCache(Subscription* sub) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RemoveFromCache(const Subscription* sub)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SweepCache() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Where a match walk stopped looking at the subject (MatchScope).
  struct WalkExtent {
    size_t died_at = 0;      // bytes examined by branches that left the trie early
    bool exact = false;      // a branch's last token was looked up among literals
    bool last_free = false;  // a branch's last level had no literal nodes
    bool branched = false;   // a '*' branch was followed before the last token
  };
  static void MatchLevel(const Level* level, std::string_view rest, size_t offset,
                         MatchResult* result, WalkExtent* extent);
  static MatchScope ScopeOf(const WalkExtent& extent, std::string_view subject);
  static void AddNodeToResult(const Node* node, MatchResult* result);
  static bool LevelHasInterest(const Level* level, std::string_view rest);
  static void CollectAll(const Level* level, std::vector<Subscription*>* out);

  const SublistOptions options_;
  mutable absl::Mutex mu_;
  Level root_ ABSL_GUARDED_BY(mu_);
  internal::StringMap<MatchResultPtr> cache_ ABSL_GUARDED_BY(mu_);
  bool cache_on_ ABSL_GUARDED_BY(mu_);
  uint32_t count_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t inserts_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t removes_ ABSL_GUARDED_BY(mu_) = 0;
  std::atomic<uint64_t> generation_{0};
  std::atomic<uint64_t> matches_{0};
  std::atomic<uint64_t> cache_hits_{0};
  internal::SecondMissAdmission admission_;
};

}  // namespace meridian::subjects

#endif  // MERIDIAN_COMMON_SUBJECTS_SUBLIST_H_
