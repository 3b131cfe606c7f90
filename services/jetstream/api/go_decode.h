// Internal to meridian_jetstream_api: decoding a json::Value into C++
// structs with Go encoding/json's Unmarshal rules, so requests are accepted
// and refused exactly where nats-server accepts and refuses them, with Go's
// error texts (nats-server shows them in pull-request 400 replies):
//
//   - object members are visited in document order; a member names a field
//     by exact match, else by ASCII case-insensitive match (first field in
//     struct order); unknown members are ignored; a later duplicate wins;
//   - null leaves scalars, slices, maps and pointers unset (slices/maps/
//     pointers are cleared), except for types with their own UnmarshalJSON
//     (the policy enums), which see "null" and refuse it;
//   - a value of the wrong JSON type, a number with a fraction/exponent or out
//     of range for an integer field is an UnmarshalTypeError:
//       json: cannot unmarshal string into Go struct field JSApiConsumerGetNextRequest.batch of
//       type int
//     decoding goes on and the first such error is reported, as Go does;
//     errors from a custom UnmarshalJSON stop decoding.
//
// Not thread-affine; one decoder per decode.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/json/value.h"
#include "services/jetstream/api/types.h"

namespace meridian::jetstream::api::internal {

class GoDecoder {
 public:
  // `go_struct`: the Go struct's name as the error texts show it
  // ("StreamConfig"); `go_type`: its full type ("server.StreamConfig").
  GoDecoder(absl::string_view go_struct, absl::string_view go_type)
      : go_struct_(go_struct), go_type_(go_type) {}

  // Visits the members of `object` that name one of `fields` (listed in
  // struct order), calling visit(field_name, value) with the canonical field
  // name. A non-object `object` is a type error ("Go value of type ...");
  // null is accepted and visits nothing.
  void Fields(const json::Value& object, std::initializer_list<absl::string_view> fields,
              const std::function<void(absl::string_view, const json::Value&)>& visit);

  // Typed stores for the current field (only inside a Fields() visit).
  void String(const json::Value& v, std::string* out);
  void Bool(const json::Value& v, bool* out);
  // go_type: "int", "int64", "int32" (range checked accordingly).
  void Int(const json::Value& v, int64_t* out, absl::string_view go_type = "int");
  void Int32(const json::Value& v, int32_t* out);
  void Uint(const json::Value& v, uint64_t* out, absl::string_view go_type = "uint64");
  void Duration(const json::Value& v, Nanos* out);
  void StreamSeq(const json::Value& v, StreamSequence* out) { Uint(v, &out->value); }
  // *time.Time / time.Time (RFC 3339 string; null leaves / clears).
  void Time(const json::Value& v, std::optional<absl::Time>* out);
  void StringSlice(const json::Value& v, std::vector<std::string>* out);
  void DurationSlice(const json::Value& v, std::vector<Nanos>* out);
  void StringMap(const json::Value& v, std::map<std::string, std::string>* out);
  // A type with its own UnmarshalJSON taking a JSON string (the policy
  // enums): `parse` gets the string; false / a non-string value is the error
  // `can not unmarshal "<raw json>"` and stops decoding.
  template <typename E>
  void Enum(const json::Value& v, E* out, bool (*parse)(absl::string_view, E*)) {
    if (failed_hard_) return;
    const std::string* s = v.AsString();
    E parsed{};
    if (s == nullptr || !parse(*s, &parsed)) {
      FailHard(absl::StrCat("can not unmarshal ", GoQuote(v.ToJson())));
      return;
    }
    *out = parsed;
  }
  // Nested struct (pointer or value field): visits it with its own Go names
  // and the field path extended. Non-object -> type error naming `go_type`.
  // Returns false when the value is null (pointer stays unset) or not an object.
  bool Nested(const json::Value& v, absl::string_view go_struct, absl::string_view go_type,
              const std::function<void(GoDecoder&)>& decode);
  // Slice of structs.
  void NestedSlice(const json::Value& v, absl::string_view go_struct, absl::string_view go_type,
                   const std::function<void(GoDecoder&, const json::Value&)>& decode_element);

  bool ok() const { return error_.empty(); }
  // The first error, Go's text.
  const std::string& error() const { return error_; }

  // Go's strconv.Quote of ASCII-ish text (what %q prints).
  static std::string GoQuote(absl::string_view s);
  // "string", "number", "number 1.5", "bool", "array", "object".
  static std::string GoValueKind(const json::Value& v);

 private:
  void TypeError(const json::Value& v, absl::string_view go_type);
  void FailHard(std::string text);
  std::string FieldPath() const;

  std::string go_struct_;
  std::string go_type_;
  std::vector<std::string> path_;  // field stack, e.g. {"config", "ack_wait"}
  std::string error_;
  bool failed_hard_ = false;
};

// Parses a request body as Go's json.Unmarshal would see it (invalid UTF-8
// replaced, not refused). On failure *go_error gets Go's text
// ("unexpected end of JSON input", "invalid character 'x' looking for ...").
bool ParseGoJson(absl::string_view body, json::Value* out, std::string* go_error);

// The 10025 error for a body Go could not unmarshal. nats-server 2.9.10 says
// only "invalid JSON" (newer servers append ": <go error>"); the Go text is
// taken so that switching is a one-line change here.
ApiError InvalidJsonError(absl::string_view go_error);

}  // namespace meridian::jetstream::api::internal
