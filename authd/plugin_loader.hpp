// Backend types: the built-in ones, registered explicitly, and those of
// plugins loaded from shared objects.
//
// A plugin is opened with dlopen and found through its versioned entry point
// (AUTHD_PLUGIN_ENTRY_SYMBOL). Its descriptor is checked (ABI version,
// descriptor size, C++ library, required fields) before anything else of it
// is used. A loaded plugin is never unloaded: backends and their code live
// as long as the process.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "authd/api/plugin.hpp"

namespace authd {

struct BackendType {
  const PluginDescriptor* descriptor = nullptr;
  std::string origin;  // "built-in" or the shared object's path
  std::vector<SettingSpec> settings;
};

class BackendTypes {
 public:
  // Adds a type; returns an error message if the descriptor is unusable or
  // the type name is taken.
  std::string add(const PluginDescriptor& descriptor, std::string origin);
  const BackendType* find(std::string_view type) const;
  const std::vector<BackendType>& all() const noexcept { return types_; }

 private:
  std::vector<BackendType> types_;
};

// Open a plugin and check its descriptor. An error message says what is
// wrong and what to do.
std::variant<const PluginDescriptor*, std::string> load_plugin(const std::string& path);

// Check a descriptor obtained from any source; empty when it is usable.
std::string check_descriptor(const PluginDescriptor* descriptor);

}  // namespace authd
