#include "common/subjects/subject.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include <functional>
#include <string>
#include <vector>

namespace meridian::subjects {
namespace {

TEST(SubjectTest, TokenIterator) {
  std::vector<std::string> got;
  for (TokenIterator it("a.bb..c"); !it.done(); it.Next()) {
    got.emplace_back(it.token());
  }
  EXPECT_EQ(got, (std::vector<std::string>{"a", "bb", "", "c"}));
  got.clear();
  for (TokenIterator it(""); !it.done(); it.Next())
    got.emplace_back(it.token());
  EXPECT_EQ(got, (std::vector<std::string>{""}));
  EXPECT_EQ(NumTokens(""), 0u);
  EXPECT_EQ(NumTokens("a"), 1u);
  EXPECT_EQ(NumTokens("a.b.>"), 3u);
}

TEST(SubjectTest, IsValidSubject) {
  for (const char* s :
       {"foo", "foo.bar", "*", ">", "foo.*", "foo.>", "*.*.>", "foo.*.bar",
        "$JS.API.>", "a*b.c>", "_INBOX.x.y", "f\xc3\xa9.bar"}) {
    EXPECT_TRUE(IsValidSubject(s)) << s;
  }
  for (const char* s : {"", ".", "foo.", ".foo", "foo..bar", "foo.>.bar", ">.a",
                        "foo bar", "foo.\tbar", "foo\r", "a\n.b", "a\f", " "}) {
    EXPECT_FALSE(IsValidSubject(s)) << s;
  }
}

TEST(SubjectTest, IsValidSubjectCheckRunes) {
  EXPECT_TRUE(IsValidSubject("f\xc3\xa9.bar", true));
  EXPECT_FALSE(IsValidSubject(std::string("foo\0bar", 7), true));
  EXPECT_TRUE(IsValidSubject(std::string("foo\0bar", 7)));
  EXPECT_FALSE(IsValidSubject("foo.\xff", true));
  EXPECT_FALSE(IsValidSubject("foo.\xc3", true));          // truncated
  EXPECT_FALSE(IsValidSubject("foo.\xc0\xaf", true));      // overlong
  EXPECT_FALSE(IsValidSubject("foo.\xef\xbf\xbd", true));  // U+FFFD
  EXPECT_TRUE(IsValidSubject("\xf0\x9f\x98\x80.x", true));
}

TEST(SubjectTest, LiteralAndPublishSubjects) {
  EXPECT_TRUE(IsValidLiteralSubject("foo.bar"));
  EXPECT_TRUE(IsValidLiteralSubject("foo.a*.b>"));
  EXPECT_FALSE(IsValidLiteralSubject("foo.*"));
  EXPECT_FALSE(IsValidLiteralSubject("foo.>"));
  EXPECT_FALSE(IsValidLiteralSubject("foo..bar"));
  EXPECT_FALSE(IsValidLiteralSubject(""));
  // Like upstream, whitespace is not looked at here.
  EXPECT_TRUE(IsValidLiteralSubject("foo bar"));
  EXPECT_FALSE(IsValidPublishSubject("foo bar"));
  EXPECT_TRUE(IsValidPublishSubject("foo.bar"));
  EXPECT_FALSE(IsValidPublishSubject("foo.*"));
  EXPECT_TRUE(SubjectHasWildcard("a.*.b"));
  EXPECT_TRUE(SubjectHasWildcard(">"));
  EXPECT_FALSE(SubjectHasWildcard("a*.b>"));
}

TEST(SubjectTest, PedanticRules) {
  // spec §8: publish subjects are only checked in pedantic mode; clients
  // publish to subjects holding wildcard tokens.
  EXPECT_TRUE(PublishSubjectAllowed("$JS.API.CONSUMER.CREATE.KV_b.name.$KV.b.>",
                                    /*pedantic=*/false));
  EXPECT_TRUE(PublishSubjectAllowed("foo..bar", /*pedantic=*/false));
  EXPECT_FALSE(PublishSubjectAllowed(
      "$JS.API.CONSUMER.CREATE.KV_b.name.$KV.b.>", /*pedantic=*/true));
  EXPECT_FALSE(PublishSubjectAllowed("foo..bar", /*pedantic=*/true));
  EXPECT_TRUE(PublishSubjectAllowed("foo.bar", /*pedantic=*/true));
  EXPECT_TRUE(SubscribeSubjectAllowed("foo.>"));
  EXPECT_FALSE(SubscribeSubjectAllowed("foo.>.bar"));
}

TEST(SubjectTest, QueueNames) {
  EXPECT_TRUE(IsValidQueueName("workers"));
  EXPECT_TRUE(IsValidQueueName("q.1-*"));
  EXPECT_FALSE(IsValidQueueName(""));
  EXPECT_FALSE(IsValidQueueName("a b"));
  EXPECT_FALSE(IsValidQueueName("a\t"));
}

TEST(SubjectTest, SubjectMatches) {
  struct Case {
    const char* pattern;
    const char* literal;
    bool want;
  } cases[] = {
      {"foo", "foo", true},
      {"foo", "bar", false},
      {"foo.bar", "foo", false},
      {"foo", "foo.bar", false},
      {"foo.*", "foo.bar", true},
      {"foo.*", "foo", false},
      {"foo.*", "foo.bar.baz", false},
      {"*", "foo", true},
      {"*.*", "a.b", true},
      {"foo.>", "foo.bar", true},
      {"foo.>", "foo.bar.baz", true},
      {"foo.>", "foo", false},
      {">", "a", true},
      {">", "a.b.c", true},
      {"*.bar.>", "x.bar.y.z", true},
      {"*.bar.>", "x.baz.y", false},
      {"foo.*", "foo.*", true},
      {"foo.bar", "foo.*", false},
      {"foo.>", "foo.>", true},
      {"a*", "a*", true},
      {"a*", "ab", false},
      {"foo.*", "foo.", false},
      {"foo.>", "foo..x", false},
      {"", "", false},
      {"foo.>.bar", "foo.x.bar", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(SubjectMatches(c.pattern, c.literal), c.want)
        << c.pattern << " ~ " << c.literal;
  }
}

TEST(SubjectTest, SubjectsOverlap) {
  struct Case {
    const char* a;
    const char* b;
    bool want;
  } cases[] = {
      {"foo.bar", "foo.bar", true},  {"foo.bar", "foo.baz", false},
      {"foo.*", "foo.bar", true},    {"foo.*", "*.bar", true},
      {"foo.*", "foo.>", true},      {"foo.>", "foo", false},
      {"foo.*", "foo.*.baz", false}, {"foo.>", "*.*.baz", true},
      {">", "a.b.c", true},          {"*", "a.b", false},
      {"a.*.c", "a.b.*", true},      {"a.*.c", "a.b.d", false},
      {"*.>", "a", false},           {"a.>", "b.>", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(SubjectsOverlap(c.a, c.b), c.want) << c.a << " / " << c.b;
    EXPECT_EQ(SubjectsOverlap(c.b, c.a), c.want) << c.b << " / " << c.a;
  }
}

TEST(SubjectTest, IsSubsetMatch) {
  struct Case {
    const char* pattern;
    const char* sub;
    bool want;
  } cases[] = {
      {"foo.>", "foo.*", true},    {"*.*", "foo.*", true},
      {">", "foo.*", true},        {"foo.bar", "foo.*", false},
      {"foo.*", "foo.bar", true},  {"foo.*", "foo.>", false},
      {"foo.>", "foo.>", true},    {"foo.*", "foo.*", true},
      {"foo.>", "foo", false},     {"foo", "foo", true},
      {"*.bar", "foo.*", false},   {"foo.*.>", "foo.a.b.c", true},
      {"foo.*.>", "foo.a", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(IsSubsetMatch(c.pattern, c.sub), c.want)
        << c.sub << " within " << c.pattern;
  }
}

// Brute force: patterns over {a, b, *, >} of up to 3 tokens, literals over
// {a, b, c} of up to 4 tokens ('c' stands for any other token). Matching is
// checked against an independent recursive matcher; overlap and subset
// against the sets of literals each pattern matches.
bool Reference(const std::vector<std::string>& p, size_t i,
               const std::vector<std::string>& l, size_t j) {
  if (i == p.size()) return j == l.size();
  if (p[i] == ">") return i + 1 == p.size() && j < l.size();
  if (j == l.size()) return false;
  if (p[i] != "*" && p[i] != l[j]) return false;
  return Reference(p, i + 1, l, j + 1);
}

std::string Join(const std::vector<std::string>& t) {
  std::string s;
  for (size_t i = 0; i < t.size(); ++i) {
    if (i > 0) s += '.';
    s += t[i];
  }
  return s;
}

void Enumerate(const std::vector<std::string>& alphabet, size_t max_len,
               std::vector<std::vector<std::string>>* out) {
  std::function<void(std::vector<std::string>&)> rec =
      [&](std::vector<std::string>& cur) {
        if (!cur.empty()) out->push_back(cur);
        if (cur.size() == max_len) return;
        for (const std::string& t : alphabet) {
          cur.push_back(t);
          rec(cur);
          cur.pop_back();
        }
      };
  std::vector<std::string> cur;
  rec(cur);
}

TEST(SubjectTest, BruteForceAgreement) {
  std::vector<std::vector<std::string>> patterns;
  Enumerate({"a", "b", "*", ">"}, 3, &patterns);
  std::vector<std::vector<std::string>> literals;
  Enumerate({"a", "b", "c"}, 4, &literals);
  std::vector<std::vector<bool>> sets(patterns.size());
  for (size_t i = 0; i < patterns.size(); ++i) {
    const std::string p = Join(patterns[i]);
    for (const auto& l : literals) {
      bool want = Reference(patterns[i], 0, l, 0);
      sets[i].push_back(want);
      ASSERT_EQ(SubjectMatches(p, Join(l)), want) << p << " ~ " << Join(l);
    }
  }
  for (size_t i = 0; i < patterns.size(); ++i) {
    if (!IsValidSubject(Join(patterns[i]))) continue;
    for (size_t j = 0; j < patterns.size(); ++j) {
      if (!IsValidSubject(Join(patterns[j]))) continue;
      bool overlap = false;
      bool subset = true;
      for (size_t k = 0; k < literals.size(); ++k) {
        overlap |= sets[i][k] && sets[j][k];
        if (sets[j][k] && !sets[i][k]) subset = false;
      }
      ASSERT_EQ(SubjectsOverlap(Join(patterns[i]), Join(patterns[j])), overlap)
          << Join(patterns[i]) << " / " << Join(patterns[j]);
      ASSERT_EQ(IsSubsetMatch(Join(patterns[i]), Join(patterns[j])), subset)
          << Join(patterns[j]) << " within " << Join(patterns[i]);
    }
  }
}

}  // namespace
}  // namespace meridian::subjects

namespace meridian::subjects {
namespace {

// The word-at-a-time scan agrees with the plain definition on every
// position of an empty token, at every length and alignment (tails, word
// boundaries, dots in the 8th and 9th bytes).
TEST(SubjectTest, HasEmptyTokenMatchesThePlainDefinition) {
  auto plain = [](std::string_view s) {
    return s.empty() || s.front() == '.' || s.back() == '.' || s.find("..") != s.npos;
  };
  EXPECT_TRUE(HasEmptyToken(""));
  EXPECT_TRUE(HasEmptyToken("."));
  EXPECT_TRUE(HasEmptyToken("abcdefg..h"));
  EXPECT_TRUE(HasEmptyToken("abcdefg.....hijklmno"));
  EXPECT_FALSE(HasEmptyToken("$JS.ACK.STREAM.CONSUMER.1.22.333.1700000000000000000.4444"));
  std::mt19937_64 rng(7);
  const char alphabet[] = {'a', '.', 'b', '.', '*'};
  for (int i = 0; i < 200000; ++i) {
    std::string s(rng() % 40, 'x');
    for (char& c : s) c = alphabet[rng() % (rng() % 4 == 0 ? 5 : 1 + rng() % 5)];
    // Every alignment of the same text.
    std::string padded = "abc" + s;
    const std::string_view view = std::string_view(padded).substr(rng() % 4);
    ASSERT_EQ(HasEmptyToken(view), plain(view)) << "[" << view << "]";
  }
}

}  // namespace
}  // namespace meridian::subjects
