#include "common/conf/parser.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/conf/lexer.h"
#include "common/conf/units.h"

namespace meridian::conf {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxIncludeDepth = 32;
constexpr int kMaxNesting = 200;

// State shared by a parse and the nested parses of its includes and
// environment variables.
struct Shared {
  struct OpenFile {
    std::string canonical;  // for cycle detection
    std::string shown;      // for messages
  };
  std::vector<OpenFile> include_stack;
  std::set<std::string> env_refs;  // environment variables being expanded
};

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return absl::Status(absl::ErrnoToStatusCode(errno), std::strerror(errno));
  std::string data;
  char buf[16384];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) data.append(buf, n);
  const int err = std::ferror(f) ? errno : 0;
  std::fclose(f);
  if (err != 0) return absl::Status(absl::ErrnoToStatusCode(err), std::strerror(err));
  return data;
}

std::string CanonicalPath(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(path, ec);
  if (ec) p = fs::absolute(path, ec).lexically_normal();
  return p.string();
}

std::string DirOf(const std::string& path) {
  std::string dir = fs::path(path).parent_path().string();
  return dir.empty() ? "." : dir;
}

// Go's filepath.Join, which nats-server uses: the include path is always
// taken relative to the including file's directory, even if it starts with '/'.
std::string JoinIncludePath(const std::string& base_dir, const std::string& rel) {
  return (fs::path(base_dir) / fs::path(rel).relative_path()).lexically_normal().string();
}

absl::Status Annotate(const absl::Status& s, const std::string& suffix) {
  return absl::Status(s.code(), absl::StrCat(s.message(), suffix));
}

class Parser {
 public:
  Parser(std::string_view text, std::string file, std::string base_dir, Shared* shared)
      : lx_(text, file), file_(std::move(file)), base_dir_(std::move(base_dir)), shared_(shared) {}

  absl::StatusOr<Value> ParseDocument();

 private:
  absl::Status ParseMapBody(Value::Map* map, const Position* open);
  absl::Status ParseEntries(Value::Map* map, const Position* open);
  absl::Status ParseEntry(Value::Map* map);
  absl::StatusOr<Value> ParseValue();
  absl::StatusOr<Value> ParseArray();
  absl::StatusOr<Value> ParseBareWord(const Token& tok);
  absl::StatusOr<Value> LookupVariable(const std::string& name, const Position& pos);
  absl::Status Include(const Token& path, Value::Map* map);

  Lexer lx_;
  std::string file_;
  std::string base_dir_;
  Shared* shared_;
  // Maps being built, outermost first: where $VAR looks for earlier keys.
  std::vector<const Value::Map*> scopes_;
  int nesting_ = 0;
};

absl::StatusOr<Value> Parser::ParseDocument() {
  Value::Map map;
  lx_.SkipWhitespaceAndComments();
  if (lx_.Peek() == '{') {
    // The whole file in braces, JSON style, as nats-server allows.
    const Position open = lx_.Pos();
    lx_.Advance();
    if (absl::Status s = ParseMapBody(&map, &open); !s.ok()) return s;
    lx_.SkipWhitespaceAndComments();
    if (!lx_.AtEnd()) {
      return lx_.ErrorHere(
          absl::StrCat("unexpected ", DescribeChar(lx_.Peek()), " after the closing '}'"));
    }
  } else if (absl::Status s = ParseMapBody(&map, nullptr); !s.ok()) {
    return s;
  }
  return Value::MakeMap(std::move(map), Position{file_, 1, 1});
}

absl::Status Parser::ParseMapBody(Value::Map* map, const Position* open) {
  scopes_.push_back(map);
  absl::Status s = ParseEntries(map, open);
  scopes_.pop_back();
  return s;
}

// `open` is the '{' of a nested map, nullptr at the top level.
absl::Status Parser::ParseEntries(Value::Map* map, const Position* open) {
  for (;;) {
    lx_.SkipWhitespaceAndComments();
    if (lx_.AtEnd()) {
      if (open != nullptr) return ErrorAt(*open, "unterminated map: this '{' is never closed");
      return absl::OkStatus();
    }
    char c = lx_.Peek();
    if (c == '}') {
      if (open == nullptr) return lx_.ErrorHere("unexpected '}' with no map open");
      lx_.Advance();
      return absl::OkStatus();
    }
    if (c == ',' || c == ';' || c == ']' || c == '[' || c == '{') {
      return lx_.ErrorHere(absl::StrCat("unexpected ", DescribeChar(c), ", expected a key"));
    }
    if (absl::Status s = ParseEntry(map); !s.ok()) return s;

    // After a value: a line break, ',' or ';', or the closing '}'.
    lx_.SkipBlanksAndComment();
    c = lx_.Peek();
    if (lx_.AtEnd() || lx_.AtNewline() || c == '}') continue;
    if (c == ',' || c == ';') {
      lx_.Advance();
      continue;
    }
    return lx_.ErrorHere(absl::StrCat("unexpected ", DescribeChar(c),
                                      " after a value, expected a new line, ','",
                                      open != nullptr ? " or '}'" : " or a comment"));
  }
}

