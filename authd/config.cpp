#include "authd/config.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "authd/account_name.hpp"
#include "authd/log.hpp"
#include "authd/verdict_cache.hpp"
#include "base/ascii.hpp"

namespace authd {

std::string ConfigIssue::to_string() const {
  std::string text = file;
  if (line > 0) text.append(":").append(std::to_string(line));
  text += ": ";
  if (!key.empty()) text += key + ": ";
  return text + message;
}

const std::vector<SettingSpec>& engine_settings() {
  static const std::vector<SettingSpec> specs = {
      {"workers", SettingType::Integer, std::int64_t{4}, "threads for blocking work (slow hashes, PAM, LDAP)", 1, 256},
      {"max_queued", SettingType::Integer, std::int64_t{4096},
       "requests waiting for a worker; more are answered FAILURE (overloaded)", 1, 1000000},
      {"request_timeout_ms", SettingType::Integer, std::int64_t{3000},
       "deadline of a request; past it the answer is FAILURE. Keep it below the host's helper time-out", 10, 600000},
      {"shutdown_grace_ms", SettingType::Integer, std::int64_t{4000},
       "at end of input, how long requests in flight may still finish", 0, 4500},
      {"hide_unknown", SettingType::Boolean, true,
       "answer every credential failure with the same text (name-harvesting protection)"},
      {"failure_answer_time_ms", SettingType::Integer, std::int64_t{500},
       "with hide_unknown on, every credential failure is answered this long after its request came in, in "
       "arrival order (0: at once). Keep it above the slowest check and below request_timeout_ms",
       0, max_failure_answer_time_ms},
      {"allow_weak_schemes", SettingType::Boolean, false,
       "accept stored passwords in weak schemes (plain text, unsalted digests, DES, CRAM-MD5)"},
      {"intf_reply", SettingType::String, std::string("ok"), "answer INTF with \"seq OK v\" (ok) or \"seq INTF v\" (intf)"},
      {"reject_text", SettingType::String, std::string("incorrect account name or password"),
       "the ERROR text of every credential failure while hide_unknown is on"},
      {"log", SettingType::String, std::string("syslog"), "\"syslog\" or a log file path"},
      {"log_level", SettingType::String, std::string("info"), "debug, info, warning or error"},
      {"info_lines", SettingType::Boolean, false, "also send log messages to the host as \"* text\" lines"},
      {"plugins", SettingType::StringList, std::vector<std::string>{}, "plugin shared objects to load"},
      {"plugin_dir", SettingType::Path, std::string(), "where a backend type without a built-in backend is looked for"},
  };
  return specs;
}

namespace {

class Checker {
 public:
  Checker(std::string file, std::filesystem::path base_dir) : file_(std::move(file)), base_dir_(std::move(base_dir)) {}

  void issue(int line, std::string key, std::string message) {
    issues_.push_back({file_, line, std::move(key), std::move(message)});
  }
  static int line_of(const toml::node& node) { return static_cast<int>(node.source().begin.line); }

  std::string resolve_path(const std::string& value) const {
    if (value.empty()) return value;
    std::filesystem::path p(value);
    if (p.is_relative()) p = base_dir_ / p;
    return p.lexically_normal().string();
  }

  // Check `table` against `specs`: every key declared, each of its type and
  // range, every required key present. `reserved` keys belong to the caller.
  Settings settings_of(const toml::table& table, const std::vector<SettingSpec>& specs, const std::string& prefix,
                       const std::set<std::string>& reserved, std::vector<std::pair<std::string, int>>* key_lines,
                       int table_line) {
    std::map<std::string, SettingValue, std::less<>> values;
    for (auto&& [key, node] : table) {
      const std::string name(key.str());
      if (reserved.count(name)) continue;
      const int line = line_of(node);
      if (key_lines) key_lines->emplace_back(name, line);
      const SettingSpec* spec = nullptr;
      for (const auto& candidate : specs)
        if (candidate.key == name) spec = &candidate;
      if (spec == nullptr) {
        std::string known;
        for (const auto& candidate : specs) known += (known.empty() ? "" : ", ") + candidate.key;
        issue(line, prefix + name, "unknown key (known keys: " + (known.empty() ? "none" : known) + ")");
        continue;
      }
      // An invalid value is reported and replaced by the default, so that
      // checking can go on and report every other problem too.
      if (auto value = value_of(node, *spec, prefix + name, line)) values[name] = std::move(*value);
      else if (!spec->required()) values[name] = spec->default_value;
      else values[name] = empty_value(spec->type);
    }
    for (const auto& spec : specs) {
      if (values.count(spec.key)) continue;
      if (spec.required()) {
        issue(table_line, prefix + spec.key, "required key is missing (" + spec.help + ")");
        continue;
      }
      SettingValue value = spec.default_value;
      if (spec.type == SettingType::Path) value = resolve_path(std::get<std::string>(value));
      values[spec.key] = std::move(value);
    }
    return Settings(std::move(values));
  }

