#include "common/subjects/sublist.h"

#include <algorithm>
#include <utility>

#include "common/subjects/subject.h"

namespace meridian::subjects {
namespace {

// What the trie accepts (nats-server Sublist.Insert): non-empty tokens and
// nothing after '>'.
bool IndexableSubject(std::string_view subject) {
  bool seen_fwc = false;
  for (TokenIterator it(subject); !it.done(); it.Next()) {
    if (it.token().empty() || seen_fwc) return false;
    seen_fwc = IsFullWildcard(it.token());
  }
  return true;
}

const MatchResult kEmptyResult;

// A pointer to the shared empty result with no control block, so copying
// it costs no atomic operation.
MatchResultPtr EmptyResultPtr() {
  return MatchResultPtr(MatchResultPtr(), &kEmptyResult);
}

void AddToGroups(Subscription* sub, std::vector<QueueGroupMatch>* groups) {
  for (QueueGroupMatch& g : *groups) {
    if (g.name == sub->queue) {
      g.members.push_back(sub);
      return;
    }
  }
  groups->push_back(QueueGroupMatch{sub->queue, {sub}});
}

// A copy of `r` with `sub` added (results are shared, so never edited).
MatchResultPtr WithSub(const MatchResult& r, Subscription* sub) {
  auto nr = std::make_shared<MatchResult>(r);
  if (sub->queue.empty()) {
    nr->psubs.push_back(sub);
  } else {
    AddToGroups(sub, &nr->qsubs);
  }
  return nr;
}

}  // namespace

std::string_view SublistErrorName(SublistError error) {
  switch (error) {
    case SublistError::kOk:
      return "ok";
    case SublistError::kInvalidSubject:
      return "invalid subject";
    case SublistError::kNotFound:
      return "not found";
    case SublistError::kDuplicate:
      return "already inserted";
  }
  return "unknown";
}

void SublistStats::Add(const SublistStats& other) {
  num_subscriptions += other.num_subscriptions;
  num_cache += other.num_cache;
  num_inserts += other.num_inserts;
  num_removes += other.num_removes;
  num_matches += other.num_matches;
  cache_hits += other.cache_hits;
  max_fanout = std::max(max_fanout, other.max_fanout);
  total_fanout += other.total_fanout;
  fanout_samples += other.fanout_samples;
  avg_fanout = fanout_samples > 0 ? static_cast<double>(total_fanout) /
                                        static_cast<double>(fanout_samples)
                                  : 0;
  cache_hit_rate = num_matches > 0 ? static_cast<double>(cache_hits) /
                                         static_cast<double>(num_matches)
                                   : 0;
}

Sublist::Sublist(SublistOptions options)
    : options_(options), cache_on_(options.cache_enabled) {}

Sublist::~Sublist() = default;

SublistError Sublist::Insert(Subscription* sub) {
  if (!IndexableSubject(sub->subject)) return SublistError::kInvalidSubject;
  absl::MutexLock lock(&mu_);
  Level* level = &root_;
  Node* node = nullptr;
  for (TokenIterator it(sub->subject); !it.done(); it.Next()) {
    if (node != nullptr) {
      if (node->next == nullptr) node->next = std::make_unique<Level>();
      level = node->next.get();
    }
    std::string_view t = it.token();
    std::unique_ptr<Node>* slot;
    if (IsPartialWildcard(t)) {
      slot = &level->pwc;
    } else if (IsFullWildcard(t)) {
      slot = &level->fwc;
    } else {
      auto found = level->nodes.find(t);
      if (found == level->nodes.end()) {
        found = level->nodes.emplace(std::string(t), nullptr).first;
      }
      slot = &found->second;
    }
    if (*slot == nullptr) *slot = std::make_unique<Node>();
    node = slot->get();
  }
  bool added;
  if (sub->queue.empty()) {
    added = node->psubs.insert(sub).second;
  } else {
    auto group = node->qsubs.find(sub->queue);
    if (group == node->qsubs.end()) {
      group =
          node->qsubs.emplace(sub->queue, absl::flat_hash_set<Subscription*>())
              .first;
    }
    added = group->second.insert(sub).second;
  }
  if (!added) return SublistError::kDuplicate;
  ++count_;
  ++inserts_;
  AddToCache(sub);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  return SublistError::kOk;
}

SublistError Sublist::Remove(Subscription* sub) {
  absl::MutexLock lock(&mu_);
  return RemoveLocked(sub, /*update_cache=*/true);
}

SublistError Sublist::RemoveBatch(absl::Span<Subscription* const> subs) {
  if (subs.empty()) return SublistError::kOk;
  absl::MutexLock lock(&mu_);
  // As nats-server: drop the cache rather than updating it per subscription.
  cache_on_ = false;
  cache_.clear();
  SublistError first = SublistError::kOk;
  for (Subscription* sub : subs) {
    SublistError e = RemoveLocked(sub, /*update_cache=*/false);
    if (e != SublistError::kOk && first == SublistError::kOk) first = e;
  }
  cache_on_ = options_.cache_enabled;
  generation_.fetch_add(1, std::memory_order_acq_rel);
  return first;
}

SublistError Sublist::RemoveLocked(Subscription* sub, bool update_cache) {
  if (!IndexableSubject(sub->subject)) return SublistError::kInvalidSubject;
  struct Step {
    Level* level;
    Node* node;
    std::string_view token;
  };
  absl::InlinedVector<Step, 16> path;
  Level* level = &root_;
  Node* node = nullptr;
  for (TokenIterator it(sub->subject); !it.done(); it.Next()) {
    if (node != nullptr) {
      level = node->next.get();
      if (level == nullptr) return SublistError::kNotFound;
    }
    std::string_view t = it.token();
    if (IsPartialWildcard(t)) {
      node = level->pwc.get();
    } else if (IsFullWildcard(t)) {
      node = level->fwc.get();
    } else {
      auto found = level->nodes.find(t);
      node = found == level->nodes.end() ? nullptr : found->second.get();
    }
    if (node == nullptr) return SublistError::kNotFound;
    path.push_back(Step{level, node, t});
  }
  if (sub->queue.empty()) {
    if (node->psubs.erase(sub) == 0) return SublistError::kNotFound;
  } else {
    auto group = node->qsubs.find(sub->queue);
    if (group == node->qsubs.end() || group->second.erase(sub) == 0) {
      return SublistError::kNotFound;
    }
    if (group->second.empty()) node->qsubs.erase(group);
  }
  --count_;
  ++removes_;
  // Prune emptied nodes bottom-up.
  for (size_t i = path.size(); i-- > 0;) {
    Step& s = path[i];
    if (s.node->next != nullptr && s.node->next->NumNodes() == 0) {
      s.node->next.reset();
    }
    if (!s.node->IsEmpty()) break;
    if (s.node == s.level->pwc.get()) {
      s.level->pwc.reset();
    } else if (s.node == s.level->fwc.get()) {
      s.level->fwc.reset();
    } else {
      s.level->nodes.erase(s.token);
    }
  }
  if (update_cache) {
    RemoveFromCache(sub);
    generation_.fetch_add(1, std::memory_order_acq_rel);
  }
  return SublistError::kOk;
}

void Sublist::AddToCache(Subscription* sub) {
  if (!cache_on_) return;
  if (!SubjectHasWildcard(sub->subject)) {
    auto it = cache_.find(sub->subject);
    if (it != cache_.end()) it->second = WithSub(*it->second, sub);
    return;
  }
  for (auto& [subject, result] : cache_) {
    if (SubjectMatches(sub->subject, subject)) result = WithSub(*result, sub);
  }
}

void Sublist::RemoveFromCache(const Subscription* sub) {
  if (!cache_on_) return;
  if (!SubjectHasWildcard(sub->subject)) {
    cache_.erase(sub->subject);
    return;
  }
  for (auto it = cache_.begin(); it != cache_.end();) {
    if (SubjectMatches(sub->subject, it->first)) {
      cache_.erase(it++);
    } else {
      ++it;
    }
  }
}

void Sublist::SweepCache() {
  if (cache_.size() <= options_.cache_max) return;
  // Drop arbitrary entries (hash order) down to the sweep size.
  for (auto it = cache_.begin();
       it != cache_.end() && cache_.size() > options_.cache_sweep;) {
    cache_.erase(it++);
  }
}

MatchResultPtr Sublist::Match(std::string_view subject, uint64_t* generation) {
  return MatchHashed(subject, internal::StringHash{}(subject), generation);
}

MatchResultPtr Sublist::MatchHashed(std::string_view subject, size_t hash,
                                    uint64_t* generation, MatchScope* scope) {
  if (scope != nullptr) *scope = MatchScope{};
  matches_.fetch_add(1, std::memory_order_relaxed);
  {
    absl::ReaderMutexLock lock(&mu_);
    if (cache_on_) {
      auto it = cache_.find(subject, hash);
      if (it != cache_.end()) {
        cache_hits_.fetch_add(1, std::memory_order_relaxed);
        if (generation != nullptr) *generation = this->generation();
        return it->second;
      }
      if (options_.cache_second_miss && !admission_.AdmitHash(hash)) {
        // First miss: answer without caching (and without the writer lock).
        if (generation != nullptr) *generation = this->generation();
        return MatchLocked(subject, scope);
      }
    } else {
      if (generation != nullptr) *generation = this->generation();
      return MatchLocked(subject, scope);
    }
  }
  // Miss: compute and store under the writer lock, so no mutation can slip
  // between computing the result and caching it.
  absl::MutexLock lock(&mu_);
  if (generation != nullptr) *generation = this->generation();
  if (!cache_on_) return MatchLocked(subject, scope);
  auto it = cache_.find(subject, hash);
  if (it != cache_.end()) {
    cache_hits_.fetch_add(1, std::memory_order_relaxed);
    return it->second;
  }
  MatchResultPtr result = MatchLocked(subject, scope);
  cache_.emplace(std::string(subject), result);
  SweepCache();
  return result;
}

// Per thread: the walk's scratch result (its vectors keep their capacity)
// and the last result handed out, so that a run of unique subjects matching
// the same subscriptions (reply inboxes under one wildcard, $JS.ACK
// subjects) allocates nothing.
namespace {
struct MatchScratch {
  MatchResult walk;
  MatchResultPtr last;
};
}  // namespace

MatchResultPtr Sublist::MatchLocked(std::string_view subject, MatchScope* scope) const {
  if (subject.empty()) return EmptyResultPtr();
  thread_local MatchScratch scratch;
  MatchResult& result = scratch.walk;
  result.psubs.clear();
  result.qsubs.clear();
  WalkExtent extent;
  MatchLevel(&root_, subject, 0, &result, &extent);
  // An empty token matches nothing, not even '>'.
  const bool valid = !HasEmptyToken(subject);
  if (scope != nullptr) *scope = valid ? ScopeOf(extent, subject) : MatchScope{};
  if (result.empty() || !valid) return EmptyResultPtr();
  // Equal content is the same answer whichever list or generation made it
  // (results are immutable). Queue groups hold names borrowed from their
  // subscriptions, so only plain results are reused.
  if (result.qsubs.empty() && scratch.last != nullptr && scratch.last->qsubs.empty() &&
      scratch.last->psubs == result.psubs) {
    return scratch.last;
  }
  MatchResultPtr fresh = std::make_shared<const MatchResult>(result);
  if (result.qsubs.empty()) scratch.last = fresh;
  return fresh;
}

MatchScope Sublist::ScopeOf(const WalkExtent& extent, std::string_view subject) {
  if (extent.exact) return MatchScope{};
  if (extent.last_free) {
    // One straight walk to a last level that has only wildcards: any last
    // token gives the same answer.
    const size_t dot = subject.rfind(kTokenSeparator);
    if (extent.branched || extent.died_at != 0 || dot == std::string_view::npos) {
      return MatchScope{};
    }
    return MatchScope{MatchScope::Kind::kPrefixLastToken, dot};
  }
  // Every branch left the trie before the last token: only the tokens up to
  // the deepest such point matter.
  if (extent.died_at == 0) return MatchScope{};
  return MatchScope{MatchScope::Kind::kPrefix, extent.died_at};
}

// Tokens are split off as the walk goes: a walk that leaves the trie early
// (a unique reply inbox, a $JS.ACK subject) does not split the rest.
// `offset` is where `rest` starts in the subject.
void Sublist::MatchLevel(const Level* level, std::string_view rest, size_t offset,
                         MatchResult* result, WalkExtent* extent) {
  const Node* pwc = nullptr;
  const Node* node = nullptr;
  while (true) {
    if (level == nullptr) {
      // Left the trie after the token ending just before `rest`.
      extent->died_at = std::max(extent->died_at, offset - 1);
      return;
    }
    const size_t dot = rest.find(kTokenSeparator);
    const std::string_view token = rest.substr(0, dot);
    if (level->fwc != nullptr) AddNodeToResult(level->fwc.get(), result);
    pwc = level->pwc.get();
    auto it = level->nodes.find(token);
    node = it == level->nodes.end() ? nullptr : it->second.get();
    if (dot == std::string_view::npos) {  // the last token
      if (level->nodes.empty()) {
        extent->last_free = true;
      } else {
        extent->exact = true;
      }
      break;
    }
    rest.remove_prefix(dot + 1);
    offset += dot + 1;
    if (pwc != nullptr) {
      extent->branched = true;
      MatchLevel(pwc->next.get(), rest, offset, result, extent);
    }
    level = node == nullptr ? nullptr : node->next.get();
  }
  if (node != nullptr) AddNodeToResult(node, result);
  if (pwc != nullptr) AddNodeToResult(pwc, result);
}

void Sublist::AddNodeToResult(const Node* node, MatchResult* result) {
  result->psubs.insert(result->psubs.end(), node->psubs.begin(),
                       node->psubs.end());
  for (const auto& [name, members] : node->qsubs) {
    if (members.empty()) continue;
    // Name the group by a member's queue, not by the trie key: a result may
    // outlive the trie node.
    std::string_view group_name = (*members.begin())->queue;
    QueueGroupMatch* group = nullptr;
    for (QueueGroupMatch& g : result->qsubs) {
      if (g.name == group_name) {
        group = &g;
        break;
      }
    }
    if (group == nullptr) {
      result->qsubs.push_back(QueueGroupMatch{group_name, {}});
      group = &result->qsubs.back();
    }
    group->members.insert(group->members.end(), members.begin(), members.end());
  }
}

bool Sublist::HasInterest(std::string_view subject) {
  if (HasEmptyToken(subject)) return false;
  absl::ReaderMutexLock lock(&mu_);
  if (cache_on_) {
    auto it = cache_.find(subject);
    if (it != cache_.end()) return !it->second->empty();
  }
  return LevelHasInterest(&root_, subject);
}

// The walk of MatchLevel, stopping at the first subscriber.
bool Sublist::LevelHasInterest(const Level* level, std::string_view rest) {
  auto has_subs = [](const Node* n) {
    return !n->psubs.empty() || !n->qsubs.empty();
  };
  const Node* pwc = nullptr;
  const Node* node = nullptr;
  while (true) {
    if (level == nullptr) return false;
    const size_t dot = rest.find(kTokenSeparator);
    const std::string_view token = rest.substr(0, dot);
    if (level->fwc != nullptr && has_subs(level->fwc.get())) return true;
    pwc = level->pwc.get();
    auto it = level->nodes.find(token);
    node = it == level->nodes.end() ? nullptr : it->second.get();
    if (dot == std::string_view::npos) break;  // the last token
    rest.remove_prefix(dot + 1);
    if (pwc != nullptr && LevelHasInterest(pwc->next.get(), rest)) return true;
    level = node == nullptr ? nullptr : node->next.get();
  }
  return (node != nullptr && has_subs(node)) ||
         (pwc != nullptr && has_subs(pwc));
}

uint32_t Sublist::Count() const {
  absl::ReaderMutexLock lock(&mu_);
  return count_;
}

size_t Sublist::CacheCount() const {
  absl::ReaderMutexLock lock(&mu_);
  return cache_.size();
}

SublistStats Sublist::Stats() const {
  SublistStats st;
  absl::ReaderMutexLock lock(&mu_);
  st.num_subscriptions = count_;
  st.num_cache = static_cast<uint32_t>(cache_.size());
  st.num_inserts = inserts_;
  st.num_removes = removes_;
  st.num_matches = matches_.load(std::memory_order_relaxed);
  st.cache_hits = cache_hits_.load(std::memory_order_relaxed);
  if (st.num_matches > 0) {
    st.cache_hit_rate = static_cast<double>(st.cache_hits) /
                        static_cast<double>(st.num_matches);
  }
  // Fanout over the cached results, as nats-server computes it.
  for (const auto& [subject, result] : cache_) {
    const uint64_t f = result->fanout();
    st.total_fanout += f;
    st.max_fanout = std::max<uint32_t>(st.max_fanout, static_cast<uint32_t>(f));
    ++st.fanout_samples;
  }
  if (st.fanout_samples > 0 && st.total_fanout > 0) {
    st.avg_fanout = static_cast<double>(st.total_fanout) /
                    static_cast<double>(st.fanout_samples);
  }
  return st;
}

void Sublist::All(std::vector<Subscription*>* out) const {
  absl::ReaderMutexLock lock(&mu_);
  CollectAll(&root_, out);
}

void Sublist::CollectAll(const Level* level, std::vector<Subscription*>* out) {
  if (level == nullptr) return;
  auto add = [out](const Node* n) {
    out->insert(out->end(), n->psubs.begin(), n->psubs.end());
    for (const auto& [name, members] : n->qsubs) {
      out->insert(out->end(), members.begin(), members.end());
    }
    CollectAll(n->next.get(), out);
  };
  for (const auto& [token, node] : level->nodes) add(node.get());
  if (level->pwc != nullptr) add(level->pwc.get());
  if (level->fwc != nullptr) add(level->fwc.get());
}

}  // namespace meridian::subjects
