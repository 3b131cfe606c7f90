#include "common/json/parser.h"

#include <locale.h>
#include <stdlib.h>

#include <charconv>
#include <cmath>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/json/utf8.h"

namespace meridian::json {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Go's encoding/json quoteChar: the byte as a Go rune literal.
std::string QuoteChar(unsigned char c) {
  if (c == '\'') return "'\\''";
  if (c == '"') return "'\"'";
  std::string s = "'";
  switch (c) {
    case '\a': s += "\\a"; break;
    case '\b': s += "\\b"; break;
    case '\f': s += "\\f"; break;
    case '\n': s += "\\n"; break;
    case '\r': s += "\\r"; break;
    case '\t': s += "\\t"; break;
    case '\v': s += "\\v"; break;
    case '\\': s += "\\\\"; break;
    default:
      if (c < 0x20 || c == 0x7F) {
        s += "\\x";
        s += kHexDigits[c >> 4];
        s += kHexDigits[c & 0xF];
      } else if (c < 0x80) {
        s += static_cast<char>(c);
      } else if (c <= 0xA0 || c == 0xAD) {  // not printable per strconv.IsPrint
        s += "\\u00";
        s += kHexDigits[c >> 4];
        s += kHexDigits[c & 0xF];
      } else {
        internal::AppendUtf8(static_cast<char32_t>(c), &s);  // Go quotes rune(c)
      }
  }
  s += "'";
  return s;
}

locale_t CLocale() {
  static locale_t c_locale = newlocale(LC_ALL_MASK, "C", static_cast<locale_t>(nullptr));
  return c_locale;
}

class Parser {
 public:
  Parser(absl::string_view text, const ParseOptions& options)
      : p_(text.data()), n_(text.size()), options_(options) {}

  bool ParseDocument(Value* out) {
    if (!ParseValue(out, 0)) return false;
    SkipSpace();
    if (pos_ < n_) return FailChar("after top-level value");
    return true;
  }

  const ParseError& error() const { return error_; }

 private:
  bool Fail(size_t at, std::string message) {
    error_.offset = at;
    error_.message = std::move(message);
    return false;
  }
  bool FailEof() { return Fail(n_, "unexpected end of JSON input"); }
  // The byte at pos_ is unexpected (or the input ended).
  bool FailChar(absl::string_view context) {
    if (pos_ >= n_) return FailEof();
    return Fail(pos_, absl::StrCat("invalid character ", QuoteChar(static_cast<unsigned char>(p_[pos_])),
                                   " ", context));
  }

  void SkipSpace() {
    while (pos_ < n_ && IsSpace(p_[pos_])) ++pos_;
  }

  bool ParseValue(Value* out, int depth) {
    SkipSpace();
    if (pos_ >= n_) return FailEof();
    switch (p_[pos_]) {
      case '{': return ParseObject(out, depth);
      case '[': return ParseArray(out, depth);
      case '"': {
        std::string s;
        if (!ParseString(&s)) return false;
        *out = Value(std::move(s));
        return true;
      }
      case 't':
        if (!ParseLiteral("true")) return false;
        *out = Value(true);
        return true;
      case 'f':
        if (!ParseLiteral("false")) return false;
        *out = Value(false);
        return true;
      case 'n':
        if (!ParseLiteral("null")) return false;
        *out = Value();
        return true;
      default:
        if (p_[pos_] == '-' || IsDigit(p_[pos_])) return ParseNumber(out);
        return FailChar("looking for beginning of value");
    }
  }

  bool ParseLiteral(absl::string_view word) {
    for (size_t i = 1; i < word.size(); ++i) {
      ++pos_;
      if (pos_ >= n_) return FailEof();
      if (p_[pos_] != word[i]) {
        return FailChar(absl::StrCat("in literal ", word, " (expecting ",
                                     QuoteChar(static_cast<unsigned char>(word[i])), ")"));
      }
    }
    ++pos_;
    return true;
  }