  std::vector<ConfigIssue> take_issues() { return std::move(issues_); }
  bool ok() const { return issues_.empty(); }

 private:
  static SettingValue empty_value(SettingType type) {
    switch (type) {
      case SettingType::Integer: return std::int64_t{0};
      case SettingType::Boolean: return false;
      case SettingType::StringList: return std::vector<std::string>{};
      case SettingType::String:
      case SettingType::Path: break;
    }
    return std::string();
  }

  std::optional<SettingValue> value_of(const toml::node& node, const SettingSpec& spec, const std::string& key,
                                       int line) {
    switch (spec.type) {
      case SettingType::String:
      case SettingType::Path:
        if (auto text = node.value<std::string>(); text && node.is_string()) {
          if (text->find('\0') != std::string::npos) {
            issue(line, key, "must not contain a NUL byte");
            return std::nullopt;
          }
          return spec.type == SettingType::Path ? resolve_path(*text) : *text;
        }
        issue(line, key, "must be a string");
        return std::nullopt;
      case SettingType::Integer:
        if (node.is_integer()) {
          const std::int64_t value = *node.value<std::int64_t>();
          if (value < spec.min || value > spec.max) {
            issue(line, key,
                  "must be between " + std::to_string(spec.min) + " and " + std::to_string(spec.max) + ", not " +
                      std::to_string(value));
            return std::nullopt;
          }
          return value;
        }
        issue(line, key, "must be a whole number");
        return std::nullopt;
      case SettingType::Boolean:
        if (node.is_boolean()) return *node.value<bool>();
        issue(line, key, "must be true or false");
        return std::nullopt;
      case SettingType::StringList:
        if (const auto* array = node.as_array()) {
          std::vector<std::string> items;
          for (const auto& item : *array) {
            if (!item.is_string()) {
              issue(line_of(item), key, "must be a list of strings");
              return std::nullopt;
            }
            items.push_back(*item.value<std::string>());
          }
          return items;
        }
        issue(line, key, "must be a list of strings, e.g. [\"a\", \"b\"]");
        return std::nullopt;
    }
    return std::nullopt;
  }

