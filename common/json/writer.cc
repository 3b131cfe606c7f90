#include "common/json/writer.h"

#include <array>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstring>

#include "common/json/utf8.h"

namespace meridian::json {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// 1 = copy as is. Bytes >= 0x80 are 0 here and take the UTF-8 path.
struct SafeTables {
  std::array<uint8_t, 256> html{};   // escape_html = true
  std::array<uint8_t, 256> plain{};  // escape_html = false
};

constexpr SafeTables MakeSafeTables() {
  SafeTables t{};
  for (int c = 0x20; c < 0x80; ++c) {
    bool safe = c != '"' && c != '\\';
    t.plain[c] = safe ? 1 : 0;
    t.html[c] = (safe && c != '<' && c != '>' && c != '&') ? 1 : 0;
  }
  return t;
}

constexpr SafeTables kSafe = MakeSafeTables();

void AppendEscapedByte(unsigned char c, std::string* out) {
  switch (c) {
    case '"': out->append("\\\""); return;
    case '\\': out->append("\\\\"); return;
    case '\b': out->append("\\b"); return;
    case '\f': out->append("\\f"); return;
    case '\n': out->append("\\n"); return;
    case '\r': out->append("\\r"); return;
    case '\t': out->append("\\t"); return;
    default: {
      char buf[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
      out->append(buf, sizeof(buf));
    }
  }
}

}  // namespace

void AppendQuoted(absl::string_view value, std::string* out, bool escape_html) {
  const std::array<uint8_t, 256>& safe = escape_html ? kSafe.html : kSafe.plain;
  const auto* p = reinterpret_cast<const unsigned char*>(value.data());
  const size_t n = value.size();
  out->reserve(out->size() + n + 2);
  out->push_back('"');
  size_t start = 0;  // first byte not yet copied
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (safe[c]) {
      ++i;
      continue;
    }
    if (c < 0x80) {
      out->append(value.data() + start, i - start);
      AppendEscapedByte(c, out);
      start = ++i;
      continue;
    }
    internal::DecodedRune r = internal::DecodeMultibyteRune(p + i, n - i);
    if (!r.valid) {
      out->append(value.data() + start, i - start);
      out->append("\\ufffd");
      start = ++i;
      continue;
    }
    if (r.rune == 0x2028 || r.rune == 0x2029) {
      out->append(value.data() + start, i - start);
      out->append(r.rune == 0x2028 ? "\\u2028" : "\\u2029");
      i += r.size;
      start = i;
      continue;
    }
    i += r.size;
  }
  out->append(value.data() + start, n - start);
  out->push_back('"');
}

void AppendDouble(double value, std::string* out) {
  if (!std::isfinite(value)) {
    out->append("null");
    return;
  }
  char buf[64];
  const double abs = std::fabs(value);
  const bool exp_form = abs != 0 && (abs < 1e-6 || abs >= 1e21);
  std::to_chars_result r = std::to_chars(
      buf, buf + sizeof(buf), value,
      exp_form ? std::chars_format::scientific : std::chars_format::fixed);
  assert(r.ec == std::errc());
  size_t len = static_cast<size_t>(r.ptr - buf);
  if (exp_form) {
    // Go trims a leading zero of a two-digit negative exponent: e-07 -> e-7.
    if (len >= 4 && buf[len - 4] == 'e' && buf[len - 3] == '-' && buf[len - 2] == '0') {
      buf[len - 2] = buf[len - 1];
      --len;
    }
  }
  out->append(buf, len);
}

Writer::Writer(std::string* out, WriterOptions options) : out_(out), options_(options) {
  stack_.reserve(8);
}

void Writer::NewlineAndIndent(int depth) {
  out_->push_back('\n');
  out_->append(static_cast<size_t>(depth) * static_cast<size_t>(options_.indent), ' ');
}

void Writer::BeforeValue() {
  if (stack_.empty()) {
    assert(!wrote_top_level_ && "only one top-level value");
    wrote_top_level_ = true;
    return;
  }
  Level& level = stack_.back();
  if (level.is_object) {
    assert(level.expect_value && "Key() must precede a value inside an object");
    level.expect_value = false;
    return;
  }
  if (level.count++ > 0) out_->push_back(',');
  if (options_.pretty) NewlineAndIndent(depth());
}

Writer& Writer::Key(absl::string_view name) {
  assert(!stack_.empty() && stack_.back().is_object && !stack_.back().expect_value);
  Level& level = stack_.back();
  if (level.count++ > 0) out_->push_back(',');
  if (options_.pretty) NewlineAndIndent(depth());
  AppendQuoted(name, out_, options_.escape_html);
  if (options_.pretty) {
    out_->append(": ");
  } else {
    out_->push_back(':');
  }
  level.expect_value = true;
  return *this;
}

void Writer::Begin(char open, bool is_object) {
  BeforeValue();
  out_->push_back(open);
  stack_.push_back(Level{is_object, false, 0});
}

void Writer::End(char close, bool is_object) {
  assert(!stack_.empty() && stack_.back().is_object == is_object);
  assert(!stack_.back().expect_value && "a Key() without its value");
  const bool empty = stack_.back().count == 0;
  stack_.pop_back();
  if (options_.pretty && !empty) NewlineAndIndent(depth());
  out_->push_back(close);
}

Writer& Writer::BeginObject() {
  Begin('{', true);
  return *this;
}
Writer& Writer::EndObject() {
  End('}', true);
  return *this;
}
Writer& Writer::BeginArray() {
  Begin('[', false);
  return *this;
}
Writer& Writer::EndArray() {
  End(']', false);
  return *this;
}

Writer& Writer::String(absl::string_view value) {
  BeforeValue();
  AppendQuoted(value, out_, options_.escape_html);
  return *this;
}

Writer& Writer::Int(int64_t value) {
  BeforeValue();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), value);
  out_->append(buf, static_cast<size_t>(r.ptr - buf));
  return *this;
}

Writer& Writer::Uint(uint64_t value) {
  BeforeValue();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), value);
  out_->append(buf, static_cast<size_t>(r.ptr - buf));
  return *this;
}

Writer& Writer::Double(double value) {
  BeforeValue();
  AppendDouble(value, out_);
  return *this;
}

Writer& Writer::Bool(bool value) {
  BeforeValue();
  out_->append(value ? "true" : "false");
  return *this;
}

Writer& Writer::Null() {
  BeforeValue();
  out_->append("null");
  return *this;
}

Writer& Writer::Raw(absl::string_view json) {
  BeforeValue();
  out_->append(json.data(), json.size());
  return *this;
}

}  // namespace meridian::json
