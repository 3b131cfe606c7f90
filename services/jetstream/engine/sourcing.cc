#include "services/jetstream/engine/sourcing.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/subjects/subject.h"
#include "services/jetstream/engine/engine.h"
#include "services/jetstream/engine/headers.h"
#include "services/jetstream/engine/stream.h"
#include "services/jetstream/engine/subject_transform.h"

namespace meridian::jetstream {
namespace {

constexpr int kPullBudget = 8192;  // messages copied per stream per turn

std::string MappedSubject(const api::StreamSource& s, const std::string& subject) {
  for (const api::SubjectTransform& t : s.subject_transforms) {
    if (t.src.empty() || subjects::SubjectMatches(t.src, subject)) {
      return TransformSubject(t.src.empty() ? ">" : t.src, t.dest, subject);
    }
  }
  return subject;
}

std::vector<std::string> Filters(const api::StreamSource& s) {
  std::vector<std::string> f;
  if (!s.filter_subject.empty()) f.push_back(s.filter_subject);
  for (const api::SubjectTransform& t : s.subject_transforms) {
    if (!t.src.empty()) f.push_back(t.src);
  }
  return f;
}

}  // namespace

void Sourcing::Configure(const api::StreamConfig& config,
                         const std::vector<std::pair<std::string, StreamSeq>>& cursors) {
  std::vector<Cursor> next;
  auto add = [&](const api::StreamSource& s, bool mirror) {
    Cursor c;
    c.source = s;
    c.mirror = mirror;
    for (const Cursor& old : cursors_) {
      if (old.source.name == s.name) {
        c.taken = old.taken;
        c.started = old.started;
        c.last_ns = old.last_ns;
      }
    }
    for (const auto& [name, taken] : cursors) {
      if (name == s.name) {
        c.taken = taken;
        c.started = true;
      }
    }
    next.push_back(std::move(c));
  };
  if (config.mirror.has_value()) add(*config.mirror, true);
  for (const api::StreamSource& s : config.sources) add(s, false);
  cursors_ = std::move(next);
}

bool Sourcing::Uses(std::string_view origin) const {
  for (const Cursor& c : cursors_) {
    if (c.source.name == origin) return true;
  }
  return false;
}

bool Sourcing::Pull(Engine* engine, Stream* target, bool* more) {
  int budget = kPullBudget;
  bool copied = false;
  for (Cursor& c : cursors_) copied = PullOne(engine, target, c, &budget) || copied;
  *more = budget <= 0;
  return copied;
}

bool Sourcing::PullOne(Engine* engine, Stream* target, Cursor& c, int* budget) {
  Stream* origin = engine->FindStream(c.source.name);
  if (origin == nullptr || origin == target) return false;
  StreamStore* from = origin->store();
  if (!c.started) {
    c.started = true;
    if (c.source.opt_start_seq.value > 0) {
      c.taken = c.source.opt_start_seq.value - 1;
    } else if (c.source.opt_start_time.has_value()) {
      c.taken = from->SeqAtOrAfterTime(absl::ToUnixNanos(*c.source.opt_start_time)) - 1;
    }
  }
  const std::vector<std::string> filters = Filters(c.source);
  bool copied = false;
  StoredMessage m;
  while (*budget > 0 && from->LoadNext(filters, c.taken + 1, &m).ok()) {
    --*budget;
    c.taken = m.seq;
    std::string subject = MappedSubject(c.source, m.subject);
    if (c.mirror) {
      if (!target->StoreMirrored(m, subject)) break;
    } else {
      std::string tag = absl::StrCat(c.source.name, " ", m.seq);
      std::string hdrs = AddHeaders(m.headers, {{"Nats-Stream-Source", tag}});
      if (!target->StoreSourced(subject, hdrs, m.data)) break;
    }
    c.last_ns = engine->now_ns();
    copied = true;
  }
  return copied;
}

std::vector<std::pair<std::string, StreamSeq>> Sourcing::Positions() const {
  std::vector<std::pair<std::string, StreamSeq>> out;
  for (const Cursor& c : cursors_) {
    if (c.started) out.emplace_back(c.source.name, c.taken);
  }
  return out;
}

void Sourcing::Describe(Engine* engine, api::StreamInfo* info) const {
  for (const Cursor& c : cursors_) {
    api::StreamSourceInfo si;
    si.name = c.source.name;
    si.filter_subject = c.source.filter_subject;
    si.subject_transforms = c.source.subject_transforms;
    if (Stream* origin = engine->FindStream(c.source.name)) {
      const StreamState st = origin->State();
      si.lag = st.last_seq > c.taken ? st.last_seq - c.taken : 0;
    }
    si.active.ns = c.last_ns > 0 ? engine->now_ns() - c.last_ns : -1;
    if (c.mirror) {
      info->mirror = si;
    } else {
      info->sources.push_back(si);
    }
  }
}

}  // namespace meridian::jetstream
