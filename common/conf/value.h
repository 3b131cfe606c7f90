// The parsed configuration tree: a Value is null, a bool, an integer, a float,
// a string, an array or a map, and remembers where it was written.
//
// Immutable once built; a const tree may be read from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"

namespace meridian::conf {

// Where a value (or an error) is in the configuration text. Line and column
// are 1-based; the column counts bytes.
struct Position {
  std::string file;
  int line = 0;
  int column = 0;

  // "file:line:col".
  std::string ToString() const;
};

class Value {
 public:
  enum class Kind { kNull, kBool, kInt, kDouble, kString, kArray, kMap };
  using Array = std::vector<Value>;
  using Entry = std::pair<std::string, Value>;  // key as written, value
  // Insertion order is kept; when a key repeats, Find() returns the later one.
  using Map = std::vector<Entry>;

  Value() = default;  // kNull

  static Value MakeBool(bool b, Position pos = {});
  static Value MakeInt(int64_t i, Position pos = {});
  static Value MakeDouble(double d, Position pos = {});
  static Value MakeString(std::string s, Position pos = {});
  static Value MakeArray(Array a, Position pos = {});
  static Value MakeMap(Map m, Position pos = {});

  Kind kind() const { return static_cast<Kind>(data_.index()); }
  bool is_null() const { return kind() == Kind::kNull; }
  bool is_bool() const { return kind() == Kind::kBool; }
  bool is_int() const { return kind() == Kind::kInt; }
  bool is_double() const { return kind() == Kind::kDouble; }
  bool is_string() const { return kind() == Kind::kString; }
  bool is_array() const { return kind() == Kind::kArray; }
  bool is_map() const { return kind() == Kind::kMap; }

  // Accessors expect the matching kind (check is_*() first); on a mismatch
  // they assert in debug builds and return false/0/empty otherwise.
  // as_double() also converts an integer.
  bool as_bool() const;
  int64_t as_int() const;
  double as_double() const;
  const std::string& as_string() const;
  const Array& as_array() const;
  const Map& as_map() const;

  // Maps only: the value of the last entry whose key equals `key` ignoring
  // ASCII case (nats-server lower-cases option names). nullptr when absent
  // or when this is not a map.
  const Value* Find(std::string_view key) const;

  const Position& pos() const { return pos_; }
  void set_pos(Position pos) { pos_ = std::move(pos); }

  // "null", "bool", "integer", "float", "string", "array" or "map".
  std::string KindName() const;
  // Compact JSON-like dump: {"port": 4222, "hosts": ["a", "b"]}.
  std::string DebugString() const;

 private:
  // Alternative order matches Kind.
  using Data = std::variant<std::monostate, bool, int64_t, double, std::string, Array, Map>;
  Value(Data data, Position pos) : data_(std::move(data)), pos_(std::move(pos)) {}
  void AppendDebugString(std::string* out) const;

  Data data_;
  Position pos_;
};

// An error for option appliers to return: "file:line:col: message".
absl::Status ErrorAt(const Value& v, std::string_view message);
absl::Status ErrorAt(const Position& pos, std::string_view message);

}  // namespace meridian::conf
