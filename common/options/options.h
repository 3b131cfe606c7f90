// Typed options: one table per program, filled from a config file (the
// nats-server format, common/conf) and then from command-line flags, which
// win. The value a target holds when it is registered is its documented
// default, printed by Usage().
//
// Flags follow Go's flag package, as nats-server's do: `-p 4222`,
// `--port 4222`, `-port=4222`, `-D`, `-js=false`; `--` ends the flags.
// Not thread-safe: build and parse on one thread at start-up.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/conf/conf.h"

namespace meridian::options {

class OptionSet {
 public:
  OptionSet(std::string program, std::string summary);

  // `names` are flag spellings without dashes, e.g. {"p", "port"}. The first
  // name longer than one letter is also the config-file key, unless
  // ConfigKey() changes it or NoConfig() removes it.
  OptionSet& String(std::vector<std::string> names, std::string* target, std::string help);
  OptionSet& Int(std::vector<std::string> names, int64_t* target, std::string help);
  OptionSet& Bool(std::vector<std::string> names, bool* target, std::string help);
  OptionSet& Duration(std::vector<std::string> names, absl::Duration* target, std::string help);
  OptionSet& Size(std::vector<std::string> names, int64_t* target, std::string help);
  OptionSet& StringList(std::vector<std::string> names, std::vector<std::string>* target,
                        std::string help);

  // Modifiers of the option added last.
  OptionSet& ConfigKey(std::string key);
  OptionSet& NoConfig();
  OptionSet& FlagOnly() { return NoConfig(); }

  // Parses argv[1..]. Unknown flags and missing values are errors worded as
  // Go's flag package words them ("flag provided but not defined: -x").
  // Arguments that are not flags are appended to `positional`, or are an
  // error when it is null.
  [[nodiscard]] absl::Status ParseFlags(int argc, const char* const* argv,
                                        std::vector<std::string>* positional = nullptr);

  // Applies the keys of a config map. Keys this set does not know are
  // returned in `unknown` (with their Values) or, when it is null, are an error
  // naming the key and its file:line:column.
  [[nodiscard]] absl::Status ApplyConfig(const conf::Value& root,
                                         std::vector<const conf::Value::Entry*>* unknown = nullptr);

  // True when a flag or config key set the option; `name` is any of its names.
  bool WasSet(absl::string_view name) const;
  bool WasSetByFlag(absl::string_view name) const;

  std::string Usage() const;
  const std::string& program() const { return program_; }

 private:
  enum class Type { kString, kInt, kBool, kDuration, kSize, kStringList };
  struct Option {
    std::vector<std::string> names;
    std::string config_key;
    Type type;
    void* target;
    std::string help;
    std::string default_text;
    bool set = false;
    bool set_by_flag = false;
  };

  OptionSet& Add(std::vector<std::string> names, Type type, void* target, std::string help);
  Option* FindFlag(absl::string_view name);
  const Option* FindAny(absl::string_view name) const;
  absl::Status SetFromText(Option& option, absl::string_view flag, absl::string_view text);
  absl::Status SetFromValue(Option& option, const conf::Value& value);

  std::string program_;
  std::string summary_;
  std::vector<Option> options_;
};

// Go-style duration text ("1h2m3.5s", "500ms") for documentation and JSON.
std::string FormatDuration(absl::Duration d);

}  // namespace meridian::options
