// Mirrors and sources between streams of this JetStream service: a stream
// with a mirror or sources copies what its origin streams store, from a
// cursor (the last origin sequence taken) that is kept in the stream's
// metadata. A mirror keeps the origin's sequence numbers (filtered-out ones
// are gaps); a source appends with its own sequences and tags each copy with
// `Nats-Stream-Source: <origin> <origin seq>`.
//
// Origins are found by name on every pull, so an origin created later (or
// re-created) is picked up; streams of other domains (external) are refused
// when the stream is created.
//
// Thread: the engine thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "services/jetstream/api/info.h"
#include "services/jetstream/api/stream_config.h"
#include "services/jetstream/store/store.h"

namespace meridian::jetstream {

class Engine;
class Stream;

class Sourcing {
 public:
  struct Cursor {
    api::StreamSource source;
    bool mirror = false;
    StreamSeq taken = 0;     // last origin sequence handled
    int64_t last_ns = 0;     // when something was last copied
    bool started = false;    // the start position was resolved
  };

  // From the config; `cursors` (origin name -> taken) from the metadata.
  void Configure(const api::StreamConfig& config,
                 const std::vector<std::pair<std::string, StreamSeq>>& cursors);
  bool empty() const { return cursors_.empty(); }
  bool Uses(std::string_view origin) const;

  // Copies what the origins hold beyond the cursors (bounded per call).
  // Returns true when something was copied; `*more` when a budget stopped it.
  bool Pull(Engine* engine, Stream* target, bool* more);

  std::vector<std::pair<std::string, StreamSeq>> Positions() const;
  // StreamInfo.mirror / .sources.
  void Describe(Engine* engine, api::StreamInfo* info) const;

 private:
  bool PullOne(Engine* engine, Stream* target, Cursor& c, int* budget);
  std::vector<Cursor> cursors_;
};

}  // namespace meridian::jetstream
