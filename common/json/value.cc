#include "common/json/value.h"

#include <cassert>
#include <limits>
#include <ostream>

#include "absl/strings/match.h"

namespace meridian::json {

absl::string_view TypeName(Type type) {
  switch (type) {
    case Type::kNull: return "null";
    case Type::kBool: return "bool";
    case Type::kNumber: return "number";
    case Type::kString: return "string";
    case Type::kArray: return "array";
    case Type::kObject: return "object";
  }
  return "unknown";
}

Type Value::type() const {
  switch (data_.index()) {
    case 0: return Type::kNull;
    case 1: return Type::kBool;
    case 2:
    case 3:
    case 4: return Type::kNumber;
    case 5: return Type::kString;
    case 6: return Type::kArray;
    default: return Type::kObject;
  }
}

std::optional<bool> Value::AsBool() const {
  if (const bool* b = std::get_if<bool>(&data_)) return *b;
  return std::nullopt;
}

std::optional<int64_t> Value::AsInt64() const {
  if (const int64_t* i = std::get_if<int64_t>(&data_)) return *i;
  if (const uint64_t* u = std::get_if<uint64_t>(&data_)) {
    if (*u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return static_cast<int64_t>(*u);
    }
  }
  return std::nullopt;
}

std::optional<uint64_t> Value::AsUint64() const {
  if (const uint64_t* u = std::get_if<uint64_t>(&data_)) return *u;
  if (const int64_t* i = std::get_if<int64_t>(&data_)) {
    if (*i >= 0) return static_cast<uint64_t>(*i);
  }
  return std::nullopt;
}

std::optional<double> Value::AsDouble() const {
  if (const double* d = std::get_if<double>(&data_)) return *d;
  if (const int64_t* i = std::get_if<int64_t>(&data_)) return static_cast<double>(*i);
  if (const uint64_t* u = std::get_if<uint64_t>(&data_)) return static_cast<double>(*u);
  return std::nullopt;
}

const std::string* Value::AsString() const { return std::get_if<std::string>(&data_); }
const Array* Value::AsArray() const { return std::get_if<Array>(&data_); }
const Object* Value::AsObject() const { return std::get_if<Object>(&data_); }
Array* Value::MutableArray() { return std::get_if<Array>(&data_); }
Object* Value::MutableObject() { return std::get_if<Object>(&data_); }

const Value* Value::Find(absl::string_view key) const {
  const Object* object = AsObject();
  if (object == nullptr) return nullptr;
  for (auto it = object->rbegin(); it != object->rend(); ++it) {
    if (it->first == key) return &it->second;
  }
  return nullptr;
}

const Value* Value::FindFold(absl::string_view key) const {
  const Object* object = AsObject();
  if (object == nullptr) return nullptr;
  for (auto it = object->rbegin(); it != object->rend(); ++it) {
    if (absl::EqualsIgnoreCase(it->first, key)) return &it->second;
  }
  return nullptr;
}

const Value* Value::At(size_t index) const {
  const Array* array = AsArray();
  if (array == nullptr || index >= array->size()) return nullptr;
  return &(*array)[index];
}

size_t Value::size() const {
  if (const Array* a = AsArray()) return a->size();
  if (const Object* o = AsObject()) return o->size();
  return 0;
}

Value& Value::Add(std::string key, Value value) {
  Object* object = MutableObject();
  assert(object != nullptr && "Add() on a non-object");
  object->emplace_back(std::move(key), std::move(value));
  return object->back().second;
}

Value& Value::Push(Value value) {
  Array* array = MutableArray();
  assert(array != nullptr && "Push() on a non-array");
  array->push_back(std::move(value));
  return array->back();
}

void Value::WriteTo(Writer& writer) const {
  switch (data_.index()) {
    case 0: writer.Null(); break;
    case 1: writer.Bool(std::get<bool>(data_)); break;
    case 2: writer.Int(std::get<int64_t>(data_)); break;
    case 3: writer.Uint(std::get<uint64_t>(data_)); break;
    case 4: writer.Double(std::get<double>(data_)); break;
    case 5: writer.String(std::get<std::string>(data_)); break;
    case 6:
      writer.BeginArray();
      for (const Value& v : std::get<Array>(data_)) v.WriteTo(writer);
      writer.EndArray();
      break;
    default:
      writer.BeginObject();
      for (const Member& m : std::get<Object>(data_)) {
        writer.Key(m.first);
        m.second.WriteTo(writer);
      }
      writer.EndObject();
      break;
  }
}

std::string Value::ToJson(bool pretty) const {
  std::string out;
  Writer writer(&out, {.pretty = pretty});
  WriteTo(writer);
  return out;
}

bool operator==(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_integral() && b.is_integral()) {
      // int64 vs uint64: equal only when both fit the same type.
      if (auto ai = a.AsInt64(), bi = b.AsInt64(); ai && bi) return *ai == *bi;
      if (auto au = a.AsUint64(), bu = b.AsUint64(); au && bu) return *au == *bu;
      return false;
    }
    return *a.AsDouble() == *b.AsDouble();
  }
  return a.data_ == b.data_;
}

std::ostream& operator<<(std::ostream& os, const Value& v) { return os << v.ToJson(); }

}  // namespace meridian::json