  std::string file_;
  std::filesystem::path base_dir_;
  std::vector<ConfigIssue> issues_;
};

void read_engine(const toml::table& root, Config& config, Checker& check) {
  static const toml::table empty;
  const toml::table* table = &empty;
  int line = 0;
  if (const auto* node = root.get("authd")) {
    line = Checker::line_of(*node);
    if (const auto* t = node->as_table()) table = t;
    else check.issue(line, "authd", "must be a table: [authd]");
  }
  const Settings s = check.settings_of(*table, engine_settings(), "authd.", {}, nullptr, line);
  auto line_of_key = [&](std::string_view key) {
    const auto* node = table->get(key);
    return node ? Checker::line_of(*node) : line;
  };
  config.workers = static_cast<std::size_t>(s.integer("workers"));
  config.max_queued = static_cast<std::size_t>(s.integer("max_queued"));
  config.request_timeout = std::chrono::milliseconds(s.integer("request_timeout_ms"));
  config.shutdown_grace = std::chrono::milliseconds(s.integer("shutdown_grace_ms"));
  config.hide_unknown = s.boolean("hide_unknown");
  config.failure_answer_time = std::chrono::milliseconds(s.integer("failure_answer_time_ms"));
  if (config.hide_unknown && config.failure_answer_time >= config.request_timeout)
    check.issue(line_of_key("failure_answer_time_ms"), "authd.failure_answer_time_ms",
                "must be below request_timeout_ms (" + std::to_string(config.request_timeout.count()) +
                    "), or a failure would be answered after its deadline");
  config.allow_weak_schemes = s.boolean("allow_weak_schemes");
  const auto& intf = s.string("intf_reply");
  if (intf == "ok" || intf == "intf") config.intf_reply_intf = intf == "intf";
  else check.issue(line_of_key("intf_reply"), "authd.intf_reply", "must be \"ok\" or \"intf\", not \"" + intf + "\"");
  config.reject_text = s.string("reject_text");
  for (unsigned char c : config.reject_text)
    if (c < 0x20 || c == 0x7f) {
      check.issue(line_of_key("reject_text"), "authd.reject_text", "must not contain control characters");
      break;
    }
  config.log = s.string("log");
  if (config.log != "syslog" && config.log != "stderr") config.log = check.resolve_path(config.log);
  if (auto problem = log_destination_problem(config.log); !problem.empty())
    check.issue(line_of_key("log"), "authd.log", problem);
  if (auto level = parse_log_level(s.string("log_level"))) config.log_level = *level;
  else
    check.issue(line_of_key("log_level"), "authd.log_level",
                "must be debug, info, warning or error, not \"" + s.string("log_level") + "\"");
  config.info_lines = s.boolean("info_lines");
  for (const auto& plugin : s.list("plugins")) config.plugins.push_back(check.resolve_path(plugin));
  if (!s.string("plugin_dir").empty()) config.plugin_dir = s.string("plugin_dir");
}

const toml::array* array_of_tables(const toml::table& root, std::string_view key, Checker& check) {
  const auto* node = root.get(key);
  if (node == nullptr) return nullptr;
  const auto* array = node->as_array();
  if (array == nullptr || !array->is_array_of_tables()) {
    check.issue(Checker::line_of(*node), std::string(key), "must be written as [[" + std::string(key) + "]] tables");
    return nullptr;
  }
  return array;
}

void load_plugins(Config& config, BackendTypes& types, Checker& check, int line_of_plugins) {
  for (const auto& path : config.plugins) {
    auto loaded = load_plugin(path);
    if (auto* error = std::get_if<std::string>(&loaded)) {
      check.issue(line_of_plugins, "authd.plugins", *error);
      continue;
    }
    if (auto problem = types.add(*std::get<const PluginDescriptor*>(loaded), path); !problem.empty())
      check.issue(line_of_plugins, "authd.plugins", "plugin '" + path + "': " + problem);
  }
}

// A type that is neither built in nor loaded may be a plugin in the plugin
// directory, named after the type.
const BackendType* find_type(const std::string& type, Config& config, BackendTypes& types, Checker& check,
                             int line) {
  if (const auto* found = types.find(type)) return found;
  const bool plain_name = !type.empty() && type.find('/') == std::string::npos && type.front() != '.';
  if (plain_name && !config.plugin_dir.empty()) {
    const std::string path = (std::filesystem::path(config.plugin_dir) / (type + ".so")).string();
    if (std::filesystem::exists(path)) {
      auto loaded = load_plugin(path);
      if (auto* error = std::get_if<std::string>(&loaded)) {
        check.issue(line, "backend.type", *error);
        return nullptr;
      }
      if (auto problem = types.add(*std::get<const PluginDescriptor*>(loaded), path); !problem.empty()) {
        check.issue(line, "backend.type", "plugin '" + path + "': " + problem);
        return nullptr;
      }
      if (const auto* found = types.find(type)) return found;
      check.issue(line, "backend.type", "plugin '" + path + "' does not provide backend type '" + type + "'");
      return nullptr;
    }
  }
  std::string known;
  for (const auto& entry : types.all()) known += (known.empty() ? "" : ", ") + std::string(entry.descriptor->type);
  check.issue(line, "backend.type",
              "unknown backend type '" + type + "' (known: " + known + "; plugins are looked for in " +
                  (config.plugin_dir.empty() ? std::string("no directory") : config.plugin_dir) + ")");
  return nullptr;
}

void read_backends(const toml::table& root, Config& config, BackendTypes& types, Checker& check) {
  const auto* array = array_of_tables(root, "backend", check);
  if (array == nullptr) {
    if (!root.get("backend")) check.issue(0, "backend", "no [[backend]] is configured");
    return;
  }
  std::set<std::string> names;
  for (const auto& node : *array) {
    const auto& table = *node.as_table();
    const int line = Checker::line_of(node);
    const auto* name_node = table.get("name");
    const auto* type_node = table.get("type");
    std::string name = name_node && name_node->is_string() ? *name_node->value<std::string>() : "";
    if (name.empty()) {
      check.issue(line, "backend.name", "every [[backend]] needs a name = \"...\"");
      continue;
    }
    const std::string prefix = "backend \"" + name + "\".";
    if (!names.insert(name).second) {
      check.issue(Checker::line_of(*name_node), prefix + "name", "another [[backend]] already has this name");
      continue;
    }
    if (type_node == nullptr || !type_node->is_string()) {
      check.issue(line, prefix + "type", "every [[backend]] needs a type = \"...\" (e.g. \"passwd-file\")");
      continue;
    }
    const BackendType* type = find_type(*type_node->value<std::string>(), config, types, check,
                                        Checker::line_of(*type_node));
    if (type == nullptr) continue;
    BackendConfig backend{name, type, {}, line, {}};
    // Every backend also takes the cache_* keys of the engine's verdict cache.
    std::vector<SettingSpec> specs = type->settings;
    specs.insert(specs.end(), cache_settings_specs().begin(), cache_settings_specs().end());
    backend.settings = check.settings_of(table, specs, prefix, {"name", "type"}, &backend.key_lines, line);
    config.backends.push_back(std::move(backend));
  }
}

bool domain_pattern_ok(const std::string& pattern) {
  if (pattern == "*") return true;
  std::string_view rest = pattern;
  if (rest.starts_with("*.")) rest.remove_prefix(2);
  if (rest.empty()) return false;
  for (unsigned char c : rest)
    if (c <= 0x20 || c == 0x7f || c == '@' || c == '*') return false;
  return true;
}

void read_routes(const toml::table& root, Config& config, Checker& check) {
  const auto* array = array_of_tables(root, "route", check);
  if (array == nullptr) {
    if (!root.get("route")) check.issue(0, "route", "no [[route]] is configured: add one with domains = [\"*\"]");
    return;
  }
  std::map<std::string, int> seen_domains;
  int index = 0;
  for (const auto& node : *array) {
    ++index;
    const auto& table = *node.as_table();
    const std::string prefix = "route " + std::to_string(index) + ".";
    RouteConfig route;
    route.line = Checker::line_of(node);
    for (auto&& [key, value] : table) {
      const std::string name(key.str());
      const int line = Checker::line_of(value);
      if (name != "domains" && name != "backends") {
        check.issue(line, prefix + name, "unknown key (known keys: domains, backends)");
        continue;
      }
      const auto* list = value.as_array();
      std::vector<std::string> items;
      bool strings = list != nullptr;
      if (list)
        for (const auto& item : *list) {
          if (!item.is_string()) strings = false;
          else items.push_back(*item.value<std::string>());
        }
      if (!strings || items.empty()) {
        check.issue(line, prefix + name, "must be a non-empty list of strings");
        continue;
      }
      if (name == "domains") {
        for (auto& domain : items) {
          base::lower_ascii_in_place(domain);
          if (!domain_pattern_ok(domain)) {
            check.issue(line, prefix + "domains", "\"" + domain + "\" is not a domain, \"*.domain\" or \"*\"");
            continue;
          }
          if (auto [it, fresh] = seen_domains.emplace(domain, line); !fresh)
            check.issue(line, prefix + "domains",
                        "\"" + domain + "\" is already routed at line " + std::to_string(it->second));
          route.domains.push_back(domain);
        }
      } else {
        for (const auto& backend : items) {
          bool known = false;
          for (const auto& b : config.backends) known = known || b.name == backend;
          if (!known) check.issue(line, prefix + "backends", "no [[backend]] is named \"" + backend + "\"");
          route.backends.push_back(backend);
        }
      }
    }
    if (!table.get("domains")) check.issue(route.line, prefix + "domains", "required key is missing");
    if (!table.get("backends")) check.issue(route.line, prefix + "backends", "required key is missing");
    config.routes.push_back(std::move(route));
  }
}

std::variant<Config, std::vector<ConfigIssue>> load(const toml::table& root, Checker& check, const std::string& file,
                                                    BackendTypes& types, const std::string& default_plugin_dir) {
  Config config;
  config.file = file;
  config.plugin_dir = default_plugin_dir;
  for (auto&& [key, node] : root) {
    const std::string name(key.str());
    if (name != "authd" && name != "backend" && name != "route")
      check.issue(Checker::line_of(node), name, "unknown section (known: [authd], [[backend]], [[route]])");
  }
  read_engine(root, config, check);
  int plugins_line = 0;
  if (const auto* authd = root.get("authd"); authd && authd->as_table())
    if (const auto* plugins = authd->as_table()->get("plugins")) plugins_line = Checker::line_of(*plugins);
  load_plugins(config, types, check, plugins_line);
  read_backends(root, config, types, check);
  read_routes(root, config, check);
  if (!check.ok()) return check.take_issues();
  return config;
}

}  // namespace

std::variant<Config, std::vector<ConfigIssue>> load_config_text(std::string_view text, const std::string& name,
                                                                const std::string& base_dir, BackendTypes& types,
                                                                const std::string& default_plugin_dir) {
  Checker check(name, base_dir);
  toml::table root;
  try {
    root = toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    return std::vector<ConfigIssue>{
        {name, static_cast<int>(e.source().begin.line), {}, std::string(e.description())}};
  }
  return load(root, check, name, types, default_plugin_dir);
}

std::variant<Config, std::vector<ConfigIssue>> load_config(const std::string& path, BackendTypes& types,
                                                           const std::string& default_plugin_dir) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return std::vector<ConfigIssue>{{path, 0, {}, "cannot read the configuration file: " + std::string(std::strerror(errno))}};
  std::stringstream content;
  content << in.rdbuf();
  const auto base = std::filesystem::absolute(path).parent_path().string();
  return load_config_text(content.str(), path, base, types, default_plugin_dir);
}

}  // namespace authd
