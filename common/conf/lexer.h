// Character-level scanning for the nats-server configuration format: a cursor
// that tracks line and column, plus readers for the lexical pieces (keys,
// quoted strings, block strings, bare words, include paths). The grammar is
// context-sensitive (a bare word means different things as a key or a value),
// so the parser drives the lexer instead of consuming a token stream.
//
// Internal to common/conf. Not thread-safe; one Lexer per parse.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/conf/value.h"

namespace meridian::conf {

struct Token {
  enum class Kind { kBare, kDoubleQuoted, kSingleQuoted, kBlock };
  Kind kind = Kind::kBare;
  std::string text;      // with escapes already applied
  Position pos;          // of the first character (the quote for quoted ones)
  bool escaped = false;  // a bare word that contained a backslash escape
};

class Lexer {
 public:
  Lexer(std::string_view text, std::string file) : text_(text), file_(std::move(file)) {}

  bool AtEnd() const { return offset_ >= text_.size(); }
  // The character `ahead` positions from the cursor, '\0' past the end.
  char Peek(size_t ahead = 0) const {
    return offset_ + ahead < text_.size() ? text_[offset_ + ahead] : '\0';
  }
  void Advance();
  Position Pos() const { return Position{file_, line_, column_}; }

  bool AtNewline() const { return Peek() == '\n' || Peek() == '\r'; }
  bool AtBlank() const { return Peek() == ' ' || Peek() == '\t'; }
  bool AtComment() const { return Peek() == '#' || (Peek() == '/' && Peek(1) == '/'); }

  // Skips spaces and tabs.
  void SkipBlanks();
  // Skips spaces, tabs and a comment, stopping before the end of the line.
  void SkipBlanksAndComment();
  // Skips spaces, tabs, line breaks and comments.
  void SkipWhitespaceAndComments();

  // Readers: each expects the cursor on the first character of its piece.
  // A key: quoted ('..' or "..", taken literally) or bare (up to a blank,
  // line break, ':', '=', '{' or '[').
  [[nodiscard]] absl::StatusOr<Token> ReadKey();
  // "..." with escapes, or '...' taken literally; both may span lines.
  [[nodiscard]] absl::StatusOr<Token> ReadQuoted();
  // '(' ... up to a line holding only ')'. The text is everything between the
  // parentheses, as nats-server keeps it (so it starts and ends with '\n').
  [[nodiscard]] absl::StatusOr<Token> ReadBlock();
  // An unquoted value, up to a blank, line break, ',', ';', ']' or '}'.
  // Backslash escapes are applied, as nats-server does.
  [[nodiscard]] absl::StatusOr<Token> ReadBare();
  // The operand of `include`: quoted (literally) or up to a blank, line
  // break, ';' or '}'.
  [[nodiscard]] absl::StatusOr<Token> ReadIncludePath();

  absl::Status ErrorHere(std::string_view message) const { return ErrorAt(Pos(), message); }

 private:
  // After a backslash has been consumed: appends the escaped character(s).
  absl::Status ReadEscape(const Position& backslash, std::string* out);
  absl::StatusOr<Token> ReadUntilQuote(Token::Kind kind, std::string_view what);

  std::string_view text_;
  std::string file_;
  size_t offset_ = 0;
  int line_ = 1;
  int column_ = 1;
};

// "'x'" for messages; names invisible characters.
std::string DescribeChar(char c);

}  // namespace meridian::conf