  bool ParseObject(Value* out, int depth) {
    if (depth >= options_.max_depth) return Fail(pos_, "exceeded max depth");
    ++pos_;  // '{'
    Object object;
    SkipSpace();
    if (pos_ >= n_) return FailEof();
    if (p_[pos_] == '}') {
      ++pos_;
      *out = Value(std::move(object));
      return true;
    }
    while (true) {
      if (pos_ >= n_) return FailEof();
      if (p_[pos_] != '"') return FailChar("looking for beginning of object key string");
      std::string key;
      if (!ParseString(&key)) return false;
      SkipSpace();
      if (pos_ >= n_) return FailEof();
      if (p_[pos_] != ':') return FailChar("after object key");
      ++pos_;
      Value value;
      if (!ParseValue(&value, depth + 1)) return false;
      object.emplace_back(std::move(key), std::move(value));
      SkipSpace();
      if (pos_ >= n_) return FailEof();
      if (p_[pos_] == ',') {
        ++pos_;
        SkipSpace();
        continue;
      }
      if (p_[pos_] == '}') {
        ++pos_;
        break;
      }
      return FailChar("after object key:value pair");
    }
    *out = Value(std::move(object));
    return true;
  }

  bool ParseArray(Value* out, int depth) {
    if (depth >= options_.max_depth) return Fail(pos_, "exceeded max depth");
    ++pos_;  // '['
    Array array;
    SkipSpace();
    if (pos_ >= n_) return FailEof();
    if (p_[pos_] == ']') {
      ++pos_;
      *out = Value(std::move(array));
      return true;
    }
    while (true) {
      Value value;
      if (!ParseValue(&value, depth + 1)) return false;
      array.push_back(std::move(value));
      SkipSpace();
      if (pos_ >= n_) return FailEof();
      if (p_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (p_[pos_] == ']') {
        ++pos_;
        break;
      }
      return FailChar("after array element");
    }
    *out = Value(std::move(array));
    return true;
  }

  // Four hex digits at p_[pos_..]; advances past them.
  bool ReadHex4(uint32_t* out) {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      if (pos_ >= n_) return FailEof();
      int h = HexValue(p_[pos_]);
      if (h < 0) return FailChar("in \\u hexadecimal character escape");
      v = (v << 4) | static_cast<uint32_t>(h);
      ++pos_;
    }
    *out = v;
    return true;
  }

  // True (and the value) if a complete \uDC00-\uDFFF escape starts at pos_.
  bool PeekLowSurrogate(uint32_t* low) const {
    if (n_ - pos_ < 6 || p_[pos_] != '\\' || p_[pos_ + 1] != 'u') return false;
    uint32_t v = 0;
    for (size_t i = 2; i < 6; ++i) {
      int h = HexValue(p_[pos_ + i]);
      if (h < 0) return false;
      v = (v << 4) | static_cast<uint32_t>(h);
    }
    if (v < 0xDC00 || v > 0xDFFF) return false;
    *low = v;
    return true;
  }

  bool UnpairedSurrogate(size_t escape_at, uint32_t unit, std::string* out) {
    if (options_.replace_invalid_unicode) {
      internal::AppendUtf8(internal::kRuneError, out);
      return true;
    }
    std::string text = "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) text += kHexDigits[(unit >> shift) & 0xF];
    return Fail(escape_at, absl::StrCat("unpaired surrogate ", text, " in string literal"));
  }

  bool ParseEscape(std::string* out) {
    const size_t escape_at = pos_;
    ++pos_;  // '\\'
    if (pos_ >= n_) return FailEof();
    const char c = p_[pos_];
    switch (c) {
      case '"': out->push_back('"'); break;
      case '\\': out->push_back('\\'); break;
      case '/': out->push_back('/'); break;
      case 'b': out->push_back('\b'); break;
      case 'f': out->push_back('\f'); break;
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      case 't': out->push_back('\t'); break;
      case 'u': {
        ++pos_;
        uint32_t unit = 0;
        if (!ReadHex4(&unit)) return false;
        if (unit >= 0xD800 && unit <= 0xDBFF) {
          uint32_t low = 0;
          if (PeekLowSurrogate(&low)) {
            pos_ += 6;
            char32_t rune = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
            internal::AppendUtf8(rune, out);
            return true;
          }
          return UnpairedSurrogate(escape_at, unit, out);
        }
        if (unit >= 0xDC00 && unit <= 0xDFFF) return UnpairedSurrogate(escape_at, unit, out);
        internal::AppendUtf8(static_cast<char32_t>(unit), out);
        return true;
      }
      default:
        return FailChar("in string escape code");
    }
    ++pos_;
    return true;
  }

