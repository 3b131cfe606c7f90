#include "common/subjects/local_match_cache.h"

#include <utility>

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
}

const MatchResult* LocalMatchCache::Cached(std::string_view subject, size_t hash) {
  const uint64_t generation = sublist_->generation();
  if (generation != generation_) {
    Clear();
    generation_ = generation;
    return nullptr;
  }
  auto it = entries_.find(subject, hash);
  if (it == entries_.end()) return nullptr;
  ++hits_;
  return it->second.get();
}

const MatchResult& LocalMatchCache::Match(std::string_view subject) {
  // One hash for this cache, the sublist's cache and both admissions.
  const size_t hash = internal::StringHash{}(subject);
  if (const MatchResult* cached = Cached(subject, hash)) return *cached;
  ++misses_;
  if (admission_.AdmitHash(hash)) return MissAdmitted(subject, hash);
  uint64_t generation = generation_;
  MatchResultPtr result = sublist_->MatchHashed(subject, hash, &generation);
  if (generation != generation_) {
    Clear();
    generation_ = generation;
  }
  // Not cached (yet): kept alive until Quiesce like a retired entry.
  retired_.push_back(std::move(result));
  return *retired_.back();
}

bool LocalMatchCache::HasInterest(std::string_view subject) {
  const size_t hash = internal::StringHash{}(subject);
  if (const MatchResult* cached = Cached(subject, hash)) return !cached->empty();
  ++misses_;
  if (admission_.AdmitHash(hash)) return !MissAdmitted(subject, hash).empty();
  return sublist_->HasInterestHashed(subject, hash);
}

const MatchResult& LocalMatchCache::MissAdmitted(std::string_view subject, size_t hash) {
  uint64_t generation = generation_;
  MatchResultPtr result = sublist_->MatchHashed(subject, hash, &generation);
  if (generation != generation_) {
    // The sublist changed since we looked: what we hold is older than
    // `result`.
    Clear();
    generation_ = generation;
  }
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
