#include "common/conf/value.h"

#include <cassert>
#include <charconv>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace meridian::conf {
namespace {

template <typename T, typename Variant>
const T& Get(const Variant& data) {
  static const T kEmpty{};
  const T* p = std::get_if<T>(&data);
  assert(p != nullptr && "conf::Value accessed as the wrong kind");
  return p != nullptr ? *p : kEmpty;
}

void AppendQuoted(std::string_view s, std::string* out) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(out, "\\u%04x", c);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

}  // namespace

std::string Position::ToString() const { return absl::StrCat(file, ":", line, ":", column); }

Value Value::MakeBool(bool b, Position pos) { return Value(Data(b), std::move(pos)); }
Value Value::MakeInt(int64_t i, Position pos) { return Value(Data(i), std::move(pos)); }
Value Value::MakeDouble(double d, Position pos) { return Value(Data(d), std::move(pos)); }
Value Value::MakeString(std::string s, Position pos) {
  return Value(Data(std::move(s)), std::move(pos));
}
Value Value::MakeArray(Array a, Position pos) { return Value(Data(std::move(a)), std::move(pos)); }
Value Value::MakeMap(Map m, Position pos) { return Value(Data(std::move(m)), std::move(pos)); }

bool Value::as_bool() const { return Get<bool>(data_); }
int64_t Value::as_int() const { return Get<int64_t>(data_); }
double Value::as_double() const {
  if (is_int()) return static_cast<double>(std::get<int64_t>(data_));
  return Get<double>(data_);
}
const std::string& Value::as_string() const { return Get<std::string>(data_); }
const Value::Array& Value::as_array() const { return Get<Array>(data_); }
const Value::Map& Value::as_map() const { return Get<Map>(data_); }

const Value* Value::Find(std::string_view key) const {
  const Map* map = std::get_if<Map>(&data_);
  if (map == nullptr) return nullptr;
  for (auto it = map->rbegin(); it != map->rend(); ++it) {
    if (absl::EqualsIgnoreCase(it->first, absl::string_view(key.data(), key.size()))) {
      return &it->second;
    }
  }
  return nullptr;
}

std::string Value::KindName() const {
  switch (kind()) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "integer";
    case Kind::kDouble:
      return "float";
    case Kind::kString:
      return "string";
    case Kind::kArray:
      return "array";
    case Kind::kMap:
      return "map";
  }
  return "unknown";
}

std::string Value::DebugString() const {
  std::string out;
  AppendDebugString(&out);
  return out;
}

void Value::AppendDebugString(std::string* out) const {
  switch (kind()) {
    case Kind::kNull:
      out->append("null");
      break;
    case Kind::kBool:
      out->append(as_bool() ? "true" : "false");
      break;
    case Kind::kInt:
      absl::StrAppend(out, as_int());
      break;
    case Kind::kDouble: {
      char buf[64];
      auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), as_double());
      std::string_view s(buf, ec == std::errc() ? end - buf : 0);
      out->append(s);
      if (s.find_first_of(".eEn") == std::string_view::npos) out->append(".0");
      break;
    }
    case Kind::kString:
      AppendQuoted(as_string(), out);
      break;
    case Kind::kArray: {
      out->push_back('[');
      const char* sep = "";
      for (const Value& v : as_array()) {
        out->append(sep);
        v.AppendDebugString(out);
        sep = ", ";
      }
      out->push_back(']');
      break;
    }
    case Kind::kMap: {
      out->push_back('{');
      const char* sep = "";
      for (const auto& [key, v] : as_map()) {
        out->append(sep);
        AppendQuoted(key, out);
        out->append(": ");
        v.AppendDebugString(out);
        sep = ", ";
      }
      out->push_back('}');
      break;
    }
  }
}

absl::Status ErrorAt(const Position& pos, std::string_view message) {
  return absl::InvalidArgumentError(
      absl::StrCat(pos.ToString(), ": ", absl::string_view(message.data(), message.size())));
}

absl::Status ErrorAt(const Value& v, std::string_view message) { return ErrorAt(v.pos(), message); }

}  // namespace meridian::conf
