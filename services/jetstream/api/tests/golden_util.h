// Test helpers: reading the nats-server 2.9.10 golden responses in
// tests/golden/ and pulling values (times, states) out of them.
#pragma once

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/json/parser.h"
#include "common/json/time_format.h"
#include "common/json/value.h"
#include "gtest/gtest.h"
#include "services/jetstream/api/info.h"

namespace meridian::jetstream::api::testing {

inline std::string SourceDir() {
  if (const char* env = std::getenv("MERIDIAN_SOURCE_DIR")) return env;
  return MERIDIAN_TEST_SOURCE_DIR;
}

// The golden file's bytes without the trailing newline capture.py adds.
inline std::string Golden(absl::string_view name) {
  std::string path = SourceDir() + "/services/jetstream/api/tests/golden/" + std::string(name);
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing golden file " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  if (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

inline json::Value GoldenJson(absl::string_view name) {
  auto v = json::Parse(Golden(name));
  EXPECT_TRUE(v.ok()) << name << ": " << v.status();
  return v.ok() ? *v : json::Value();
}

inline absl::Time TimeOf(const json::Value* v) {
  if (v == nullptr || !v->is_string()) return kZeroTime;
  auto t = json::ParseRfc3339(*v->AsString());
  EXPECT_TRUE(t.ok()) << *v->AsString();
  if (!t.ok()) return kZeroTime;
  // Go's zero time parses as year 1; keep it the sentinel.
  if (*v->AsString() == json::kGoZeroTime) return kZeroTime;
  return *t;
}

inline uint64_t UintOf(const json::Value* v) {
  if (v == nullptr) return 0;
  return v->AsUint64().value_or(0);
}

// A StreamState read back from a golden "state" object.
inline StreamState StateOf(const json::Value& s) {
  StreamState st;
  st.messages = UintOf(s.Find("messages"));
  st.bytes = UintOf(s.Find("bytes"));
  st.first_seq = StreamSequence{UintOf(s.Find("first_seq"))};
  st.first_ts = TimeOf(s.Find("first_ts"));
  st.last_seq = StreamSequence{UintOf(s.Find("last_seq"))};
  st.last_ts = TimeOf(s.Find("last_ts"));
  st.num_subjects = static_cast<int64_t>(UintOf(s.Find("num_subjects")));
  if (const json::Value* subj = s.Find("subjects")) {
    std::map<std::string, uint64_t> m;
    for (const auto& [k, val] : *subj->AsObject()) m[k] = val.AsUint64().value_or(0);
    st.subjects = std::move(m);
  }
  st.num_deleted = static_cast<int64_t>(UintOf(s.Find("num_deleted")));
  st.consumer_count = static_cast<int64_t>(UintOf(s.Find("consumer_count")));
  return st;
}

}  // namespace meridian::jetstream::api::testing