absl::Status Parser::ParseEntry(Value::Map* map) {
  absl::StatusOr<Token> key = lx_.ReadKey();
  if (!key.ok()) return key.status();

  if (key->kind == Token::Kind::kBare && absl::EqualsIgnoreCase(key->text, "include") &&
      lx_.AtBlank()) {
    lx_.SkipBlanks();
    if (lx_.Peek() != ':' && lx_.Peek() != '=') {
      if (lx_.AtEnd() || lx_.AtNewline() || lx_.AtComment()) {
        return ErrorAt(key->pos, "include needs a file name");
      }
      absl::StatusOr<Token> path = lx_.ReadIncludePath();
      if (!path.ok()) return path.status();
      return Include(*path, map);
    }
  }

  lx_.SkipBlanks();
  const bool has_separator = lx_.Peek() == ':' || lx_.Peek() == '=';
  if (has_separator) {
    lx_.Advance();
    lx_.SkipBlanks();
  } else if (lx_.AtNewline()) {
    // Allow a map's `{` on a line after its name.
    size_t i = 0;
    while (lx_.Peek(i) != '\0' && absl::ascii_isspace(static_cast<unsigned char>(lx_.Peek(i)))) ++i;
    if (lx_.Peek(i) == '{') {
      for (; i > 0; --i) lx_.Advance();
    }
  }
  if (lx_.AtEnd() || lx_.AtNewline() || (!has_separator && lx_.AtComment())) {
    return ErrorAt(key->pos, absl::StrCat("missing value for key '", key->text, "'"));
  }
  absl::StatusOr<Value> value = ParseValue();
  if (!value.ok()) return value.status();
  map->emplace_back(std::move(key->text), *std::move(value));
  return absl::OkStatus();
}

absl::StatusOr<Value> Parser::ParseValue() {
  const char c = lx_.Peek();
  if (lx_.AtEnd() || lx_.AtNewline() || c == ',' || c == ';' || c == ']' || c == '}') {
    return lx_.ErrorHere(absl::StrCat("unexpected ", DescribeChar(c), ", expected a value"));
  }
  if ((c == '{' || c == '[') && nesting_ >= kMaxNesting) {
    return lx_.ErrorHere("maps and arrays are nested too deeply");
  }
  switch (c) {
    case '{': {
      const Position open = lx_.Pos();
      lx_.Advance();
      Value::Map map;
      ++nesting_;
      absl::Status s = ParseMapBody(&map, &open);
      --nesting_;
      if (!s.ok()) return s;
      return Value::MakeMap(std::move(map), open);
    }
    case '[': {
      ++nesting_;
      absl::StatusOr<Value> array = ParseArray();
      --nesting_;
      return array;
    }
    case '"':
    case '\'':
    case '(': {
      absl::StatusOr<Token> tok = c == '(' ? lx_.ReadBlock() : lx_.ReadQuoted();
      if (!tok.ok()) return tok.status();
      return Value::MakeString(std::move(tok->text), std::move(tok->pos));
    }
    default: {
      absl::StatusOr<Token> tok = lx_.ReadBare();
      if (!tok.ok()) return tok.status();
      return ParseBareWord(*tok);
    }
  }
}

absl::StatusOr<Value> Parser::ParseArray() {
  const Position open = lx_.Pos();
  lx_.Advance();  // '['
  Value::Array items;
  for (;;) {
    lx_.SkipWhitespaceAndComments();
    if (lx_.AtEnd()) return ErrorAt(open, "unterminated array: this '[' is never closed");
    if (lx_.Peek() == ']') break;
    absl::StatusOr<Value> item = ParseValue();
    if (!item.ok()) return item.status();
    items.push_back(*std::move(item));

    // After an item: ',' or a line break, or the closing ']'.
    lx_.SkipBlanksAndComment();
    if (lx_.AtEnd()) return ErrorAt(open, "unterminated array: this '[' is never closed");
    const char c = lx_.Peek();
    if (c == ']') break;
    if (c == ',' || lx_.AtNewline()) {
      lx_.Advance();
      continue;
    }
    return lx_.ErrorHere(
        absl::StrCat("unexpected ", DescribeChar(c), " in array, expected ',', a new line or ']'"));
  }
  lx_.Advance();  // ']'
  return Value::MakeArray(std::move(items), open);
}