  bool ParseString(std::string* out) {
    ++pos_;  // opening quote
    while (true) {
      size_t run = pos_;
      while (pos_ < n_) {
        const auto c = static_cast<unsigned char>(p_[pos_]);
        if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) break;
        ++pos_;
      }
      out->append(p_ + run, pos_ - run);
      if (pos_ >= n_) return FailEof();
      const auto c = static_cast<unsigned char>(p_[pos_]);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c == '\\') {
        if (!ParseEscape(out)) return false;
        continue;
      }
      if (c < 0x20) return FailChar("in string literal");
      internal::DecodedRune r = internal::DecodeMultibyteRune(
          reinterpret_cast<const unsigned char*>(p_ + pos_), n_ - pos_);
      if (r.valid) {
        out->append(p_ + pos_, static_cast<size_t>(r.size));
        pos_ += static_cast<size_t>(r.size);
      } else if (options_.replace_invalid_unicode) {
        internal::AppendUtf8(internal::kRuneError, out);
        ++pos_;
      } else {
        return Fail(pos_, "invalid UTF-8 in string literal");
      }
    }
  }

  bool ParseNumber(Value* out) {
    const size_t start = pos_;
    bool integral = true;
    if (p_[pos_] == '-') {
      ++pos_;
      if (pos_ >= n_) return FailEof();
      if (!IsDigit(p_[pos_])) return FailChar("in numeric literal");
    }
    if (p_[pos_] == '0') {
      ++pos_;
    } else {
      while (pos_ < n_ && IsDigit(p_[pos_])) ++pos_;
    }
    if (pos_ < n_ && p_[pos_] == '.') {
      integral = false;
      ++pos_;
      if (pos_ >= n_) return FailEof();
      if (!IsDigit(p_[pos_])) return FailChar("after decimal point in numeric literal");
      while (pos_ < n_ && IsDigit(p_[pos_])) ++pos_;
    }
    if (pos_ < n_ && (p_[pos_] == 'e' || p_[pos_] == 'E')) {
      integral = false;
      ++pos_;
      if (pos_ >= n_) return FailEof();
      if (p_[pos_] == '+' || p_[pos_] == '-') {
        ++pos_;
        if (pos_ >= n_) return FailEof();
      }
      if (!IsDigit(p_[pos_])) return FailChar("in exponent of numeric literal");
      while (pos_ < n_ && IsDigit(p_[pos_])) ++pos_;
    }
    const char* first = p_ + start;
    const char* last = p_ + pos_;
    if (integral) {
      int64_t i;
      auto r = std::from_chars(first, last, i);
      if (r.ec == std::errc() && r.ptr == last) {
        *out = Value(i);
        return true;
      }
      if (*first != '-') {
        uint64_t u;
        r = std::from_chars(first, last, u);
        if (r.ec == std::errc() && r.ptr == last) {
          *out = Value(u);
          return true;
        }
      }
    }
    // strtod_l with the C locale: locale-independent, handles subnormals.
    std::string literal(first, last);
    char* end = nullptr;
    double d = strtod_l(literal.c_str(), &end, CLocale());
    if (end != literal.c_str() + literal.size()) {
      return Fail(start, absl::StrCat("invalid number ", literal));
    }
    if (std::isinf(d)) {
      // Go: json: cannot unmarshal number 1e400 into Go value of type float64
      return Fail(start, absl::StrCat("number ", literal, " out of range"));
    }
    *out = Value(d);
    return true;
  }

  const char* p_;
  size_t n_;
  size_t pos_ = 0;
  const ParseOptions& options_;
  ParseError error_;
};

}  // namespace

absl::StatusOr<Value> Parse(absl::string_view text, const ParseOptions& options, ParseError* error) {
  Parser parser(text, options);
  Value value;
  if (!parser.ParseDocument(&value)) {
    const ParseError& e = parser.error();
    if (error != nullptr) *error = e;
    return absl::InvalidArgumentError(absl::StrCat(e.message, " at offset ", e.offset));
  }
  return value;
}

}  // namespace meridian::json
