// authd plugin API: declared, validated backend settings.
//
// Every backend declares the keys it reads, each with a type, a default and
// a line of help. The configuration loader checks a [[backend]] table against
// that declaration before the backend is created: unknown keys, wrong types,
// out-of-range numbers and missing required keys are reported with the file,
// line and key, so a backend only ever sees settings that are well-formed.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace authd {

enum class SettingType {
  String,
  Integer,
  Boolean,
  StringList,
  Path,  // a string; a relative path is made relative to the configuration file
};

using SettingValue = std::variant<std::monostate, std::string, std::int64_t, bool, std::vector<std::string>>;

struct SettingSpec {
  std::string key;
  SettingType type = SettingType::String;
  SettingValue default_value;  // std::monostate: the key is required
  std::string help;
  std::int64_t min = std::numeric_limits<std::int64_t>::min();  // Integer only
  std::int64_t max = std::numeric_limits<std::int64_t>::max();  // Integer only

  bool required() const noexcept { return std::holds_alternative<std::monostate>(default_value); }
};

// Thrown by a backend's constructor when its settings are well-formed but
// unusable (a file that cannot be read, a template without %u, ...). The
// loader reports it with the file and line of `key`.
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string key, const std::string& message)
      : std::runtime_error(message), key_(std::move(key)) {}
  const std::string& key() const noexcept { return key_; }

 private:
  std::string key_;
};

// The validated settings of one backend: every declared key has a value
// (given or default) of the declared type.
class Settings {
 public:
  Settings() = default;
  explicit Settings(std::map<std::string, SettingValue, std::less<>> values) : values_(std::move(values)) {}

  const std::string& string(std::string_view key) const { return get<std::string>(key); }
  std::int64_t integer(std::string_view key) const { return get<std::int64_t>(key); }
  bool boolean(std::string_view key) const { return get<bool>(key); }
  const std::vector<std::string>& list(std::string_view key) const { return get<std::vector<std::string>>(key); }

 private:
  template <typename T>
  const T& get(std::string_view key) const {
    auto it = values_.find(key);
    if (it == values_.end() || !std::holds_alternative<T>(it->second))
      throw std::logic_error("setting '" + std::string(key) + "' was not declared with this type");
    return std::get<T>(it->second);
  }

  std::map<std::string, SettingValue, std::less<>> values_;
};

}  // namespace authd
