// UTF-8 decoding with Go's rules (unicode/utf8.DecodeRuneInString): overlong
// forms, surrogates and code points above U+10FFFF are invalid, and an invalid
// sequence consumes exactly one byte. Internal to meridian_json.
#pragma once

#include <cstddef>
#include <cstdint>

namespace meridian::json::internal {

inline constexpr char32_t kRuneError = 0xFFFD;

struct DecodedRune {
  char32_t rune;  // kRuneError when invalid
  int size;       // bytes consumed; 1 when invalid
  bool valid;
};

// Decodes the rune starting at p[0]; requires n >= 1 and p[0] >= 0x80.
inline DecodedRune DecodeMultibyteRune(const unsigned char* p, size_t n) {
  const unsigned char b0 = p[0];
  int size;
  unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
  char32_t rune;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    size = 2;
    rune = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    size = 3;
    rune = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;  // no overlongs
    if (b0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    size = 4;
    rune = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;  // no overlongs
    if (b0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return {kRuneError, 1, false};
  }
  if (n < static_cast<size_t>(size)) return {kRuneError, 1, false};
  if (p[1] < lo || p[1] > hi) return {kRuneError, 1, false};
  rune = (rune << 6) | (p[1] & 0x3F);
  for (int i = 2; i < size; ++i) {
    if ((p[i] & 0xC0) != 0x80) return {kRuneError, 1, false};
    rune = (rune << 6) | (p[i] & 0x3F);
  }
  return {rune, size, true};
}

// Appends the UTF-8 encoding of a valid scalar value (not a surrogate).
template <typename String>
inline void AppendUtf8(char32_t r, String* out) {
  if (r < 0x80) {
    out->push_back(static_cast<char>(r));
  } else if (r < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (r >> 6)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else if (r < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (r >> 12)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (r >> 18)));
    out->push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  }
}

}  // namespace meridian::json::internal
