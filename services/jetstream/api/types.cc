#include "services/jetstream/api/types.h"

#include "absl/strings/match.h"

namespace meridian::jetstream::api {

absl::string_view ToString(RetentionPolicy v) {
  switch (v) {
    case RetentionPolicy::kLimits:
      return "limits";
    case RetentionPolicy::kInterest:
      return "interest";
    case RetentionPolicy::kWorkQueue:
      return "workqueue";
  }
  return "limits";
}

absl::string_view ToString(DiscardPolicy v) { return v == DiscardPolicy::kNew ? "new" : "old"; }

absl::string_view ToString(StorageType v) {
  switch (v) {
    case StorageType::kFile:
      return "file";
    case StorageType::kMemory:
      return "memory";
    case StorageType::kAny:
      return "any";
  }
  return "file";
}

absl::string_view ToString(Compression v) { return v == Compression::kS2 ? "s2" : "none"; }

absl::string_view ToString(AckPolicy v) {
  switch (v) {
    case AckPolicy::kNone:
      return "none";
    case AckPolicy::kAll:
      return "all";
    case AckPolicy::kExplicit:
      return "explicit";
  }
  return "none";
}

absl::string_view ToString(DeliverPolicy v) {
  switch (v) {
    case DeliverPolicy::kAll:
      return "all";
    case DeliverPolicy::kLast:
      return "last";
    case DeliverPolicy::kNew:
      return "new";
    case DeliverPolicy::kByStartSequence:
      return "by_start_sequence";
    case DeliverPolicy::kByStartTime:
      return "by_start_time";
    case DeliverPolicy::kLastPerSubject:
      return "last_per_subject";
  }
  return "undefined";
}

absl::string_view ToString(ReplayPolicy v) {
  return v == ReplayPolicy::kOriginal ? "original" : "instant";
}

absl::string_view ToString(PriorityPolicy v) {
  switch (v) {
    case PriorityPolicy::kNone:
      return "none";
    case PriorityPolicy::kOverflow:
      return "overflow";
    case PriorityPolicy::kPinnedClient:
      return "pinned_client";
    case PriorityPolicy::kPrioritized:
      return "prioritized";
  }
  return "none";
}

bool ParseRetentionPolicy(absl::string_view s, RetentionPolicy* out) {
  if (s == "limits")
    *out = RetentionPolicy::kLimits;
  else if (s == "interest")
    *out = RetentionPolicy::kInterest;
  else if (s == "workqueue")
    *out = RetentionPolicy::kWorkQueue;
  else
    return false;
  return true;
}

bool ParseDiscardPolicy(absl::string_view s, DiscardPolicy* out) {
  if (absl::EqualsIgnoreCase(s, "old"))
    *out = DiscardPolicy::kOld;
  else if (absl::EqualsIgnoreCase(s, "new"))
    *out = DiscardPolicy::kNew;
  else
    return false;
  return true;
}

bool ParseStorageType(absl::string_view s, StorageType* out) {
  if (s == "file")
    *out = StorageType::kFile;
  else if (s == "memory")
    *out = StorageType::kMemory;
  else if (s == "any")
    *out = StorageType::kAny;
  else
    return false;
  return true;
}

bool ParseCompression(absl::string_view s, Compression* out) {
  if (s == "none" || s.empty())
    *out = Compression::kNone;
  else if (s == "s2")
    *out = Compression::kS2;
  else
    return false;
  return true;
}

bool ParseAckPolicy(absl::string_view s, AckPolicy* out) {
  if (s == "none")
    *out = AckPolicy::kNone;
  else if (s == "all")
    *out = AckPolicy::kAll;
  else if (s == "explicit")
    *out = AckPolicy::kExplicit;
  else
    return false;
  return true;
}

bool ParseDeliverPolicy(absl::string_view s, DeliverPolicy* out) {
  if (s == "all" || s == "undefined")
    *out = DeliverPolicy::kAll;
  else if (s == "last")
    *out = DeliverPolicy::kLast;
  else if (s == "new")
    *out = DeliverPolicy::kNew;
  else if (s == "by_start_sequence")
    *out = DeliverPolicy::kByStartSequence;
  else if (s == "by_start_time")
    *out = DeliverPolicy::kByStartTime;
  else if (s == "last_per_subject")
    *out = DeliverPolicy::kLastPerSubject;
  else
    return false;
  return true;
}

bool ParseReplayPolicy(absl::string_view s, ReplayPolicy* out) {
  if (s == "instant")
    *out = ReplayPolicy::kInstant;
  else if (s == "original")
    *out = ReplayPolicy::kOriginal;
  else
    return false;
  return true;
}

bool ParsePriorityPolicy(absl::string_view s, PriorityPolicy* out) {
  if (s == "none" || s.empty())
    *out = PriorityPolicy::kNone;
  else if (s == "overflow")
    *out = PriorityPolicy::kOverflow;
  else if (s == "pinned_client")
    *out = PriorityPolicy::kPinnedClient;
  else if (s == "prioritized")
    *out = PriorityPolicy::kPrioritized;
  else
    return false;
  return true;
}

}  // namespace meridian::jetstream::api
