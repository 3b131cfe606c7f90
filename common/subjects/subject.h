// NATS subjects: validation and wildcard matching.
//
// A subject is a '.'-separated list of non-empty tokens. In patterns '*'
// (as a whole token) matches exactly one token and '>' (as the last token)
// matches one or more trailing tokens. Tokens such as "a*" are literal.
// All functions are pure and thread-safe.
#ifndef MERIDIAN_COMMON_SUBJECTS_SUBJECT_H_
#define MERIDIAN_COMMON_SUBJECTS_SUBJECT_H_

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace meridian::subjects {

inline constexpr char kTokenSeparator = '.';
inline constexpr char kPartialWildcard = '*';
inline constexpr char kFullWildcard = '>';

// Walks the tokens of a subject without allocating:
//   for (TokenIterator it(s); !it.done(); it.Next()) Use(it.token());
class TokenIterator {
 public:
  explicit TokenIterator(std::string_view subject) : rest_(subject) { Next(); }
  bool done() const { return done_; }
  std::string_view token() const { return token_; }
  void Next() {
    if (exhausted_) {
      done_ = true;
      return;
    }
    size_t dot = rest_.find(kTokenSeparator);
    if (dot == std::string_view::npos) {
      token_ = rest_;
      exhausted_ = true;
    } else {
      token_ = rest_.substr(0, dot);
      rest_.remove_prefix(dot + 1);
    }
  }

 private:
  std::string_view rest_;
  std::string_view token_;
  bool exhausted_ = false;
  bool done_ = false;
};

inline bool IsPartialWildcard(std::string_view token) {
  return token.size() == 1 && token[0] == kPartialWildcard;
}
inline bool IsFullWildcard(std::string_view token) {
  return token.size() == 1 && token[0] == kFullWildcard;
}

// Number of tokens ("" has none).
size_t NumTokens(std::string_view subject);

// Empty, or an empty token anywhere ("a..b", ".a", "a."): such a published
// subject matches no subscription, not even '>'. Checked for every message
// (twice for a frontend's forwarded ones): two dots in a row are looked for
// 8 bytes at a time (string_view::find("..") called memchr once per dot, 7 %
// of a frontend's CPU on JetStream acks).
inline bool HasEmptyToken(std::string_view subject) {
  static_assert(std::endian::native == std::endian::little);
  if (subject.empty() || subject.front() == kTokenSeparator ||
      subject.back() == kTokenSeparator) {
    return true;
  }
  constexpr uint64_t kDots = 0x2E2E2E2E2E2E2E2EULL;  // '.' in every byte
  constexpr uint64_t kLow7 = 0x7F7F7F7F7F7F7F7FULL;
  const char* p = subject.data();
  size_t n = subject.size();
  uint64_t carry = 0;  // the high bit set when the previous word ended in a dot
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    const uint64_t x = w ^ kDots;
    const uint64_t dots = ~(((x & kLow7) + kLow7) | x | kLow7);  // 0x80 in each '.' byte
    if ((dots & (dots >> 8)) != 0 || (carry & dots) != 0) return true;
    carry = dots >> 56;
  }
  bool prev = carry != 0;
  for (; n > 0; ++p, --n) {
    const bool dot = *p == kTokenSeparator;
    if (dot && prev) return true;
    prev = dot;
  }
  return false;
}

// nats-server IsValidSubject: non-empty tokens without whitespace
// (space, \t, \r, \n, \f); '>' only as the last token. With `check_runes`
// (what upstream uses for stored messages) also no NUL byte and valid UTF-8.
bool IsValidSubject(std::string_view subject, bool check_runes = false);

// nats-server IsValidLiteralSubject: non-empty tokens, none of them a
// wildcard. (Like upstream it does not look for whitespace.)
bool IsValidLiteralSubject(std::string_view subject);

// IsValidSubject and no wildcard token.
bool IsValidPublishSubject(std::string_view subject);

// True when some token is a wildcard.
bool SubjectHasWildcard(std::string_view subject);

// A queue group name: non-empty and no whitespace. (nats-server accepts any
// token the parser produces; the clients refuse whitespace.)
bool IsValidQueueName(std::string_view queue);

// What nats-server checks on a client PUB/HPUB subject: nothing unless the
// connection is pedantic, then IsValidLiteralSubject (failing gives
// -ERR 'Invalid Publish Subject' and the message is still processed).
// Subjects containing wildcard tokens are legal to publish to otherwise.
bool PublishSubjectAllowed(std::string_view subject, bool pedantic);

// What nats-server checks on SUB (-ERR 'Invalid Subject' otherwise), in
// pedantic and non-pedantic mode alike: IsValidSubject.
inline bool SubscribeSubjectAllowed(std::string_view subject) {
  return IsValidSubject(subject);
}

// Whether `pattern` (wildcards allowed) matches `literal`. Wildcard tokens in
// `literal` are taken literally ("a.*" published is matched by "a.*", "a.>"
// and "*.*", not by "a.b"). False when either has an empty token.
bool SubjectMatches(std::string_view pattern, std::string_view literal);

// Whether some literal subject matches both patterns (nats-server
// SubjectsCollide). Used for JetStream stream subject overlap.
bool SubjectsOverlap(std::string_view a, std::string_view b);

// Whether every literal matched by `sub_pattern` is also matched by
// `pattern` ("foo.*" is a subset of "foo.>" and "*.*", not of "foo.bar").
// This is nats-server's subjectIsSubsetMatch(sub_pattern, pattern).
bool IsSubsetMatch(std::string_view pattern, std::string_view sub_pattern);

}  // namespace meridian::subjects

#endif  // MERIDIAN_COMMON_SUBJECTS_SUBJECT_H_
