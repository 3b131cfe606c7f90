// A small JSON document model: what Parse() returns, and a way to build a
// value to serialize. Objects keep their members in document order (a vector,
// not a map: CONNECT and JetStream requests have a handful of keys, and
// order-preserving round trips are easier to test).
//
// Numbers remember how they were written: an integral literal (no '.', 'e' or
// 'E') that fits int64 is kept as int64, one that only fits uint64 as uint64;
// anything else is a double. So sequence numbers and byte counts up to 2^64-1
// survive exactly.
//
// Values are plain data: copyable, movable, no thread affinity.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/json/writer.h"

namespace meridian::json {

class Value;
using Array = std::vector<Value>;
using Member = std::pair<std::string, Value>;
using Object = std::vector<Member>;

enum class Type : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };

absl::string_view TypeName(Type type);  // "null", "bool", "number", ...

class Value {
 public:
  Value() = default;  // null
  Value(std::nullptr_t) {}
  Value(bool b) : data_(b) {}
  Value(int v) : data_(static_cast<int64_t>(v)) {}
  Value(int64_t v) : data_(v) {}
  Value(uint64_t v) : data_(v) {}
  Value(double v) : data_(v) {}
  Value(std::string s) : data_(std::move(s)) {}
  Value(absl::string_view s) : data_(std::string(s)) {}
  Value(const char* s) : data_(std::string(s)) {}
  Value(Array a) : data_(std::move(a)) {}
  Value(Object o) : data_(std::move(o)) {}

  static Value EmptyArray() { return Value(Array{}); }
  static Value EmptyObject() { return Value(Object{}); }

  Type type() const;
  bool is_null() const { return std::holds_alternative<std::monostate>(data_); }
  bool is_bool() const { return std::holds_alternative<bool>(data_); }
  bool is_number() const { return type() == Type::kNumber; }
  bool is_string() const { return std::holds_alternative<std::string>(data_); }
  bool is_array() const { return std::holds_alternative<Array>(data_); }
  bool is_object() const { return std::holds_alternative<Object>(data_); }
  // A number written without fraction or exponent that fits int64 or uint64.
  bool is_integral() const {
    return std::holds_alternative<int64_t>(data_) || std::holds_alternative<uint64_t>(data_);
  }

  // Typed access: nullopt / nullptr when the value is of another kind.
  std::optional<bool> AsBool() const;
  // Integral numbers within int64 (a uint64 <= INT64_MAX too).
  std::optional<int64_t> AsInt64() const;
  // Integral numbers within [0, 2^64).
  std::optional<uint64_t> AsUint64() const;
  // Any number (integers converted, possibly losing precision above 2^53).
  std::optional<double> AsDouble() const;
  const std::string* AsString() const;
  const Array* AsArray() const;
  const Object* AsObject() const;
  Array* MutableArray();    // nullptr unless an array
  Object* MutableObject();  // nullptr unless an object

  // Object member lookup; nullptr when not an object or no such key. With
  // duplicate keys the last one wins, as with Go's json.Unmarshal.
  const Value* Find(absl::string_view key) const;
  // Like Find, but ASCII case-insensitive: Go's json.Unmarshal matches struct
  // fields this way, so nats-server accepts {"Verbose":true} in CONNECT.
  const Value* FindFold(absl::string_view key) const;
  // Array element; nullptr when not an array or out of range.
  const Value* At(size_t index) const;
  // Elements of an array / members of an object; 0 otherwise.
  size_t size() const;

  // Appends a member (objects) / element (arrays); the value must be of that
  // kind (asserted).
  Value& Add(std::string key, Value value);
  Value& Push(Value value);

  // Serializes with Go's encoding/json layout (see writer.h).
  void WriteTo(Writer& writer) const;
  std::string ToJson(bool pretty = false) const;

  // Structural equality; numbers compare by value (1 == 1.0), as JSON does
  // not distinguish them, so a parse -> serialize -> parse round trip is equal.
  friend bool operator==(const Value& a, const Value& b);
  friend bool operator!=(const Value& a, const Value& b) { return !(a == b); }
  // Compact JSON (also what gtest prints).
  friend std::ostream& operator<<(std::ostream& os, const Value& v);

 private:
  std::variant<std::monostate, bool, int64_t, uint64_t, double, std::string, Array, Object>
      data_;
};

}  // namespace meridian::json
