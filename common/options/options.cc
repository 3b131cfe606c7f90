#include "common/options/options.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace meridian::options {
namespace {


bool ParseBoolText(absl::string_view text, bool* out) {
  std::string lower = absl::AsciiStrToLower(text);
  if (lower == "1" || lower == "t" || lower == "true") {
    *out = true;
    return true;
  }
  if (lower == "0" || lower == "f" || lower == "false") {
    *out = false;
    return true;
  }
  return false;
}

}  // namespace

std::string FormatDuration(absl::Duration d) {
  // absl::FormatDuration already prints Go's format ("1h2m3s", "500ms").
  return absl::FormatDuration(d);
}

OptionSet::OptionSet(std::string program, std::string summary)
    : program_(std::move(program)), summary_(std::move(summary)) {}

OptionSet& OptionSet::Add(std::vector<std::string> names, Type type, void* target,
                          std::string help) {
  Option option;
  option.names = std::move(names);
  for (const std::string& n : option.names) {
    if (n.size() > 1) {
      option.config_key = n;
      break;
    }
  }
  option.type = type;
  option.target = target;
  option.help = std::move(help);
  switch (type) {
    case Type::kString: option.default_text = *static_cast<std::string*>(target); break;
    case Type::kInt:
    case Type::kSize: option.default_text = absl::StrCat(*static_cast<int64_t*>(target)); break;
    case Type::kBool: option.default_text = *static_cast<bool*>(target) ? "true" : "false"; break;
    case Type::kDuration:
      option.default_text = options::FormatDuration(*static_cast<absl::Duration*>(target));
      break;
    case Type::kStringList:
      option.default_text = absl::StrJoin(*static_cast<std::vector<std::string>*>(target), ",");
      break;
  }
  options_.push_back(std::move(option));
  return *this;
}

OptionSet& OptionSet::String(std::vector<std::string> names, std::string* target,
                             std::string help) {
  return Add(std::move(names), Type::kString, target, std::move(help));
}
OptionSet& OptionSet::Int(std::vector<std::string> names, int64_t* target, std::string help) {
  return Add(std::move(names), Type::kInt, target, std::move(help));
}
OptionSet& OptionSet::Bool(std::vector<std::string> names, bool* target, std::string help) {
  return Add(std::move(names), Type::kBool, target, std::move(help));
}
OptionSet& OptionSet::Duration(std::vector<std::string> names, absl::Duration* target,
                               std::string help) {
  return Add(std::move(names), Type::kDuration, target, std::move(help));
}
OptionSet& OptionSet::Size(std::vector<std::string> names, int64_t* target, std::string help) {
  return Add(std::move(names), Type::kSize, target, std::move(help));
}
OptionSet& OptionSet::StringList(std::vector<std::string> names,
                                 std::vector<std::string>* target, std::string help) {
  return Add(std::move(names), Type::kStringList, target, std::move(help));
}

OptionSet& OptionSet::ConfigKey(std::string key) {
  options_.back().config_key = std::move(key);
  return *this;
}

OptionSet& OptionSet::NoConfig() {
  options_.back().config_key.clear();
  return *this;
}

OptionSet::Option* OptionSet::FindFlag(absl::string_view name) {
  for (Option& o : options_) {
    for (const std::string& n : o.names) {
      if (n == name) return &o;
    }
  }
  return nullptr;
}

const OptionSet::Option* OptionSet::FindAny(absl::string_view name) const {
  for (const Option& o : options_) {
    if (absl::EqualsIgnoreCase(o.config_key, name)) return &o;
    for (const std::string& n : o.names) {
      if (n == name) return &o;
    }
  }
  return nullptr;
}

bool OptionSet::WasSet(absl::string_view name) const {
  const Option* o = FindAny(name);
  return o != nullptr && o->set;
}

bool OptionSet::WasSetByFlag(absl::string_view name) const {
  const Option* o = FindAny(name);
  return o != nullptr && o->set_by_flag;
}

absl::Status OptionSet::SetFromText(Option& option, absl::string_view flag, absl::string_view text) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid value \"", text, "\" for flag -", flag, ": ", why));
  };
  switch (option.type) {
    case Type::kString:
      *static_cast<std::string*>(option.target) = std::string(text);
      break;
    case Type::kInt: {
      int64_t v;
      if (!absl::SimpleAtoi(text, &v)) return bad("parse error");
      *static_cast<int64_t*>(option.target) = v;
      break;
    }
    case Type::kSize: {
      absl::StatusOr<conf::Value> parsed = conf::ParseString(absl::StrCat("v: ", text));
      if (!parsed.ok()) return bad("not a size");
      const conf::Value* v = parsed->Find("v");
      absl::StatusOr<int64_t> size = v ? conf::ParseSize(*v) : absl::InvalidArgumentError("");
      if (!size.ok()) return bad("not a size");
      *static_cast<int64_t*>(option.target) = *size;
      break;
    }
    case Type::kBool: {
      bool v;
      if (!ParseBoolText(text, &v)) return bad("parse error");
      *static_cast<bool*>(option.target) = v;
      break;
    }
    case Type::kDuration: {
      absl::Duration d;
      if (!absl::ParseDuration(text, &d)) return bad("parse error");
      *static_cast<absl::Duration*>(option.target) = d;
      break;
    }
    case Type::kStringList: {
      std::vector<std::string> parts = absl::StrSplit(text, ',', absl::SkipEmpty());
      *static_cast<std::vector<std::string>*>(option.target) = std::move(parts);
      break;
    }
  }
  option.set = true;
  option.set_by_flag = true;
  return absl::OkStatus();
}

