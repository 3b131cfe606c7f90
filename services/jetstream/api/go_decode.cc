#include "services/jetstream/api/go_decode.h"

#include <cmath>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/json/parser.h"
#include "common/json/time_format.h"

namespace meridian::jetstream::api::internal {
namespace {

// Go's strings.EqualFold restricted to ASCII (JSON keys nats-server knows are ASCII).
bool EqualFoldAscii(absl::string_view a, absl::string_view b) {
  return absl::EqualsIgnoreCase(a, b);
}

}  // namespace

std::string GoDecoder::GoQuote(absl::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          absl::StrAppend(&out, "\\x", absl::Hex(c, absl::kZeroPad2));
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out += "\"";
  return out;
}

std::string GoDecoder::GoValueKind(const json::Value& v) {
  switch (v.type()) {
    case json::Type::kNull:
      return "null";
    case json::Type::kBool:
      return "bool";
    case json::Type::kString:
      return "string";
    case json::Type::kArray:
      return "array";
    case json::Type::kObject:
      return "object";
    case json::Type::kNumber:
      return "number";
  }
  return "value";
}

std::string GoDecoder::FieldPath() const { return absl::StrJoin(path_, "."); }

void GoDecoder::TypeError(const json::Value& v, absl::string_view go_type) {
  if (!error_.empty()) return;
  std::string kind = GoValueKind(v);
  const bool numeric_field = go_type == "int" || go_type == "int32" || go_type == "int64" ||
                             go_type == "uint64" || go_type == "time.Duration";
  if (v.is_number() && numeric_field) {
    // A number that does not fit the integer type: Go names the literal.
    std::string literal;
    if (auto i = v.AsInt64()) {
      literal = absl::StrCat(*i);
    } else if (auto u = v.AsUint64()) {
      literal = absl::StrCat(*u);
    } else {
      literal = v.ToJson();
    }
    kind = absl::StrCat("number ", literal);
  }
  if (path_.empty()) {
    error_ = absl::StrCat("json: cannot unmarshal ", kind, " into Go value of type ", go_type);
  } else {
    error_ = absl::StrCat("json: cannot unmarshal ", kind, " into Go struct field ", go_struct_,
                          ".", FieldPath(), " of type ", go_type);
  }
}

void GoDecoder::FailHard(std::string text) {
  if (failed_hard_) return;
  failed_hard_ = true;
  // A custom UnmarshalJSON error aborts decoding; an earlier saved type error
  // is dropped in Go (the abort error is returned).
  error_ = std::move(text);
}

void GoDecoder::Fields(const json::Value& object, std::initializer_list<absl::string_view> fields,
                       const std::function<void(absl::string_view, const json::Value&)>& visit) {
  if (failed_hard_ || object.is_null()) return;
  const json::Object* members = object.AsObject();
  if (members == nullptr) {
    TypeError(object, go_type_);
    return;
  }
  for (const auto& [key, value] : *members) {
    if (failed_hard_) return;
    absl::string_view field;
    for (absl::string_view f : fields) {
      if (f == key) {
        field = f;
        break;
      }
    }
    if (field.empty()) {
      for (absl::string_view f : fields) {
        if (EqualFoldAscii(f, key)) {
          field = f;
          break;
        }
      }
    }
    if (field.empty()) continue;
    path_.emplace_back(field);
    visit(field, value);
    path_.pop_back();
  }
}

void GoDecoder::String(const json::Value& v, std::string* out) {
  if (v.is_null()) return;
  if (const std::string* s = v.AsString()) {
    *out = *s;
  } else {
    TypeError(v, "string");
  }
}

void GoDecoder::Bool(const json::Value& v, bool* out) {
  if (v.is_null()) return;
  if (auto b = v.AsBool()) {
    *out = *b;
  } else {
    TypeError(v, "bool");
  }
}

void GoDecoder::Int(const json::Value& v, int64_t* out, absl::string_view go_type) {
  if (v.is_null()) return;
  if (!v.is_number()) {
    TypeError(v, go_type);
    return;
  }
  auto i = v.AsInt64();
  if (!i.has_value()) {
    TypeError(v, go_type);
    return;
  }
  if (go_type == "int32" &&
      (*i < std::numeric_limits<int32_t>::min() || *i > std::numeric_limits<int32_t>::max())) {
    TypeError(v, go_type);
    return;
  }
  *out = *i;
}

void GoDecoder::Int32(const json::Value& v, int32_t* out) {
  int64_t wide = *out;
  std::string before = error_;
  Int(v, &wide, "int32");
  if (error_ == before) *out = static_cast<int32_t>(wide);
}

void GoDecoder::Uint(const json::Value& v, uint64_t* out, absl::string_view go_type) {
  if (v.is_null()) return;
  if (!v.is_number()) {
    TypeError(v, go_type);
    return;
  }
  auto u = v.AsUint64();
  if (!u.has_value()) {
    TypeError(v, go_type);
    return;
  }
  *out = *u;
}

void GoDecoder::Duration(const json::Value& v, Nanos* out) {
  int64_t ns = out->ns;
  std::string before = error_;
  Int(v, &ns, "time.Duration");
  if (error_ == before) out->ns = ns;
}

void GoDecoder::Time(const json::Value& v, std::optional<absl::Time>* out) {
  if (v.is_null()) {
    out->reset();
    return;
  }
  const std::string* s = v.AsString();
  if (s == nullptr) {
    FailHard("Time.UnmarshalJSON: input is not a JSON string");
    return;
  }
  auto t = json::ParseRfc3339(*s);
  if (!t.ok()) {
    FailHard(absl::StrCat("parsing time ", GoQuote(v.ToJson()), ": ", t.status().message()));
    return;
  }
  *out = *t;
}

void GoDecoder::StringSlice(const json::Value& v, std::vector<std::string>* out) {
  if (v.is_null()) {
    out->clear();
    return;
  }
  const json::Array* items = v.AsArray();
  if (items == nullptr) {
    TypeError(v, "[]string");
    return;
  }
  out->clear();
  out->reserve(items->size());
  for (const json::Value& item : *items) {
    std::string s;
    String(item, &s);
    out->push_back(std::move(s));
  }
}

void GoDecoder::DurationSlice(const json::Value& v, std::vector<Nanos>* out) {
  if (v.is_null()) {
    out->clear();
    return;
  }
  const json::Array* items = v.AsArray();
  if (items == nullptr) {
    TypeError(v, "[]time.Duration");
    return;
  }
  out->clear();
  out->reserve(items->size());
  for (const json::Value& item : *items) {
    Nanos d;
    Duration(item, &d);
    out->push_back(d);
  }
}

void GoDecoder::StringMap(const json::Value& v, std::map<std::string, std::string>* out) {
  if (v.is_null()) {
    out->clear();
    return;
  }
  const json::Object* members = v.AsObject();
  if (members == nullptr) {
    TypeError(v, "map[string]string");
    return;
  }
  out->clear();
  for (const auto& [key, value] : *members) {
    std::string s;
    String(value, &s);
    (*out)[key] = std::move(s);
  }
}

bool GoDecoder::Nested(const json::Value& v, absl::string_view go_struct, absl::string_view go_type,
                       const std::function<void(GoDecoder&)>& decode) {
  if (failed_hard_ || v.is_null()) return false;
  if (!v.is_object()) {
    TypeError(v, go_type);
    return false;
  }
  std::string saved_struct = std::exchange(go_struct_, std::string(go_struct));
  std::string saved_type = std::exchange(go_type_, std::string(go_type));
  decode(*this);
  go_struct_ = std::move(saved_struct);
  go_type_ = std::move(saved_type);
  return true;
}

void GoDecoder::NestedSlice(const json::Value& v, absl::string_view go_struct,
                            absl::string_view go_type,
                            const std::function<void(GoDecoder&, const json::Value&)>& decode) {
  if (failed_hard_ || v.is_null()) return;
  const json::Array* items = v.AsArray();
  if (items == nullptr) {
    TypeError(v, absl::StrCat("[]", go_type));
    return;
  }
  for (const json::Value& item : *items) {
    if (failed_hard_) return;
    if (item.is_null()) {
      decode(*this, item);  // Go: a nil element (pointer slice) / zero struct
      continue;
    }
    if (!item.is_object()) {
      TypeError(item, go_type);
      continue;
    }
    std::string saved_struct = std::exchange(go_struct_, std::string(go_struct));
    std::string saved_type = std::exchange(go_type_, std::string(go_type));
    decode(*this, item);
    go_struct_ = std::move(saved_struct);
    go_type_ = std::move(saved_type);
  }
}

bool ParseGoJson(absl::string_view body, json::Value* out, std::string* go_error) {
  json::ParseOptions options;
  options.replace_invalid_unicode = true;
  options.max_depth = 512;  // Go allows 10000; nothing legitimate nests this deep
  json::ParseError error;
  auto parsed = json::Parse(body, options, &error);
  if (!parsed.ok()) {
    *go_error = error.message;
    return false;
  }
  *out = std::move(*parsed);
  return true;
}

ApiError InvalidJsonError(absl::string_view go_error) {
  (void)go_error;
  return Make(ErrorId::JSInvalidJSONErr);
}

}  // namespace meridian::jetstream::api::internal
