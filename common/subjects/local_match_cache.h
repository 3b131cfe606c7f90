// A per-loop (L1) match cache in front of a shared Sublist, like the
// per-client results cache of nats-server: a hit costs one atomic load of
// the Sublist generation and one local hash lookup; any Insert/Remove on
// the Sublist changes the generation and empties this cache at its next use.
//
// A subject is cached on its second recent miss (admission.h): unique
// subjects (reply inboxes) are matched, held until Quiesce() and dropped.
// A miss whose answer depends only on a prefix (Sublist's MatchScope:
// `_INBOX.<id>.<n>` under `_INBOX.<id>.*`, `$JS.ACK.<stream>...` under
// `$JS.ACK.>`) also stores it under that prefix, so the next unique subject
// of the same shape costs a lookup, not a trie walk. Prefix answers are tried
// first: they are exact, and a unique subject then costs no hash of its own.
//
// Threading: not thread-safe; one per loop (per account sublist).
#ifndef MERIDIAN_COMMON_SUBJECTS_LOCAL_MATCH_CACHE_H_
#define MERIDIAN_COMMON_SUBJECTS_LOCAL_MATCH_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/subjects/admission.h"
#include "common/subjects/sublist.h"

namespace meridian::subjects {

class LocalMatchCache {
 public:
  // nats-server's per-client cache holds 512 results and drops 32 at a time.
  explicit LocalMatchCache(Sublist* sublist, size_t max_entries = 512,
                           size_t prune_count = 32);
  LocalMatchCache(const LocalMatchCache&) = delete;
  LocalMatchCache& operator=(const LocalMatchCache&) = delete;

  // The subscriptions matching `subject`. The reference stays valid until
  // the next Quiesce() even if Match() is called again meanwhile (e.g. when
  // delivering a message publishes another one).
  const MatchResult& Match(std::string_view subject);

  // Releases results dropped since the last call. Call it once per loop
  // turn, at a point where no result from Match() is in use.
  void Quiesce() { retired_.clear(); }

  // Empties the cache (results stay valid until Quiesce()).
  void Clear();

  size_t size() const { return entries_.size(); }
  // Answers from a prefix entry, from a subject's own entry, and from the
  // sublist (every Match counts in exactly one).
  uint64_t prefix_hits() const { return prefix_hits_; }
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }

 private:
  void Retire(internal::StringMap<MatchResultPtr>::iterator it);
  // Empties the cache when the sublist changed since it was filled.
  void CheckGeneration();
  // A miss that admission let in: match, store and return it.
  const MatchResult& MissAdmitted(std::string_view subject, size_t hash);
  // A result stored under a prefix of `subject` that holds for it, or null.
  const MatchResult* ByPrefix(std::string_view subject);
  // Stores `result` under the prefix `scope` names, if any.
  void RememberPrefix(std::string_view subject, const MatchScope& scope,
                      const MatchResultPtr& result);
  void ClearPrefixes();

  static constexpr size_t kMaxPrefixEntries = 64;

  Sublist* const sublist_;
  const size_t max_entries_;
  const size_t prune_count_;
  uint64_t generation_;
  internal::StringMap<MatchResultPtr> entries_;
  internal::SecondMissAdmission admission_;
  std::vector<MatchResultPtr> retired_;
  internal::StringMap<MatchResultPtr> by_prefix_;       // MatchScope::kPrefix
  internal::StringMap<MatchResultPtr> by_last_prefix_;  // MatchScope::kPrefixLastToken
  uint64_t prefix_tokens_ = 0;  // bit n-1: a by_prefix_ key of n tokens (n <= 64)
  uint64_t prefix_hits_ = 0;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
};

}  // namespace meridian::subjects

#endif  // MERIDIAN_COMMON_SUBJECTS_LOCAL_MATCH_CACHE_H_
