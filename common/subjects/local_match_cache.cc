#include "common/subjects/local_match_cache.h"

#include <utility>

#include "common/subjects/subject.h"

namespace meridian::subjects {
LocalMatchCache::LocalMatchCache(Sublist* sublist, size_t max_entries,
                                 size_t prune_count)
    : sublist_(sublist),
      max_entries_(max_entries == 0 ? 1 : max_entries),
      prune_count_(prune_count == 0 ? 1 : prune_count),
      generation_(sublist->generation()) {}

void LocalMatchCache::Retire(internal::StringMap<MatchResultPtr>::iterator it) {
  retired_.push_back(std::move(it->second));
  entries_.erase(it);
}

void LocalMatchCache::Clear() {
  for (auto& [subject, result] : entries_)
    retired_.push_back(std::move(result));
  entries_.clear();
  ClearPrefixes();
}

void LocalMatchCache::ClearPrefixes() {
  for (auto* map : {&by_prefix_, &by_last_prefix_}) {
    for (auto& [prefix, result] : *map) retired_.push_back(std::move(result));
    map->clear();
  }
  prefix_tokens_ = 0;
}

const MatchResult* LocalMatchCache::ByPrefix(std::string_view subject) {
  // Either kind of entry that applies gives the exact answer; the short
  // prefixes first ($JS.ACK acks would otherwise hash all but their last
  // token for the inboxes' entries before finding "$JS.ACK").
  if (prefix_tokens_ != 0) {
    uint64_t tokens = 0;
    for (size_t dot = subject.find('.'); dot != std::string_view::npos && tokens < 64;
         dot = subject.find('.', dot + 1)) {
      if ((prefix_tokens_ >> tokens++ & 1) == 0) continue;
      auto it = by_prefix_.find(subject.substr(0, dot));
      if (it != by_prefix_.end()) return HasEmptyToken(subject) ? nullptr : it->second.get();
    }
  }
  if (!by_last_prefix_.empty()) {
    const size_t dot = subject.rfind('.');
    if (dot != std::string_view::npos) {
      auto it = by_last_prefix_.find(subject.substr(0, dot));
      if (it != by_last_prefix_.end() && !HasEmptyToken(subject)) return it->second.get();
    }
  }
  return nullptr;
}

void LocalMatchCache::RememberPrefix(std::string_view subject, const MatchScope& scope,
                                     const MatchResultPtr& result) {
  if (scope.kind == MatchScope::Kind::kExact) return;
  const std::string_view prefix = subject.substr(0, scope.prefix_len);
  if (scope.kind == MatchScope::Kind::kPrefixLastToken) {
    if (by_last_prefix_.size() >= kMaxPrefixEntries) ClearPrefixes();
    by_last_prefix_.emplace(std::string(prefix), result);
    return;
  }
  const uint64_t tokens = NumTokens(prefix);
  if (tokens > 64) return;
  if (by_prefix_.size() >= kMaxPrefixEntries) ClearPrefixes();
  by_prefix_.emplace(std::string(prefix), result);
  prefix_tokens_ |= uint64_t{1} << (tokens - 1);
}

void LocalMatchCache::CheckGeneration() {
  const uint64_t generation = sublist_->generation();
  if (generation == generation_) return;
  Clear();
  generation_ = generation;
}

const MatchResult& LocalMatchCache::Match(std::string_view subject) {
  CheckGeneration();
  // A prefix answer first: a unique subject (an ack, a reply inbox) then
  // costs neither its own hash nor a look in the subject map and admission.
  if (const MatchResult* shared = ByPrefix(subject)) {
    ++prefix_hits_;
    return *shared;
  }
  // One hash for this cache, the sublist's cache and both admissions.
  const size_t hash = internal::StringHash{}(subject);
  if (auto it = entries_.find(subject, hash); it != entries_.end()) {
    ++hits_;
    return *it->second;
  }
  ++misses_;
  // A subject seen again soon goes into the cache; a first sighting (most
  // likely a unique subject) is matched and dropped.
  if (admission_.AdmitHash(hash)) return MissAdmitted(subject, hash);
  uint64_t generation = generation_;
  MatchScope scope;
  MatchResultPtr result = sublist_->MatchHashed(subject, hash, &generation, &scope);
  if (generation != generation_) {
    Clear();
    generation_ = generation;
  }
  RememberPrefix(subject, scope, result);
  // Not cached (yet): kept alive until Quiesce like a retired entry.
  retired_.push_back(std::move(result));
  return *retired_.back();
}

const MatchResult& LocalMatchCache::MissAdmitted(std::string_view subject, size_t hash) {
  uint64_t generation = generation_;
  MatchScope scope;
  MatchResultPtr result = sublist_->MatchHashed(subject, hash, &generation, &scope);
  if (generation != generation_) {
    // The sublist changed since we looked: what we hold is older than
    // `result`.
    Clear();
    generation_ = generation;
  }
  RememberPrefix(subject, scope, result);
  if (entries_.size() >= max_entries_) {
    size_t n = 0;
    for (auto it = entries_.begin(); it != entries_.end() && n < prune_count_;
         ++n) {
      Retire(it++);
    }
  }
  auto [it, inserted] =
      entries_.emplace(std::string(subject), std::move(result));
  return *it->second;
}

}  // namespace meridian::subjects