absl::StatusOr<Value> Parser::ParseBareWord(const Token& tok) {
  const std::string& word = tok.text;
  if (tok.escaped) return Value::MakeString(word, tok.pos);
  const std::string lower = absl::AsciiStrToLower(word);
  if (lower == "true" || lower == "yes" || lower == "on") return Value::MakeBool(true, tok.pos);
  if (lower == "false" || lower == "no" || lower == "off") return Value::MakeBool(false, tok.pos);
  if (word[0] == '$') {
    // nats-server keeps bcrypt hashes ($2a$...) as they are.
    if (absl::StartsWith(word, "$2a$")) return Value::MakeString(word, tok.pos);
    if (word.size() == 1) return ErrorAt(tok.pos, "'$' must be followed by a variable name");
    return LookupVariable(word.substr(1), tok.pos);
  }
  absl::StatusOr<BareNumber> n = ParseBareNumber(word);
  if (!n.ok()) return ErrorAt(tok.pos, std::string(n.status().message()));
  switch (n->kind) {
    case BareNumber::Kind::kInt:
      return Value::MakeInt(n->int_value, tok.pos);
    case BareNumber::Kind::kDouble:
      return Value::MakeDouble(n->double_value, tok.pos);
    case BareNumber::Kind::kNotANumber:
      break;
  }
  return Value::MakeString(word, tok.pos);
}

absl::StatusOr<Value> Parser::LookupVariable(const std::string& name, const Position& pos) {
  // Earlier keys of the enclosing maps, innermost first; exact spelling, as
  // nats-server looks them up.
  for (auto scope = scopes_.rbegin(); scope != scopes_.rend(); ++scope) {
    for (auto it = (*scope)->rbegin(); it != (*scope)->rend(); ++it) {
      if (it->first == name) {
        Value v = it->second;
        v.set_pos(pos);
        return v;
      }
    }
  }
  // Then the environment; its value is parsed as a value would be in a file.
  if (shared_->env_refs.count(name) > 0) {
    return ErrorAt(pos, absl::StrCat("variable reference cycle for '", name, "'"));
  }
  const char* env = std::getenv(name.c_str());
  if (env == nullptr) {
    return ErrorAt(pos, absl::StrCat("variable reference for '", name,
                                     "' can not be found (define it above or in the environment)"));
  }
  shared_->env_refs.insert(name);
  const std::string text = absl::StrCat("pk=", env);
  Parser sub(text, absl::StrCat("$", name), base_dir_, shared_);
  absl::StatusOr<Value> doc = sub.ParseDocument();
  shared_->env_refs.erase(name);
  if (!doc.ok()) {
    return ErrorAt(pos, absl::StrCat("environment variable '", name,
                                     "' could not be parsed: ", doc.status().message()));
  }
  const Value* v = doc->Find("pk");
  if (v == nullptr)
    return ErrorAt(pos, absl::StrCat("environment variable '", name, "' has no value"));
  Value out = *v;
  out.set_pos(pos);
  return out;
}

absl::Status Parser::Include(const Token& path, Value::Map* map) {
  const std::string full = JoinIncludePath(base_dir_, path.text);
  const std::string canonical = CanonicalPath(full);
  auto& stack = shared_->include_stack;
  auto open = std::find_if(stack.begin(), stack.end(),
                           [&](const Shared::OpenFile& f) { return f.canonical == canonical; });
  if (open != stack.end()) {
    std::string chain;
    for (auto it = open; it != stack.end(); ++it) absl::StrAppend(&chain, it->shown, " -> ");
    return ErrorAt(path.pos, absl::StrCat("include cycle: ", chain, full));
  }
  if (stack.size() >= kMaxIncludeDepth) {
    return ErrorAt(path.pos,
                   absl::StrCat("includes are nested more than ", kMaxIncludeDepth, " deep"));
  }
  absl::StatusOr<std::string> text = ReadFile(full);
  if (!text.ok()) {
    return absl::Status(text.status().code(),
                        absl::StrCat(path.pos.ToString(), ": cannot read include file '", path.text,
                                     "' (", full, "): ", text.status().message()));
  }
  stack.push_back({canonical, full});
  Parser sub(*text, full, DirOf(full), shared_);
  absl::StatusOr<Value> doc = sub.ParseDocument();
  stack.pop_back();
  if (!doc.ok()) {
    return Annotate(doc.status(), absl::StrCat(" (included from ", path.pos.ToString(), ")"));
  }
  // The included file's top-level keys join this map here, in file order.
  for (const Value::Entry& entry : doc->as_map()) map->push_back(entry);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Value> ParseFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) {
    return absl::Status(text.status().code(), absl::StrCat("cannot read config file '", path,
                                                           "': ", text.status().message()));
  }
  Shared shared;
  shared.include_stack.push_back({CanonicalPath(path), path});
  Parser parser(*text, path, DirOf(path), &shared);
  return parser.ParseDocument();
}

absl::StatusOr<Value> ParseString(std::string_view text, std::string_view name,
                                  std::string_view base_dir) {
  Shared shared;
  Parser parser(text, std::string(name), std::string(base_dir), &shared);
  return parser.ParseDocument();
}

}  // namespace meridian::conf
