// authd's configuration file (TOML).
//
//   [authd]      engine settings (workers, deadline, protection, log, plugins)
//   [[backend]]  one per backend: name, type, and the settings its type declares
//   [[route]]    domains -> the backends asked for them, in order
//
// Loading reports every problem it finds, each with the file, line and key,
// instead of stopping at the first.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "authd/api/plugin.hpp"
#include "authd/plugin_loader.hpp"

namespace authd {

// The largest failure_answer_time_ms accepted.
inline constexpr std::int64_t max_failure_answer_time_ms = 10000;

struct ConfigIssue {
  std::string file;
  int line = 0;        // 0 when not tied to a line
  std::string key;     // e.g. "authd.workers", "backend \"local\".path"
  std::string message;

  std::string to_string() const;
};

struct BackendConfig {
  std::string name;
  const BackendType* type = nullptr;
  Settings settings;
  int line = 0;
  std::vector<std::pair<std::string, int>> key_lines;  // where each given key stands, for errors at creation
};

struct RouteConfig {
  std::vector<std::string> domains;   // lower case; "*" or "*.suffix" allowed
  std::vector<std::string> backends;  // names of [[backend]] entries, in order
  int line = 0;
};

struct Config {
  std::string file;
  std::size_t workers = 4;
  std::size_t max_queued = 4096;
  std::chrono::milliseconds request_timeout{3000};
  std::chrono::milliseconds shutdown_grace{4000};
  bool hide_unknown = true;
  std::chrono::milliseconds failure_answer_time{500};  // with hide_unknown: when a credential failure is answered
  bool allow_weak_schemes = false;
  bool intf_reply_intf = false;  // answer INTF with "seq INTF v" instead of "seq OK v"
  std::string reject_text = "incorrect account name or password";
  std::string log = "syslog";
  LogLevel log_level = LogLevel::Info;
  bool info_lines = false;
  std::vector<std::string> plugins;  // shared objects loaded before backends are checked
  std::string plugin_dir;            // where a type with no built-in backend is looked for
  std::vector<BackendConfig> backends;
  std::vector<RouteConfig> routes;
};

// The declared [authd] keys, for --help-config and documentation.
const std::vector<SettingSpec>& engine_settings();

// Parse and check `path`. Plugins named in the file (or found in the plugin
// directory by type) are loaded into `types`. Returns the configuration, or
// every issue found.
std::variant<Config, std::vector<ConfigIssue>> load_config(const std::string& path, BackendTypes& types,
                                                           const std::string& default_plugin_dir);

// The same for configuration text that is not in a file (the embedded demo,
// tests); relative paths are relative to `base_dir`.
std::variant<Config, std::vector<ConfigIssue>> load_config_text(std::string_view text, const std::string& name,
                                                                const std::string& base_dir, BackendTypes& types,
                                                                const std::string& default_plugin_dir);

}  // namespace authd
