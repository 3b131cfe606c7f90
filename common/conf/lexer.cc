#include "common/conf/lexer.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace meridian::conf {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool EndsBareValue(char c) {
  switch (c) {
    case '\n':
    case '\r':
    case ' ':
    case '\t':
    case ',':
    case ';':
    case ']':
    case '}':
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string DescribeChar(char c) {
  switch (c) {
    case '\0':
      return "end of file";
    case '\n':
      return "new line";
    case '\r':
      return "carriage return";
    case '\t':
      return "tab";
    default:
      break;
  }
  if (absl::ascii_isprint(static_cast<unsigned char>(c)))
    return absl::StrCat("'", std::string(1, c), "'");
  return absl::StrFormat("byte 0x%02x", static_cast<unsigned char>(c));
}

void Lexer::Advance() {
  if (AtEnd()) return;
  if (text_[offset_] == '\n') {
    ++line_;
    column_ = 1;
  } else {
    ++column_;
  }
  ++offset_;
}

void Lexer::SkipBlanks() {
  while (AtBlank()) Advance();
}

void Lexer::SkipBlanksAndComment() {
  SkipBlanks();
  if (AtComment()) {
    while (!AtEnd() && !AtNewline()) Advance();
  }
}

void Lexer::SkipWhitespaceAndComments() {
  for (;;) {
    SkipBlanksAndComment();
    if (!AtNewline()) return;
    Advance();
  }
}

absl::StatusOr<Token> Lexer::ReadKey() {
  char c = Peek();
  if (c == '"' || c == '\'') {
    return ReadUntilQuote(c == '"' ? Token::Kind::kDoubleQuoted : Token::Kind::kSingleQuoted,
                          "quoted key");
  }
  if (c == ':' || c == '=')
    return ErrorHere(absl::StrCat("unexpected ", DescribeChar(c), ", expected a key"));
  Token tok;
  tok.pos = Pos();
  while (!AtEnd() && !AtBlank() && !AtNewline()) {
    c = Peek();
    if (c == ':' || c == '=' || c == '{' || c == '[') break;
    tok.text.push_back(c);
    Advance();
  }
  if (tok.text.empty())
    return ErrorHere(absl::StrCat("unexpected ", DescribeChar(Peek()), ", expected a key"));
  return tok;
}

absl::StatusOr<Token> Lexer::ReadUntilQuote(Token::Kind kind, std::string_view what) {
  const char quote = kind == Token::Kind::kDoubleQuoted ? '"' : '\'';
  Token tok;
  tok.kind = kind;
  tok.pos = Pos();
  Advance();  // the opening quote
  for (;;) {
    if (AtEnd())
      return ErrorAt(tok.pos, absl::StrCat("unterminated ", std::string(what), ": missing closing ",
                                           std::string(1, quote)));
    char c = Peek();
    if (c == quote) {
      Advance();
      return tok;
    }
    tok.text.push_back(c);
    Advance();
  }
}

absl::StatusOr<Token> Lexer::ReadQuoted() {
  if (Peek() == '\'') return ReadUntilQuote(Token::Kind::kSingleQuoted, "string");
  Token tok;
  tok.kind = Token::Kind::kDoubleQuoted;
  tok.pos = Pos();
  Advance();  // the opening quote
  for (;;) {
    if (AtEnd()) return ErrorAt(tok.pos, "unterminated string: missing closing \"");
    char c = Peek();
    if (c == '"') {
      Advance();
      return tok;
    }
    if (c == '\\') {
      Position at = Pos();
      Advance();
      if (absl::Status s = ReadEscape(at, &tok.text); !s.ok()) return s;
      continue;
    }
    tok.text.push_back(c);
    Advance();
  }
}

absl::Status Lexer::ReadEscape(const Position& backslash, std::string* out) {
  char c = Peek();
  switch (c) {
    case 't':
      out->push_back('\t');
      break;
    case 'n':
      out->push_back('\n');
      break;
    case 'r':
      out->push_back('\r');
      break;
    case '"':
      out->push_back('"');
      break;
    case '\\':
      out->push_back('\\');
      break;
    case 'x':
    case 'u': {
      const int digits = c == 'x' ? 2 : 4;
      uint32_t cp = 0;
      for (int i = 1; i <= digits; ++i) {
        int d = HexDigit(Peek(i));
        if (d < 0) {
          return ErrorAt(backslash,
                         absl::StrFormat("expected %d hexadecimal digits after '\\%c'", digits, c));
        }
        cp = cp * 16 + d;
      }
      for (int i = 0; i < digits; ++i) Advance();
      if (c == 'x') {
        out->push_back(static_cast<char>(cp));
      } else {
        AppendUtf8(cp, out);
      }
      break;
    }
    default:
      return ErrorAt(backslash, absl::StrCat("invalid escape character ", DescribeChar(c),
                                             "; allowed are \\t \\n \\r \\\" \\\\ \\xXX \\uXXXX"));
  }
  Advance();
  return absl::OkStatus();
}

absl::StatusOr<Token> Lexer::ReadBlock() {
  Token tok;
  tok.kind = Token::Kind::kBlock;
  tok.pos = Pos();
  Advance();  // '('
  for (;;) {
    if (AtEnd())
      return ErrorAt(tok.pos, "unterminated block string: missing ')' on a line of its own");
    char c = Peek();
    tok.text.push_back(c);
    Advance();
    // The block ends at a ')' alone on its line, as in nats-server.
    const bool closing_line = offset_ + 1 >= text_.size() || Peek(1) == '\n' || Peek(1) == '\r';
    if (c == '\n' && Peek() == ')' && closing_line) {
      Advance();  // ')'
      return tok;
    }
  }
}

absl::StatusOr<Token> Lexer::ReadBare() {
  Token tok;
  tok.pos = Pos();
  while (!AtEnd() && !EndsBareValue(Peek())) {
    char c = Peek();
    if (c == '\\') {
      Position at = Pos();
      Advance();
      if (absl::Status s = ReadEscape(at, &tok.text); !s.ok()) return s;
      tok.escaped = true;
      continue;
    }
    tok.text.push_back(c);
    Advance();
  }
  return tok;
}

absl::StatusOr<Token> Lexer::ReadIncludePath() {
  char c = Peek();
  if (c == '"' || c == '\'') {
    return ReadUntilQuote(c == '"' ? Token::Kind::kDoubleQuoted : Token::Kind::kSingleQuoted,
                          "include path");
  }
  Token tok;
  tok.pos = Pos();
  while (!AtEnd() && !AtBlank() && !AtNewline() && Peek() != ';' && Peek() != '}') {
    tok.text.push_back(Peek());
    Advance();
  }
  if (tok.text.empty()) return ErrorAt(tok.pos, "include needs a file name");
  return tok;
}

}  // namespace meridian::conf