absl::Status OptionSet::ParseFlags(int argc, const char* const* argv,
                                   std::vector<std::string>* positional) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") {
      for (++i; i < argc; ++i) {
        if (positional == nullptr) {
          return absl::InvalidArgumentError(absl::StrCat("unexpected argument: ", argv[i]));
        }
        positional->push_back(argv[i]);
      }
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      if (positional == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat("unexpected argument: ", arg));
      }
      positional->push_back(std::string(arg));
      continue;
    }
    absl::string_view name = arg.substr(arg[1] == '-' ? 2 : 1);
    absl::string_view value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != absl::string_view::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    Option* option = FindFlag(name);
    if (option == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("flag provided but not defined: -", name));
    }
    if (!has_value) {
      if (option->type == Type::kBool) {
        value = "true";
      } else {
        if (i + 1 >= argc) {
          return absl::InvalidArgumentError(absl::StrCat("flag needs an argument: -", name));
        }
        value = argv[++i];
      }
    }
    if (absl::Status s = SetFromText(*option, name, value); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status OptionSet::SetFromValue(Option& option, const conf::Value& value) {
  auto wrong = [&](absl::string_view want) {
    return conf::ErrorAt(value, absl::StrCat("\"", option.config_key, "\" expects ", want,
                                             ", got ", value.KindName()));
  };
  switch (option.type) {
    case Type::kString:
      if (value.is_string()) {
        *static_cast<std::string*>(option.target) = value.as_string();
      } else if (value.is_int()) {
        *static_cast<std::string*>(option.target) = absl::StrCat(value.as_int());
      } else {
        return wrong("a string");
      }
      break;
    case Type::kInt:
      if (!value.is_int()) return wrong("an integer");
      *static_cast<int64_t*>(option.target) = value.as_int();
      break;
    case Type::kSize: {
      absl::StatusOr<int64_t> size = conf::ParseSize(value);
      if (!size.ok()) return size.status();
      *static_cast<int64_t*>(option.target) = *size;
      break;
    }
    case Type::kBool:
      if (!value.is_bool()) return wrong("a boolean");
      *static_cast<bool*>(option.target) = value.as_bool();
      break;
    case Type::kDuration: {
      absl::StatusOr<absl::Duration> d = conf::ParseDuration(value);
      if (!d.ok()) return d.status();
      *static_cast<absl::Duration*>(option.target) = *d;
      break;
    }
    case Type::kStringList: {
      auto* list = static_cast<std::vector<std::string>*>(option.target);
      list->clear();
      if (value.is_string()) {
        list->push_back(value.as_string());
      } else if (value.is_array()) {
        for (const conf::Value& item : value.as_array()) {
          if (!item.is_string()) return conf::ErrorAt(item, "expected a string");
          list->push_back(item.as_string());
        }
      } else {
        return wrong("a string or an array of strings");
      }
      break;
    }
  }
  option.set = true;
  return absl::OkStatus();
}

absl::Status OptionSet::ApplyConfig(const conf::Value& root,
                                    std::vector<const conf::Value::Entry*>* unknown) {
  if (!root.is_map()) return conf::ErrorAt(root, "configuration must be a map");
  for (const conf::Value::Entry& entry : root.as_map()) {
    Option* option = nullptr;
    for (Option& o : options_) {
      if (!o.config_key.empty() && absl::EqualsIgnoreCase(o.config_key, entry.first)) {
        option = &o;
        break;
      }
    }
    if (option == nullptr) {
      if (unknown != nullptr) {
        unknown->push_back(&entry);
        continue;
      }
      return conf::ErrorAt(entry.second,
                           absl::StrCat("unknown configuration option \"", entry.first, "\""));
    }
    if (option->set_by_flag) continue;  // flags win
    if (absl::Status s = SetFromValue(*option, entry.second); !s.ok()) return s;
  }
  return absl::OkStatus();
}

std::string OptionSet::Usage() const {
  std::string out = absl::StrCat("Usage: ", program_, " [options]\n\n", summary_, "\n\nOptions:\n");
  for (const Option& o : options_) {
    std::vector<std::string> spelled;
    for (const std::string& n : o.names) spelled.push_back(absl::StrCat(n.size() == 1 ? "-" : "--", n));
    std::string line = absl::StrCat("  ", absl::StrJoin(spelled, ", "));
    if (o.type != Type::kBool) absl::StrAppend(&line, " <value>");
    if (line.size() < 34) line.resize(34, ' ');
    else absl::StrAppend(&line, "\n", std::string(34, ' '));
    absl::StrAppend(&out, line, o.help);
    if (!o.default_text.empty() && o.default_text != "false" && o.default_text != "0") {
      absl::StrAppend(&out, " (default: ", o.default_text, ")");
    }
    if (!o.config_key.empty()) absl::StrAppend(&out, " [config: ", o.config_key, "]");
    absl::StrAppend(&out, "\n");
  }
  return out;
}

}  // namespace meridian::options
