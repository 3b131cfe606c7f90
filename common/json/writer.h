// A streaming JSON writer that appends to a std::string and produces the
// same bytes as Go's encoding/json, which is what nats-server clients and
// tools see:
//
//   compact (json.Marshal, e.g. the INFO line):   {"server_id":"N...","port":4222}
//   pretty  (json.MarshalIndent(v, "", "  "), the monitoring endpoints):
//     {
//       "server_id": "N...",
//       "connect_urls": [],
//       "cluster": {}
//     }
//
// Strings are escaped like Go with HTML escaping on (the default of both
// json.Marshal and json.MarshalIndent, so nats-server's INFO and /varz alike):
// `"` `\` and \b \f \n \r \t get short escapes, other control characters
// \u00XX, `<` `>` `&` become \u003c \u003e \u0026, U+2028/U+2029 become
// \u2028/\u2029, invalid UTF-8 bytes become \ufffd, everything else is copied.
//
// Misuse (a value where a key is due, unbalanced End*) is a programming error
// and asserts in debug builds. Not thread-safe; one writer per output.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace meridian::json {

struct WriterOptions {
  bool pretty = false;       // newline + indentation, `"key": value`
  int indent = 2;            // spaces per level when pretty (nats-server: 2)
  bool escape_html = true;   // Go's default; false = json.Encoder.SetEscapeHTML(false)
};

class Writer {
 public:
  // Appends to *out, which must outlive the writer.
  explicit Writer(std::string* out, WriterOptions options = {});
  static Writer Pretty(std::string* out) { return Writer(out, {.pretty = true}); }
  static Writer Compact(std::string* out) { return Writer(out, {}); }

  Writer& BeginObject();
  Writer& EndObject();
  Writer& BeginArray();
  Writer& EndArray();
  // The member name for the next value; only inside an object.
  Writer& Key(absl::string_view name);

  Writer& String(absl::string_view value);
  Writer& Int(int64_t value);
  Writer& Uint(uint64_t value);
  // Go's float64 formatting: shortest round-trip digits, exponent form only
  // below 1e-6 or from 1e21 (1e-7, 1e+21). NaN and infinities, which Go
  // refuses to marshal, are written as null.
  Writer& Double(double value);
  Writer& Bool(bool value);
  Writer& Null();
  // An already encoded JSON value, copied as is (e.g. a cached sub-document).
  // In pretty mode it is not re-indented.
  Writer& Raw(absl::string_view json);

  // Convenience: Key(name) followed by the value.
  Writer& Member(absl::string_view name, absl::string_view value) { return Key(name).String(value); }
  Writer& MemberInt(absl::string_view name, int64_t value) { return Key(name).Int(value); }
  Writer& MemberUint(absl::string_view name, uint64_t value) { return Key(name).Uint(value); }
  Writer& MemberDouble(absl::string_view name, double value) { return Key(name).Double(value); }
  Writer& MemberBool(absl::string_view name, bool value) { return Key(name).Bool(value); }

  // True when every container is closed and a top-level value was written.
  bool complete() const { return stack_.empty() && wrote_top_level_; }
  int depth() const { return static_cast<int>(stack_.size()); }

 private:
  struct Level {
    bool is_object;
    bool expect_value;  // objects: a Key was written, its value is due
    uint32_t count;     // members / elements written so far
  };

  void BeforeValue();
  void Begin(char open, bool is_object);
  void End(char close, bool is_object);
  void NewlineAndIndent(int depth);

  std::string* out_;
  WriterOptions options_;
  std::vector<Level> stack_;
  bool wrote_top_level_ = false;
};

// Appends `value` as a quoted, escaped JSON string (the escaping described
// above; escape_html as in WriterOptions).
void AppendQuoted(absl::string_view value, std::string* out, bool escape_html = true);

// Appends Go's text for a float64 (see Writer::Double); "null" when not finite.
void AppendDouble(double value, std::string* out);

}  // namespace meridian::json
