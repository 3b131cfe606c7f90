#include "common/subjects/subject.h"

#include <cstdint>
#include <cstring>

namespace meridian::subjects {
namespace {

bool IsWhitespace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f';
}

bool HasWhitespace(std::string_view s) {
  for (char c : s) {
    if (IsWhitespace(c)) return true;
  }
  return false;
}

// Valid UTF-8 without NUL, overlong forms, surrogates, or U+FFFD (Go turns
// invalid bytes into U+FFFD, so upstream cannot tell the two apart).
bool IsCleanUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    uint8_t c = *p;
    if (c == 0) return false;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (end - p < len) return false;
    for (int k = 1; k < len; ++k) {
      if ((p[k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[k] & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) ||
        cp == 0xFFFD) {
      return false;
    }
    p += len;
  }
  return true;
}

}  // namespace

size_t NumTokens(std::string_view subject) {
  if (subject.empty()) return 0;
  size_t n = 1;
  for (char c : subject) {
    if (c == kTokenSeparator) ++n;
  }
  return n;
}

bool IsValidSubject(std::string_view subject, bool check_runes) {
  if (subject.empty()) return false;
  if (check_runes && !IsCleanUtf8(subject)) return false;
  bool seen_fwc = false;
  for (TokenIterator it(subject); !it.done(); it.Next()) {
    std::string_view t = it.token();
    if (t.empty() || seen_fwc) return false;
    if (IsFullWildcard(t)) {
      seen_fwc = true;
    } else if (HasWhitespace(t)) {
      return false;
    }
  }
  return true;
}

bool IsValidLiteralSubject(std::string_view subject) {
  for (TokenIterator it(subject); !it.done(); it.Next()) {
    std::string_view t = it.token();
    if (t.empty() || IsPartialWildcard(t) || IsFullWildcard(t)) return false;
  }
  return true;
}

bool IsValidPublishSubject(std::string_view subject) {
  return IsValidSubject(subject) && !SubjectHasWildcard(subject);
}

bool SubjectHasWildcard(std::string_view subject) {
  for (TokenIterator it(subject); !it.done(); it.Next()) {
    if (IsPartialWildcard(it.token()) || IsFullWildcard(it.token())) {
      return true;
    }
  }
  return false;
}

bool IsValidQueueName(std::string_view queue) {
  return !queue.empty() && !HasWhitespace(queue);
}

bool PublishSubjectAllowed(std::string_view subject, bool pedantic) {
  return !pedantic || IsValidLiteralSubject(subject);
}

bool SubjectMatches(std::string_view pattern, std::string_view literal) {
  // One pass over both strings, token by token (this runs over the whole
  // match cache on every wildcard insert/remove, so it is kept tight).
  const char* p = pattern.data();
  const char* const pe = p + pattern.size();
  const char* l = literal.data();
  const char* const le = l + literal.size();
  auto token_end = [](const char* from, const char* end) {
    while (from < end && *from != kTokenSeparator) ++from;  // tokens are short
    return from;
  };
  while (true) {
    const char* pt = token_end(p, pe);
    const char* lt = token_end(l, le);
    if (p == pt || l == lt) return false;  // empty token
    const size_t plen = static_cast<size_t>(pt - p);
    if (plen == 1 && *p == kFullWildcard) {
      // '>' must be last; it takes the rest, which must have no empty token.
      if (pt != pe) return false;
      if (le[-1] == kTokenSeparator) return false;
      for (const char* c = l; c + 1 < le; ++c) {
        if (c[0] == kTokenSeparator && c[1] == kTokenSeparator) return false;
      }
      return true;
    }
    if (plen != 1 || *p != kPartialWildcard) {
      if (plen != static_cast<size_t>(lt - l) || std::memcmp(p, l, plen) != 0) {
        return false;
      }
    }
    const bool p_last = pt == pe;
    const bool l_last = lt == le;
    if (p_last || l_last) return p_last && l_last;
    p = pt + 1;
    l = lt + 1;
  }
}

bool SubjectsOverlap(std::string_view a, std::string_view b) {
  TokenIterator x(a);
  TokenIterator y(b);
  while (true) {
    if (x.done() && y.done()) return true;
    if (x.done() || y.done()) return false;
    std::string_view s = x.token();
    std::string_view t = y.token();
    if (s.empty() || t.empty()) return false;
    if (IsFullWildcard(s) || IsFullWildcard(t)) return true;
    if (!IsPartialWildcard(s) && !IsPartialWildcard(t) && s != t) return false;
    x.Next();
    y.Next();
  }
}

bool IsSubsetMatch(std::string_view pattern, std::string_view sub_pattern) {
  TokenIterator p(pattern);
  TokenIterator s(sub_pattern);
  while (true) {
    if (p.done()) return s.done();
    std::string_view pt = p.token();
    if (pt.empty()) return false;
    if (s.done()) return false;
    std::string_view st = s.token();
    if (st.empty()) return false;
    if (IsFullWildcard(pt)) return true;
    if (IsFullWildcard(st)) return false;
    if (!IsPartialWildcard(pt)) {
      if (IsPartialWildcard(st) || pt != st) return false;
    }
    p.Next();
    s.Next();
  }
}

}  // namespace meridian::subjects
